"""Choosing an app to gate by name and icon: the desktop's own list, then a file as fallback."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from nocontact_desktop.core.app_gate.gate_list import GateList
from nocontact_desktop.core.app_gate.rules import InstalledApp
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.platform import linux
from nocontact_desktop.ui.dialogs.app_chooser import AppChooser
from nocontact_desktop.ui.pages.apps_page import AppsPage
from nocontact_desktop.ui.qt import QtWidgets


def desktop_file(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(body, encoding="utf-8")


def test_linux_lists_menu_apps_from_xdg_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = tmp_path / "bin" / "caprine"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    home, system = tmp_path / "home", tmp_path / "system"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.setenv("XDG_DATA_DIRS", str(system))
    monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ['PATH']}")
    apps = system / "applications"
    desktop_file(
        apps,
        "caprine.desktop",
        "[Desktop Entry]\nType=Application\nName=Caprine\nExec=caprine %U\nIcon=caprine\n",
    )
    desktop_file(
        apps,
        "hidden.desktop",
        "[Desktop Entry]\nType=Application\nName=Hidden\nExec=caprine\nNoDisplay=true\n",
    )
    desktop_file(
        apps,
        "gone.desktop",
        "[Desktop Entry]\nType=Application\nName=Gone\nExec=/nonexistent/app\n",
    )
    desktop_file(apps, "link.desktop", "[Desktop Entry]\nType=Link\nName=A link\nURL=x\n")
    desktop_file(
        apps,
        "other.desktop",
        "[Desktop Action new]\nName=Not this\n[Desktop Entry]\nType=Application\n"
        f"Name=Abc Chat\nExec={program} --new\n",
    )
    # The user's own entry with the same file name wins over the system one.
    desktop_file(
        home / "applications",
        "caprine.desktop",
        "[Desktop Entry]\nType=Application\nName=Caprine (mine)\nExec=caprine\n",
    )
    found = [app for app in linux.installed_apps() if str(tmp_path) in app.command]
    assert found == [
        InstalledApp("Abc Chat", str(program), ""),
        InstalledApp("Caprine (mine)", str(program), ""),
    ]


def test_the_chooser_filters_and_returns_the_command(qtbot: QtBot) -> None:
    chooser = AppChooser([InstalledApp("Caprine", "/opt/caprine"), InstalledApp("Zoom", "/z")])
    qtbot.addWidget(chooser)
    chooser.search.setText("cap")
    visible = [chooser.list.item(r) for r in range(chooser.list.count())]
    assert [i.text() for i in visible if i is not None and not i.isHidden()] == ["Caprine"]
    chooser.list.setCurrentRow(0)
    chooser.add_button.click()
    assert chooser.chosen == "/opt/caprine"


def test_presets_are_tiles_and_other_apps_come_from_the_chooser(
    qtbot: QtBot, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate_list = GateList(store, "linux")
    program = tmp_path / "caprine"
    program.write_text("#!/bin/sh\n")
    page = AppsPage(
        gate_list,
        gate_list.presets,
        lambda: datetime(2026, 3, 8, tzinfo=UTC),
        lambda: [InstalledApp("Caprine", str(program))],
    )
    qtbot.addWidget(page)
    signal = page.preset_checks["signal"]
    assert isinstance(signal, QtWidgets.QToolButton) and signal.text() == "Signal"
    assert not signal.icon().isNull()
    signal.click()
    assert [app.id for app in gate_list.apps()] == ["signal"]

    def pick(chooser: AppChooser) -> int:
        chooser.list.setCurrentRow(0)
        chooser.chosen = str(chooser.list.currentItem().data(0x0100))  # Qt.UserRole
        return QtWidgets.QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(AppChooser, "exec", pick)
    page.choose_app()
    assert [app.id for app in gate_list.apps()] == ["signal", f"path:{program}"]
