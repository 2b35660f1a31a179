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
from apscheduler.triggers.cron import CronTrigger

from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.streak.count import next_day_start

log = logging.getLogger(__name__)

# Wake a little after midnight so the local date has surely changed.
MIDNIGHT_MARGIN = timedelta(seconds=1)


class DayScheduler:
    """Calls ``on_new_day`` after every local midnight, and any daily jobs added later."""

    def __init__(self, clock: Clock, on_new_day: Callable[[], None]) -> None:
        self._clock = clock
        self._on_new_day = on_new_day
        self._daily: dict[str, tuple[int, int, Callable[[], None]]] = {}
        self._daily_zone = clock.zone()
        self.scheduler = QtScheduler(
            executors={"default": DebugExecutor()},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )

    def start(self) -> None:
        """Start the scheduler and plan the next midnight."""
        self.scheduler.start()
        self._plan_midnight()
        for job_id, (hour, minute, callback) in list(self._daily.items()):
            self.set_daily(job_id, hour, minute, callback)

    def next_wakeup(self) -> datetime | None:
        """When the midnight job runs next (for tests and the log)."""
        job = self.scheduler.get_job("midnight")
        return None if job is None else job.next_run_time

    def replan(self) -> None:
        """Recompute the next midnight (after a time zone change or a clock jump)."""
        self._plan_midnight()
        for job_id, (hour, minute, callback) in list(self._daily.items()):
            self.set_daily(job_id, hour, minute, callback)

    # -- daily jobs (e.g. the check-in) ---------------------------------------------------------

    def set_daily(
        self, job_id: str, hour: int, minute: int, callback: Callable[[], None]
    ) -> None:
        """Run ``callback`` every day at ``hour:minute`` in the user's current zone.

        A cron trigger in that zone, so daylight-saving changes keep the wall-clock time; it
        runs in the Qt thread (DebugExecutor). Setting the same ``job_id`` again replaces it.
        Before :meth:`start` the job is only remembered and added when the scheduler starts.
        """
        self._daily[job_id] = (hour, minute, callback)
        if not self.scheduler.running:
            return
        self._daily_zone = self._clock.zone()
        trigger = CronTrigger(hour=hour, minute=minute, timezone=self._daily_zone)
        self.scheduler.add_job(callback, trigger, id=job_id, replace_existing=True)
        log.debug("daily job %s at %02d:%02d", job_id, hour, minute)

    def remove_daily(self, job_id: str) -> None:
        """Stop a daily job (nothing happens if there is none)."""
        self._daily.pop(job_id, None)
        if self.scheduler.running and self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)

    def next_run(self, job_id: str) -> datetime | None:
        """When a job runs next (None: no such job, or not started)."""
        job = self.scheduler.get_job(job_id)
        return None if job is None else job.next_run_time

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
            if self._daily_zone != self._clock.zone():  # travelled: daily jobs follow
                self.replan()

    def shutdown(self) -> None:
        """Stop all jobs."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
