"""The streak rules of DESIGN §3, with examples and property tests over zones and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from nocontact_desktop.core.streak.count import (
    calendar_days,
    effective_resets,
    local_date,
    next_day_start,
    summarize,
)
from nocontact_desktop.core.streak.events import Event, EventKind

BERLIN = ZoneInfo("Europe/Berlin")
# Zones with DST (incl. half-hour DST and southern hemisphere) and without. Pacific/Apia is
# left out on purpose: in 2011 its calendar itself skipped a day, which no count can hide.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/St_Johns",
    "Asia/Tehran",
    "Pacific/Chatham",
]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def ev(kind: EventKind, when: str, seq: int) -> Event:
    return Event(kind, at(when), seq=seq)


def test_design_example_reads_one_on_the_next_day() -> None:
    start = [ev(EventKind.START, "2026-03-07T09:00+01:00", 1)]
    for moment in ("2026-03-08T00:00:30+01:00", "2026-03-08T23:59:59+01:00"):
        assert summarize(start, at(moment), BERLIN).streak_days == 1
    assert summarize(start, at("2026-03-07T23:59+01:00"), BERLIN).streak_days == 0
    assert summarize(start, at("2026-03-09T00:00+01:00"), BERLIN).streak_days == 2


def test_dst_spring_forward_and_fall_back_count_one_day_each() -> None:
    start = [ev(EventKind.START, "2026-03-28T12:00+01:00", 1)]
    # 2026-03-29: clocks go forward in Berlin; the day is 23 hours long but still one day.
    assert summarize(start, at("2026-03-29T12:00+02:00"), BERLIN).streak_days == 1
    assert summarize(start, at("2026-03-30T00:30+02:00"), BERLIN).streak_days == 2
    fall = [ev(EventKind.START, "2026-10-24T23:30+02:00", 1)]
    assert summarize(fall, at("2026-10-25T23:30+01:00"), BERLIN).streak_days == 1


def test_not_started_and_future_resets_are_ignored() -> None:
    empty = summarize([], at("2026-01-01T00:00Z"), BERLIN)
    assert not empty.started
    assert empty.streak_days == 0
    assert empty.next_milestone_days is None
    future = [ev(EventKind.START, "2027-01-01T00:00Z", 1)]
    assert not summarize(future, at("2026-01-01T00:00Z"), BERLIN).started


def test_contact_resets_and_history_is_kept() -> None:
    events = [
        ev(EventKind.START, "2026-01-01T10:00Z", 1),
        ev(EventKind.HOOVER, "2026-01-05T10:00Z", 2),
        ev(EventKind.LOGISTICS, "2026-01-06T10:00Z", 3),
        ev(EventKind.CONTACT, "2026-01-11T10:00Z", 4),
    ]
    summary = summarize(events, at("2026-01-14T10:00Z"), ZoneInfo("UTC"))
    assert summary.streak_days == 3
    assert summary.longest_streak_days == 10
    assert summary.total_no_contact_days == 13
    assert summary.next_milestone_days == 7
    assert [s.days for s in summary.past_streaks] == [10]
    assert summary.past_streaks[0].ended_by is EventKind.CONTACT


def test_a_later_start_corrects_an_earlier_start_date() -> None:
    events = [
        ev(EventKind.START, "2026-02-01T10:00Z", 1),  # onboarding default: "now"
        ev(EventKind.START, "2026-01-20T08:00Z", 2),  # corrected to the real beginning
    ]
    summary = summarize(events, at("2026-02-01T10:05Z"), ZoneInfo("UTC"))
    assert summary.started_at == at("2026-01-20T08:00Z")
    assert summary.streak_days == 12
    assert summary.past_streaks == ()


def test_a_later_start_after_a_gap_keeps_the_earlier_streak() -> None:
    events = [
        ev(EventKind.START, "2026-01-01T10:00Z", 1),
        ev(EventKind.START, "2026-02-01T10:00Z", 2),
    ]
    summary = summarize(events, at("2026-02-03T10:00Z"), ZoneInfo("UTC"))
    assert summary.streak_days == 2
    assert summary.longest_streak_days == 31
    assert [r.seq for r in effective_resets(events)] == [1, 2]


def test_next_day_start_is_the_local_midnight() -> None:
    now = at("2026-03-28T22:00+01:00")
    assert next_day_start(now, BERLIN) == at("2026-03-29T00:00+01:00")
    santiago = ZoneInfo("America/Santiago")  # DST begins at 24:00: midnight does not exist
    moment = datetime(2026, 9, 5, 22, 0, tzinfo=santiago).astimezone(UTC)
    boundary = next_day_start(moment, santiago)
    assert local_date(boundary, santiago) != local_date(moment, santiago)
    assert local_date(boundary - timedelta(seconds=1), santiago) == local_date(moment, santiago)


instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=150, deadline=None)
@given(start=instants, zone=st.sampled_from(ZONES), hours=st.integers(1, 24 * 120))
def test_count_never_skips_or_repeats_a_day(start: datetime, zone: str, hours: int) -> None:
    tz = ZoneInfo(zone)
    events = [Event(EventKind.START, start, seq=1)]
    previous = summarize(events, start, tz).streak_days
    assert previous == 0
    step = timedelta(minutes=37)  # not a divisor of an hour: lands near every boundary
    moment = start
    end = start + timedelta(hours=hours)
    while moment < end:
        moment += step
        current = summarize(events, moment, tz)
        assert current.streak_days >= 0
        expected = (local_date(moment, tz) - local_date(start, tz)).days
        assert current.streak_days == expected
        assert current.streak_days - previous in (0, 1)  # never skips, never repeats
        previous = current.streak_days


@settings(max_examples=150, deadline=None)
@given(
    start=instants,
    zone=st.sampled_from(ZONES),
    steps=st.lists(
        st.tuples(
            st.sampled_from(list(EventKind)), st.integers(min_value=0, max_value=90 * 24 * 60)
        ),
        max_size=25,
    ),
)
def test_contact_restarts_and_longest_and_total_never_decrease(
    start: datetime, zone: str, steps: list[tuple[EventKind, int]]
) -> None:
    tz = ZoneInfo(zone)
    events = [Event(EventKind.START, start, seq=1)]
    moment = start
    last = summarize(events, moment, tz)
    for seq, (kind, minutes) in enumerate(steps, start=2):
        moment += timedelta(minutes=minutes)
        events.append(Event(kind, moment, seq=seq))
        summary = summarize(events, moment, tz)
        assert summary.streak_days >= 0
        if kind in (EventKind.CONTACT, EventKind.START):
            assert summary.streak_days == 0
            assert summary.started_at == moment
        else:
            assert summary.started_at == last.started_at
        assert summary.longest_streak_days >= last.longest_streak_days
        assert summary.total_no_contact_days >= last.total_no_contact_days
        assert summary.longest_streak_days >= summary.streak_days
        # The total is the sum of all streaks; with resets in time order that is every day
        # since the first start (a contact day opens the new streak as its day 0).
        past = sum(s.days for s in summary.past_streaks)
        assert summary.total_no_contact_days == past + summary.streak_days
        assert summary.total_no_contact_days == calendar_days(start, moment, tz)
        last = summary
