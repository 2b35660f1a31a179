"""The SQLite store: schema, migrations with a backup first, WAL, mode 0600, sealing."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nocontact_desktop.core.paths import DB_FILE_NAME, resolve_data_dir
from nocontact_desktop.core.storage import schema
from nocontact_desktop.core.storage.store import SupportPerson, connect, from_us, open_store, to_us
from nocontact_desktop.core.streak.events import EventKind
from tests.helpers.fakes import fixed_key_sealer, make_store

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_new_database_is_private_wal_and_latest(data_dir: Path) -> None:
    store = make_store(data_dir)
    db = data_dir / DB_FILE_NAME
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert store.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert schema.schema_version(store.connection) == schema.LATEST_VERSION
    store.add_event(EventKind.URGE, NOW, tz="UTC", note="x", recorded_at=NOW)
    for suffix in ("-wal", "-shm"):
        side = data_dir / (DB_FILE_NAME + suffix)
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0
    store.close()


def test_migration_from_v1_backs_up_first_and_keeps_data(data_dir: Path) -> None:
    db = data_dir / DB_FILE_NAME
    conn = connect(db)
    conn.executescript(f"BEGIN; {schema.MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
    conn.execute(
        "INSERT INTO events (uid, kind, at_us, tz, recorded_us) VALUES ('a', 'start', 1, 'UTC', 1)"
    )
    conn.close()
    store = open_store(data_dir, fixed_key_sealer)
    backup = schema.backup_path(db, 1)
    assert backup.exists()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    with sqlite3.connect(backup) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 1
        assert old.execute("SELECT uid FROM events").fetchall() == [("a",)]
    old.close()
    assert schema.schema_version(store.connection) == schema.LATEST_VERSION
    assert [e.uid for e in store.events()] == ["a"]
    store.connection.execute("SELECT * FROM block_targets").fetchall()
    store.close()


def test_failed_migration_rolls_back(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = data_dir / DB_FILE_NAME
    conn = connect(db)
    conn.executescript(f"BEGIN; {schema.MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
    monkeypatch.setattr(
        schema, "MIGRATIONS", (schema.MIGRATIONS[0], "CREATE TABLE gate_apps (x); SELEC broken;")
    )
    with pytest.raises(sqlite3.OperationalError):
        schema.migrate(conn, db)
    assert schema.schema_version(conn) == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "gate_apps" not in tables
    conn.close()


def test_newer_database_is_refused(data_dir: Path) -> None:
    db = data_dir / DB_FILE_NAME
    conn = connect(db)
    conn.execute(f"PRAGMA user_version = {schema.LATEST_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer version"):
        schema.migrate(conn, db)
    conn.close()


def test_free_text_is_sealed_on_disk(data_dir: Path) -> None:
    store = make_store(data_dir)
    secret = "I still miss the way the kitchen smelled"
    store.add_event(EventKind.URGE, NOW, tz="UTC", note=secret, recorded_at=NOW)
    store.set_list_items("reasons", ["They lied to me for years", "  ", "I am safe now"])
    store.set_support_people([SupportPerson("Sam Rivers", "+44 7700 900123")])
    assert store.events(with_notes=True)[0].note == secret
    assert store.list_items("reasons") == ["They lied to me for years", "I am safe now"]
    assert store.support_people() == [SupportPerson("Sam Rivers", "+44 7700 900123")]
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = (data_dir / DB_FILE_NAME).read_bytes()
    for needle in (secret, "They lied", "Sam Rivers", "900123"):
        assert needle.encode() not in raw
    store.close()


def test_settings_meta_and_milestones(data_dir: Path) -> None:
    store = make_store(data_dir)
    assert store.setting("missing", 5) == 5
    store.set_setting("countdown", 30)
    assert store.settings() == {"countdown": 30}
    first = store.data_id()
    assert store.data_id() == first
    assert store.mark_milestone_notified(NOW, 7, NOW)
    assert not store.mark_milestone_notified(NOW, 7, NOW)
    assert store.milestone_notified(NOW, 7)
    assert not store.milestone_notified(NOW, 14)
    store.close()


def test_counts_and_time_conversion(data_dir: Path) -> None:
    store = make_store(data_dir)
    for kind in (EventKind.URGE, EventKind.URGE, EventKind.HOOVER):
        store.add_event(kind, NOW, tz="UTC", recorded_at=NOW)
    store.add_event(EventKind.BLOCKED_ATTEMPT, NOW, tz="UTC", outcome="dismissed", recorded_at=NOW)
    counts = store.count_by_kind()
    assert counts[EventKind.URGE] == 2
    assert counts[EventKind.HOOVER] == 1
    assert store.count_outcomes(EventKind.BLOCKED_ATTEMPT) == {"dismissed": 1}
    odd = datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    assert from_us(to_us(odd)) == odd
    store.close()


def test_data_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NOCONTACT_DATA_DIR", str(tmp_path / "env"))
    assert resolve_data_dir(str(tmp_path / "flag")) == tmp_path / "flag"
    assert resolve_data_dir(None) == tmp_path / "env"
    monkeypatch.delenv("NOCONTACT_DATA_DIR")
    assert resolve_data_dir(None).name == "nocontact"
