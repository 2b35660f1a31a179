"""Every text that could reveal what this app is for, with its neutral alternative (issue 14).

Someone who shares or can reach the computer may read window titles, the tray, notifications,
the login entry and the app menu. In discreet mode the app wears a neutral *face* the person
picks (a plain "Notes", "Weather" or "Planner" look) and every text below reads neutrally:
never the app's name, never "contact", never a name, a site, a count of days.

Nothing else in the code spells these texts: the tray, the windows, the notifications and the
platform's login entry all ask :func:`text` or :func:`face`. The hosts-file markers and the
helper's HTTP page are neutral always (they are read by anyone, discreet mode or not), so they
live with their code and are checked by the same word list, :data:`REVEALING_WORDS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

APP_NAME: Final = "No Contact"

# Settings (core/settings.py draws them; the defaults live here so both agree).
DISCREET_KEY: Final = "discreet"
FACE_KEY: Final = "discreet_face"
SHOW_DAY_KEY: Final = "discreet_show_day"
DEFAULT_FACE: Final = "notes"

QUICK_EXIT_SHORTCUT: Final = "Ctrl+Shift+H"
"""The shown shortcut that hides every window at once (besides Esc three times)."""
QUICK_EXIT_PRESSES: Final = 3
QUICK_EXIT_SECONDS: Final = 1.5


@dataclass(frozen=True)
class Face:
    """A neutral look: the name shown everywhere, the icon drawn for it, the login entry text.

    ``icon_name`` is a freedesktop icon-theme name every desktop ships (used where the system
    draws the icon from a name: the login entry, the app menu).
    """

    key: str
    name: str
    comment: str
    icon_name: str


FACES: Final[tuple[Face, ...]] = (
    Face("notes", "Notes", "Quick notes in the tray", "accessories-text-editor"),
    Face("weather", "Weather", "Local weather at a glance", "weather-few-clouds"),
    Face("planner", "Planner", "A simple day planner", "x-office-calendar"),
)
_FACES_BY_KEY: Final = {f.key: f for f in FACES}


def face(key: str) -> Face:
    """The face called ``key`` (an unknown key reads as the default face)."""
    return _FACES_BY_KEY.get(key, _FACES_BY_KEY[DEFAULT_FACE])


@dataclass(frozen=True)
class Wording:
    """One text in both forms. The plain form may use ``{fields}``; the neutral one may use
    ``{face}`` only (so no count, name or site can ever reach it)."""

    plain: str
    neutral: str


# Every revealing text of the tray app, keyed by where it appears.
TEXTS: Final[dict[str, Wording]] = {
    # The tray
    "tray.tooltip": Wording("Day {days} · longest {longest}", "{face}"),
    "tray.tooltip_unstarted": Wording("No Contact — not started yet", "{face}"),
    "menu.title": Wording("Day {days} of no contact", "{face}"),
    "menu.title_unstarted": Wording("No Contact — not started", "{face}"),
    "menu.emergency": Wording("I want to text them", "Breathe for a moment"),
    "menu.hoover": Wording("They contacted me", "Note: a message came in"),
    "menu.slip": Wording("I slipped — I contacted them", "Start again from today"),
    "menu.open": Wording("Open No Contact", "Open {face}"),
    "menu.history": Wording("My history", "History"),
    "menu.check_in": Wording("Check in: how strong is the pull?", "Daily check-in"),
    "menu.pending": Wording("Waiting for your commitment ({count})", "Waiting changes"),
    "menu.pending_item": Wording("{what}", "A change is waiting"),
    "menu.pause_gate": Wording("Pause the app gate", "Pause app checks"),
    "menu.quit": Wording("Quit", "Quit"),
    # Windows: in discreet mode every top-level window is titled with the face's name.
    "window.main": Wording("No Contact", "{face}"),
    "window.any": Wording("{title}", "{face}"),
    "app.name": Wording("No Contact", "{face}"),
    # Notifications
    "notify.milestone_title": Wording("Day {days}", "{face}"),
    "notify.milestone_body": Wording("{text}", "A gentle reminder: you are doing well."),
    # The login entry (autostart) and the app-menu entry
    "entry.name": Wording("No Contact", "{face}"),
    "entry.comment": Wording("Keep your no-contact count in the tray", "{comment}"),
    "entry.icon": Wording("nocontact", "{icon}"),
}


def text(key: str, *, discreet: bool, face_key: str = DEFAULT_FACE, **fields: object) -> str:
    """The text for ``key``: the plain form filled with ``fields``, or the neutral one.

    The neutral form is filled only with the face's own words, whatever ``fields`` hold.
    """
    wording = TEXTS[key]
    chosen = face(face_key)
    if discreet:
        return wording.neutral.format(
            face=chosen.name, comment=chosen.comment, icon=chosen.icon_name
        )
    return wording.plain.format(**fields)


@dataclass(frozen=True)
class EntryText:
    """What a login or app-menu entry shows: Name, Comment and the icon's theme name."""

    name: str
    comment: str
    icon: str


def entry_text(*, discreet: bool, face_key: str = DEFAULT_FACE) -> EntryText:
    """The login entry's (and desktop entry's) text for this mode."""
    return EntryText(
        text("entry.name", discreet=discreet, face_key=face_key),
        text("entry.comment", discreet=discreet, face_key=face_key),
        text("entry.icon", discreet=discreet, face_key=face_key),
    )


# What a neutral text must never contain (checked case-insensitively). " ex" catches "ex",
# "ex-partner", "exit" and "explain" alike: neutral words avoid them all.
REVEALING_WORDS: Final[tuple[str, ...]] = (
    "no contact",
    "nocontact",
    "no-contact",
    "contact",
    " ex",
    "abus",
    "block",
    "streak",
    "urge",
    "text them",
    "slipped",
)


def revealing(shown: str, personal: Iterable[str] = (), numbers: Iterable[int] = ()) -> list[str]:
    """What in ``shown`` would reveal the app's purpose or the person's business.

    ``personal`` are texts of the person (a handle, a site, a name); ``numbers`` are counts
    (days kept, the longest streak) that must not appear as a number of their own.
    """
    lowered = f" {shown.lower()}"
    found = [word for word in REVEALING_WORDS if word in lowered]
    found += [item for item in personal if item and item.lower() in lowered]
    found += [
        str(number) for number in numbers if re.search(rf"(?<!\d){number}(?!\d)", shown)
    ]
    return found
