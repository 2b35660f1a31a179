"""One delay-and-reflect flow for blocked sites and gated apps: show the dialog, log once.

The rules (what is shown, what is logged) are core's :class:`ReflectRules`; this keeps one
dialog per attempt key on screen and reports each decision exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from nocontact_desktop.core.reflect.attempts import Attempt, ReflectRules, acknowledgement
from nocontact_desktop.ui.dialogs.reflect_dialog import Acknowledgement, ReflectDialog
from nocontact_desktop.ui.qt import QtCore, Signal

log = logging.getLogger("nocontact.reflect")

Decided = Callable[[str, "int | None"], None]
"""Called with the outcome ("dismissed", "opened" or "settled") and the pass minutes."""


class ReflectFlow(QtCore.QObject):
    """Owns the open reflect dialogs, keyed by :attr:`Attempt.key`."""

    dialog_shown = Signal(str)  # the attempt key, when a dialog becomes visible

    def __init__(self, rules: ReflectRules, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.rules = rules
        self.dialogs: dict[str, ReflectDialog] = {}
        self.last_acknowledgement: Acknowledgement | None = None
        self.pass_max_minutes: int | None = None  # the helper's limit, when known
        # Called with (attempt, countdown seconds) as a dialog appears: the helper starts the
        # same countdown, and no pass is granted before it ends (DESIGN §4a).
        self.on_begin: Callable[[Attempt, int], None] | None = None

    def show(self, attempt: Attempt, on_decided: Decided) -> ReflectDialog:
        """Show the reflect moment for ``attempt``; ``on_decided`` hears the outcome once."""
        existing = self.dialogs.get(attempt.key)
        if existing is not None and attempt.kind == "change":  # one request at a time
            existing.raise_()
            existing.activateWindow()
            return existing
        context = self.rules.context()
        dialog = ReflectDialog(
            attempt,
            context.summary,
            context.reason,
            context.countdown_seconds,
            pass_max_minutes=self.pass_max_minutes,
        )
        if self.on_begin is not None and attempt.kind == "site":
            self.on_begin(attempt, dialog.remaining)

        def decided(outcome: str, minutes: int | None) -> None:
            self._decided(attempt, dialog, outcome, minutes, on_decided)

        dialog.decided.connect(decided)
        self.dialogs[attempt.key] = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        log.info("reflect dialog shown")
        self.dialog_shown.emit(attempt.key)
        return dialog

    def _decided(
        self,
        attempt: Attempt,
        dialog: ReflectDialog,
        outcome: str,
        minutes: int | None,
        on_decided: Decided,
    ) -> None:
        if self.dialogs.get(attempt.key) is dialog:
            del self.dialogs[attempt.key]
        if outcome == "dismissed":
            self.rules.record(attempt, "dismissed", dialog.intention())
            self.acknowledge(acknowledgement(self.rules.turned_away_this_week()))
        elif outcome == "opened":
            self.rules.record(attempt, "opened", dialog.intention())
        on_decided(outcome, minutes)

    def acknowledge(self, text: str) -> None:
        """A calm word after turning away; it closes by itself."""
        self.last_acknowledgement = Acknowledgement(text)
        self.last_acknowledgement.show()

    def settle(self, key: str) -> None:
        """Close the dialog for ``key`` without a decision (its app went away by itself)."""
        dialog = self.dialogs.pop(key, None)
        if dialog is not None:
            dialog.outcome = "settled"
            dialog.close()
