"""DESIGN §11 tray budgets: start → icon visible, idle memory, idle timer wake-ups.

Start → visible is measured from process spawn to the app's own "tray icon docked" log line
(Qt reports a geometry only once the tray host has embedded the icon). The physical limit is
a bare PySide6 script that does nothing but show a QSystemTrayIcon, timed the same way.
Wake-ups are the voluntary context switches of all the app's threads over an idle window.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _xsession import x_with_tray

BARE_TRAY = r"""
import sys, time
from PySide6 import QtGui, QtWidgets, QtCore
app = QtWidgets.QApplication(sys.argv[:1])
pix = QtGui.QPixmap(22, 22); pix.fill(QtGui.QColor("#2f6f62"))
tray = QtWidgets.QSystemTrayIcon(QtGui.QIcon(pix))
tray.show()
def check():
    g = tray.geometry()
    if g.width() > 0:
        print("tray icon docked", flush=True); app.quit()
    else:
        QtCore.QTimer.singleShot(20, check)
QtCore.QTimer.singleShot(0, check)
app.exec()
"""


def time_until_docked(
    argv: list[str], env: dict[str, str], keep: bool = False
) -> tuple[float, subprocess.Popen[str]]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if "tray icon docked" in line:
            elapsed = time.perf_counter() - start
            break
    else:
        raise RuntimeError("the process never docked its icon")
    if not keep:
        proc.terminate()
        proc.wait(timeout=10)
    return elapsed, proc


def wakeups(pid: int) -> int:
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        for line in status.read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                total += int(line.split()[1])
    return total


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle to measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, x_with_tray() as env:
        data = Path(tmp) / "data"
        env = dict(env, HOME=tmp, XDG_CONFIG_HOME=f"{tmp}/cfg", PYTHONUNBUFFERED="1")
        started = (datetime.now(UTC) - timedelta(days=12)).isoformat()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "nocontact_desktop",
                "--data-dir",
                str(data),
                "start",
                "--at",
                started,
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        app = [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(data), "tray"]
        bare = [sys.executable, "-c", BARE_TRAY]
        app_times, bare_times = [], []
        for _ in range(args.runs):
            bare_times.append(time_until_docked(bare, env)[0])
            app_times.append(time_until_docked(app, env)[0])
        app_med, bare_med = statistics.median(app_times), statistics.median(bare_times)
        print(
            f"tray start → icon visible: median {app_med * 1000:.0f} ms over {args.runs} cold starts "
            f"(budget ≤ 1500 ms); bare PySide6 tray icon: {bare_med * 1000:.0f} ms "
            f"(ratio {app_med / bare_med:.2f}×)"
        )
        _, proc = time_until_docked(app, env, keep=True)
        time.sleep(2.0)  # let start-up work settle
        before = wakeups(proc.pid)
        time.sleep(args.idle)
        after = wakeups(proc.pid)
        rate = (after - before) / args.idle
        rss = rss_mb(proc.pid)
        proc.terminate()
        proc.wait(timeout=10)
        print(f"idle RSS after {args.idle + 2:.0f} s: {rss:.1f} MB (budget ≤ 120 MB)")
        print(
            f"idle wake-ups (all threads): {rate:.2f} per second over {args.idle:.0f} s "
            f"(budget: no timer firing more than once a second)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
