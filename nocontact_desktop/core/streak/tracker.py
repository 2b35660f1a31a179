"""The no-contact tracker: the store, the clock and the streak rules together.

The CLI and the tray app both go through this class, so they always agree.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.streak.count import StreakSummary, summarize
from nocontact_desktop.core.streak.events import Event, EventKind
from nocontact_desktop.core.streak.milestones import milestones_up_to
from nocontact_desktop.core.timeparse import require_not_future, to_local_iso

MAX_NOTE_CHARS = 20_000


class Tracker:
    """Records events and answers "how many days?" for the current moment of ``clock``."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def summary(self) -> StreakSummary:
        """The streak figures right now, in the user's current zone."""
        return summarize(self.store.reset_events(), self.clock.now(), self.clock.zone())

    def start(self, at: datetime | None = None, note: str | None = None) -> Event:
        """(Re)start the count at ``at`` (default now); a time in the future is refused."""
        return self.log(EventKind.START, at, note)

    def log(
        self,
        kind: EventKind,
        at: datetime | None = None,
        note: str | None = None,
        *,
        outcome: str | None = None,
        subject: str | None = None,
    ) -> Event:
        """Record an event of ``kind`` at ``at`` (default now)."""
        now = self.clock.now()
        when = now if at is None else at
        require_not_future(when, now)
        if note is not None:
            note = note.strip() or None
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise BadInput(f"--note: too long ({len(note)} characters, at most {MAX_NOTE_CHARS})")
        return self.store.add_event(
            kind,
            when,
            tz=self.clock.zone().key,
            note=note,
            outcome=outcome,
            subject=subject,
            recorded_at=now,
        )

    def due_milestone(self) -> int | None:
        """The milestone reached today, if not shown yet; every reached one is marked shown.

        Milestones passed earlier (a backdated start, days the app was closed) are marked
        quietly: a "Day 30" balloon on day 40 would be stale, and a pile of them worse.
        """
        summary = self.summary()
        if not summary.started or summary.started_at is None:
            return None
        reached = milestones_up_to(summary.streak_days)
        unseen = [m for m in reached if not self.store.milestone_notified(summary.started_at, m)]
        if not unseen:
            return None
        now = self.clock.now()
        newly_marked = [
            m for m in unseen if self.store.mark_milestone_notified(summary.started_at, m, now)
        ]
        return summary.streak_days if summary.streak_days in newly_marked else None

    def status(self) -> dict[str, Any]:
        """The JSON of ``nocontact status --json`` (DESIGN §9)."""
        summary = self.summary()
        zone = self.clock.zone()
        return {
            "started": summary.started,
            "streak_days": summary.streak_days,
            "started_at": (
                to_local_iso(summary.started_at, zone) if summary.started_at is not None else None
            ),
            "longest_streak_days": summary.longest_streak_days,
            "total_no_contact_days": summary.total_no_contact_days,
            "next_milestone_days": summary.next_milestone_days,
            "past_streaks": len(summary.past_streaks),
            "time_zone": zone.key,
            "now": to_local_iso(self.clock.now(), zone),
        }
