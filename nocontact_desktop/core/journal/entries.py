"""The person's journal: unsent messages and daily check-ins (issue 5, DESIGN §6, §8).

Bodies and notes are sealed by the store's sealer like all free text. A message sealed for
24 hours or 30 days is not even decrypted before its time: :meth:`Journal.unsent_messages`
hands back only "sealed until …". Deleting a message deletes the row and overwrites the
freed pages (``secure_delete``), then truncates the WAL when no reader holds it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.journal.urge import is_readable, sealed_until
from nocontact_desktop.core.storage.store import Store, from_us, to_us

MAX_MESSAGE_CHARS: Final = 50_000
MAX_CHECK_IN_NOTE_CHARS: Final = 20_000
MIN_INTENSITY: Final = 0
MAX_INTENSITY: Final = 10

# Settings key of the daily check-in: "HH:MM" in the person's local time, or null (off).
# Off by default: a dialog that appears by itself could be seen by someone else at the
# screen, so the person chooses to have it (Settings) and when.
CHECK_IN_SETTING: Final = "daily_check_in"
SUGGESTED_CHECK_IN_TIME: Final = "21:00"  # evenings are often the hardest

UNSENT_PURPOSE: Final = "unsent.body"
CHECK_IN_PURPOSE: Final = "checkin.note"


@dataclass(frozen=True)
class UnsentMessage:
    """A message written instead of sent. ``text`` is None while it is sealed."""

    uid: str
    created_at: datetime
    sealed_until: datetime | None
    text: str | None

    @property
    def sealed(self) -> bool:
        """Whether the text is being kept closed right now."""
        return self.text is None


@dataclass(frozen=True)
class CheckIn:
    """How strong the pull was on a day (0-10), with an optional note."""

    day: date
    at: datetime
    tz: str
    intensity: int
    note: str | None = None


def check_intensity(value: int) -> int:
    """``value`` if it is a pull strength 0-10, else :class:`BadInput`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"intensity {value!r}: must be a whole number from 0 to 10")
    if not MIN_INTENSITY <= value <= MAX_INTENSITY:
        raise BadInput(f"intensity {value}: must be from {MIN_INTENSITY} to {MAX_INTENSITY}")
    return value


def parse_check_in_time(text: str) -> tuple[int, int]:
    """``(hour, minute)`` of an ``HH:MM`` time, else :class:`BadInput` naming it."""
    hour_text, sep, minute_text = text.strip().partition(":")
    if (
        sep
        and hour_text.isdigit()
        and minute_text.isdigit()
        and len(minute_text) == 2
        and 0 <= int(hour_text) <= 23
        and 0 <= int(minute_text) <= 59
    ):
        return int(hour_text), int(minute_text)
    raise BadInput(f"check-in time {text!r}: expected HH:MM, e.g. 21:00")


class Journal:
    """Unsent messages and check-ins of one store, at the moments ``clock`` gives."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- unsent messages --------------------------------------------------------------------

    def add_unsent(self, text: str, seal_for: timedelta | None = None) -> UnsentMessage:
        """Keep ``text`` (optionally sealed for ``seal_for``); it is durable on return."""
        body = text.strip()
        if not body:
            raise BadInput("message: it is empty; write something first")
        if len(body) > MAX_MESSAGE_CHARS:
            raise BadInput(
                f"message: too long ({len(body)} characters, at most {MAX_MESSAGE_CHARS})"
            )
        now = self.clock.now()
        until = sealed_until(now, seal_for)
        uid = uuid.uuid4().hex
        blob = self.store.seal(body, UNSENT_PURPOSE)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO unsent_messages (uid, body, created_us, sealed_until_us)"
                " VALUES (?, ?, ?, ?)",
                (uid, blob, to_us(now), None if until is None else to_us(until)),
            )
        return UnsentMessage(uid, now, until, body if is_readable(until, now) else None)

    def unsent_messages(self) -> list[UnsentMessage]:
        """All kept messages, newest first; sealed ones without their text."""
        now = self.clock.now()
        rows = self.store.connection.execute(
            "SELECT uid, body, created_us, sealed_until_us FROM unsent_messages"
            " ORDER BY created_us DESC, id DESC"
        ).fetchall()
        result = []
        for uid, blob, created_us, until_us in rows:
            until = None if until_us is None else from_us(until_us)
            text = self.store.unseal(blob, UNSENT_PURPOSE) if is_readable(until, now) else None
            result.append(UnsentMessage(uid, from_us(created_us), until, text))
        return result

    def all_unsent_for_export(self) -> list[UnsentMessage]:
        """See :func:`read_all_unsent`."""
        return read_all_unsent(self.store)

    def delete_unsent(self, uid: str) -> bool:
        """Delete a message for good; False if there was none with that uid."""
        conn = self.store.connection
        previous = int(conn.execute("PRAGMA secure_delete").fetchone()[0])
        conn.execute("PRAGMA secure_delete = ON")  # zero the freed pages, not just unlink
        try:
            with self.store.transaction():
                cur = conn.execute("DELETE FROM unsent_messages WHERE uid = ?", (uid,))
                removed = cur.rowcount == 1
        finally:
            conn.execute(f"PRAGMA secure_delete = {previous}")
        if removed:
            # Older copies of the pages live in the WAL until a checkpoint; ask for one. If
            # another connection is reading, this does what it can and SQLite finishes later.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return removed

    # -- check-ins --------------------------------------------------------------------------

    def today(self) -> date:
        """The person's local date now."""
        return self.clock.now().astimezone(self.clock.zone()).date()

    def record_check_in(self, intensity: int, note: str | None = None) -> CheckIn:
        """Today's check-in; a second one on the same day replaces the first."""
        check_intensity(intensity)
        cleaned = (note or "").strip() or None
        if cleaned is not None and len(cleaned) > MAX_CHECK_IN_NOTE_CHARS:
            raise BadInput(
                f"note: too long ({len(cleaned)} characters, at most {MAX_CHECK_IN_NOTE_CHARS})"
            )
        now = self.clock.now()
        zone = self.clock.zone()
        day = now.astimezone(zone).date()
        blob = None if cleaned is None else self.store.seal(cleaned, CHECK_IN_PURPOSE)
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO check_ins (day, at_us, tz, intensity, note)"
                " VALUES (?, ?, ?, ?, ?)",
                (day.isoformat(), to_us(now), zone.key, intensity, blob),
            )
        return CheckIn(day, now, zone.key, intensity, cleaned)

    def check_in_on(self, day: date) -> CheckIn | None:
        """The check-in of ``day``, with its note, or None."""
        row = self.store.connection.execute(
            "SELECT day, at_us, tz, intensity, note FROM check_ins WHERE day = ?",
            (day.isoformat(),),
        ).fetchone()
        return None if row is None else self._check_in(row, with_note=True)

    def checked_in_today(self) -> bool:
        """Whether there is a check-in for today's local date."""
        row = self.store.connection.execute(
            "SELECT 1 FROM check_ins WHERE day = ?", (self.today().isoformat(),)
        ).fetchone()
        return row is not None

    def check_ins(self, *, with_notes: bool = False) -> list[CheckIn]:
        """Every check-in, oldest first (notes opened only when asked for)."""
        return read_check_ins(self.store, with_notes=with_notes)

    def intensities(self, first: date | None = None, last: date | None = None) -> dict[date, int]:
        """See :func:`read_intensities`."""
        return read_intensities(self.store, first, last)

    def _check_in(self, row: _CheckInRow, *, with_note: bool) -> CheckIn:
        return _to_check_in(self.store, row, with_note=with_note)


_CheckInRow = tuple[str, int, str, int, bytes | None]


def _to_check_in(store: Store, row: _CheckInRow, *, with_note: bool) -> CheckIn:
    day, at_us, tz, intensity, blob = row
    note = store.unseal(blob, CHECK_IN_PURPOSE) if with_note and blob is not None else None
    return CheckIn(date.fromisoformat(day), from_us(at_us), tz, int(intensity), note)


def read_all_unsent(store: Store) -> list[UnsentMessage]:
    """Every message *with* its text, sealed or not, oldest first.

    Only for an export the person asked for (the round trip must lose nothing); the window
    uses :meth:`Journal.unsent_messages`, which keeps sealed text closed.
    """
    rows = store.connection.execute(
        "SELECT uid, body, created_us, sealed_until_us FROM unsent_messages"
        " ORDER BY created_us, id"
    ).fetchall()
    return [
        UnsentMessage(
            uid,
            from_us(created_us),
            None if until_us is None else from_us(until_us),
            store.unseal(blob, UNSENT_PURPOSE),
        )
        for uid, blob, created_us, until_us in rows
    ]


def read_check_ins(store: Store, *, with_notes: bool = False) -> list[CheckIn]:
    """Every check-in, oldest first (notes opened only when asked for)."""
    rows = store.connection.execute(
        "SELECT day, at_us, tz, intensity, note FROM check_ins ORDER BY day"
    ).fetchall()
    return [_to_check_in(store, row, with_note=with_notes) for row in rows]


def read_intensities(
    store: Store, first: date | None = None, last: date | None = None
) -> dict[date, int]:
    """Pull strength per day in ``[first, last]`` (cheap: no note is opened)."""
    sql = "SELECT day, intensity FROM check_ins"
    where: list[str] = []
    params: list[str] = []
    if first is not None:
        where.append("day >= ?")
        params.append(first.isoformat())
    if last is not None:
        where.append("day <= ?")
        params.append(last.isoformat())
    if where:
        sql += " WHERE " + " AND ".join(where)
    rows: Iterable[tuple[str, int]] = store.connection.execute(sql, params)
    return {date.fromisoformat(day): int(value) for day, value in rows}
