"""`nocontact commitment`, `pending`, `keep` and `block remove` under a commitment (DESIGN §9),
against the real helper process (one helper minute lasts one second here)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from nocontact_desktop.cli import main
from nocontact_desktop.core.blocking.hosts_section import read_section_names
from tests.helpers.fakes import clock_at
from tests.helpers.helper_harness import RunningHelper, make_root, wait_for


@pytest.fixture
def helper() -> Iterator[RunningHelper]:
    root = make_root()
    running = RunningHelper(root, extra_args=["--pass-minute-seconds", "1"]).start()
    yield running
    running.kill()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def d(data_dir: Path, helper: RunningHelper) -> list[str]:
    return ["--data-dir", str(data_dir), "--socket", str(helper.socket)]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args, clock=clock_at("2026-03-20T15:00:00+01:00", "Europe/Berlin"))
    out, err = capsys.readouterr()
    return code, out, err


def on_disk(helper: RunningHelper) -> frozenset[str]:
    return read_section_names(helper.hosts.read_bytes()) or frozenset()


def test_block_remove_under_a_commitment_waits_and_says_when(
    d: list[str], helper: RunningHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["block", "add", "instagram", "their-blog.com", *d], capsys)[0] == 0
    code, out, _ = run(["commitment", "set", "5m", *d], capsys)
    assert code == 0 and "now 5 minutes" in out
    code, out, err = run(["block", "remove", "instagram", *d], capsys)
    assert code == 0, err
    assert "instagram unblocks" in out and "nocontact keep instagram" in out
    assert "instagram.com" in on_disk(helper)
    entries = {e["target"]: e for e in json.loads(run(["block", "list", "--json", *d], capsys)[1])}
    assert entries["instagram"]["pending_removal_at"] is not None
    assert entries["their-blog.com"]["pending_removal_at"] is None
    code, out, _ = run(["pending", "--json", *d], capsys)
    [entry] = json.loads(out)
    assert set(entry) == {"id", "kind", "subject", "due_at"} and entry["kind"] == "unblock"
    shown = json.loads(run(["commitment", "show", "--json", *d], capsys)[1])
    assert shown["delay_minutes"] == 5 and shown["pass_max_minutes"] == 30
    assert shown["passes_per_day"] == 3 and len(shown["pending"]) == 1
    # Keep it blocked, by target: immediate.
    code, out, _ = run(["keep", "instagram", *d], capsys)
    assert code == 0 and "Kept instagram blocked" in out
    assert json.loads(run(["pending", "--json", *d], capsys)[1]) == []
    entries = {e["target"]: e for e in json.loads(run(["block", "list", "--json", *d], capsys)[1])}
    assert entries["instagram"]["pending_removal_at"] is None
    # Again, and keep it by id.
    run(["block", "remove", "instagram", *d], capsys)
    [entry] = json.loads(run(["pending", "--json", *d], capsys)[1])
    code, out, _ = run(["keep", str(entry["id"]), *d], capsys)
    assert code == 0 and "cancelled" in out
    entries = {e["target"]: e for e in json.loads(run(["block", "list", "--json", *d], capsys)[1])}
    assert entries["instagram"]["pending_removal_at"] is None
    assert "instagram.com" in on_disk(helper)


def test_a_removal_leaves_the_list_once_it_is_due(
    d: list[str], helper: RunningHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["block", "add", "their-blog.com", *d], capsys)
    run(["commitment", "set", "2m", *d], capsys)  # two seconds here
    run(["block", "remove", "their-blog.com", *d], capsys)
    assert "their-blog.com" in on_disk(helper)
    assert wait_for(lambda: "their-blog.com" not in on_disk(helper), 6)
    assert json.loads(run(["block", "list", "--json", *d], capsys)[1]) == []


def test_a_shorter_delay_is_pending_and_bad_durations_exit_2(
    d: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["commitment", "set", "24h", *d], capsys)[0] == 0
    code, out, _ = run(["commitment", "set", "0", *d], capsys)
    assert code == 0 and "waits for your current delay (1 day)" in out
    shown = json.loads(run(["commitment", "show", "--json", *d], capsys)[1])
    assert shown["delay_minutes"] == 24 * 60
    assert [p["kind"] for p in shown["pending"]] == ["delay"]
    for bad, why in (("31d", "30 days"), ("1.5h", "whole"), ("soon", "whole"), ("3w", "whole")):
        code, out, err = run(["commitment", "set", bad, *d], capsys)
        assert code == 2 and repr(bad) in err and why in err, err
        assert len(err.strip().splitlines()) == 1


def test_without_a_helper_commitment_and_pending_exit_1(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(data_dir), "--socket", str(tmp_path / "none.sock")]
    for args in (["commitment", "show"], ["commitment", "set", "1h"], ["pending"], ["keep", "3"]):
        code, _out, err = run([*args, *d], capsys)
        assert code == 1 and "blocking is off" in err, (args, err)


def test_commitment_settings_from_the_command_line_reach_the_helper(
    d: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["settings", "set", "pass_max_minutes", "15", *d], capsys)[0] == 0
    assert run(["settings", "set", "commitment_delay", "24h", *d], capsys)[0] == 0
    code, out, _ = run(["settings", "set", "passes_per_day", "5", *d], capsys)
    assert code == 0 and "This loosens your commitment" in out
    shown = json.loads(run(["commitment", "show", "--json", *d], capsys)[1])
    assert (shown["pass_max_minutes"], shown["delay_minutes"]) == (15, 1440)
    assert shown["passes_per_day"] == 3
    assert [p["kind"] for p in shown["pending"]] == ["passes_per_day"]


def gated(d: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    code, out, _ = run(["gate", "list", "--json", *d], capsys)
    assert code == 0
    return [entry["app"] for entry in json.loads(out)]


def test_stopping_the_gate_for_an_app_waits_for_the_delay(
    d: list[str], helper: RunningHelper, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["gate", "add", "signal", "whatsapp", *d], capsys)[0] == 0
    run(["commitment", "set", "2m", *d], capsys)  # two seconds here
    code, out, err = run(["gate", "remove", "signal", *d], capsys)
    assert code == 0, err
    assert "Signal is no longer gated" in out and "nocontact keep" in out
    assert gated(d, capsys) == ["signal", "whatsapp"]  # still gated while it waits
    [entry] = json.loads(run(["pending", "--json", *d], capsys)[1])
    assert entry["kind"] == "gate_remove" and entry["subject"] == "Signal"
    # "Keep it gated", by id: immediate.
    assert run(["keep", str(entry["id"]), *d], capsys)[0] == 0
    assert json.loads(run(["pending", "--json", *d], capsys)[1]) == []
    # Asked again, and left to come due: the next gate command applies it.
    run(["gate", "remove", "signal", *d], capsys)
    client = helper.client()
    assert wait_for(lambda: client.get_commitment()["pending"][0]["ready"], 8)
    code, out, err = run(["gate", "list", "--json", *d], capsys)
    assert [e["app"] for e in json.loads(out)] == ["whatsapp"]
    assert "your commitment delay has passed: Signal is no longer gated" in err
    assert client.get_commitment()["pending"] == []


def test_without_a_delay_the_gate_lets_go_at_once(
    d: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    run(["gate", "add", "signal", *d], capsys)
    code, out, _ = run(["gate", "remove", "signal", *d], capsys)
    assert code == 0 and "No longer gated: Signal (signal)" in out  # as before commitments
    assert gated(d, capsys) == []
