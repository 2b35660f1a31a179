"""The app gate in the tray app with real processes: frozen at launch, dialog, outcome."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from pytestqt.qtbot import QtBot

from nocontact_desktop.core.clock import SystemClock
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.platform import current as current_platform
from nocontact_desktop.ui.controllers.gated_apps import AppGateController
from tests.helpers.fakes import clock_at

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="real Linux processes")



@pytest.fixture
def stand_in(tmp_path: Path) -> Path:
    """A copy of `sleep` named like Signal's Linux executable."""
    exe = tmp_path / "bin" / "signal-desktop"
    exe.parent.mkdir()
    shutil.copy2(shutil.which("sleep") or "/bin/sleep", exe)
    return exe


@pytest.fixture
def controller(qtbot: QtBot, store: Store) -> Iterator[AppGateController]:
    del qtbot
    ctl = AppGateController(store, SystemClock(), current_platform())
    ctl.gate_list.add(["signal"], clock_at("2026-01-01T00:00:00+00:00").now())
    ctl.reload()
    ctl.start()
    yield ctl
    for dialog in list(ctl.dialogs.values()):
        dialog.outcome = "test-teardown"
        dialog.close()
    ctl.close()


def launch(exe: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(exe), "30"])


def test_nothing_gated_means_no_timer(qtbot: QtBot, store: Store) -> None:
    del qtbot
    ctl = AppGateController(store, SystemClock(), current_platform())
    ctl.start()
    assert not ctl.watching
    ctl.close()


def test_close_ends_the_frozen_app_and_logs(
    qtbot: QtBot, controller: AppGateController, stand_in: Path, store: Store
) -> None:
    assert controller.watching
    proc = launch(stand_in)
    try:
        qtbot.waitUntil(lambda: bool(controller.dialogs), timeout=3000)
        assert psutil.Process(proc.pid).status() == psutil.STATUS_STOPPED
        dialog = next(iter(controller.dialogs.values()))
        assert dialog.subject.name == "Signal"
        dialog.close_button.click()
        assert proc.wait(timeout=5) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert store.count_outcomes(EventKind.BLOCKED_ATTEMPT) == {"dismissed": 1}


def test_open_anyway_resumes_the_app(
    qtbot: QtBot, controller: AppGateController, stand_in: Path, store: Store
) -> None:
    proc = launch(stand_in)
    try:
        qtbot.waitUntil(lambda: bool(controller.dialogs), timeout=3000)
        dialog = next(iter(controller.dialogs.values()))
        assert not dialog.open_button.isEnabled()
        dialog.remaining = 1
        dialog.isActiveWindow = lambda: True  # type: ignore[method-assign]
        dialog.tick()  # the last second of the countdown passes
        assert dialog.open_button.isEnabled()
        dialog.open_button.click()
        qtbot.waitUntil(
            lambda: psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED, timeout=3000
        )
        assert proc.poll() is None  # running again
        assert store.count_by_kind()[EventKind.PEEK] == 1
        assert store.count_outcomes(EventKind.BLOCKED_ATTEMPT) == {"opened": 1}
    finally:
        proc.kill()
        proc.wait()


def test_app_that_exits_by_itself_closes_its_dialog(
    qtbot: QtBot, controller: AppGateController, stand_in: Path
) -> None:
    proc = launch(stand_in)
    qtbot.waitUntil(lambda: bool(controller.dialogs), timeout=3000)
    proc.kill()
    proc.wait()
    qtbot.waitUntil(lambda: not controller.dialogs, timeout=5000)


def test_pause_lets_apps_start(
    qtbot: QtBot, controller: AppGateController, stand_in: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    controller.pause_until(datetime.now(UTC) + timedelta(minutes=5))
    assert not controller.watching
    proc = launch(stand_in)
    try:
        qtbot.wait(400)
        assert not controller.dialogs
        assert psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED
    finally:
        proc.kill()
        proc.wait()
    controller.pause_until(None)
    assert controller.watching
