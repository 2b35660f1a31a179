"""The tray for real: Xvfb + trayer, the app started as a person would, screenshots checked."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.xsession import SCREEN, TRAYER_HEIGHT, TRAYER_WIDTH, XSession, wait_for, xsession

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="X11 only")]

ICON_GREEN = (0x2F, 0x6F, 0x62)


def green_columns(image: Image.Image) -> list[int]:
    """x positions (in the tray area) of columns holding icon-green pixels."""
    left = SCREEN[0] - TRAYER_WIDTH
    area = image.convert("RGB").crop((left, 0, SCREEN[0], TRAYER_HEIGHT))
    columns = []
    for x in range(area.width):
        hits = sum(
            1
            for y in range(area.height)
            if all(abs(c - g) <= 12 for c, g in zip(area.getpixel((x, y)), ICON_GREEN, strict=True))  # type: ignore[arg-type]
        )
        if hits >= 4:
            columns.append(x)
    return columns


def icon_count(columns: list[int]) -> int:
    """Runs of adjacent green columns: one run per docked icon."""
    runs = 0
    previous = -2
    for x in columns:
        if x != previous + 1:
            runs += 1
        previous = x
    return runs


def app_env(session: XSession, tmp_path: Path) -> dict[str, str]:
    env = dict(session.env)
    env["HOME"] = str(tmp_path / "home")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "home" / ".config")
    env["XDG_RUNTIME_DIR"] = str(tmp_path / "run")
    (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_app(env: dict[str, str], data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(data_dir), "tray"],
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )


def cli(env: dict[str, str], data_dir: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(data_dir), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_tray_icon_shows_day_12_single_instance_and_live_updates(
    tmp_path: Path, artifacts: Path
) -> None:
    data_dir = tmp_path / "data"
    twelve_days_ago = (datetime.now(UTC) - timedelta(days=12, minutes=5)).isoformat()
    with xsession() as session:
        env = app_env(session, tmp_path)
        cli(env, data_dir, "start", "--at", twelve_days_ago)
        session.start_trayer()
        log = tmp_path / "tray.log"
        app = start_app(env, data_dir, log)
        session.processes.append(app)
        wait_for(lambda: b"tray icon docked" in log.read_bytes(), 20, "the app to dock its icon")
        time.sleep(0.5)  # let trayer paint the embedded icon
        shot = session.screenshot(artifacts / "tray_day12.png")
        columns = green_columns(Image.open(shot))
        assert len(columns) >= 12, "no icon-green pixels where trayer docks icons"
        assert icon_count(columns) == 1
        before = Image.open(shot).crop((SCREEN[0] - TRAYER_WIDTH, 0, SCREEN[0], TRAYER_HEIGHT))

        # A second launch shows the first one's window and leaves: still one icon.
        second = subprocess.run(
            [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(data_dir), "tray"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 0
        assert "already running" in second.stderr
        time.sleep(1.0)
        again = session.screenshot(artifacts / "tray_second_launch.png")
        assert icon_count(green_columns(Image.open(again))) == 1
        assert app.poll() is None

        # A contact logged from the command line redraws the icon (day 0) without a restart.
        cli(env, data_dir, "log", "contact")

        def redrawn() -> bool:
            now = Image.open(session.screenshot(tmp_path / "now.png")).crop(
                (SCREEN[0] - TRAYER_WIDTH, 0, SCREEN[0], TRAYER_HEIGHT)
            )
            return now.tobytes() != before.tobytes()

        wait_for(redrawn, 10, "the icon to show the new count")
        session.screenshot(artifacts / "tray_after_contact.png")
        assert b"Traceback" not in log.read_bytes()


def test_app_started_before_the_tray_host_waits_and_docks(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with xsession() as session:
        env = app_env(session, tmp_path)
        cli(env, data_dir, "start")
        log = tmp_path / "tray.log"
        app = start_app(env, data_dir, log)
        session.processes.append(app)
        wait_for(lambda: b"waiting for a tray host" in log.read_bytes(), 20, "the app to wait")
        assert app.poll() is None  # it waits instead of quitting
        session.start_trayer()
        wait_for(lambda: b"tray icon docked" in log.read_bytes(), 20, "the icon to dock late")
        stop(app)


def test_onboarding_then_autostart_entry(tmp_path: Path, artifacts: Path) -> None:
    """A fresh data folder: the onboarding window asks first; 'Begin' starts the count."""
    require = os.environ.get("DISPLAY")  # noqa: F841 - documents that the session sets DISPLAY
    data_dir = tmp_path / "data"
    with xsession() as session:
        env = app_env(session, tmp_path)
        session.start_trayer()
        log = tmp_path / "tray.log"
        app = start_app(env, data_dir, log)
        session.processes.append(app)

        def onboarding_visible() -> bool:
            out = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", "^Welcome$"],
                env=env,
                capture_output=True,
                text=True,
            )
            return bool(out.stdout.strip())

        wait_for(onboarding_visible, 20, "the onboarding window")
        session.screenshot(artifacts / "onboarding.png")
        window = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", "^Welcome$"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[0]
        subprocess.run(["xdotool", "windowactivate", "--sync", window], env=env, check=False)
        subprocess.run(["xdotool", "key", "--window", window, "Return"], env=env, check=True)
        wait_for(lambda: b"tray icon docked" in log.read_bytes(), 20, "the icon after onboarding")
        status = cli(env, data_dir, "status", "--json")
        assert '"started": true' in status
        entry = tmp_path / "home" / ".config" / "autostart" / "session-tray.desktop"
        wait_for(entry.exists, 5, "the autostart entry")
        text = entry.read_text()
        assert "Exec=" in text
        assert "nocontact_desktop" in text
        assert str(data_dir) in text
        stop(app)
