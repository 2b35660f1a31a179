"""The REAL store path against the REAL Secret Service (issue 5, DESIGN §8, §10).

Each step runs in its own subprocess inside a private D-Bus session with gnome-keyring (the
``keyring_session`` fixture), through ``vault.open_data`` exactly as the tray app and the CLI
open their data: the key is created in the keyring on first use, then found there again.

1. write: a known sentence goes into an unsent message, an event note, a check-in note and
   the "remember" list; the process then dies without closing (``os._exit``), so the WAL
   still holds every committed page — the state a crash or ``kill -9`` leaves behind;
2. the raw database and its WAL are scanned for the sentence (UTF-8/UTF-16, any case);
3. a new process reads everything back;
4. wipe-all in a new process removes the files and the keyring entry, and the entry is
   checked gone from yet another process.

The subprocess side is this file run as a script: one JSON request on stdin, one JSON answer.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

if __package__:
    from .keyring_session import (
        KeyringSession,
        assert_text_not_on_disk,
        find_text_on_disk,
        keyring_session,
        sqlite_files,
    )
else:
    from tests.helpers.keyring_session import (  # type: ignore[no-redef]
        KeyringSession,
        assert_text_not_on_disk,
        find_text_on_disk,
        keyring_session,
        sqlite_files,
    )

pytestmark = pytest.mark.e2e

__all__ = ["keyring_session"]

SENTENCE = "Ich habe dir nie geschrieben, Marek — the blue scarf stays in the drawer"
SECRET_SERVICE = "keyring.backends.SecretService.Keyring"


# --- child side --------------------------------------------------------------------------------


def _child(request: dict[str, Any]) -> dict[str, Any]:
    from nocontact_desktop.core.clock import SystemClock
    from nocontact_desktop.core.journal.entries import Journal
    from nocontact_desktop.core.paths import DB_FILE_NAME
    from nocontact_desktop.core.storage import key_store
    from nocontact_desktop.core.storage.vault import KEYRING_SERVICE, key_source, open_data
    from nocontact_desktop.core.storage.wipe import data_files, wipe_all
    from nocontact_desktop.core.streak.events import EventKind
    from nocontact_desktop.core.streak.tracker import Tracker

    data_dir = Path(request["data_dir"])
    op = request["op"]
    if op == "entry_exists":
        import keyring

        return {"exists": keyring.get_password(KEYRING_SERVICE, request["account"]) is not None}
    warnings: list[str] = []
    store = open_data(data_dir, warn=warnings.append)
    clock = SystemClock()
    if op == "write":
        sentence = request["sentence"]
        tracker = Tracker(store, clock)
        journal = Journal(store, clock)
        tracker.start()
        tracker.log(EventKind.URGE, note=sentence)
        journal.add_unsent(sentence)
        journal.record_check_in(7, sentence)
        store.set_list_items("remember", [sentence])
        # A plaintext canary next to it: the same scan must find *that*, so the absence of
        # the sentence is meaningful.
        store.set_setting("canary", request["canary"])
        answer = {
            "key_source": key_source(store),
            "account": store.data_id(),
            "backend": key_store.backend_name(),
            "warnings": warnings,
            "wal_bytes": (data_dir / (DB_FILE_NAME + "-wal")).stat().st_size,
        }
        print(json.dumps(answer), flush=True)
        os._exit(0)  # no close, no checkpoint: the WAL keeps every committed page
    if op == "read":
        journal = Journal(store, clock)
        events = store.events([EventKind.URGE], with_notes=True)
        check_ins = journal.check_ins(with_notes=True)
        answer = {
            "unsent": [m.text for m in journal.unsent_messages()],
            "urge_notes": [e.note for e in events],
            "check_in_notes": [c.note for c in check_ins],
            "remember": store.list_items("remember"),
            "key_source": key_source(store),
        }
        store.close()
        return answer
    if op == "wipe":
        account = store.data_id()
        result = wipe_all(store, data_dir)
        return {
            "account": account,
            "removed": sorted(p.name for p in result.removed),
            "keyring_entry_removed": result.keyring_entry_removed,
            "problems": result.problems,
            "left": [p.name for p in data_files(data_dir)] if data_dir.exists() else [],
        }
    raise ValueError(f"unknown op {op!r}")


# --- test side ---------------------------------------------------------------------------------


def ask(session: KeyringSession, **request: Any) -> dict[str, Any]:
    done = session.run_python(__file__, stdin=json.dumps(request), timeout=90)
    assert done.returncode == 0, f"child failed ({done.returncode}):\n{done.stderr}"
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def test_real_store_seals_everything_reads_it_back_and_wipes_the_key(
    keyring_session: KeyringSession, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    canary = "plaintext-canary-" + os.urandom(6).hex()
    written = ask(
        keyring_session, op="write", data_dir=str(data_dir), sentence=SENTENCE, canary=canary
    )
    assert written["key_source"] == "keyring", written
    assert written["backend"] == SECRET_SERVICE
    assert written["warnings"] == []  # no fallback to a key file
    assert written["wal_bytes"] > 0

    db = data_dir / "nocontact.db"
    files = sqlite_files(db)
    assert Path(f"{db}-wal") in files
    canary_hits, _ = find_text_on_disk(files, canary)
    assert canary_hits, "the scan must see a plaintext setting, or its silence proves nothing"
    scan = assert_text_not_on_disk(db, SENTENCE)
    for fragment in ("Marek", "blue scarf", "geschrieben"):
        assert_text_not_on_disk(db, fragment)
    assert not (data_dir / "sealing.key").exists()  # the key lives only in the keyring
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        sealed = conn.execute("SELECT body FROM unsent_messages").fetchone()[0]
        assert bytes(sealed)[0] == 1 and len(sealed) > len(SENTENCE.encode())
    conn.close()
    print(
        f"\nevidence: scanned {scan.files} ({len(scan.forms)} forms of the sentence): absent; "
        f"canary found in {canary_hits}; key in {written['backend']}"
    )

    back = ask(keyring_session, op="read", data_dir=str(data_dir))
    assert back == {
        "unsent": [SENTENCE],
        "urge_notes": [SENTENCE],
        "check_in_notes": [SENTENCE],
        "remember": [SENTENCE],
        "key_source": "keyring",
    }

    account = written["account"]
    assert ask(keyring_session, op="entry_exists", data_dir=str(data_dir), account=account) == {
        "exists": True
    }
    wiped = ask(keyring_session, op="wipe", data_dir=str(data_dir))
    assert wiped["problems"] == []
    assert wiped["keyring_entry_removed"] is True
    assert "nocontact.db" in wiped["removed"]
    assert wiped["left"] == []
    assert ask(keyring_session, op="entry_exists", data_dir=str(data_dir), account=account) == {
        "exists": False
    }
    print(f"wipe removed {wiped['removed']} and the keyring entry of account {account}")


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.stdin.read()))))
