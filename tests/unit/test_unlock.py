"""A wrong or cancelled passphrase never makes the app vanish (issue 12, finding 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.storage.vault import PASSPHRASE_ENV, key_source, open_data
from nocontact_desktop.ui.app import TrayApp
from nocontact_desktop.ui.dialogs import passphrase_dialog
from nocontact_desktop.ui.dialogs.passphrase_dialog import PassphraseDialog, TrayPassphrase
from nocontact_desktop.ui.qt import QtWidgets

SECRET = "correct horse battery"


@pytest.fixture
def sealed_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder whose notes are sealed with a passphrase (no keyring here)."""
    folder = tmp_path / "data"
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET)
    monkeypatch.setattr(
        "nocontact_desktop.core.storage.key_store.keyring_available",
        lambda: (False, "none in this test"),
    )
    with open_data(folder) as store:
        store.set_list_items("reasons", ["I want peace"])
        assert key_source(store) == "passphrase"
    monkeypatch.delenv(PASSPHRASE_ENV)
    return folder


def answers(monkeypatch: pytest.MonkeyPatch, replies: list[str | None]) -> list[str | None]:
    """Answer each passphrase prompt in turn (None: "Not now"); returns the errors shown."""
    shown: list[str | None] = []

    def fake_exec(dialog: PassphraseDialog) -> int:
        shown.append(dialog.error_label.text() or None)
        reply = replies.pop(0)
        if reply is None:
            return int(QtWidgets.QDialog.DialogCode.Rejected.value)
        dialog.first_edit.setText(reply)
        return int(QtWidgets.QDialog.DialogCode.Accepted.value)

    monkeypatch.setattr(PassphraseDialog, "exec", fake_exec)
    monkeypatch.setattr(passphrase_dialog, "PAUSE_SECONDS", 0)
    return shown


def close(tray: TrayApp, store: Store) -> None:
    tray.scheduler.shutdown()
    tray.stop_using_store()
    store.close()


def test_a_wrong_passphrase_asks_again_and_then_opens(
    qtbot: QtBot, sealed_folder: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = answers(monkeypatch, ["wrong", "also wrong", SECRET])
    prompt = TrayPassphrase()
    store = open_data(sealed_folder, passphrase=prompt)
    tray = TrayApp(store, clock, passphrase=prompt)
    qtbot.addWidget(tray.window)
    assert tray.unlock() is True
    assert shown[0] is None and "does not open your notes" in str(shown[1])
    tray.refresh()
    assert "I want peace" in tray.window.today.reasons_label.text()
    close(tray, store)


def test_not_now_leaves_the_tray_running_locked_with_the_breathing_timer(
    qtbot: QtBot, sealed_folder: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers(monkeypatch, [None])
    prompt = TrayPassphrase()
    store = open_data(sealed_folder, passphrase=prompt)
    tray = TrayApp(store, clock, passphrase=prompt)
    qtbot.addWidget(tray.window)
    assert tray.unlock() is False
    assert tray.locked and tray.unlock_action.isVisible()
    tray.refresh()  # no exception: the count shows, nothing sealed is read
    assert tray.title_action.text().startswith("No Contact")
    tray.open_emergency()  # the breathing timer never needs unlocking
    emergency = tray.support.emergency
    assert emergency is not None and emergency.isVisible()
    assert emergency.urge_timer.running
    shown = " ".join(label.text() for label in emergency.findChildren(QtWidgets.QLabel))
    assert "cannot be opened now" in shown  # personal steps stay sealed
    emergency.close()
    close(tray, store)


def test_choosing_a_passphrase_asks_twice_and_says_what_forgetting_means(qtbot: QtBot) -> None:
    dialog = PassphraseDialog("new")
    qtbot.addWidget(dialog)
    texts = " ".join(label.text() for label in dialog.findChildren(QtWidgets.QLabel))
    assert "nobody" in texts and "cannot be opened" in texts
    assert dialog.second_edit.isVisibleTo(dialog)
    dialog.first_edit.setText("one")
    dialog.second_edit.setText("two")
    dialog.accept()
    assert dialog.result() != QtWidgets.QDialog.DialogCode.Accepted.value
    assert "not the same" in dialog.error_label.text()
    unlock = PassphraseDialog("unlock")
    qtbot.addWidget(unlock)
    assert unlock.windowTitle() == "Enter your passphrase"
    assert not unlock.second_edit.isVisibleTo(unlock)


def test_several_wrong_tries_bring_a_calm_pause(qtbot: QtBot) -> None:
    dialog = PassphraseDialog("unlock", "x", pause_seconds=3)
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    assert "try again in 3 s" in dialog.error_label.text()
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=15000)  # 3 s, on a busy machine
