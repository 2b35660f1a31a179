"""The journal: unsent messages (sealing by the clock, delete), check-ins, export, migration."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.journal.entries import (
    Journal,
    check_intensity,
    parse_check_in_time,
)
from nocontact_desktop.core.journal.urge import SEAL_24_HOURS, SEAL_30_DAYS
from nocontact_desktop.core.paths import DB_FILE_NAME
from nocontact_desktop.core.storage import schema
from nocontact_desktop.core.storage.export import (
    export_data,
    import_data,
    read_export,
    write_export,
)
from nocontact_desktop.core.storage.store import Store, SupportPerson, connect, open_store
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.core.streak.tracker import Tracker
from tests.helpers.fakes import clock_at, fixed_key_sealer

SECRET = "I would write to you that the dog still waits by the door"




def test_unsent_message_is_kept_sealed_and_opens_when_the_clock_passes(
    store: Store, clock: ManualClock, data_dir: Path
) -> None:
    journal = Journal(store, clock)
    kept = journal.add_unsent(f"  {SECRET}  ")
    assert kept.text == SECRET and not kept.sealed
    clock.advance(timedelta(minutes=1))
    day = journal.add_unsent("sealed for a day", SEAL_24_HOURS)
    assert day.sealed and day.text is None
    assert day.sealed_until == clock.now() + timedelta(hours=24)
    clock.advance(timedelta(minutes=1))
    month = journal.add_unsent("sealed for a month", SEAL_30_DAYS)

    listed = journal.unsent_messages()
    assert [m.uid for m in listed] == [month.uid, day.uid, kept.uid]  # newest first
    assert [m.text for m in listed] == [None, None, SECRET]

    clock.advance(timedelta(hours=23, minutes=58))  # one minute before the day seal opens
    assert journal.unsent_messages()[1].text is None
    clock.advance(timedelta(minutes=1))
    assert journal.unsent_messages()[1].text == "sealed for a day"
    assert journal.unsent_messages()[0].text is None
    clock.advance(timedelta(days=30))
    assert journal.unsent_messages()[0].text == "sealed for a month"

    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = (data_dir / DB_FILE_NAME).read_bytes()
    assert SECRET.encode() not in raw and b"sealed for a" not in raw


def test_sealed_text_is_not_even_decrypted_before_its_time(
    store: Store, clock: ManualClock
) -> None:
    journal = Journal(store, clock)
    journal.add_unsent("closed", SEAL_30_DAYS)
    opened: list[str] = []
    real = store.unseal
    store.unseal = lambda blob, purpose: opened.append(purpose) or real(blob, purpose)  # type: ignore[method-assign]
    assert journal.unsent_messages()[0].text is None
    assert opened == []


def test_delete_is_real_and_empty_or_huge_messages_are_refused(
    store: Store, clock: ManualClock, data_dir: Path
) -> None:
    journal = Journal(store, clock)
    message = journal.add_unsent(SECRET, SEAL_24_HOURS)
    assert journal.delete_unsent(message.uid)
    assert not journal.delete_unsent(message.uid)
    assert journal.unsent_messages() == []
    assert store.connection.execute("SELECT COUNT(*) FROM unsent_messages").fetchone()[0] == 0
    wal = data_dir / (DB_FILE_NAME + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # truncated after the delete
    with pytest.raises(BadInput, match="message: it is empty"):
        journal.add_unsent("   \n ")
    with pytest.raises(BadInput, match="too long"):
        journal.add_unsent("x" * 50_001)


def test_check_in_one_per_local_day_replaced_and_validated(
    store: Store, clock: ManualClock
) -> None:
    journal = Journal(store, clock)
    assert not journal.checked_in_today()
    first = journal.record_check_in(7, "  a hard evening ")
    assert first.day == date(2026, 3, 8)  # 02:10 in Berlin, 01:10 UTC: the local date
    assert first.note == "a hard evening"
    assert journal.checked_in_today()
    journal.record_check_in(4, "")
    again = journal.check_in_on(date(2026, 3, 8))
    assert again is not None and (again.intensity, again.note) == (4, None)
    clock.advance(timedelta(days=1))
    assert not journal.checked_in_today()
    journal.record_check_in(0)
    assert journal.intensities() == {date(2026, 3, 8): 4, date(2026, 3, 9): 0}
    assert journal.intensities(first=date(2026, 3, 9)) == {date(2026, 3, 9): 0}
    assert [c.intensity for c in journal.check_ins()] == [4, 0]
    for bad in (-1, 11, True, 2.5):
        with pytest.raises(BadInput, match="intensity"):
            journal.record_check_in(bad)  # type: ignore[arg-type]
    assert check_intensity(10) == 10


def test_check_in_time_setting_parses() -> None:
    assert parse_check_in_time("21:00") == (21, 0)
    assert parse_check_in_time(" 7:05 ") == (7, 5)
    for bad in ("24:00", "21", "21:5", "ab:cd", "-1:00", ""):
        with pytest.raises(BadInput, match="check-in time"):
            parse_check_in_time(bad)


def fill(store: Store, clock: ManualClock) -> None:
    tracker = Tracker(store, clock)
    journal = Journal(store, clock)
    tracker.start(clock.now() - timedelta(days=40), note="the day I left")
    tracker.log(EventKind.URGE, note="3am, almost")
    tracker.log(EventKind.LOGISTICS, note="Re: Mia pickup")
    store.set_list_items("reasons", ["I deserve peace"])
    store.set_list_items("remember", ["The night of the broken plate"])
    store.set_list_items("instead", ["Walk to the river"])
    store.set_support_people([SupportPerson("Ana", "+1 555 0100")])
    journal.add_unsent(SECRET)
    journal.add_unsent("still sealed", SEAL_30_DAYS)
    journal.record_check_in(8, "rough")
    clock.advance(timedelta(days=1))
    journal.record_check_in(3)


def test_export_import_round_trip_loses_nothing(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    fill(store, clock)
    path = tmp_path / "export.json"
    write_export(store, path, clock.now())
    data = json.loads(path.read_text())
    assert [m["text"] for m in data["unsent_messages"]] == [SECRET, "still sealed"]
    assert data["unsent_messages"][1]["sealed_until"] is not None
    assert [(c["intensity"], c["note"]) for c in data["check_ins"]] == [(8, "rough"), (3, None)]

    other = open_store(tmp_path / "other", fixed_key_sealer)
    added = import_data(other, read_export(path), clock.now())
    assert added["unsent_messages"] == 2 and added["check_ins"] == 2
    again = import_data(other, read_export(path), clock.now())
    assert again["unsent_messages"] == 0 and again["check_ins"] == 0 and again["events"] == 0
    first = export_data(store, clock.now())
    second = export_data(other, clock.now())
    assert first == second
    journal = Journal(other, clock)
    assert journal.unsent_messages()[0].text is None  # still sealed after the round trip
    other.close()


def test_older_export_without_journal_keys_still_imports(
    store: Store, clock: ManualClock, tmp_path: Path
) -> None:
    old = {
        "format": "nocontact-export",
        "version": 1,
        "exported_at": clock.now().isoformat(),
        "events": [
            {"uid": "a1", "kind": "start", "at": "2026-01-01T10:00:00+00:00", "tz": "UTC"}
        ],
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    added = import_data(store, read_export(path), clock.now())
    assert added == {"events": 1, "unsent_messages": 0, "check_ins": 0}


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("unsent_messages", {"x": 1}, "must be a list"),
        ("unsent_messages", [{"uid": "u", "created_at": "2026-01-01T00:00:00+00:00"}], "text"),
        (
            "unsent_messages",
            [{"uid": "u", "text": "hi", "created_at": "2026-01-01T00:00:00"}],
            "created_at",
        ),
        (
            "unsent_messages",
            [{"uid": "u", "text": "hi", "created_at": "2026-01-01T00:00:00+00:00",
              "sealed_until": "soon"}],
            "sealed_until",
        ),
        ("check_ins", [{"day": "2026-02-30", "at": "2026-01-01T00:00:00+00:00",
                        "intensity": 3}], "is not a date"),
        ("check_ins", [{"day": "2026-02-03", "at": "2026-01-01T00:00:00+00:00",
                        "intensity": 11}], "intensity"),
        ("check_ins", [{"day": "2026-02-03", "at": "2026-01-01T00:00:00+00:00",
                        "intensity": 1, "note": 5}], "note"),
    ],
)
def test_bad_journal_keys_are_refused_before_anything_is_written(
    tmp_path: Path, key: str, value: object, reason: str
) -> None:
    data = {"format": "nocontact-export", "version": 1, "events": [], key: value}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BadInput, match=reason):
        read_export(path)


def test_migration_from_v2_adds_the_journal_and_keeps_data(data_dir: Path) -> None:
    db = data_dir / DB_FILE_NAME
    conn = connect(db)
    conn.executescript(
        f"BEGIN; {schema.MIGRATIONS[0]} {schema.MIGRATIONS[1]} PRAGMA user_version = 2; COMMIT;"
    )
    conn.execute(
        "INSERT INTO events (uid, kind, at_us, tz, recorded_us) VALUES ('a', 'start', 1, 'UTC', 1)"
    )
    conn.close()
    store = open_store(data_dir, fixed_key_sealer)
    assert schema.schema_version(store.connection) >= 3
    assert [e.uid for e in store.events()] == ["a"]
    with sqlite3.connect(schema.backup_path(db, 2)) as old:
        assert old.execute("PRAGMA user_version").fetchone()[0] == 2
    old.close()
    Journal(store, clock_at("2026-03-08T02:10:00+00:00")).record_check_in(5)
    store.close()
