"""The "I want to text them" window with real widgets (offscreen), a real store, a manual clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.journal.entries import Journal
from nocontact_desktop.core.storage.store import Store, SupportPerson
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.core.streak.tracker import Tracker
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.dialogs.moment_dialogs import HooverDialog, SlipDialog
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets
from nocontact_desktop.ui.windows import emergency_window as ew
from nocontact_desktop.ui.windows.emergency_window import EmergencyWindow
from tests.helpers.widgets import overlapping_controls


@pytest.fixture
def tracker(store: Store, clock: ManualClock) -> Tracker:
    t = Tracker(store, clock)
    t.start(clock.now() - timedelta(days=23))
    return t


@pytest.fixture
def window(qtbot: QtBot, tracker: Tracker, clock: ManualClock) -> EmergencyWindow:
    w = EmergencyWindow(tracker, Journal(tracker.store, clock))
    qtbot.addWidget(w)
    w.open()
    qtbot.waitExposed(w)
    return w


def accept(monkeypatch: pytest.MonkeyPatch, cls: type, setup=None) -> None:  # type: ignore[no-untyped-def]
    def fake_exec(self: QtWidgets.QDialog) -> int:
        if setup is not None:
            setup(self)
        return int(QtWidgets.QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(cls, "exec", fake_exec)


def test_opens_on_the_timer_with_the_count_in_view(window: EmergencyWindow) -> None:
    assert window.stack.currentIndex() == ew.RIDE
    assert window.steps.count() == len(ew.STEPS)
    assert "Day 23 of no contact" in window.streak_label.text()
    assert window.ride.timer_label.text() == "15:00"
    assert window.urge_timer.running
    assert window.ticking_interval() == ew.PACER_FRAME_MS


def test_timer_and_pacer_follow_the_injected_clock(
    window: EmergencyWindow, clock: ManualClock
) -> None:
    clock.advance(timedelta(seconds=2))
    window.tick()
    assert window.ride.pacer.state.name == "Breathe in"
    assert window.ride.pacer.state.fullness == pytest.approx(0.5)
    clock.advance(timedelta(seconds=3))
    window.tick()
    assert window.ride.pacer.state.name == "Hold"
    assert window.ride.timer_label.text() == "14:55"
    assert window.countdown_label.text() == "14:55 left"
    window.ride.pattern_buttons["4-7-8"].setChecked(True)
    clock.advance(timedelta(seconds=5))
    window.tick()
    assert window.pattern.key == "4-7-8"
    assert window.ride.pacer.state.name == "Hold"  # 5 s into 4-7-8: holding
    assert window.store.setting("breathing_pattern") == "4-7-8"
    clock.advance(timedelta(minutes=15))
    window.tick()
    assert window.ride.timer_label.text() == "0:00"
    assert window.banner.isVisible() and "15 minutes have passed" in window.banner.text()
    window.ride.minutes_spin.setValue(20)  # more time, same start
    assert window.ride.timer_label.text() == "4:50"
    assert window.store.setting("urge_minutes") == 20
    window.ride.restart_button.click()
    assert window.ride.timer_label.text() == "20:00"


def test_nothing_ticks_when_hidden_and_only_once_a_second_off_the_pacer(
    qtbot: QtBot, window: EmergencyWindow
) -> None:
    window.steps.setCurrentRow(ew.WRITE)
    assert window.ticking_interval() == ew.COUNTDOWN_MS
    window.steps.setCurrentRow(ew.RIDE)
    assert window.ticking_interval() == ew.PACER_FRAME_MS
    window.hide()
    assert window.ticking_interval() is None
    window.open()
    qtbot.waitExposed(window)
    assert window.ticking_interval() == ew.PACER_FRAME_MS


def test_i_rode_it_out_logs_an_urge_and_encourages(
    qtbot: QtBot, window: EmergencyWindow, store: Store
) -> None:
    with qtbot.waitSignal(window.changed):
        qtbot.mouseClick(window.rode_button, Qt.MouseButton.LeftButton)
    assert store.count_by_kind()[EventKind.URGE] == 1
    assert window.banner.isVisible()
    assert "first urge" in window.banner.text() and "Day 23" in window.banner.text()
    assert not window.urge_timer.running
    window.rode_button.click()  # pressed again: the same urge is not logged twice
    assert store.count_by_kind()[EventKind.URGE] == 1 and not window.rode_button.isEnabled()
    window.restart_timer()  # a new urge, a new outcome
    window.rode_button.click()
    assert store.count_by_kind()[EventKind.URGE] == 2
    assert "2 urges" in window.banner.text()
    assert window.tracker.summary().streak_days == 23


def test_i_contacted_them_restarts_kindly_with_longest_and_total(
    window: EmergencyWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    accept(monkeypatch, SlipDialog, lambda d: d.note_edit.setPlainText("I answered at 2am"))
    window.contacted_button.click()
    summary = window.tracker.summary()
    assert summary.streak_days == 0 and summary.longest_streak_days == 23
    assert "23 days" in window.banner.text() and "gentle" in window.banner.text()
    assert "Day 0 of no contact" in window.streak_label.text()
    assert store.events([EventKind.CONTACT], with_notes=True)[0].note == "I answered at 2am"


def test_cancelling_the_slip_dialog_logs_nothing(
    window: EmergencyWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SlipDialog, "exec", lambda _self: 0)
    window.contacted_button.click()
    assert store.count_by_kind()[EventKind.CONTACT] == 0
    assert not window.banner.isVisible()


def test_they_contacted_me_logs_a_hoover_with_a_reminder(
    window: EmergencyWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    accept(monkeypatch, HooverDialog, lambda d: d.note_edit.setPlainText("voice message"))
    window.hoover_button.click()
    hoover = store.events([EventKind.HOOVER], with_notes=True)
    assert [h.note for h in hoover] == ["voice message"]
    assert "boundary" in window.banner.text()
    assert window.tracker.summary().streak_days == 23


def test_write_keep_seal_and_delete(
    window: EmergencyWindow, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.steps.setCurrentRow(ew.WRITE)
    page = window.write
    page.editor.setPlainText("You never once said sorry.")
    page.keep_button.click()
    assert page.editor.toPlainText() == ""
    assert "never sent" in page.status_label.text()
    page.editor.setPlainText("I still think of the lake house.")
    page.seal_day_button.click()
    assert "Sealed until Mon 09 Mar 2026, 02:10" in page.status_label.text()

    def bodies() -> list[str]:
        return [frame.findChild(QtWidgets.QLabel, "body").text() for _m, frame in page.cards]

    assert bodies() == ["Sealed until Mon 09 Mar 2026, 02:10", "You never once said sorry."]
    clock.advance(timedelta(hours=24))
    page.reload()
    assert bodies()[0] == "I still think of the lake house."

    monkeypatch.setattr(
        QtWidgets.QMessageBox, "question",
        lambda *_a: QtWidgets.QMessageBox.StandardButton.Yes,
    )
    page.cards[1][1].findChild(QtWidgets.QPushButton, "delete").click()
    assert bodies() == ["I still think of the lake house."]
    page.editor.setPlainText("   ")
    page.seal_month_button.click()
    assert "empty" in page.status_label.text()


def test_lists_are_shown_and_edited_in_place(window: EmergencyWindow, store: Store) -> None:
    store.set_list_items("reasons", ["I deserve to feel safe"])
    window.refresh()
    assert "I deserve to feel safe" in window.reasons_list.items_label.text()
    remember = window.remember_list
    assert remember.empty_label.isVisibleTo(remember)
    remember.edit_button.click()
    remember.editor.setPlainText("The night he broke the plate\n\nThe silent weeks")
    remember.save_button.click()
    assert store.list_items("remember") == ["The night he broke the plate", "The silent weeks"]
    assert not remember.editor.isVisibleTo(remember)
    instead = window.instead_list
    assert instead.suggest_button.isVisibleTo(instead)
    instead.suggest_button.click()
    assert store.list_items("instead")[0].startswith("Go for a short walk")


def test_support_people_copy_a_number_or_open_a_link(
    window: EmergencyWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.set_support_people(
        [SupportPerson("Ana", "+44 7700 900123"), SupportPerson("Helpline", "https://example.org/chat")]
    )
    window.refresh()
    window.steps.setCurrentRow(ew.PEOPLE)
    copy, link = window.people.action_buttons
    assert (copy.text(), link.text()) == ("Copy number", "Open link")
    copy.click()
    assert QtGui.QGuiApplication.clipboard().text() == "+447700900123"
    opened: list[str] = []
    monkeypatch.setattr(
        QtGui.QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True
    )
    link.click()
    assert opened == ["https://example.org/chat"]


def test_intention_check_reflects_and_routes(window: EmergencyWindow) -> None:
    window.steps.setCurrentRow(ew.INTENTION)
    page = window.intention
    assert not page.reflection_card.isVisibleTo(page)
    page.buttons["closure"].setChecked(True)
    assert "Closure is something you give yourself" in page.reflection_label.text()
    page.buttons["practical"].setChecked(True)
    page.route_button.click()
    assert window.stack.currentIndex() == ew.PRACTICAL


def test_logistics_is_logged_and_never_resets(
    window: EmergencyWindow, store: Store
) -> None:
    window.steps.setCurrentRow(ew.PRACTICAL)
    page = window.practical
    assert "Saturday 10:00" in page.editor.toPlainText()
    assert "[brackets]" in page.hints_label.text()
    page.editor.setPlainText("Re: Mia pickup — I can do Saturday 10:00 at the usual place.")
    assert page.hints_label.text() == "Brief and factual. Good."
    page.copy_button.click()
    assert QtGui.QGuiApplication.clipboard().text().startswith("Re: Mia pickup")
    page.log_button.click()
    logged = store.events([EventKind.LOGISTICS], with_notes=True)
    assert [e.note for e in logged] == [
        "Re: Mia pickup — I can do Saturday 10:00 at the usual place."
    ]
    assert window.tracker.summary().streak_days == 23
    assert "does not reset" in window.banner.text()


def test_pacer_paints(qtbot: QtBot, window: EmergencyWindow) -> None:
    image = window.ride.pacer.grab().toImage()
    green = QtGui.QColor("#d6e7e0")
    found = any(
        image.pixelColor(x, image.height() // 2) == green for x in range(image.width())
    )
    assert found, "the breathing circle is not drawn"
    QtCore.QCoreApplication.processEvents()


def test_a_refresh_never_throws_away_a_list_being_edited(
    window: EmergencyWindow, store: Store
) -> None:
    remember = window.remember_list
    remember.edit_button.click()
    remember.editor.setPlainText("half a thought")
    store.set_list_items("reasons", ["written elsewhere"])
    window.refresh()  # what the tray does after any write to the database
    assert remember.editing
    assert remember.editor.toPlainText() == "half a thought"
    assert "written elsewhere" in window.reasons_list.items_label.text()
    remember.save_button.click()
    assert not remember.editing
    assert store.list_items("remember") == ["half a thought"]


def test_banners_never_cover_controls_on_a_1280x720_screen(
    qtbot: QtBot, window: EmergencyWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    calm_style.fit_to_screen(window, 1000, 700, QtCore.QRect(0, 0, 1280, 720))
    window.show()
    for step in range(window.stack.count()):
        window.steps.setCurrentRow(step)
        window.show_banner("Logged, but your note could not be saved: a long reason " * 3)
        qtbot.wait(10)
        assert overlapping_controls(window) == [], window.steps.currentItem().text()
    assert window.height() <= 720 - 60


def test_escape_closes_the_window(qtbot: QtBot, window: EmergencyWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isVisible()
