"""Start at login per OS: XDG autostart (real files), LaunchAgent plist, Run key (mocked)."""

from __future__ import annotations

import plistlib
import sys
import types
from pathlib import Path

import pytest

from nocontact_desktop.core.privacy.discretion import entry_text, revealing
from nocontact_desktop.platform import linux, macos, windows

SHOWN_KEYS = ("Name", "GenericName", "Comment", "Icon", "Keywords")


def shown_fields(text: str) -> dict[str, str]:
    """The fields of a desktop entry a person sees (the session's start-up list, the menu)."""
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key: value for key, value in fields.items() if key in SHOWN_KEYS}


def test_linux_writes_and_removes_the_xdg_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    command = ["/opt/No Contact/python", "-m", "nocontact_desktop", "--data-dir", "/d/100%", "tray"]
    linux.set_autostart(True, command)
    entry = tmp_path / "cfg" / "autostart" / "session-tray.desktop"
    text = entry.read_text()
    assert text.startswith("[Desktop Entry]\n")
    assert 'Exec="/opt/No Contact/python" -m nocontact_desktop --data-dir /d/100%% tray' in text
    assert linux.autostart_enabled()
    linux.set_autostart(False, command)
    assert not entry.exists()
    assert not linux.autostart_enabled()


def test_linux_discreet_entry_is_neutral_and_replaces_an_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    old = tmp_path / "cfg" / "autostart" / "nocontact.desktop"
    old.parent.mkdir(parents=True)
    old.write_text("[Desktop Entry]\nName=No Contact\n")
    assert linux.autostart_enabled()
    linux.set_autostart(True, ["/usr/bin/nocontact"], entry_text(discreet=True, face_key="weather"))
    assert not old.exists()
    text = linux.autostart_path().read_text()
    shown = shown_fields(text)
    assert shown == {"Name": "Weather", "Comment": "Local weather at a glance",
                     "Icon": "weather-few-clouds"}
    assert revealing(" ".join(shown.values()) + " " + linux.autostart_path().name) == []
    # Switching back writes the plain entry; removing takes away both names.
    linux.set_autostart(True, ["/usr/bin/nocontact"], entry_text(discreet=False))
    assert shown_fields(linux.autostart_path().read_text())["Name"] == "No Contact"
    old.write_text("[Desktop Entry]\n")
    linux.set_autostart(False, [])
    assert not old.exists() and not linux.autostart_enabled()


def test_linux_menu_entry_is_shadowed_only_where_the_package_installed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_DIRS", str(tmp_path / "system"))
    neutral = entry_text(discreet=True, face_key="planner")
    linux.set_menu_entry(neutral, ["/usr/bin/nocontact"])
    assert not linux.menu_entry_path().exists()  # a checkout has no menu entry to hide
    package = tmp_path / "system" / "applications" / "nocontact.desktop"
    package.parent.mkdir(parents=True)
    package.write_text("[Desktop Entry]\nName=No Contact\nKeywords=no contact;\n")
    linux.set_menu_entry(neutral, ["/usr/bin/nocontact"])
    shown = shown_fields(linux.menu_entry_path().read_text())
    assert shown["Name"] == "Planner" and revealing(" ".join(shown.values())) == []
    assert "Keywords" not in shown  # the package's revealing keywords are not carried over
    linux.set_menu_entry(None, [])
    assert not linux.menu_entry_path().exists()


def test_macos_writes_a_launch_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: tmp_path))
    macos.set_autostart(True, ["/usr/bin/python3", "-m", "nocontact_desktop", "tray"])
    plist = plistlib.loads(macos.autostart_path().read_bytes())
    assert plist["Label"] == "org.nocontact.tray"
    assert plist["RunAtLoad"] is True
    assert plist["ProgramArguments"][-1] == "tray"
    macos.set_autostart(False, [])
    assert not macos.autostart_enabled()


def test_windows_sets_the_run_value(monkeypatch: pytest.MonkeyPatch) -> None:
    values: dict[str, str] = {}

    class Key:
        def __enter__(self) -> Key:
            return self

        def __exit__(self, *_a: object) -> None:
            return None

    def delete(_key: object, name: str) -> None:
        if name not in values:
            raise FileNotFoundError(name)
        del values[name]

    def query(_key: object, name: str) -> tuple[str, int]:
        if name not in values:
            raise FileNotFoundError(name)
        return values[name], 1

    fake = types.SimpleNamespace(
        HKEY_CURRENT_USER=1,
        KEY_SET_VALUE=2,
        REG_SZ=1,
        OpenKey=lambda *_a: Key(),
        SetValueEx=lambda _k, name, _r, _t, value: values.__setitem__(name, value),
        DeleteValue=delete,
        QueryValueEx=query,
    )
    monkeypatch.setitem(sys.modules, "winreg", fake)
    windows.set_autostart(True, [r"C:\Program Files\No Contact\nocontact.exe", "tray"])
    assert values["NoContact"] == r'"C:\Program Files\No Contact\nocontact.exe" tray'
    assert windows.autostart_enabled()
    windows.set_autostart(False, [])
    assert not windows.autostart_enabled()
    windows.set_autostart(False, [])  # removing twice is fine
