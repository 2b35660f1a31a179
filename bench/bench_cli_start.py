"""DESIGN §11 / issue 9: `nocontact --version`, `status`, `block list`, `hosts show` start within
3× a bare interpreter start (`python -c pass`), measured side by side in this run.

Each command runs as a fresh process against a data folder with a started count and a few
blocked targets; the median of interleaved runs is compared with the bare interpreter's.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 15
LIMIT = 3.0


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> int:
    program = str(Path(sys.executable).with_name("nocontact"))
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "NOCONTACT_DATA_DIR": folder,
            "NOCONTACT_HELPER_SOCKET": "/nonexistent",
        }
        subprocess.run(
            [program, "start", "--at", "2026-01-01T09:00+00:00"],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [program, "block", "add", "instagram", "their-blog.com"],
            env=env,
            check=True,
            capture_output=True,
        )
        commands = {
            "--version": [program, "--version"],
            "status": [program, "status"],
            "status --json": [program, "status", "--json"],
            "block list": [program, "block", "list"],
            "hosts show": [program, "hosts", "show"],
        }
        bare: list[float] = []
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):  # interleaved, so machine noise hits all alike
            bare.append(timed([sys.executable, "-c", "pass"], env))
            for name, argv in commands.items():
                times[name].append(timed(argv, env))
    bare_med = statistics.median(bare)
    print(f"bare interpreter start (python -c pass): {bare_med * 1000:.1f} ms (the limit's unit)")
    worst = 0.0
    for name, values in times.items():
        med = statistics.median(values)
        ratio = med / bare_med
        worst = max(worst, ratio)
        verdict = "ok" if ratio <= LIMIT else "OVER"
        print(
            f"nocontact {name:<14} {med * 1000:6.1f} ms  = {ratio:4.2f}× bare "
            f"(budget ≤ {LIMIT:.0f}×) {verdict}"
        )
    print(f"worst ratio {worst:.2f}× (budget ≤ {LIMIT:.0f}×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
