"""The History window draws what core.history computes: heatmap, figures, streaks, badges."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pytestqt.qtbot import QtBot

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.journal.entries import Journal
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.core.streak.history import DayKind
from nocontact_desktop.core.streak.tracker import Tracker
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui
from nocontact_desktop.ui.windows.history_window import KEPT_FILL, HistoryWindow, cell_tooltip
from tests.helpers.fakes import clock_at
from tests.helpers.widgets import overlapping_controls


@pytest.fixture
def clock() -> ManualClock:
    return clock_at("2026-03-08T21:00:00+01:00", "Europe/Berlin")


def seed(store: Store, clock: ManualClock) -> None:
    tracker = Tracker(store, clock)
    tracker.start(clock.now() - timedelta(days=500))
    tracker.log(EventKind.CONTACT, clock.now() - timedelta(days=300))
    tracker.log(EventKind.CONTACT, clock.now() - timedelta(days=40))
    for days in (1, 2, 2, 90):
        tracker.log(EventKind.URGE, clock.now() - timedelta(days=days))
    tracker.log(EventKind.HOOVER, clock.now() - timedelta(days=3))
    for outcome in ("dismissed", "dismissed", "opened"):
        tracker.log(EventKind.BLOCKED_ATTEMPT, outcome=outcome, subject="instagram.com")
    Journal(store, clock).record_check_in(8)
    tracker.due_milestone()


def test_history_shows_figures_heatmap_streaks_and_badges(
    qtbot: QtBot, store: Store, clock: ManualClock
) -> None:
    seed(store, clock)
    window = HistoryWindow(store, clock)
    qtbot.addWidget(window)
    window.open()
    qtbot.waitExposed(window)
    cards = window.figure_cards
    assert cards["streak"].number.text() == "40"
    assert cards["longest"].number.text() == "260"
    assert cards["urges"].number.text() == "4"
    assert cards["hoovers"].number.text() == "1"
    assert cards["blocked"].number.text() == "2"
    assert len(window.cells) == 365
    assert window.cells[-1].today and window.cells[-1].intensity == 8
    assert sum(c.kind is DayKind.SLIP for c in window.cells) == 2
    assert [days for _t, days, _c, _s in window.streaks.rows] == [40, 260, 200]
    states = {days: state for days, state, _n in window.badges.badges}
    assert states[30] == "current" and states[180] == "before" and states[365] == "ahead"
    assert window.later_button.isEnabled() is False
    assert window.earlier_button.isEnabled()
    qtbot.waitUntil(lambda: window.heatmap.paint_count > 0)

    image = window.heatmap.grab().toImage()
    colours = {
        image.pixelColor(x, y).name()
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
    }
    assert QtGui.QColor(KEPT_FILL).name() in colours
    assert QtGui.QColor(calm_style.SAND).name() in colours


def test_earlier_years_and_tooltips(qtbot: QtBot, store: Store, clock: ManualClock) -> None:
    seed(store, clock)
    window = HistoryWindow(store, clock)
    qtbot.addWidget(window)
    window.open()
    window.earlier_button.click()
    assert window.years_back == 1
    assert window.cells[-1].day == date(2025, 3, 8)
    assert window.cells[0].kind is DayKind.UNTRACKED  # before the count began
    assert window.later_button.isEnabled()
    assert not window.earlier_button.isEnabled()  # nothing tracked before this year
    window.later_button.click()
    assert window.years_back == 0
    today = window.cells[-1]
    assert cell_tooltip(today) == (
        "Sun 08 Mar 2026 · no contact kept (today, still going) · pull 8/10"
    )
    placed = next(p for p in window.heatmap.grid if p.cell.day == date(2026, 3, 6))
    found = window.heatmap.cell_at(window.heatmap.cell_rect(placed).center())
    assert found is not None and found.urges == 2
    assert "2 urges ridden out" in cell_tooltip(found)


def test_empty_history_is_calm(qtbot: QtBot, store: Store, clock: ManualClock) -> None:
    window = HistoryWindow(store, clock)
    qtbot.addWidget(window)
    window.open()
    assert window.figure_cards["streak"].number.text() == "0"
    assert all(c.kind is DayKind.UNTRACKED for c in window.cells)
    assert window.streaks.rows == []
    assert "first milestone" in window.badges_caption.text()
    assert not window.earlier_button.isEnabled()


def test_history_fits_a_1280x720_screen_and_escape_closes_it(
    qtbot: QtBot, store: Store, clock: ManualClock
) -> None:
    seed(store, clock)
    window = HistoryWindow(store, clock)
    qtbot.addWidget(window)
    calm_style.fit_to_screen(window, 1000, 760, QtCore.QRect(0, 0, 1280, 720))
    assert window.height() <= 660 and window.width() <= 1240
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    assert overlapping_controls(window) == []
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()
