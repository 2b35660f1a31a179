"""The house rules of DESIGN §2, checked on every run: who may import whom.

- core/ is the ground floor: it imports nothing from helper/, ui/ or platform/;
- every Qt import passes through ui/qt.py;
- the helper (root) never imports ui/ or Qt.
Imports are read from the source with ``ast`` (also those inside functions).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.helpers.paths import REPO

PACKAGE = REPO / "nocontact_desktop"


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name a file imports, wherever the import statement stands."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations(
    folder: str, forbidden: tuple[str, ...], allowed_files: tuple[str, ...] = ()
) -> list[str]:
    found = []
    for path in sorted((PACKAGE / folder).rglob("*.py") if folder else PACKAGE.rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if relative in allowed_files:
            continue
        for name in sorted(imported_modules(path)):
            if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden):
                found.append(f"{relative} imports {name}")
    return found


def test_core_imports_nothing_from_helper_ui_or_platform() -> None:
    forbidden = tuple(f"nocontact_desktop.{room}" for room in ("helper", "ui", "platform"))
    assert violations("core", (*forbidden, "PySide6")) == []


def test_qt_is_imported_only_through_ui_qt() -> None:
    assert violations("", ("PySide6", "shiboken6"), ("nocontact_desktop/ui/qt.py",)) == []


def test_the_root_helper_never_imports_the_ui_or_qt() -> None:
    assert violations("helper", ("nocontact_desktop.ui", "PySide6")) == []


def test_platform_modules_never_import_the_ui_or_the_helper() -> None:
    forbidden = ("nocontact_desktop.ui", "nocontact_desktop.helper", "PySide6")
    assert violations("platform", forbidden) == []


def test_the_checker_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from nocontact_desktop.ui import qt\n    import PySide6\n")
    assert {"nocontact_desktop.ui", "nocontact_desktop.ui.qt", "PySide6"} <= imported_modules(
        sample
    )


@pytest.mark.parametrize("room", ["core", "helper", "platform", "ui"])
def test_every_room_is_a_package_of_concerns(room: str) -> None:
    # A newcomer reads the architecture from the folders: no room is a flat heap again.
    flat = [p for p in (PACKAGE / room).glob("*.py") if p.name != "__init__.py"]
    assert len(flat) <= 12, f"{room}/ has {len(flat)} loose modules: group them by concern"
