"""Parsing the instants people and scripts type (``--at``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nocontact_desktop.core.errors import BadInput

# How far ahead of "now" we still accept a time: clocks of two processes differ a little.
FUTURE_TOLERANCE = timedelta(seconds=5)


def parse_instant(text: str, zone: ZoneInfo, *, option: str = "--at") -> datetime:
    """Parse ISO 8601 into an aware UTC datetime.

    A value without an offset is read in ``zone`` (the user's local zone); a bare date means
    its local midnight. A ``Z`` suffix is accepted.
    """
    raw = text.strip()
    if not raw:
        raise BadInput(f"{option} {text!r}: empty date")
    try:
        parsed = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise BadInput(
            f"{option} {text!r}: not an ISO 8601 date and time (e.g. 2026-03-07T09:00+01:00)"
        ) from None
    if parsed.tzinfo is None:
        parsed = _localize(parsed, zone)
    return parsed.astimezone(UTC)


def _localize(naive: datetime, zone: ZoneInfo) -> datetime:
    # fold=0 picks the first of two repeated wall times (autumn). A wall time in the spring
    # gap does not exist; fold=0 reads it with the offset before the change, which lands the
    # same distance after the gap (02:30 -> 03:30): it moves forward, never back in time.
    return naive.replace(tzinfo=zone, fold=0)


def require_not_future(at: datetime, now: datetime, *, label: str | None = None) -> None:
    """Refuse an instant in the future: a streak cannot start, nor an event happen, later.

    ``label`` names the input in the message (e.g. ``--at '2030-01-01'``).
    """
    if at > now + FUTURE_TOLERANCE:
        name = label or f"the time {at.isoformat()}"
        raise BadInput(
            f"{name}: is in the future (now is {now.replace(microsecond=0).isoformat()})"
        )


def to_local_iso(at: datetime, zone: ZoneInfo) -> str:
    """ISO 8601 with the offset of ``zone`` at that instant, to the second."""
    return at.astimezone(zone).replace(microsecond=0).isoformat()


_MOMENT = re.compile(
    r"(?:(?P<word>today|yesterday)|(?P<date>\d{4}-\d{1,2}-\d{1,2}))"
    r"(?:(?:\s+|T)(?:at\s+)?(?P<hour>\d{1,2})[:.](?P<minute>\d{2}))?\Z",
    re.IGNORECASE,
)


def parse_moment(text: str, zone: ZoneInfo, now: datetime, *, label: str = "date") -> datetime:
    """A moment a person types, read exactly as typed (never rewritten), as aware UTC.

    Accepted: ``2026-11-30``, ``2026-11-30 21:30`` (also ``T``, ``.``), ``today 21:30``,
    ``yesterday at 8:05``. A date alone means its local midnight. Anything else, an impossible
    date (``2026-02-30``) or a time in the future is :class:`BadInput` naming the text and why.
    """
    raw = " ".join(text.split())
    match = _MOMENT.match(raw)
    if match is None:
        raise BadInput(
            f"{label} {text!r}: write it as 2026-03-07 or 2026-03-07 21:30 "
            "(or today 21:30, yesterday 8:00)"
        )
    today = now.astimezone(zone).date()
    if match["word"]:
        day = today if match["word"].lower() == "today" else today - timedelta(days=1)
    else:
        try:
            day = date.fromisoformat("-".join(part.zfill(2) for part in match["date"].split("-")))
        except ValueError:
            raise BadInput(f"{label} {text!r}: there is no such day in the calendar") from None
    clock = time(0, 0)
    if match["hour"] is not None:
        hour, minute = int(match["hour"]), int(match["minute"])
        if hour > 23 or minute > 59:
            raise BadInput(f"{label} {text!r}: {hour}:{minute:02d} is not a time of day")
        clock = time(hour, minute)
    moment = _localize(datetime.combine(day, clock), zone).astimezone(UTC)
    require_not_future(moment, now, label=f"{label} {text!r}")
    return moment
