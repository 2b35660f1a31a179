"""Settings → "Erase everything…": what it erases, and a typed word to confirm it."""

from __future__ import annotations

from typing import Final

from nocontact_desktop.core.storage.wipe import WipeResult
from nocontact_desktop.ui.qt import QtWidgets, Signal

CONFIRM_WORD: Final = "erase"

EXPLANATION: Final = (
    "This erases everything No Contact keeps on this computer: your count and its history, "
    "your notes and unsent messages, check-ins, reasons, people and settings — and the key "
    "in your system keyring that encrypts them. The blocked sites come out of the hosts file "
    "(through the helper, if it runs) and the login entry goes.\n\n"
    "It cannot be undone. Export files you saved somewhere else are not touched. "
    "No Contact closes afterwards."
)


class EraseSection(QtWidgets.QGroupBox):
    """The Settings block with the one button; ``erase_requested`` opens the dialog."""

    erase_requested = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Erase everything", parent)
        layout = QtWidgets.QVBoxLayout(self)
        text = QtWidgets.QLabel(
            "Remove all your No Contact data and its key from this computer, for good."
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.erase_button = QtWidgets.QPushButton("Erase everything…")
        self.erase_button.clicked.connect(self.erase_requested)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.erase_button)
        row.addStretch(1)
        layout.addLayout(row)


class EraseDialog(QtWidgets.QDialog):
    """Confirm by typing a word; Cancel is the default button."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Erase everything?")
        self.setMinimumWidth(500)
        layout = QtWidgets.QVBoxLayout(self)
        text = QtWidgets.QLabel(EXPLANATION)
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addWidget(QtWidgets.QLabel(f"To confirm, type “{CONFIRM_WORD}”:"))
        self.confirm_edit = QtWidgets.QLineEdit()
        self.confirm_edit.setPlaceholderText(CONFIRM_WORD)
        layout.addWidget(self.confirm_edit)
        self.autostart_check = QtWidgets.QCheckBox(
            "Also stop No Contact from starting when I log in"
        )
        self.autostart_check.setChecked(True)
        layout.addWidget(self.autostart_check)
        buttons = QtWidgets.QDialogButtonBox()
        self.cancel_button = buttons.addButton(
            "Cancel", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole
        )
        self.erase_button = buttons.addButton(
            "Erase everything", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.erase_button.setEnabled(False)
        self.cancel_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.confirm_edit.textChanged.connect(self._check)

    def _check(self, text: str) -> None:
        self.erase_button.setEnabled(text.strip().lower() == CONFIRM_WORD)

    def confirmed(self) -> bool:
        """Whether the word was typed (``accept`` alone is not enough)."""
        return self.confirm_edit.text().strip().lower() == CONFIRM_WORD


def result_text(result: WipeResult, outside: list[str] | None = None) -> str:
    """What to tell the person after erasing (``outside``: what became of the hosts file and
    the app-menu entry, one sentence each)."""
    more = "".join(f"\n\n{line}" for line in outside or [])
    if result.complete:
        key = (
            " The key in your system keyring was removed too."
            if result.keyring_entry_removed
            else ""
        )
        return "Everything is erased." + key + more + "\n\nThe app will close now."
    return (
        "Your data files are erased, but not everything could be removed:\n\n"
        + "\n".join(f"•  {problem}" for problem in result.problems)
        + more
        + "\n\nThe app will close now."
    )
