"""Wakes the app at each local midnight (rollover, milestones) with APScheduler's QtScheduler.

One timer for the next job and nothing else: no busy polling. Jobs run in the Qt main thread
(APScheduler's DebugExecutor) because they touch widgets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.qt import QtScheduler

from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.streak import next_day_start

log = logging.getLogger(__name__)

# Wake a little after midnight so the local date has surely changed.
MIDNIGHT_MARGIN = timedelta(seconds=1)


class DayScheduler:
    """Calls ``on_new_day`` after every local midnight, and any daily jobs added later."""

    def __init__(self, clock: Clock, on_new_day: Callable[[], None]) -> None:
        self._clock = clock
        self._on_new_day = on_new_day
        self.scheduler = QtScheduler(
            executors={"default": DebugExecutor()},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )

    def start(self) -> None:
        """Start the scheduler and plan the next midnight."""
        self.scheduler.start()
        self._plan_midnight()

    def next_wakeup(self) -> datetime | None:
        """When the midnight job runs next (for tests and the log)."""
        job = self.scheduler.get_job("midnight")
        return None if job is None else job.next_run_time

    def replan(self) -> None:
        """Recompute the next midnight (after a time zone change or a clock jump)."""
        self._plan_midnight()

    def _plan_midnight(self) -> None:
        when = next_day_start(self._clock.now(), self._clock.zone()) + MIDNIGHT_MARGIN
        self.scheduler.add_job(
            self._fire, "date", run_date=when.astimezone(UTC), id="midnight", replace_existing=True
        )
        log.debug("next day rollover at %s", when.isoformat())

    def _fire(self) -> None:
        try:
            self._on_new_day()
        finally:
            self._plan_midnight()

    def shutdown(self) -> None:
        """Stop all jobs."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
