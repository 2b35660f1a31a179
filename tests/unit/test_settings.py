"""Typed settings (core/settings.py) and `nocontact settings list|get|set` (DESIGN §9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nocontact_desktop.cli import main
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.settings import SETTINGS, Settings, setting_named
from nocontact_desktop.core.storage.store import Store
from tests.helpers.fakes import clock_at


def test_defaults_until_set_and_values_kept(store: Store) -> None:
    settings = Settings(store)
    assert settings.get("countdown_seconds") == 30
    assert settings.get("start_at_login") is False
    assert settings.get("daily_check_in") is None
    assert settings.set("countdown_seconds", 45) == 45
    assert Settings(store).get("countdown_seconds") == 45


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("countdown_seconds", 4, "must be from 5 to 300 s"),
        ("countdown_seconds", 301, "must be from 5 to 300 s"),
        ("countdown_seconds", True, "expected a whole number"),
        ("countdown_seconds", "30", "expected a whole number"),
        ("start_at_login", 1, "expected true or false"),
        ("breathing_pattern", "square", "expected one of box, 4-7-8"),
        ("daily_check_in", "25:00", "expected HH:MM"),
        ("urge_minutes", 0, "must be from 1 to 60 min"),
    ],
)
def test_bad_values_are_refused_naming_key_value_and_reason_and_change_nothing(
    store: Store, key: str, value: object, reason: str
) -> None:
    settings = Settings(store)
    before = settings.get(key)
    with pytest.raises(BadInput) as caught:
        settings.set(key, value)
    assert key in str(caught.value) and reason in str(caught.value)
    assert repr(value) in str(caught.value) or str(value) in str(caught.value)
    assert settings.get(key) == before


def test_unknown_key_lists_the_known_ones() -> None:
    with pytest.raises(BadInput, match="'colour' is not a setting: known settings are"):
        setting_named("colour")


def test_a_stale_stored_value_reads_as_the_default(store: Store) -> None:
    store.set_setting("countdown_seconds", 9999)  # written by an older version
    assert Settings(store).get("countdown_seconds") == 30


def test_text_forms_round_trip_for_every_setting(store: Store) -> None:
    settings = Settings(store)
    for setting, value in settings.items():
        assert setting.parse(setting.show(value)) == value
    assert setting_named("daily_check_in").parse("off") is None
    assert setting_named("daily_check_in").parse("7:05") == "07:05"
    assert setting_named("start_at_login").parse("Yes") is True


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args, clock=clock_at("2026-03-08T01:10:00+00:00"))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_list_get_set(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = ["--data-dir", str(data_dir)]
    code, out, _ = run(["settings", "list", "--json", *d], capsys)
    assert code == 0
    listed = json.loads(out)
    assert set(listed) == {s.key for s in SETTINGS} and listed["countdown_seconds"] == 30
    assert run(["settings", "set", "countdown_seconds", "60", *d], capsys)[:2] == (
        0,
        "countdown_seconds = 60\n",
    )
    assert run(["settings", "get", "countdown_seconds", *d], capsys)[1] == "60\n"
    assert run(["settings", "set", "daily_check_in", "21:30", *d], capsys)[0] == 0
    assert run(["settings", "get", "daily_check_in", *d], capsys)[1] == "21:30\n"
    code, out, _ = run(["settings", "list", *d], capsys)
    assert "countdown_seconds = 60" in out and "daily_check_in = 21:30" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set", "countdown_seconds", "3"], "3 is not a valid value for countdown_seconds"),
        (["set", "countdown_seconds", "soon"], "'soon' is not a valid value for countdown_seconds"),
        (["set", "start_at_login", "maybe"], "'maybe' is not a valid value for start_at_login"),
        (["set", "volume", "3"], "'volume' is not a setting"),
        (["get", "volume"], "'volume' is not a setting"),
    ],
)
def test_cli_bad_input_is_exit_2_with_one_line_and_nothing_changes(
    data_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    d = ["--data-dir", str(data_dir)]
    code, out, err = run(["settings", *args, *d], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and message in err
    assert json.loads(run(["settings", "list", "--json", *d], capsys)[1])["countdown_seconds"] == 30
