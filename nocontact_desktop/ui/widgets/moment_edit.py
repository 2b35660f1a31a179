"""A date-and-time field that never rewrites what was typed; it says what it understood.

Qt's QDateTimeEdit edits section by section and silently turns "2026-12-25" into another day
when a digit lands in the wrong section. Here the text is the person's; core reads it
(:func:`parse_moment`) and the line below says the day it means, or why it cannot.
"""

from __future__ import annotations

from datetime import datetime

from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.timeparse import parse_moment
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import QtCore, QtWidgets, Signal


class MomentEdit(QtWidgets.QWidget):
    """Text like ``2026-11-30 21:30`` or ``yesterday 23:10``, a calendar, and what it means."""

    changed = Signal()

    def __init__(
        self, clock: Clock, initial: datetime | None = None, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QtWidgets.QHBoxLayout()
        self.text_edit = QtWidgets.QLineEdit()
        self.text_edit.setPlaceholderText("2026-03-07 21:30, or: yesterday 23:10")
        start = (initial or clock.now()).astimezone(clock.zone())
        self.text_edit.setText(start.strftime("%Y-%m-%d %H:%M"))
        self.text_edit.textChanged.connect(self._reread)
        row.addWidget(self.text_edit, 1)
        self.calendar_button = QtWidgets.QPushButton("Calendar…")
        calm_style.role(self.calendar_button, "quiet")
        self.calendar_button.clicked.connect(self.pick_from_calendar)
        row.addWidget(self.calendar_button)
        layout.addLayout(row)
        self.meaning_label = calm_style.label("", "muted")
        layout.addWidget(self.meaning_label)
        self._value: datetime | None = None
        self._error: str | None = None
        self._reread()

    def value(self) -> datetime | None:
        """The moment as an aware UTC datetime, or None while the text cannot be read."""
        return self._value

    def error(self) -> str | None:
        """Why the text cannot be read (None when it can)."""
        return self._error

    def _reread(self) -> None:
        try:
            self._value = parse_moment(
                self.text_edit.text(), self._clock.zone(), self._clock.now(), label="the date"
            )
            self._error = None
            local = self._value.astimezone(self._clock.zone())
            self.meaning_label.setText(local.strftime("%A %-d %B %Y, %H:%M"))
        except BadInput as err:
            self._value = None
            self._error = str(err)
            self.meaning_label.setText(self._error)
        self.changed.emit()

    def pick_from_calendar(self) -> None:
        """Choose the day on a calendar; the time typed so far is kept."""
        dialog = QtWidgets.QDialog(self)
        dialog.setWindowTitle("Choose the day")
        layout = QtWidgets.QVBoxLayout(dialog)
        calendar = QtWidgets.QCalendarWidget()
        now = self._clock.now().astimezone(self._clock.zone())
        calendar.setMaximumDate(QtCore.QDate(now.year, now.month, now.day))
        if self._value is not None:
            chosen = self._value.astimezone(self._clock.zone())
            calendar.setSelectedDate(QtCore.QDate(chosen.year, chosen.month, chosen.day))
        calendar.activated.connect(dialog.accept)
        layout.addWidget(calendar)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        layout.addWidget(buttons)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.set_day(calendar.selectedDate())

    def set_day(self, day: QtCore.QDate) -> None:
        """Put ``day`` in the text, keeping a typed time of day."""
        words = self.text_edit.text().split()
        clock_part = words[-1] if len(words) > 1 and ":" in words[-1] else "00:00"
        self.text_edit.setText(f"{day.toString('yyyy-MM-dd')} {clock_part}")
        self.text_edit.setCursorPosition(len(self.text_edit.text()))
