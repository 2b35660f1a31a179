"""Issue 14 in the tray app (offscreen): discreet mode everywhere, quick exit, the app lock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from nocontact_desktop.core.blocking.blocklist import Blocklist
from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.privacy.discretion import revealing
from nocontact_desktop.core.storage.store import Store, SupportPerson
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.platform import linux
from nocontact_desktop.ui.app import TrayApp
from nocontact_desktop.ui.privacy.lock import UnlockDialog
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets
from nocontact_desktop.ui.windows.emergency_pages import RIDE
from nocontact_desktop.ui.windows.emergency_window import PERSONAL_STEPS
from tests.helpers.fakes import clock_at
from tests.helpers.privacy import DAYS_NOW, LONGEST, findings, menu_texts, window_titles

PIN = "2468"


@pytest.fixture
def clock() -> ManualClock:
    return clock_at("2026-03-19T21:30:00+01:00", "Europe/Berlin")


@pytest.fixture(autouse=True)
def private_desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "system"))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


def personal_life(store: Store, clock: ManualClock) -> None:
    """Day 30 now (a milestone), longest 57; a personal site; reasons and people."""
    tracker_now = clock.now()
    from nocontact_desktop.core.streak.tracker import Tracker

    tracker = Tracker(store, clock)
    tracker.start(tracker_now - timedelta(days=100))
    tracker.log(EventKind.CONTACT, tracker_now - timedelta(days=43))
    tracker.log(EventKind.CONTACT, tracker_now - timedelta(days=DAYS_NOW))
    Blocklist(store).add(["jordanreyes.me", "https://www.instagram.com/jordanreyes/"], tracker_now)
    store.set_list_items("reasons", ["He read my messages"])
    store.set_support_people([SupportPerson("Ana", "+1 555 0100")])
    store.set_setting("onboarded", True)


@pytest.fixture
def tray(qtbot: QtBot, store: Store, clock: ManualClock) -> Iterator[TrayApp]:
    personal_life(store, clock)
    app = TrayApp(store, clock)
    qtbot.addWidget(app.window)
    app.refresh()
    yield app
    app.support.close_windows()
    app.scheduler.shutdown()
    app.stop_using_store()
    for window in QtWidgets.QApplication.topLevelWidgets():
        window.hide()


def go_discreet(tray: TrayApp, face: str = "notes") -> None:
    tray.settings_form.controls["discreet_face"].setCurrentIndex(  # type: ignore[attr-defined]
        ["notes", "weather", "planner"].index(face)
    )
    tray.settings_form.controls["discreet"].setChecked(True)  # type: ignore[attr-defined]


def test_plain_mode_does_reveal(tray: TrayApp) -> None:
    """The scanner itself sees what discreet mode must hide."""
    texts = {"tooltip": tray.tray.toolTip(), **dict(enumerate(menu_texts(tray.menu)))}
    assert findings({str(k): v for k, v in texts.items()})


def test_discreet_mode_hides_purpose_names_and_counts_everywhere(
    tray: TrayApp, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    notifications: list[tuple[str, str]] = []
    monkeypatch.setattr(tray.tray, "showMessage", lambda t, b, *_a: notifications.append((t, b)))
    tray.set_start_at_login(True)
    go_discreet(tray, "weather")
    assert tray.settings.get("discreet") is True
    # A pending unblock of the personal site, as the helper would report it.
    due = (tray.clock.now() + timedelta(hours=20)).isoformat()
    tray.show_pending_in_menu(
        [{"id": 1, "kind": "unblock", "subject": "jordanreyes.me", "due_at": due,
          "domains": ["jordanreyes.me"]}]
    )
    # Every window the app opens, with the notification of day 30.
    tray.open_main_window()
    tray.support.open_history()
    tray.support.open_emergency()
    tray.support.check_in()
    tray.check_milestone()
    assert notifications, "the milestone of day 30 was due"
    scanned: dict[str, str] = {
        "tooltip": tray.tray.toolTip(),
        "app name": QtCore.QCoreApplication.applicationName(),
        **{f"menu {i}": t for i, t in enumerate(menu_texts(tray.menu))},
        **{f"title {k}": t for k, t in window_titles().items()},
        **{f"notification {i}": f"{t}\n{b}" for i, (t, b) in enumerate(notifications)},
    }
    entry = linux.autostart_path().read_text()
    shown = [line for line in entry.splitlines() if line.startswith(("Name=", "Comment=", "Icon="))]
    scanned["autostart"] = "\n".join(shown) + "\n" + linux.autostart_path().name
    assert len(window_titles()) >= 4
    assert findings(scanned) == {}, scanned
    assert set(window_titles().values()) == {"Weather"}
    assert tray.tray.toolTip() == "Weather"
    # Switching off gives every window its own title back, at once.
    tray.settings_form.controls["discreet"].setChecked(False)  # type: ignore[attr-defined]
    assert tray.window.windowTitle() == "No Contact"
    assert tray.support.emergency is not None
    assert tray.support.emergency.windowTitle() == "Breathe — No Contact"
    assert "Name=No Contact" in linux.autostart_path().read_text()


def test_the_neutral_icon_shows_the_day_only_when_asked(tray: TrayApp) -> None:
    go_discreet(tray, "planner")
    plain = tray.tray.icon().pixmap(32).toImage()
    tray.settings_form.controls["discreet_show_day"].setChecked(True)  # type: ignore[attr-defined]
    with_day = tray.tray.icon().pixmap(32).toImage()
    assert plain != with_day
    tray.settings_form.controls["discreet_show_day"].setChecked(False)  # type: ignore[attr-defined]
    assert tray.tray.icon().pixmap(32).toImage() == plain


def escape_three_times(window: QtWidgets.QWidget) -> None:
    handle = window.windowHandle()
    assert handle is not None
    for _ in range(3):
        QtWidgets.QApplication.sendEvent(
            handle,
            QtGui.QKeyEvent(QtCore.QEvent.Type.KeyPress, Qt.Key.Key_Escape,
                            Qt.KeyboardModifier.NoModifier),
        )


def test_quick_exit_hides_every_window_and_goes_neutral(tray: TrayApp, clock: ManualClock) -> None:
    tray.open_main_window()
    tray.support.open_history()
    tray.support.open_emergency()
    assert len(window_titles()) >= 3
    assert tray.tray.toolTip() == f"Day {DAYS_NOW} · longest {LONGEST}"
    escape_three_times(tray.window)
    assert window_titles() == {}
    assert tray.tray.toolTip() == "Notes"
    assert revealing(" ".join(menu_texts(tray.menu))) == []
    # Opening again brings the plain face back (no PIN set).
    tray.open_main_window()
    assert tray.window.isVisible() and "Day" in tray.tray.toolTip()


def test_slow_escapes_are_no_quick_exit(tray: TrayApp, clock: ManualClock) -> None:
    tray.open_main_window()
    handle = tray.window.windowHandle()
    assert handle is not None
    for _ in range(3):
        QtWidgets.QApplication.sendEvent(
            handle,
            QtGui.QKeyEvent(QtCore.QEvent.Type.KeyPress, Qt.Key.Key_Escape,
                            Qt.KeyboardModifier.NoModifier),
        )
        clock.advance(timedelta(seconds=1))
    assert tray.window.isVisible()


def test_the_shortcut_is_a_quick_exit(tray: TrayApp) -> None:
    tray.open_main_window()
    handle = tray.window.windowHandle()
    assert handle is not None
    QtWidgets.QApplication.sendEvent(
        handle,
        QtGui.QKeyEvent(QtCore.QEvent.Type.KeyPress, Qt.Key.Key_H,
                        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),
    )
    assert window_titles() == {}


def test_the_lock_blocks_every_personal_window_never_the_breathing_timer(
    tray: TrayApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tray.app_lock is not None
    tray.app_lock.set_secret(PIN)
    tray.open_main_window()
    tray.support.open_history()
    tray.app_lock.lock_now()
    assert window_titles() == {}  # locking hides what was open
    opened: list[str] = []
    monkeypatch.setattr("nocontact_desktop.ui.app.QtWidgets.QMessageBox.information",
                        lambda *_a: opened.append("box"))
    for open_it in (
        tray.open_main_window,
        tray.support.open_history,
        tray.support.check_in,
        tray.log_hoover,
        tray.log_slip,
        tray.edit_reasons,
    ):
        open_it()
        dialog = tray.app_lock.dialog
        assert dialog is not None and dialog.isVisible()
        assert set(window_titles().values()) == {"Locked"}, open_it
        dialog.reject()
    assert window_titles() == {} and opened == []
    # The emergency window opens without the PIN, on the breathing timer only.
    tray.open_emergency()
    emergency = tray.support.emergency
    assert emergency is not None and emergency.isVisible() and emergency.locked
    assert emergency.steps.currentRow() == RIDE
    assert emergency.stack.currentIndex() == RIDE
    for step in PERSONAL_STEPS:
        emergency.go_to(step)
        assert emergency.steps.currentRow() == RIDE
        item = emergency.steps.item(step)
        assert item is not None and not item.flags() & Qt.ItemFlag.ItemIsEnabled
    shown = " ".join(label.text() for label in emergency.findChildren(QtWidgets.QLabel))
    assert "He read" not in shown and "Ana" not in shown and str(DAYS_NOW) not in shown
    assert not emergency.contacted_button.isEnabled()
    assert emergency.unlock_button.isVisible()
    assert set(window_titles().values()) == {"Breathe — No Contact"}


def test_the_pin_opens_what_was_asked_for(tray: TrayApp) -> None:
    assert tray.app_lock is not None
    tray.app_lock.set_secret(PIN)
    tray.app_lock.lock_now()
    tray.support.open_history()
    tray.open_main_window()  # the latest request is the one that runs
    dialog = tray.app_lock.dialog
    assert dialog is not None
    dialog.secret_edit.setText(PIN)
    dialog.submit()
    assert tray.window.isVisible() and not tray.app_lock.locked
    assert tray.support.history is None or not tray.support.history.isVisible()


def test_unlocking_with_the_right_pin_and_a_calm_pause_after_wrong_ones(
    tray: TrayApp, clock: ManualClock
) -> None:
    assert tray.app_lock is not None
    tray.app_lock.set_secret(PIN)
    tray.app_lock.lock_now()
    dialog = UnlockDialog(tray.app_lock.lock)
    for _ in range(2):
        dialog.secret_edit.setText("1111")
        dialog.submit()
        assert dialog.message_label.text() == "That is not it. Try again."
    dialog.secret_edit.setText("1111")
    dialog.submit()
    assert "try again in 30 seconds" in dialog.message_label.text()
    assert not dialog.secret_edit.isEnabled()
    assert not tray.app_lock.lock.try_unlock(PIN).ok  # even the right one waits
    clock.advance(timedelta(seconds=31))
    dialog._ready()
    dialog.secret_edit.setText(PIN)
    dialog.submit()
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    assert not tray.app_lock.locked


def test_it_locks_after_the_idle_time_and_with_the_screen(
    tray: TrayApp, clock: ManualClock
) -> None:
    assert tray.app_lock is not None
    tray.settings.set("lock_after_minutes", 2)
    tray.app_lock.set_secret(PIN)
    tray.app_lock.activity()
    clock.advance(timedelta(minutes=1))
    tray.app_lock._idle_check()
    assert not tray.app_lock.locked
    clock.advance(timedelta(minutes=1, seconds=1))
    tray.app_lock._idle_check()
    assert tray.app_lock.locked
    tray.app_lock.lock.try_unlock(PIN)
    watch = tray.app_lock.screen_watch
    assert watch is not None
    watch.on_active_changed(False)
    assert not tray.app_lock.locked
    watch.on_active_changed(True)
    assert tray.app_lock.locked


def test_without_a_pin_nothing_locks(tray: TrayApp) -> None:
    assert tray.app_lock is not None
    tray.app_lock.lock_now()
    assert not tray.app_lock.locked
    tray.open_main_window()
    assert tray.window.isVisible()


def test_the_pin_is_kept_only_as_a_salted_hash(tray: TrayApp, store: Store) -> None:
    assert tray.app_lock is not None
    tray.app_lock.set_secret("correct horse")
    stored = store.meta("app_lock")
    assert stored is not None and "correct horse" not in stored and '"kdf": "scrypt"' in stored
    assert "app_lock" not in store.settings()  # neither listed nor exported
