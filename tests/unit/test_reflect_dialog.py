"""The delay-and-reflect dialog: dismiss at once, countdown only while active, pass choice."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pytestqt.qtbot import QtBot

from nocontact_desktop.core.reflect.attempts import Attempt
from nocontact_desktop.core.streak.count import StreakSummary
from nocontact_desktop.ui.dialogs.reflect_dialog import (
    KEY_GUARD_MS,
    ReflectDialog,
    clamp_countdown,
)
from nocontact_desktop.ui.qt import Qt, QtWidgets

SUMMARY = StreakSummary(True, 12, datetime(2026, 1, 1, tzinfo=UTC), 40, 52, 14, ())
SUBJECT = Attempt("instagram.com/name", "instagram.com", "you listed @name on Instagram")


def make(qtbot: QtBot, countdown: int = 5) -> tuple[ReflectDialog, list[tuple[str, object]]]:
    dialog = ReflectDialog(SUBJECT, SUMMARY, "I deserve peace", countdown)
    qtbot.addWidget(dialog)
    decided: list[tuple[str, object]] = []
    dialog.decided.connect(lambda o, m: decided.append((o, m)))
    return dialog, decided


def test_shows_site_count_reason_and_question(qtbot: QtBot) -> None:
    dialog, _ = make(qtbot)
    texts = " ".join(label.text() for label in dialog.findChildren(QtWidgets.QLabel))
    assert "instagram.com — you listed @name on Instagram" in texts
    assert "day 12" in texts
    assert "longest streak 40 days" in texts
    assert "I deserve peace" in texts
    assert "What are you hoping to find?" in texts
    assert dialog.close_button.height() >= dialog.open_button.height()
    assert dialog.close_button.isDefault()


def test_close_works_at_once(qtbot: QtBot) -> None:
    dialog, decided = make(qtbot, countdown=300)
    dialog.show()
    dialog.close_button.click()
    assert decided == [("dismissed", None)]
    assert dialog.outcome == "dismissed"


def test_open_anyway_waits_for_the_countdown_while_active(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog, decided = make(qtbot, countdown=5)
    assert not dialog.open_button.isEnabled()
    active = {"value": False}
    monkeypatch.setattr(dialog, "isActiveWindow", lambda: active["value"])
    for _ in range(10):
        dialog.tick()
    assert dialog.remaining == 5  # paused while another window is active
    assert not dialog.open_button.isEnabled()
    dialog.open_anyway(15)
    assert decided == []  # cannot open before the countdown
    active["value"] = True
    for _ in range(5):
        dialog.tick()
    assert dialog.open_button.isEnabled()
    dialog.open_button.click()
    assert dialog.pages.currentIndex() == 1
    dialog.pass_buttons[15].click()
    assert decided == [("opened", 15)]


def test_closing_the_window_is_a_dismissal(qtbot: QtBot) -> None:
    dialog, decided = make(qtbot)
    dialog.show()
    dialog.close()
    assert decided == [("dismissed", None)]


def test_countdown_limits() -> None:
    assert clamp_countdown(1) == 5
    assert clamp_countdown(30) == 30
    assert clamp_countdown(1000) == 300


def test_the_dismiss_stays_the_largest_default_button_after_open_anyway(qtbot: QtBot) -> None:
    dialog, decided = make(qtbot, countdown=5)
    dialog.remaining = 0
    dialog._update_open_button()
    dialog.show()
    dialog.open_button.click()
    assert dialog.pages.currentIndex() == 1
    back = dialog.back_button
    assert back.isDefault() and back.text() == "Close — I'm staying strong"
    for button in dialog.pass_buttons.values():
        assert back.minimumHeight() > button.sizeHint().height()
        assert not button.isDefault()
    back.click()
    assert decided == [("dismissed", None)]


def test_a_paused_countdown_says_so(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    dialog, _ = make(qtbot, countdown=5)
    dialog.show()
    active = {"value": False}
    monkeypatch.setattr(dialog, "isActiveWindow", lambda: active["value"])
    dialog.tick()
    assert dialog.paused_label.isVisibleTo(dialog)
    active["value"] = True
    dialog.tick()
    assert not dialog.paused_label.isVisibleTo(dialog) and dialog.remaining == 4


def test_keys_in_the_first_half_second_are_ignored(qtbot: QtBot) -> None:
    dialog, decided = make(qtbot, countdown=5)
    dialog.show()
    qtbot.keyClick(dialog.close_button, Qt.Key.Key_Return)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert decided == [] and dialog.outcome is None  # a held-down key decides nothing unseen
    qtbot.wait(KEY_GUARD_MS + 150)
    qtbot.keyClick(dialog.close_button, Qt.Key.Key_Return)
    assert decided == [("dismissed", None)]


def test_after_a_slip_the_count_reads_as_a_new_beginning(qtbot: QtBot) -> None:
    slipped = StreakSummary(True, 0, datetime(2026, 1, 1, tzinfo=UTC), 40, 52, 1, ())
    dialog = ReflectDialog(SUBJECT, slipped, None, 5)
    qtbot.addWidget(dialog)
    texts = " ".join(label.text() for label in dialog.findChildren(QtWidgets.QLabel))
    assert "Day 0 — a new beginning" in texts and "day 0 of no contact" not in texts


def test_an_attempt_on_an_unknown_listed_site_offers_nothing_to_open(qtbot: QtBot) -> None:
    """An ECH outer name / no SNI: which site is unknown, so there is no "Open anyway"."""
    from nocontact_desktop.core.reflect.coalescer import UNLISTED_SITE_KEY

    unknown = Attempt(UNLISTED_SITE_KEY, "a site on your list", "on your list")
    dialog = ReflectDialog(unknown, SUMMARY, None, 5)
    qtbot.addWidget(dialog)
    assert dialog.open_button.isHidden()
    assert not dialog.close_button.isHidden()
