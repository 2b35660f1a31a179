"""What the History window shows, computed without Qt (issue 5).

* :func:`day_cells` — one cell per local date: kept, a slip, or not tracked yet; the day's
  check-in strength; how many urges were ridden out and hoovers ignored that day.
* :func:`week_grid` — where each cell sits in a calendar of week columns.
* :func:`load_history` / :func:`load_cells` — read just what is needed from the store: the
  reset events (few), counts done by SQLite, and only the shown year's other events.

Day rules (they match the count, DESIGN §3): a streak keeps the days from its start date up
to, not including, the date that ended it; the current streak keeps its start date up to
today. A day with a ``contact`` is a slip, whatever else happened on it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from nocontact_desktop.core.journal.entries import read_intensities
from nocontact_desktop.core.storage.store import Store, to_us
from nocontact_desktop.core.streak.count import (
    StreakSummary,
    effective_resets,
    local_date,
    summarize,
)
from nocontact_desktop.core.streak.events import Event, EventKind

DISMISSED = "dismissed"  # the blocked_attempt outcome for "Close — I'm staying strong"


class DayKind(StrEnum):
    """What a day was."""

    UNTRACKED = "untracked"  # before the count began
    KEPT = "kept"
    SLIP = "slip"


@dataclass(frozen=True)
class DayCell:
    """One day of the heatmap."""

    day: date
    kind: DayKind
    intensity: int | None = None  # check-in 0-10, None without one
    urges: int = 0
    hoovers: int = 0
    today: bool = False


def _streak_spans(
    resets: Sequence[Event], now: datetime, zone: ZoneInfo
) -> list[tuple[date, date]]:
    """Kept spans as ``[start, end)`` local dates; the last one ends after today."""
    effective = [e for e in effective_resets(resets) if e.at <= now]
    spans: list[tuple[date, date]] = []
    for index, reset in enumerate(effective):
        start = local_date(reset.at, zone)
        if index + 1 < len(effective):
            end = local_date(effective[index + 1].at, zone)
        else:
            end = local_date(now, zone) + timedelta(days=1)
        if end > start:
            spans.append((start, end))
    return spans


def day_cells(
    resets: Iterable[Event],
    *,
    first: date,
    last: date,
    now: datetime,
    zone: ZoneInfo,
    intensities: Mapping[date, int] | None = None,
    urges: Mapping[date, int] | None = None,
    hoovers: Mapping[date, int] | None = None,
) -> list[DayCell]:
    """Cells for every date in ``[first, last]`` (clipped to today), oldest first.

    ``resets`` must hold every ``start``/``contact`` event (streaks depend on all of them);
    the per-day mappings (check-in strength, urges ridden out, hoovers) need only the range.
    """
    intensities = intensities or {}
    urges = urges or {}
    hoovers = hoovers or {}
    today = local_date(now, zone)
    last = min(last, today)
    if last < first:
        return []
    reset_list = list(resets)
    spans = _streak_spans(reset_list, now, zone)
    span_starts = [s for s, _ in spans]
    effective = effective_resets(reset_list)
    slips = {
        local_date(e.at, zone)
        for e in effective
        if e.kind is EventKind.CONTACT and e.at <= now
    }
    cells: list[DayCell] = []
    day = first
    one = timedelta(days=1)
    while day <= last:
        if day in slips:
            kind = DayKind.SLIP
        else:
            index = bisect_right(span_starts, day) - 1
            kept = index >= 0 and day < spans[index][1]
            kind = DayKind.KEPT if kept else DayKind.UNTRACKED
        cells.append(
            DayCell(
                day, kind, intensities.get(day), urges.get(day, 0), hoovers.get(day, 0),
                day == today,
            )
        )
        day += one
    return cells


def count_per_day(events: Iterable[Event], kind: EventKind, zone: ZoneInfo) -> Counter[date]:
    """How many events of ``kind`` fell on each local date."""
    return Counter(local_date(e.at, zone) for e in events if e.kind is kind)


_EPOCH_DATE = date(1970, 1, 1)
_DAY_US = 86_400_000_000


def _midnights_us(first: date, count: int, zone: ZoneInfo) -> list[int]:
    """The first instant of ``count`` days from ``first`` in ``zone``, as epoch microseconds.

    Same instants as :func:`local_midnight` (a midnight skipped by DST resolves the same way),
    without building an aware datetime per day.
    """
    result = []
    for offset in range(count):
        day = first + timedelta(days=offset)
        utc_offset = zone.utcoffset(datetime(day.year, day.month, day.day))
        assert utc_offset is not None
        wall_us = (day - _EPOCH_DATE).days * _DAY_US
        result.append(wall_us - (utc_offset // timedelta(microseconds=1)))
    return result


def _count_per_local_day(
    rows: Iterable[tuple[str, int]], first: date, last: date, zone: ZoneInfo
) -> dict[str, Counter[date]]:
    """``(kind, at_us)`` rows counted per kind and local date in ``[first, last]``."""
    # One local-midnight boundary per day, then a binary search per event: far cheaper than
    # converting every instant to a local date, and exact across DST changes.
    days = (last - first).days + 1
    bounds = _midnights_us(first, days + 1, zone)
    by_index: defaultdict[str, Counter[int]] = defaultdict(Counter)
    for kind, at in rows:
        index = bisect_right(bounds, at) - 1
        if 0 <= index < days:
            by_index[kind][index] += 1
    return {
        kind: Counter({first + timedelta(days=i): n for i, n in found.items()})
        for kind, found in by_index.items()
    }


@dataclass(frozen=True)
class GridCell:
    """Where a day sits: ``column`` is the week (0 = oldest), ``row`` the weekday."""

    column: int
    row: int
    cell: DayCell


def week_grid(cells: Sequence[DayCell], first_weekday: int = 0) -> list[GridCell]:
    """Lay cells out in week columns; ``first_weekday`` 0 = Monday … 6 = Sunday on top."""
    if not cells:
        return []
    origin = cells[0].day
    offset = (origin.weekday() - first_weekday) % 7
    placed = []
    for cell in cells:
        index = (cell.day - origin).days + offset
        placed.append(GridCell(index // 7, index % 7, cell))
    return placed


def month_columns(grid: Sequence[GridCell]) -> list[tuple[int, date]]:
    """(column, first of month) for each month that starts inside the grid, for labels."""
    found = []
    for placed in grid:
        if placed.cell.day.day == 1:
            found.append((placed.column, placed.cell.day))
    return found


def year_range(today: date, years_back: int = 0) -> tuple[date, date]:
    """The 12 months shown: ending today (``years_back`` = 0) or that many years earlier.

    The range starts the day after the same date a year before, so it is exactly a year.
    """
    last = _shift_years(today, -years_back)
    first = _shift_years(last, -1) + timedelta(days=1)
    return first, last


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class HistorySummary:
    """The figures beside the heatmap."""

    streak: StreakSummary
    urges_ridden_out: int
    hoovers_ignored: int
    blocked_turned_away: int
    check_ins: int
    milestones: list[tuple[datetime, int, datetime]]  # (streak start, days, when)
    first_day: date | None  # the earliest tracked date: how far back "Earlier" may go
    resets: tuple[Event, ...] = ()  # the start/contact events, for the heatmap


def load_history(store: Store, now: datetime, zone: ZoneInfo) -> HistorySummary:
    """Streaks, counts and milestones: a handful of indexed queries, no free text opened."""
    resets = store.reset_events()
    counts = store.count_by_kind()
    outcomes = store.count_outcomes(EventKind.BLOCKED_ATTEMPT)
    check_ins = int(store.connection.execute("SELECT COUNT(*) FROM check_ins").fetchone()[0])
    first = min((local_date(e.at, zone) for e in resets), default=None)
    return HistorySummary(
        streak=summarize(resets, now, zone),
        urges_ridden_out=counts[EventKind.URGE],
        hoovers_ignored=counts[EventKind.HOOVER],
        blocked_turned_away=outcomes.get(DISMISSED, 0),
        check_ins=check_ins,
        milestones=store.milestones_notified(),
        first_day=first,
        resets=tuple(resets),
    )


def load_cells(
    store: Store,
    first: date,
    last: date,
    *,
    now: datetime,
    zone: ZoneInfo,
    resets: Sequence[Event] | None = None,
) -> list[DayCell]:
    """The cells of ``[first, last]``, reading only that range's urges, hoovers, check-ins
    (as bare ``(kind, time)`` rows: no event objects are built)."""
    all_resets = store.reset_events() if resets is None else resets
    since = to_us(local_midnight(first, zone))
    until = to_us(local_midnight(last + timedelta(days=1), zone))
    rows = store.connection.execute(
        "SELECT kind, at_us FROM events WHERE kind IN (?, ?) AND at_us >= ? AND at_us < ?",
        (EventKind.URGE.value, EventKind.HOOVER.value, since, until),
    ).fetchall()
    counts = _count_per_local_day(rows, first, last, zone)
    return day_cells(
        all_resets,
        first=first,
        last=last,
        now=now,
        zone=zone,
        intensities=read_intensities(store, first, last),
        urges=counts.get(EventKind.URGE.value),
        hoovers=counts.get(EventKind.HOOVER.value),
    )
