"""One tray app per data folder; its socket lives where only this user can see it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pytestqt.qtbot import QtBot

from nocontact_desktop.ui.single_instance import SOCKET_NAME, SingleInstance, socket_path


def test_the_socket_is_in_the_private_data_folder(tmp_path: Path) -> None:
    assert socket_path(tmp_path) == tmp_path.resolve() / SOCKET_NAME


def test_a_long_data_folder_puts_it_in_the_runtime_folder_under_no_name(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)
    runtime = tmp_path / "run"
    found = socket_path(deep, runtime_dir=str(runtime))
    assert found is not None and found.parent == runtime
    assert "nocontact" not in found.name and found.suffix == ".sock"
    assert socket_path(deep / "other", runtime_dir=str(runtime)) != found  # one per folder


def test_no_private_place_means_no_socket(tmp_path: Path) -> None:
    assert socket_path(tmp_path / ("d" * 120), runtime_dir="") is None


def test_a_second_launch_asks_the_first_to_show_itself(tmp_path: Path, qtbot: QtBot) -> None:
    first = SingleInstance(tmp_path)
    assert first.claim()
    first.listen()
    path = tmp_path / SOCKET_NAME
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    assert os.lstat(path).st_mode & 0o077 == 0  # the user's alone
    with qtbot.waitSignal(first.activated, timeout=5000):
        second = SingleInstance(tmp_path)
        assert not second.claim()
    first.release()
    assert not path.exists()


def test_a_crashed_runs_socket_is_replaced(tmp_path: Path, qtbot: QtBot) -> None:
    import socket

    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(tmp_path / SOCKET_NAME))
    stale.close()  # left behind, nobody listening
    first = SingleInstance(tmp_path)
    assert first.claim()
    first.listen()
    with qtbot.waitSignal(first.activated, timeout=5000):
        assert not SingleInstance(tmp_path).claim()
    first.release()
