"""The "Apps" page: which messaging apps wait for the delay-and-reflect dialog (DESIGN §7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from nocontact_desktop.core.app_gate.gate_list import GateList
from nocontact_desktop.core.app_gate.rules import GatedApp, InstalledApp
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.dialogs.app_chooser import AppChooser, app_icon_for
from nocontact_desktop.ui.qt import Qt, QtCore, QtWidgets, Signal

EXPLAIN = (
    "When one of these apps starts, it is paused at once and the delay-and-reflect dialog "
    "appears. “Close — I'm staying strong” ends the app; “Open anyway” lets it run. No "
    "administrator rights are needed."
)


class AppsPage(QtWidgets.QWidget):
    """Presets as checkboxes, other apps as a list, and "Add an app…"."""

    changed = Signal()

    def __init__(
        self,
        gate_list: GateList,
        presets: tuple[GatedApp, ...],
        now: Callable[[], datetime],
        installed_apps: Callable[[], list[InstalledApp]] = list,
        parent: QtWidgets.QWidget | None = None,
        *,
        remove: Callable[[list[str]], None] | None = None,
    ) -> None:
        """``remove``: how removing apps is asked for (the tray: the reflect moment, then the
        commitment delay); without it they are removed at once."""
        super().__init__(parent)
        self._gate_list = gate_list
        self._remove = remove
        self._now = now
        self._installed_apps = installed_apps
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.addWidget(calm_style.label(EXPLAIN))
        self.pause_label = calm_style.label("", "muted")
        layout.addWidget(self.pause_label)
        self.pending_label = calm_style.label("", "muted")
        self.pending_label.setVisible(False)
        layout.addWidget(self.pending_label)

        box = QtWidgets.QGroupBox("Messaging apps")
        grid = QtWidgets.QGridLayout(box)
        self.preset_checks: dict[str, QtWidgets.QToolButton] = {}
        for index, app in enumerate(presets):
            tile = QtWidgets.QToolButton()
            tile.setText(app.display_name)
            tile.setIcon(app_icon_for("", *_icon_names(app), label=app.display_name))
            tile.setIconSize(QtCore.QSize(32, 32))
            tile.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            tile.setCheckable(True)
            tile.setMinimumSize(120, 72)
            tile.setToolTip(f"Gate {app.display_name}")
            tile.toggled.connect(lambda on, a=app: self._toggle_preset(a, on))
            grid.addWidget(tile, index // 4, index % 4)
            self.preset_checks[app.id] = tile
        layout.addWidget(box)

        layout.addWidget(calm_style.label("Other apps:"))
        self.others = QtWidgets.QListWidget()
        layout.addWidget(self.others, 1)
        row = QtWidgets.QHBoxLayout()
        self.add_button = QtWidgets.QPushButton("Other app…")
        self.add_button.clicked.connect(self.choose_app)
        self.remove_button = QtWidgets.QPushButton("Remove selected")
        self.remove_button.clicked.connect(self.remove_selected)
        row.addWidget(self.add_button)
        row.addStretch(1)
        row.addWidget(self.remove_button)
        layout.addLayout(row)
        self.error_label = QtWidgets.QLabel()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        layout.addWidget(self.error_label)
        self.reload()

    def reload(self) -> None:
        """Show the list as stored."""
        listed = self._gate_list.apps()
        ids = {app.id for app in listed}
        for app_id, check in self.preset_checks.items():
            check.blockSignals(True)
            check.setChecked(app_id in ids)
            check.blockSignals(False)
        self.others.clear()
        for app in listed:
            if not app.preset:
                item = QtWidgets.QListWidgetItem(f"{app.display_name}  ({app.id})")
                item.setData(Qt.ItemDataRole.UserRole, app.id)
                self.others.addItem(item)

    def show_pause(self, until: datetime | None) -> None:
        """Say whether the gate is paused."""
        self.pause_label.setText(
            "" if until is None else f"Paused until {until.astimezone().strftime('%H:%M')}."
        )

    def show_pending(self, lines: list[str]) -> None:
        """The gate changes waiting for the commitment delay ("Signal is no longer gated
        Monday 10:18"); each can be kept from the tray menu or the Blocked page."""
        self.pending_label.setText(
            "Waiting for your commitment delay: "
            + "; ".join(lines)
            + ". To keep things as they are, use the tray menu or the Blocked page."
            if lines
            else ""
        )
        self.pending_label.setVisible(bool(lines))

    def _toggle_preset(self, app: GatedApp, on: bool) -> None:
        if on:
            self._gate_list.add([app.id], self._now())
        elif self._remove is not None:
            self.reload()  # still gated until the removal is done (shown checked till then)
            self._remove([app.id])
            return
        else:
            self._gate_list.remove([app.id])
        self.changed.emit()

    def add_app(self, text: str) -> bool:
        """Gate an executable name or path; False (with the reason shown) if refused."""
        try:
            self._gate_list.add([text], self._now())
        except BadInput as err:
            self.error_label.setText(str(err))
            return False
        self.error_label.setText("")
        self.reload()
        self.changed.emit()
        return True

    def choose_app(self) -> None:
        """Pick an installed app by name and icon (or, failing that, its program file)."""
        chooser = AppChooser(self._installed_apps(), self)
        if chooser.exec() == QtWidgets.QDialog.DialogCode.Accepted and chooser.chosen:
            self.add_app(chooser.chosen)

    def remove_selected(self) -> None:
        """Stop gating the selected apps (a loosening: see ``remove``)."""
        ids = [str(item.data(Qt.ItemDataRole.UserRole)) for item in self.others.selectedItems()]
        if not ids:
            return
        if self._remove is not None:
            self._remove(ids)
            return
        self._gate_list.remove(ids)
        self.reload()
        self.changed.emit()


def _icon_names(app: GatedApp) -> list[str]:
    """Theme icon names a preset's app is likely installed under (flatpak id, program name)."""
    names = [m.value for m in app.matchers if m.kind in ("flatpak", "name", "snap")]
    return [*names, app.id]
