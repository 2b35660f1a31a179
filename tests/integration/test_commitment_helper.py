"""The commitment (DESIGN §4a, issue 11) against the real helper process.

One helper "minute" lasts one second here (``--pass-minute-seconds 1``), so a 3-minute
commitment waits 3 seconds. Every request below is what any client could send, including a
hand-written line on the socket: the helper is the authority.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from nocontact_desktop.core.blocking.blocklist import Blocklist
from nocontact_desktop.core.blocking.hosts_section import BEGIN_MARKER, read_section_names
from nocontact_desktop.core.blocking.reconcile import reconcile
from nocontact_desktop.core.helper_link.client import HelperError
from nocontact_desktop.core.storage.store import open_store
from tests.helpers.fakes import fixed_key_sealer
from tests.helpers.helper_harness import (
    RunningHelper,
    collecting,
    make_root,
    raw_exchange,
    reflect_then_grant,
    wait_for,
)

BLOCKLIST = ["instagram.com", "www.instagram.com", "m.instagram.com"]
FAST = ["--pass-minute-seconds", "1"]
FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


@pytest.fixture
def root() -> Iterator[Path]:
    folder = make_root()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def names(helper: RunningHelper) -> frozenset[str] | None:
    return read_section_names(helper.hosts.read_bytes())


def reply(raw: bytes) -> dict[str, object]:
    first = raw.split(b"\n")[0]
    parsed = json.loads(first)
    assert isinstance(parsed, dict)
    return parsed


def raw_line(helper: RunningHelper, message: dict[str, object]) -> dict[str, object]:
    payload = (json.dumps({"v": 1, **message}) + "\n").encode()
    received, _closed = raw_exchange(helper.socket, payload, timeout=2.0)
    return reply(received)


def test_a_removal_stays_in_the_hosts_file_until_due_and_leaves_on_time(root: Path) -> None:
    helper = RunningHelper(root, extra_args=FAST).start()
    try:
        client = helper.client()
        client.set_blocklist(BLOCKLIST)
        assert client.set_commitment(delay_minutes=3)["applied"] == ["delay_minutes"]  # tighter
        with collecting(helper.socket) as events:
            asked = time.monotonic()
            result = client.set_blocklist(["instagram.com"])
            [entry] = result["pending"]
            assert entry["kind"] == "unblock" and entry["subject"] == "m.instagram.com (+1 names)"
            assert sorted(entry["domains"]) == ["m.instagram.com", "www.instagram.com"]
            assert 2.5 < entry["remaining_seconds"] <= 3.0
            assert names(helper) == frozenset(BLOCKLIST)
            time.sleep(2.5)
            assert names(helper) == frozenset(BLOCKLIST), "released before it was due"
            applied = events.wait("pending_applied", timeout=5)
            took = time.monotonic() - asked
        assert applied["id"] == entry["id"]
        assert 2.95 <= took <= 3.6, took
        assert names(helper) == {"instagram.com"}
        assert client.get_commitment()["pending"] == []
    finally:
        helper.kill()


def test_a_raw_set_blocklist_that_drops_names_does_not_unblock_them(root: Path) -> None:
    helper = RunningHelper(root, extra_args=FAST).start()
    try:
        helper.client().set_blocklist(BLOCKLIST)
        helper.client().set_commitment(delay_minutes=60)
        answer = raw_line(helper, {"cmd": "set_blocklist", "domains": []})
        assert answer["ok"] is True
        assert names(helper) == frozenset(BLOCKLIST)
        commitment = helper.client().get_commitment()
        assert [p["kind"] for p in commitment["pending"]] == ["unblock"]
        # Lowering the delay is itself a loosening: it waits for the delay in force.
        lowered = raw_line(helper, {"cmd": "set_commitment", "delay_minutes": 0})
        assert lowered["ok"] is True
        assert helper.client().get_commitment()["delay_minutes"] == 60
        # Asking for a name again cancels its pending removal at once.
        helper.client().set_blocklist(["www.instagram.com"])
        [left] = [p for p in helper.client().get_commitment()["pending"] if p["kind"] == "unblock"]
        assert sorted(left["domains"]) == ["instagram.com", "m.instagram.com"]
        cancelled = helper.client().cancel_pending(left["id"])
        assert cancelled["cancelled"]["id"] == left["id"]
        assert names(helper) == frozenset(BLOCKLIST)
        state = helper.client().get_state()
        assert sorted(state["blocklist"]) == sorted(BLOCKLIST)
    finally:
        helper.kill()


def test_a_raw_grant_pass_above_the_limit_or_without_a_finished_countdown_is_refused(
    root: Path,
) -> None:
    helper = RunningHelper(root).start()  # real minutes: the countdown is 5 real seconds
    try:
        helper.client().set_blocklist(BLOCKLIST)
        too_long = raw_line(
            helper, {"cmd": "grant_pass", "domains": ["instagram.com"], "minutes": 31}
        )
        assert too_long["ok"] is False
        assert too_long["error"]["code"] == "pass_too_long"  # type: ignore[index]
        assert "30 minutes" in too_long["error"]["message"]  # type: ignore[index]
        no_reflect = raw_line(
            helper, {"cmd": "grant_pass", "domains": ["instagram.com"], "minutes": 5}
        )
        assert no_reflect["error"]["code"] == "reflect_first"  # type: ignore[index]
        began = raw_line(
            helper,
            {"cmd": "begin_reflect", "domains": ["instagram.com"], "countdown_seconds": 5},
        )
        assert began["ok"] is True
        too_soon = raw_line(
            helper, {"cmd": "grant_pass", "domains": ["instagram.com"], "minutes": 5}
        )
        assert too_soon["error"]["code"] == "reflect_first"  # type: ignore[index]
        assert "more seconds" in too_soon["error"]["message"]  # type: ignore[index]
        short = raw_line(
            helper,
            {"cmd": "begin_reflect", "domains": ["instagram.com"], "countdown_seconds": 1},
        )
        assert short["error"]["code"] == "bad_input"  # type: ignore[index]
        assert names(helper) == frozenset(BLOCKLIST)
    finally:
        helper.kill()


def test_a_raw_grant_pass_over_the_daily_number_is_refused(root: Path) -> None:
    helper = RunningHelper(root, extra_args=FAST).start()
    try:
        client = helper.client()
        client.set_blocklist(BLOCKLIST)
        client.set_commitment(passes_per_day=1)  # fewer passes: a tightening, immediate
        reflect_then_grant(client, ["instagram.com"], 1, 1.0)
        client.begin_reflect(["m.instagram.com"], 5)
        time.sleep(0.2)
        with pytest.raises(HelperError) as refused:
            client.grant_pass(["m.instagram.com"], 1)
        assert refused.value.code == "no_passes_left"
        assert "allows 1 a day" in refused.value.message
        # Raising the number is a loosening: with a delay it waits.
        client.set_commitment(delay_minutes=60)
        client.set_commitment(passes_per_day=5)
        commitment = client.get_commitment()
        assert commitment["passes_per_day"] == 1
        assert [p["kind"] for p in commitment["pending"]] == ["passes_per_day"]
    finally:
        helper.kill()


def test_a_helper_restart_keeps_the_due_times(root: Path) -> None:
    helper = RunningHelper(root, extra_args=FAST).start()
    client = helper.client()
    client.set_blocklist(BLOCKLIST)
    client.set_commitment(delay_minutes=40)
    client.set_blocklist(["instagram.com"])
    before = client.get_commitment()["pending"][0]
    assert helper.stop(signal.SIGTERM) == 0
    time.sleep(2.0)  # stopped, but the same boot: this time counts
    again = RunningHelper(root, extra_args=FAST, hosts_content=None).start()
    try:
        after = again.client().get_commitment()["pending"][0]
        assert after["id"] == before["id"]
        waited = before["remaining_seconds"] - after["remaining_seconds"]
        assert 2.0 <= waited <= 6.0, waited
        due_before = datetime.fromisoformat(before["due_at"])
        due_after = datetime.fromisoformat(after["due_at"])
        assert abs((due_after - due_before).total_seconds()) < 1.0
        assert names(again) == frozenset(BLOCKLIST)
    finally:
        again.stop(signal.SIGKILL)
    # kill -9 keeps them too (the state is written with each change).
    third = RunningHelper(root, extra_args=FAST, hosts_content=None).start()
    try:
        assert third.client().get_commitment()["pending"][0]["id"] == before["id"]
    finally:
        third.kill()


def test_a_tray_restart_keeps_the_due_times(root: Path, tmp_path: Path) -> None:
    """A client that (re)connects reconciles its stored list: that must not reset a wait."""
    helper = RunningHelper(root, extra_args=FAST).start()
    (tmp_path / "data").mkdir(mode=0o700)
    store = open_store(tmp_path / "data", fixed_key_sealer)
    try:
        blocklist = Blocklist(store)
        blocklist.add(["instagram", "their-blog.com"], datetime.now().astimezone())
        client = helper.client()
        assert reconcile(client, blocklist.domains()).on
        client.set_commitment(delay_minutes=40)
        blocklist.request_removal(["instagram"], datetime.now().astimezone())
        reconcile(client, blocklist.domains())
        [first] = client.get_commitment()["pending"]
        for _restart in range(3):  # each tray start reconciles again
            result = reconcile(client, blocklist.domains())
            assert result.on, result.message
            assert not result.pushed
        [still] = client.get_commitment()["pending"]
        assert still["id"] == first["id"]
        assert still["remaining_seconds"] <= first["remaining_seconds"]
        assert "instagram.com" in (names(helper) or set())
    finally:
        store.close()
        helper.kill()


@pytest.mark.skipif(not FAKETIME_LIB.exists(), reason="libfaketime is not installed")
def test_setting_the_wall_clock_forward_does_not_release_a_pending_change(root: Path) -> None:
    """The helper runs under libfaketime: its wall clock jumps 2 days, boot time does not."""
    offset = root / "faketime"
    offset.write_text("+0\n")
    prefix = [
        "env",
        f"LD_PRELOAD={FAKETIME_LIB}",
        f"FAKETIME_TIMESTAMP_FILE={offset}",
        "FAKETIME_NO_CACHE=1",
        "FAKETIME_DONT_FAKE_MONOTONIC=1",  # CLOCK_MONOTONIC and CLOCK_BOOTTIME stay real
    ]
    helper = RunningHelper(root, extra_args=FAST, command_prefix=prefix).start()
    try:
        client = helper.client()
        client.set_blocklist(BLOCKLIST)
        client.set_commitment(delay_minutes=30)  # 30 s here
        client.set_blocklist(["instagram.com"])
        before = client.get_commitment()["pending"][0]
        offset.write_text("+2d\n")  # someone sets the date two days ahead
        time.sleep(1.5)  # several ticks of the helper
        assert names(helper) == frozenset(BLOCKLIST), "a clock change released it"
        after = client.get_commitment()["pending"][0]
        assert after["id"] == before["id"]
        assert after["remaining_seconds"] > before["remaining_seconds"] - 5
        # Its wall clock really moved: the shown due time moved with it.
        moved = datetime.fromisoformat(after["due_at"]) - datetime.fromisoformat(before["due_at"])
        assert moved.days >= 1
    finally:
        helper.kill()


def test_the_helper_records_a_section_removed_while_it_was_stopped(root: Path) -> None:
    helper = RunningHelper(root, extra_args=FAST).start()
    helper.client().set_blocklist(BLOCKLIST)
    helper.stop(signal.SIGTERM)
    original = helper.hosts.read_bytes()
    start = original.index(BEGIN_MARKER.encode())
    helper.hosts.write_bytes(original[:start])  # an administrator removed the section
    os.sync()
    again = RunningHelper(root, extra_args=FAST, hosts_content=None).start()
    try:
        assert wait_for(lambda: names(again) == frozenset(BLOCKLIST), 5)
        [outage] = again.client().get_state()["outages"]
        assert outage["from"] is not None and outage["to"] is not None
        assert datetime.fromisoformat(outage["from"]) <= datetime.fromisoformat(outage["to"])
    finally:
        again.kill()
