"""Encryption at rest against the REAL Secret Service (DESIGN §8, §10; issue 5).

A private D-Bus session with gnome-keyring-daemon is started by the ``keyring_session``
fixture. Every keyring operation runs in a SUBPROCESS with that session's environment, so
``keyring`` picks its backend exactly as the app would. The subprocess side is this very
file run as a script (``python test_keyring_real.py`` reads one JSON request on stdin and
prints one JSON answer), which keeps the sentence off the command line and the key out of
any output (only its SHA-256 fingerprint is printed).

Until the real store exists, a plain sqlite3 database in WAL mode stands in for it; the
check of the raw files is the one call ``assert_text_not_on_disk(db_path, sentence)``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

if __package__:  # imported by pytest in a package layout
    from .keyring_session import (
        KeyringSession,
        assert_text_not_on_disk,
        find_text_on_disk,
        keyring_session,
        private_keyring_session,
        sqlite_files,
    )
else:  # pytest rootdir-relative import, or run as the child script
    from tests.helpers.keyring_session import (  # type: ignore[no-redef]
        KeyringSession,
        assert_text_not_on_disk,
        find_text_on_disk,
        keyring_session,
        private_keyring_session,
        sqlite_files,
    )

pytestmark = pytest.mark.e2e

SERVICE = "nocontact-desktop"
SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"
SENTENCE = "I am allowed to close this door for good, Sandra — Zärtlichkeit ohne Angst"
PURPOSE = "event.note"

__all__ = ["keyring_session"]  # the fixture is used by name below


# --- child side (runs in the subprocess, inside the private session) ---------------------


def _fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"fingerprint:" + key).hexdigest()


def _child(request: dict[str, Any]) -> dict[str, Any]:
    import keyring

    from nocontact_desktop.core.storage import key_store
    from nocontact_desktop.core.storage.sealing import AesGcmSealer, SealError

    op = request["op"]
    account = request.get("account", "")
    if op == "probe":
        available, reason = key_store.keyring_available()
        return {"backend": key_store.backend_name(), "available": available, "reason": reason}
    if op == "load":
        try:
            key = key_store.load_or_create_keyring_key(SERVICE, account, create=request["create"])
        except key_store.KeyStoreError as error:
            return {"error": type(error).__name__, "message": str(error)}
        return {"fingerprint": _fingerprint(key), "backend": key_store.backend_name()}
    if op == "key_in_keyring_files":
        # Answers only yes/no, so the key itself never leaves this process.
        import base64

        key = key_store.load_or_create_keyring_key(SERVICE, account, create=False)
        forms = (key, base64.b64encode(key))
        keyrings = Path(os.environ["XDG_DATA_HOME"]) / "keyrings"
        files = sorted(keyrings.iterdir())
        found = [f.name for f in files if any(form in f.read_bytes() for form in forms)]
        return {"files": [f.name for f in files], "found_in": found}
    if op == "entry_exists":
        return {"exists": keyring.get_password(SERVICE, account) is not None}
    if op == "delete":
        return {"removed": key_store.delete_keyring_key(SERVICE, account)}
    if op == "write_sqlite":
        key = key_store.load_or_create_keyring_key(SERVICE, account, create=False)
        blob = AesGcmSealer(key).seal(request["sentence"], purpose=PURPOSE)
        db = sqlite3.connect(request["db"], isolation_level=None)
        assert db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        db.execute("PRAGMA wal_autocheckpoint=0")  # keep every committed page in the WAL
        db.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, kind, note BLOB)")
        db.execute("INSERT INTO events (kind, note) VALUES (?, ?)", (request["canary"], blob))
        answer = {"blob_hex": blob.hex(), "fingerprint": _fingerprint(key)}
        # Leave without closing: closing the last connection would checkpoint the WAL into
        # the main file and delete it; this is the state a crash or kill -9 leaves behind.
        print(json.dumps(answer), flush=True)
        os._exit(0)
    if op == "read_sqlite":
        key = key_store.load_or_create_keyring_key(SERVICE, account, create=False)
        sealer = AesGcmSealer(key)
        db = sqlite3.connect(request["db"])
        (blob,) = db.execute("SELECT note FROM events ORDER BY id DESC LIMIT 1").fetchone()
        db.close()
        try:
            sealer.open(blob, purpose="reason")
            wrong_purpose = "opened"
        except SealError as error:
            wrong_purpose = str(error)
        return {"sentence": sealer.open(blob, purpose=PURPOSE), "wrong_purpose": wrong_purpose}
    raise ValueError(f"unknown op {op!r}")


# --- test side ------------------------------------------------------------------------------


def ask(session: KeyringSession, **request: Any) -> dict[str, Any]:
    """Run one request in a subprocess inside ``session`` and return its JSON answer."""
    done = session.run_python(__file__, stdin=json.dumps(request))
    assert done.returncode == 0, f"child failed ({done.returncode}):\n{done.stderr}"
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def test_secret_service_is_the_backend(keyring_session: KeyringSession) -> None:
    answer = ask(keyring_session, op="probe")
    assert answer["backend"] == SECRET_SERVICE_BACKEND
    assert answer["available"] is True, answer["reason"]
    assert SECRET_SERVICE_BACKEND in answer["reason"]


def test_key_is_created_once_then_reloaded_then_deleted(keyring_session: KeyringSession) -> None:
    account = "data-e2e-create-load-delete"
    assert ask(keyring_session, op="entry_exists", account=account) == {"exists": False}
    first = ask(keyring_session, op="load", account=account, create=True)
    assert first["backend"] == SECRET_SERVICE_BACKEND
    assert ask(keyring_session, op="entry_exists", account=account) == {"exists": True}
    second = ask(keyring_session, op="load", account=account, create=True)
    assert second["fingerprint"] == first["fingerprint"]
    third = ask(keyring_session, op="load", account=account, create=False)
    assert third["fingerprint"] == first["fingerprint"]
    other = ask(keyring_session, op="load", account="data-e2e-other", create=True)
    assert other["fingerprint"] != first["fingerprint"]

    assert ask(keyring_session, op="delete", account=account) == {"removed": True}
    assert ask(keyring_session, op="entry_exists", account=account) == {"exists": False}
    assert ask(keyring_session, op="delete", account=account) == {"removed": False}
    missing = ask(keyring_session, op="load", account=account, create=False)
    assert missing["error"] == "KeyringKeyMissing"
    assert ask(keyring_session, op="entry_exists", account="data-e2e-other") == {"exists": True}


def test_sentence_is_not_in_raw_db_or_wal_and_reads_back(
    keyring_session: KeyringSession, tmp_path: Path
) -> None:
    account = "data-e2e-at-rest"
    ask(keyring_session, op="load", account=account, create=True)
    db_path = tmp_path / "nocontact.sqlite3"
    canary = "plaintext-canary-" + os.urandom(6).hex()

    written = ask(keyring_session, op="write_sqlite", account=account, db=str(db_path),
                  sentence=SENTENCE, canary=canary)

    wal = Path(f"{db_path}-wal")
    assert wal.exists() and wal.stat().st_size > 0, "the WAL should still hold the insert"
    raw = {path: path.read_bytes() for path in sqlite_files(db_path)}
    # Positive controls: the sealed blob really is on disk, and a plaintext column is found
    # by the same scan, so the absence below is meaningful.
    assert bytes.fromhex(written["blob_hex"]) in raw[wal]
    canary_hits, _ = find_text_on_disk(list(raw), canary)
    assert any(hit.startswith(f"{wal}:") for hit in canary_hits)

    scan = assert_text_not_on_disk(db_path, SENTENCE)
    assert str(wal) in scan.files and str(db_path) in scan.files
    for word in ("Sandra", "Zärtlichkeit", "close this door"):
        assert_text_not_on_disk(db_path, word)
    print(f"\nscanned {scan.files} for {len(scan.forms)} forms of the sentence: absent")

    # The key itself is not in clear in gnome-keyring's files: the keyring password seals it.
    key_check = ask(keyring_session, op="key_in_keyring_files", account=account)
    assert "login.keyring" in key_check["files"]
    assert key_check["found_in"] == []

    back = ask(keyring_session, op="read_sqlite", account=account, db=str(db_path))
    assert back["sentence"] == SENTENCE
    assert "failed its integrity check" in back["wrong_purpose"]
    assert SENTENCE not in back["wrong_purpose"]


def test_wiped_key_makes_the_data_unreadable(
    keyring_session: KeyringSession, tmp_path: Path
) -> None:
    account = "data-e2e-wipe"
    ask(keyring_session, op="load", account=account, create=True)
    db_path = tmp_path / "wiped.sqlite3"
    ask(keyring_session, op="write_sqlite", account=account, db=str(db_path),
        sentence=SENTENCE, canary="wipe")
    assert ask(keyring_session, op="delete", account=account) == {"removed": True}
    done = keyring_session.run_python(
        __file__, stdin=json.dumps({"op": "read_sqlite", "account": account, "db": str(db_path)})
    )
    assert done.returncode != 0
    assert "KeyringKeyMissing" in done.stderr
    assert SENTENCE not in done.stderr + done.stdout


def test_no_session_bus_means_no_keyring(keyring_session: KeyringSession) -> None:
    # Same environment, but the bus address points nowhere: what a user without a desktop
    # session (or with D-Bus broken) gets. The app must be told, not fall back to plaintext.
    nowhere = f"unix:path={keyring_session.root / 'no-such-bus'}"
    done = keyring_session.run_python(
        __file__, stdin=json.dumps({"op": "probe"}),
        extra_env={"DBUS_SESSION_BUS_ADDRESS": nowhere},
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["available"] is False
    assert answer["reason"]
    done = keyring_session.run_python(
        __file__, stdin=json.dumps({"op": "load", "account": "x", "create": True}),
        extra_env={"DBUS_SESSION_BUS_ADDRESS": nowhere},
    )
    assert json.loads(done.stdout)["error"] == "KeyringUnavailable"


def test_locked_collection_is_reported_unavailable(keyring_session: KeyringSession) -> None:
    lock = (
        "import secretstorage\n"
        "conn = secretstorage.dbus_init()\n"
        "collection = secretstorage.get_default_collection(conn)\n"
        "collection.lock()\n"
        "assert collection.is_locked()\n"
    )
    done = keyring_session.run_python("-c", lock)
    assert done.returncode == 0, done.stderr
    # No display, so gnome-keyring cannot prompt for the password: the unlock is dismissed.
    answer = ask(keyring_session, op="probe")
    assert answer["available"] is False
    assert "locked" in answer["reason"]
    failed = ask(keyring_session, op="load", account="data-e2e-locked", create=True)
    assert failed["error"] == "KeyringUnavailable"
    assert "locked" in failed["message"]


def test_collection_created_over_dbus_also_works() -> None:
    # The helper's fallback for gnome-keyring versions whose --unlock makes no collection.
    with private_keyring_session(create_login_over_dbus=True) as session:
        assert ask(session, op="probe")["available"] is True
        first = ask(session, op="load", account="data-e2e-fallback", create=True)
        again = ask(session, op="load", account="data-e2e-fallback", create=True)
        assert first["fingerprint"] == again["fingerprint"]


def test_session_cleans_up_after_itself() -> None:
    with private_keyring_session() as session:
        root = session.root
        pids = [process.pid for process in session.processes]
        assert all(Path(f"/proc/{pid}").exists() for pid in pids)
    assert not root.exists()
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "State:\tZ" in status.read_text()


if __name__ == "__main__":
    print(json.dumps(_child(json.loads(sys.stdin.read()))))
