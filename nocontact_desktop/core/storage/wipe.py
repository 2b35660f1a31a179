"""Erase everything (DESIGN §8): the database files and the key that sealed them.

Only files this app makes are removed, by name — never "everything in the folder", since
``--data-dir`` may point anywhere. The free text is AES-GCM ciphertext, so removing the key
(from the keyring, or the key file) is what really erases it, even where a journaling file
system or an SSD keeps old blocks around. When the keyring cannot be reached the result says
so: the key may remain, and the person is told rather than reassured.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nocontact_desktop.core.paths import DB_FILE_NAME
from nocontact_desktop.core.storage import key_store
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.storage.vault import KEY_FILE_NAME, KEYRING_SERVICE

KeyringDelete = Callable[[str, str], bool]


@dataclass
class WipeResult:
    """What was erased, and what may remain (human sentences, never a secret)."""

    removed: list[Path] = field(default_factory=list)
    keyring_entry_removed: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether nothing is known to remain."""
        return not self.problems


def data_files(data_dir: Path) -> list[Path]:
    """The files of the store in ``data_dir`` that exist: db, -wal, -shm, -journal,
    migration backups and the key file."""
    db = data_dir / DB_FILE_NAME
    names = [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
    names.extend(sorted(data_dir.glob(f"{DB_FILE_NAME}.v*-backup")))
    names.append(data_dir / KEY_FILE_NAME)
    return [path for path in names if path.exists() or path.is_symlink()]


def wipe_all(
    store: Store,
    data_dir: Path,
    *,
    delete_keyring_key: KeyringDelete = key_store.delete_keyring_key,
) -> WipeResult:
    """Close ``store`` and erase its files and its key; the store is unusable afterwards.

    ``delete_keyring_key`` is :func:`key_store.delete_keyring_key` (injected for tests).
    """
    result = WipeResult()
    source = store.meta("key_source")
    account = store.meta("data_id")
    store.close()
    for path in data_files(data_dir):
        try:
            if path.name == KEY_FILE_NAME and not path.is_symlink():
                _overwrite(path)
            path.unlink()
            result.removed.append(path)
        except OSError as err:
            result.problems.append(f"{path} could not be removed ({err.strerror or err})")
    if source == "keyring" and account:
        try:
            result.keyring_entry_removed = delete_keyring_key(KEYRING_SERVICE, account)
        except key_store.KeyStoreError as err:
            result.problems.append(
                f"the key may remain in the system keyring (service {KEYRING_SERVICE!r}, "
                f"account {account!r}): {err}. Without the database it opens nothing, but you "
                "can remove it with your keyring manager (e.g. Passwords and Keys)."
            )
    with contextlib.suppress(OSError):
        data_dir.rmdir()  # only if empty: other files in it are not ours to remove
    return result


def _overwrite(path: Path) -> None:
    # Best effort before unlinking the key file; the filesystem may still keep old blocks.
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.write(b"\0" * size)
        handle.flush()
        os.fsync(handle.fileno())
