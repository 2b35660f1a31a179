"""One reflect flow for sites and apps: one dialog per key, each outcome logged once."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.reflect.attempts import ReflectRules
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.ui.controllers.reflect_flow import ReflectFlow


def test_dismissing_logs_once_and_acknowledges(
    qtbot: QtBot, store: Store, clock: ManualClock
) -> None:
    rules = ReflectRules(store, clock)
    flow = ReflectFlow(rules)
    heard: list[tuple[str, int | None]] = []
    attempt = rules.site_attempt("instagram.com")
    dialog = flow.show(attempt, lambda outcome, minutes: heard.append((outcome, minutes)))
    qtbot.addWidget(dialog)
    assert flow.dialogs == {attempt.key: dialog}
    dialog.dismiss()
    dialog.dismiss()  # a second press decides nothing more
    assert heard == [("dismissed", None)]
    assert store.count_by_kind()[EventKind.BLOCKED_ATTEMPT] == 1
    assert flow.dialogs == {}
    ack = flow.last_acknowledgement
    assert ack is not None
    assert ack.text_label.text() == "You turned away. That took strength."
    with qtbot.waitSignal(ack.finished, timeout=6000):  # it closes by itself
        pass


def test_an_app_that_went_away_settles_its_dialog_without_logging(
    qtbot: QtBot, store: Store, clock: ManualClock
) -> None:
    rules = ReflectRules(store, clock)
    flow = ReflectFlow(rules)
    heard: list[str] = []
    attempt = rules.app_attempt("signal", "Signal")
    dialog = flow.show(attempt, lambda outcome, _m: heard.append(outcome))
    qtbot.addWidget(dialog)
    flow.settle(attempt.key)
    assert flow.dialogs == {} and heard == []
    assert store.count_by_kind().get(EventKind.BLOCKED_ATTEMPT, 0) == 0
