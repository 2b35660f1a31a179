"""`nocontact key move --to keyring|passphrase` (issue 13, finding 11).

Before: with no keyring at first use, the key stayed in a file beside the data for good. Now
everything sealed is re-sealed under the new key source in one transaction, the key file is
destroyed afterwards, and ``doctor`` points to the command while the key file is in use.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail

from nocontact_desktop.cli import main
from nocontact_desktop.core import doctor
from nocontact_desktop.core.blocking.blocklist import Blocklist
from nocontact_desktop.core.errors import KeyUnavailable
from nocontact_desktop.core.journal.entries import Journal
from nocontact_desktop.core.paths import DB_FILE_NAME
from nocontact_desktop.core.storage.store import SupportPerson
from nocontact_desktop.core.storage.vault import KEY_FILE_NAME, key_source, open_data
from nocontact_desktop.core.streak.events import EventKind
from tests.helpers.fakes import clock_at


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("No such password!")


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("NOCONTACT_PASSPHRASE", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


NOW = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)


def _fill(data_dir: Path) -> None:
    """Every kind of sealed value, under a key file (no keyring, no passphrase)."""
    warnings: list[str] = []
    with open_data(data_dir, warn=warnings.append) as store:
        store.add_event(EventKind.URGE, NOW, tz="UTC", note="called nobody", recorded_at=NOW)
        store.set_list_items("reasons", ["my peace", "my sleep"])
        store.set_support_people([SupportPerson("Sam", "+1 555 0100")])
        Blocklist(store).add(["https://www.instagram.com/someone/"], NOW)
        journal = Journal(store, clock_at("2026-03-07T09:00:00+00:00"))
        journal.add_unsent("I wanted to say")
        journal.record_check_in(4, "hard evening")
        assert key_source(store) == "keyfile"
    assert any("sealing.key" in w for w in warnings)


def _read_all(data_dir: Path) -> list[object]:
    with open_data(data_dir) as store:
        journal = Journal(store, clock_at("2026-03-08T09:00:00+00:00"))
        return [
            [e.note for e in store.events()],
            store.list_items("reasons"),
            store.support_people(),
            [t.target for _, t in Blocklist(store).targets()],
            [m.text for m in journal.unsent_messages()],
            [c.note for c in journal.check_ins(with_notes=True)],
        ]


def _blobs(data_dir: Path) -> list[bytes]:
    conn = sqlite3.connect(data_dir / DB_FILE_NAME)
    try:
        rows = conn.execute(
            "SELECT note FROM events UNION ALL SELECT body FROM list_items "
            "UNION ALL SELECT name FROM support_people UNION ALL SELECT target FROM block_targets "
            "UNION ALL SELECT body FROM unsent_messages UNION ALL SELECT note FROM check_ins"
        ).fetchall()
    finally:
        conn.close()
    return [bytes(row[0]) for row in rows if row[0] is not None]


def test_key_file_to_keyring_reseals_everything_and_destroys_the_key_file(
    tmp_path: Path, no_keyring: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    _fill(data_dir)
    before = _read_all(data_dir)
    blobs_before = _blobs(data_dir)
    fix = doctor.check_encryption("keyfile", data_dir).fix
    assert fix is not None and "nocontact key move --to keyring" in fix

    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    assert main(["--data-dir", str(data_dir), "key", "move", "--to", "keyring"]) == 0
    assert "now use the system keyring" in capsys.readouterr().out
    assert not (data_dir / KEY_FILE_NAME).exists()
    assert len(backend.entries) == 1
    after_blobs = _blobs(data_dir)
    assert len(after_blobs) == len(blobs_before) and not set(after_blobs) & set(blobs_before)
    assert _read_all(data_dir) == before
    with open_data(data_dir) as store:
        assert key_source(store) == "keyring"
    assert doctor.check_encryption("keyring", data_dir).status == "ok"


def test_key_file_to_passphrase_from_the_environment(
    tmp_path: Path, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    _fill(data_dir)
    before = _read_all(data_dir)
    monkeypatch.setenv("NOCONTACT_PASSPHRASE", "correct horse battery")
    assert main(["--data-dir", str(data_dir), "key", "move", "--to", "passphrase"]) == 0
    assert not (data_dir / KEY_FILE_NAME).exists()
    assert _read_all(data_dir) == before
    monkeypatch.setenv("NOCONTACT_PASSPHRASE", "wrong")
    with pytest.raises(KeyUnavailable, match="does not open"):
        _read_all(data_dir)
    monkeypatch.delenv("NOCONTACT_PASSPHRASE")
    with pytest.raises(KeyUnavailable, match="locked with a passphrase"):
        _read_all(data_dir)


def test_a_value_that_cannot_be_opened_stops_the_move_and_nothing_changes(
    tmp_path: Path, no_keyring: None
) -> None:
    data_dir = tmp_path / "data"
    _fill(data_dir)
    conn = sqlite3.connect(data_dir / DB_FILE_NAME)
    conn.execute("UPDATE check_ins SET note = ?", (b"\x01" + b"damaged" * 8,))
    conn.commit()
    conn.close()
    blobs = _blobs(data_dir)
    keyring.set_keyring(MemoryKeyring())
    assert main(["--data-dir", str(data_dir), "key", "move", "--to", "keyring"]) == 1
    assert _blobs(data_dir) == blobs
    assert (data_dir / KEY_FILE_NAME).exists()
    with open_data(data_dir) as store:
        assert key_source(store) == "keyfile"


def test_no_keyring_means_no_move_and_the_passphrase_is_never_an_argument(
    tmp_path: Path, no_keyring: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    _fill(data_dir)
    assert main(["--data-dir", str(data_dir), "key", "move", "--to", "keyring"]) == 1
    assert "nothing was changed" in capsys.readouterr().err
    assert main(["--data-dir", str(data_dir), "key", "move", "--to", "passphrase",
                 "--passphrase", "x"]) == 2
    assert main(["--data-dir", str(data_dir), "key", "move", "--to", "usb-stick"]) == 2
