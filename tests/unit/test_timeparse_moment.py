"""Moments people type into the app are read exactly as typed (issue 12: no rewriting)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.timeparse import parse_moment

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 27, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-25", datetime(2026, 12, 24, 23, 0, tzinfo=UTC)),  # Berlin midnight
        ("2026-11-30 21:30", datetime(2026, 11, 30, 20, 30, tzinfo=UTC)),
        ("2026-11-30T21:30", datetime(2026, 11, 30, 20, 30, tzinfo=UTC)),
        ("  2026-3-7   9:05 ", datetime(2026, 3, 7, 8, 5, tzinfo=UTC)),
        ("today 08:15", datetime(2026, 12, 27, 7, 15, tzinfo=UTC)),
        ("Yesterday at 23.40", datetime(2026, 12, 26, 22, 40, tzinfo=UTC)),
        ("2026-03-29 02:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # DST gap moves on
    ],
)
def test_typed_moments_mean_what_was_typed(typed: str, expected: datetime) -> None:
    assert parse_moment(typed, BERLIN, NOW) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("25.12.2026", "write it as 2026-03-07"),
        ("2026-02-30", "no such day"),
        ("2026-11-30 24:10", "is not a time of day"),
        ("2027-01-01", "is in the future"),
        ("today 23:00", "is in the future"),
        ("", "write it as"),
    ],
)
def test_bad_moments_name_the_text_and_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_moment(typed, BERLIN, NOW, label="start")
    assert f"start {typed!r}" in str(caught.value) and reason in str(caught.value)


def test_a_wall_time_in_the_spring_gap_moves_forward_and_autumn_takes_the_first() -> None:
    gap = parse_moment("2026-03-29 02:30", BERLIN, NOW)
    assert gap.astimezone(BERLIN).strftime("%H:%M") == "03:30"
    twice = parse_moment("2026-10-25 02:30", BERLIN, NOW)
    assert twice == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30 (CEST)
