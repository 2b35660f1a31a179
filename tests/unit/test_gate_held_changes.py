"""Gate loosenings through the helper's commitment (core/app_gate/held_changes.py)."""

from __future__ import annotations

from typing import Any

import pytest

from nocontact_desktop.core.app_gate.gate_list import GateList
from nocontact_desktop.core.app_gate.held_changes import GateChanges
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.helper_link.client import HelperUnavailable
from nocontact_desktop.core.storage.store import Store
from tests.helpers.fakes import clock_at


class FakeHelper:
    """Answers as the helper does: holds with a delay, goes ahead without one."""

    def __init__(self, delay: bool = True, up: bool = True) -> None:
        self.delay = delay
        self.up = up
        self.held: list[dict[str, Any]] = []
        self.finished: list[int] = []

    def _hold(self, entry: dict[str, Any]) -> dict[str, Any]:
        if not self.up:
            raise HelperUnavailable("no socket")
        if not self.delay:
            return {"hold": False, "added": []}
        entry = {"id": len(self.held) + 1, "ready": False, "due_at": "2026-03-21T15:00:00+00:00",
                 **entry}  # fmt: skip
        self.held.append(entry)
        return {"hold": True, "added": [entry]}

    def hold_gate_remove(self, app_id: str, label: str) -> dict[str, Any]:
        return self._hold({"kind": "gate_remove", "app": app_id, "subject": label})

    def hold_gate_pause(self, minutes: int) -> dict[str, Any]:
        return self._hold({"kind": "gate_pause", "value": minutes, "subject": f"{minutes} min"})

    def finish_pending(self, pending_id: int) -> dict[str, Any]:
        self.finished.append(pending_id)
        return {"finished": {"id": pending_id}}


@pytest.fixture
def gate_list(store: Store) -> GateList:
    listed = GateList(store, "linux")
    listed.add(["signal", "whatsapp"], clock_at("2026-03-20T15:00:00+01:00").now())
    return listed


def ids(gate_list: GateList) -> list[str]:
    return [app.id for app in gate_list.apps()]


def changes(gate_list: GateList, helper: FakeHelper | None, paused: list[int]) -> GateChanges:
    client: Any = helper
    return GateChanges(gate_list, client if helper else None, pause=paused.append)


def test_under_a_delay_a_removal_waits_and_is_applied_once_ready(gate_list: GateList) -> None:
    helper, paused = FakeHelper(), []
    gate = changes(gate_list, helper, paused)
    [outcome] = gate.remove(["signal"])
    assert outcome.entry is not None and not outcome.applied and outcome.label == "Signal"
    assert outcome.app_id == "signal"
    assert ids(gate_list) == ["signal", "whatsapp"]  # still gated: it waits
    pending = [dict(helper.held[0], ready=False)]
    assert gate.apply_ready(pending) == []  # not due yet
    done = gate.apply_ready([dict(helper.held[0], ready=True)])
    assert done == ["Signal is no longer gated"]
    assert ids(gate_list) == ["whatsapp"] and helper.finished == [1]


def test_a_ready_pause_pauses_the_running_gate(gate_list: GateList) -> None:
    helper, paused = FakeHelper(), []
    gate = changes(gate_list, helper, paused)
    assert gate.pause(60).entry is not None and paused == []
    assert gate.apply_ready([dict(helper.held[0], ready=True)]) == [
        "the app gate is paused for 60 min"
    ]
    assert paused == [60] and helper.finished == [1]


def test_where_no_gate_runs_a_ready_pause_waits_for_the_tray(gate_list: GateList) -> None:
    helper = FakeHelper()
    client: Any = helper
    GateChanges(gate_list, client).pause(60)
    assert GateChanges(gate_list, client).apply_ready([dict(helper.held[0], ready=True)]) == []
    assert helper.finished == []


@pytest.mark.parametrize("helper", [None, FakeHelper(delay=False), FakeHelper(up=False)])
def test_without_a_delay_or_a_helper_it_happens_at_once(
    gate_list: GateList, helper: FakeHelper | None
) -> None:
    paused: list[int] = []
    gate = changes(gate_list, helper, paused)
    [outcome] = gate.remove(["signal"])
    assert outcome.applied and ids(gate_list) == ["whatsapp"]
    assert gate.pause(15).applied and paused == [15]


def test_an_app_not_on_the_list_asks_nothing(gate_list: GateList) -> None:
    helper = FakeHelper()
    with pytest.raises(BadInput, match="'telegram' is not on your list"):
        changes(gate_list, helper, []).remove(["signal", "telegram"])
    assert helper.held == [] and ids(gate_list) == ["signal", "whatsapp"]

