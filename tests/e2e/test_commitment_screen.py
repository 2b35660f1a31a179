"""A screenshot of the Blocked page with a pending change, on a real X server (issue 11).

The child (commitment_screen_app.py) runs the real helper with a 3-day commitment and asks to
unblock a target; the page must show "instagram.com … unblocks <day> <time>" with "Keep it
blocked". Xvfb runs on the first free display of :91-:99. A person looks at the PNG too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers.paths import repo_env

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="X11 only")]

CHILD = Path(__file__).with_name("commitment_screen_app.py")


def free_display() -> int:
    for number in range(91, 100):
        if not Path(f"/tmp/.X{number}-lock").exists() and not Path(
            f"/tmp/.X11-unix/X{number}"
        ).exists():
            return number
    pytest.skip("no free X display among :91-:99")


def test_the_blocked_page_shows_a_pending_change(tmp_path: Path, artifacts: Path) -> None:
    for tool in ("Xvfb", "import"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    number = free_display()
    xvfb = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1080x760x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    shot = artifacts / "blocked_page_pending.png"
    try:
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            assert time.monotonic() < deadline, "Xvfb did not start"
            time.sleep(0.05)
        env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
        env.update(DISPLAY=f":{number}", QT_QPA_PLATFORM="xcb", HOME=str(tmp_path))
        log = (tmp_path / "child.log").open("wb")
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(tmp_path / "data")],
            env=repo_env(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        assert child.stdin is not None and child.stdout is not None
        line = child.stdout.readline().decode().strip()
        assert line == "ready", (tmp_path / "child.log").read_text()
        subprocess.run(
            ["import", "-window", "root", str(shot)],
            env={**env, "DISPLAY": f":{number}"},
            check=True,
            timeout=30,
        )
        child.stdin.write(b"quit\n")
        child.stdin.close()
        assert child.wait(timeout=30) == 0, (tmp_path / "child.log").read_text()
        child.stdout.close()
        log.close()
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)
    errors = (tmp_path / "child.log").read_text()
    assert "Traceback" not in errors, errors
    image = Image.open(shot).convert("RGB")
    assert image.size == (1080, 760)
    colours = image.resize((108, 76)).getcolors(108 * 76)
    assert colours is not None and len(colours) > 20, "the window is not drawn"
