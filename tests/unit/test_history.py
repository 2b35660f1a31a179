"""The History window's data: per-day cells, the week grid, and the figures beside them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from nocontact_desktop.core.journal.entries import Journal
from nocontact_desktop.core.streak.count import summarize
from nocontact_desktop.core.streak.events import Event, EventKind
from nocontact_desktop.core.streak.history import (
    DayKind,
    count_per_day,
    day_cells,
    load_cells,
    load_history,
    month_columns,
    week_grid,
    year_range,
)
from nocontact_desktop.core.streak.tracker import Tracker
from tests.helpers.fakes import clock_at, make_store

BERLIN = ZoneInfo("Europe/Berlin")


def ev(kind: EventKind, when: str, seq: int) -> Event:
    return Event(kind, datetime.fromisoformat(when).astimezone(UTC), seq=seq)


def test_cells_mark_kept_slip_untracked_and_today() -> None:
    resets = [
        ev(EventKind.START, "2026-03-03T09:00+01:00", 1),
        ev(EventKind.CONTACT, "2026-03-06T23:30+01:00", 2),  # late evening, local date 6th
    ]
    activity = [
        ev(EventKind.URGE, "2026-03-05T02:00+01:00", 3),
        ev(EventKind.URGE, "2026-03-05T03:00+01:00", 4),
        ev(EventKind.HOOVER, "2026-03-07T12:00+01:00", 5),
    ]
    now = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
    cells = day_cells(
        resets, first=date(2026, 3, 1), last=date(2026, 3, 31), now=now, zone=BERLIN,
        intensities={date(2026, 3, 5): 9},
        urges=count_per_day(activity, EventKind.URGE, BERLIN),
        hoovers=count_per_day(activity, EventKind.HOOVER, BERLIN),
    )
    kinds = {c.day.day: c.kind for c in cells}
    assert cells[-1].day == date(2026, 3, 9) and cells[-1].today  # never past today
    assert kinds[1] == kinds[2] == DayKind.UNTRACKED
    assert kinds[3] == kinds[4] == kinds[5] == DayKind.KEPT  # [start date, slip date)
    assert kinds[6] == DayKind.SLIP
    assert kinds[7] == kinds[8] == kinds[9] == DayKind.KEPT  # the new streak, through today
    by_day = {c.day.day: c for c in cells}
    assert (by_day[5].urges, by_day[5].intensity) == (2, 9)
    assert by_day[7].hoovers == 1 and by_day[4].intensity is None


def test_a_corrected_start_supersedes_the_contact_it_covers() -> None:
    resets = [
        ev(EventKind.CONTACT, "2026-03-05T12:00+00:00", 1),
        ev(EventKind.START, "2026-03-01T12:00+00:00", 2),  # "no contact began on the 1st"
    ]
    now = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    cells = day_cells(resets, first=date(2026, 3, 1), last=date(2026, 3, 8), now=now, zone=BERLIN)
    assert all(c.kind is DayKind.KEPT for c in cells)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=400), min_size=0, max_size=8),
    st.sampled_from(["UTC", "Europe/Berlin", "America/Santiago", "Australia/Lord_Howe"]),
)
def test_kept_days_of_the_current_streak_match_the_count(gaps: list[int], zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    start = datetime(2023, 1, 1, 15, 0, tzinfo=UTC)
    resets = [Event(EventKind.START, start, seq=1)]
    at = start
    for index, gap in enumerate(gaps):
        at += timedelta(days=gap, hours=3)
        resets.append(Event(EventKind.CONTACT, at, seq=index + 2))
    now = at + timedelta(days=37, hours=5)
    summary = summarize(resets, now, zone)
    today = now.astimezone(zone).date()
    cells = day_cells(resets, first=start.astimezone(zone).date(), last=today, now=now, zone=zone)
    current_start = summary.started_at
    assert current_start is not None
    current = [c for c in cells if c.day > current_start.astimezone(zone).date()]
    assert all(c.kind is DayKind.KEPT for c in current)
    assert len(current) == summary.streak_days  # the days after the start, through today
    slips = sum(c.kind is DayKind.SLIP for c in cells)
    assert slips == len({r.at.astimezone(zone).date() for r in resets[1:]})


def test_week_grid_and_month_labels() -> None:
    cells = day_cells(
        [ev(EventKind.START, "2025-01-01T00:00+00:00", 1)],
        first=date(2026, 3, 4), last=date(2026, 4, 2),
        now=datetime(2026, 6, 1, tzinfo=UTC), zone=ZoneInfo("UTC"),
    )
    grid = week_grid(cells)  # Monday on top
    assert (grid[0].column, grid[0].row) == (0, 2)  # 4 March 2026 is a Wednesday
    assert (grid[5].column, grid[5].row) == (1, 0)  # Monday 9 March starts the next column
    sunday_first = week_grid(cells, first_weekday=6)
    assert sunday_first[0].row == 3
    assert month_columns(grid) == [(4, date(2026, 4, 1))]


def test_year_range_is_exactly_a_year_even_on_29_february() -> None:
    assert year_range(date(2026, 3, 8)) == (date(2025, 3, 9), date(2026, 3, 8))
    assert year_range(date(2026, 3, 8), 2) == (date(2023, 3, 9), date(2024, 3, 8))
    first, last = year_range(date(2028, 2, 29))
    assert last == date(2028, 2, 29) and first == date(2027, 3, 1)


def test_load_history_counts_and_cells_from_the_store(data_dir: Path) -> None:
    store = make_store(data_dir)
    clock = clock_at("2026-03-08T21:00:00+01:00", "Europe/Berlin")
    tracker = Tracker(store, clock)
    tracker.start(clock.now() - timedelta(days=30))
    tracker.log(EventKind.CONTACT, clock.now() - timedelta(days=10))
    for _ in range(3):
        tracker.log(EventKind.URGE, clock.now() - timedelta(days=2))
    tracker.log(EventKind.HOOVER)
    tracker.log(EventKind.LOGISTICS)
    for outcome in ("dismissed", "dismissed", "opened"):
        tracker.log(EventKind.BLOCKED_ATTEMPT, outcome=outcome, subject="instagram.com")
    Journal(store, clock).record_check_in(6)
    tracker.due_milestone()

    summary = load_history(store, clock.now(), clock.zone())
    assert summary.streak.streak_days == 10
    assert summary.streak.longest_streak_days == 20
    assert (summary.urges_ridden_out, summary.hoovers_ignored) == (3, 1)
    assert summary.blocked_turned_away == 2
    assert summary.check_ins == 1
    assert [days for _s, days, _n in summary.milestones] == [1, 3, 7]
    assert summary.first_day == date(2026, 2, 6)

    first, last = year_range(date(2026, 3, 8))
    cells = load_cells(store, first, last, now=clock.now(), zone=clock.zone())
    assert len(cells) == 365
    today = cells[-1]
    assert today.today and today.intensity == 6 and today.hoovers == 1
    assert cells[-3].urges == 3
    assert sum(c.kind is DayKind.SLIP for c in cells) == 1
    store.close()


@settings(max_examples=40, deadline=None)
@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 1, 1)),
    st.sampled_from(["UTC", "Europe/Berlin", "America/Santiago", "Asia/Beirut", "Pacific/Chatham"]),
)
def test_fast_midnights_match_local_midnight(first: date, zone_name: str) -> None:
    from nocontact_desktop.core.storage.store import to_us
    from nocontact_desktop.core.streak.history import _midnights_us, local_midnight

    zone = ZoneInfo(zone_name)
    fast = _midnights_us(first, 40, zone)
    slow = [to_us(local_midnight(first + timedelta(days=i), zone)) for i in range(40)]
    assert fast == slow
