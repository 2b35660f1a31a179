"""App gate benchmark (DESIGN §11): start → suspended latency and the watcher's CPU share.

    .venv/bin/python bench/bench_app_gate.py            # 60 s idle window
    .venv/bin/python bench/bench_app_gate.py --quick    # 10 s idle window

Budgets: gated app started → suspended p95 ≤ 300 ms; watcher CPU ≤ 0.5 % of one core idle.
Each figure is printed beside the physical limit measured in the same run (how long the OS
takes to fork+exec the stand-in until /proc shows it under its new name). Linux only: the
stand-in is a copy of /bin/sleep named ``signal-desktop``. Prints figures; never fails.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

from nocontact_desktop.core.app_gate.rules import load_presets
from nocontact_desktop.core.app_gate.watcher import (
    DEFAULT_TICK_INTERVAL,
    AppGate,
    GatedProcess,
    GateStats,
    ProcessSource,
)
from nocontact_desktop.platform import linux

LAUNCHES = 50
BURST = 500
BUDGET_P95_MS = 300.0
BUDGET_IDLE_CPU_PCT = 0.5


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            return f.read().decode().strip()
    except OSError:
        return ""


def state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return ""
    return data[data.rindex(b")") + 2 :].split()[0].decode()


def thread_cpu(thread: threading.Thread) -> float:
    assert thread.ident is not None
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


class NoCounter:
    """A process source without the spawn counter: the watcher lists pids every tick."""

    def __init__(self, inner: ProcessSource) -> None:
        self._inner = inner

    def spawn_counter(self) -> int | None:
        return None

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def micro_costs() -> None:
    from nocontact_desktop.platform import macos

    pid = os.getpid()
    n = 2000
    rows: list[tuple[str, Callable[[], object]]] = [
        ("spawn counter (pread /proc/loadavg)", linux.spawn_counter),
        ("list pids: os.listdir('/proc') (chosen)", linux.list_pids),
        ("list pids: psutil.pids()", lambda: set(psutil.pids())),
        (
            "list pids: os.scandir('/proc')",
            lambda: {int(e.name) for e in os.scandir("/proc") if e.name.isdigit()},
        ),
        ("identity of one process: /proc reads (chosen)", lambda: linux.process_identity(pid)),
        ("identity of one process: psutil oneshot", lambda: macos.process_identity(pid)),
        ("exec re-check of one process (comm)", lambda: linux.process_exec_token(pid)),
        ("look at a pid that is gone", lambda: _swallow(linux.process_identity, 2**22 + 7)),
    ]
    apps = load_presets("linux")
    gate = AppGate(lambda: apps, lambda gp: None, process_source=linux, rules=linux.app_matches)
    gate.tick()
    rows.append(("a whole tick when nothing started (warm)", gate.tick))
    print("  cost of the pieces (µs per call, this process as subject):")
    for label, fn in rows:
        seconds = min(timeit.repeat(fn, number=n, repeat=3)) / n
        print(f"    {label:<48} {seconds * 1e6:8.1f}")


def wakeup_floor(seconds: float) -> float:
    """CPU % of a thread that only sleeps and wakes every tick interval: any poller's floor."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            time.sleep(DEFAULT_TICK_INTERVAL)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(DEFAULT_TICK_INTERVAL)
    cpu0, wall0 = thread_cpu(thread), time.monotonic()
    time.sleep(seconds)
    share = 100 * (thread_cpu(thread) - cpu0) / (time.monotonic() - wall0)
    stop.set()
    thread.join()
    return share


def _swallow(fn: Callable[[int], object], arg: int) -> None:
    with contextlib.suppress(psutil.Error):
        fn(arg)


def physical_limit(stand_in: Path) -> list[float]:
    """Popen → the stand-in visible in /proc under its name (fork+exec done), in seconds."""
    times: list[float] = []
    for _ in range(LAUNCHES):
        started = time.monotonic()
        child = subprocess.Popen([str(stand_in), "30"])
        while comm(child.pid) != "signal-desktop":
            pass
        times.append(time.monotonic() - started)
        child.kill()
        child.wait()
        time.sleep(0.02)
    return times


class Bench:
    def __init__(self, stand_in: Path, source: ProcessSource | None = None) -> None:
        self.stand_in = stand_in
        self.lock = threading.Lock()
        self.by_pid: dict[int, GatedProcess] = {}
        self.event = threading.Event()
        apps = load_presets("linux")
        self.gate = AppGate(
            lambda: apps,
            self._on_gated,
            process_source=source or linux,
            rules=linux.app_matches,
        )
        self.runner = self.gate.run_in_thread(DEFAULT_TICK_INTERVAL)
        time.sleep(3 * DEFAULT_TICK_INTERVAL)  # baseline taken

    def _on_gated(self, gp: GatedProcess) -> None:
        with self.lock:
            self.by_pid[gp.pid] = gp
        self.event.set()

    def launch(self) -> tuple[float, float] | None:
        """(start → SIGSTOP sent, start → state T seen), or None if never frozen."""
        started = time.monotonic()
        child = subprocess.Popen([str(self.stand_in), "30"])
        seen_t: float | None = None
        gp: GatedProcess | None = None
        deadline = started + 3.0
        while time.monotonic() < deadline and (seen_t is None or gp is None):
            if seen_t is None and state(child.pid) == "T":
                seen_t = time.monotonic() - started
            with self.lock:
                gp = self.by_pid.get(child.pid)
            time.sleep(0.001)
        result = None
        if gp is not None and seen_t is not None:
            result = (gp.frozen_at - started, seen_t)
            self.gate.end(gp)
        child.kill()
        child.wait()
        return result

    def cpu_over(self, seconds: float) -> tuple[float, float, GateStats]:
        """(watcher thread CPU %, whole process CPU %, stats delta) over an idle window."""
        before_stats = GateStats(**vars(self.gate.stats))
        t_cpu0 = thread_cpu(self.runner.thread)
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        wall0 = time.monotonic()
        time.sleep(seconds)
        wall = time.monotonic() - wall0
        t_cpu = thread_cpu(self.runner.thread) - t_cpu0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        proc_cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
        after = vars(self.gate.stats)
        delta = GateStats(**{k: after[k] - v for k, v in vars(before_stats).items()})
        return 100 * t_cpu / wall, 100 * proc_cpu / wall, delta

    def stop(self) -> None:
        self.runner.stop()
        self.gate.close()


def fmt_ms(values: Sequence[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:6.1f} ms   p95 {pct(values, 95) * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s idle window instead of 60 s")
    args = parser.parse_args()
    if not sys.platform.startswith("linux"):
        print("this benchmark runs on Linux only")
        return
    idle_s = 10.0 if args.quick else 60.0
    compare_s = 5.0 if args.quick else 20.0
    folder = Path(tempfile.mkdtemp(prefix="gate-bench-"))
    stand_in = folder / "signal-desktop"
    shutil.copy("/bin/sleep", stand_in)

    print(
        f"app gate benchmark — Linux {platform.release()}, {os.cpu_count()} cores, "
        f"{len(psutil.pids())} processes running, tick interval {DEFAULT_TICK_INTERVAL * 1000:.0f} ms"
    )
    micro_costs()

    limit = physical_limit(stand_in)
    bench = Bench(stand_in)
    try:
        frozen: list[float] = []
        seen: list[float] = []
        missed = 0
        for _ in range(LAUNCHES):
            time.sleep(random.uniform(0.05, 0.25))  # random phase against the tick
            result = bench.launch()
            if result is None:
                missed += 1
            else:
                frozen.append(result[0])
                seen.append(result[1])
        print(
            f"\n  start → suspended over {LAUNCHES} launches (budget p95 ≤ {BUDGET_P95_MS:.0f} ms):"
        )
        if frozen:
            verdict = "within budget" if pct(seen, 95) * 1000 <= BUDGET_P95_MS else "OVER BUDGET"
            print(f"    SIGSTOP sent                 {fmt_ms(frozen)}")
            print(f"    state T seen in /proc        {fmt_ms(seen)}   {verdict}")
        print(f"    physical limit: fork+exec    {fmt_ms(limit)}   (Popen → new name in /proc)")
        print(f"    missed launches: {missed}")

        watcher_pct, process_pct, stats = bench.cpu_over(idle_s)
        verdict = "within budget" if watcher_pct <= BUDGET_IDLE_CPU_PCT else "OVER BUDGET"
        print(
            f"\n  watcher CPU, idle {idle_s:.0f} s (budget ≤ {BUDGET_IDLE_CPU_PCT} % of one core):"
        )
        print(f"    watcher thread               {watcher_pct:6.3f} %   {verdict}")
        print(f"    whole benchmark process      {process_pct:6.3f} %   (main thread asleep)")
        floor = wakeup_floor(compare_s)
        print(
            f"    physical limit: a thread that only wakes every {DEFAULT_TICK_INTERVAL * 1000:.0f} ms  {floor:6.3f} %"
        )
        print(
            f"    ticks {stats.ticks}, quiet (counter unchanged) {stats.quiet_ticks}, "
            f"pid listings {stats.scans}, processes examined {stats.examined}, "
            f"re-checks {stats.rechecked}"
        )
        print("    (processes examined were started by other work on this machine)")

        # A burst of short-lived processes, with a gated launch in the middle of it.
        t_cpu0 = thread_cpu(bench.runner.thread)
        before = GateStats(**vars(bench.gate.stats))
        wall0 = time.monotonic()
        flood = subprocess.Popen(
            ["/bin/bash", "-c", f"for i in $(seq {BURST}); do /bin/true; done"]
        )
        time.sleep(0.2)
        during = bench.launch()
        flood.wait()
        flood_s = time.monotonic() - wall0
        time.sleep(2 * DEFAULT_TICK_INTERVAL)
        wall = time.monotonic() - wall0
        burst_pct = 100 * (thread_cpu(bench.runner.thread) - t_cpu0) / wall
        examined = bench.gate.stats.examined - before.examined
        print(
            f"\n  burst of {BURST} short-lived /bin/true ({flood_s:.2f} s, {BURST / flood_s:.0f}/s):"
        )
        print(f"    watcher thread               {burst_pct:6.3f} %   over {wall:.2f} s")
        print(f"    processes examined {examined}")
        if during is not None:
            print(
                f"    a gated launch during it: SIGSTOP after {during[0] * 1000:.1f} ms, "
                f"state T seen after {during[1] * 1000:.1f} ms"
            )
        else:
            print("    a gated launch during it: NOT FROZEN")
    finally:
        bench.stop()

    # The alternatives that were measured and not chosen.
    print(f"\n  alternatives, idle {compare_s:.0f} s each:")
    from nocontact_desktop.platform import macos

    for label, source in (
        ("list /proc every tick (no spawn counter)", NoCounter(linux)),
        ("psutil only (the macOS/Windows code path)", macos),
    ):
        alt = Bench(stand_in, source)  # type: ignore[arg-type]
        try:
            watcher_pct, _, stats = alt.cpu_over(compare_s)
            print(f"    {label:<44} {watcher_pct:6.3f} %   ({stats.scans} listings)")
        finally:
            alt.stop()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
