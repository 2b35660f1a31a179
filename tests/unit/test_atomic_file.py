"""Atomic writes of the hosts file, and applying/removing the section on disk (DESIGN §4)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from nocontact_desktop.core import atomic_file
from nocontact_desktop.core.atomic_file import ConcurrentChangeError, VerifyError, write_atomic
from nocontact_desktop.core.blocking.hosts_section import (
    apply_to_file,
    read_section_names,
    remove_from_file,
)
from nocontact_desktop.core.errors import BadInput

ORIGINAL = b"127.0.0.1\tlocalhost\r\n::1 localhost\r\n# caf\xe9\r\n10.0.0.2 nas.lan"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


# --- write_atomic -------------------------------------------------------------------------


def test_new_file_gets_mode_0644_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    old_umask = os.umask(0o077)
    try:
        write_atomic(path, b"data\n")
    finally:
        os.umask(old_umask)
    assert path.read_bytes() == b"data\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


def test_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(b"old")
    path.chmod(0o640)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_owner_is_kept(tmp_path: Path) -> None:
    if not is_root():
        pytest.skip("changing a file's owner needs root; run the tests as root to cover this")
    path = tmp_path / "hosts"
    path.write_bytes(b"old")
    os.chown(path, 4321, 8765)
    write_atomic(path, b"new")
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (4321, 8765)
    assert path.read_bytes() == b"new"


def test_extended_attributes_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(b"old")
    try:
        os.setxattr(path, "user.nocontact-test", b"label")
    except OSError as error:
        pytest.skip(f"this filesystem does not support user extended attributes ({error})")
    write_atomic(path, b"new")
    assert os.getxattr(path, "user.nocontact-test") == b"label"


def test_the_file_is_replaced_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(b"old")
    before = path.stat().st_ino
    write_atomic(path, b"new")
    assert path.stat().st_ino != before  # a reader holding the old file saw old, whole content


def test_a_symlink_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real-hosts"
    real.write_bytes(b"old")
    link = tmp_path / "hosts"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_failure_before_the_rename_leaves_the_original_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(b"old")

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "disk on fire")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_verify_catches_a_file_that_does_not_hold_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(b"old")
    real_replace = os.replace

    def replace_then_clobber(source: str | Path, target: str | Path) -> None:
        real_replace(source, target)
        Path(target).write_bytes(b"someone else")

    monkeypatch.setattr(os, "replace", replace_then_clobber)
    with pytest.raises(VerifyError):
        write_atomic(path, b"new")
    assert issubclass(VerifyError, OSError)


def test_a_concurrent_change_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(b"changed by someone")
    with pytest.raises(ConcurrentChangeError):
        write_atomic(path, b"new", expect_current=b"what we read")
    assert path.read_bytes() == b"changed by someone"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("code", [errno.EBUSY, errno.EXDEV])
def test_a_file_that_cannot_be_renamed_over_is_rewritten_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    # The real case (a bind-mounted /etc/hosts) runs in tests/integration/test_hosts_bindmount.py.
    path = tmp_path / "hosts"
    path.write_bytes(b"a much longer old content that must not leave a tail behind\n")
    path.chmod(0o604)
    inode = path.stat().st_ino

    def busy(source: str | Path, target: str | Path) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "replace", busy)
    write_atomic(path, b"short\n")
    assert path.read_bytes() == b"short\n"
    assert path.stat().st_ino == inode
    assert stat.S_IMODE(path.stat().st_mode) == 0o604
    assert leftovers(tmp_path) == []


def test_other_rename_errors_are_not_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(b"old")

    def denied(source: str | Path, target: str | Path) -> None:
        raise PermissionError(errno.EACCES, "denied")

    monkeypatch.setattr(os, "replace", denied)
    with pytest.raises(OSError) as caught:
        write_atomic(path, b"new")
    assert caught.value.errno == errno.EACCES
    assert str(caught.value) == f"could not write {path}: permission denied; nothing was changed"
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


# --- apply_to_file / remove_from_file -----------------------------------------------------


def test_apply_then_remove_restores_the_file_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(ORIGINAL)
    path.chmod(0o644)
    assert apply_to_file(path, ["instagram.com", "www.instagram.com"]) is True
    blocked = read_section_names(path.read_bytes())
    assert blocked == frozenset({"instagram.com", "www.instagram.com"})
    assert path.read_bytes().startswith(ORIGINAL + b"\r\n# >>> local name overrides")
    assert remove_from_file(path) is True
    assert path.read_bytes() == ORIGINAL
    assert remove_from_file(path) is False
    assert leftovers(tmp_path) == []


def test_no_write_when_nothing_changes(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(ORIGINAL)
    assert apply_to_file(path, ["a.com"]) is True
    inode = path.stat().st_ino
    assert apply_to_file(str(path), ["A.com."]) is False
    assert path.stat().st_ino == inode


def test_bad_input_touches_nothing(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(ORIGINAL)
    inode = path.stat().st_ino
    with pytest.raises(BadInput):
        apply_to_file(path, ["ok.com", "evil.com\n0.0.0.0 bank.com"])
    with pytest.raises(BadInput):
        apply_to_file(path, ["ok.com"], ["10.0.0.1"])
    with pytest.raises(BadInput, match="collection of names"):
        apply_to_file(path, "ok.com")
    assert path.read_bytes() == ORIGINAL
    assert path.stat().st_ino == inode


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "hosts"
    assert apply_to_file(path, []) is False
    assert not path.exists()
    assert remove_from_file(path) is False
    assert apply_to_file(path, ["a.com"]) is True
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert remove_from_file(path) is True
    assert path.read_bytes() == b""


def test_a_concurrent_edit_is_kept_and_the_write_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "hosts"
    path.write_bytes(b"127.0.0.1 localhost\n")
    real_write = atomic_file.write_atomic
    calls = 0

    def edit_once_before_writing(
        target: Path,
        data: bytes,
        *,
        expect_current: bytes | None,
        expect_stat: os.stat_result | None = None,
        journal: Path | None = None,
    ) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            target.write_bytes(b"127.0.0.1 localhost\n10.0.0.9 added.lan\n")
        real_write(
            target, data, expect_current=expect_current, expect_stat=expect_stat, journal=journal
        )

    from nocontact_desktop.core.blocking import hosts_section

    monkeypatch.setattr(hosts_section, "write_atomic", edit_once_before_writing)
    assert apply_to_file(path, ["a.com"]) is True
    assert calls == 2
    assert path.read_bytes().startswith(b"127.0.0.1 localhost\n10.0.0.9 added.lan\n# >>>")


# --- write_private: the app's own files (export, login entry, helper unit and state) ----------


def test_write_private_is_owner_only_and_replaces_a_link_instead_of_following_it(
    tmp_path: Path,
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    link = tmp_path / "export.json"
    link.symlink_to(victim)
    atomic_file.write_private(link, b"{}")
    assert victim.read_bytes() == b"keep me"
    assert not link.is_symlink() and link.read_bytes() == b"{}"
    assert stat.S_IMODE(link.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []


def test_write_private_never_opens_a_name_someone_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The names an attacker could guess from the old scheme are ignored; the temp name is new.
    for guess in (".export.json.tmp", f".export.json.tmp-{os.getpid()}"):
        (tmp_path / guess).write_bytes(b"trap")
        os.chmod(tmp_path / guess, 0o666)  # noqa: S103 - the trap another user would set
    modes: list[int] = []
    real_replace = os.replace

    def spy(src: str | Path, dst: str | Path) -> None:
        modes.append(stat.S_IMODE(os.stat(src).st_mode))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomic_file.write_private(tmp_path / "export.json", b"secret")
    assert modes == [0o600]
    assert (tmp_path / ".export.json.tmp").read_bytes() == b"trap"


def test_write_private_failure_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")

    def refuse(src: str | Path, dst: str | Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError) as caught:
        atomic_file.write_private(target, b"new")
    # Issue 13, finding 10: the real file, the reason in words, and that nothing changed.
    assert str(caught.value) == (
        f"could not write {target}: the disk is full (no space left on device); "
        "nothing was changed"
    )
    assert ".tmp" not in str(caught.value) and "Errno" not in str(caught.value)
    assert target.read_bytes() == b"old" and leftovers(tmp_path) == []
