"""`block`, `hosts` and `gate` commands of DESIGN §9 (the helper is not running here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nocontact_desktop.cli import main
from nocontact_desktop.core.blocking.hosts_section import BEGIN_MARKER
from tests.helpers.fakes import clock_at


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args, clock=clock_at("2026-03-20T15:00:00+01:00", "Europe/Berlin"))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def d(data_dir: Path, tmp_path: Path) -> list[str]:
    return ["--data-dir", str(data_dir), "--socket", str(tmp_path / "no-helper.sock")]


def test_block_add_list_remove(d: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["block", "add", "https://www.instagram.com/Some.One/?hl=en", *d], capsys)
    assert code == 0
    assert "blocking is off" in err
    assert "whole sites" in err
    code, out, _ = run(["block", "list", "--json", *d], capsys)
    entries = json.loads(out)
    assert entries[0]["target"] == "instagram.com/some.one"
    assert entries[0]["kind"] == "profile"
    assert "www.instagram.com" in entries[0]["domains"]
    assert set(entries[0]) >= {"target", "kind", "domains"}
    assert run(["block", "add", "instagram.com/some.one", *d], capsys)[0] == 0  # no duplicate
    assert len(json.loads(run(["block", "list", "--json", *d], capsys)[1])) == 1
    assert run(["block", "remove", "https://instagram.com/some.one", *d], capsys)[0] == 0
    assert json.loads(run(["block", "list", "--json", *d], capsys)[1]) == []


@pytest.mark.parametrize(
    "bad",
    [
        "evil.com\n1.2.3.4 bank.com",
        "*.example.com",
        "192.168.1.1",
        "[::1]",
        "localhost",
        "singlelabel",
        "exa mple.com",
        "a" * 64 + ".com",
    ],
)
def test_block_add_refuses_bad_targets_and_changes_nothing(
    bad: str, d: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["block", "add", "their-blog.com", *d], capsys)[0] == 0
    code, out, err = run(["block", "add", "good.example", bad, *d], capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert repr(bad)[:20] in err or bad[:20] in err
    targets = [e["target"] for e in json.loads(run(["block", "list", "--json", *d], capsys)[1])]
    assert targets == ["their-blog.com"]


def test_remove_of_unlisted_target_exits_2(
    d: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    run(["block", "add", "their-blog.com", *d], capsys)
    code, _, err = run(["block", "remove", "their-blog.com", "other.org", *d], capsys)
    assert code == 2
    assert "other.org" in err
    assert len(json.loads(run(["block", "list", "--json", *d], capsys)[1])) == 1


def test_hosts_show_apply_remove_round_trip(
    d: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(["block", "add", "their-blog.com", *d], capsys)
    code, shown, _ = run(["hosts", "show", *d], capsys)
    assert code == 0
    assert shown.startswith(BEGIN_MARKER)
    assert "127.0.0.1 their-blog.com" in shown
    assert "::1 www.their-blog.com" in shown
    hosts = tmp_path / "hosts"
    original = b"\xef\xbb\xbf127.0.0.1\tlocalhost\r\n# caf\xe9 comment\r\n10.0.0.5 nas"
    hosts.write_bytes(original)
    assert run(["hosts", "apply", "--hosts-file", str(hosts), *d], capsys)[0] == 0
    written = hosts.read_bytes()
    assert b"their-blog.com" in written
    assert written.startswith(original)
    assert run(["hosts", "apply", "--hosts-file", str(hosts), *d], capsys)[0] == 0
    assert hosts.read_bytes() == written  # idempotent
    assert run(["hosts", "remove", "--hosts-file", str(hosts), *d], capsys)[0] == 0
    assert hosts.read_bytes() == original
    code, _, err = run(
        ["hosts", "apply", "--hosts-file", str(tmp_path / "no" / "hosts"), *d], capsys
    )
    assert code == 2
    assert "no/hosts" in err


def test_gate_add_list_remove(d: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["gate", "add", "Signal", "telegram", "my-chat-app", *d], capsys)[0] == 0
    listed = json.loads(run(["gate", "list", "--json", *d], capsys)[1])
    assert [e["app"] for e in listed] == ["signal", "telegram", "name:my-chat-app"]
    code, _, err = run(["gate", "add", "relative/path", *d], capsys)
    assert code == 2
    assert "relative/path" in err
    assert run(["gate", "remove", "signal", "my-chat-app", *d], capsys)[0] == 0
    assert [e["app"] for e in json.loads(run(["gate", "list", "--json", *d], capsys)[1])] == [
        "telegram"
    ]
    code, _, err = run(["gate", "remove", "discord", *d], capsys)
    assert code == 2
    assert "discord" in err
