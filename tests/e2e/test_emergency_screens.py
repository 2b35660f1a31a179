"""The emergency window and the History window on a real X server, as screenshots (issue 5).

A child process (screens_app.py) seeds a real store and shows each scene; the whole screen is
captured with ImageMagick's ``import`` into the artifacts folder, and a few things are
checked on the pixels: the window is there, the calm green and the pacer are drawn, the
heatmap shows kept days and slips, and nothing is red. A person looks at the PNGs too.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import xsession as xsession_module
from tests.helpers.xsession import xsession

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="X11 only")]

CHILD = Path(__file__).with_name("screens_app.py")
SCREEN = (1280, 800)  # a common laptop screen
GREEN = (0x2F, 0x6F, 0x62)  # primary buttons, the current streak
SOFT_GREEN = (0xD6, 0xE7, 0xE0)  # the breathing circle
KEPT = (0x86, 0xBB, 0xA9)
SAND = (0xD9, 0xA9, 0x4F)
SCENES = (
    "emergency_ride",
    "emergency_write",
    "emergency_remember",
    "emergency_people",
    "emergency_intention",
    "emergency_practical",
    "emergency_rode_it_out",
    "history",
    "check_in",
)


def count(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 6) -> int:
    """Pixels within ``tolerance`` of ``colour`` (sampled every other pixel)."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    found = 0
    for y in range(0, height, 2):
        for x in range(0, width, 2):
            pixel = rgb.getpixel((x, y))
            assert isinstance(pixel, tuple)
            if all(abs(c - t) <= tolerance for c, t in zip(pixel, colour, strict=True)):
                found += 1
    return found


def reddish(image: Image.Image) -> int:
    """Pixels that read as alarm red (none wanted in these windows)."""
    raw = image.convert("RGB").resize((image.width // 4, image.height // 4)).tobytes()
    pixels = zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
    return sum(1 for r, g, b in pixels if r > 170 and g < 90 and b < 90)


def test_emergency_and_history_screens(
    tmp_path: Path, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xsession_module, "SCREEN", SCREEN)
    shots: dict[str, Path] = {}
    with xsession() as session:
        child, _log = session.start_child(CHILD, tmp_path, str(tmp_path / "data"))
        assert child.stdin is not None and child.stdout is not None
        deadline = time.monotonic() + 120
        for name in SCENES:
            line = child.stdout.readline().decode().strip()
            assert line == f"scene {name}", (
                f"expected scene {name}, got {line!r}\n{(tmp_path / 'child.log').read_text()}"
            )
            shots[name] = session.screenshot(artifacts / f"{name}.png")
            child.stdin.write(b"next\n")
            child.stdin.flush()
            assert time.monotonic() < deadline
        assert child.stdout.readline().decode().strip() == "done"
        child.wait(timeout=30)
        child.stdin.close()
        child.stdout.close()
    errors = (tmp_path / "child.log").read_text()
    assert child.returncode == 0, errors
    assert "Traceback" not in errors and "Fatal" not in errors, errors

    ride = Image.open(shots["emergency_ride"])
    assert ride.size == SCREEN
    assert count(ride, GREEN) > 500, "the primary button 'I rode it out' is not drawn"
    assert count(ride, SOFT_GREEN) > 2000, "the breathing circle is not drawn"
    write = Image.open(shots["emergency_write"])
    assert count(write, GREEN) > 500
    rode = Image.open(shots["emergency_rode_it_out"])
    assert count(rode, SOFT_GREEN) > count(ride, SOFT_GREEN) // 20  # the banner
    history = Image.open(shots["history"])
    assert count(history, KEPT) > 1500, "no kept days in the heatmap"
    assert count(history, SAND) > 10, "the slip is not shown"
    for name, path in shots.items():
        assert reddish(Image.open(path)) == 0, f"{name} has alarm-red pixels"
