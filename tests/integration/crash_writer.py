"""Harness for the crash test: forks writers and kills them with SIGKILL at random moments.

Run as ``python crash_writer.py DATA_DIR TRIALS SEED``; prints one JSON summary line. Each child
writes events in a loop and reports a uid on a pipe only after ``add_event`` returned (the
commit is durable then); the parent kills it, then checks that every reported uid is in the
database and that ``PRAGMA integrity_check`` passes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from nocontact_desktop.core.paths import DB_FILE_NAME
from nocontact_desktop.core.streak.events import EventKind
from tests.helpers.fakes import make_store


def child(data_dir: Path, write_fd: int, trial: int) -> None:
    store = make_store(data_dir)
    n = 0
    while True:
        now = datetime.now(UTC)
        event = store.add_event(
            EventKind.URGE, now, tz="UTC", note=f"trial {trial} note {n}", recorded_at=now
        )
        os.write(write_fd, (event.uid + "\n").encode())
        n += 1


def main() -> int:
    data_dir = Path(sys.argv[1])
    trials = int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]))
    # Create and migrate once, and write one event so every lazily imported module (the
    # cipher, uuid) is loaded before the forks: children then start writing at once.
    with make_store(data_dir) as warm:
        now = datetime.now(UTC)
        warm.add_event(EventKind.URGE, now, tz="UTC", note="warm-up", recorded_at=now)
    committed: set[str] = set()
    failures: list[str] = []
    kills_mid_write = 0
    for trial in range(trials):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(read_fd)
            try:
                child(data_dir, write_fd, trial)
            finally:
                os._exit(0)
        os.close(write_fd)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        chunks = []
        while chunk := os.read(read_fd, 65536):
            chunks.append(chunk)
        os.close(read_fd)
        text = b"".join(chunks).decode()
        if text and not text.endswith("\n"):
            kills_mid_write += 1
        committed.update(line for line in text.split("\n")[:-1] if line)
        conn = sqlite3.connect(data_dir / DB_FILE_NAME)
        try:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            present = {row[0] for row in conn.execute("SELECT uid FROM events")}
        finally:
            conn.close()
        if check != "ok":
            failures.append(f"trial {trial}: integrity_check {check}")
        lost = committed - present
        if lost:
            failures.append(f"trial {trial}: {len(lost)} committed events lost")
    print(json.dumps({"trials": trials, "committed": len(committed), "failures": failures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
