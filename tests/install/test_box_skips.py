"""The install test says exactly why it skips on a machine that cannot run it."""

from __future__ import annotations

import os
import shutil

import debian_box
import pytest


def test_not_root_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert debian_box.why_not_here() == (
        "needs root: debootstrap and systemd-nspawn -b only run as root"
    )


def test_missing_tools_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(
        shutil, "which", lambda tool: None if tool in ("debootstrap", "zstd") else tool
    )
    reason = debian_box.why_not_here()
    assert reason is not None and reason.startswith("missing debootstrap, zstd (apt-get install")


def test_the_image_key_follows_the_package_list() -> None:
    packages = debian_box.rootfs_packages()
    assert {"systemd", "pkexec", "python3", "libegl1"} <= set(packages)
    assert "python3-venv" not in packages, "the package must install without python3-venv"
    assert debian_box.rootfs_key(packages) != debian_box.rootfs_key([*packages, "sudo"])
