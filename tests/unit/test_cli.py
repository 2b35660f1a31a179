"""The command-line contract of DESIGN §9 for status, start, log, export and import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from nocontact_desktop.cli import main
from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.paths import DB_FILE_NAME
from tests.helpers.fakes import clock_at
from tests.helpers.paths import repo_env


def run(
    args: list[str], clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    code = main(args, clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def clock() -> ManualClock:
    return clock_at("2026-03-20T15:00:00+01:00", "Europe/Berlin")


def status(
    data_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> dict[str, object]:
    code, out, _ = run(["status", "--json", "--data-dir", str(data_dir)], clock, capsys)
    assert code == 0
    return json.loads(out)  # type: ignore[no-any-return]


def test_status_before_start(
    data_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    result = status(data_dir, clock, capsys)
    assert result["started"] is False
    assert result["streak_days"] == 0
    assert result["next_milestone_days"] is None


def test_start_status_and_reset(
    data_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(data_dir)]
    assert run(["start", "--at", "2026-03-07T09:00+01:00", *d], clock, capsys)[0] == 0
    result = status(data_dir, clock, capsys)
    assert result["streak_days"] == 13
    assert result["started_at"] == "2026-03-07T09:00:00+01:00"
    assert result["longest_streak_days"] == 13
    assert result["total_no_contact_days"] == 13
    assert result["next_milestone_days"] == 14
    for kind in ("peek", "hoover", "urge", "logistics"):
        assert run(["log", kind, "--note", f"a {kind}", *d], clock, capsys)[0] == 0
    assert status(data_dir, clock, capsys)["streak_days"] == 13  # only contact resets
    assert run(["log", "contact", "--at", "2026-03-17T20:00+01:00", *d], clock, capsys)[0] == 0
    after = status(data_dir, clock, capsys)
    assert after["streak_days"] == 3
    assert after["longest_streak_days"] == 10
    assert after["total_no_contact_days"] == 13
    assert after["next_milestone_days"] == 7
    clock.advance(timedelta(days=4))
    assert status(data_dir, clock, capsys)["streak_days"] == 7


def test_global_option_before_the_command_and_env(
    data_dir: Path,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run(["--data-dir", str(data_dir), "start"], clock, capsys)[0] == 0
    monkeypatch.setenv("NOCONTACT_DATA_DIR", str(data_dir))
    code, out, _ = run(["status", "--json"], clock, capsys)
    assert code == 0
    assert json.loads(out)["started"] is True


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["start", "--at", "2026-03-21T09:00+01:00"], "2026-03-21"),
        (["start", "--at", "yesterday"], "yesterday"),
        (["start", "--at", "2026-13-01"], "2026-13-01"),
        (["log", "texted"], "texted"),
        (["log", "start"], "start"),
        (["log", "urge", "--at", "2099-01-01"], "2099"),
        (["log", "urge", "--at", "not-a-date"], "not-a-date"),
        (["import", "/nonexistent/export.json"], "/nonexistent/export.json"),
        (["frobnicate"], "frobnicate"),
        # argparse takes a negative value for an option: the message still names it.
        (["commitment", "set", "-3m"], "'-3m' is not accepted: no value here can be negative"),
        (["keep", "-2"], "'-2'"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_changes_nothing(
    data_dir: Path,
    clock: ManualClock,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    named: str,
) -> None:
    d = ["--data-dir", str(data_dir)]
    assert run(["start", "--at", "2026-03-01T10:00+01:00", *d], clock, capsys)[0] == 0
    before = (data_dir / DB_FILE_NAME).read_bytes(), status(data_dir, clock, capsys)
    code, out, err = run([*args, *d], clock, capsys)
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert named in lines[0]
    assert status(data_dir, clock, capsys) == before[1]


def test_import_of_bad_files_exits_2(
    data_dir: Path, tmp_path: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(data_dir)]
    cases = {
        "garbage.json": b"\x00\xff not json",
        "wrong.json": json.dumps({"format": "something-else"}).encode(),
        "kinds.json": json.dumps(
            {
                "format": "nocontact-export",
                "version": 1,
                "events": [{"uid": "a", "kind": "x", "at": "2026-01-01T00:00+00:00"}],
            }
        ).encode(),
        "dates.json": json.dumps(
            {
                "format": "nocontact-export",
                "version": 1,
                "events": [{"uid": "a", "kind": "urge", "at": "2026-01-01"}],
            }
        ).encode(),
    }
    for name, payload in cases.items():
        path = tmp_path / name
        path.write_bytes(payload)
        code, _, err = run(["import", str(path), *d], clock, capsys)
        assert code == 2, name
        assert name in err
    unreadable = tmp_path / "folder.json"
    unreadable.mkdir()
    assert run(["import", str(unreadable), *d], clock, capsys)[0] == 2
    assert status(data_dir, clock, capsys)["started"] is False


def test_export_import_round_trip(
    data_dir: Path, tmp_path: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers.fakes import make_store

    d = ["--data-dir", str(data_dir)]
    run(["start", "--at", "2026-02-01T08:00+01:00", *d], clock, capsys)
    run(["log", "hoover", "--note", "sent a long message at 2am — ignored it ✓", *d], clock, capsys)
    run(["log", "contact", "--at", "2026-03-01T08:00+01:00", *d], clock, capsys)
    assert (
        run(["block", "add", "https://x.com/someone", "their-blog.com", *d], clock, capsys)[0] == 0
    )
    assert run(["gate", "add", "signal", "/bin/sh", *d], clock, capsys)[0] == 0
    first = tmp_path / "one.json"
    assert run(["export", str(first), *d], clock, capsys)[0] == 0
    assert (first.stat().st_mode & 0o077) == 0
    other = tmp_path / "other"
    assert run(["import", str(first), "--data-dir", str(other)], clock, capsys)[0] == 0
    assert (
        run(["import", str(first), "--data-dir", str(other)], clock, capsys)[0] == 0
    )  # idempotent
    second = tmp_path / "two.json"
    assert run(["export", str(second), "--data-dir", str(other)], clock, capsys)[0] == 0
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    a.pop("exported_at")
    b.pop("exported_at")
    assert a == b
    assert status(data_dir, clock, capsys) == status(other, clock, capsys)
    assert any(e["note"] and "2am" in e["note"] for e in a["events"])
    assert a["block_targets"] == ["x.com/someone", "their-blog.com"]
    assert a["gate_apps"] == ["signal", "path:/bin/sh"]
    del make_store


def test_real_command_exit_codes(tmp_path: Path) -> None:
    exe = [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(tmp_path / "d")]
    ok = subprocess.run([*exe, "status", "--json"], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0
    assert set(json.loads(ok.stdout)) >= {
        "streak_days",
        "started_at",
        "longest_streak_days",
        "total_no_contact_days",
        "next_milestone_days",
    }
    bad = subprocess.run([*exe, "log", "nonsense"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    assert "nonsense" in bad.stderr


def test_the_tray_without_a_display_says_so_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(
        [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "nocontact: no graphical display found; start it inside your desktop session, or use "
        "the command line: nocontact --help\n"
    )
    assert not (tmp_path / "nocontact.db").exists()


def test_a_note_from_standard_input_never_touches_the_command_line(
    data_dir: Path, tmp_path: Path
) -> None:
    secret = "I answered him at 2am"
    base = [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(data_dir)]
    subprocess.run(
        [*base, "start", "--at", "2026-03-01T09:00+01:00"], check=True, capture_output=True
    )
    done = subprocess.run(
        [*base, "log", "hoover", "--note", "-"],
        input=f"{secret}\n",
        capture_output=True,
        text=True,
        check=False,
        env=repo_env(),
    )
    assert done.returncode == 0 and "process list" not in done.stderr
    export = tmp_path / "out.json"
    subprocess.run([*base, "export", str(export)], check=True, capture_output=True)
    notes = [e["note"] for e in json.loads(export.read_text())["events"] if e["note"]]
    assert notes == [secret]


def test_a_note_typed_on_the_command_line_warns_and_bare_note_needs_a_terminal(
    data_dir: Path, clock: ManualClock, capsys: pytest.CaptureFixture[str]
) -> None:
    d = ["--data-dir", str(data_dir)]
    code, _out, err = run(["log", "urge", "--note", "rode it out", *d], clock, capsys)
    assert code == 0 and "can be seen by other users" in err and "process list" in err
    code, out, err = run(["log", "urge", "--note", *d], clock, capsys)  # not a terminal here
    assert (code, out) == (2, "") and "--note without text" in err
