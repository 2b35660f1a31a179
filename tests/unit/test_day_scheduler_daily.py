"""DayScheduler.set_daily: a cron job in the user's zone, run in the Qt thread, following travel."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from nocontact_desktop.ui.tray.day_scheduler import DayScheduler
from tests.helpers.fakes import clock_at


def test_daily_job_uses_the_zone_and_follows_travel(qtbot: QtBot) -> None:
    clock = clock_at("2026-03-28T12:00:00+01:00", "Europe/Berlin")
    days: list[int] = []
    scheduler = DayScheduler(clock, lambda: days.append(1))
    calls: list[str] = []
    scheduler.set_daily("check-in", 21, 30, lambda: calls.append("asked"))
    assert scheduler.next_run("check-in") is None  # remembered until the scheduler starts
    scheduler.start()
    try:
        job = scheduler.scheduler.get_job("check-in")
        assert str(job.trigger.timezone) == "Europe/Berlin"
        wake = scheduler.next_run("check-in")
        assert wake is not None
        assert wake.astimezone(clock.zone()).strftime("%H:%M") == "21:30"
        assert len(scheduler.scheduler.get_jobs()) == 2  # midnight + check-in: no polling

        clock.set_zone("America/New_York")  # travelled: at the next midnight the job follows
        scheduler._fire()
        assert days == [1]
        job = scheduler.scheduler.get_job("check-in")
        assert str(job.trigger.timezone) == "America/New_York"
        wake = scheduler.next_run("check-in")
        assert wake is not None
        assert wake.astimezone(clock.zone()).strftime("%H:%M") == "21:30"

        job.func()  # what the scheduler runs, in this (the Qt) thread
        assert calls == ["asked"]
        scheduler.remove_daily("check-in")
        assert scheduler.next_run("check-in") is None
        scheduler.remove_daily("check-in")  # removing twice is harmless
    finally:
        scheduler.shutdown()
