"""The "I want to text them" flow, as pure logic (DESIGN §6): timer, breathing, words.

Nothing here reads the time by itself: the urge timer is given monotonic seconds, the pacer
elapsed seconds, sealing an instant. The window only draws what these functions return.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from nocontact_desktop.core.errors import BadInput

# -- the urge timer -------------------------------------------------------------------------

# Urges rise and fall within about 15-20 minutes (DESIGN §6).
DEFAULT_URGE_MINUTES: Final = 15
MIN_URGE_MINUTES: Final = 1
MAX_URGE_MINUTES: Final = 60


def check_urge_minutes(minutes: int) -> int:
    """``minutes`` if it is a valid timer length, else :class:`BadInput` saying why."""
    if not MIN_URGE_MINUTES <= minutes <= MAX_URGE_MINUTES:
        raise BadInput(
            f"timer length {minutes} minutes: must be between {MIN_URGE_MINUTES} and "
            f"{MAX_URGE_MINUTES} minutes"
        )
    return minutes


@dataclass
class UrgeTimer:
    """A countdown on a monotonic clock: started once, then only read.

    ``started`` is the monotonic second at which it began (None: not started). Changing the
    length while it runs keeps the start, so "make it 20 minutes" just extends it.
    """

    minutes: int = DEFAULT_URGE_MINUTES
    started: float | None = None

    def __post_init__(self) -> None:
        check_urge_minutes(self.minutes)

    @property
    def running(self) -> bool:
        """Whether it was started (it may have finished since)."""
        return self.started is not None

    def start(self, mono: float) -> None:
        """(Re)start the countdown at monotonic second ``mono``."""
        self.started = mono

    def stop(self) -> None:
        """Forget the countdown."""
        self.started = None

    def set_minutes(self, minutes: int) -> None:
        """Change the length (1-60 minutes)."""
        self.minutes = check_urge_minutes(minutes)

    @property
    def total_seconds(self) -> float:
        """The full length in seconds."""
        return self.minutes * 60.0

    def remaining(self, mono: float) -> float:
        """Seconds left at ``mono`` (the full length before the start, 0 when done)."""
        if self.started is None:
            return self.total_seconds
        return min(self.total_seconds, max(0.0, self.total_seconds - (mono - self.started)))

    def progress(self, mono: float) -> float:
        """How much of it has passed, 0..1."""
        return 1.0 - self.remaining(mono) / self.total_seconds

    def finished(self, mono: float) -> bool:
        """Whether it was started and has run out."""
        return self.started is not None and self.remaining(mono) <= 0.0


def format_remaining(seconds: float) -> str:
    """``M:SS``, rounded up so the display reads 0:00 only when the time is really over."""
    whole = max(0, math.ceil(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


# -- the breathing pacer --------------------------------------------------------------------

PhaseKind = Literal["in", "hold_in", "out", "hold_out"]


@dataclass(frozen=True)
class BreathPattern:
    """A breathing rhythm: seconds per phase, in order in, hold, out, hold (0 = skipped)."""

    key: str
    label: str
    inhale: float
    hold_in: float
    exhale: float
    hold_out: float

    def phases(self) -> tuple[tuple[PhaseKind, float], ...]:
        """The phases with a length, in order."""
        all_phases: tuple[tuple[PhaseKind, float], ...] = (
            ("in", self.inhale),
            ("hold_in", self.hold_in),
            ("out", self.exhale),
            ("hold_out", self.hold_out),
        )
        return tuple(p for p in all_phases if p[1] > 0)

    @property
    def cycle_seconds(self) -> float:
        """One full breath."""
        return self.inhale + self.hold_in + self.exhale + self.hold_out


BOX_BREATHING: Final = BreathPattern("box", "Box breathing (4-4-4-4)", 4, 4, 4, 4)
BREATHING_4_7_8: Final = BreathPattern("4-7-8", "4-7-8 breathing", 4, 7, 8, 0)
BREATH_PATTERNS: Final = (BOX_BREATHING, BREATHING_4_7_8)

PHASE_NAMES: Final[dict[PhaseKind, str]] = {
    "in": "Breathe in",
    "hold_in": "Hold",
    "out": "Breathe out",
    "hold_out": "Hold",
}


@dataclass(frozen=True)
class BreathState:
    """Where the pacer is: the phase, how far into it (0..1), and how full the lungs are."""

    kind: PhaseKind
    name: str
    progress: float
    seconds_left: float
    fullness: float  # 0 = empty, 1 = full: what the pacer's circle size shows
    breath: int  # how many full breaths came before this one


def pattern_by_key(key: str) -> BreathPattern:
    """The pattern called ``key`` (``box`` or ``4-7-8``)."""
    for pattern in BREATH_PATTERNS:
        if pattern.key == key:
            return pattern
    raise BadInput(f"breathing pattern {key!r}: expected one of box, 4-7-8")


def _ease(progress: float) -> float:
    # Lungs do not fill at a constant rate: a cosine ease reads as a calm, natural breath.
    return (1.0 - math.cos(math.pi * progress)) / 2.0


def breath_at(pattern: BreathPattern, elapsed: float) -> BreathState:
    """The pacer's state ``elapsed`` seconds after it began (negative counts as 0)."""
    elapsed = max(0.0, elapsed)
    cycle = pattern.cycle_seconds
    breath = int(elapsed // cycle)
    into = elapsed - breath * cycle
    start = 0.0
    phases = pattern.phases()
    for kind, length in phases:
        if into < start + length or (kind, length) == phases[-1]:
            progress = min(1.0, max(0.0, (into - start) / length))
            fullness = {
                "in": _ease(progress),
                "hold_in": 1.0,
                "out": 1.0 - _ease(progress),
                "hold_out": 0.0,
            }[kind]
            return BreathState(
                kind, PHASE_NAMES[kind], progress, max(0.0, length - (into - start)), fullness,
                breath,
            )
        start += length
    raise AssertionError("unreachable: a pattern has at least one phase")


# -- unsent messages: sealing ---------------------------------------------------------------

SEAL_24_HOURS: Final = timedelta(hours=24)
SEAL_30_DAYS: Final = timedelta(days=30)
SEAL_CHOICES: Final[dict[str, timedelta]] = {"24h": SEAL_24_HOURS, "30d": SEAL_30_DAYS}


def sealed_until(now: datetime, seal_for: timedelta | None) -> datetime | None:
    """When a message written at ``now`` opens again (None: it is not sealed)."""
    if seal_for is None:
        return None
    if seal_for <= timedelta(0):
        raise BadInput(f"seal for {seal_for}: must be a positive length of time")
    return now + seal_for


def is_readable(until: datetime | None, at: datetime) -> bool:
    """Whether a message sealed ``until`` may be read at instant ``at``."""
    return until is None or at >= until


# -- intention check ------------------------------------------------------------------------

Route = Literal["timer", "write", "logistics", "reasons", "people"]


@dataclass(frozen=True)
class Intention:
    """One honest answer to "What do you want this message to do?" and what it leads to."""

    key: str
    label: str
    reflection: str
    route: Route
    route_label: str


INTENTIONS: Final = (
    Intention(
        "closure",
        "Get closure or an explanation",
        "Closure is something you give yourself. Their answers have not brought you peace "
        "before, and a new one would not either. You can write everything you need to say "
        "here — all of it — and keep it for yourself.",
        "write",
        "Write it here instead",
    ),
    Intention(
        "understood",
        "Make them understand how much they hurt me",
        "You deserve to be understood. They have shown, again and again, that they will not "
        "do that. Your pain is real whether or not they ever admit it.",
        "reasons",
        "Remember what really happened",
    ),
    Intention(
        "close",
        "Feel close to them again, hear from them",
        "Missing them is real: it is grief, and grief comes in waves. Reaching out would "
        "reopen the wound; the wave passes on its own if you let it.",
        "people",
        "Reach someone who is good for you",
    ),
    Intention(
        "check",
        "See whether they have changed or miss me",
        "Checking keeps you tied to them. Whatever you found would pull you back into the "
        "same cycle — and you left it for good reasons.",
        "reasons",
        "Read my reasons",
    ),
    Intention(
        "feeling",
        "Just make this feeling stop",
        "This is an urge, and urges rise, peak and fall, usually within 15 to 20 minutes. "
        "You do not have to act on it. Let the timer carry you through.",
        "timer",
        "Ride it out with the timer",
    ),
    Intention(
        "practical",
        "Something practical (children, property, a bill)",
        "Some contact is necessary. Keep it brief, factual and about that one matter: no "
        "feelings, no apologies, no questions that open a conversation.",
        "logistics",
        "Use a brief, neutral message",
    ),
)


def intention_by_key(key: str) -> Intention:
    """The intention called ``key``."""
    for intention in INTENTIONS:
        if intention.key == key:
            return intention
    raise BadInput(f"intention {key!r} is not one of {', '.join(i.key for i in INTENTIONS)}")


# -- practical matters: logistics templates -------------------------------------------------


@dataclass(frozen=True)
class LogisticsTemplate:
    """A brief, impersonal message for a practical matter; [brackets] are to fill in."""

    key: str
    title: str
    text: str


LOGISTICS_TEMPLATES: Final = (
    LogisticsTemplate(
        "pickup",
        "Children: pickup or handover",
        "Re: [child's name] pickup — I can do Saturday 10:00 at the usual place.",
    ),
    LogisticsTemplate(
        "schedule",
        "Children: change of schedule",
        "Re: [child's name] — [date] does not work for me. I can offer [other date] instead.",
    ),
    LogisticsTemplate(
        "school",
        "Children: school or health",
        "Re: [child's name] — [school / doctor] needs [form / appointment] by [date]. "
        "I will handle [part]; please handle [part].",
    ),
    LogisticsTemplate(
        "belongings",
        "Belongings",
        "Re: belongings — your things will be ready for collection on [date] at [time] at "
        "[place]. [Friend's name] will hand them over.",
    ),
    LogisticsTemplate(
        "money",
        "Rent, bills or shared property",
        "Re: [lease / bill] — my share of [amount] was paid on [date]. Reference: [number].",
    ),
    LogisticsTemplate(
        "received",
        "Confirm receipt",
        "Received, thank you.",
    ),
)

LOGISTICS_ADVICE: Final = (
    "Brief, factual, about one matter. No feelings, no apologies, no questions that open a "
    "conversation. You do not have to answer anything else they write."
)

BRIEF_CHARACTERS: Final = 280

# Words that turn a practical message back into a personal one. Lower-case, whole words.
_PERSONAL_WORDS: Final = (
    "sorry", "miss", "missed", "love", "loved", "feel", "feeling", "hurt", "why",
    "remember", "forgive", "please understand", "i wish",
)


def _whole_word(word: str) -> str:
    return rf"(?<![\w']){re.escape(word)}(?![\w'])"


def logistics_hints(text: str) -> list[str]:
    """Gentle hints when a practical message drifts into a personal one (empty: looks fine)."""
    hints: list[str] = []
    stripped = text.strip()
    if not stripped:
        return ["Write the one practical thing this message is about."]
    if "[" in stripped and "]" in stripped:
        hints.append("Fill in or remove the parts in [brackets].")
    if len(stripped) > BRIEF_CHARACTERS:
        hints.append(
            f"It is {len(stripped)} characters long; a practical message rarely needs more "
            f"than {BRIEF_CHARACTERS}."
        )
    lowered = stripped.lower()
    found = [word for word in _PERSONAL_WORDS if re.search(_whole_word(word), lowered)]
    if found:
        hints.append(
            "Words like " + ", ".join(f"“{w}”" for w in found[:3])
            + " make it personal. Keep to the facts."
        )
    if stripped.count("?") > 1:
        hints.append("Several questions invite a conversation; say what you can do instead.")
    return hints


# -- words after an outcome -----------------------------------------------------------------

_RODE_IT_OUT: Final = (
    "You rode it out. The wave rose, and it passed, and you are still here — still "
    "choosing yourself.",
    "That took real strength. Every urge you ride out makes the next one a little weaker.",
    "You did not act on it. That is what keeping no contact looks like, one wave at a time.",
    "Well done. Be kind to yourself for the rest of the night: you have earned some rest.",
)


def encouragement(urges_ridden_out: int, streak_days: int) -> str:
    """A word after "I rode it out"; ``urges_ridden_out`` includes the one just logged."""
    line = _RODE_IT_OUT[(max(1, urges_ridden_out) - 1) % len(_RODE_IT_OUT)]
    count = (
        "This is the first urge you have logged as ridden out."
        if urges_ridden_out <= 1
        else f"That is {urges_ridden_out} urges you have ridden out."
    )
    days = "" if streak_days <= 0 else f" Day {streak_days} goes on."
    return f"{line}\n\n{count}{days}"


HOOVER_LOGGED: Final = (
    "Logged. They reached out and you stayed silent: that silence is your boundary, and it "
    "is working. You do not owe them an answer — not tonight, not later."
)

DEFAULT_INSTEAD: Final = (
    "Go for a short walk, even around the block",
    "Call or text a friend",
    "Put on a comfort film or series",
    "Write it all down here instead",
    "Take a warm shower, make a cup of tea",
    "Go to bed — things look different in the morning",
)
