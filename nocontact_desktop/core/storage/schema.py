"""Schema versions and migrations of the SQLite store.

The version lives in ``PRAGMA user_version``. Before an existing database is migrated, a copy
is taken with SQLite's online backup (``nocontact.db.v{old}-backup``), so a failed or buggy
migration never costs a person their history.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

# Each migration is one SQL script; it runs inside the transaction that bumps the version.
# Free text (notes, list items, names, targets) is stored sealed as BLOBs: see core/sealing.py.
_V1 = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            uid TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            at_us INTEGER NOT NULL,          -- microseconds since the Unix epoch, UTC
            tz TEXT NOT NULL,                -- IANA zone in force when it happened
            note BLOB,                       -- sealed
            outcome TEXT,
            subject TEXT,
            recorded_us INTEGER NOT NULL
        );
        CREATE INDEX events_kind_at ON events (kind, at_us);
        CREATE INDEX events_at ON events (at_us);
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);  -- JSON values
        CREATE TABLE list_items (
            id INTEGER PRIMARY KEY,
            list TEXT NOT NULL,              -- reasons | remember | instead
            position INTEGER NOT NULL,
            body BLOB NOT NULL               -- sealed
        );
        CREATE INDEX list_items_list ON list_items (list, position);
        CREATE TABLE support_people (
            id INTEGER PRIMARY KEY,
            position INTEGER NOT NULL,
            name BLOB NOT NULL,              -- sealed
            reach BLOB NOT NULL              -- sealed
        );
        CREATE TABLE milestones_notified (
            streak_start_us INTEGER NOT NULL,
            days INTEGER NOT NULL,
            notified_us INTEGER NOT NULL,
            PRIMARY KEY (streak_start_us, days)
        );
"""

# Blocking (DESIGN §4) and the app gate (§7). Targets are sealed: a profile URL names a person.
_V2 = """
        CREATE TABLE block_targets (
            id INTEGER PRIMARY KEY,
            target BLOB NOT NULL,            -- sealed canonical target text
            kind TEXT NOT NULL,
            platform TEXT,
            handle BLOB,                     -- sealed
            domains TEXT NOT NULL,           -- JSON list; the same names the hosts file holds
            added_us INTEGER NOT NULL
        );
        CREATE TABLE gate_apps (
            id INTEGER PRIMARY KEY,
            spec TEXT NOT NULL UNIQUE,       -- preset id, executable name or path
            added_us INTEGER NOT NULL
        );
"""

# The journal (issue 5): unsent messages and daily check-ins. Bodies and notes are sealed.
# A deleted message is really deleted (no flag): the person asked for it to be gone.
_V3 = """
        CREATE TABLE unsent_messages (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            body BLOB NOT NULL,              -- sealed
            created_us INTEGER NOT NULL,
            sealed_until_us INTEGER          -- NULL: readable at any time
        );
        CREATE INDEX unsent_messages_created ON unsent_messages (created_us);
        CREATE TABLE check_ins (
            day TEXT PRIMARY KEY,            -- local date (YYYY-MM-DD) in the zone in force
            at_us INTEGER NOT NULL,
            tz TEXT NOT NULL,
            intensity INTEGER NOT NULL CHECK (intensity BETWEEN 0 AND 10),
            note BLOB                        -- sealed
        );
"""

# The commitment (issue 11): a target the person asked to unblock stays listed while the helper
# still blocks it (a pending removal); the row goes once the helper no longer holds its names.
_V4 = """
        ALTER TABLE block_targets ADD COLUMN removal_requested_us INTEGER;  -- NULL: wanted
        ALTER TABLE block_targets ADD COLUMN removal_due_us INTEGER;  -- as the helper last said
"""

# Issue 14: the domain names of a target are sealed too (a personal site names a person). SQL
# cannot seal, so the column is added here and the names are moved into it, sealed, the first
# time the list is read with the key (core/blocking/blocklist.py); the plain column is then
# emptied, and migration backups taken before that are scrubbed of it.
_V5 = """
        ALTER TABLE block_targets ADD COLUMN sealed_domains BLOB;  -- sealed JSON list
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5)
LATEST_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The version stored in the database (0 for a new file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def backup_path(db_path: Path, version: int) -> Path:
    """Where the copy taken before migrating from ``version`` goes."""
    return db_path.with_name(f"{db_path.name}.v{version}-backup")


def migrate(conn: sqlite3.Connection, db_path: Path | None) -> int:
    """Bring the database to :data:`LATEST_VERSION`; returns the version it had.

    Each migration runs in its own transaction together with its version bump. A database
    newer than this code is refused rather than touched.
    """
    found = schema_version(conn)
    if found > LATEST_VERSION:
        raise RuntimeError(
            f"the database is from a newer version of No Contact (schema {found}, "
            f"this version knows {LATEST_VERSION}); please update the app"
        )
    if found == LATEST_VERSION:
        return found
    if found > 0 and db_path is not None:
        target = backup_path(db_path, found)
        target.unlink(missing_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))  # never readable
        backup_conn = sqlite3.connect(target)
        try:
            conn.backup(backup_conn)
        finally:
            backup_conn.close()
    for version in range(found + 1, LATEST_VERSION + 1):
        # executescript() commits anything pending first, so the script opens its own transaction.
        script = (
            f"BEGIN IMMEDIATE;\n{MIGRATIONS[version - 1]}\n"
            f"PRAGMA user_version = {version};\nCOMMIT;"
        )
        try:
            conn.executescript(script)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return found
