"""The urge flow's pure logic: timer, breathing pacer, sealing, intentions, templates, reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.journal.reach import classify_reach
from nocontact_desktop.core.journal.urge import (
    BOX_BREATHING,
    BREATHING_4_7_8,
    DEFAULT_URGE_MINUTES,
    INTENTIONS,
    LOGISTICS_TEMPLATES,
    SEAL_24_HOURS,
    SEAL_30_DAYS,
    UrgeTimer,
    breath_at,
    encouragement,
    format_remaining,
    intention_by_key,
    is_readable,
    logistics_hints,
    pattern_by_key,
    sealed_until,
)

NOW = datetime(2026, 3, 8, 2, 0, tzinfo=UTC)


def test_timer_defaults_to_15_minutes_and_counts_down_on_the_given_clock() -> None:
    timer = UrgeTimer()
    assert timer.minutes == DEFAULT_URGE_MINUTES == 15
    assert not timer.running
    assert timer.remaining(5000.0) == 900.0
    timer.start(1000.0)
    assert timer.remaining(1000.0) == 900.0
    assert timer.remaining(1000.0 + 61) == 839.0
    assert format_remaining(timer.remaining(1000.0 + 61)) == "13:59"
    assert timer.progress(1450.0) == pytest.approx(0.5)
    assert not timer.finished(1899.0)
    assert timer.finished(1900.0)
    assert timer.remaining(99999.0) == 0.0
    assert timer.remaining(900.0) == 900.0  # a clock before the start never adds time
    timer.set_minutes(20)  # extend while running: the start stays
    assert timer.remaining(1900.0) == 300.0
    timer.stop()
    assert not timer.running and not timer.finished(1e9)


@pytest.mark.parametrize("minutes", [0, -5, 61, 1000])
def test_timer_length_is_1_to_60_minutes(minutes: int) -> None:
    with pytest.raises(BadInput, match=rf"timer length {minutes} minutes"):
        UrgeTimer(minutes)
    with pytest.raises(BadInput, match="between 1 and 60"):
        UrgeTimer().set_minutes(minutes)


def test_format_remaining_rounds_up() -> None:
    assert format_remaining(0.0) == "0:00"
    assert format_remaining(0.2) == "0:01"
    assert format_remaining(59.5) == "1:00"
    assert format_remaining(3600.0) == "60:00"


def test_box_breathing_phases() -> None:
    expected = [
        (0.0, "Breathe in", 0.0),
        (2.0, "Breathe in", 0.5),
        (4.0, "Hold", 0.0),
        (6.0, "Hold", 0.5),
        (8.0, "Breathe out", 0.0),
        (12.0, "Hold", 0.0),
        (15.0, "Hold", 0.75),
        (16.0, "Breathe in", 0.0),
    ]
    for elapsed, name, progress in expected:
        state = breath_at(BOX_BREATHING, elapsed)
        assert (state.name, state.progress) == (name, pytest.approx(progress)), elapsed
    assert breath_at(BOX_BREATHING, 4.0).fullness == 1.0
    assert breath_at(BOX_BREATHING, 13.0).fullness == 0.0
    assert breath_at(BOX_BREATHING, 13.0).kind == "hold_out"
    assert breath_at(BOX_BREATHING, 16.0).breath == 1
    assert breath_at(BOX_BREATHING, -3).name == "Breathe in"


def test_4_7_8_phases() -> None:
    assert BREATHING_4_7_8.cycle_seconds == 19
    assert breath_at(BREATHING_4_7_8, 3.9).name == "Breathe in"
    assert breath_at(BREATHING_4_7_8, 4.0).name == "Hold"
    assert breath_at(BREATHING_4_7_8, 10.9).seconds_left == pytest.approx(0.1)
    assert breath_at(BREATHING_4_7_8, 11.0).name == "Breathe out"
    assert breath_at(BREATHING_4_7_8, 15.0).progress == pytest.approx(0.5)
    assert breath_at(BREATHING_4_7_8, 19.0).name == "Breathe in"  # no hold after breathing out
    assert pattern_by_key("4-7-8") is BREATHING_4_7_8
    with pytest.raises(BadInput, match="'square'"):
        pattern_by_key("square")


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=10_000, allow_nan=False))
def test_pacer_state_is_always_in_range_and_continuous(elapsed: float) -> None:
    for pattern in (BOX_BREATHING, BREATHING_4_7_8):
        state = breath_at(pattern, elapsed)
        assert 0.0 <= state.progress <= 1.0
        assert 0.0 <= state.fullness <= 1.0
        later = breath_at(pattern, elapsed + 0.01)
        assert abs(later.fullness - state.fullness) < 0.02  # the circle never jumps


def test_sealing_durations_and_readability() -> None:
    assert sealed_until(NOW, None) is None
    until = sealed_until(NOW, SEAL_24_HOURS)
    assert until == NOW + timedelta(hours=24)
    assert sealed_until(NOW, SEAL_30_DAYS) == NOW + timedelta(days=30)
    assert is_readable(None, NOW)
    assert not is_readable(until, NOW + timedelta(hours=23, minutes=59))
    assert is_readable(until, until)
    with pytest.raises(BadInput, match="positive"):
        sealed_until(NOW, timedelta(0))


def test_intentions_lead_somewhere_and_practical_goes_to_logistics() -> None:
    assert len({i.key for i in INTENTIONS}) == len(INTENTIONS) >= 4
    assert intention_by_key("practical").route == "logistics"
    for intention in INTENTIONS:
        assert intention.reflection and intention.route_label
    with pytest.raises(BadInput, match="'revenge'"):
        intention_by_key("revenge")


def test_logistics_templates_are_brief_and_impersonal() -> None:
    assert any("pickup" in t.text and "Saturday 10:00" in t.text for t in LOGISTICS_TEMPLATES)
    for template in LOGISTICS_TEMPLATES:
        assert len(template.text) <= 280
        hints = logistics_hints(template.text.replace("[", "").replace("]", ""))
        assert hints == [], (template.key, hints)
    assert logistics_hints("Re: Mia pickup — I can do Saturday 10:00.") == []
    assert logistics_hints("") == ["Write the one practical thing this message is about."]
    assert any("[brackets]" in h for h in logistics_hints(LOGISTICS_TEMPLATES[0].text))
    personal = logistics_hints("I'm sorry, I miss you. Why did it end? Can we talk? Please?")
    assert any("“sorry”" in h and "“miss”" in h for h in personal)
    assert any("questions" in h for h in personal)
    assert any("characters long" in h for h in logistics_hints("Re: pickup. " * 40))
    assert logistics_hints("Missions trip on Saturday.") == []  # whole words only


def test_encouragement_counts_urges() -> None:
    first = encouragement(1, 12)
    assert "first urge" in first and "Day 12" in first
    assert "5 urges" in encouragement(5, 0)
    assert "Day" not in encouragement(5, 0)


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("+44 7700 900123", "phone", "+447700900123"),
        ("(555) 010-0199", "phone", "5550100199"),
        ("tel:+1 555 0100", "phone", "+15550100"),
        ("https://signal.me/#p/+4477", "link", "https://signal.me/#p/+4477"),
        ("wa.me/4477009", "link", "https://wa.me/4477009"),
        ("sam@example.org", "email", "mailto:sam@example.org"),
        ("mailto:sam@example.org", "email", "mailto:sam@example.org"),
        ("file:///etc/passwd", "text", "file:///etc/passwd"),
        ("javascript:alert(1)", "text", "javascript:alert(1)"),
        ("ask at the café", "text", "ask at the café"),
        ("12", "text", "12"),
    ],
)
def test_reach_is_classified_and_only_web_or_mail_opens(typed: str, kind: str, value: str) -> None:
    reach = classify_reach(typed)
    assert (reach.kind, reach.value) == (kind, value)
    assert reach.opens == (kind in ("link", "email"))
