"""Erase everything: our files by name, the key, and an honest word when the key may remain."""

from __future__ import annotations

from pathlib import Path

import pytest

from nocontact_desktop.core.journal.entries import Journal
from nocontact_desktop.core.paths import DB_FILE_NAME
from nocontact_desktop.core.storage import key_store, schema
from nocontact_desktop.core.storage.store import connect
from nocontact_desktop.core.storage.vault import KEY_FILE_NAME, open_data
from nocontact_desktop.core.storage.wipe import data_files, wipe_all
from tests.helpers.fakes import clock_at


def fresh_with_keyfile(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No keyring here: the vault falls back to its key file (with a warning).
    monkeypatch.setattr(key_store, "keyring_available", lambda *a, **k: (False, "none in tests"))


def test_wipe_removes_db_sidecars_backups_and_key_file_only(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_with_keyfile(data_dir, monkeypatch)
    # An old database, so that a migration backup exists too.
    conn = connect(data_dir / DB_FILE_NAME)
    conn.executescript(f"BEGIN; {schema.MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
    conn.close()
    warnings: list[str] = []
    store = open_data(data_dir, warn=warnings.append)
    Journal(store, clock_at("2026-03-08T02:00:00+00:00")).add_unsent("a message")
    assert warnings and (data_dir / KEY_FILE_NAME).exists()
    keep = data_dir / "my-notes.txt"  # not ours: must survive
    keep.write_text("mine")
    before = {p.name for p in data_files(data_dir)}
    assert {DB_FILE_NAME, f"{DB_FILE_NAME}.v1-backup", KEY_FILE_NAME} <= before

    deleted: list[tuple[str, str]] = []
    result = wipe_all(store, data_dir, delete_keyring_key=lambda s, a: bool(deleted.append((s, a))))
    assert result.complete, result.problems
    # Closing the store folds the WAL in and removes -wal/-shm itself; the rest is ours.
    sidecars = {f"{DB_FILE_NAME}-wal", f"{DB_FILE_NAME}-shm"}
    assert {p.name for p in result.removed} >= before - sidecars
    assert data_files(data_dir) == []
    assert deleted == []  # the key was a file, not a keyring entry
    assert keep.read_text() == "mine"


def test_wipe_removes_the_keyring_entry_or_says_it_may_remain(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh_with_keyfile(data_dir, monkeypatch)
    store = open_data(data_dir)
    store.set_meta("key_source", "keyring")  # as if the keyring had been used
    account = store.data_id()
    calls: list[tuple[str, str]] = []

    def deleted(service: str, acct: str) -> bool:
        calls.append((service, acct))
        return True

    result = wipe_all(store, data_dir, delete_keyring_key=deleted)
    assert calls == [("nocontact-desktop", account)]
    assert result.keyring_entry_removed and result.complete
    assert not data_dir.exists()  # empty afterwards, so the folder went too

    data_dir.mkdir()
    store = open_data(data_dir)
    store.set_meta("key_source", "keyring")
    store.data_id()

    def unreachable(_service: str, _account: str) -> bool:
        raise key_store.KeyringUnavailable("the system keyring is locked")

    result = wipe_all(store, data_dir, delete_keyring_key=unreachable)
    assert not result.complete
    assert "the key may remain in the system keyring" in result.problems[0]
    assert "locked" in result.problems[0]
    assert data_files(data_dir) == []  # the files are gone all the same
