"""Issue 14 on the command line: the discreet setting, status --json, hosts show, erase."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nocontact_desktop.cli import main
from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.paths import DB_FILE_NAME
from nocontact_desktop.core.privacy.discretion import revealing
from nocontact_desktop.platform import linux
from tests.helpers.fakes import clock_at


@pytest.fixture
def clock() -> ManualClock:
    return clock_at("2026-03-20T15:00:00+01:00", "Europe/Berlin")


@pytest.fixture(autouse=True)
def private_desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Login and menu entries in a throwaway home; no helper answers; a key file."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "system"))
    monkeypatch.setenv("NOCONTACT_HELPER_SOCKET", str(tmp_path / "no-helper.sock"))
    monkeypatch.setattr("nocontact_desktop.core.storage.key_store.keyring_available",
                        lambda: (False, "no keyring in tests"))
    return tmp_path


def run(
    args: list[str], clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    code = main(args, clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def test_discreet_setting_round_trip_and_status(
    data_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(data_dir), "--socket", str(data_dir / "none.sock")]
    assert run(["settings", "get", "discreet", *d], clock, capsys)[1].strip() == "false"
    code, out, _ = run(["status", "--json", *d], clock, capsys)
    assert code == 0 and json.loads(out)["discreet"] is False
    assert run(["settings", "set", "discreet", "true", *d], clock, capsys)[0] == 0
    assert run(["settings", "get", "discreet", *d], clock, capsys)[1].strip() == "true"
    assert json.loads(run(["status", "--json", *d], clock, capsys)[1])["discreet"] is True
    assert run(["settings", "set", "discreet_face", "planner", *d], clock, capsys)[0] == 0
    listed = json.loads(run(["settings", "list", "--json", *d], clock, capsys)[1])
    assert listed["discreet"] is True and listed["discreet_face"] == "planner"
    assert listed["discreet_show_day"] is False and listed["lock_after_minutes"] == 5
    code, _, err = run(["settings", "set", "discreet", "maybe", *d], clock, capsys)
    assert code == 2 and "discreet" in err
    code, _, err = run(["settings", "set", "discreet_face", "diary", *d], clock, capsys)
    assert code == 2 and "notes, weather, planner" in err
    assert run(["settings", "set", "discreet", "false", *d], clock, capsys)[0] == 0
    assert json.loads(run(["status", "--json", *d], clock, capsys)[1])["discreet"] is False


def test_switching_from_the_command_line_rewords_the_login_entry(
    data_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(data_dir), "--socket", str(data_dir / "none.sock")]
    linux.set_autostart(True, ["/usr/bin/nocontact"])
    assert "Name=No Contact" in linux.autostart_path().read_text()
    run(["settings", "set", "discreet_face", "weather", *d], clock, capsys)
    run(["settings", "set", "discreet", "on", *d], clock, capsys)
    text = linux.autostart_path().read_text()
    shown = [line for line in text.splitlines() if line.startswith(("Name=", "Comment=", "Icon="))]
    assert shown == ["Name=Weather", "Comment=Local weather at a glance", "Icon=weather-few-clouds"]
    assert revealing(" ".join(shown)) == []
    run(["settings", "set", "discreet", "off", *d], clock, capsys)
    assert "Name=No Contact" in linux.autostart_path().read_text()


def test_hosts_show_is_neutral_and_says_only_the_names(
    data_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(data_dir), "--socket", str(data_dir / "none.sock")]
    run(["block", "add", "instagram", *d], clock, capsys)
    code, out, _ = run(["hosts", "show", *d], clock, capsys)
    assert code == 0
    comments = [line for line in out.splitlines() if line.startswith("#")]
    assert len(comments) == 2 and revealing("\n".join(comments)) == []
    assert "127.0.0.1 instagram.com" in out


def test_erase_asks_for_the_word_and_removes_data_and_entries(
    data_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    d = ["--data-dir", str(data_dir), "--socket", str(data_dir / "none.sock")]
    run(["start", *d], clock, capsys)
    run(["block", "add", "jordanreyes.me", *d], clock, capsys)
    linux.set_autostart(True, ["/usr/bin/nocontact"])
    # No terminal and no --yes: refused, nothing erased.
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _, err = run(["erase", *d], clock, capsys)
    assert code == 2 and "--yes" in err and (data_dir / DB_FILE_NAME).exists()
    # A terminal, the wrong word: refused.
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _prompt: "yes")
    code, _, err = run(["erase", *d], clock, capsys)
    assert code == 2 and "nothing was erased" in err and (data_dir / DB_FILE_NAME).exists()
    # The word: everything goes, and the helper (not running) is said to keep its section.
    monkeypatch.setattr("builtins.input", lambda _prompt: " Erase ")
    code, out, _ = run(["erase", *d], clock, capsys)
    assert code == 0
    assert not (data_dir / DB_FILE_NAME).exists()
    assert not linux.autostart_enabled()
    assert "helper did not answer" in out and "login entry is gone" in out


def test_erase_yes_for_scripts(
    data_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(data_dir), "--socket", str(data_dir / "none.sock")]
    run(["start", *d], clock, capsys)
    code, out, _ = run(["erase", "--yes", *d], clock, capsys)
    assert code == 0 and "Erased" in out
    assert not any(data_dir.glob("nocontact.db*"))
