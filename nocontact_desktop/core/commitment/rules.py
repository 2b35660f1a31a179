"""The commitment's rules, pure: which change tightens, which loosens, and the limits.

The helper enforces these (it is the authority); the CLI and the tray use the same table to
say what will happen before they ask. Nothing here does I/O.

=================================  ==========================  ==============================
Change                             Tightens (immediate)        Loosens (pending for the delay)
=================================  ==========================  ==============================
blocked sites                      add a target                remove a target
commitment delay                   a longer delay              a shorter delay (also "none")
pass length limit                  a shorter maximum           a longer maximum
passes per day                     fewer                       more
gated apps                         add an app                  remove an app, pause the gate
browser policies                   on                          off
pending change                     cancel it ("Keep it")       —
=================================  ==========================  ==============================

Gated apps are the person's own processes, so the helper cannot change the gate itself: it
holds a gate change on its trusted clock like any other, marks it ready when it is due, and
the client applies it then (DESIGN §4a, §7).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Final, Literal

from nocontact_desktop.core.errors import BadInput

MINUTES_PER_DAY: Final = 24 * 60
MAX_DELAY_MINUTES: Final = 30 * MINUTES_PER_DAY  # 43,200
DELAY_CHOICES: Final[tuple[tuple[int, str], ...]] = (
    (0, "None"),
    (60, "1 hour"),
    (MINUTES_PER_DAY, "24 hours (suggested)"),
    (3 * MINUTES_PER_DAY, "3 days"),
    (7 * MINUTES_PER_DAY, "7 days"),
)
SUGGESTED_DELAY_MINUTES: Final = MINUTES_PER_DAY
SUGGESTED_DELAY_WHY: Final = (
    "A day is long enough for the urge to pass and a night's sleep to come between the wish "
    "to undo a block and the block coming off — and short enough for real changes of plan."
)
PASS_MAX_CHOICES: Final = (5, 15, 30)
MIN_PASS_MAX: Final = 1
MAX_PASS_MAX: Final = 240
DEFAULT_PASS_MAX: Final = 30
MIN_PASSES_PER_DAY: Final = 0
MAX_PASSES_PER_DAY: Final = 24
DEFAULT_PASSES_PER_DAY: Final = 3
PASS_WINDOW_MINUTES: Final = MINUTES_PER_DAY  # "per day" = the last 24 hours of real time
MIN_COUNTDOWN_SECONDS: Final = 5
MAX_COUNTDOWN_SECONDS: Final = 300
# How long a finished countdown stays good for asking a pass (then the moment starts again).
REFLECT_VALID_SECONDS: Final = 15 * 60

SettingKind = Literal["delay", "pass_max", "passes_per_day", "browser_policies"]
PendingKind = Literal[
    "unblock", "delay", "pass_max", "passes_per_day", "browser_policies", "gate_remove",
    "gate_pause",
]
PENDING_KINDS: Final[tuple[PendingKind, ...]] = (
    "unblock", "delay", "pass_max", "passes_per_day", "browser_policies",
    "gate_remove", "gate_pause",
)
Direction = Literal["tighten", "loosen", "same"]

# The wire/CLI names of the commitment's values and the pending kind each one becomes.
FIELDS: Final[dict[str, SettingKind]] = {
    "delay_minutes": "delay",
    "pass_max_minutes": "pass_max",
    "passes_per_day": "passes_per_day",
    # 1: the helper writes the browsers' system policies (DNS over HTTPS cannot route around
    # the hosts file); 0: it takes them out. Turning them off is a loosening (DESIGN §4a).
    "browser_policies": "browser_policies",
}
_BOUNDS: Final[dict[str, tuple[int, int, str]]] = {
    "delay_minutes": (0, MAX_DELAY_MINUTES, "minutes (30 days)"),
    "pass_max_minutes": (MIN_PASS_MAX, MAX_PASS_MAX, "minutes"),
    "passes_per_day": (MIN_PASSES_PER_DAY, MAX_PASSES_PER_DAY, "passes"),
    "browser_policies": (0, 1, "(0 off, 1 on)"),
}


@dataclass(frozen=True)
class Rule:
    """One line of the rules table (shown in docs and tests)."""

    change: str
    tightens: str
    loosens: str


RULES: Final[tuple[Rule, ...]] = (
    Rule("blocked sites", "add a target", "remove a target"),
    Rule("commitment delay", "a longer delay", "a shorter delay (also none)"),
    Rule("pass length limit", "a shorter maximum", "a longer maximum"),
    Rule("passes per day", "fewer passes", "more passes"),
    Rule("a pending change", "cancel it (Keep it blocked)", "-"),
    Rule("gated apps", "add an app", "remove an app, pause the gate"),
    Rule("blocking", "turn it on", "turn it off from the app"),
    Rule("browser policies", "turn them on", "turn them off"),
)


@dataclass(frozen=True)
class Commitment:
    """The person's commitment, as the helper holds it."""

    delay_minutes: int = 0
    pass_max_minutes: int = DEFAULT_PASS_MAX
    passes_per_day: int = DEFAULT_PASSES_PER_DAY
    browser_policies: int = 1

    def __post_init__(self) -> None:
        for key in FIELDS:
            check_value(key, getattr(self, key))

    def as_dict(self) -> dict[str, int]:
        """``{"delay_minutes", "pass_max_minutes", "passes_per_day", "browser_policies"}``."""
        return {key: int(getattr(self, key)) for key in FIELDS}

    def with_value(self, key: str, value: int) -> Commitment:
        """A copy with ``key`` set to ``value`` (validated)."""
        return replace(self, **{key: check_value(key, value)})


def check_value(key: str, value: object) -> int:
    """``value`` if it is a whole number within the bounds of ``key``; else :class:`BadInput`."""
    if key not in _BOUNDS:
        raise BadInput(f"{key!r} is not part of the commitment: expected {', '.join(FIELDS)}")
    if type(value) is not int:
        raise BadInput(f"{value!r} is not a valid {key}: expected whole minutes or a count")
    low, high, unit = _BOUNDS[key]
    if not low <= value <= high:
        raise BadInput(f"{value} is not a valid {key}: must be from {low} to {high} {unit}")
    return value


def direction(key: str, current: int, proposed: int) -> Direction:
    """Whether setting ``key`` from ``current`` to ``proposed`` tightens or loosens.

    A longer delay and browser policies on tighten; a longer pass or more passes loosen.
    """
    if proposed == current:
        return "same"
    if key in ("delay_minutes", "browser_policies"):
        return "tighten" if proposed > current else "loosen"
    return "tighten" if proposed < current else "loosen"


def split_change(
    current: Commitment, proposed: Mapping[str, int]
) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """(apply now, make pending, unchanged keys) for a requested commitment."""
    now: dict[str, int] = {}
    later: dict[str, int] = {}
    same: list[str] = []
    for key, value in proposed.items():
        check_value(key, value)
        way = direction(key, getattr(current, key), value)
        if way == "tighten":
            now[key] = value
        elif way == "loosen":
            later[key] = value
        else:
            same.append(key)
    return now, later, same


# -- durations ----------------------------------------------------------------------------------

_DURATION: Final = re.compile(r"(\d{1,6})\s*([mhd]?)", re.IGNORECASE)
_UNIT_MINUTES: Final = {"": 1, "m": 1, "h": 60, "d": MINUTES_PER_DAY}


def parse_duration(text: str) -> int:
    """Whole minutes from ``0``, ``2m``, ``90m``, ``24h``, ``3d`` (at most 30 days).

    A bare number is minutes. Anything else is :class:`BadInput` naming the input and why.
    """
    word = text.strip()
    match = _DURATION.fullmatch(word)
    if not match:
        raise BadInput(
            f"{text!r} is not a valid duration: write whole minutes, hours or days "
            "such as 0, 90m, 24h or 3d"
        )
    minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2).lower()]
    if minutes > MAX_DELAY_MINUTES:
        raise BadInput(f"{text!r} is not a valid duration: the longest commitment is 30 days")
    return minutes


def format_duration(minutes: int) -> str:
    """``none``, ``90 minutes``, ``24 hours``, ``3 days``, ``1 day 6 hours``."""
    if minutes <= 0:
        return "none"
    days, rest = divmod(minutes, MINUTES_PER_DAY)
    hours, mins = divmod(rest, 60)
    parts = []
    for amount, unit in ((days, "day"), (hours, "hour"), (mins, "minute")):
        if amount:
            parts.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    return " ".join(parts)


def describe_pending(kind: str, subject: str) -> str:
    """What a pending change does, in words: ``instagram.com unblocks``."""
    if kind == "unblock":
        return f"{subject} unblocks"
    if kind == "delay":
        return f"the commitment delay becomes {subject}"
    if kind == "pass_max":
        return f"passes may last up to {subject}"
    if kind == "passes_per_day":
        return f"passes per day become {subject}"
    if kind == "browser_policies":
        return f"browser policies turn {subject}"
    if kind == "gate_remove":
        return f"{subject} is no longer gated"
    if kind == "gate_pause":
        return f"the app gate pauses for {subject}"
    return f"{kind} {subject}"


def subject_for(key: str, value: int) -> str:
    """The pending entry's subject for a commitment value (shown to people)."""
    if key == "delay_minutes":
        return format_duration(value)
    if key == "pass_max_minutes":
        return format_duration(value)
    if key == "browser_policies":
        return "on" if value else "off"
    return str(value)


def when_text(due: datetime, zone: tzinfo, now: datetime) -> str:
    """How a due time is said: ``Saturday 03:12`` within a week, else ``Sat 14 Mar 03:12``."""
    local = due.astimezone(zone)
    days = (local.date() - now.astimezone(zone).date()).days
    if days == 0:
        return f"today {local:%H:%M}"
    if days == 1:
        return f"tomorrow {local:%H:%M}"
    if 0 < days < 7:
        return f"{local:%A %H:%M}"
    return f"{local:%a %d %b %Y %H:%M}"
