"""Export everything to one JSON file and import it back (DESIGN §8).

The export holds free text in the clear (the person asked for a readable file): the CLI and
the UI warn about that. Import validates the whole file before it writes anything, then writes
in one transaction; events are merged by their uid, so importing twice changes nothing.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from nocontact_desktop.core.atomic_file import write_private
from nocontact_desktop.core.blocking.blocklist import Blocklist
from nocontact_desktop.core.blocking.targets import parse_target
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.journal.export import (
    export_journal,
    prepare_journal_import,
    validate_journal,
)
from nocontact_desktop.core.storage.store import LIST_NAMES, Store, SupportPerson, from_us, to_us
from nocontact_desktop.core.streak.events import EventKind

FORMAT = "nocontact-export"
FORMAT_VERSION = 1
MAX_IMPORT_BYTES = 256 * 1024 * 1024


def export_data(store: Store, now: datetime) -> dict[str, Any]:
    """Everything stored, as plain JSON-ready data."""
    events = [
        {
            "uid": e.uid,
            "kind": e.kind.value,
            "at": e.at.isoformat(),
            "tz": e.tz,
            "note": e.note,
            "outcome": e.outcome,
            "subject": e.subject,
            "recorded_at": from_us(recorded).isoformat(),
        }
        for e, recorded in _events_with_recorded(store)
    ]
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": now.isoformat(),
        "events": events,
        "lists": {name: store.list_items(name) for name in LIST_NAMES},
        "support_people": [{"name": p.name, "reach": p.reach} for p in store.support_people()],
        "settings": store.settings(),
        "milestones_notified": [
            {"streak_start": s.isoformat(), "days": d, "notified_at": n.isoformat()}
            for s, d, n in store.milestones_notified()
        ],
        "block_targets": [entry["target"] for entry in Blocklist(store).export()],
        "gate_apps": [
            str(row[0])
            for row in store.connection.execute("SELECT spec FROM gate_apps ORDER BY id")
        ],
        **export_journal(store),  # unsent_messages, check_ins
    }


def _events_with_recorded(store: Store) -> list[tuple[Any, int]]:
    recorded = dict(store.connection.execute("SELECT seq, recorded_us FROM events").fetchall())
    return [(e, int(recorded[e.seq])) for e in store.events(with_notes=True)]


def write_export(store: Store, path: Path, now: datetime) -> int:
    """Write the export to ``path`` (mode 0600, atomically); returns the number of events."""
    data = export_data(store, now)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    write_private(path, text.encode("utf-8"))
    return len(data["events"])


def read_export(path: Path) -> dict[str, Any]:
    """Read and fully validate an export file; :class:`BadInput` naming the problem otherwise."""
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise BadInput(f"{str(path)!r}: too large to be an export ({size} bytes)")
        raw = path.read_bytes()
    except OSError as err:
        raise BadInput(f"{str(path)!r}: cannot be read ({err.strerror or err})") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BadInput(f"{str(path)!r}: not a No Contact export (not JSON: {err})") from None
    _validate(data, str(path))
    return data  # type: ignore[no-any-return]


def import_data(store: Store, data: dict[str, Any], now: datetime) -> dict[str, int]:
    """Merge validated export data into the store in one transaction; returns counts added."""
    conn = store.connection
    new_events = [e for e in data["events"] if not store.has_event(e["uid"])]
    sealed_notes = [
        store.seal(e["note"], "event.note") if e.get("note") else None for e in new_events
    ]
    lists = {
        name: _merged(store.list_items(name), data["lists"].get(name, [])) for name in LIST_NAMES
    }
    existing_people = store.support_people()
    people = existing_people + [
        SupportPerson(p["name"], p.get("reach", ""))
        for p in data["support_people"]
        if SupportPerson(p["name"], p.get("reach", "")) not in existing_people
    ]
    sealed_lists = {
        name: [store.seal(item, f"list.{name}") for item in items] for name, items in lists.items()
    }
    sealed_people = [
        (store.seal(p.name, "support.name"), store.seal(p.reach, "support.reach")) for p in people
    ]
    journal_rows = prepare_journal_import(store, data)  # sealed before the transaction
    with store.transaction():
        conn.executemany(
            "INSERT INTO events (uid, kind, at_us, tz, note, outcome, subject, recorded_us)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e["uid"],
                    e["kind"],
                    to_us(_instant(e["at"])),
                    e.get("tz") or "UTC",
                    note,
                    e.get("outcome"),
                    e.get("subject"),
                    to_us(_instant(e.get("recorded_at") or e["at"])),
                )
                for e, note in zip(new_events, sealed_notes, strict=True)
            ],
        )
        for name, blobs in sealed_lists.items():
            conn.execute("DELETE FROM list_items WHERE list = ?", (name,))
            conn.executemany(
                "INSERT INTO list_items (list, position, body) VALUES (?, ?, ?)",
                [(name, pos, blob) for pos, blob in enumerate(blobs)],
            )
        conn.execute("DELETE FROM support_people")
        conn.executemany(
            "INSERT INTO support_people (position, name, reach) VALUES (?, ?, ?)",
            [(pos, n, r) for pos, (n, r) in enumerate(sealed_people)],
        )
        for key, value in data["settings"].items():
            conn.execute(
                "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
                (key, json.dumps(value)),
            )
        conn.executemany(
            "INSERT OR IGNORE INTO milestones_notified (streak_start_us, days, notified_us)"
            " VALUES (?, ?, ?)",
            [
                (to_us(_instant(m["streak_start"])), m["days"], to_us(_instant(m["notified_at"])))
                for m in data["milestones_notified"]
            ],
        )
        journal_added = journal_rows.write(conn)
    # Targets are re-parsed by the same rules as `block add` (already checked in validation).
    # These follow in their own transactions; a repeated import is idempotent throughout.
    if data["block_targets"]:
        Blocklist(store).add(data["block_targets"], now)
    listed = {str(r[0]) for r in conn.execute("SELECT spec FROM gate_apps")}
    with store.transaction():
        conn.executemany(
            "INSERT OR IGNORE INTO gate_apps (spec, added_us) VALUES (?, ?)",
            [(spec, to_us(now)) for spec in data["gate_apps"] if spec not in listed],
        )
    return {"events": len(new_events), **journal_added}


def _merged(current: list[str], incoming: list[str]) -> list[str]:
    return current + [item for item in incoming if item not in current]


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return parsed


def _validate(data: Any, where: str) -> None:
    def fail(reason: str) -> BadInput:
        return BadInput(f"{where!r}: not a valid No Contact export: {reason}")

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise fail(f'missing "format": "{FORMAT}"')
    if data.get("version") != FORMAT_VERSION:
        raise fail(f"unsupported version {data.get('version')!r} (this app reads {FORMAT_VERSION})")
    data.setdefault("lists", {})
    data.setdefault("support_people", [])
    data.setdefault("settings", {})
    data.setdefault("milestones_notified", [])
    validate_journal(data, fail)  # optional keys: older exports have no journal
    data.setdefault("block_targets", [])
    data.setdefault("gate_apps", [])
    if not isinstance(data.get("events"), list):
        raise fail('"events" must be a list')
    kinds = {k.value for k in EventKind}
    seen: set[str] = set()
    for index, event in enumerate(data["events"]):
        label = f"events[{index}]"
        if not isinstance(event, dict):
            raise fail(f"{label} is not an object")
        uid = event.get("uid")
        if not isinstance(uid, str) or not uid or len(uid) > 64 or uid in seen:
            raise fail(f"{label}.uid is missing, too long or repeated")
        seen.add(uid)
        if event.get("kind") not in kinds:
            raise fail(f"{label}.kind {event.get('kind')!r} is not a known kind")
        for key in ("at", "recorded_at"):
            value = event.get(key)
            if key == "recorded_at" and value is None:
                continue
            try:
                _instant(value) if isinstance(value, str) else _instant("")
            except ValueError:
                raise fail(
                    f"{label}.{key} {value!r} is not an ISO 8601 instant with offset"
                ) from None
        for key in ("note", "outcome", "subject", "tz"):
            if event.get(key) is not None and not isinstance(event[key], str):
                raise fail(f"{label}.{key} must be text")
    lists = data["lists"]
    if not isinstance(lists, dict):
        raise fail('"lists" must be an object')
    for name, items in lists.items():
        if name not in LIST_NAMES:
            raise fail(f"unknown list {name!r}")
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise fail(f"lists.{name} must be a list of text")
    people = data["support_people"]
    if not isinstance(people, list) or not all(
        isinstance(p, dict)
        and isinstance(p.get("name"), str)
        and isinstance(p.get("reach", ""), str)
        for p in people
    ):
        raise fail('"support_people" must be a list of {"name", "reach"}')
    if not isinstance(data["settings"], dict):
        raise fail('"settings" must be an object')
    targets = data["block_targets"]
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise fail('"block_targets" must be a list of text')
    for target in targets:
        try:
            parse_target(target)
        except BadInput as err:
            raise fail(f"block_targets: {err}") from None
    apps = data["gate_apps"]
    if not isinstance(apps, list) or not all(
        isinstance(a, str) and 0 < len(a) <= 4200 and a.isprintable() for a in apps
    ):
        raise fail('"gate_apps" must be a list of app ids')
    for index, mark in enumerate(data["milestones_notified"]):
        try:
            _instant(mark["streak_start"])
            _instant(mark["notified_at"])
            if not isinstance(mark["days"], int):
                raise TypeError
        except (KeyError, TypeError, ValueError):
            raise fail(f"milestones_notified[{index}] is malformed") from None
