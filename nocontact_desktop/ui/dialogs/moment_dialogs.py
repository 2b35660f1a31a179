"""Small dialogs for the moments a person logs: they contacted me; I slipped."""

from __future__ import annotations

from collections.abc import Callable

from nocontact_desktop.core.streak.count import StreakSummary
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.core.streak.tracker import Tracker
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


class _NoteDialog(QtWidgets.QDialog):
    """A short text, an optional private note, and one way forward or Cancel."""

    def __init__(
        self,
        title: str,
        text: str,
        note_label: str,
        accept_label: str,
        parent: QtWidgets.QWidget | None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QtWidgets.QVBoxLayout(self)
        message = QtWidgets.QLabel(text)
        message.setWordWrap(True)
        layout.addWidget(message)
        layout.addWidget(QtWidgets.QLabel(note_label))
        self.note_edit = QtWidgets.QPlainTextEdit()
        self.note_edit.setFixedHeight(80)
        layout.addWidget(self.note_edit)
        buttons = QtWidgets.QDialogButtonBox()
        buttons.addButton(accept_label, QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("Cancel", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def note(self) -> str | None:
        """The note, or None when left empty."""
        return self.note_edit.toPlainText().strip() or None


class HooverDialog(_NoteDialog):
    """'They contacted me': a reminder of the boundary and an optional note."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(
            "They contacted me",
            HOOVER_REMINDER,
            "A note for yourself (optional, kept private):",
            "Log it — I didn't answer",
            parent,
        )


class SlipDialog(_NoteDialog):
    """'I slipped — I contacted them': compassionate confirmation before the reset."""

    def __init__(self, summary: StreakSummary, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(
            "I contacted them",
            SLIP_QUESTION.format(
                longest=summary.longest_streak_days, total=summary.total_no_contact_days
            ),
            "What happened? (optional, kept private)",
            "Log it and begin again",
            parent,
        )


LogEvent = Callable[[EventKind, "str | None"], None]
"""Logs an event with its note (the emergency window's keeps the event if the note fails)."""


def log_slip(
    tracker: Tracker, parent: QtWidgets.QWidget | None, log_event: LogEvent | None = None
) -> str | None:
    """"I contacted them": confirm kindly, log ``contact``; the words to show after, or None.

    The one slip flow, used by the tray menu, the Today page and the emergency window; each
    shows the returned words its own way.
    """
    dialog = SlipDialog(tracker.summary(), parent)
    if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
        return None
    (log_event or _plain_log(tracker))(EventKind.CONTACT, dialog.note())
    summary = tracker.summary()
    return SLIP_AFTER.format(
        longest=summary.longest_streak_days, total=summary.total_no_contact_days
    )


def log_hoover(
    tracker: Tracker, parent: QtWidgets.QWidget | None, log_event: LogEvent | None = None
) -> bool:
    """"They contacted me": log a ``hoover`` with an optional note; True when logged."""
    dialog = HooverDialog(parent)
    if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
        return False
    (log_event or _plain_log(tracker))(EventKind.HOOVER, dialog.note())
    return True


def _plain_log(tracker: Tracker) -> LogEvent:
    def log(kind: EventKind, note: str | None) -> None:
        tracker.log(kind, note=note)

    return log
