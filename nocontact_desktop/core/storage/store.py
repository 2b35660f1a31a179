"""The SQLite store (DESIGN §8): one file, WAL, mode 0600, free text sealed.

The connection is passed in (so tests can hand in their own); :func:`open_store` makes the
usual one. Every write is one committed transaction with ``synchronous=FULL``: a crash or
``kill -9`` at any moment loses no event whose ``add_event`` call returned.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nocontact_desktop.core.paths import DB_FILE_NAME, ensure_private_dir
from nocontact_desktop.core.storage.schema import migrate
from nocontact_desktop.core.streak.events import Event, EventKind, new_uid

if TYPE_CHECKING:
    from types import ModuleType

    from nocontact_desktop.core.storage.sealing import TextSealer  # the cipher loads on use

LIST_NAMES: tuple[str, ...] = ("reasons", "remember", "instead")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(at: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (exact, no float rounding)."""
    delta = at.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """The aware UTC datetime for microseconds since the epoch."""
    from datetime import timedelta  # noqa: PLC0415

    return _EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class SupportPerson:
    """Someone to call instead: a name and how to reach them (phone, link, ...)."""

    name: str
    reach: str


SealerFactory = Callable[[], "TextSealer"]


class Store:
    """Typed access to the database. Free text goes through the sealer, opened lazily.

    ``sealer`` is a factory so that commands that never touch free text (``status``) do not
    need the keyring.
    """

    def __init__(
        self, conn: sqlite3.Connection, sealer: SealerFactory, path: Path | None = None
    ) -> None:
        self._conn = conn
        self._sealer_factory = sealer
        self._sealer: TextSealer | None = None
        self.path = path

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        """The underlying connection (for export/import and tests)."""
        return self._conn

    def sealer(self) -> TextSealer:
        """The sealer, created on first use."""
        if self._sealer is None:
            self._sealer = self._sealer_factory()
        return self._sealer

    def use_sealer(self, sealer: TextSealer) -> None:
        """Seal and open with ``sealer`` from now on (after the key moved)."""
        self._sealer = sealer

    def seal(self, text: str, purpose: str) -> bytes:
        """Seal free text for a column; ``purpose`` binds the blob to that column."""
        return self.sealer().seal(text, purpose=purpose)

    def unseal(self, blob: bytes, purpose: str) -> str:
        """Open a blob sealed by :meth:`seal` with the same purpose."""
        return self.sealer().open(bytes(blob), purpose=purpose)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: ``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any error)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    # -- meta and settings ------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        """A value from the meta table."""
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a meta value."""
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def data_id(self) -> str:
        """A random id of this data folder (names its keyring entry); made on first use."""
        existing = self.meta("data_id")
        if existing:
            return existing
        import secrets  # noqa: PLC0415 - loaded once, when a data folder first needs an id

        new = secrets.token_hex(16)
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('data_id', ?)", (new,))
        found = self.meta("data_id")
        assert found is not None
        return found

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def setting(self, key: str, default: Any = None) -> Any:
        """A JSON setting, or ``default`` when unset."""
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return default if row is None else _json().loads(row[0])

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable setting."""
        encoded = _json().dumps(value)
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, encoded)
            )

    def settings(self) -> dict[str, Any]:
        """All settings."""
        rows = self._conn.execute("SELECT key, value FROM settings ORDER BY key").fetchall()
        json = _json()
        return {str(k): json.loads(v) for k, v in rows}

    # -- events -----------------------------------------------------------------------------

    def add_event(
        self,
        kind: EventKind,
        at: datetime,
        *,
        tz: str,
        note: str | None = None,
        outcome: str | None = None,
        subject: str | None = None,
        recorded_at: datetime,
        uid: str | None = None,
    ) -> Event:
        """Record an event; it is durable when this returns."""
        sealed = self.seal(note, "event.note") if note else None
        event_uid = uid or new_uid()
        recorded = recorded_at
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO events (uid, kind, at_us, tz, note, outcome, subject, recorded_us)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (event_uid, kind.value, to_us(at), tz, sealed, outcome, subject, to_us(recorded)),
            )
            seq = int(cur.lastrowid or 0)
        return Event(kind, at.astimezone(UTC), note, tz, seq, event_uid, outcome, subject)

    def has_event(self, uid: str) -> bool:
        """Whether an event with this uid exists (import de-duplicates on it)."""
        row = self._conn.execute("SELECT 1 FROM events WHERE uid = ?", (uid,)).fetchone()
        return row is not None

    def events(
        self,
        kinds: Iterable[EventKind] | None = None,
        *,
        since: datetime | None = None,
        with_notes: bool = False,
    ) -> list[Event]:
        """Events in recording order, optionally only some kinds or since an instant."""
        where: list[str] = []
        params: list[object] = []
        if kinds is not None:
            kind_list = [k.value for k in kinds]
            where.append(f"kind IN ({','.join('?' * len(kind_list))})")
            params.extend(kind_list)
        if since is not None:
            where.append("at_us >= ?")
            params.append(to_us(since))
        columns = "seq, uid, kind, at_us, tz, outcome, subject" + (", note" if with_notes else "")
        sql = f"SELECT {columns} FROM events"  # noqa: S608 - only fixed column and '?' text
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY seq"
        result: list[Event] = []
        for row in self._conn.execute(sql, params):
            note = None
            if with_notes and row[7] is not None:
                note = self.unseal(row[7], "event.note")
            result.append(
                Event(
                    kind=EventKind(row[2]),
                    at=from_us(row[3]),
                    note=note,
                    tz=row[4],
                    seq=row[0],
                    uid=row[1],
                    outcome=row[5],
                    subject=row[6],
                )
            )
        return result

    def reset_events(self) -> list[Event]:
        """Only the events that move the start of the count (cheap: indexed, no notes)."""
        return self.events((EventKind.START, EventKind.CONTACT))

    def count_by_kind(self, since: datetime | None = None) -> dict[EventKind, int]:
        """How many events of each kind (since an instant, if given)."""
        sql = "SELECT kind, COUNT(*) FROM events"
        params: tuple[object, ...] = ()
        if since is not None:
            sql += " WHERE at_us >= ?"
            params = (to_us(since),)
        counts = {kind: 0 for kind in EventKind}
        for kind, count in self._conn.execute(sql + " GROUP BY kind", params):
            counts[EventKind(kind)] = int(count)
        return counts

    def count_outcomes(self, kind: EventKind, since: datetime | None = None) -> dict[str, int]:
        """How many events of ``kind`` per outcome (e.g. blocked attempts turned away)."""
        sql = "SELECT outcome, COUNT(*) FROM events WHERE kind = ?"
        params: list[object] = [kind.value]
        if since is not None:
            sql += " AND at_us >= ?"
            params.append(to_us(since))
        rows = self._conn.execute(sql + " GROUP BY outcome", params).fetchall()
        return {str(outcome): int(count) for outcome, count in rows}

    # -- the person's lists -----------------------------------------------------------------

    def list_items(self, name: str) -> list[str]:
        """A list the person wrote (``reasons``, ``remember`` or ``instead``), in order."""
        _check_list(name)
        rows = self._conn.execute(
            "SELECT body FROM list_items WHERE list = ? ORDER BY position, id", (name,)
        ).fetchall()
        return [self.unseal(row[0], f"list.{name}") for row in rows]

    def set_list_items(self, name: str, items: Sequence[str]) -> None:
        """Replace a list with ``items`` (blank items dropped)."""
        _check_list(name)
        cleaned = [item.strip() for item in items if item.strip()]
        sealed = [self.seal(item, f"list.{name}") for item in cleaned]
        with self.transaction() as conn:
            conn.execute("DELETE FROM list_items WHERE list = ?", (name,))
            conn.executemany(
                "INSERT INTO list_items (list, position, body) VALUES (?, ?, ?)",
                [(name, pos, blob) for pos, blob in enumerate(sealed)],
            )

    def support_people(self) -> list[SupportPerson]:
        """The person's support people, in order."""
        rows = self._conn.execute(
            "SELECT name, reach FROM support_people ORDER BY position, id"
        ).fetchall()
        return [
            SupportPerson(self.unseal(n, "support.name"), self.unseal(r, "support.reach"))
            for n, r in rows
        ]

    def set_support_people(self, people: Sequence[SupportPerson]) -> None:
        """Replace the support people (entries without a name are dropped)."""
        kept = [p for p in people if p.name.strip()]
        sealed = [
            (self.seal(p.name.strip(), "support.name"), self.seal(p.reach.strip(), "support.reach"))
            for p in kept
        ]
        with self.transaction() as conn:
            conn.execute("DELETE FROM support_people")
            conn.executemany(
                "INSERT INTO support_people (position, name, reach) VALUES (?, ?, ?)",
                [(pos, n, r) for pos, (n, r) in enumerate(sealed)],
            )

    # -- milestones -------------------------------------------------------------------------

    def milestone_notified(self, streak_start: datetime, days: int) -> bool:
        """Whether the notification for this milestone of this streak was shown already."""
        row = self._conn.execute(
            "SELECT 1 FROM milestones_notified WHERE streak_start_us = ? AND days = ?",
            (to_us(streak_start), days),
        ).fetchone()
        return row is not None

    def mark_milestone_notified(self, streak_start: datetime, days: int, at: datetime) -> bool:
        """Remember a milestone as shown; False if another process marked it first."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO milestones_notified (streak_start_us, days, notified_us)"
                " VALUES (?, ?, ?)",
                (to_us(streak_start), days, to_us(at)),
            )
            return cur.rowcount == 1

    def milestones_notified(self) -> list[tuple[datetime, int, datetime]]:
        """Every milestone notification shown: (streak start, days, when)."""
        rows = self._conn.execute(
            "SELECT streak_start_us, days, notified_us FROM milestones_notified ORDER BY 3"
        ).fetchall()
        return [(from_us(s), int(d), from_us(n)) for s, d, n in rows]


def _json() -> ModuleType:
    # json loads with the first setting read, not with every store (``status`` reads none).
    import json  # noqa: PLC0415

    return json


def _check_list(name: str) -> None:
    if name not in LIST_NAMES:
        raise ValueError(f"unknown list {name!r}")


def connect(db_path: Path) -> sqlite3.Connection:
    """Open (creating if needed, mode 0600) the database with the pragmas the store relies on."""
    ensure_private_dir(db_path.parent)
    if not db_path.exists():
        # Create the file ourselves so it is never world-readable, not even for an instant.
        fd = os.open(db_path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        os.close(fd)
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=10.0)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")  # durable at COMMIT, even on power loss
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    _private_sidecars(db_path)
    return conn


def _private_sidecars(db_path: Path) -> None:
    # SQLite creates -wal and -shm with the main file's mode, but be explicit.
    for suffix in ("-wal", "-shm"):
        side = db_path.with_name(db_path.name + suffix)
        if side.exists():
            side.chmod(0o600)


def open_store(data_dir: Path, sealer: SealerFactory) -> Store:
    """Open the store in ``data_dir``, migrating (with a backup first) if needed."""
    db_path = data_dir / DB_FILE_NAME
    conn = connect(db_path)
    migrate(conn, db_path)
    return Store(conn, sealer, db_path)
