"""Files shipped with the app (presets, texts): package data, found with importlib.resources.

An installed wheel carries them as ``nocontact_desktop/resources/``; a source checkout keeps
them in the top-level ``resources/`` folder (DESIGN §2), which is where they are edited.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_SOURCE_TREE = Path(__file__).resolve().parents[2] / "resources"


def resource_path(name: str) -> Path:
    """The path of the shipped resource ``name`` (e.g. ``"gate_presets.json"``)."""
    packaged = resources.files("nocontact_desktop").joinpath("resources", name)
    if isinstance(packaged, Path) and packaged.is_file():
        return packaged
    return _SOURCE_TREE / name
