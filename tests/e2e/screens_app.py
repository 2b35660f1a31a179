"""Child process for tests/e2e/test_emergency_screens.py: real windows on a real X server.

    python screens_app.py DATA_DIR

Seeds a year and a half of a person's history into DATA_DIR (a real store, AES-GCM sealed),
then walks through scenes. For each it prints ``scene NAME`` once the window is painted and
waits for a line on stdin before going on, so the test can take a screenshot of the screen.
The clock is the system clock: the breathing pacer really animates.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from nocontact_desktop.core.clock import SystemClock
from nocontact_desktop.core.journal.entries import Journal
from nocontact_desktop.core.journal.urge import SEAL_30_DAYS
from nocontact_desktop.core.storage.store import Store, SupportPerson, to_us
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.core.streak.tracker import Tracker
from nocontact_desktop.ui.dialogs.check_in_dialog import CheckInDialog
from nocontact_desktop.ui.qt import QtCore, QtWidgets
from nocontact_desktop.ui.windows import emergency_window as ew
from nocontact_desktop.ui.windows.emergency_window import EmergencyWindow
from nocontact_desktop.ui.windows.history_window import HistoryWindow
from tests.helpers.fakes import make_store


def seed(store: Store, clock: SystemClock) -> None:
    """A plausible history: two slips last year, urges fading, daily check-ins."""
    rng = random.Random(11)
    now = clock.now()
    tracker = Tracker(store, clock)
    tracker.start(now - timedelta(days=520))
    tracker.log(EventKind.CONTACT, now - timedelta(days=430), note="called back, regretted it")
    tracker.log(EventKind.CONTACT, now - timedelta(days=23, hours=3))
    zone = clock.zone()
    rows = []
    for day in range(520):
        at = now - timedelta(days=day, hours=rng.uniform(0, 20))
        weight = 0.3 + 2.5 * (day % 430 < 40)  # urges are thick just after a slip
        for _ in range(int(rng.expovariate(1 / weight))):
            rows.append((f"seed-u-{day}-{len(rows)}", "urge", to_us(at), zone.key, to_us(at)))
        if rng.random() < 0.05:
            rows.append((f"seed-h-{day}", "hoover", to_us(at), zone.key, to_us(at)))
        if rng.random() < 0.2:
            rows.append((f"seed-b-{day}", "blocked_attempt", to_us(at), zone.key, to_us(at)))
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO events (uid, kind, at_us, tz, recorded_us, outcome)"
            " VALUES (?, ?, ?, ?, ?, CASE WHEN ? = 'blocked_attempt' THEN 'dismissed' END)",
            [(*row, row[1]) for row in rows],
        )
        for day in range(300):
            if rng.random() < 0.75:
                local = (now - timedelta(days=day)).astimezone(zone).date()
                strength = max(0, min(10, int(rng.gauss(7 - day / 60 if day < 23 else 3, 2))))
                conn.execute(
                    "INSERT OR IGNORE INTO check_ins (day, at_us, tz, intensity) VALUES (?,?,?,?)",
                    (local.isoformat(), to_us(now - timedelta(days=day)), zone.key, strength),
                )
    tracker.due_milestone()
    store.set_list_items(
        "reasons",
        ["I deserve to feel safe in my own home", "I want my peace back",
         "The children need one calm parent"],
    )
    store.set_list_items(
        "remember",
        ["The night I locked myself in the bathroom", "Being told I imagined things",
         "The silent weeks whenever I saw my friends"],
    )
    store.set_support_people(
        [SupportPerson("Ana (sister)", "+44 7700 900123"),
         SupportPerson("Helpline chat", "https://example.org/chat")]
    )
    journal = Journal(store, clock)
    journal.add_unsent(
        "I keep writing this in my head. You never once said sorry, and I am done waiting."
    )
    journal.add_unsent("Something I want to send but should not.", SEAL_30_DAYS)


def main() -> int:
    data_dir = Path(sys.argv[1])
    app = QtWidgets.QApplication(sys.argv[:1])
    clock = SystemClock()
    store = make_store(data_dir)
    seed(store, clock)
    tracker = Tracker(store, clock)
    journal = Journal(store, clock)
    emergency = EmergencyWindow(tracker, journal)
    emergency.move(40, 30)
    history = HistoryWindow(store, clock)
    history.move(40, 20)

    def wait(ms: int) -> None:
        loop = QtCore.QEventLoop()
        QtCore.QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def scene(name: str, setup: Callable[[], None], settle_ms: int = 700) -> None:
        setup()
        wait(settle_ms)
        print(f"scene {name}", flush=True)
        sys.stdin.readline()  # the test took its screenshot

    def step(index: int) -> Callable[[], None]:
        return lambda: emergency.go_to(index)

    def open_emergency() -> None:
        emergency.open()

    scene("emergency_ride", open_emergency, 2500)  # mid-breath: the circle has grown
    scene("emergency_write", step(ew.WRITE))
    scene("emergency_remember", step(ew.REMEMBER))
    scene("emergency_people", step(ew.PEOPLE))

    def intention() -> None:
        emergency.go_to(ew.INTENTION)
        emergency.intention.buttons["closure"].setChecked(True)

    scene("emergency_intention", intention)
    scene("emergency_practical", step(ew.PRACTICAL))

    def rode() -> None:
        emergency.go_to(ew.RIDE)
        emergency.rode_it_out()

    scene("emergency_rode_it_out", rode)

    def show_history() -> None:
        emergency.hide()
        history.open()

    scene("history", show_history)
    history.hide()
    dialog = CheckInDialog(None)
    dialog.move(300, 150)

    def check_in() -> None:
        dialog.slider.setValue(8)
        dialog.note_edit.setPlainText("Their birthday today.")
        dialog.show()

    scene("check_in", check_in)
    dialog.hide()
    dialog.deleteLater()
    emergency.deleteLater()
    history.deleteLater()
    app.processEvents()
    store.close()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
