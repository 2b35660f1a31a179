"""Asking for the passphrase that seals the person's notes: choosing one, and unlocking.

A wrong passphrase never ends the app: the prompt says so and asks again (with a calm pause
after several tries); Cancel leaves the tray running, locked, with the breathing timer open.
"""

from __future__ import annotations

from nocontact_desktop.core.storage.vault import PassphrasePurpose
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import QtCore, QtWidgets

NEW_TEXT = (
    "No system keyring is available on this computer, so your notes are protected with a "
    "passphrase you choose. You will be asked for it when No Contact starts.\n\n"
    "If you forget it, your notes cannot be opened — nobody, not even this app, can recover "
    "them. Your day count stays readable either way."
)
UNLOCK_TEXT = "Enter your passphrase to open your notes."
MISMATCH = "The two passphrases are not the same. Type them again."
PAUSE_AFTER_TRIES = 3  # wrong tries before a calm pause
PAUSE_SECONDS = 5


class PassphraseDialog(QtWidgets.QDialog):
    """``new``: two fields and what forgetting means; ``unlock``: one field and an error line."""

    def __init__(
        self,
        purpose: PassphrasePurpose,
        error: str | None = None,
        pause_seconds: int = 0,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.purpose = purpose
        self.setWindowTitle("Choose a passphrase" if purpose == "new" else "Enter your passphrase")
        calm_style.calm(self)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(calm_style.label(NEW_TEXT if purpose == "new" else UNLOCK_TEXT, "lead"))
        self.first_edit = QtWidgets.QLineEdit()
        self.first_edit.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.first_edit.setPlaceholderText("Passphrase")
        layout.addWidget(self.first_edit)
        self.second_edit = QtWidgets.QLineEdit()
        self.second_edit.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.second_edit.setPlaceholderText("The same passphrase again")
        self.second_edit.setVisible(purpose == "new")
        layout.addWidget(self.second_edit)
        self.error_label = calm_style.label(error or "", "muted")
        self.error_label.setVisible(bool(error))
        layout.addWidget(self.error_label)
        buttons = QtWidgets.QDialogButtonBox()
        self.ok_button = buttons.addButton(
            "Open my notes" if purpose == "unlock" else "Use this passphrase",
            QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole,
        )
        calm_style.role(self.ok_button, "primary")
        self.cancel_button = buttons.addButton(
            "Not now", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)
        self._pause_left = pause_seconds
        if pause_seconds > 0:
            self.ok_button.setEnabled(False)
            self._pause = QtCore.QTimer(self)
            self._pause.setInterval(1000)
            self._pause.timeout.connect(self._pause_tick)
            self._pause.start()
            self._pause_tick(first=True)

    def _pause_tick(self, first: bool = False) -> None:
        if not first:
            self._pause_left -= 1
        if self._pause_left > 0:
            self.error_label.setText(
                f"That passphrase did not open your notes. Take a breath — you can try again "
                f"in {self._pause_left} s."
            )
            self.error_label.setVisible(True)
            return
        self._pause.stop()
        self.ok_button.setEnabled(True)
        self.error_label.setText("That passphrase did not open your notes. Try again.")

    def passphrase(self) -> str:
        """What was typed."""
        return self.first_edit.text()

    def accept(self) -> None:
        """Choosing a new one needs it twice, the same; an empty one is not taken."""
        if not self.first_edit.text():
            self.first_edit.setFocus()
            return
        if self.purpose == "new" and self.second_edit.text() != self.first_edit.text():
            self.error_label.setText(MISMATCH)
            self.error_label.setVisible(True)
            self.second_edit.clear()
            self.second_edit.setFocus()
            return
        super().accept()


class TrayPassphrase:
    """The tray's passphrase provider: one prompt at a time; after Cancel it stays quiet
    (the tray is locked) until the person asks to unlock."""

    def __init__(self) -> None:
        self.declined = False
        self.error: str | None = None
        self.failures = 0

    def __call__(self, purpose: PassphrasePurpose) -> str | None:
        """Ask (unless declined); None when the person chose "Not now"."""
        if self.declined:
            return None
        pause = PAUSE_SECONDS if self.failures and self.failures % PAUSE_AFTER_TRIES == 0 else 0
        dialog = PassphraseDialog(purpose, self.error, pause)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            self.declined = True
            return None
        return dialog.passphrase()

    def wrong(self, message: str) -> None:
        """The last passphrase did not open the notes: the next prompt says so."""
        self.failures += 1
        self.error = message[0].upper() + message[1:] + ". Try again."

    def ask_again(self) -> None:
        """The person asked to unlock: prompts are shown again."""
        self.declined = False
        self.error = None
