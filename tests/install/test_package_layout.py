"""The .deb's files under installers/linux/ (fast checks; no root, no container)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from debian_box import REPO, package_fields

LINUX = REPO / "installers/linux"
PACKAGED_UNIT = LINUX / "lib/systemd/system/nocontact-helper.service"
GENERATED_UNIT = LINUX / "nocontact-helper.service"
SCRIPTS = [
    LINUX / "DEBIAN/postinst",
    LINUX / "DEBIAN/prerm",
    LINUX / "DEBIAN/postrm",
    LINUX / "usr/bin/nocontact",
    LINUX / "usr/lib/nocontact/make-venv",
]


def _settings(unit: Path) -> list[str]:
    lines = [line for line in unit.read_text(encoding="ascii").splitlines() if line]
    return [
        line for line in lines
        if not line.startswith(("#", "ExecStart=", "Documentation="))
    ]


def test_the_packaged_unit_is_hardened_like_the_generated_one() -> None:
    # Only ExecStart differs: the packaged unit takes the allowed users from a drop-in.
    assert _settings(PACKAGED_UNIT) == _settings(GENERATED_UNIT)
    assert "ExecStart=/usr/bin/nocontact helper run $NOCONTACT_HELPER_ALLOW" in (
        PACKAGED_UNIT.read_text(encoding="ascii")
    )


def test_the_packaged_policy_is_the_one_in_installers() -> None:
    packaged = LINUX / "usr/share/polkit-1/actions/org.nocontact.helper.policy"
    assert packaged.read_bytes() == (LINUX / "org.nocontact.helper.policy").read_bytes()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_scripts_are_executable_posix_shell(script: Path) -> None:
    assert script.stat().st_mode & 0o111, f"{script} must be executable"
    assert script.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    if shutil.which("shellcheck"):
        result = subprocess.run(
            ["shellcheck", "-s", "sh", str(script)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout


def test_the_control_file_names_what_the_program_needs() -> None:
    needs = package_fields()
    assert "python3" in needs
    assert "pkexec" in needs
    # What PySide6 needs to open windows, as ./run installs for the app (APP_DEBS).
    run = (REPO / "run").read_text(encoding="utf-8")
    app_debs = run.split("APP_DEBS=(", 1)[1].split(")", 1)[0].split()
    missing = [name for name in app_debs if name not in needs and name != "python3-venv"]
    assert missing == [], f"DEBIAN/control does not depend on {missing}"


def test_resources_reach_the_package_through_one_link() -> None:
    link = REPO / "nocontact_desktop/resources"
    assert link.is_symlink() and link.resolve() == (REPO / "resources").resolve()
