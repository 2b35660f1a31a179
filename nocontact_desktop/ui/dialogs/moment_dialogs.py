"""Small dialogs for the moments a person logs: they contacted me; I slipped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.streak.count import StreakSummary
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.core.streak.tracker import Tracker
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import QtWidgets
from nocontact_desktop.ui.widgets.moment_edit import MomentEdit

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
        calm_style.calm(self)
        self.setMinimumWidth(520)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        message = calm_style.label(text, "lead")
        layout.addWidget(message)
        layout.addWidget(QtWidgets.QLabel(note_label))
        self.note_edit = QtWidgets.QPlainTextEdit()
        self.note_edit.setFixedHeight(80)
        layout.addWidget(self.note_edit)
        buttons = QtWidgets.QDialogButtonBox()
        accept = buttons.addButton(accept_label, QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        calm_style.role(accept, "primary")
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
    """'I slipped — I contacted them': compassionate confirmation before the reset, and when."""

    def __init__(
        self, summary: StreakSummary, clock: Clock, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(
            "I contacted them",
            SLIP_QUESTION.format(
                longest=summary.longest_streak_days, total=summary.total_no_contact_days
            ),
            "What happened? (optional, kept private)",
            "Log it and begin again",
            parent,
        )
        layout = self.layout()
        assert isinstance(layout, QtWidgets.QVBoxLayout)
        self.now_radio = QtWidgets.QRadioButton("It happened just now")
        self.earlier_radio = QtWidgets.QRadioButton("It happened earlier:")
        self.now_radio.setChecked(True)
        self.when_edit = MomentEdit(clock)
        self.when_edit.setEnabled(False)
        self.earlier_radio.toggled.connect(self.when_edit.setEnabled)
        for index, widget in enumerate((self.now_radio, self.earlier_radio, self.when_edit)):
            layout.insertWidget(1 + index, widget)

    def when(self) -> datetime | None:
        """When it happened: None for "just now", else the moment typed (validated)."""
        if self.now_radio.isChecked():
            return None
        return self.when_edit.value()

    def accept(self) -> None:
        """Refuse to close while "earlier" is chosen but its date cannot be read."""
        if self.earlier_radio.isChecked() and self.when_edit.value() is None:
            self.when_edit.text_edit.setFocus()
            return
        super().accept()


LogEvent = Callable[[EventKind, "str | None", "datetime | None"], None]
"""Logs an event with its note, at a moment (None: now). The emergency window's keeps the
event when the note cannot be sealed."""


def log_slip(
    tracker: Tracker, parent: QtWidgets.QWidget | None, log_event: LogEvent | None = None
) -> str | None:
    """"I contacted them": confirm kindly, log ``contact``; the words to show after, or None.

    The one slip flow, used by the tray menu, the Today page and the emergency window; each
    shows the returned words its own way.
    """
    dialog = SlipDialog(tracker.summary(), tracker.clock, parent)
    if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
        return None
    (log_event or _plain_log(tracker))(EventKind.CONTACT, dialog.note(), dialog.when())
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
    (log_event or _plain_log(tracker))(EventKind.HOOVER, dialog.note(), None)
    return True


def _plain_log(tracker: Tracker) -> LogEvent:
    def log(kind: EventKind, note: str | None, at: datetime | None) -> None:
        tracker.log(kind, at, note)

    return log
