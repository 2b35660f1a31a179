"""Event kinds and the event record (DESIGN §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from nocontact_desktop.core.errors import BadInput


class EventKind(StrEnum):
    """What happened. Only ``CONTACT`` and ``START`` move the start of the count."""

    START = "start"  # the count (re)starts at this moment: onboarding or `nocontact start`
    CONTACT = "contact"  # the user reached out or replied: resets the streak
    PEEK = "peek"  # looked at their profile
    HOOVER = "hoover"  # they reached out; the user did not answer
    URGE = "urge"  # an urge ridden out
    LOGISTICS = "logistics"  # necessary, brief contact; never resets
    BLOCKED_ATTEMPT = "blocked_attempt"  # from the delay dialog, with its outcome


# Kinds a person may log by hand with `nocontact log KIND` (DESIGN §9).
LOGGABLE_KINDS: tuple[EventKind, ...] = (
    EventKind.CONTACT,
    EventKind.PEEK,
    EventKind.HOOVER,
    EventKind.URGE,
    EventKind.LOGISTICS,
)

RESETTING_KINDS = frozenset({EventKind.START, EventKind.CONTACT})


def parse_kind(text: str, *, allowed: tuple[EventKind, ...] = tuple(EventKind)) -> EventKind:
    """The kind named by ``text``; :class:`BadInput` naming it when it is not one of ``allowed``."""
    for kind in allowed:
        if kind.value == text:
            return kind
    names = ", ".join(k.value for k in allowed)
    raise BadInput(f"unknown event kind {text!r}: expected one of {names}")


def new_uid() -> str:
    """A fresh random event uid (32 hex digits of a UUID4)."""
    import uuid  # noqa: PLC0415 - only when an event is made (uuid loads platform details)

    return uuid.uuid4().hex


@dataclass(frozen=True)
class Event:
    """One thing that happened, at an aware UTC instant.

    ``seq`` is the order in which events were recorded (the store's row id); a later ``start``
    supersedes earlier-recorded resets that lie after it (see :mod:`streak`).
    """

    kind: EventKind
    at: datetime
    note: str | None = None
    tz: str = "UTC"
    seq: int = 0
    uid: str = field(default_factory=new_uid)
    outcome: str | None = None  # for blocked_attempt: "dismissed", "opened", ...
    subject: str | None = None  # for blocked_attempt: the site or app; never free text
