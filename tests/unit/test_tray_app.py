"""The tray app's logic with real widgets (offscreen), an injected clock and a real store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.ui.app import TrayApp, autostart_command
from nocontact_desktop.ui.dialogs.moment_dialogs import HooverDialog, SlipDialog
from nocontact_desktop.ui.qt import Qt, QtWidgets
from nocontact_desktop.ui.tray.day_scheduler import DayScheduler
from nocontact_desktop.ui.tray.icon import day_icon, render_day_pixmap
from nocontact_desktop.ui.widgets.start_date_section import CorrectStartDialog
from nocontact_desktop.ui.windows.onboarding import OnboardingDialog
from tests.helpers.fakes import clock_at


@pytest.fixture
def clock() -> ManualClock:
    return clock_at("2026-03-19T23:59:00+01:00", "Europe/Berlin")


@pytest.fixture
def tray(qtbot: QtBot, store: Store, clock: ManualClock) -> TrayApp:
    app = TrayApp(store, clock)
    qtbot.addWidget(app.window)
    yield app  # type: ignore[misc]
    app.scheduler.shutdown()
    app.stop_using_store()  # else the file watcher refreshes from a closed store in a later test


def accept_next_dialog(monkeypatch: pytest.MonkeyPatch, cls: type, setup=None) -> None:  # type: ignore[no-untyped-def]
    def fake_exec(self: QtWidgets.QDialog) -> int:
        if setup is not None:
            setup(self)
        return int(QtWidgets.QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(cls, "exec", fake_exec)


def test_icon_renders_every_count_legibly(qtbot: QtBot) -> None:
    for days in (0, 7, 42, 365, 999, 1200, 20000):
        pixmap = render_day_pixmap(days, 16)
        assert pixmap.width() == 16
        image = pixmap.toImage()
        white = sum(
            1 for x in range(16) for y in range(16) if image.pixelColor(x, y).lightness() > 200
        )
        assert white >= 6, f"no legible digits for {days}"
    assert not day_icon(12).isNull()


def test_refresh_shows_count_tooltip_and_title(
    tray: TrayApp, store: Store, clock: ManualClock
) -> None:
    tray.refresh()
    assert tray.title_action.text() == "No Contact — not started"
    tray.tracker.start(clock.now() - timedelta(days=12))
    tray.refresh()
    assert tray.tray.toolTip() == "Day 12 · longest 12"
    assert tray.title_action.text() == "Day 12 of no contact"
    assert tray.window.today.days_label.text() == "12"
    menu = [a.text() for a in tray.menu.actions() if a.text()]
    assert menu[:4] == [
        "Day 12 of no contact",
        "I want to text them",
        "They contacted me",
        "I slipped — I contacted them",
    ]
    assert "Open No Contact" in menu
    assert menu[-1] == "Quit"


def test_midnight_rollover_and_milestone_once(
    tray: TrayApp, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tray.tracker.start(clock.now() - timedelta(days=6, hours=1))
    tray.refresh()
    assert tray.window.today.days_label.text() == "6"
    shown: list[str] = []
    monkeypatch.setattr(tray.tray, "showMessage", lambda title, *_a: shown.append(title))
    tray.check_milestone()
    assert shown == []  # day 3 passed before: no stale balloon (a backdated start)
    clock.advance(timedelta(minutes=2))  # past local midnight
    tray.on_new_day()
    assert tray.window.today.days_label.text() == "7"
    assert shown == ["Day 7"]  # reached today: shown once
    tray.on_new_day()
    assert shown == ["Day 7"]


def test_scheduler_plans_the_next_local_midnight(qtbot: QtBot, clock: ManualClock) -> None:
    fired: list[int] = []
    scheduler = DayScheduler(clock, lambda: fired.append(1))
    scheduler.start()
    try:
        wake = scheduler.next_wakeup()
        assert wake is not None
        assert wake == datetime(2026, 3, 19, 23, 0, 1, tzinfo=UTC)  # 00:00:01 in Berlin
        assert len(scheduler.scheduler.get_jobs()) == 1  # one timer, no polling
    finally:
        scheduler.shutdown()


def test_slip_logs_contact_with_kind_words(
    tray: TrayApp, store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tray.tracker.start(clock.now() - timedelta(days=20))
    accept_next_dialog(monkeypatch, SlipDialog, lambda d: d.note_edit.setPlainText("late call"))
    messages: list[str] = []
    monkeypatch.setattr(
        QtWidgets.QMessageBox, "information", lambda _p, _t, text: messages.append(text)
    )
    tray.log_slip()
    summary = tray.tracker.summary()
    assert summary.streak_days == 0
    assert summary.longest_streak_days == 20
    assert "20 days" in messages[0]
    contact = store.events([EventKind.CONTACT], with_notes=True)
    assert contact[0].note == "late call"
    today = tray.window.today  # the same warm page, a new beginning, what stays beside it
    assert today.days_label.text() == "0"
    assert today.caption_label.text() == "Day 0 — a new beginning"
    assert today.figures_label.text() == "Longest streak 20 days · 20 days kept in all"
    assert today.progress.value() == 0 and today.milestone_label.text().endswith("1 to go")


def test_hoover_logs_without_reset(
    tray: TrayApp, store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tray.tracker.start(clock.now() - timedelta(days=3))
    accept_next_dialog(monkeypatch, HooverDialog)
    tray.log_hoover()
    assert tray.tracker.summary().streak_days == 3
    assert store.count_by_kind()[EventKind.HOOVER] == 1


def test_onboarding_starts_count_and_saves_answers(
    qtbot: QtBot, tray: TrayApp, store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bool, list[str]]] = []
    monkeypatch.setattr(
        tray.platform, "set_autostart", lambda e, c, _entry=None: calls.append((e, c))
    )

    def answer(dialog: OnboardingDialog) -> None:
        ten_days_ago = (clock.now() - timedelta(days=10)).astimezone(clock.zone())
        dialog.start_edit.text_edit.setText(ten_days_ago.strftime("%Y-%m-%d %H:%M"))
        dialog.reasons_edit.setPlainText("I want peace\n\nI am worth more")
        dialog.people[0][0].setText("Ana")
        dialog.people[0][1].setText("+1 555 0100")

    accept_next_dialog(monkeypatch, OnboardingDialog, answer)
    tray.run_onboarding()
    assert tray.tracker.summary().streak_days == 10
    assert store.list_items("reasons") == ["I want peace", "I am worth more"]
    assert store.support_people()[0].name == "Ana"
    assert store.setting("onboarded") is True
    assert store.setting("start_at_login") is True
    assert calls and calls[0][0] is True
    # First run ends on Today with a short word on what they can do, not in silence.
    assert tray.window.isVisible() and tray.window.nav.currentItem().text() == "Today"
    assert tray.window.today.welcome.isVisibleTo(tray.window)


def test_onboarding_never_accepts_a_future_start(qtbot: QtBot, clock: ManualClock) -> None:
    dialog = OnboardingDialog(clock)
    qtbot.addWidget(dialog)
    future = (clock.now() + timedelta(days=5)).astimezone(clock.zone())
    dialog.start_edit.text_edit.setText(future.strftime("%Y-%m-%d %H:%M"))
    assert not dialog.begin_button.isEnabled()
    assert "is in the future" in dialog.start_edit.meaning_label.text()


@pytest.mark.parametrize(
    ("typed", "meaning"),
    [("2026-03-01", "Sunday 1 March 2026, 00:00"), ("2026-02-28 21:30", "Saturday 28 February")],
)
def test_typed_start_dates_are_never_rewritten(
    qtbot: QtBot, clock: ManualClock, typed: str, meaning: str
) -> None:
    dialog = OnboardingDialog(clock)
    qtbot.addWidget(dialog)
    dialog.start_edit.text_edit.setText(typed)
    assert dialog.start_edit.text_edit.text() == typed
    assert dialog.start_edit.meaning_label.text().startswith(meaning)
    assert dialog.begin_button.isEnabled()
    local = dialog.answers().started_at.astimezone(clock.zone())
    assert local.strftime("%Y-%m-%d %H:%M").startswith(typed.split(maxsplit=1)[0])


def test_autostart_command_keeps_an_explicit_data_dir(tmp_path: Path) -> None:
    command = autostart_command(tmp_path)
    assert command[-3:] == ["--data-dir", str(tmp_path), "tray"]
    assert autostart_command(None)[-1] == "tray"


def test_countdown_setting_is_kept_within_limits(tray: TrayApp, store: Store) -> None:
    spin = tray.settings_form.controls["countdown_seconds"]
    assert isinstance(spin, QtWidgets.QSpinBox)
    assert (spin.minimum(), spin.maximum()) == (5, 300)  # drawn from core's settings table
    spin.setValue(45)
    assert store.setting("countdown_seconds") == 45
    spin.setValue(1000)
    assert store.setting("countdown_seconds") == 300


@pytest.mark.parametrize(
    ("typed", "kept", "why"),
    [
        ("3", 5, "3 s is outside 5–300 s; set to the shortest, 5 s."),
        ("400", 300, "400 s is outside 5–300 s; set to the longest, 300 s."),
    ],
)
def test_settings_say_why_a_typed_value_was_adjusted(
    qtbot: QtBot, tray: TrayApp, store: Store, *, typed: str, kept: int, why: str
) -> None:
    spin = tray.settings_form.controls["countdown_seconds"]
    assert isinstance(spin, QtWidgets.QSpinBox)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, typed)  # every keystroke is taken (a plain spin box drops the last 0)
    assert spin.lineEdit().text().startswith(typed)
    qtbot.keyClick(spin, Qt.Key.Key_Return)  # editing ends: bounds apply, with a reason
    assert spin.value() == kept and store.setting("countdown_seconds") == kept
    note = tray.settings_form.notes["countdown_seconds"]
    assert note.text() == why and not note.isHidden()


def test_a_slip_can_be_dated_earlier_today(
    tray: TrayApp, store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tray.tracker.start(clock.now() - timedelta(days=20))
    earlier = (clock.now() - timedelta(hours=1)).astimezone(clock.zone())

    def answer(dialog: SlipDialog) -> None:
        dialog.earlier_radio.setChecked(True)
        dialog.when_edit.text_edit.setText(f"today {earlier.strftime('%H:%M')}")

    accept_next_dialog(monkeypatch, SlipDialog, answer)
    monkeypatch.setattr(QtWidgets.QMessageBox, "information", lambda *_a: None)
    tray.log_slip()
    contact = store.events([EventKind.CONTACT])
    assert len(contact) == 1
    assert contact[0].at == earlier.replace(second=0, microsecond=0)


def test_the_start_can_be_corrected_in_settings(
    tray: TrayApp, store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    tray.tracker.start(clock.now() - timedelta(days=2))
    real_start = (clock.now() - timedelta(days=9)).astimezone(clock.zone())

    def answer(dialog: CorrectStartDialog) -> None:
        dialog.when_edit.text_edit.setText(real_start.strftime("%Y-%m-%d %H:%M"))

    accept_next_dialog(monkeypatch, CorrectStartDialog, answer)
    tray.start_section.correct()
    assert tray.tracker.summary().streak_days == 9
    assert tray.window.today.days_label.text() == "9"
    assert real_start.strftime("%Y") in tray.start_section.started_label.text()


def test_export_and_import_from_settings(
    tray: TrayApp, store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    tray.tracker.start(clock.now() - timedelta(days=4))
    tray.tracker.log(EventKind.HOOVER, note="a voice message")
    section = tray.data_section
    target = tmp_path / "copy.json"
    assert section.export_to(target)
    assert "Exported 2 events" in section.result_label.text()
    assert "NOT encrypted" in section.result_label.text()
    assert "a voice message" in target.read_text()
    broken = tmp_path / "broken.json"
    broken.write_text("{ nope")
    assert not section.import_from(broken)
    assert section.result_label.text().startswith("Nothing was imported:")
    assert section.import_from(target)  # the same events again: nothing new, nothing doubled
    assert "Imported 0 new events" in section.result_label.text()
    assert store.count_by_kind()[EventKind.HOOVER] == 1


def test_letting_an_app_go_goes_through_the_reflect_moment(
    qtbot: QtBot, store: Store, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loosening: the moment first; then the helper's delay (none here: no helper)."""
    app = TrayApp(store, clock, socket_path=tmp_path / "no-helper.sock")
    qtbot.addWidget(app.window)
    try:
        app.app_gate.gate_list.add(["signal", "whatsapp"], clock.now())
        app.apps_page.reload()
        shown: list[Any] = []
        monkeypatch.setattr(
            app.site_attempts.flow, "show", lambda attempt, done: shown.append((attempt, done))
        )
        app.apps_page.preset_checks["signal"].click()  # unticking a preset asks too
        [(attempt, decided)] = shown
        assert attempt.kind == "change" and attempt.name == "Stop gating Signal"
        assert "no commitment delay is set" in attempt.detail
        assert app.apps_page.preset_checks["signal"].isChecked()  # nothing before the moment
        decided("dismissed", None)
        assert [a.id for a in app.app_gate.gate_list.apps()] == ["signal", "whatsapp"]
        decided("opened", None)  # "Ask for it anyway" after the countdown
        assert [a.id for a in app.app_gate.gate_list.apps()] == ["whatsapp"]
        assert not app.apps_page.preset_checks["signal"].isChecked()
        app.pause_gate(15)
        pause_attempt, pause_decided = shown[1]
        assert pause_attempt.name == "Pause the app gate for 15 minutes"
        assert not app.app_gate.gate.paused
        pause_decided("opened", None)
        assert app.app_gate.gate.paused
    finally:
        app.scheduler.shutdown()
        app.stop_using_store()


def test_a_gate_change_that_came_due_is_applied_and_finished(
    qtbot: QtBot, store: Store, clock: ManualClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nocontact_desktop.core.blocking.reconcile import Reconciled
    from nocontact_desktop.core.helper_link.client import HelperClient

    app = TrayApp(store, clock, socket_path=tmp_path / "no-helper.sock")
    qtbot.addWidget(app.window)
    finished: list[int] = []
    monkeypatch.setattr(HelperClient, "finish_pending", lambda _self, i: finished.append(i) or {})
    try:
        app.app_gate.gate_list.add(["signal"], clock.now())
        due = {"id": 4, "kind": "gate_remove", "app": "signal", "subject": "Signal",
               "due_at": "2026-03-19T22:00:00+00:00", "ready": True}  # fmt: skip
        waiting = {"id": 5, "kind": "gate_pause", "value": 60, "subject": "1 hour",
                   "due_at": "2026-03-21T22:00:00+00:00", "ready": False}  # fmt: skip
        left = app._apply_ready_gate_changes([due, waiting])
        assert left == [waiting] and finished == [4]
        assert app.app_gate.gate_list.apps() == []
        # What still waits shows on the Apps page too, not only in the tray menu.
        state = {"blocklist": [], "commitment": {"pending": [waiting]}}
        app._on_blocking(Reconciled("off", "", helper_state=state))
        assert app.apps_page.pending_label.text().startswith(
            "Waiting for your commitment delay: the app gate pauses for 1 hour Saturday"
        )
        assert not app.apps_page.pending_label.isHidden()
    finally:
        app.scheduler.shutdown()
        app.stop_using_store()


def test_the_privacy_filter_waits_for_the_first_window(
    qtbot: QtBot, store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    """Before the icon it would only slow the start (DESIGN §11); with the first window it is
    there to keep titles neutral and hear the quick exit."""
    app = TrayApp(store, clock, socket_path=tmp_path / "none.sock", icon_first=True)
    try:
        assert not app.privacy_filter._installed
        app._build()
        qtbot.addWidget(app.window)
        assert app.privacy_filter._installed
    finally:
        app.scheduler.shutdown()
        app.stop_using_store()
