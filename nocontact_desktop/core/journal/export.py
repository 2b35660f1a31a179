"""The journal's part of the export file: unsent messages and check-ins (core/export.py).

Both keys are optional on import, so exports written before the journal existed still
import. The export holds every message in the clear, sealed ones too, with their
``sealed_until``: the person asked for a complete, readable copy, and a round trip must
lose nothing. Import merges: messages by uid, check-ins by day (a day already checked in
here keeps its own answer).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from nocontact_desktop.core.journal.entries import (
    CHECK_IN_PURPOSE,
    MAX_CHECK_IN_NOTE_CHARS,
    MAX_INTENSITY,
    MAX_MESSAGE_CHARS,
    MIN_INTENSITY,
    UNSENT_PURPOSE,
    read_all_unsent,
    read_check_ins,
)
from nocontact_desktop.core.storage.store import Store, to_us

UNSENT_KEY = "unsent_messages"
CHECK_INS_KEY = "check_ins"


def export_journal(store: Store) -> dict[str, Any]:
    """The journal keys of an export, ready for JSON."""
    return {
        UNSENT_KEY: [
            {
                "uid": m.uid,
                "created_at": m.created_at.isoformat(),
                "sealed_until": None if m.sealed_until is None else m.sealed_until.isoformat(),
                "text": m.text,
            }
            for m in read_all_unsent(store)
        ],
        CHECK_INS_KEY: [
            {
                "day": c.day.isoformat(),
                "at": c.at.isoformat(),
                "tz": c.tz,
                "intensity": c.intensity,
                "note": c.note,
            }
            for c in read_check_ins(store, with_notes=True)
        ],
    }


def validate_journal(data: dict[str, Any], fail: Callable[[str], Exception]) -> None:
    """Check the journal keys of an export (adding empty ones when absent); raise ``fail``."""
    data.setdefault(UNSENT_KEY, [])
    data.setdefault(CHECK_INS_KEY, [])
    messages = data[UNSENT_KEY]
    if not isinstance(messages, list):
        raise fail(f'"{UNSENT_KEY}" must be a list')
    seen: set[str] = set()
    for index, message in enumerate(messages):
        label = f"{UNSENT_KEY}[{index}]"
        if not isinstance(message, dict):
            raise fail(f"{label} is not an object")
        uid = message.get("uid")
        if not isinstance(uid, str) or not uid or len(uid) > 64 or uid in seen:
            raise fail(f"{label}.uid is missing, too long or repeated")
        seen.add(uid)
        text = message.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE_CHARS:
            raise fail(f"{label}.text must be text of 1 to {MAX_MESSAGE_CHARS} characters")
        _require_instant(message.get("created_at"), f"{label}.created_at", fail)
        if message.get("sealed_until") is not None:
            _require_instant(message["sealed_until"], f"{label}.sealed_until", fail)
    check_ins = data[CHECK_INS_KEY]
    if not isinstance(check_ins, list):
        raise fail(f'"{CHECK_INS_KEY}" must be a list')
    days: set[str] = set()
    for index, entry in enumerate(check_ins):
        label = f"{CHECK_INS_KEY}[{index}]"
        if not isinstance(entry, dict):
            raise fail(f"{label} is not an object")
        day = entry.get("day")
        try:
            parsed = date.fromisoformat(day) if isinstance(day, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.isoformat() != day or day in days:
            raise fail(f"{label}.day {day!r} is not a date (YYYY-MM-DD) or is repeated")
        days.add(day)
        _require_instant(entry.get("at"), f"{label}.at", fail)
        intensity = entry.get("intensity")
        if (
            isinstance(intensity, bool)
            or not isinstance(intensity, int)
            or not MIN_INTENSITY <= intensity <= MAX_INTENSITY
        ):
            raise fail(f"{label}.intensity must be a whole number from 0 to 10")
        tz = entry.get("tz", "UTC")
        if not isinstance(tz, str) or not tz or len(tz) > 64:
            raise fail(f"{label}.tz must be a time zone name")
        note = entry.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > MAX_CHECK_IN_NOTE_CHARS):
            raise fail(f"{label}.note must be text of at most {MAX_CHECK_IN_NOTE_CHARS} characters")


def _require_instant(value: Any, label: str, fail: Callable[[str], Exception]) -> None:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise fail(f"{label} {value!r} is not an ISO 8601 instant with offset")


@dataclass(frozen=True)
class JournalImport:
    """Journal rows of an export, already sealed, to write inside the import's transaction."""

    messages: list[tuple[str, bytes, int, int | None]]
    check_ins: list[tuple[str, int, str, int, bytes | None]]

    def write(self, conn: sqlite3.Connection) -> dict[str, int]:
        """Insert what is new (call inside a transaction); returns how many of each."""
        before_messages = _count(conn, "unsent_messages")
        before_check_ins = _count(conn, "check_ins")
        conn.executemany(
            "INSERT OR IGNORE INTO unsent_messages (uid, body, created_us, sealed_until_us)"
            " VALUES (?, ?, ?, ?)",
            self.messages,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO check_ins (day, at_us, tz, intensity, note)"
            " VALUES (?, ?, ?, ?, ?)",
            self.check_ins,
        )
        return {
            UNSENT_KEY: _count(conn, "unsent_messages") - before_messages,
            CHECK_INS_KEY: _count(conn, "check_ins") - before_check_ins,
        }


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608


def prepare_journal_import(store: Store, data: dict[str, Any]) -> JournalImport:
    """Seal the journal rows of validated export ``data`` that this store lacks."""
    conn = store.connection
    known_uids = {str(r[0]) for r in conn.execute("SELECT uid FROM unsent_messages")}
    known_days = {str(r[0]) for r in conn.execute("SELECT day FROM check_ins")}
    messages = [
        (
            m["uid"],
            store.seal(m["text"].strip(), UNSENT_PURPOSE),
            to_us(datetime.fromisoformat(m["created_at"])),
            None
            if m.get("sealed_until") is None
            else to_us(datetime.fromisoformat(m["sealed_until"])),
        )
        for m in data[UNSENT_KEY]
        if m["uid"] not in known_uids
    ]
    check_ins = [
        (
            c["day"],
            to_us(datetime.fromisoformat(c["at"])),
            c.get("tz") or "UTC",
            c["intensity"],
            store.seal(c["note"], CHECK_IN_PURPOSE) if c.get("note") else None,
        )
        for c in data[CHECK_INS_KEY]
        if c["day"] not in known_days
    ]
    return JournalImport(messages, check_ins)
