"""Start at login per OS: XDG autostart (real files), LaunchAgent plist, Run key (mocked)."""

from __future__ import annotations

import plistlib
import sys
import types
from pathlib import Path

import pytest

from nocontact_desktop.platform import linux, macos, windows


def test_linux_writes_and_removes_the_xdg_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    command = ["/opt/No Contact/python", "-m", "nocontact_desktop", "--data-dir", "/d/100%", "tray"]
    linux.set_autostart(True, command)
    entry = tmp_path / "cfg" / "autostart" / "nocontact.desktop"
    text = entry.read_text()
    assert text.startswith("[Desktop Entry]\n")
    assert 'Exec="/opt/No Contact/python" -m nocontact_desktop --data-dir /d/100%% tray' in text
    assert linux.autostart_enabled()
    linux.set_autostart(False, command)
    assert not entry.exists()
    assert not linux.autostart_enabled()


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
