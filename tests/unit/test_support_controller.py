"""Issue 5 inside the tray app: menu and buttons, the daily check-in, erase-all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.journal.entries import CHECK_IN_SETTING
from nocontact_desktop.core.paths import DB_FILE_NAME
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.storage.wipe import data_files
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.ui.app import TrayApp
from nocontact_desktop.ui.controllers.support import CHECK_IN_JOB
from nocontact_desktop.ui.dialogs.check_in_dialog import CheckInDialog
from nocontact_desktop.ui.dialogs.erase_dialog import EraseDialog
from nocontact_desktop.ui.qt import QtWidgets
from nocontact_desktop.ui.widgets.settings_form import TimeOrOffEdit
from tests.helpers.fakes import clock_at


@pytest.fixture
def clock() -> ManualClock:
    return clock_at("2026-03-08T20:30:00+01:00", "Europe/Berlin")


@pytest.fixture
def tray(qtbot: QtBot, store: Store, clock: ManualClock) -> Iterator[TrayApp]:
    app = TrayApp(store, clock)
    qtbot.addWidget(app.window)
    yield app
    app.support.close_windows()
    app.scheduler.shutdown()
    app.stop_using_store()  # no late refresh from the file watcher once the store is closed


def test_menu_and_today_page_open_the_windows(qtbot: QtBot, tray: TrayApp) -> None:
    texts = [a.text() for a in tray.menu.actions()]
    assert texts.index("I want to text them") < texts.index("My history")
    assert "Check in: how strong is the pull?" in texts
    tray.emergency_action.trigger()
    emergency = tray.support.emergency
    assert emergency is not None and emergency.isVisible()
    qtbot.addWidget(emergency)
    tray.window.today.history_button.click()
    history = tray.support.history
    assert history is not None and history.isVisible()
    qtbot.addWidget(history)


def test_logging_in_the_flow_redraws_the_tray(
    qtbot: QtBot, tray: TrayApp, clock: ManualClock
) -> None:
    tray.tracker.start(clock.now() - timedelta(days=12))
    tray.open_emergency()
    emergency = tray.support.emergency
    assert emergency is not None
    qtbot.addWidget(emergency)
    tray.refresh()
    emergency.rode_button.click()
    assert tray.title_action.text() == "Day 12 of no contact"
    assert tray.store.count_by_kind()[EventKind.URGE] == 1


def test_daily_check_in_is_off_by_default_then_scheduled_in_the_local_zone(
    tray: TrayApp,
) -> None:
    box = tray.settings_form.controls[CHECK_IN_SETTING]
    assert isinstance(box, TimeOrOffEdit)
    assert not box.enabled_check.isChecked()
    assert tray.store.setting(CHECK_IN_SETTING) is None
    tray.scheduler.start()
    assert tray.scheduler.next_run(CHECK_IN_JOB) is None
    box.enabled_check.setChecked(True)  # the suggested 21:00
    assert tray.store.setting(CHECK_IN_SETTING) == "21:00"
    wake = tray.scheduler.next_run(CHECK_IN_JOB)
    assert wake is not None
    local = wake.astimezone(tray.clock.zone())
    assert (local.hour, local.minute) == (21, 0)
    job = tray.scheduler.scheduler.get_job(CHECK_IN_JOB)
    assert str(job.trigger.timezone) == "Europe/Berlin"
    box.enabled_check.setChecked(False)
    assert tray.scheduler.next_run(CHECK_IN_JOB) is None
    assert tray.store.setting(CHECK_IN_SETTING) is None


def test_a_chosen_time_survives_a_restart(
    qtbot: QtBot, store: Store, clock: ManualClock
) -> None:
    store.set_setting(CHECK_IN_SETTING, "07:45")
    app = TrayApp(store, clock)
    qtbot.addWidget(app.window)
    try:
        box = app.settings_form.controls[CHECK_IN_SETTING]
        assert isinstance(box, TimeOrOffEdit) and box.value() == "07:45"
        app.scheduler.start()
        wake = app.scheduler.next_run(CHECK_IN_JOB)
        assert wake is not None
        assert wake.astimezone(clock.zone()).strftime("%H:%M") == "07:45"
    finally:
        app.scheduler.shutdown()
        app.stop_using_store()


def test_check_in_saves_and_a_strong_pull_offers_the_flow(
    qtbot: QtBot, tray: TrayApp, clock: ManualClock
) -> None:
    tray.support.daily_check_in_due()
    dialog = tray.support.check_in_dialog
    assert isinstance(dialog, CheckInDialog)
    qtbot.addWidget(dialog)
    assert not dialog.help_button.isVisibleTo(dialog)
    dialog.slider.setValue(8)
    assert dialog.help_button.isVisibleTo(dialog)
    assert dialog.value_label.text() == "8 — very strong"
    dialog.note_edit.setPlainText("his birthday today")
    dialog.help_button.click()
    check_in = tray.support.journal.check_in_on(date(2026, 3, 8))
    assert check_in is not None and (check_in.intensity, check_in.note) == (8, "his birthday today")
    assert tray.support.emergency is not None and tray.support.emergency.isVisible()
    qtbot.addWidget(tray.support.emergency)

    tray.support.check_in_dialog = None
    tray.support.daily_check_in_due()  # already checked in today: the scheduled ask stays quiet
    assert tray.support.check_in_dialog is None
    tray.support.check_in()  # asked for by hand: shows today's answer to change
    again = tray.support.check_in_dialog
    assert isinstance(again, CheckInDialog)
    qtbot.addWidget(again)
    assert again.slider.value() == 8
    clock.advance(timedelta(days=1))
    again.hide()
    tray.support.check_in_dialog = None
    tray.support.daily_check_in_due()
    assert tray.support.check_in_dialog is not None
    qtbot.addWidget(tray.support.check_in_dialog)


def test_erase_needs_the_typed_word(
    tray: TrayApp, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exec_without_typing(self: EraseDialog) -> int:
        assert not self.erase_button.isEnabled()
        self.confirm_edit.setText("eras")
        assert not self.erase_button.isEnabled()
        return int(QtWidgets.QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(EraseDialog, "exec", exec_without_typing)
    tray.support.erase_section.erase_button.click()
    assert (data_dir / DB_FILE_NAME).exists()
    assert tray.support.erased is None


def test_erase_everything_removes_the_data_and_quits(
    tray: TrayApp, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tray.tracker.start()
    tray.support.journal.add_unsent("nobody will read this")

    def exec_typed(self: EraseDialog) -> int:
        self.confirm_edit.setText("ERASE")
        assert self.erase_button.isEnabled()
        return int(QtWidgets.QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(EraseDialog, "exec", exec_typed)
    autostart: list[bool] = []
    tray.support._set_autostart = autostart.append  # no real login entry here
    told: list[str] = []
    monkeypatch.setattr(
        QtWidgets.QMessageBox, "information", lambda _p, _t, text: told.append(text)
    )
    quits: list[int] = []
    tray.support._quit_app = lambda: quits.append(1)
    tray.support.erase_section.erase_button.click()
    assert data_files(data_dir) == []
    assert tray.support.erased is not None and tray.support.erased.complete
    assert autostart == [False]
    assert told and told[0].startswith("Everything is erased.")
    assert quits == [1]
    assert not tray.tray.isVisible() and not tray.window.isVisible()


def test_windows_are_destroyed_before_the_application_quits(tray: TrayApp) -> None:
    tray.open_emergency()
    tray.support.open_history()
    emergency, history = tray.support.emergency, tray.support.history
    assert emergency is not None and history is not None
    destroyed: list[str] = []
    emergency.destroyed.connect(lambda: destroyed.append("emergency"))
    history.destroyed.connect(lambda: destroyed.append("history"))
    tray.support.dispose()  # what aboutToQuit calls
    assert sorted(destroyed) == ["emergency", "history"]
    assert tray.support.emergency is None and tray.support.history is None
