"""Injected time: everything that needs "now" or the local zone asks a Clock.

Tests pass a :class:`ManualClock` and move it; the app uses :class:`SystemClock`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

# zoneinfo loads with the first zone asked for: `nocontact block list` asks for none.


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


# Files where a system may name its zone besides the /etc/localtime link (those tzlocal reads).
_OTHER_ZONE_SETTINGS = ("/var/db/zoneinfo", "/etc/sysconfig/clock", "/etc/conf.d/clock")


@lru_cache(maxsize=4)
def _linked_zone_name(root: str = "/") -> str | None:
    """The zone name when ``/etc/localtime`` links into a zoneinfo folder and nothing says
    otherwise (``/etc/timezone``, if present, names the same zone; no other setting file).

    This is the usual Linux and macOS set-up, and there tzlocal finds the same name; anything
    else returns None and is left to tzlocal, which also loads logging and reads more files
    (it costs `nocontact status` a sixth of its start; DESIGN §11). Remembered for the
    process, as tzlocal remembers its answer.
    """
    localtime = os.path.join(root, "etc/localtime")
    if not os.path.islink(localtime) or os.path.exists(os.path.join(root, "system/bin/getprop")):
        return None
    if any(os.path.exists(os.path.join(root, p.lstrip("/"))) for p in _OTHER_ZONE_SETTINGS):
        return None
    target = os.path.realpath(localtime)
    _, marker, name = target.rpartition("/zoneinfo/")
    if not marker or not name:
        return None
    try:
        with open(os.path.join(root, "etc/timezone"), encoding="ascii") as handle:
            written = handle.read()
    except FileNotFoundError:
        return name
    except (OSError, UnicodeDecodeError):
        return None
    return name if written.strip("/ \t\r\n") == name else None


@runtime_checkable
class BootClock(Protocol):
    """Real elapsed time including suspend, and which boot of the machine this is.

    The helper counts its commitment waits on this (see ``core/commitment/elapsed.py``).
    """

    def boottime(self) -> float:
        """Seconds since boot, counting suspend (Linux ``CLOCK_BOOTTIME``)."""
        ...

    def boot_id(self) -> str | None:
        """An id that changes at every boot (Linux: ``/proc/sys/kernel/random/boot_id``)."""
        ...


BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id"


def local_zone() -> ZoneInfo:
    """The machine's IANA zone: ``TZ`` if it names one, else the system setting, else UTC."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415 - see the imports

    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    linked = _linked_zone_name()
    if linked is not None:
        try:
            return ZoneInfo(linked)
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

    def boottime(self) -> float:
        """``CLOCK_BOOTTIME`` where the OS has it (Linux), else the monotonic clock."""
        import time  # noqa: PLC0415

        boot = getattr(time, "CLOCK_BOOTTIME", None)
        if boot is not None:
            return time.clock_gettime(boot)
        return time.monotonic()

    def boot_id(self) -> str | None:
        """The kernel's boot id (Linux), else None (then every start counts as a new boot)."""
        try:
            with open(BOOT_ID_PATH, encoding="ascii") as handle:
                return handle.read().strip() or None
        except OSError:
            return None


class ManualClock:
    """A clock for tests: it stands still until moved."""

    def __init__(self, now: datetime, zone: str | tzinfo = "UTC") -> None:
        if now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        from zoneinfo import ZoneInfo  # noqa: PLC0415 - see the imports

        self._now = now.astimezone(UTC)
        self._zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))
        self._mono = 1000.0
        self._boot = 500.0
        self._boot_number = 1

    def now(self) -> datetime:
        """The instant the clock was set or moved to."""
        return self._now

    def zone(self) -> ZoneInfo:
        """The zone the clock was given."""
        return self._zone

    def monotonic(self) -> float:
        """Moves together with :meth:`advance`."""
        return self._mono

    def boottime(self) -> float:
        """Moves with :meth:`advance` and :meth:`suspend`, not with :meth:`set`."""
        return self._boot

    def boot_id(self) -> str | None:
        """Changes with :meth:`reboot`."""
        return f"manual-boot-{self._boot_number}"

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, for tests of clock changes)."""
        self._now += delta
        self._mono += max(0.0, delta.total_seconds())
        self._boot += max(0.0, delta.total_seconds())

    def suspend(self, delta: timedelta) -> None:
        """The machine slept: wall and boot time move, the monotonic clock does not."""
        self._now += delta
        self._boot += max(0.0, delta.total_seconds())

    def reboot(self, off_for: timedelta = timedelta(0)) -> None:
        """A new boot: new boot id, boot time starts again, the wall clock moved ``off_for``."""
        self._boot_number += 1
        self._boot = 5.0
        self._now += off_for

    def set(self, now: datetime) -> None:
        """Jump to an instant."""
        if now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = now.astimezone(UTC)

    def set_zone(self, zone: str) -> None:
        """Travel to another zone."""
        from zoneinfo import ZoneInfo  # noqa: PLC0415 - see the imports

        self._zone = ZoneInfo(zone)
