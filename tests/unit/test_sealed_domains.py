"""Issue 14: a target's domain names are sealed at rest, including rows from before schema 5."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from nocontact_desktop.core.blocking.blocklist import Blocklist
from nocontact_desktop.core.paths import DB_FILE_NAME
from nocontact_desktop.core.storage import schema
from nocontact_desktop.core.storage.store import Store, connect, open_store, to_us
from nocontact_desktop.core.streak.tracker import Tracker
from tests.helpers.fakes import clock_at, fixed_key_sealer, make_store

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PERSONAL = b"jordanreyes"


def files_bytes(data_dir: Path) -> bytes:
    """Every byte of every file in the data folder (database, WAL, backups)."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.iterdir()) if p.is_file())


def test_new_targets_keep_their_names_only_sealed(data_dir: Path) -> None:
    store = make_store(data_dir)
    blocklist = Blocklist(store)
    blocklist.add(["jordanreyes.me", "https://jordan-reyes.tumblr.com/"], NOW)
    assert "jordanreyes.me" in blocklist.domains()
    assert "jordan-reyes.tumblr.com" in blocklist.enforced_domains()
    plain = store.connection.execute("SELECT domains FROM block_targets").fetchall()
    assert plain == [("",), ("",)]
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert PERSONAL not in files_bytes(data_dir)
    store.close()


def test_status_needs_no_key_with_sealed_targets(data_dir: Path) -> None:
    store = make_store(data_dir)
    Blocklist(store).add(["jordanreyes.me"], NOW)
    store.close()

    def no_key() -> object:
        raise AssertionError("status must not unseal anything")

    plain_store = open_store(data_dir, no_key)  # type: ignore[arg-type]
    Tracker(plain_store, clock_at("2026-05-01T12:00:00+00:00")).status()
    assert Blocklist(plain_store).revision()
    plain_store.close()


def test_rows_from_schema_4_are_sealed_on_first_read_and_backups_scrubbed(
    data_dir: Path,
) -> None:
    db = data_dir / DB_FILE_NAME
    sealer = fixed_key_sealer()
    conn = connect(db)
    scripts = " ".join(schema.MIGRATIONS[:4])
    conn.executescript(f"BEGIN; {scripts} PRAGMA user_version = 4; COMMIT;")
    conn.execute(
        "INSERT INTO block_targets (target, kind, platform, handle, domains, added_us)"
        " VALUES (?, 'domain', NULL, NULL, ?, ?)",
        (
            sealer.seal("jordanreyes.me", purpose="block.target"),
            json.dumps(["jordanreyes.me", "www.jordanreyes.me"]),
            to_us(NOW),
        ),
    )
    conn.close()
    store: Store = open_store(data_dir, fixed_key_sealer)  # migrates to 5, backup first
    assert schema.backup_path(db, 4).exists()
    assert PERSONAL in schema.backup_path(db, 4).read_bytes()  # not sealed until the key is used
    blocklist = Blocklist(store)
    assert blocklist.domains() == ["jordanreyes.me", "www.jordanreyes.me"]
    [(_row_id, target)] = blocklist.targets()
    assert target.domains == ("jordanreyes.me", "www.jordanreyes.me")
    assert PERSONAL not in files_bytes(data_dir)
    # The backup still opens and still knows the (sealed) target.
    old = connect(schema.backup_path(db, 4))
    assert old.execute("SELECT count(*) FROM block_targets").fetchone()[0] == 1
    old.close()
    store.close()
