"""The app lock in the UI: the unlock dialog, the idle and screen-lock triggers, the settings.

:class:`LockController` wraps every action that opens a window with personal content
(:meth:`LockController.guard`): unlocked, the action runs; locked, the unlock dialog asks for
the PIN or passphrase first. It locks after the chosen idle time (one single-shot timer, never
a ticking one) and when the session's screen locks (``ActiveChanged`` of
``org.freedesktop.ScreenSaver`` or ``org.gnome.ScreenSaver`` on the session bus).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Final

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.privacy.app_lock import (
    DEFAULT_LOCK_MINUTES,
    LOCK_MINUTES_KEY,
    MAX_LOCK_MINUTES,
    MIN_LOCK_MINUTES,
    AppLock,
    check_new_secret,
)
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.privacy.discreet import RawSettings
from nocontact_desktop.ui.qt import QtCore, QtDBus, QtWidgets, Signal, Slot

log = logging.getLogger("nocontact.lock")

UNLOCK_TITLE: Final = "Locked"
SCREEN_SAVERS: Final = (
    ("/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver"),
    ("/ScreenSaver", "org.freedesktop.ScreenSaver"),  # KDE's older path
    ("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver"),
)


class UnlockDialog(QtWidgets.QDialog):
    """Asks for the PIN or passphrase; a wrong one is said so, and asked again."""

    def __init__(self, lock: AppLock, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._lock = lock
        calm_style.calm(self)
        self.setWindowTitle(UNLOCK_TITLE)
        self.setMinimumWidth(380)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(calm_style.label("Enter your PIN or passphrase to open this.", "lead"))
        self.secret_edit = QtWidgets.QLineEdit()
        self.secret_edit.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.secret_edit.returnPressed.connect(self.submit)
        layout.addWidget(self.secret_edit)
        self.message_label = calm_style.label("", "muted")
        layout.addWidget(self.message_label)
        buttons = QtWidgets.QDialogButtonBox()
        self.unlock_button = buttons.addButton(
            "Open", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton("Cancel", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        self.unlock_button.clicked.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._resume = QtCore.QTimer(self)
        self._resume.setSingleShot(True)
        self._resume.timeout.connect(self._ready)
        wait = lock.wait_remaining()
        if wait > 0:
            self._pause(wait, "Take a breath; you can try again in a moment.")

    def submit(self) -> None:
        """Try the typed secret."""
        if not self.unlock_button.isEnabled():
            return
        result = self._lock.try_unlock(self.secret_edit.text())
        self.secret_edit.clear()
        if result.ok:
            self.accept()
            return
        self.message_label.setText(result.message)
        if result.wait_seconds > 0:
            self._pause(result.wait_seconds, result.message)

    def _pause(self, seconds: float, message: str) -> None:
        self.message_label.setText(message)
        self.secret_edit.setEnabled(False)
        self.unlock_button.setEnabled(False)
        self._resume.start(int(seconds * 1000) + 50)

    def _ready(self) -> None:
        self.secret_edit.setEnabled(True)
        self.unlock_button.setEnabled(True)
        self.message_label.setText("You can try again now.")
        self.secret_edit.setFocus()


class ScreenLockWatch(QtCore.QObject):
    """``locked`` when the session's screen saver says the screen locked (D-Bus)."""

    locked = Signal()

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.watching = False
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            log.info("no session bus: the app lock follows idle time only")
            return
        bus = QtDBus.QDBusConnection.sessionBus()
        if not bus.isConnected():
            log.info("no session bus: the app lock follows idle time only")
            return
        slot = QtCore.SLOT("on_active_changed(bool)")  # PySide6 takes the str SLOT() gives
        for path, interface in SCREEN_SAVERS:
            if bus.connect("", path, interface, "ActiveChanged", self, slot):  # type: ignore[call-overload]
                self.watching = True

    @Slot(bool)
    def on_active_changed(self, active: bool) -> None:
        """The screen saver's signal."""
        if active:
            self.locked.emit()


class LockController(QtCore.QObject):
    """Guards personal windows; locks on idle and with the screen."""

    locked_changed = Signal(bool)

    def __init__(
        self,
        lock: AppLock,
        settings: RawSettings,
        parent: QtCore.QObject | None = None,
        *,
        watch_screen: bool = True,
    ) -> None:
        super().__init__(parent)
        self.lock = lock
        self._settings = settings
        self._idle = QtCore.QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(self._idle_check)
        self.dialog: UnlockDialog | None = None
        self._pending_action: Callable[[], None] | None = None
        self.screen_watch = ScreenLockWatch(self) if watch_screen else None
        if self.screen_watch is not None:
            self.screen_watch.locked.connect(self.lock_now)
        self.schedule_idle()

    @property
    def locked(self) -> bool:
        """Whether personal windows need the PIN now."""
        return self.lock.locked

    def minutes(self) -> int:
        """The chosen idle time."""
        value = self._settings.setting(LOCK_MINUTES_KEY, DEFAULT_LOCK_MINUTES)
        if isinstance(value, bool) or not isinstance(value, int):
            return DEFAULT_LOCK_MINUTES
        return min(MAX_LOCK_MINUTES, max(MIN_LOCK_MINUTES, value))

    def guard(self, action: Callable[[], None]) -> None:
        """Run ``action`` now if unlocked, else once the PIN is given (nothing if cancelled).

        The dialog is not modal-blocking (no nested event loop): the request may come from a
        socket's signal (a second launch), and the socket must be free to go away meanwhile.
        While it is open, the latest request is the one that runs.
        """
        if not self.lock.locked:
            self.lock.note_activity()
            action()
            return
        self._pending_action = action
        if self.dialog is None:
            dialog = UnlockDialog(self.lock)
            dialog.accepted.connect(self._unlocked)
            dialog.finished.connect(self._dialog_closed)
            self.dialog = dialog
        calm_style.bring_to_front(self.dialog)
        self.dialog.secret_edit.setFocus()

    def _dialog_closed(self, _result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _unlocked(self) -> None:
        action, self._pending_action = self._pending_action, None
        if self.lock.locked:
            return
        self.locked_changed.emit(False)
        self.schedule_idle()
        if action is not None:
            action()

    def lock_now(self) -> None:
        """Lock (idle, the screen locked, a quick exit); nothing without a PIN."""
        was = self.lock.locked
        if self.lock.lock() and not was:
            log.info("locked")
            self.locked_changed.emit(True)

    def stop(self) -> None:
        """The store is going away (erase, quit): no timer or screen signal may touch it now."""
        self._idle.stop()
        if self.screen_watch is not None:
            self.screen_watch.locked.disconnect(self.lock_now)
            self.screen_watch = None

    def activity(self) -> None:
        """Input in one of the app's windows."""
        if not self.lock.locked:
            self.lock.note_activity()

    def schedule_idle(self) -> None:
        """(Re)arm the idle timer for the time left (single shot: no ticking)."""
        if not self.lock.enabled or self.lock.locked:
            self._idle.stop()
            return
        left = self.lock.idle_seconds_left(self.minutes())
        self._idle.start(int(left * 1000) + 100)

    def _idle_check(self) -> None:
        if not self.lock.enabled or self.lock.locked:
            return
        if self.lock.idle_seconds_left(self.minutes()) <= 0:
            self.lock_now()
        else:
            self.schedule_idle()

    def set_secret(self, secret: str) -> None:
        """A new PIN or passphrase (BadInput if unusable)."""
        self.lock.set_secret(check_new_secret(secret))
        self.schedule_idle()

    def clear_secret(self) -> None:
        """No lock any more."""
        self.lock.clear_secret()
        self._idle.stop()
        self.locked_changed.emit(False)


class SecretDialog(QtWidgets.QDialog):
    """Choose a PIN or passphrase: typed twice, at least four characters."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose a PIN or passphrase")
        layout = QtWidgets.QFormLayout(self)
        self.first = QtWidgets.QLineEdit()
        self.second = QtWidgets.QLineEdit()
        for edit in (self.first, self.second):
            edit.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        layout.addRow("PIN or passphrase:", self.first)
        layout.addRow("Once more:", self.second)
        self.message_label = calm_style.label("At least 4 characters. It is never stored, only "
                                              "a salted hash of it.", "muted")
        layout.addRow(self.message_label)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Save
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)

    def _check(self) -> None:
        if self.first.text() != self.second.text():
            self.message_label.setText("The two do not match. Type them again.")
            return
        try:
            check_new_secret(self.first.text())
        except BadInput as err:
            self.message_label.setText(str(err)[0].upper() + str(err)[1:] + ".")
            return
        self.accept()

    def secret(self) -> str:
        """The chosen secret."""
        return self.first.text()


class LockSection(QtWidgets.QGroupBox):
    """Settings → App lock: set, change or remove the PIN or passphrase."""

    def __init__(
        self, controller: LockController, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__("App lock", parent)
        self._controller = controller
        layout = QtWidgets.QVBoxLayout(self)
        self.state_label = QtWidgets.QLabel()
        self.state_label.setWordWrap(True)
        layout.addWidget(self.state_label)
        row = QtWidgets.QHBoxLayout()
        self.set_button = QtWidgets.QPushButton()
        self.set_button.clicked.connect(self.choose)
        self.remove_button = QtWidgets.QPushButton("Remove the lock")
        self.remove_button.clicked.connect(self.remove)
        row.addWidget(self.set_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.show_state()

    def show_state(self) -> None:
        """Say whether a lock is set."""
        on = self._controller.lock.enabled
        self.state_label.setText(
            "A PIN or passphrase is needed to open your windows; the breathing timer opens "
            "without it." if on else
            "No lock: anyone at this computer can open your windows from the tray."
        )
        self.set_button.setText("Change the PIN or passphrase…" if on else
                                "Set a PIN or passphrase…")
        self.remove_button.setVisible(on)

    def choose(self) -> None:
        """Ask for a new secret and keep its hash."""
        dialog = SecretDialog(self.window())
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self._controller.set_secret(dialog.secret())
            self.show_state()

    def remove(self) -> None:
        """Remove the lock (the window is open, so the person already unlocked it)."""
        self._controller.clear_secret()
        self.show_state()
