"""The no-contact count (DESIGN §3): pure computation over events, the clock passed in.

Rules:
- A day count is the number of calendar days between two instants, both read in the user's
  *current* zone. DST never matters: only local dates are compared.
- ``start`` and ``contact`` events are the points where a streak begins. A ``start`` recorded
  later supersedes earlier-recorded resets that lie after its instant: `nocontact start --at X`
  means "no contact began at X", which is how a person corrects the start date.
- History is never deleted: every segment between two resets is a past streak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

from nocontact_desktop.core.streak.events import Event, EventKind
from nocontact_desktop.core.streak.milestones import next_milestone


@dataclass(frozen=True)
class Streak:
    """One streak: from a reset to the next one (or to now, for the current one)."""

    started_at: datetime
    ended_at: datetime | None  # None for the current streak
    days: int
    ended_by: EventKind | None  # what ended it; None for the current streak


@dataclass(frozen=True)
class StreakSummary:
    """What the tray, the main window and `nocontact status` show."""

    started: bool
    streak_days: int
    started_at: datetime | None
    longest_streak_days: int
    total_no_contact_days: int
    next_milestone_days: int | None
    past_streaks: tuple[Streak, ...]


def calendar_days(start: datetime, end: datetime, zone: ZoneInfo) -> int:
    """Calendar days from ``start``'s local date to ``end``'s, never negative."""
    return max(0, (local_date(end, zone) - local_date(start, zone)).days)


def local_date(at: datetime, zone: ZoneInfo) -> date:
    """The calendar date of an instant in ``zone``."""
    return at.astimezone(zone).date()


def effective_resets(events: Iterable[Event]) -> list[Event]:
    """The resets that define streaks, in time order, with superseded ones dropped."""
    resets = [e for e in events if e.kind in (EventKind.START, EventKind.CONTACT)]
    kept: list[Event] = []
    earliest_later_start: datetime | None = None
    for event in sorted(resets, key=lambda e: e.seq, reverse=True):
        if earliest_later_start is not None and event.at > earliest_later_start:
            continue  # a start recorded after it says no contact began before it
        kept.append(event)
        if event.kind is EventKind.START and (
            earliest_later_start is None or event.at < earliest_later_start
        ):
            earliest_later_start = event.at
    kept.sort(key=lambda e: (e.at, e.seq))
    return kept


def summarize(events: Iterable[Event], now: datetime, zone: ZoneInfo) -> StreakSummary:
    """Compute the current streak, longest, total and past streaks at ``now`` in ``zone``.

    Resets that lie after ``now`` (a clock moved back) are ignored rather than counted.
    """
    resets = [e for e in effective_resets(events) if e.at <= now]
    if not resets:
        return StreakSummary(False, 0, None, 0, 0, None, ())
    streaks: list[Streak] = []
    for current, following in pairwise(resets):
        streaks.append(
            Streak(
                current.at,
                following.at,
                calendar_days(current.at, following.at, zone),
                following.kind,
            )
        )
    last = resets[-1]
    days = calendar_days(last.at, now, zone)
    streaks.append(Streak(last.at, None, days, None))
    return StreakSummary(
        started=True,
        streak_days=days,
        started_at=last.at,
        longest_streak_days=max(s.days for s in streaks),
        total_no_contact_days=sum(s.days for s in streaks),
        next_milestone_days=next_milestone(days),
        past_streaks=tuple(streaks[:-1]),
    )


def next_day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """The next instant at which the local date in ``zone`` changes (the next midnight).

    Where a DST change skips midnight, this is the first instant of the new date.
    """
    from datetime import UTC, time, timedelta  # noqa: PLC0415

    today = local_date(now, zone)
    candidate = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    # A skipped midnight maps to an instant whose local date may still be today: step forward.
    while local_date(candidate, zone) == today:
        candidate += timedelta(minutes=15)
    return candidate
