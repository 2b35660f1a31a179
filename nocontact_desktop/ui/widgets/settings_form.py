"""The Settings page's controls, drawn from core's typed settings table (``core/settings.py``).

One group per section, one row per setting; every change goes through
:meth:`Settings.set`, which validates it in core. ``changed(key, value)`` tells the app what
to apply (the login entry, the daily check-in).
"""

from __future__ import annotations

from typing import Any

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.journal.entries import SUGGESTED_CHECK_IN_TIME, parse_check_in_time
from nocontact_desktop.core.settings import SETTINGS, Setting, Settings
from nocontact_desktop.ui.qt import QtCore, QtGui, QtWidgets, Signal


class TimeOrOffEdit(QtWidgets.QWidget):
    """A check box to turn a daily time on, and the time. ``value()`` is "HH:MM" or ""."""

    changed = Signal(str)

    def __init__(self, label: str, current: str | None, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.enabled_check = QtWidgets.QCheckBox(label)
        self.time_edit = QtWidgets.QTimeEdit()
        self.time_edit.setDisplayFormat("HH:mm")
        hour, minute = parse_check_in_time(current or SUGGESTED_CHECK_IN_TIME)
        self.time_edit.setTime(QtCore.QTime(hour, minute))
        self.enabled_check.setChecked(bool(current))
        self.time_edit.setEnabled(bool(current))
        row.addWidget(self.enabled_check)
        row.addWidget(self.time_edit)
        row.addStretch(1)
        self.enabled_check.toggled.connect(self._changed)
        self.time_edit.timeChanged.connect(lambda _t: self._changed())

    def value(self) -> str:
        """ "HH:MM" when on, "" when off."""
        if not self.enabled_check.isChecked():
            return ""
        return str(self.time_edit.time().toString("HH:mm"))

    def _changed(self) -> None:
        self.time_edit.setEnabled(self.enabled_check.isChecked())
        self.changed.emit(self.value())


class BoundedSpinBox(QtWidgets.QSpinBox):
    """A spin box that lets any number be typed and says why it adjusted one out of bounds.

    A plain QSpinBox drops keystrokes past its maximum ("400" becomes "40") and silently puts
    back the old value for one below its minimum; people deserve to know what happened.
    """

    adjusted = Signal(str)

    def __init__(self, setting: Setting, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        assert setting.minimum is not None and setting.maximum is not None
        self._setting = setting
        self.setRange(setting.minimum, setting.maximum)
        self.setSuffix(f" {setting.unit}" if setting.unit else "")

    def validate(self, text: str, pos: int) -> tuple[QtGui.QValidator.State, str, int]:
        """Digits are always allowed while typing; bounds are applied when editing ends."""
        digits = text.removesuffix(self.suffix()).strip()
        if digits.isdigit():
            number = int(digits)
            if self.minimum() <= number <= self.maximum():
                return QtGui.QValidator.State.Acceptable, text, pos
            return QtGui.QValidator.State.Intermediate, text, pos
        return super().validate(text, pos)

    def fixup(self, text: str) -> str:
        """Bring a typed number within bounds, and say so."""
        digits = text.removesuffix(self.suffix()).strip()
        if not digits.isdigit():
            return super().fixup(text)
        number = int(digits)
        unit = f" {self._setting.unit}" if self._setting.unit else ""
        if number < self.minimum():
            bound, word = self.minimum(), "shortest"
        elif number > self.maximum():
            bound, word = self.maximum(), "longest"
        else:
            return text
        self.adjusted.emit(
            f"{number}{unit} is outside {self.minimum()}–{self.maximum()}{unit}; "
            f"set to the {word}, {bound}{unit}."
        )
        return f"{bound}{self.suffix()}"


class SettingsForm(QtWidgets.QWidget):
    """Every setting of :data:`SETTINGS`, grouped by section, saved as it changes."""

    changed = Signal(str, object)

    def __init__(self, settings: Settings, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.controls: dict[str, QtWidgets.QWidget] = {}
        self.notes: dict[str, QtWidgets.QLabel] = {}
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        groups: dict[str, QtWidgets.QFormLayout] = {}
        for setting in SETTINGS:
            form = groups.get(setting.section)
            if form is None:
                box = QtWidgets.QGroupBox(setting.section)
                form = QtWidgets.QFormLayout(box)
                groups[setting.section] = form
                layout.addWidget(box)
            control = self._control(setting, settings.get(setting.key))
            self.controls[setting.key] = control
            note = QtWidgets.QLabel(setting.help)
            note.setWordWrap(True)
            note.setObjectName("muted")
            note.setVisible(bool(setting.help))
            self.notes[setting.key] = note
            column = QtWidgets.QVBoxLayout()
            column.addWidget(control)
            column.addWidget(note)
            if setting.kind in ("bool", "time_or_off"):
                form.addRow(column)
            else:
                form.addRow(f"{setting.label}:", column)

    def _control(self, setting: Setting, value: Any) -> QtWidgets.QWidget:
        key = setting.key
        if setting.kind == "bool":
            check = QtWidgets.QCheckBox(setting.label)
            check.setChecked(bool(value))
            check.toggled.connect(lambda on: self._save(key, bool(on)))
            return check
        if setting.kind == "int":
            spin = BoundedSpinBox(setting)
            spin.setValue(int(value))
            spin.adjusted.connect(lambda why, k=key: self._explain(k, why))
            spin.setToolTip(f"From {setting.minimum} to {setting.maximum} {setting.unit}".strip())
            spin.valueChanged.connect(lambda number: self._save(key, int(number)))
            return spin
        if setting.kind == "choice":
            combo = QtWidgets.QComboBox()
            for choice, label in setting.choices:
                combo.addItem(label, choice)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.currentIndexChanged.connect(lambda _i: self._save(key, combo.currentData()))
            return combo
        edit = TimeOrOffEdit(f"{setting.label}: ask me each day at", value)
        edit.changed.connect(lambda text: self._save(key, text or None))
        return edit

    def _explain(self, key: str, why: str) -> None:
        self.notes[key].setText(why)
        self.notes[key].setVisible(True)

    def show_value(self, key: str, value: object) -> None:
        """Show ``value`` without treating it as a change (e.g. what the helper holds)."""
        control = self.controls[key]
        blocker = QtCore.QSignalBlocker(control)
        if isinstance(control, QtWidgets.QComboBox):
            control.setCurrentIndex(max(0, control.findData(value)))
        elif isinstance(control, QtWidgets.QSpinBox) and isinstance(value, int):
            control.setValue(value)
        elif isinstance(control, QtWidgets.QCheckBox):
            control.setChecked(bool(value))
        del blocker

    def note(self, key: str, text: str) -> None:
        """Say something under one setting (empty: back to its help text)."""
        help_text = next((s.help for s in SETTINGS if s.key == key), "")
        shown = text or help_text
        self.notes[key].setText(shown)
        self.notes[key].setVisible(bool(shown))

    def _save(self, key: str, value: object) -> None:
        try:
            stored = self._settings.set(key, value)
        except BadInput as err:
            self.notes[key].setText(str(err))
            self.notes[key].setVisible(True)
            return
        self.changed.emit(key, stored)
