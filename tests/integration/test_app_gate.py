"""The app gate against real processes on this Linux machine.

A copy of /bin/sleep named ``signal-desktop`` stands in for Signal. The watcher ticks in a
thread at the interval the tray app uses; the tests read the process state from /proc.
Scripted corner cases (pid reuse, permission errors, …) are in tests/unit/test_app_gate_watcher.py.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest

from nocontact_desktop.core.app_gate.rules import GatedApp, load_presets
from nocontact_desktop.core.app_gate.watcher import (
    DEFAULT_TICK_INTERVAL,
    AppGate,
    GatedProcess,
    GateState,
)
from nocontact_desktop.core.clock import ManualClock

if not sys.platform.startswith("linux"):
    pytest.skip("real-process tests of the app gate run on Linux only", allow_module_level=True)

from nocontact_desktop.platform import linux

BUDGET_S = 0.300  # DESIGN §11: gated app started -> suspended, p95


def proc_state(pid: int) -> str:
    """The state letter from /proc/PID/stat ('' once the process is gone and reaped)."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return ""
    return data[data.rindex(b")") + 2 :].split()[0].decode()


def comm_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except FileNotFoundError:
        return ""


def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.002) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


class Launcher:
    """Starts processes and always reaps them."""

    def __init__(self) -> None:
        self.children: list[subprocess.Popen[bytes]] = []

    def start(self, *argv: str | Path) -> subprocess.Popen[bytes]:
        child = subprocess.Popen([str(a) for a in argv])
        self.children.append(child)
        return child

    def cleanup(self) -> None:
        for child in self.children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)


@pytest.fixture
def launcher() -> Iterator[Launcher]:
    runner = Launcher()
    try:
        yield runner
    finally:
        runner.cleanup()


@pytest.fixture
def stand_in(tmp_path: Path) -> Path:
    path = tmp_path / "signal-desktop"
    shutil.copy("/bin/sleep", path)
    return path


@pytest.fixture
def script_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "scripts"
    folder.mkdir()
    return folder


class Watch:
    """An AppGate with the Linux presets, ticking in a thread like the tray's timer."""

    def __init__(self, **options: object) -> None:
        self.gated: list[GatedProcess] = []
        self.settled: list[GatedProcess] = []
        self.event = threading.Event()
        self.apps: tuple[GatedApp, ...] = load_presets("linux")
        self.gate = AppGate(
            lambda: self.apps,
            self._on_gated,
            on_settled=self.settled.append,
            **{"process_source": linux, "rules": linux.app_matches, **options},  # type: ignore[arg-type]
        )
        self.gate.tick()  # baseline

    def _on_gated(self, gp: GatedProcess) -> None:
        self.gated.append(gp)
        self.event.set()

    def for_pid(self, pid: int, timeout: float = 2.0) -> GatedProcess:
        assert wait_for(lambda: any(pid in gp.members for gp in self.gated), timeout), pid
        return next(gp for gp in self.gated if pid in gp.members)


@pytest.fixture
def watch() -> Iterator[Watch]:
    w = Watch()
    runner = w.gate.run_in_thread(DEFAULT_TICK_INTERVAL)
    try:
        yield w
    finally:
        runner.stop()
        w.gate.close()


def test_a_stand_in_is_frozen_within_budget_then_resumed(
    watch: Watch, stand_in: Path, launcher: Launcher
) -> None:
    started = time.monotonic()
    child = launcher.start(stand_in, "30")
    assert wait_for(lambda: proc_state(child.pid) == "T", BUDGET_S), (
        f"not stopped within {BUDGET_S * 1000:.0f} ms (state {proc_state(child.pid)!r})"
    )
    elapsed = time.monotonic() - started
    gp = watch.for_pid(child.pid)
    assert gp.app.id == "signal" and gp.pid == child.pid and gp.exe_name == "signal-desktop"
    assert gp.frozen_at - started <= elapsed
    assert watch.gate.resume(gp)
    assert wait_for(lambda: proc_state(child.pid) in {"S", "R"}, 1.0)
    assert child.poll() is None
    # Resumed means allowed: later ticks leave it running.
    time.sleep(3 * DEFAULT_TICK_INTERVAL)
    assert proc_state(child.pid) in {"S", "R"} and len(watch.gated) == 1


def test_end_terminates_the_stand_in(watch: Watch, stand_in: Path, launcher: Launcher) -> None:
    child = launcher.start(stand_in, "30")
    gp = watch.for_pid(child.pid)
    assert wait_for(lambda: proc_state(child.pid) == "T", 1.0)
    watch.gate.end(gp)
    assert child.wait(timeout=3) == -signal.SIGTERM
    assert wait_for(lambda: gp.state is GateState.ENDED, 1.0)


def test_end_kills_an_app_that_ignores_sigterm(
    watch: Watch, script_dir: Path, launcher: Launcher
) -> None:
    stubborn = script_dir / "signal-desktop"
    stubborn.write_text("#!/bin/bash\ntrap '' TERM\nwhile :; do sleep 0.05; done\n")
    stubborn.chmod(0o755)
    child = launcher.start(stubborn)
    gp = watch.for_pid(child.pid)
    assert wait_for(lambda: proc_state(child.pid) == "T", 1.0)
    started = time.monotonic()
    watch.gate.end(gp)
    assert child.wait(timeout=5) == -signal.SIGKILL
    assert time.monotonic() - started >= watch.gate.end_grace * 0.9
    assert wait_for(lambda: gp.state is GateState.ENDED, 1.0)


def test_a_tree_is_frozen_and_resumed_together(
    watch: Watch, script_dir: Path, launcher: Launcher
) -> None:
    app = script_dir / "signal-desktop"
    app.write_text("#!/bin/bash\nsleep 30 &\nsleep 30 &\nwait\n")
    app.chmod(0o755)
    child = launcher.start(app)
    gp = watch.for_pid(child.pid)
    # The children may be forked just before the freeze or not at all (the parent is frozen
    # first); let the script run until both exist.
    watch.gate.resume(gp)
    assert wait_for(lambda: len(psutil.Process(child.pid).children()) == 2, 2.0)
    kids = [c.pid for c in psutil.Process(child.pid).children()]
    assert all(proc_state(pid) in {"S", "R"} for pid in kids)
    # A fresh launch of the same script: everything it has forked is frozen with it.
    second = launcher.start(app)
    gp2 = watch.for_pid(second.pid)
    assert wait_for(lambda: proc_state(second.pid) == "T", 1.0)
    for pid in psutil.Process(second.pid).children():
        assert wait_for(lambda pid=pid.pid: proc_state(pid) == "T", 1.0)  # type: ignore[misc]
    watch.gate.end(gp2)
    assert second.wait(timeout=5) in {-signal.SIGTERM, -signal.SIGKILL}


def test_a_shell_that_execs_the_app_later_is_caught(
    watch: Watch, stand_in: Path, launcher: Launcher
) -> None:
    # dash runs `sleep`, then replaces itself with the app: same pid, never "new" again.
    shell = launcher.start("/bin/sh", "-c", f"sleep 1.5; exec '{stand_in}' 30")
    time.sleep(1.0)
    assert proc_state(shell.pid) in {"S", "R"} and watch.gated == []
    assert wait_for(lambda: comm_of(shell.pid) == "signal-desktop", 2.0)
    exec_seen = time.monotonic()
    assert wait_for(lambda: proc_state(shell.pid) == "T", 1.5)
    assert time.monotonic() - exec_seen <= 1.5
    assert watch.for_pid(shell.pid).app.id == "signal"


def test_processes_that_end_on_their_own(watch: Watch, stand_in: Path, launcher: Launcher) -> None:
    # Gone before the watcher gets a look, or while it looks: nothing breaks.
    for _ in range(20):
        launcher.start(stand_in, "0").wait()
    # Killed by someone else while frozen (and reaped): the launch settles as gone.
    child = launcher.start(stand_in, "30")
    gp = watch.for_pid(child.pid)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert wait_for(lambda: gp.state is GateState.GONE, 1.0)
    assert watch.settled == [gp]
    assert watch.gate.resume(gp) is False
    assert watch.gate.stats.errors == 0


def test_zombies_are_skipped_and_a_killed_frozen_app_is_gone(
    stand_in: Path, launcher: Launcher
) -> None:
    w = Watch()
    # A gated program that has exited but is not reaped yet: a zombie, new to the watcher.
    zombie = launcher.start(stand_in, "0")
    assert wait_for(lambda: proc_state(zombie.pid) == "Z", 2.0)
    w.gate.tick()
    assert w.gated == []
    frozen = launcher.start(stand_in, "30")
    assert wait_for(lambda: comm_of(frozen.pid) == "signal-desktop", 2.0)
    w.gate.tick()
    gp = w.for_pid(frozen.pid, timeout=0)
    os.kill(frozen.pid, signal.SIGKILL)  # not reaped: stays a zombie
    assert wait_for(lambda: proc_state(frozen.pid) == "Z", 2.0)
    w.gate.tick()
    assert gp.state is GateState.GONE and w.gate.stats.errors == 0


def test_a_flood_of_short_lived_processes_does_not_hide_the_app(
    watch: Watch, stand_in: Path, launcher: Launcher
) -> None:
    flood = launcher.start("/bin/bash", "-c", "for i in $(seq 500); do /bin/true; done")
    time.sleep(0.1)
    started = time.monotonic()
    child = launcher.start(stand_in, "30")
    assert wait_for(lambda: proc_state(child.pid) == "T", 2.0)
    latency = time.monotonic() - started
    assert flood.wait(timeout=30) == 0
    gp = watch.for_pid(child.pid)
    assert len(watch.gated) == 1 and gp.state is GateState.FROZEN
    assert latency < 1.0, f"{latency * 1000:.0f} ms under a flood"
    assert watch.gate.stats.errors == 0


def test_safety_net_resumes_a_forgotten_frozen_app(
    stand_in: Path, launcher: Launcher, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ManualClock(datetime(2026, 3, 7, 23, 30, tzinfo=UTC))
    w = Watch(clock=clock, freeze_timeout=120.0)
    home = stand_in.parent / "home-of-alice"  # paths can hold a user's name: never logged
    home.mkdir()
    stand_in = Path(shutil.copy(stand_in, home / "signal-desktop"))
    child = launcher.start(stand_in, "30")
    assert wait_for(lambda: comm_of(child.pid) == "signal-desktop", 2.0)
    w.gate.tick()
    gp = w.for_pid(child.pid, timeout=0)
    assert wait_for(lambda: proc_state(child.pid) == "T", 1.0)
    clock.advance(timedelta(seconds=119))
    w.gate.tick()
    assert wait_for(lambda: proc_state(child.pid) == "T", 1.0)
    with caplog.at_level(logging.INFO, logger="nocontact_desktop.core.app_gate.watcher"):
        clock.advance(timedelta(seconds=2))
        w.gate.tick()
    assert gp.state is GateState.RELEASED and w.settled == [gp]
    assert wait_for(lambda: proc_state(child.pid) in {"S", "R"}, 1.0)
    assert f"no decision for pid {child.pid}" in caplog.text  # no app names in logs (issue 14)
    assert "alice" not in caplog.text


def test_an_app_left_frozen_by_a_crashed_run_is_resumed(stand_in: Path, launcher: Launcher) -> None:
    child = launcher.start(stand_in, "30")
    assert wait_for(lambda: proc_state(child.pid) == "S", 2.0)
    os.kill(child.pid, signal.SIGSTOP)
    assert wait_for(lambda: proc_state(child.pid) == "T", 1.0)
    Watch()  # its first tick looks for leftovers
    assert wait_for(lambda: proc_state(child.pid) in {"S", "R"}, 1.0)


@pytest.mark.parametrize("argv0", ["/app/bin/sig-sandboxed", "app/bin/sig-sandboxed"])
def test_a_sandboxed_flatpak_app_is_found_by_its_app_id(
    tmp_path: Path, launcher: Launcher, argv0: str
) -> None:
    """A chroot with a /.flatpak-info stands in for a Flatpak sandbox (needs root)."""
    if os.geteuid() != 0:
        pytest.skip("building the stand-in sandbox needs chroot, i.e. root")
    root = tmp_path / "sandbox"
    for lib in ("/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"):
        if not Path(lib).exists():
            pytest.skip(f"the stand-in sandbox copies {lib}, which this machine lacks")
        (root / lib.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(lib, root / lib.lstrip("/"))
    # The app's command has a name no name rule knows: only the app id can match it.
    app = root / "app" / "bin" / "sig-sandboxed"
    app.parent.mkdir(parents=True)
    shutil.copy("/bin/sleep", app)
    (root / ".flatpak-info").write_text("[Application]\nname=org.signal.Signal\nruntime=x\n")
    w = Watch()
    # argv0 without /app/: only the different root tells that the process is sandboxed.
    child = launcher.start("/usr/sbin/chroot", root, argv0, "30")
    assert wait_for(lambda: comm_of(child.pid) == "sig-sandboxed", 2.0)
    assert linux.process_identity(child.pid).flatpak_app == "org.signal.Signal"
    w.gate.tick()
    gp = w.for_pid(child.pid, timeout=0)
    assert gp.app.id == "signal"
    assert wait_for(lambda: proc_state(child.pid) == "T", 1.0)
    w.gate.end(gp)
    assert child.wait(timeout=3) == -signal.SIGTERM
    assert linux.process_identity(os.getpid()).flatpak_app is None


# --- the Linux platform functions the watcher uses -----------------------------------------


def test_linux_identity_agrees_with_psutil(launcher: Launcher, stand_in: Path) -> None:
    child = launcher.start(stand_in, "30", "0.5")
    assert wait_for(lambda: comm_of(child.pid) == "signal-desktop", 2.0)
    mine = linux.process_identity(child.pid)
    theirs = psutil.Process(child.pid)
    assert mine.name == theirs.name() == "signal-desktop"
    assert mine.exe == theirs.exe() == str(stand_in)
    assert mine.cmdline == tuple(theirs.cmdline()) == (str(stand_in), "30", "0.5")
    assert mine.ppid == os.getpid() and mine.status in {"sleeping", "running"}
    # Seconds since boot (not moved by clock changes); psutil adds the boot time.
    assert abs(mine.create_time + psutil.boot_time() - theirs.create_time()) < 0.011
    assert linux.process_exec_token(child.pid) == "signal-desktop"
    assert child.pid in linux.process_child_pids(os.getpid())
    assert child.pid in linux.list_pids() and os.getpid() in linux.list_pids()


def test_linux_identity_of_odd_processes() -> None:
    kthreadd = linux.process_identity(2)
    assert kthreadd.exe is None and kthreadd.cmdline == ()
    with pytest.raises(psutil.NoSuchProcess):
        linux.process_identity(2**22 + 7)  # above any pid_max
    assert linux.process_alive(2**22 + 7, 1.0) is False


def test_linux_spawn_counter_moves_when_a_process_starts(launcher: Launcher) -> None:
    before = linux.spawn_counter()
    assert before is not None
    launcher.start("/bin/true").wait()
    after = linux.spawn_counter()
    assert after is not None and after != before


def test_linux_signals_refuse_a_pid_that_belongs_to_another_process(
    launcher: Launcher, stand_in: Path
) -> None:
    child = launcher.start(stand_in, "30")
    assert wait_for(lambda: proc_state(child.pid) == "S", 2.0)
    real = linux.process_identity(child.pid).create_time
    with pytest.raises(psutil.NoSuchProcess):
        linux.suspend_process(child.pid, real - 1.0)
    assert proc_state(child.pid) == "S"
    linux.suspend_process(child.pid, real)
    assert wait_for(lambda: proc_state(child.pid) == "T", 1.0)
    assert linux.process_alive(child.pid, real) and not linux.process_alive(child.pid, real + 1)
    linux.resume_process(child.pid, real)
    assert wait_for(lambda: proc_state(child.pid) == "S", 1.0)
    linux.terminate_process(child.pid, real)
    assert child.wait(timeout=3) == -signal.SIGTERM
    with pytest.raises(psutil.NoSuchProcess):
        linux.kill_process(child.pid, real)
