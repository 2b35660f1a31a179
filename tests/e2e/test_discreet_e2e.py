"""Issue 14 for real: the tray app under Xvfb (displays :101–:109) with trayer, in discreet mode.

What a person at the screen could read is scanned on the X server itself (every window's name
and class), the command line of every process the app runs is read from the process table,
quick exit and the screen lock are checked on the X server (no app window left viewable), and
screenshots of the tray, the main window and a notification are saved under
tests/artifacts/discreet/ to be looked at.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
from PIL import Image

from nocontact_desktop.core.clock import SystemClock
from nocontact_desktop.core.privacy.app_lock import AppLock
from nocontact_desktop.core.storage.store import open_store
from tests.e2e.test_tray_e2e import app_env, cli, start_app
from tests.helpers.fakes import fixed_key_sealer
from tests.helpers.privacy import DAYS_NOW, LONGEST, PERSONAL, findings
from tests.helpers.xsession import (
    SCREEN,
    TRAYER_HEIGHT,
    TRAYER_WIDTH,
    XSession,
    require_tools,
    wait_for,
    xsession,
)

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="X11 only")]

DISPLAYS = range(101, 110)
PIN = "2468"
NOTE = "I texted him at 2am, jordanreyes"


def x(session: XSession, *args: str) -> str:
    return subprocess.run(
        list(args), env=session.env, capture_output=True, text=True, timeout=30
    ).stdout


def app_windows(session: XSession, pid: int) -> list[tuple[str, str]]:
    """(window id, name) of the app's top-level windows that are viewable on the X server."""
    found = []
    tree = x(session, "xwininfo", "-root", "-children")
    for window_id in re.findall(r"^\s+(0x[0-9a-f]+)", tree, re.MULTILINE):
        info = x(session, "xwininfo", "-id", window_id)
        if "Map State: IsViewable" not in info:
            continue
        owner = x(session, "xprop", "-id", window_id, "_NET_WM_PID")
        if f"= {pid}" not in owner:
            continue
        name = re.search(r'xwininfo: Window id: 0x[0-9a-f]+ "(.*)"', info)
        found.append((window_id, name.group(1) if name else ""))
    return found


def names_on_the_server(session: XSession) -> dict[str, str]:
    """Every window name and class on the X server (what a task bar or switcher shows)."""
    tree = x(session, "xwininfo", "-root", "-tree")
    texts: dict[str, str] = {}
    for index, match in enumerate(re.finditer(r'0x[0-9a-f]+ "([^"]*)"', tree)):
        texts[f"name {index}"] = match.group(1)
    for index, match in enumerate(re.finditer(r'\("([^"]*)" "([^"]*)"\)', tree)):
        texts[f"class {index}"] = f"{match.group(1)} {match.group(2)}"
    return texts


def tray_has_icon(image: object) -> bool:
    """The notes face (its yellow paper) is docked in trayer's area at the top right."""
    area = image.crop((SCREEN[0] - TRAYER_WIDTH, 0, SCREEN[0], TRAYER_HEIGHT))  # type: ignore[attr-defined]
    raw = area.convert("RGB").tobytes()
    pixels = [raw[i : i + 3] for i in range(0, len(raw), 3)]
    yellow = [p for p in pixels if p[0] > 200 and p[1] > 170 and p[2] < 150]
    return len(yellow) >= 20


def type_pin(session: XSession, window_id: str) -> None:
    x(session, "xdotool", "windowfocus", "--sync", window_id)
    x(session, "xdotool", "type", "--delay", "40", PIN)
    x(session, "xdotool", "key", "Return")


def second_launch(env: dict[str, str], data_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(data_dir), "tray"],
        env=env, capture_output=True, timeout=30, check=True,
    )


def test_discreet_mode_on_a_real_x_server(tmp_path: Path, artifacts: Path) -> None:
    require_tools("xdotool", "xprop", "dbus-daemon", "dbus-send")
    shots = artifacts / "discreet"
    shots.mkdir(parents=True, exist_ok=True)
    data_dir = tmp_path / "data"
    now = datetime.now(UTC)
    with xsession(DISPLAYS) as session:
        env = app_env(session, tmp_path)
        env["XDG_DATA_HOME"] = str(tmp_path / "home" / ".local" / "share")
        env["NOCONTACT_HELPER_SOCKET"] = str(tmp_path / "no-helper.sock")
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        session.processes.append(bus)
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
        bus.stdout.close()

        # Day 30 now (its milestone is due), longest 57; a personal site and a profile.
        cli(env, data_dir, "start", "--at", (now - timedelta(days=100)).isoformat())
        cli(env, data_dir, "log", "contact", "--at", (now - timedelta(days=43)).isoformat())
        cli(env, data_dir, "log", "contact", "--at",
            (now - timedelta(days=DAYS_NOW, minutes=5)).isoformat())
        cli(env, data_dir, "block", "add", "jordanreyes.me",
            "https://www.instagram.com/jordanreyes/")
        cli(env, data_dir, "settings", "set", "discreet", "true")
        cli(env, data_dir, "settings", "set", "start_at_login", "true")
        store = open_store(data_dir, fixed_key_sealer)  # only the lock's hash: no key needed
        AppLock(store, SystemClock()).set_secret(PIN)
        store.close()

        session.start_trayer()
        log = tmp_path / "tray.log"
        app = start_app(env, data_dir, log)
        session.processes.append(app)
        wait_for(lambda: b"tray icon docked" in log.read_bytes(), 30, "the icon to dock")
        time.sleep(1.5)  # the milestone notification is shown once start-up finishes
        session.screenshot(shots / "notification.png")
        shot = session.screenshot(tmp_path / "screen.png")
        Image.open(shot).crop((560, 0, 800, 160)).save(shots / "tray.png")
        assert tray_has_icon(Image.open(shot).convert("RGB"))

        # What the X server shows anyone: names and classes of every window.
        assert findings(names_on_the_server(session)) == {}

        # The process table: the app's command line (and any child's) holds nothing personal;
        # a note given with --note - never reaches it.
        writer = subprocess.Popen(
            [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(data_dir),
             "log", "urge", "--note", "-"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        processes = [psutil.Process(app.pid), *psutil.Process(app.pid).children(recursive=True)]
        processes.append(psutil.Process(writer.pid))
        command_lines = {str(p.pid): " ".join(p.cmdline()) for p in processes}
        assert writer.stdin is not None
        writer.stdin.write(NOTE.encode())
        writer.stdin.close()
        assert writer.wait(timeout=30) == 0
        for line in command_lines.values():
            assert not [item for item in PERSONAL if item in line], line
            assert "2am" not in line

        # The notification goes by itself after 10 s; it was the only window shown so far.
        wait_for(lambda: app_windows(session, app.pid) == [], 20, "the notification to go")

        # Opening the app asks for the PIN first, in a window titled neutrally.
        second_launch(env, data_dir)
        wait_for(lambda: len(app_windows(session, app.pid)) == 1, 15, "the unlock dialog")
        [(dialog_id, dialog_name)] = app_windows(session, app.pid)
        assert dialog_name == "Notes"
        type_pin(session, dialog_id)
        wait_for(lambda: any(w != dialog_id for w, _ in app_windows(session, app.pid)), 15,
                 "the main window after the PIN")
        time.sleep(0.8)
        session.screenshot(shots / "main_window.png")
        windows = app_windows(session, app.pid)
        assert [name for _, name in windows] == ["Notes"]
        assert findings(names_on_the_server(session)) == {}

        # Quick exit: Esc three times hides every window at once.
        main_id = windows[0][0]
        x(session, "xdotool", "windowfocus", "--sync", main_id)
        x(session, "xdotool", "key", "--delay", "80", "Escape", "Escape", "Escape")
        wait_for(lambda: app_windows(session, app.pid) == [], 10, "every window to hide")
        time.sleep(0.5)
        after = Image.open(session.screenshot(shots / "after_quick_exit.png")).convert("RGB")
        assert tray_has_icon(after), "the tray icon stays, with its neutral face"

        # Reopening needs the PIN again; then the screen locking hides the window again.
        second_launch(env, data_dir)
        wait_for(lambda: len(app_windows(session, app.pid)) == 1, 15, "the unlock dialog again")
        [(dialog_id, _)] = app_windows(session, app.pid)
        type_pin(session, dialog_id)
        wait_for(lambda: len(app_windows(session, app.pid)) == 1
                 and app_windows(session, app.pid)[0][0] != dialog_id, 15, "the main window")
        subprocess.run(
            ["dbus-send", "--session", "--type=signal", "/org/freedesktop/ScreenSaver",
             "org.freedesktop.ScreenSaver.ActiveChanged", "boolean:true"],
            env=env, check=True, timeout=10,
        )
        wait_for(lambda: app_windows(session, app.pid) == [], 10, "the screen lock to hide it")
        assert app.poll() is None
        assert b"Traceback" not in log.read_bytes()
        assert not [p for p in PERSONAL if p.encode() in log.read_bytes()]
        assert str(LONGEST).encode() not in log.read_bytes()
