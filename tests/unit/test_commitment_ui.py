"""The commitment in the UI (pytest-qt): the Blocked page's pending rows, the reflect moment
before unblocking, the Settings section, onboarding's step, History's honest line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pytestqt.qtbot import QtBot

from nocontact_desktop.core.blocking.blocklist import Blocklist, PushResult
from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.reflect.attempts import Attempt
from nocontact_desktop.core.settings import COMMITMENT_SECTION, Settings
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.streak.count import StreakSummary
from nocontact_desktop.ui.dialogs.reflect_dialog import ReflectDialog
from nocontact_desktop.ui.pages.blocked_page import PENDING_TITLE, BlockedPage
from nocontact_desktop.ui.qt import QtWidgets
from nocontact_desktop.ui.widgets.settings_form import SettingsForm
from nocontact_desktop.ui.windows.history_window import protection_gap_text
from nocontact_desktop.ui.windows.onboarding import OnboardingDialog

NOW = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # a Thursday
DUE = datetime(2026, 3, 7, 2, 12, tzinfo=UTC)  # Saturday 03:12 in Berlin
INSTAGRAM = ["i.instagram.com", "instagram.com", "l.instagram.com", "m.instagram.com",
             "www.instagram.com"]


class FakeHelper:
    """Holds a list like the helper does: dropped names stay until "due" (a 2-day delay)."""

    def __init__(self) -> None:
        self.blocklist: set[str] = set()
        self.pending: list[dict[str, Any]] = []
        self.cancelled: list[int] = []

    def state(self) -> dict[str, Any]:
        return {
            "blocklist": sorted(self.blocklist),
            "commitment": {"delay_minutes": 2880, "pending": list(self.pending)},
        }

    def push(self, domains: list[str]) -> PushResult:
        wanted = set(domains)
        held = {n for p in self.pending for n in p["domains"]}
        dropped = self.blocklist - wanted - held
        if dropped:
            self.pending.append(
                {"id": len(self.pending) + 1, "kind": "unblock", "subject": "instagram.com",
                 "due_at": DUE.isoformat(), "domains": sorted(dropped)}
            )
        self.blocklist = wanted | held | dropped
        return PushResult(True, "blocking", self.state())

    def cancel(self, pending_id: int) -> dict[str, Any]:
        entry = next(p for p in self.pending if p["id"] == pending_id)
        self.pending.remove(entry)
        self.cancelled.append(pending_id)
        return {"cancelled": entry}


def page_with_pending(
    qtbot: QtBot, store: Store, reflect: Callable[[list[str], Callable[[], None]], None] | None
) -> tuple[BlockedPage, FakeHelper]:
    helper = FakeHelper()
    page = BlockedPage(
        store,
        lambda: NOW,
        helper.push,
        zone=lambda: ZoneInfo("Europe/Berlin"),
        reflect=reflect,
        cancel_pending=helper.cancel,
    )
    qtbot.addWidget(page)
    page.input.setText("instagram their-blog.com")
    page.add_from_input()
    return page, helper


def select(page: BlockedPage, target: str) -> None:
    for index in range(page.list.topLevelItemCount()):
        item = page.list.topLevelItem(index)
        assert item is not None
        item.setSelected(item.text(0).startswith(target))


def test_unblock_goes_through_the_reflect_moment_then_shows_a_pending_row(
    qtbot: QtBot, store: Store
) -> None:
    asked: list[list[str]] = []
    go_on: list[Callable[[], None]] = []
    page, helper = page_with_pending(
        qtbot, store, lambda targets, go: (asked.append(targets), go_on.append(go))
    )
    select(page, "instagram")
    page.remove_button.click()
    assert asked == [["instagram"]]
    assert not page.pending_box.isVisibleTo(page)  # nothing happens before the moment
    assert not helper.pending
    go_on[0]()  # "Ask for it anyway" after the countdown
    assert page.pending_box.isVisibleTo(page)
    assert page.pending_box.title() == PENDING_TITLE
    texts = [w.text() for w in page.pending_box.findChildren(QtWidgets.QLabel)]
    assert texts == ["instagram unblocks Saturday 03:12"]  # as the person listed it
    [keep] = page.keep_buttons.values()
    assert keep.text() == "Keep it blocked"
    first = page.list.topLevelItem(0)
    assert first is not None and first.text(0) == "instagram — unblocks Saturday 03:12"
    assert set(INSTAGRAM) <= helper.blocklist  # still blocked until it is due
    # One click keeps it: the helper's pending change is cancelled and the store wants it again.
    keep.click()
    assert helper.cancelled == [1]
    assert not page.pending_box.isVisibleTo(page)
    assert Blocklist(store).removals() == {}
    assert "instagram.com" in Blocklist(store).domains()


def test_without_a_helper_unblocking_removes_at_once(qtbot: QtBot, store: Store) -> None:
    page = BlockedPage(store, lambda: NOW, lambda _d: PushResult(False, "off"))
    qtbot.addWidget(page)
    page.input.setText("their-blog.com")
    page.add_from_input()
    select(page, "their-blog.com")
    page.remove_button.click()
    assert page.list.topLevelItemCount() == 0


def test_settings_draws_the_commitment_section_from_the_typed_table(
    qtbot: QtBot, store: Store
) -> None:
    form = SettingsForm(Settings(store))
    qtbot.addWidget(form)
    titles = [box.title() for box in form.findChildren(QtWidgets.QGroupBox)]
    assert COMMITMENT_SECTION in titles
    delay = form.controls["commitment_delay"]
    assert isinstance(delay, QtWidgets.QComboBox)
    labels = [delay.itemText(i) for i in range(delay.count())]
    assert labels == ["None", "1 hour", "24 hours (suggested)", "3 days", "7 days"]
    assert "night's sleep" in form.notes["commitment_delay"].text()
    passes = form.controls["pass_max_minutes"]
    assert isinstance(passes, QtWidgets.QComboBox)
    assert [passes.itemData(i) for i in range(passes.count())] == ["5", "15", "30"]
    assert passes.currentData() == "30"
    per_day = form.controls["passes_per_day"]
    assert isinstance(per_day, QtWidgets.QSpinBox) and per_day.value() == 3
    changes: list[tuple[str, object]] = []
    form.changed.connect(lambda key, value: changes.append((key, value)))
    delay.setCurrentIndex(delay.findData("24h"))
    assert changes == [("commitment_delay", "24h")]
    form.show_value("commitment_delay", "3d")  # what the helper holds: not a change
    assert delay.currentData() == "3d" and len(changes) == 1
    form.note("commitment_delay", "Blocking is off")
    assert form.notes["commitment_delay"].text() == "Blocking is off"


def test_onboarding_offers_the_commitment_with_24_hours_suggested(qtbot: QtBot) -> None:
    clock = ManualClock(NOW, "Europe/Berlin")
    dialog = OnboardingDialog(clock)
    qtbot.addWidget(dialog)
    assert dialog.commitment_combo.currentText() == "24 hours (suggested)"
    assert dialog.answers().commitment_delay == "24h"
    dialog.commitment_combo.setCurrentIndex(0)
    assert dialog.answers().commitment_delay == "none"


def test_the_dialog_offers_only_passes_the_helper_allows_and_asks_for_changes(
    qtbot: QtBot,
) -> None:
    summary = StreakSummary(True, 12, NOW, 40, 52, 14, ())
    site = ReflectDialog(Attempt("k", "instagram.com", "on your list"), summary, None, 5,
                         pass_max_minutes=15)
    qtbot.addWidget(site)
    assert site.pass_choices == (5, 15)
    change = ReflectDialog(
        Attempt("change:unblock", "Unblock instagram", "after 24 hours", kind="change"),
        summary, None, 5,
    )
    qtbot.addWidget(change)
    assert change.open_button.text() == "Ask for it anyway (in 5 s)"
    decided: list[tuple[str, object]] = []
    change.decided.connect(lambda o, m: decided.append((o, m)))
    change.remaining = 0
    change._open_clicked()
    assert decided == [("opened", None)]


def test_history_says_when_protection_was_off_without_blame() -> None:
    zone = ZoneInfo("Europe/Berlin")
    text = protection_gap_text(
        [{"from": NOW.isoformat(), "to": (NOW + timedelta(hours=9)).isoformat()}], zone
    )
    assert text == (
        "Protection was off from Thu 05 Mar 11:00 to Thu 05 Mar 20:00 while the blocking "
        "service was stopped; it is back on."
    )
    assert protection_gap_text([], zone) == ""
