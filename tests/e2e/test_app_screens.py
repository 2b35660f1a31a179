"""Every window a person meets, on a real X server at 1280×720 (issue 12): screenshots a person
looks at, and checks that each window fits the screen and no control covers another."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import xsession as xsession_module
from tests.helpers.xsession import xsession

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="X11 only")]

CHILD = Path(__file__).with_name("app_screens.py")
SCREEN = (1280, 720)  # a small laptop screen
GREEN = (0x2F, 0x6F, 0x62)
SCENES = (
    "onboarding",
    "today",
    "blocked",
    "apps",
    "settings",
    "today_after_slip",
    "reflect_counting",
    "reflect_paused",
    "reflect_open_anyway",
    "reflect_acknowledgement",
    "unlock",
    "history",
)


def green_pixels(image: Image.Image) -> int:
    raw = image.convert("RGB").resize((image.width // 2, image.height // 2)).tobytes()
    pixels = zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
    return sum(
        1
        for r, g, b in pixels
        if abs(r - GREEN[0]) < 8 and abs(g - GREEN[1]) < 8 and abs(b - GREEN[2]) < 8
    )


def test_every_window_fits_1280x720_without_overlaps(
    tmp_path: Path, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xsession_module, "SCREEN", SCREEN)
    folder = artifacts / "screens"
    folder.mkdir(exist_ok=True)
    shots: dict[str, Path] = {}
    overlaps: dict[str, int] = {}
    with xsession() as session:
        child, _log = session.start_child(CHILD, tmp_path, str(tmp_path / "data"))
        assert child.stdin is not None and child.stdout is not None
        deadline = time.monotonic() + 180
        for name in SCENES:
            line = child.stdout.readline().decode().strip()
            assert line.startswith(f"overlap {name} "), (
                f"expected scene {name}, got {line!r}\n{(tmp_path / 'child.log').read_text()}"
            )
            overlaps[name] = int(line.rsplit(" ", 1)[1])
            assert child.stdout.readline().decode().strip() == f"scene {name}"
            shots[name] = session.screenshot(folder / f"{name}.png")
            child.stdin.write(b"next\n")
            child.stdin.flush()
            assert time.monotonic() < deadline
        assert child.stdout.readline().decode().strip() == "done"
        child.wait(timeout=30)
        child.stdin.close()
        child.stdout.close()
    errors = (tmp_path / "child.log").read_text()
    assert child.returncode == 0, errors
    assert "Traceback" not in errors, errors
    assert overlaps == dict.fromkeys(SCENES, 0)
    for path in shots.values():
        with Image.open(path) as image:
            assert image.size == SCREEN
    for name in ("today", "reflect_counting", "reflect_open_anyway"):
        with Image.open(shots[name]) as image:
            assert green_pixels(image) > 800, f"{name}: no prominent calm button"
