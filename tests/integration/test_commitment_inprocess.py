"""The helper's trusted clock in this process, with an injected clock (DESIGN §4a).

``ManualClock.set`` moves only the wall clock (someone changed the date), ``advance`` moves
real time, ``suspend`` moves wall and boot time but not the monotonic clock, and ``reboot``
starts a new boot.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from nocontact_desktop.core.blocking.hosts_section import read_section_names
from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.helper_link.protocol import (
    BeginReflect,
    CancelPending,
    ErrorCode,
    FinishPending,
    GetCommitment,
    GrantPass,
    HoldGateChange,
    ProtocolError,
    SetBlocklist,
    SetCommitment,
)
from nocontact_desktop.helper.daemon import HelperDaemon
from tests.helpers.inprocess_helper import (
    START,
    eventually,
    helper_config,
    in_process_daemon,
    running,
)

NAMES = ("a.example", "b.example")


def make_daemon(tmp_path: Path, clock: ManualClock) -> HelperDaemon:
    return in_process_daemon(helper_config(tmp_path), clock)


def on_disk(tmp_path: Path) -> frozenset[str] | None:
    return read_section_names((tmp_path / "hosts").read_bytes())


async def ticks(count: int = 5) -> None:
    await asyncio.sleep(0.05 * count)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def hosts(tmp_path: Path) -> Path:
    path = tmp_path / "hosts"
    path.write_bytes(b"127.0.0.1 localhost\n")
    return path


async def pending_removal(daemon: HelperDaemon, delay_minutes: int) -> dict[str, Any]:
    await daemon.execute(SetBlocklist(NAMES))
    await daemon.execute(SetCommitment(delay_minutes=delay_minutes))
    result = await daemon.execute(SetBlocklist(("a.example",)))
    [entry] = result["pending"]
    return dict(entry)


def test_winding_the_wall_clock_forward_never_makes_a_change_due(
    tmp_path: Path, hosts: Path, clock: ManualClock
) -> None:
    async def scenario() -> None:
        async with running(make_daemon(tmp_path, clock)) as daemon:
            entry = await pending_removal(daemon, 60)
            clock.set(START + timedelta(days=40))  # the date set far ahead
            await ticks()
            assert on_disk(tmp_path) == set(NAMES)
            [still] = (await daemon.execute(GetCommitment()))["pending"]
            assert still["id"] == entry["id"]
            assert still["remaining_seconds"] == entry["remaining_seconds"]
            # Shown to people: wall now + what is left.
            assert still["due_at"].startswith("2026-04-16T10:00")
            clock.advance(timedelta(minutes=59))  # real time passes
            await ticks()
            assert on_disk(tmp_path) == set(NAMES)
            clock.advance(timedelta(minutes=1))
            assert await eventually(lambda: on_disk(tmp_path) == {"a.example"})

    asyncio.run(scenario())


def test_suspend_counts_as_time_that_passed(
    tmp_path: Path, hosts: Path, clock: ManualClock
) -> None:
    async def scenario() -> None:
        async with running(make_daemon(tmp_path, clock)) as daemon:
            await pending_removal(daemon, 60)
            clock.suspend(timedelta(minutes=61))  # the lid was closed for an hour
            assert await eventually(lambda: on_disk(tmp_path) == {"a.example"})

    asyncio.run(scenario())


def test_a_restart_in_the_same_boot_credits_the_exact_gap_whatever_the_wall_clock_says(
    tmp_path: Path, hosts: Path, clock: ManualClock
) -> None:
    async def scenario() -> None:
        first = make_daemon(tmp_path, clock)
        await first.start()
        entry = await pending_removal(first, 60)
        await first.stop()
        clock.advance(timedelta(minutes=10))  # stopped for 10 minutes
        clock.set(clock.now() + timedelta(days=3))  # and the date wound forward meanwhile
        async with running(make_daemon(tmp_path, clock)) as second:
            [again] = (await second.execute(GetCommitment()))["pending"]
            assert again["remaining_seconds"] == pytest.approx(
                entry["remaining_seconds"] - 600, abs=1
            )
            await ticks()
            assert on_disk(tmp_path) == set(NAMES)

    asyncio.run(scenario())


def test_after_a_reboot_the_wall_clock_gap_is_credited_and_a_clock_set_back_takes_nothing(
    tmp_path: Path, hosts: Path, clock: ManualClock
) -> None:
    async def scenario() -> None:
        first = make_daemon(tmp_path, clock)
        await first.start()
        entry = await pending_removal(first, 24 * 60)
        await first.stop()
        clock.reboot(off_for=timedelta(hours=2))  # off for two hours: two hours count
        second = make_daemon(tmp_path, clock)
        await second.start()
        [again] = (await second.execute(GetCommitment()))["pending"]
        assert again["remaining_seconds"] == pytest.approx(
            entry["remaining_seconds"] - 7200, abs=1
        )
        await second.stop()
        clock.reboot(off_for=-timedelta(days=5))  # the clock went back: nothing is taken off
        third = make_daemon(tmp_path, clock)
        await third.start()
        [same] = (await third.execute(GetCommitment()))["pending"]
        assert same["remaining_seconds"] == pytest.approx(again["remaining_seconds"], abs=1)
        await third.stop()
        assert on_disk(tmp_path) == set(NAMES)
    asyncio.run(scenario())


def test_pass_limits_use_the_commitment_and_a_finished_countdown(
    tmp_path: Path, hosts: Path, clock: ManualClock
) -> None:
    async def scenario() -> None:
        async with running(make_daemon(tmp_path, clock)) as daemon:
            await daemon.execute(SetBlocklist(NAMES))
            await daemon.execute(SetCommitment(pass_max_minutes=15, passes_per_day=2))
            with pytest.raises(ProtocolError) as too_long:
                await daemon.execute(GrantPass(("a.example",), 30))
            assert too_long.value.code == ErrorCode.PASS_TOO_LONG
            await daemon.execute(BeginReflect(("a.example",), 30))
            clock.advance(timedelta(seconds=29))
            with pytest.raises(ProtocolError) as early:
                await daemon.execute(GrantPass(("a.example",), 15))
            assert early.value.code == ErrorCode.REFLECT_FIRST
            clock.set(clock.now() + timedelta(hours=1))  # the wall clock does not count
            with pytest.raises(ProtocolError):
                await daemon.execute(GrantPass(("a.example",), 15))
            clock.advance(timedelta(seconds=1))
            await daemon.execute(GrantPass(("a.example",), 15))
            for _ in range(1):
                await daemon.execute(BeginReflect(("b.example",), 5))
                clock.advance(timedelta(seconds=5))
                await daemon.execute(GrantPass(("b.example",), 5))
            await daemon.execute(BeginReflect(("b.example",), 5))
            clock.advance(timedelta(seconds=5))
            with pytest.raises(ProtocolError) as used_up:
                await daemon.execute(GrantPass(("b.example",), 5))
            assert used_up.value.code == ErrorCode.NO_PASSES_LEFT
            clock.set(clock.now() + timedelta(days=2))  # a new "day" by the calendar only
            with pytest.raises(ProtocolError):
                await daemon.execute(GrantPass(("b.example",), 5))
            clock.advance(timedelta(hours=24))  # a real day later the passes are back
            await daemon.execute(BeginReflect(("b.example",), 5))
            clock.advance(timedelta(seconds=5))
            await daemon.execute(GrantPass(("b.example",), 5))

    asyncio.run(scenario())


def test_browser_policies_are_in_place_from_the_start_and_turning_them_off_waits(
    tmp_path: Path, hosts: Path, clock: ManualClock
) -> None:
    """Issue 15: the helper keeps the browsers' policies; switching them off is a loosening.

    In place from the start, with nothing listed yet: browsers read them only at start-up.
    """
    from nocontact_desktop.core.blocking.browser_policies import PolicyFile

    firefox = tmp_path / "etc" / "firefox" / "policies" / "policies.json"
    chromium = tmp_path / "etc" / "chromium" / "policies" / "managed" / "nocontact.json"
    files = [PolicyFile(str(firefox), "firefox"), PolicyFile(str(chromium), "chromium")]

    async def scenario() -> None:
        async with running(
            in_process_daemon(helper_config(tmp_path), clock, policy_files=files)
        ) as daemon:
            assert b"DNSOverHTTPS" in firefox.read_bytes() and chromium.exists()
            await daemon.execute(SetBlocklist(NAMES))
            await daemon.execute(SetBlocklist(()))  # no delay yet: off the list at once
            assert b"DNSOverHTTPS" in firefox.read_bytes() and chromium.exists()
            await daemon.execute(SetCommitment(delay_minutes=60))
            result = await daemon.execute(SetCommitment(browser_policies=0))
            [entry] = result["added"]
            assert entry["kind"] == "browser_policies" and entry["subject"] == "off"
            assert firefox.exists() and chromium.exists()  # still in place: it waits
            clock.advance(timedelta(minutes=60))
            assert await eventually(lambda: not firefox.exists() and not chromium.exists())
            await daemon.execute(SetCommitment(browser_policies=1))  # tightening: at once
            assert firefox.exists() and chromium.exists()
            await daemon.execute(SetCommitment(delay_minutes=0))  # shorter: pending

    asyncio.run(scenario())


def test_policies_turned_off_give_back_the_administrators_file(
    tmp_path: Path, hosts: Path, clock: ManualClock
) -> None:
    from nocontact_desktop.core.blocking.browser_policies import PolicyFile

    firefox = tmp_path / "firefox" / "policies.json"
    firefox.parent.mkdir()
    firefox.write_bytes(b'{"policies": {"DisableAppUpdate": true}}\n')
    original = firefox.read_bytes()

    async def scenario() -> None:
        policy_files = [PolicyFile(str(firefox), "firefox")]
        async with running(
            in_process_daemon(helper_config(tmp_path), clock, policy_files=policy_files)
        ) as daemon:
            assert firefox.read_bytes() != original  # ours merged in from the start
            await daemon.execute(SetBlocklist(NAMES))
            await daemon.execute(SetCommitment(browser_policies=0))  # no delay: at once
            assert firefox.read_bytes() == original  # the administrator's file, byte for byte

    asyncio.run(scenario())


def test_gate_changes_wait_for_the_delay_then_wait_for_the_client(
    tmp_path: Path, hosts: Path, clock: ManualClock
) -> None:
    """The helper holds a gate loosening on its trusted clock; the client applies it."""

    async def pending_of(daemon: HelperDaemon) -> list[dict[str, Any]]:
        return list((await daemon.execute(GetCommitment()))["pending"])

    async def scenario() -> None:
        async with running(make_daemon(tmp_path, clock)) as daemon:
            # No delay: the client goes ahead at once.
            now = await daemon.execute(HoldGateChange("gate_remove", "signal", "Signal", 0))
            assert now["hold"] is False and now["added"] == []
            await daemon.execute(SetCommitment(delay_minutes=60))
            held = await daemon.execute(HoldGateChange("gate_remove", "signal", "Signal", 0))
            [entry] = held["added"]
            assert held["hold"] is True and entry["ready"] is False
            assert entry["kind"] == "gate_remove" and entry["app"] == "signal"
            assert entry["subject"] == "Signal"
            again = await daemon.execute(HoldGateChange("gate_remove", "signal", "Signal", 0))
            assert again["added"][0]["id"] == entry["id"]  # asked twice: one change, one time
            first_pause = await daemon.execute(HoldGateChange("gate_pause", "", "", 15))
            pause = await daemon.execute(HoldGateChange("gate_pause", "", "", 60))
            assert pause["added"][0]["subject"] == "1 hour"
            kinds = sorted((p["kind"], p.get("value")) for p in await pending_of(daemon))
            assert kinds == [("gate_pause", 60), ("gate_remove", None)]  # newest pause wins
            with pytest.raises(ProtocolError) as early:
                await daemon.execute(FinishPending(entry["id"]))
            assert early.value.code == ErrorCode.NOT_FOUND  # not due: nothing to finish
            await daemon.execute(CancelPending(pause["added"][0]["id"]))  # "Keep the gate on"
            assert first_pause["added"][0]["id"] not in [p["id"] for p in await pending_of(daemon)]
            clock.advance(timedelta(minutes=60))
            assert await eventually(lambda: daemon._pending[0].ready)
            [ready] = await pending_of(daemon)
            assert ready["id"] == entry["id"] and ready["ready"] is True
        # Ready survives a restart until the client has applied it.
        async with running(make_daemon(tmp_path, clock)) as daemon:
            [still] = await pending_of(daemon)
            assert still["ready"] is True and still["app"] == "signal"
            done = await daemon.execute(FinishPending(still["id"]))
            assert done["finished"]["id"] == still["id"]
            assert await pending_of(daemon) == []

    asyncio.run(scenario())
