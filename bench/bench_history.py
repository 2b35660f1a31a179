"""DESIGN §11 / issue 5: the History window over 10 years of events (~40,000). Not a test.

    .venv/bin/python bench/bench_history.py [--runs 15]

Builds a real store (AES-GCM sealed notes, WAL) with ten years of a person's history: about
40,000 events (urges, hoovers, blocked attempts, peeks, logistics, a slip every few months)
and a check-in on most days. Then, as medians:

* the physical limit: SQLite reading the (kind, at) of every event once;
* streak + statistics (``core.history.load_history``): budget ≤ 50 ms;
* the shown year's heatmap cells (``load_cells``), and all ten years of cells;
* the History window offscreen: construction to first paint of the heatmap, and a refresh.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[1]

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.storage.store import Store, to_us
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.core.streak.history import load_cells, load_history, year_range
from tests.helpers.fakes import make_store

BUDGET_MS = 50.0
ZONE = "Europe/Berlin"
NOW = datetime(2026, 11, 21, 21, 0, tzinfo=UTC)
KINDS = (
    [EventKind.URGE] * 5
    + [EventKind.HOOVER, EventKind.PEEK, EventKind.LOGISTICS]
    + [EventKind.BLOCKED_ATTEMPT] * 3
)


def seed(store: Store, rng: random.Random) -> int:
    """Ten years of events and check-ins; returns the number of events."""
    start = NOW - timedelta(days=3650)
    rows = [("u0", "start", to_us(start), ZONE, None, None, None, to_us(start))]
    note = store.seal("a note, sealed like every note", "event.note")
    moment = start
    while moment < NOW - timedelta(hours=2):
        moment += timedelta(minutes=rng.uniform(10, 250))
        kind = EventKind.CONTACT if rng.random() < 0.0008 else rng.choice(KINDS)
        outcome = None
        if kind is EventKind.BLOCKED_ATTEMPT:
            outcome = "dismissed" if rng.random() < 0.85 else "opened"
        rows.append(
            (
                f"u{len(rows)}", kind.value, to_us(moment), ZONE,
                note if rng.random() < 0.1 else None, outcome, None, to_us(moment),
            )
        )
    check_ins = []
    day = start.date()
    while day <= NOW.date():
        if rng.random() < 0.8:
            at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
            check_ins.append((day.isoformat(), to_us(at), ZONE, rng.randint(0, 10), None))
        day += timedelta(days=1)
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO events (uid, kind, at_us, tz, note, outcome, subject, recorded_us)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO check_ins (day, at_us, tz, intensity, note) VALUES (?, ?, ?, ?, ?)",
            check_ins,
        )
    return len(rows)


def median_ms(action: Callable[[], object], runs: int) -> float:
    """Median wall time of ``action`` in ms (one warm-up run first)."""
    action()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(5)
    clock = ManualClock(NOW, ZONE)
    zone = clock.zone()
    with tempfile.TemporaryDirectory() as tmp:
        store = make_store(Path(tmp))
        events = seed(store, rng)
        conn = store.connection
        check_ins = conn.execute("SELECT COUNT(*) FROM check_ins").fetchone()[0]
        resets = conn.execute("SELECT COUNT(*) FROM events WHERE kind='contact'").fetchone()[0]
        print(f"store: {events} events over 10 years ({resets} slips), {check_ins} check-ins")

        floor = median_ms(lambda: conn.execute("SELECT kind, at_us FROM events").fetchall(),
                          args.runs)
        summary_ms = median_ms(lambda: load_history(store, NOW, zone), args.runs)
        first, last = year_range(NOW.astimezone(zone).date())
        cells_ms = median_ms(lambda: load_cells(store, first, last, now=NOW, zone=zone),
                             args.runs)
        all_resets = store.reset_events()
        decade_first = (NOW - timedelta(days=3650)).astimezone(zone).date()
        decade_ms = median_ms(
            lambda: load_cells(store, decade_first, last, now=NOW, zone=zone, resets=all_resets),
            max(3, args.runs // 3),
        )

        from nocontact_desktop.ui.qt import QtCore, QtWidgets
        from nocontact_desktop.ui.windows.history_window import HistoryWindow

        def quiet(kind: object, context: object, message: str) -> None:
            # The offscreen platform says it cannot size windows like a window manager; the
            # figures are what matter here.
            if "propagateSizeHints" not in message:
                print(message, file=sys.stderr)

        QtCore.qInstallMessageHandler(quiet)
        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])

        def first_paint() -> tuple[float, HistoryWindow]:
            began = time.perf_counter()
            window = HistoryWindow(store, clock)
            window.open()
            while window.heatmap.paint_count == 0:
                app.processEvents()
            return (time.perf_counter() - began) * 1000, window

        paint_samples = []
        windows = []
        for _ in range(max(5, args.runs // 2)):
            elapsed, shown = first_paint()
            paint_samples.append(elapsed)
            shown.hide()
            windows.append(shown)
        paint_ms = statistics.median(paint_samples[1:])  # the first pays Qt's one-off costs
        refresh_ms = median_ms(windows[-1].refresh, args.runs)
        # Destroy every widget while the QApplication still exists (else PySide may crash at
        # interpreter exit), then the application itself.
        for shown in windows:
            shown.deleteLater()
        del shown
        windows.clear()
        app.processEvents()
        store.close()
        app.shutdown()

    verdict = "within" if summary_ms <= BUDGET_MS else "OVER"
    print(f"physical limit (SQLite reads kind+time of all {events} events): {floor:.1f} ms")
    print(
        f"streak + statistics (load_history): {summary_ms:.1f} ms — {verdict} the "
        f"{BUDGET_MS:.0f} ms budget ({summary_ms / floor:.1f}× the physical limit)"
    )
    print(f"heatmap cells, shown year (load_cells, 365 days): {cells_ms:.1f} ms")
    print(f"heatmap cells, all ten years (load_cells, 3,650 days): {decade_ms:.1f} ms")
    print(f"History window, construction to first paint (offscreen): {paint_ms:.1f} ms "
          f"(first window incl. Qt warm-up: {paint_samples[0]:.1f} ms)")
    print(f"History window refresh (all figures + heatmap): {refresh_ms:.1f} ms")
    return 0 if summary_ms <= BUDGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
