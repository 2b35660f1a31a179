"""The support tools in the tray: the emergency flow, the daily check-in, History, erase-all.

The tray app makes one :class:`SupportController` and hands it what it owns (tracker,
scheduler, main window); everything of this feature is created here, lazily, so the tray
starts as fast as before. Windows are kept once made (a draft in "write it here" survives
closing the window until the app quits).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.journal.entries import CHECK_IN_SETTING, Journal, parse_check_in_time
from nocontact_desktop.core.settings import Settings
from nocontact_desktop.core.storage.sealing import SealError
from nocontact_desktop.core.storage.vault import KeyUnavailable
from nocontact_desktop.core.storage.wipe import WipeResult, wipe_all
from nocontact_desktop.core.streak.tracker import Tracker
from nocontact_desktop.ui.calm_style import bring_to_front
from nocontact_desktop.ui.dialogs.check_in_dialog import CheckInDialog
from nocontact_desktop.ui.dialogs.erase_dialog import EraseDialog, EraseSection, result_text
from nocontact_desktop.ui.qt import QtCore, QtGui, QtWidgets, Signal
from nocontact_desktop.ui.tray.day_scheduler import DayScheduler
from nocontact_desktop.ui.windows.emergency_window import EmergencyWindow
from nocontact_desktop.ui.windows.history_window import HistoryWindow
from nocontact_desktop.ui.windows.main_window import MainWindow

log = logging.getLogger("nocontact.support")

CHECK_IN_JOB = "daily-check-in"

Autostart = Callable[[bool], None]
Guard = Callable[[Callable[[], None]], None]
"""Runs an action that opens personal content, after the app lock's PIN when locked."""


def _run_now(action: Callable[[], None]) -> None:
    action()


class SupportController(QtCore.QObject):
    """Owns the windows of issue 5 and their settings.

    Signals: ``changed`` after anything was logged or saved (the tray redraws); ``erasing``
    just before erase-all removes the data: every part of the app must stop touching the
    store then (the tray stops its file watcher and scheduler).
    """

    changed = Signal()
    erasing = Signal()

    def __init__(
        self,
        tracker: Tracker,
        scheduler: DayScheduler,
        main_window: MainWindow,
        *,
        set_autostart: Autostart,
        quit_app: Callable[[], None],
        parent: QtCore.QObject | None = None,
        guard: Guard = _run_now,
        release_system: Callable[[], list[str]] = list,
        is_locked: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(parent)
        self.tracker = tracker
        self.store = tracker.store
        self.clock = tracker.clock
        self.journal = Journal(self.store, self.clock)
        self.scheduler = scheduler
        self.main_window = main_window
        self._set_autostart = set_autostart
        self._quit_app = quit_app
        self._guard = guard
        self._release_system = release_system
        self._is_locked = is_locked
        self.emergency: EmergencyWindow | None = None
        self.history: HistoryWindow | None = None
        self.check_in_dialog: CheckInDialog | None = None
        self.erased: WipeResult | None = None

        current = Settings(self.store).get(CHECK_IN_SETTING)
        self.erase_section = EraseSection()
        self.erase_section.erase_requested.connect(self.erase_everything)
        main_window.settings.add_section(self.erase_section)
        main_window.today.history_requested.connect(self._open_history_now)
        self.plan_check_in(current)
        app = QtCore.QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.dispose)

    # -- menu -------------------------------------------------------------------------------

    def add_menu_actions(self, menu: QtWidgets.QMenu, before: QtGui.QAction) -> None:
        """Put "My history" and "Check in…" into the tray menu, ahead of ``before``."""
        self.history_action = QtGui.QAction("My history", menu)
        self.history_action.triggered.connect(self.open_history)
        self.check_in_action = QtGui.QAction("Check in: how strong is the pull?", menu)
        self.check_in_action.triggered.connect(self.check_in)
        menu.insertAction(before, self.history_action)
        menu.insertAction(before, self.check_in_action)

    # -- windows ----------------------------------------------------------------------------

    def apply_texts(self, text: Callable[[str], str]) -> None:
        """Reword this feature's tray items (discreet mode switched)."""
        self.history_action.setText(text("menu.history"))
        self.check_in_action.setText(text("menu.check_in"))

    def open_emergency(self, *, locked: bool = False) -> None:
        """'I want to text them': the calm full flow. Locked, it opens on the breathing timer
        with the personal steps closed until the PIN is given."""
        if self.emergency is None:
            self.emergency = EmergencyWindow(self.tracker, self.journal)
            self.emergency.changed.connect(self.changed)
            emergency = self.emergency
            emergency.unlock_requested.connect(
                lambda: self._guard(lambda: emergency.set_locked(False))
            )
        self.emergency.set_locked(locked)
        self.emergency.open()

    def open_history(self) -> None:
        """The History window, on the latest year (after the PIN, when locked)."""
        self._guard(self._open_history_now)

    def _open_history_now(self) -> None:
        if self.history is None:
            self.history = HistoryWindow(self.store, self.clock)
            self.history.check_in_requested.connect(self.check_in)
        self.history.open()

    def refresh(self) -> None:
        """Redraw the windows that are open (after the CLI logged, or at midnight)."""
        if self.emergency is not None and self.emergency.isVisible():
            self.emergency.refresh()
        if self.history is not None and self.history.isVisible():
            self.history.refresh()

    def close_windows(self) -> None:
        """Hide every window of this feature (quit, erase)."""
        for window in (self.emergency, self.history, self.check_in_dialog):
            if window is not None:
                window.hide()

    def dispose(self) -> None:
        """Destroy this feature's windows now, while the QApplication still exists.

        They are top-level windows without a Qt parent; left to Python's garbage collector
        at interpreter exit they may outlive the application, which can crash on the way out.
        """
        windows = [w for w in (self.emergency, self.history, self.check_in_dialog) if w]
        self.emergency = self.history = self.check_in_dialog = None
        for window in windows:
            window.hide()
            window.deleteLater()
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)

    # -- daily check-in ---------------------------------------------------------------------

    def check_in(self) -> None:
        """Ask today's check-in (after the PIN, when locked)."""
        self._guard(self._check_in_now)

    def _check_in_now(self) -> None:
        """Ask today's check-in (a small non-modal dialog; one at a time)."""
        if self.check_in_dialog is not None and self.check_in_dialog.isVisible():
            bring_to_front(self.check_in_dialog)
            return
        try:
            existing = self.journal.check_in_on(self.journal.today())
        except (KeyUnavailable, SealError) as err:
            log.warning("the check-in note cannot be opened: %s", type(err).__name__)
            existing = None
        dialog = CheckInDialog(existing)
        dialog.accepted.connect(lambda: self._save_check_in(dialog))
        self.check_in_dialog = dialog
        bring_to_front(dialog)

    def _save_check_in(self, dialog: CheckInDialog) -> None:
        try:
            self.journal.record_check_in(dialog.intensity(), dialog.note())
        except (KeyUnavailable, SealError):
            # The strength matters more than the note: keep it, and say the note was lost.
            self.journal.record_check_in(dialog.intensity())
            QtWidgets.QMessageBox.information(
                None, "Check-in", "Saved — but your note could not be encrypted, so it is left out."
            )
        self.changed.emit()
        self.refresh()
        if dialog.wants_help:
            self.open_emergency()

    def daily_check_in_due(self) -> None:
        """The scheduled moment: ask, unless today's check-in is done already."""
        if self.journal.checked_in_today() or self._is_locked():
            return  # locked: no window with the person's note pops up by itself
        self._check_in_now()

    def plan_check_in(self, value: str | None) -> None:
        """Ask every day at ``value`` ("HH:MM", as the settings table keeps it), or never."""
        if not value:
            self.scheduler.remove_daily(CHECK_IN_JOB)
            return
        try:
            hour, minute = parse_check_in_time(value)
        except BadInput:
            log.warning("ignoring a malformed daily check-in setting")
            return
        self.scheduler.set_daily(CHECK_IN_JOB, hour, minute, self.daily_check_in_due)

    # -- erase everything -------------------------------------------------------------------

    def erase_everything(self) -> None:
        """Ask (typed confirmation), then erase the data and its key, say what happened, quit."""
        dialog = EraseDialog(self.main_window)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted or not dialog.confirmed():
            return
        path = self.store.path
        if path is None:
            return
        self.erasing.emit()
        self.close_windows()
        self.scheduler.shutdown()
        if dialog.autostart_check.isChecked():
            try:
                self._set_autostart(False)
            except OSError as err:
                log.warning("could not remove the login entry: %s", err.strerror or err)
        outside = self._release_system()
        result = wipe_all(self.store, Path(path).parent)
        self.erased = result
        QtWidgets.QMessageBox.information(None, "Erased", result_text(result, outside))
        self._quit_app()
