"""The app gate watcher against a scripted process table (no real processes here).

The cases that real processes cannot produce on demand live here: pid reuse, zombies,
permission errors, processes that vanish between two looks, exec() after the first look,
a clock that jumps past the safety-net timeout. tests/integration/test_app_gate.py runs the
same watcher against real processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psutil
import pytest

from nocontact_desktop.core.app_gate.rules import GatedApp, Matcher, ProcessIdentity
from nocontact_desktop.core.app_gate.watcher import (
    FULL_SCAN_SECONDS,
    LAUNCHER_RECHECK_SECONDS,
    YOUNG_SECONDS,
    AppGate,
    GatedProcess,
    GateState,
    ProcessSource,
)
from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.platform import linux, macos, windows

SIGNAL = GatedApp("signal", "Signal", (Matcher("name", "signal-desktop"),), preset=True)
SLACK = GatedApp("slack", "Slack", (Matcher("name", "slack"),), preset=True)

# Each platform module is a ProcessSource (mypy checks these assignments).
PLATFORM_SOURCES: tuple[ProcessSource, ...] = (linux, macos, windows)


@dataclass
class FakeProc:
    pid: int
    ppid: int
    start: float
    name: str
    cmdline: tuple[str, ...] = ()
    status: str = "running"
    obeys_term: bool = True

    @property
    def exe(self) -> str:
        return f"/usr/bin/{self.name}"


@dataclass
class FakeSource:
    """A process table the test edits; it behaves like the platform functions."""

    procs: dict[int, FakeProc] = field(default_factory=dict)
    counter: int | None = 0
    next_pid: int = 1000
    next_start: float = 50.0
    deny_identity: set[int] = field(default_factory=set)
    deny_signal: set[int] = field(default_factory=set)
    vanish_before_identity: set[int] = field(default_factory=set)
    vanish_before_suspend: set[int] = field(default_factory=set)
    zombie_raises: bool = False
    signals: list[tuple[str, int]] = field(default_factory=list)
    listings: int = 0
    before_listing: list[Callable[[], object]] = field(default_factory=list)

    def spawn(
        self, name: str, *, ppid: int = 1, pid: int | None = None, cmdline: tuple[str, ...] = ()
    ) -> FakeProc:
        if pid is None:
            pid = self.next_pid
            self.next_pid += 1
        self.next_start += 0.01
        if self.counter is not None:
            self.counter += 1
        proc = FakeProc(pid, ppid, self.next_start, name, cmdline or (f"/usr/bin/{name}",))
        self.procs[pid] = proc
        return proc

    def exit(self, pid: int) -> None:
        del self.procs[pid]

    # --- ProcessSource ---

    def list_pids(self) -> set[int]:
        self.listings += 1
        while self.before_listing:
            self.before_listing.pop()()
        return set(self.procs)

    def spawn_counter(self) -> int | None:
        return self.counter

    def _get(self, pid: int) -> FakeProc:
        proc = self.procs.get(pid)
        if proc is None:
            raise psutil.NoSuchProcess(pid)
        return proc

    def process_identity(self, pid: int) -> ProcessIdentity:
        if pid in self.vanish_before_identity:
            self.procs.pop(pid, None)
        proc = self._get(pid)
        if pid in self.deny_identity:
            raise psutil.AccessDenied(pid)
        if proc.status == "zombie" and self.zombie_raises:
            raise psutil.ZombieProcess(pid)
        exe = None if proc.status == "zombie" else proc.exe
        return ProcessIdentity(
            pid, proc.ppid, proc.start, proc.name, exe, proc.cmdline, proc.status
        )

    def process_exec_token(self, pid: int) -> str:
        return self._get(pid).name

    def process_child_pids(self, pid: int) -> list[int]:
        self._get(pid)
        return [p.pid for p in self.procs.values() if p.ppid == pid]

    def process_alive(self, pid: int, create_time: float) -> bool:
        proc = self.procs.get(pid)
        return proc is not None and proc.start == create_time and proc.status != "zombie"

    def _signal(self, what: str, pid: int, create_time: float) -> FakeProc:
        proc = self._get(pid)
        if proc.start != create_time:
            raise psutil.NoSuchProcess(pid, msg="reused")
        if proc.status == "zombie":
            raise psutil.ZombieProcess(pid)
        if pid in self.deny_signal:
            raise psutil.AccessDenied(pid)
        self.signals.append((what, pid))
        return proc

    def suspend_process(self, pid: int, create_time: float) -> None:
        if pid in self.vanish_before_suspend:
            self.procs.pop(pid, None)
        self._signal("stop", pid, create_time).status = "stopped"

    def resume_process(self, pid: int, create_time: float) -> None:
        self._signal("cont", pid, create_time).status = "running"

    def terminate_process(self, pid: int, create_time: float) -> None:
        proc = self._signal("term", pid, create_time)
        if proc.obeys_term:
            proc.status = "zombie"
        else:
            proc.status = "running"

    def kill_process(self, pid: int, create_time: float) -> None:
        self._signal("kill", pid, create_time).status = "zombie"

    def gate_launcher_names(self) -> frozenset[str]:
        return frozenset({"sh"})


@dataclass
class Rig:
    source: FakeSource
    clock: ManualClock
    gate: AppGate
    gated: list[GatedProcess]
    settled: list[GatedProcess]
    apps: list[GatedApp]

    def tick(self, seconds: float = 0.1) -> None:
        self.clock.advance(timedelta(seconds=seconds))
        self.gate.tick()

    def status(self, pid: int) -> str:
        return self.source.procs[pid].status


def state_of(gp: GatedProcess) -> GateState:
    """The state now (a call, so that type checkers do not assume it stays the same)."""
    return gp.state


@pytest.fixture
def rig() -> Iterator[Rig]:
    source = FakeSource()
    clock = ManualClock(datetime(2026, 3, 7, 9, 0, tzinfo=UTC))
    gated: list[GatedProcess] = []
    settled: list[GatedProcess] = []
    apps = [SIGNAL, SLACK]
    source.spawn("systemd", pid=1, ppid=0)
    source.spawn("bash", pid=500)
    gate = AppGate(
        lambda: apps,
        gated.append,
        process_source=source,
        rules=linux.app_matches,
        clock=clock,
        freeze_timeout=120.0,
        end_grace=1.0,
        on_settled=settled.append,
    )
    gate.tick()  # baseline
    yield Rig(source, clock, gate, gated, settled, apps)


def test_a_new_gated_process_is_frozen_once_and_reported(rig: Rig) -> None:
    proc = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    assert rig.status(proc.pid) == "stopped"
    assert len(rig.gated) == 1
    gp = rig.gated[0]
    assert (gp.pid, gp.app, gp.exe_name, gp.state) == (
        proc.pid,
        SIGNAL,
        "signal-desktop",
        GateState.FROZEN,
    )
    assert rig.gate.waiting() == [gp]
    rig.tick()
    rig.tick()
    assert len(rig.gated) == 1
    assert rig.source.signals == [("stop", proc.pid)]


def test_what_ran_before_the_watcher_is_left_alone(rig: Rig) -> None:
    source = FakeSource()
    running = source.spawn("signal-desktop")
    gated: list[GatedProcess] = []
    gate = AppGate(
        lambda: [SIGNAL],
        gated.append,
        process_source=source,
        rules=linux.app_matches,
        clock=rig.clock,
    )
    gate.tick()
    gate.tick()
    assert gated == [] and source.procs[running.pid].status == "running"
    # Its new helpers (same executable) are part of the running instance: not gated either.
    helper = source.spawn(
        "signal-desktop", ppid=running.pid, cmdline=("signal-desktop", "--type=renderer")
    )
    gate.tick()
    assert gated == [] and source.procs[helper.pid].status == "running"
    # A fresh launch is gated.
    fresh = source.spawn("signal-desktop")
    gate.tick()
    assert [gp.pid for gp in gated] == [fresh.pid]


def test_unrelated_processes_are_not_touched(rig: Rig) -> None:
    for name in ("bash", "sleep", "signal-desktopx", "Signal-Desktop", "slackware"):
        rig.source.spawn(name)
    rig.tick()
    assert rig.gated == [] and rig.source.signals == []


def test_resume_lets_the_tree_run_and_allows_its_new_helpers(rig: Rig) -> None:
    main = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    gp = rig.gated[0]
    assert rig.gate.resume(gp) is True
    assert gp.state is GateState.RESUMED and rig.status(main.pid) == "running"
    assert rig.gate.resume(gp) is False
    helper = rig.source.spawn("signal-desktop", ppid=main.pid)
    crash = rig.source.spawn("chrome_crashpad_handler", ppid=main.pid)
    rig.tick()
    grandchild = rig.source.spawn("signal-desktop", ppid=crash.pid)
    rig.tick()
    assert len(rig.gated) == 1
    assert {rig.status(p) for p in (helper.pid, crash.pid, grandchild.pid)} == {"running"}
    # Another gated app started from the allowed one is gated on its own.
    slack = rig.source.spawn("slack", ppid=main.pid)
    rig.tick()
    assert [g.app.id for g in rig.gated] == ["signal", "slack"]
    assert rig.status(slack.pid) == "stopped"
    # A new launch of Signal itself is gated again.
    again = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    assert rig.gated[-1].pid == again.pid and rig.status(again.pid) == "stopped"


def test_the_whole_tree_is_frozen_existing_and_later_children(rig: Rig) -> None:
    main = rig.source.spawn("signal-desktop", ppid=500)
    zygote = rig.source.spawn("signal-desktop", ppid=main.pid, cmdline=("x", "--type=zygote"))
    # A child that already ran when the root was frozen but was not yet in a listing:
    rig.tick()
    gp = rig.gated[0]
    assert set(gp.members) == {main.pid, zygote.pid}
    late_child = rig.source.spawn("chrome_crashpad_handler", ppid=zygote.pid)
    rig.tick()
    assert rig.status(late_child.pid) == "stopped" and late_child.pid in gp.members
    assert gp.pids[0] == main.pid
    rig.gate.resume(gp)
    assert {rig.status(p) for p in gp.members} == {"running"}
    assert len(rig.gated) == 1


def test_children_seen_earlier_are_frozen_with_a_root_found_late(rig: Rig) -> None:
    parent = rig.source.spawn("python3", ppid=500)
    child = rig.source.spawn("helper", ppid=parent.pid)
    rig.tick()
    assert rig.gated == []
    parent.name = "signal-desktop"  # exec() after we first looked; the child is not new
    rig.tick()
    assert set(rig.gated[0].members) == {parent.pid, child.pid}
    assert rig.status(child.pid) == "stopped"


def test_a_child_listed_before_its_parent_still_joins_the_launch(rig: Rig) -> None:
    # pid numbers wrap around: the child can have a smaller pid than its parent.
    parent = rig.source.spawn("signal-desktop", pid=3000, ppid=500)
    child = rig.source.spawn("gpu-helper", pid=20, ppid=3000)
    rig.source.procs[child.pid].start = parent.start  # same clock tick
    rig.tick()
    assert len(rig.gated) == 1 and set(rig.gated[0].members) == {parent.pid, child.pid}


def test_a_second_launch_while_the_first_waits_joins_it(rig: Rig) -> None:
    first = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    second = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    assert len(rig.gated) == 1
    gp = rig.gated[0]
    assert set(gp.members) == {first.pid, second.pid}
    rig.gate.end(gp)
    assert {("term", first.pid), ("term", second.pid)} <= set(rig.source.signals)


def test_end_terminates_then_kills_after_the_grace_period(rig: Rig) -> None:
    stubborn = rig.source.spawn("signal-desktop", ppid=500)
    stubborn.obeys_term = False
    rig.tick()
    gp = rig.gated[0]
    rig.gate.end(gp)
    assert state_of(gp) is GateState.ENDING and ("term", stubborn.pid) in rig.source.signals
    rig.tick(0.5)
    assert ("kill", stubborn.pid) not in rig.source.signals
    rig.tick(0.6)
    assert ("kill", stubborn.pid) in rig.source.signals
    rig.tick()
    assert state_of(gp) is GateState.ENDED and rig.gate.waiting() == []
    rig.gate.end(gp)  # nothing left to do
    assert rig.gate.resume(gp) is False


def test_end_of_an_obedient_app_is_done_at_the_next_tick(rig: Rig) -> None:
    proc = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    gp = rig.gated[0]
    rig.gate.end(gp)
    rig.tick()
    assert gp.state is GateState.ENDED
    assert ("kill", proc.pid) not in rig.source.signals


def test_an_app_that_exits_by_itself_while_frozen_settles_as_gone(rig: Rig) -> None:
    proc = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    gp = rig.gated[0]
    rig.source.exit(proc.pid)
    rig.tick()
    assert gp.state is GateState.GONE and rig.settled == [gp]
    assert rig.gate.resume(gp) is False
    rig.gate.end(gp)
    assert gp.state is GateState.GONE


def test_a_frozen_app_that_becomes_a_zombie_is_gone(rig: Rig) -> None:
    proc = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    rig.source.procs[proc.pid].status = "zombie"  # killed by someone, not yet reaped
    rig.tick()
    assert rig.gated[0].state is GateState.GONE


def test_safety_net_resumes_a_forgotten_frozen_app(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    proc = rig.source.spawn(
        "signal-desktop", ppid=500, cmdline=("signal-desktop", "--user=alice@example.com")
    )
    rig.tick()
    gp = rig.gated[0]
    rig.tick(100)
    rig.gate.hold(gp)  # the dialog is still on screen
    rig.tick(100)
    assert state_of(gp) is GateState.FROZEN
    with caplog.at_level(logging.INFO, logger="nocontact_desktop.core.app_gate.watcher"):
        rig.tick(21)
    assert state_of(gp) is GateState.RELEASED and rig.status(proc.pid) == "running"
    assert rig.settled == [gp]
    assert f"no decision for pid {proc.pid}" in caplog.text and "signal" not in caplog.text
    assert "alice" not in caplog.text
    # Its helpers are allowed after the release, as after "open anyway".
    helper = rig.source.spawn("signal-desktop", ppid=proc.pid)
    rig.tick()
    assert rig.status(helper.pid) == "running" and len(rig.gated) == 1
    # "Close" after a release still ends it.
    rig.gate.end(gp)
    assert ("term", proc.pid) in rig.source.signals


def test_a_failing_dialog_resumes_at_once(caplog: pytest.LogCaptureFixture) -> None:
    source = FakeSource()
    clock = ManualClock(datetime(2026, 3, 7, tzinfo=UTC))

    def broken(gp: GatedProcess) -> None:
        raise RuntimeError("no display")

    gate = AppGate(
        lambda: [SIGNAL], broken, process_source=source, rules=linux.app_matches, clock=clock
    )
    gate.tick()
    proc = source.spawn("signal-desktop")
    with caplog.at_level(logging.INFO):
        gate.tick()
    assert source.procs[proc.pid].status == "running"
    assert "showing the dialog for pid" in caplog.text and "signal" not in caplog.text


def test_pid_reuse_is_told_apart_by_create_time(rig: Rig) -> None:
    main = rig.source.spawn("signal-desktop", ppid=500)
    child = rig.source.spawn("helper", ppid=main.pid)
    rig.tick()
    gp = rig.gated[0]
    assert child.pid in gp.members
    # The child dies and its pid goes to an unrelated program before the next listing.
    rig.source.exit(child.pid)
    stranger = rig.source.spawn("bash", pid=child.pid, ppid=500)
    rig.tick()
    assert stranger.pid not in gp.members and rig.status(stranger.pid) == "running"
    # The root's pid is taken over too: the gate must not send it any signal.
    rig.source.exit(main.pid)
    imposter = rig.source.spawn("bash", pid=main.pid, ppid=500)
    rig.source.signals.clear()
    rig.gate.resume(gp)
    rig.tick()
    assert rig.source.signals == [] and rig.status(imposter.pid) == "running"


def test_a_reused_allowed_pid_is_gated_as_a_new_launch(rig: Rig) -> None:
    main = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    rig.gate.resume(rig.gated[0])
    # Unseen by any listing, the allowed process ends and a new launch gets its pid.
    rig.source.exit(main.pid)
    rig.source.spawn("signal-desktop", pid=main.pid, ppid=500)
    rig.gate._known.discard(main.pid)  # type: ignore[union-attr]  # as if one listing missed it
    rig.tick()
    assert len(rig.gated) == 2 and rig.status(main.pid) == "stopped"


@pytest.mark.parametrize("raises", [False, True])
def test_zombies_are_skipped(rig: Rig, raises: bool) -> None:
    rig.source.zombie_raises = raises
    zombie = rig.source.spawn("signal-desktop", ppid=500)
    zombie.status = "zombie"
    rig.tick()
    assert rig.gated == [] and rig.source.signals == []


def test_access_denied_is_skipped_and_not_retried(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    unreadable = rig.source.spawn("signal-desktop", ppid=500)
    rig.source.deny_identity.add(unreadable.pid)
    other_user = rig.source.spawn("signal-desktop", ppid=500)
    rig.source.deny_signal.add(other_user.pid)
    with caplog.at_level(logging.INFO):
        rig.tick()
        rig.tick()
        rig.tick(FULL_SCAN_SECONDS)
    assert rig.gated == [] and rig.gate.stats.denied == 2
    assert caplog.text.count("cannot freeze pid") == 1
    assert "signal" not in caplog.text  # no app name in logs (issue 14)
    assert rig.status(other_user.pid) == "running"
    # Its helpers are left alone too, without a log line each.
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            rig.source.spawn("signal-desktop", ppid=other_user.pid)
            rig.tick()
    assert rig.gated == [] and caplog.text.count("cannot freeze pid") == 1


def test_processes_that_vanish_between_looks(rig: Rig) -> None:
    early = rig.source.spawn("signal-desktop", ppid=500)
    rig.source.vanish_before_identity.add(early.pid)
    late = rig.source.spawn("signal-desktop", ppid=500)
    rig.source.vanish_before_suspend.add(late.pid)
    rig.tick()
    assert rig.gated == [] and rig.gate.waiting() == []


def test_a_launcher_that_execs_the_app_later_is_caught(rig: Rig) -> None:
    shell = rig.source.spawn("sh", ppid=500, cmdline=("sh", "-c", "sleep 5 && exec signal-desktop"))
    rig.tick()
    rig.tick(5)
    assert rig.gated == []
    counter = rig.source.counter
    shell.name = "signal-desktop"  # exec() keeps the pid; no pid is handed out
    assert rig.source.counter == counter
    rig.tick(LAUNCHER_RECHECK_SECONDS)
    assert [gp.pid for gp in rig.gated] == [shell.pid] and rig.status(shell.pid) == "stopped"


def test_a_launcher_from_before_the_watcher_is_watched_too(rig: Rig) -> None:
    source = FakeSource()
    shell = source.spawn("sh")
    gated: list[GatedProcess] = []
    gate = AppGate(
        lambda: [SIGNAL],
        gated.append,
        process_source=source,
        rules=linux.app_matches,
        clock=rig.clock,
    )
    gate.tick()
    shell.name = "signal-desktop"
    for _ in range(12):
        rig.clock.advance(timedelta(seconds=0.1))
        gate.tick()
    assert [gp.pid for gp in gated] == [shell.pid]


def test_a_fork_that_execs_just_after_the_first_look_is_caught(rig: Rig) -> None:
    child = rig.source.spawn("python3", ppid=500)  # forked, exec() not yet done
    rig.tick()
    child.name = "signal-desktop"
    rig.tick()
    assert [gp.pid for gp in rig.gated] == [child.pid]
    # Not forever, though: an ordinary program is left alone after the young period.
    other = rig.source.spawn("python3", ppid=500)
    rig.tick()
    rig.tick(YOUNG_SECONDS + 0.1)
    other.name = "signal-desktop"
    rig.tick()
    rig.tick(LAUNCHER_RECHECK_SECONDS)
    assert len(rig.gated) == 1


def test_an_app_noticed_only_through_its_child_becomes_the_root(rig: Rig) -> None:
    parent = rig.source.spawn("python3", ppid=500)
    rig.tick()
    rig.tick(YOUNG_SECONDS + 0.1)  # no longer watched
    parent.name = "signal-desktop"
    child = rig.source.spawn("signal-desktop", ppid=parent.pid)
    rig.tick()
    assert len(rig.gated) == 1
    gp = rig.gated[0]
    assert gp.pid == parent.pid and set(gp.members) == {parent.pid, child.pid}
    assert rig.status(parent.pid) == rig.status(child.pid) == "stopped"


def test_pause_lets_apps_start_and_counts_them_as_running(rig: Rig) -> None:
    rig.gate.pause_until(rig.clock.now() + timedelta(minutes=10))
    assert rig.gate.paused and rig.gate.paused_until is not None
    during = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    assert rig.gated == [] and rig.status(during.pid) == "running"
    rig.tick(600)
    assert not rig.gate.paused
    helper = rig.source.spawn("signal-desktop", ppid=during.pid)
    rig.tick()
    assert rig.gated == [] and rig.status(helper.pid) == "running"
    fresh = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    assert [gp.pid for gp in rig.gated] == [fresh.pid]
    rig.gate.pause_until(rig.clock.now() + timedelta(minutes=1))
    rig.gate.pause_until(None)
    assert not rig.gate.paused
    with pytest.raises(ValueError, match="aware"):
        rig.gate.pause_until(datetime(2026, 1, 1))


def test_a_waiting_launch_outlives_a_pause(rig: Rig) -> None:
    rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    rig.gate.pause_until(rig.clock.now() + timedelta(hours=1))
    rig.tick(121)
    assert rig.gated[0].state is GateState.RELEASED  # the safety net still works when paused


def test_no_apps_means_no_listing(rig: Rig) -> None:
    rig.apps.clear()
    before = rig.source.listings
    for _ in range(20):
        rig.source.spawn("signal-desktop")
        rig.tick()
    assert rig.source.listings == before and rig.gated == []
    rig.apps.append(SIGNAL)
    rig.tick()  # new baseline: what runs now is left alone
    fresh = rig.source.spawn("signal-desktop")
    rig.tick()
    assert [gp.pid for gp in rig.gated] == [fresh.pid]


def test_quiet_ticks_do_not_list_processes(rig: Rig) -> None:
    rig.tick(FULL_SCAN_SECONDS)
    before = rig.source.listings
    for _ in range(5):
        rig.tick(0.1)
    assert rig.source.listings == before
    rig.tick(FULL_SCAN_SECONDS)  # listed at least once a second anyway
    assert rig.source.listings == before + 1
    rig.source.spawn("bash")
    rig.tick(0.1)
    assert rig.source.listings == before + 2


def test_a_counter_that_misses_starts_is_no_longer_trusted(rig: Rig) -> None:
    rig.tick(FULL_SCAN_SECONDS)
    proc = rig.source.spawn("signal-desktop", ppid=500)
    rig.source.counter = (rig.source.counter or 0) - 1  # the start did not move it
    rig.tick(FULL_SCAN_SECONDS)
    assert rig.gated and rig.gated[0].pid == proc.pid
    before = rig.source.listings
    rig.tick(0.1)
    rig.tick(0.1)
    assert rig.source.listings == before + 2


def test_a_start_between_reading_the_counter_and_listing_keeps_the_counter(rig: Rig) -> None:
    rig.tick(FULL_SCAN_SECONDS)
    rig.source.before_listing.append(lambda: rig.source.spawn("signal-desktop", ppid=500))
    rig.tick(FULL_SCAN_SECONDS)  # a forced listing; the start happens just before it
    assert len(rig.gated) == 1
    before = rig.source.listings
    rig.tick(0.1)
    rig.tick(0.1)
    assert rig.source.listings == before + 1  # one for the counter's move, then quiet


def test_without_a_counter_every_tick_lists(rig: Rig) -> None:
    rig.source.counter = None
    before = rig.source.listings
    rig.tick()
    rig.tick()
    assert rig.source.listings == before + 2


def test_leftovers_of_a_crashed_run_are_resumed(caplog: pytest.LogCaptureFixture) -> None:
    source = FakeSource()
    left = source.spawn("signal-desktop")
    left.status = "stopped"
    left_child = source.spawn("zygote", ppid=left.pid)
    left_child.status = "stopped"
    job = source.spawn("vim")
    job.status = "stopped"  # ^Z in a terminal: not ours
    gate = AppGate(
        lambda: [SIGNAL], lambda gp: None, process_source=source, rules=linux.app_matches
    )
    with caplog.at_level(logging.INFO):
        gate.tick()
    assert source.procs[left.pid].status == source.procs[left_child.pid].status == "running"
    assert source.procs[job.pid].status == "stopped"
    assert "left frozen by an earlier run" in caplog.text
    gate2 = AppGate(
        lambda: [SIGNAL],
        lambda gp: None,
        process_source=source,
        rules=linux.app_matches,
        release_leftovers=False,
    )
    left.status = "stopped"
    gate2.tick()
    assert left.status == "stopped"


def test_close_resumes_waiting_and_kills_ending(rig: Rig) -> None:
    waiting = rig.source.spawn("signal-desktop", ppid=500)
    rig.tick()
    ending = rig.source.spawn("slack", ppid=500)
    ending.obeys_term = False
    rig.tick()
    rig.gate.end(rig.gated[1])
    rig.gate.close()
    assert rig.status(waiting.pid) == "running" and rig.gated[0].state is GateState.RELEASED
    assert ("kill", ending.pid) in rig.source.signals and rig.gated[1].state is GateState.ENDED


def test_a_flood_of_short_lived_processes_does_not_hide_the_app(rig: Rig) -> None:
    for i in range(5000):
        proc = rig.source.spawn("true", ppid=500)
        if i % 2:
            rig.source.vanish_before_identity.add(proc.pid)
        else:
            rig.source.exit(proc.pid)
    app = rig.source.spawn("signal-desktop", ppid=500)
    for _ in range(5000):
        rig.source.spawn("true", ppid=500)
    rig.tick()
    assert [gp.pid for gp in rig.gated] == [app.pid]
    for _ in range(12):
        rig.tick()
    assert len(rig.gated) == 1 and rig.gate.waiting() == rig.gated


def test_a_tick_never_raises(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> set[int]:
        raise RuntimeError("boom")

    rig.source.counter = None
    rig.source.list_pids = broken  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO):
        for _ in range(5):
            rig.tick()
    assert rig.gate.stats.errors == 5 and caplog.text.count("scan failed") == 1


def test_run_in_thread_ticks_until_stopped() -> None:
    source = FakeSource()
    gate = AppGate(
        lambda: [SIGNAL], lambda gp: None, process_source=source, rules=linux.app_matches
    )
    runner = gate.run_in_thread(0.01)
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        while gate.stats.ticks < 3 and datetime.now(UTC) < deadline:
            runner.thread.join(0.01)
    finally:
        runner.stop()
    assert gate.stats.ticks >= 3 and not runner.thread.is_alive()


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="freeze_timeout"):
        AppGate(
            lambda: [],
            lambda gp: None,
            process_source=FakeSource(),
            rules=linux.app_matches,
            freeze_timeout=0,
        )
