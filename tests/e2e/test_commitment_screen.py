"""A screenshot of the Blocked page with a pending change, on a real X server (issue 11).

The child (commitment_screen_app.py) runs the real helper with a 3-day commitment and asks to
unblock a target; the page must show "instagram.com … unblocks <day> <time>" with "Keep it
blocked". A person looks at the PNG too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import xsession as xsession_module
from tests.helpers.xsession import xsession

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="X11 only")]

CHILD = Path(__file__).with_name("commitment_screen_app.py")
SCREEN = (1080, 760)


def test_the_blocked_page_shows_a_pending_change(
    tmp_path: Path, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xsession_module, "SCREEN", SCREEN)
    shot = artifacts / "blocked_page_pending.png"
    with xsession() as session:
        child, log = session.start_child(CHILD, tmp_path, str(tmp_path / "data"))
        assert child.stdin is not None and child.stdout is not None
        line = child.stdout.readline().decode().strip()
        assert line == "ready", log.read_text()
        session.screenshot(shot)
        child.stdin.write(b"quit\n")
        child.stdin.close()
        assert child.wait(timeout=30) == 0, log.read_text()
        child.stdout.close()
    errors = log.read_text()
    assert "Traceback" not in errors, errors
    with Image.open(shot) as image:
        rgb = image.convert("RGB")
    assert rgb.size == SCREEN
    colours = rgb.resize((108, 76)).getcolors(108 * 76)
    assert colours is not None and len(colours) > 20, "the window is not drawn"
