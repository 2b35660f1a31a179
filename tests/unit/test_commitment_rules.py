"""The commitment's pure rules (DESIGN §4a): durations, the rules table, the trusted clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from nocontact_desktop.core.commitment.elapsed import ElapsedMark, resume_elapsed
from nocontact_desktop.core.commitment.rules import (
    RULES,
    Commitment,
    direction,
    format_duration,
    parse_duration,
    split_change,
    when_text,
)
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.helper_link.protocol import (
    BeginReflect,
    CancelPending,
    GetCommitment,
    ProtocolError,
    SetCommitment,
    decode_request,
    encode_request,
)
from nocontact_desktop.core.settings import commitment_setting, commitment_value

T0 = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("0", 0), ("2m", 2), ("90m", 90), ("24h", 1440), ("3d", 4320), ("30d", 43200), ("45", 45),
     (" 7D ", 10080)],
)
def test_durations_are_whole_minutes(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    ("text", "why"),
    [("31d", "30 days"), ("43201", "30 days"), ("1.5h", "whole"), ("-3m", "whole"),
     ("", "whole"), ("3w", "whole"), ("24 hours", "whole"), ("1e3", "whole")],
)
def test_bad_durations_name_the_input_and_why(text: str, why: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse_duration(text)
    assert repr(text) in str(refused.value) and why in str(refused.value)


def test_format_duration() -> None:
    assert format_duration(0) == "none"
    assert format_duration(90) == "1 hour 30 minutes"
    assert format_duration(1440) == "1 day"
    assert format_duration(3 * 1440) == "3 days"


@pytest.mark.parametrize(
    ("key", "current", "proposed", "way"),
    [
        ("delay_minutes", 60, 1440, "tighten"),  # a longer delay
        ("delay_minutes", 1440, 0, "loosen"),  # a shorter delay, also "none"
        ("pass_max_minutes", 30, 5, "tighten"),  # shorter passes
        ("pass_max_minutes", 15, 30, "loosen"),  # longer passes
        ("passes_per_day", 3, 1, "tighten"),  # fewer passes
        ("passes_per_day", 3, 5, "loosen"),  # more passes
        ("passes_per_day", 3, 3, "same"),
    ],
)
def test_the_rules_table(key: str, current: int, proposed: int, way: str) -> None:
    assert direction(key, current, proposed) == way


def test_a_mixed_request_splits_into_now_and_later() -> None:
    now, later, same = split_change(
        Commitment(60, 30, 3), {"delay_minutes": 1440, "pass_max_minutes": 240, "passes_per_day": 3}
    )
    assert now == {"delay_minutes": 1440}
    assert later == {"pass_max_minutes": 240}
    assert same == ["passes_per_day"]
    with pytest.raises(BadInput):
        split_change(Commitment(), {"delay_minutes": 43201})
    assert {rule.change for rule in RULES} >= {"blocked sites", "commitment delay"}


def test_commitment_defaults_and_bounds() -> None:
    assert Commitment().as_dict() == {
        "delay_minutes": 0, "pass_max_minutes": 30, "passes_per_day": 3, "browser_policies": 1
    }
    with pytest.raises(BadInput):
        Commitment(pass_max_minutes=0)
    with pytest.raises(BadInput):
        Commitment(browser_policies=2)
    # Browser policies off is a loosening (it waits for the delay); on again is immediate.
    assert split_change(Commitment(), {"browser_policies": 0})[1] == {"browser_policies": 0}
    off = Commitment(browser_policies=0)
    assert split_change(off, {"browser_policies": 1})[0] == {"browser_policies": 1}
    with pytest.raises(BadInput):
        Commitment(passes_per_day=True)  # type: ignore[arg-type]


def test_the_trusted_clock_resumes_by_boot_time_or_a_capped_wall_gap() -> None:
    mark = ElapsedMark(100.0, 50.0, "boot-a", T0)
    same = resume_elapsed(mark, boottime=80.0, boot_id="boot-a", wall=T0 + timedelta(days=9),
                          cap_seconds=3600)
    assert (same.elapsed, same.how) == (130.0, "same_boot")  # the wall clock is ignored
    rebooted = resume_elapsed(mark, boottime=3.0, boot_id="boot-b",
                              wall=T0 + timedelta(minutes=10), cap_seconds=3600)
    assert (rebooted.elapsed, rebooted.how) == (700.0, "rebooted")
    capped = resume_elapsed(mark, boottime=3.0, boot_id="boot-b", wall=T0 + timedelta(days=9),
                            cap_seconds=3600)
    assert capped.elapsed == 3700.0
    backwards = resume_elapsed(mark, boottime=3.0, boot_id="boot-b",
                               wall=T0 - timedelta(days=1), cap_seconds=3600)
    assert backwards.elapsed == 100.0
    assert resume_elapsed(None, boottime=1.0, boot_id="x", wall=T0, cap_seconds=0).elapsed == 0


def test_when_text_says_the_day_and_time_in_the_local_zone() -> None:
    zone = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # a Thursday
    assert when_text(datetime(2026, 3, 7, 2, 12, tzinfo=UTC), zone, now) == "Saturday 03:12"
    assert when_text(datetime(2026, 3, 5, 20, 0, tzinfo=UTC), zone, now) == "today 21:00"
    assert when_text(datetime(2026, 3, 6, 20, 0, tzinfo=UTC), zone, now) == "tomorrow 21:00"
    assert when_text(datetime(2026, 3, 20, 20, 0, tzinfo=UTC), zone, now).startswith("Fri 20 Mar")


def test_commitment_settings_map_to_the_helper_and_back() -> None:
    assert commitment_value("commitment_delay", "24h") == ("delay_minutes", 1440)
    assert commitment_value("commitment_delay", "none") == ("delay_minutes", 0)
    assert commitment_value("pass_max_minutes", "15") == ("pass_max_minutes", 15)
    assert commitment_setting("delay_minutes", 4320) == ("commitment_delay", "3d")
    assert commitment_setting("delay_minutes", 90) is None  # set from the command line
    assert commitment_setting("pass_max_minutes", 240) is None


def test_the_new_commands_round_trip_and_are_validated() -> None:
    for request in (
        GetCommitment(),
        SetCommitment(delay_minutes=60),
        SetCommitment(pass_max_minutes=5, passes_per_day=1),
        CancelPending(7),
        BeginReflect(("instagram.com",), 30),
    ):
        assert decode_request(encode_request(request)) == request
    for bad in (
        b'{"v":1,"cmd":"set_commitment"}\n',
        b'{"v":1,"cmd":"set_commitment","delay_minutes":43201}\n',
        b'{"v":1,"cmd":"set_commitment","delay_minutes":1.5}\n',
        b'{"v":1,"cmd":"set_commitment","passes_per_day":true}\n',
        b'{"v":1,"cmd":"cancel_pending","id":0}\n',
        b'{"v":1,"cmd":"begin_reflect","domains":["a.com"],"countdown_seconds":4}\n',
        b'{"v":1,"cmd":"begin_reflect","domains":["a.com"],"countdown_seconds":301}\n',
        b'{"v":1,"cmd":"begin_reflect","domains":[],"countdown_seconds":30}\n',
    ):
        with pytest.raises(ProtocolError):
            decode_request(bad)
