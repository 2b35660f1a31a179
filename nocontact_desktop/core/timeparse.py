"""Parsing the instants people and scripts type (``--at``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
    # fold=0 picks the first of two repeated wall times; a time in a DST gap moves forward.
    aware = naive.replace(tzinfo=zone, fold=0)
    roundtrip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if roundtrip != naive:
        aware = naive.replace(tzinfo=zone, fold=1)
    return aware


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
