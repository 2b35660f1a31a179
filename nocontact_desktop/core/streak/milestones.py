"""Milestones of the no-contact count (DESIGN §3) and their short texts."""

from __future__ import annotations

FIXED_MILESTONES: tuple[int, ...] = (1, 3, 7, 14, 21, 30, 60, 90, 180, 365)
DAYS_PER_YEAR_MILESTONE = 365  # "then every year": 730, 1095, ... counted in days kept

_TEXTS: dict[int, str] = {
    1: "One day. The first one is the hardest to begin.",
    3: "Three days. The fog is starting to lift.",
    7: "One week of no contact. You kept your word to yourself.",
    14: "Two weeks. Your nervous system is learning a new normal.",
    21: "Three weeks. This is becoming a habit of self-respect.",
    30: "One month. Look how far you have come.",
    60: "Two months. The waves come less often now.",
    90: "Ninety days — the hardest stretch is behind you.",
    180: "Half a year of choosing yourself.",
    365: "One year. You built a life with room to breathe.",
}


def is_milestone(days: int) -> bool:
    """Whether ``days`` kept is a milestone."""
    if days in FIXED_MILESTONES:
        return True
    return days > DAYS_PER_YEAR_MILESTONE and days % DAYS_PER_YEAR_MILESTONE == 0


def next_milestone(days: int) -> int:
    """The first milestone strictly after ``days`` (there is always one: every year)."""
    for m in FIXED_MILESTONES:
        if m > days:
            return m
    return (days // DAYS_PER_YEAR_MILESTONE + 1) * DAYS_PER_YEAR_MILESTONE


def milestones_up_to(days: int) -> list[int]:
    """All milestones reached by a count of ``days``, in order."""
    reached = [m for m in FIXED_MILESTONES if m <= days]
    years = days // DAYS_PER_YEAR_MILESTONE
    reached.extend(DAYS_PER_YEAR_MILESTONE * y for y in range(2, years + 1))
    return reached


def milestone_text(days: int) -> str:
    """A short, warm line for a milestone."""
    if days in _TEXTS:
        return _TEXTS[days]
    years = days // DAYS_PER_YEAR_MILESTONE
    return f"{years} years of no contact. You kept choosing yourself, day after day."
