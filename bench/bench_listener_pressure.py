"""DESIGN §11 / issue 13, finding 4: real hellos while another user holds 1,000 idle connections.

    .venv/bin/python bench/bench_listener_pressure.py [--held 1000] [--hellos 1000]

Starts the real helper (listener on an ephemeral port), then another process (``nobody`` when
run as root) that opens ``--held`` connections to the HTTPS port, never sends a byte and
reopens every one the listener drops. Meanwhile real ClientHellos for a blocked name are sent
one after another; each should become a ``blocked_hit`` at a subscriber. Prints the ratio
beside its limit (>= 99 %) and the hello -> event latency under that pressure. Not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.helpers.helper_harness import (
    RunningHelper,
    client_hello,
    collecting,
    make_root,
)

LIMIT = 0.99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", type=int, default=1000)
    parser.add_argument("--hellos", type=int, default=1000)
    args = parser.parse_args()

    root = make_root()
    helper = RunningHelper(root).start()
    holder: subprocess.Popen[str] | None = None
    try:
        client = helper.client()
        client.set_blocklist(["www.instagram.com"])
        port = helper.listener_port("https")
        prefix: list[str] = []
        if os.geteuid() == 0 and shutil.which("setpriv"):
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        holder = subprocess.Popen(
            [*prefix, sys.executable, "-m", "tests.helpers.idle_holder", "127.0.0.1",
             str(port), str(args.held), "3600"],
            stdout=subprocess.PIPE, text=True, cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert holder.stdout is not None
        opened = holder.stdout.readline().strip()
        time.sleep(1.0)
        hello = client_hello("www.instagram.com")
        latencies: list[float] = []
        failed = 0
        with collecting(helper.socket) as events:
            for _ in range(args.hellos):
                sent = time.perf_counter()
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                        sock.sendall(hello)
                        event = events.wait("blocked_hit", timeout=5)
                    latencies.append((event["_received"] - sent) * 1000)
                except (OSError, TimeoutError):
                    failed += 1
        stats = client.get_state()["listener"]["stats"]
    finally:
        if holder is not None:
            holder.kill()
            holder.communicate()
        helper.cleanup()
    reported = len(latencies)
    ratio = reported / args.hellos
    print(f"idle connections held by another process: {args.held} ({opened})")
    print(f"real ClientHellos sent one after another:  {args.hellos}")
    print(f"reported as blocked_hit:                   {reported} ({ratio:.2%})   "
          f"limit >= {LIMIT:.0%}: {'met' if ratio >= LIMIT else 'MISSED'}")
    if latencies:
        p99 = statistics.quantiles(latencies, n=100)[-1] if len(latencies) > 1 else latencies[0]
        print(f"hello -> event under pressure: p50 {statistics.median(latencies):.2f} ms, "
              f"p99 {p99:.2f} ms")
    print(f"listener: {stats['rejected_overload']} idle connections pushed out, "
          f"{stats['hits']} hits, {stats['errors']} errors; failed hellos: {failed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
