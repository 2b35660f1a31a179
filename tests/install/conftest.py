"""Fixtures of the install test (DESIGN §10 "Install, for real").

- ``build_deb(suffix="")``: builds the .deb from this tree with ``installers/linux/build_deb.py``
  (what ``./run package`` runs), once per version suffix and session; ``build_deb("+t2")`` is a
  newer build of the same tree, for upgrades.
- ``debian_image``: the cached debootstrap tarball (made on the first run, ~2 min).
- ``box``: a booted container for the module (see ``debian_box.Box``), with a normal test user
  ``nctest`` (uid 1000) and a second user ``other`` (uid 1001). On teardown its console and
  journal go to ``tests/artifacts/install/``.

Where the machine cannot run this (not root, no debootstrap or systemd-nspawn, nspawn cannot
boot), the tests skip and say exactly why. Timings are printed at the end of the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from debian_box import (
    OTHER,
    OTHER_UID,
    REPO,
    TIMINGS,
    USER,
    USER_UID,
    Box,
    BoxError,
    cached_rootfs_tarball,
    record,
    rootfs_tarball,
    why_not_here,
)

BUILD_SCRIPT = REPO / "installers/linux/build_deb.py"
ARTIFACTS = REPO / "tests/artifacts/install"

LINTIAN: dict[str, str] = {}  # what lintian said about each build, for the summary


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("install test figures (seconds unless named)")
    for name, seconds in TIMINGS.items():
        terminalreporter.write_line(f"{name}: {seconds}")
    for deb, text in LINTIAN.items():
        terminalreporter.write_line(f"lintian {deb}: {text or '(no remarks)'}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")


@pytest.fixture(scope="session")
def install_machine() -> None:
    """Skip, saying why, where this machine cannot boot a Debian container."""
    reason = why_not_here()
    if reason:
        pytest.skip(f"install test: {reason}")


@pytest.fixture(scope="session")
def build_deb(
    install_machine: None, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Path]:
    out = tmp_path_factory.mktemp("debs")
    built: dict[str, Path] = {}

    def build(suffix: str = "") -> Path:
        if suffix not in built:
            started = time.monotonic()
            result = subprocess.run(
                [sys.executable, str(BUILD_SCRIPT), "--out", str(out), "--version-suffix", suffix,
                 *([] if suffix else ["--lintian"])],
                capture_output=True, text=True, timeout=1800, check=False,
            )
            assert result.returncode == 0, f"building the .deb failed:\n{result.stderr}"
            built[suffix] = Path(result.stdout.strip().splitlines()[-1])
            _, found, lint = result.stderr.partition("package: lintian:")
            if found:
                lines = [line for line in lint.splitlines() if line.strip()]
                LINTIAN[built[suffix].name] = "\n".join(lines)
            record(f"build .deb{suffix or ''}", time.monotonic() - started)
        return built[suffix]

    return build


@pytest.fixture(scope="session")
def debian_image(install_machine: None) -> Path:
    started = time.monotonic()
    cached = cached_rootfs_tarball()
    try:
        tarball = rootfs_tarball()
    except BoxError as error:
        pytest.skip(f"install test: cannot make the Debian image here: {error}")
    if cached is None:
        record("Debian image: debootstrap + tarball (cold)", time.monotonic() - started)
    return tarball


@pytest.fixture(scope="module")
def box(debian_image: Path) -> Iterator[Box]:
    machine = Box(debian_image)
    started = time.monotonic()
    try:
        machine.unpack()
        record("unpack the image", time.monotonic() - started)
        machine.boot()
    except BoxError as error:
        machine.destroy()
        pytest.skip(f"install test: systemd-nspawn cannot boot a container here: {error}")
    record("first boot", machine.boot_seconds[0])
    try:
        machine.add_user(USER, USER_UID)
        machine.add_user(OTHER, OTHER_UID)
        yield machine
    finally:
        _save_artifacts(machine)
        machine.destroy()


def _save_artifacts(machine: Box) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if machine.running:
        journal = machine.run(["journalctl", "--no-pager", "-b", "-o", "short-monotonic"])
        (ARTIFACTS / "journal.txt").write_text(journal.out + journal.err)
    if machine.console.exists():
        (ARTIFACTS / "console.txt").write_bytes(machine.console.read_bytes())
