"""Trusted elapsed time: a counter the person cannot wind forward by changing the clock.

The helper keeps ``elapsed`` seconds in its root-owned state and advances it only by a clock
that counts real time including suspend (Linux ``CLOCK_BOOTTIME``) — never by the wall clock
while it runs. Pending changes are due at ``elapsed_at_request + delay``, so setting the date
forward does not bring them closer.

When the helper starts again:

- **same boot** (the kernel's boot id is unchanged): the boot-time clock kept running, so the
  exact gap is credited, including time the helper was stopped;
- **after a reboot** the boot-time clock started from zero, and the only witness of the time
  the machine was off is the wall clock. Its gap is credited, never negative, and capped at
  the longest delay in force. This is the honest limit: changing the system clock or stopping
  the service takes an administrator, who can also simply remove the hosts-file section. A
  person without admin rights cannot shorten a wait this way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Resumed = Literal["fresh", "same_boot", "rebooted"]


@dataclass(frozen=True)
class ElapsedMark:
    """A saved reading: the trusted counter and the clocks at that moment."""

    elapsed: float
    boottime: float
    boot_id: str | None
    wall: datetime


@dataclass(frozen=True)
class Resume:
    """How the counter continues after a start."""

    elapsed: float
    credited: float
    how: Resumed


def resume_elapsed(
    saved: ElapsedMark | None,
    *,
    boottime: float,
    boot_id: str | None,
    wall: datetime,
    cap_seconds: float,
) -> Resume:
    """The trusted elapsed seconds now, given the last saved mark (see the module text)."""
    if saved is None:
        return Resume(0.0, 0.0, "fresh")
    if boot_id is not None and boot_id == saved.boot_id and boottime >= saved.boottime:
        gap = boottime - saved.boottime
        return Resume(saved.elapsed + gap, gap, "same_boot")
    gap = (wall - saved.wall).total_seconds()
    credited = min(max(0.0, gap), max(0.0, cap_seconds))
    return Resume(saved.elapsed + credited, credited, "rebooted")
