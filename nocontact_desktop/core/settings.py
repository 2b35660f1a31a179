"""Typed settings: one declarative table (key, type, default, bounds, label) for the whole app.

The Settings page is drawn from :data:`SETTINGS`; ``nocontact settings`` lists, reads and
writes the same table. Bounds are enforced here, in core, with an error that names the key or
value and the reason: a widget never clamps a value silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from nocontact_desktop.core.commitment.rules import (
    DEFAULT_PASS_MAX,
    DEFAULT_PASSES_PER_DAY,
    MAX_PASSES_PER_DAY,
    MIN_PASSES_PER_DAY,
    PASS_MAX_CHOICES,
    SUGGESTED_DELAY_WHY,
    parse_duration,
)
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.journal.entries import parse_check_in_time
from nocontact_desktop.core.journal.urge import (
    BREATH_PATTERNS,
    DEFAULT_URGE_MINUTES,
    MAX_URGE_MINUTES,
    MIN_URGE_MINUTES,
)
from nocontact_desktop.core.privacy.app_lock import (
    DEFAULT_LOCK_MINUTES,
    LOCK_MINUTES_KEY,
    MAX_LOCK_MINUTES,
    MIN_LOCK_MINUTES,
)
from nocontact_desktop.core.privacy.discretion import (
    DEFAULT_FACE,
    DISCREET_KEY,
    FACE_KEY,
    FACES,
    QUICK_EXIT_SHORTCUT,
    SHOW_DAY_KEY,
)

SettingKind = Literal["bool", "int", "choice", "time_or_off"]

_TRUE: Final = frozenset({"true", "yes", "on", "1"})
_FALSE: Final = frozenset({"false", "no", "off", "0"})


class SettingsBackend(Protocol):
    """Where values live (the store's ``settings`` table)."""

    def setting(self, key: str, default: Any = None) -> Any:
        """The stored JSON value, or ``default``."""
        ...

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON value."""
        ...


@dataclass(frozen=True)
class Setting:
    """One setting a person can change, and everything needed to draw and check it."""

    key: str
    kind: SettingKind
    default: bool | int | str | None
    label: str
    section: str
    help: str = ""
    minimum: int | None = None
    maximum: int | None = None
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)

    def validate(self, value: object) -> bool | int | str | None:
        """``value`` if it is valid for this setting, else :class:`BadInput` saying why."""
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise BadInput(f"{value!r} is not a valid value for {self.key}: expected true or false")
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadInput(
                    f"{value!r} is not a valid value for {self.key}: expected a whole number"
                )
            assert self.minimum is not None and self.maximum is not None
            if not self.minimum <= value <= self.maximum:
                raise BadInput(
                    f"{value} is not a valid value for {self.key}: must be from {self.minimum} "
                    f"to {self.maximum}{' ' + self.unit if self.unit else ''}"
                )
            return value
        if self.kind == "choice":
            allowed = [choice for choice, _label in self.choices]
            if value in allowed:
                return str(value)
            raise BadInput(
                f"{value!r} is not a valid value for {self.key}: expected one of "
                f"{', '.join(allowed)}"
            )
        # time_or_off: "HH:MM", or None for off
        if value is None:
            return None
        if not isinstance(value, str):
            raise BadInput(f"{value!r} is not a valid value for {self.key}: expected HH:MM or off")
        try:
            hour, minute = parse_check_in_time(value)
        except BadInput:
            raise BadInput(
                f"{value!r} is not a valid value for {self.key}: expected HH:MM (e.g. 21:00) "
                "or off"
            ) from None
        return f"{hour:02d}:{minute:02d}"

    def parse(self, text: str) -> bool | int | str | None:
        """The value typed on the command line, validated."""
        word = text.strip()
        if self.kind == "bool":
            if word.lower() in _TRUE:
                return True
            if word.lower() in _FALSE:
                return False
            raise BadInput(f"{text!r} is not a valid value for {self.key}: expected true or false")
        if self.kind == "int":
            try:
                number = int(word, 10)
            except ValueError:
                raise BadInput(
                    f"{text!r} is not a valid value for {self.key}: expected a whole number"
                ) from None
            return self.validate(number)
        if self.kind == "time_or_off" and word.lower() in {"off", "none", ""}:
            return None
        return self.validate(word)

    def show(self, value: object) -> str:
        """How the value is written on the command line (the form :meth:`parse` reads)."""
        if value is None:
            return "off"
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)


_GENERAL_SETTINGS: Final[tuple[Setting, ...]] = (
    Setting(
        "start_at_login",
        "bool",
        False,
        "Start when I log in",
        "General",
        help="The tray icon appears by itself after you log in.",
    ),
    Setting(
        "countdown_seconds",
        "int",
        30,
        "Wait before “Open anyway”",
        "Before a blocked site or app opens",
        help="The pause before the reflect moment lets you open a blocked site or app.",
        minimum=5,
        maximum=300,
        unit="s",
    ),
    Setting(
        "urge_minutes",
        "int",
        DEFAULT_URGE_MINUTES,
        "Urge timer",
        "When you want to text them",
        help="Urges rise and fall within about 15 to 20 minutes.",
        minimum=MIN_URGE_MINUTES,
        maximum=MAX_URGE_MINUTES,
        unit="min",
    ),
    Setting(
        "breathing_pattern",
        "choice",
        BREATH_PATTERNS[0].key,
        "Breathing pattern",
        "When you want to text them",
        choices=tuple((pattern.key, pattern.label) for pattern in BREATH_PATTERNS),
    ),
    Setting(
        "daily_check_in",
        "time_or_off",
        None,
        "Daily check-in",
        "Daily check-in",
        help=(
            "Off unless you turn it on: a window that appears by itself could be seen by "
            "someone else at your screen. Evenings are often the hardest time."
        ),
    ),
)

# Safe if someone else sees the screen (issue 14). The PIN itself is no typed setting: it is
# kept as a salted slow hash (core/privacy/app_lock.py) and set from the Settings page.
PRIVACY_SECTION: Final = "Privacy"
PRIVACY_SETTINGS: Final[tuple[Setting, ...]] = (
    Setting(
        DISCREET_KEY,
        "bool",
        False,
        "Discreet mode",
        PRIVACY_SECTION,
        help=(
            "For when someone else could see this computer: a neutral name and icon, and "
            "neutral window titles, tray menu, notifications and login entry. Press Esc three "
            f"times, or {QUICK_EXIT_SHORTCUT}, to hide every window at once. What stays: the "
            "program's own name in the system's lists of installed software, services and "
            "processes, and the blocked sites in the hosts file, which anyone here can read."
        ),
    ),
    Setting(
        FACE_KEY,
        "choice",
        DEFAULT_FACE,
        "Neutral look",
        PRIVACY_SECTION,
        choices=tuple((f.key, f.name) for f in FACES),
    ),
    Setting(
        SHOW_DAY_KEY,
        "bool",
        False,
        "Show the day number on the neutral icon",
        PRIVACY_SECTION,
    ),
    Setting(
        LOCK_MINUTES_KEY,
        "int",
        DEFAULT_LOCK_MINUTES,
        "Lock after",
        PRIVACY_SECTION,
        help=(
            "With a PIN or passphrase set (below), the app locks after this long without use, "
            "and whenever the screen locks. The breathing timer never needs it."
        ),
        minimum=MIN_LOCK_MINUTES,
        maximum=MAX_LOCK_MINUTES,
        unit="min",
    ),
)

# The commitment (DESIGN §4a). The helper holds the real values; these are what the person
# chose here, and the tray sends every change to the helper (a loosening waits there).
COMMITMENT_SECTION: Final = "Commitment"
COMMITMENT_SETTINGS: Final[tuple[Setting, ...]] = (
    Setting(
        "commitment_delay",
        "choice",
        "none",
        "Commitment delay",
        COMMITMENT_SECTION,
        help=(
            "Anything that loosens your protection — unblocking a site, longer or more "
            "passes, a shorter delay — waits this long. Adding protection is immediate. "
            + SUGGESTED_DELAY_WHY
        ),
        choices=(
            ("none", "None"),
            ("1h", "1 hour"),
            ("24h", "24 hours (suggested)"),
            ("3d", "3 days"),
            ("7d", "7 days"),
        ),
    ),
    Setting(
        "pass_max_minutes",
        "choice",
        str(DEFAULT_PASS_MAX),
        "Longest pass",
        COMMITMENT_SECTION,
        help="How long “Open anyway” may open a blocked site.",
        choices=tuple((str(m), f"{m} minutes") for m in PASS_MAX_CHOICES),
    ),
    Setting(
        "passes_per_day",
        "int",
        DEFAULT_PASSES_PER_DAY,
        "Passes per day",
        COMMITMENT_SECTION,
        help="How many times in 24 hours a blocked site may be opened anyway.",
        minimum=MIN_PASSES_PER_DAY,
        maximum=MAX_PASSES_PER_DAY,
    ),
)
SETTINGS: Final[tuple[Setting, ...]] = (
    *_GENERAL_SETTINGS,
    *PRIVACY_SETTINGS,
    *COMMITMENT_SETTINGS,
)
COMMITMENT_KEYS: Final = {
    "commitment_delay": "delay_minutes",
    "pass_max_minutes": "pass_max_minutes",
    "passes_per_day": "passes_per_day",
}


def commitment_value(key: str, value: object) -> tuple[str, int]:
    """A commitment setting as the helper's (wire name, whole number)."""
    if key == "commitment_delay":
        return "delay_minutes", 0 if value == "none" else parse_duration(str(value))
    return COMMITMENT_KEYS[key], int(str(value))


def commitment_setting(wire: str, number: int) -> tuple[str, object] | None:
    """The setting (key, value) that shows the helper's value, when a choice matches it."""
    if wire == "delay_minutes":
        for choice, _label in COMMITMENT_SETTINGS[0].choices:
            if commitment_value("commitment_delay", choice)[1] == number:
                return "commitment_delay", choice
        return None
    if wire == "pass_max_minutes":
        return ("pass_max_minutes", str(number)) if number in PASS_MAX_CHOICES else None
    if wire == "passes_per_day":
        return "passes_per_day", number
    return None


_BY_KEY: Final = {setting.key: setting for setting in SETTINGS}


def setting_named(key: str) -> Setting:
    """The setting called ``key``, else :class:`BadInput` listing the known keys."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise BadInput(
            f"{key!r} is not a setting: known settings are {', '.join(sorted(_BY_KEY))}"
        ) from None


class Settings:
    """Typed access to the settings of one store: reads fall back to defaults, writes validate."""

    def __init__(self, backend: SettingsBackend) -> None:
        self._backend = backend

    def get(self, key: str) -> Any:
        """The value of ``key``; a stored value that is no longer valid reads as the default."""
        setting = setting_named(key)
        stored = self._backend.setting(key, setting.default)
        try:
            return setting.validate(stored)
        except BadInput:
            return setting.default

    def set(self, key: str, value: object) -> Any:
        """Validate and store ``value``; returns what was stored. Nothing changes on BadInput."""
        setting = setting_named(key)
        checked = setting.validate(value)
        self._backend.set_setting(key, checked)
        return checked

    def set_text(self, key: str, text: str) -> Any:
        """Parse ``text`` as typed on the command line, then :meth:`set` it."""
        return self.set(key, setting_named(key).parse(text))

    def items(self) -> Iterator[tuple[Setting, Any]]:
        """Every setting with its current value, in table order."""
        for setting in SETTINGS:
            yield setting, self.get(setting.key)
