"""Small dialogs for the moments a person logs: they contacted me; I slipped."""

from __future__ import annotations

from nocontact_desktop.core.streak import StreakSummary
from nocontact_desktop.ui.qt import QtWidgets

HOOVER_REMINDER = (
    "They reached out — and you did not answer. That silence is your boundary, and it "
    "protects the peace you are rebuilding. You do not owe them a reply."
)

SLIP_QUESTION = (
    "It happens, and it does not erase what you have done. A slip is a restart point, not a "
    "failure.\n\nLog that you contacted them? The count starts again from now; your longest "
    "streak ({longest} days) and the total of days you kept ({total}) stay."
)

SLIP_AFTER = (
    "Day 0 of a new streak. You kept no contact for {longest} days before, and {total} days in "
    "all — that strength is still yours. Be gentle with yourself tonight."
)


class HooverDialog(QtWidgets.QDialog):
    """'They contacted me': a reminder of the boundary and an optional note."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("They contacted me")
        layout = QtWidgets.QVBoxLayout(self)
        reminder = QtWidgets.QLabel(HOOVER_REMINDER)
        reminder.setWordWrap(True)
        layout.addWidget(reminder)
        layout.addWidget(QtWidgets.QLabel("A note for yourself (optional, kept private):"))
        self.note_edit = QtWidgets.QPlainTextEdit()
        self.note_edit.setFixedHeight(80)
        layout.addWidget(self.note_edit)
        buttons = QtWidgets.QDialogButtonBox()
        buttons.addButton(
            "Log it — I didn't answer", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton("Cancel", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def note(self) -> str | None:
        """The note, or None when left empty."""
        return self.note_edit.toPlainText().strip() or None


class SlipDialog(QtWidgets.QDialog):
    """'I slipped — I contacted them': compassionate confirmation before the reset."""

    def __init__(self, summary: StreakSummary, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("I contacted them")
        layout = QtWidgets.QVBoxLayout(self)
        text = QtWidgets.QLabel(
            SLIP_QUESTION.format(
                longest=summary.longest_streak_days, total=summary.total_no_contact_days
            )
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        layout.addWidget(QtWidgets.QLabel("What happened? (optional, kept private)"))
        self.note_edit = QtWidgets.QPlainTextEdit()
        self.note_edit.setFixedHeight(70)
        layout.addWidget(self.note_edit)
        buttons = QtWidgets.QDialogButtonBox()
        buttons.addButton(
            "Log it and begin again", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton("Cancel", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def note(self) -> str | None:
        """The note, or None when left empty."""
        return self.note_edit.toPlainText().strip() or None
