"""Refusing a hosts file another user could redirect (issue 13, finding 5)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nocontact_desktop.core import doctor
from nocontact_desktop.core.blocking.hosts_safety import UnsafeHostsFile, hosts_file_problem
from nocontact_desktop.core.blocking.hosts_section import apply_to_file

HOSTS = b"127.0.0.1 localhost\n"


@pytest.fixture
def etc(tmp_path: Path) -> Path:
    folder = tmp_path / "etc"
    folder.mkdir(mode=0o755)
    os.chmod(tmp_path, 0o755)  # noqa: S103 - a folder like /etc
    (folder / "hosts").write_bytes(HOSTS)
    os.chmod(folder / "hosts", 0o644)
    return folder


def test_a_root_only_folder_and_file_are_fine(etc: Path) -> None:
    assert hosts_file_problem(etc / "hosts") is None
    assert hosts_file_problem(etc / "not-yet") is None
    assert doctor.check_hosts_safety(etc / "hosts").status == "ok"


def test_a_folder_others_can_write_is_refused_and_nothing_is_written(etc: Path) -> None:
    os.chmod(etc, 0o777)  # noqa: S103 - the unsafe folder under test
    problem = hosts_file_problem(etc / "hosts")
    assert problem is not None and f"other users can write to the folder {etc}" in problem
    with pytest.raises(UnsafeHostsFile) as caught:
        apply_to_file(etc / "hosts", ["a.com"])
    assert "nothing was changed" in str(caught.value) and str(etc / "hosts") in str(caught.value)
    assert (etc / "hosts").read_bytes() == HOSTS
    check = doctor.check_hosts_safety(etc / "hosts")
    assert check.status == "problem" and check.fix is not None and "chmod go-w" in check.fix


def test_a_sticky_folder_is_fine_above_but_not_as_the_files_own_folder(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(tmp_path, 0o755)  # noqa: S103 - a folder like /etc
    os.chmod(shared, 0o1777)  # noqa: S103 - sticky and open, like /tmp
    inner = shared / "etc"
    inner.mkdir(mode=0o755)
    assert hosts_file_problem(inner / "hosts") is None
    assert hosts_file_problem(shared / "hosts") is not None


@pytest.mark.parametrize("mode", [0o666, 0o646, 0o664])
def test_a_file_others_can_write_is_refused(etc: Path, mode: int) -> None:
    os.chmod(etc / "hosts", mode)
    assert "other users can write to" in (hosts_file_problem(etc / "hosts") or "")


def test_a_file_or_folder_owned_by_another_user_is_refused(etc: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a file to another user")
    os.chown(etc / "hosts", 65534, 65534)
    assert "belongs to uid 65534" in (hosts_file_problem(etc / "hosts") or "")
    os.chown(etc / "hosts", 0, 0)
    os.chown(etc, 65534, 65534)
    assert "belongs to uid 65534" in (hosts_file_problem(etc / "hosts") or "")


def test_a_link_into_a_folder_others_can_write_is_refused(etc: Path, tmp_path: Path) -> None:
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    os.chmod(open_folder, 0o777)  # noqa: S103 - the unsafe folder under test
    (open_folder / "hosts").write_bytes(HOSTS)
    (etc / "hosts").unlink()
    (etc / "hosts").symlink_to(open_folder / "hosts")
    assert f"folder {open_folder}" in (hosts_file_problem(etc / "hosts") or "")
