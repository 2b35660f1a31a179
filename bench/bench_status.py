"""DESIGN §11: streak and statistics over 10 years of events (~40,000) ≤ 50 ms.

Physical limit in the same run: SQLite reading every row of the events table once.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.core.streak.tracker import Tracker
from tests.helpers.fakes import make_store

KINDS = (
    [EventKind.URGE] * 5
    + [EventKind.HOOVER, EventKind.PEEK, EventKind.LOGISTICS]
    + [EventKind.BLOCKED_ATTEMPT] * 3
)


def main() -> int:
    rng = random.Random(7)
    now = datetime(2026, 11, 21, 12, tzinfo=UTC)
    start = now - timedelta(days=3650)
    with tempfile.TemporaryDirectory() as tmp:
        store = make_store(Path(tmp))
        rows = []
        moment = start
        seq_uid = 0
        while moment < now:
            moment += timedelta(minutes=rng.uniform(10, 250))
            kind = EventKind.CONTACT if rng.random() < 0.004 else rng.choice(KINDS)
            seq_uid += 1
            rows.append(
                (
                    f"u{seq_uid}",
                    kind.value,
                    int(moment.timestamp() * 1e6),
                    "Europe/Berlin",
                    None,
                    "dismissed" if kind is EventKind.BLOCKED_ATTEMPT else None,
                    None,
                    int(moment.timestamp() * 1e6),
                )
            )
        rows.insert(
            0,
            (
                "u0",
                "start",
                int(start.timestamp() * 1e6),
                "Europe/Berlin",
                None,
                None,
                None,
                int(start.timestamp() * 1e6),
            ),
        )
        with store.transaction() as conn:
            conn.executemany(
                "INSERT INTO events (uid, kind, at_us, tz, note, outcome, subject, recorded_us) VALUES (?,?,?,?,?,?,?,?)",
                rows,
            )
        tracker = Tracker(store, ManualClock(now, "Europe/Berlin"))
        week = now - timedelta(days=7)

        def full() -> None:
            tracker.status()
            store.count_by_kind()
            store.count_outcomes(EventKind.BLOCKED_ATTEMPT, since=week)

        def bare() -> None:
            store.connection.execute("SELECT seq, uid, kind, at_us, tz FROM events").fetchall()

        def median_ms(func: object, runs: int = 30) -> float:
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                func()  # type: ignore[operator]
                times.append((time.perf_counter() - t0) * 1000)
            return statistics.median(times)

        ours, limit = median_ms(full), median_ms(bare)
        print(
            f"events: {len(rows)} over 10 years, contacts: {sum(1 for r in rows if r[1] == 'contact')}"
        )
        print(
            f"status + statistics: median {ours:.2f} ms (budget ≤ 50 ms); "
            f"bare SQLite scan of all events: {limit:.2f} ms"
        )
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
