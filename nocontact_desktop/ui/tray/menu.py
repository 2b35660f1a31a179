"""The tray icon's menu: its actions and their words, apart from the app that answers them.

The tray app (``ui/app.py``, the composition root) connects the signals to what they do and
adds the feature menus (pending changes, pausing the gate, the support tools) before "Open".
"""

from __future__ import annotations

from collections.abc import Callable

from nocontact_desktop.ui.qt import QtWidgets, Signal

Wording = Callable[[str], str]
"""A text by key (``menu.emergency`` …), plain or neutral as discreet mode says."""


class TrayMenu(QtWidgets.QMenu):
    """Title, "I want to text them", the moments to log, Open, Unlock, Quit."""

    emergency_requested = Signal()
    hoover_requested = Signal()
    slip_requested = Signal()
    open_requested = Signal()
    unlock_requested = Signal()
    quit_requested = Signal()

    def __init__(self, text: Wording, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.title_action = self.addAction(text("menu.title_unstarted"))
        self.title_action.setEnabled(False)
        self.addSeparator()
        self.emergency_action = self.addAction(text("menu.emergency"))
        self.emergency_action.triggered.connect(self.emergency_requested)
        self.hoover_action = self.addAction(text("menu.hoover"))
        self.hoover_action.triggered.connect(self.hoover_requested)
        self.slip_action = self.addAction(text("menu.slip"))
        self.slip_action.triggered.connect(self.slip_requested)
        self.addSeparator()
        self.open_action = self.addAction(text("menu.open"))
        self.open_action.triggered.connect(self.open_requested)
        self.unlock_action = self.addAction("Unlock my notes…")
        self.unlock_action.triggered.connect(self.unlock_requested)
        self.unlock_action.setVisible(False)
        self.addSeparator()
        self.quit_action = self.addAction(text("menu.quit"))
        self.quit_action.triggered.connect(self.quit_requested)

    def reword(self, text: Wording) -> None:
        """Say everything again in the current wording (discreet mode switched)."""
        self.emergency_action.setText(text("menu.emergency"))
        self.hoover_action.setText(text("menu.hoover"))
        self.slip_action.setText(text("menu.slip"))
        self.open_action.setText(text("menu.open"))
        self.quit_action.setText(text("menu.quit"))
