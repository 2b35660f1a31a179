"""Injected time: everything that needs "now" or the local zone asks a Clock.

Tests pass a :class:`ManualClock` and move it; the app uses :class:`SystemClock`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    """Source of the current instant and the user's current IANA time zone."""

    def now(self) -> datetime:
        """The current instant as an aware UTC datetime."""
        ...

    def zone(self) -> ZoneInfo:
        """The user's current local time zone."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for timeouts and countdowns)."""
        ...


def local_zone() -> ZoneInfo:
    """The machine's IANA zone: ``TZ`` if it names one, else the system setting, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        import tzlocal  # noqa: PLC0415 - imported lazily: it reads system files

        found = tzlocal.get_localzone()
        if isinstance(found, ZoneInfo):
            return found
        return ZoneInfo(str(found))
    except Exception:
        return ZoneInfo("UTC")


class SystemClock:
    """The real clock. The zone is looked up each time so that travel is noticed."""

    def now(self) -> datetime:
        """Current instant, aware, in UTC."""
        return datetime.now(UTC)

    def zone(self) -> ZoneInfo:
        """Current local zone of the machine."""
        return local_zone()

    def monotonic(self) -> float:
        """Seconds from :func:`time.monotonic`."""
        import time  # noqa: PLC0415

        return time.monotonic()


class ManualClock:
    """A clock for tests: it stands still until moved."""

    def __init__(self, now: datetime, zone: str | tzinfo = "UTC") -> None:
        if now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = now.astimezone(UTC)
        self._zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))
        self._mono = 1000.0

    def now(self) -> datetime:
        """The instant the clock was set or moved to."""
        return self._now

    def zone(self) -> ZoneInfo:
        """The zone the clock was given."""
        return self._zone

    def monotonic(self) -> float:
        """Moves together with :meth:`advance`."""
        return self._mono

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, for tests of clock changes)."""
        self._now += delta
        self._mono += max(0.0, delta.total_seconds())

    def set(self, now: datetime) -> None:
        """Jump to an instant."""
        if now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = now.astimezone(UTC)

    def set_zone(self, zone: str) -> None:
        """Travel to another zone."""
        self._zone = ZoneInfo(zone)
