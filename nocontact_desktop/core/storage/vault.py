"""Which key seals this data folder's free text, chosen once and remembered (DESIGN §8).

Order of preference for a new data folder:
1. the OS keyring (the key never touches the disk in the clear);
2. a passphrase, from ``NOCONTACT_PASSPHRASE`` or asked for (the tray app asks in a dialog);
3. when neither is possible (a script with no keyring and no passphrase), a key file in the
   data folder, mode 0600, with a warning each time it is created — never plaintext, never
   silently. ``nocontact doctor`` keeps saying so until the person moves to 1 or 2.

The choice is stored in the ``meta`` table (``key_source``), with a verifier blob so a wrong
key or passphrase is told apart from damaged data.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from nocontact_desktop.core.errors import KeyUnavailable as KeyUnavailable  # noqa: PLC0414
from nocontact_desktop.core.paths import ensure_private_dir
from nocontact_desktop.core.storage.sealing import (
    KEY_BYTES,
    AesGcmSealer,
    SealError,
    key_matches_verifier,
    make_verifier,
)
from nocontact_desktop.core.storage.store import Store, open_store

KEYRING_SERVICE = "nocontact-desktop"  # key_store.DEFAULT_SERVICE (checked by a test)
KEY_FILE_NAME = "sealing.key"
PASSPHRASE_ENV = "NOCONTACT_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret

PassphrasePurpose = Literal["new", "unlock"]
PassphraseProvider = Callable[[PassphrasePurpose], str | None]
"""Asked for a passphrase: ``new`` to choose one (ask twice, say what forgetting means),
``unlock`` to open data sealed with one. Returns None when the person cancels."""


def open_data(
    data_dir: Path,
    *,
    interactive: bool = False,
    warn: Callable[[str], None] = lambda _m: None,
    passphrase: PassphraseProvider | None = None,
) -> Store:
    """Open the store in ``data_dir`` with a sealer that finds its key on first use."""
    ensure_private_dir(data_dir)

    def ask(purpose: PassphrasePurpose) -> str | None:
        from_env = os.environ.get(PASSPHRASE_ENV)
        if from_env:
            return from_env
        if passphrase is not None:
            return passphrase(purpose)
        if interactive:
            return _ask_on_terminal(purpose)
        return None

    store: Store

    def factory() -> AesGcmSealer:
        return sealer_for(store, data_dir, ask, warn)

    store = open_store(data_dir, factory)
    return store


def _ask_on_terminal(purpose: PassphrasePurpose) -> str | None:
    import getpass  # noqa: PLC0415

    if purpose == "unlock":
        return getpass.getpass("Enter your passphrase: ") or None
    print(
        "Choose a passphrase for your notes. If you forget it, your notes cannot be opened: "
        "nobody can recover them."
    )
    first = getpass.getpass("New passphrase: ")
    if not first or getpass.getpass("The same passphrase again: ") != first:
        raise KeyUnavailable("the two passphrases were not the same; nothing was changed")
    return first


def key_source(store: Store) -> str | None:
    """``keyring``, ``passphrase``, ``keyfile``, or None before any free text was written."""
    return store.meta("key_source")


def sealer_for(
    store: Store,
    data_dir: Path,
    passphrase: PassphraseProvider,
    warn: Callable[[str], None],
) -> AesGcmSealer:
    """The sealer for this data folder, setting the key up the first time."""
    source = store.meta("key_source")
    if source is None:
        return _first_key(store, data_dir, passphrase, warn)
    verifier = _b64(store.meta("key_verifier"))
    # key_store (the keyring, the KDF) loads only for the sources that need it: a key file
    # needs neither, so `block list` with one starts fast.
    if source == "keyring":
        from nocontact_desktop.core.storage import key_store  # noqa: PLC0415

        try:
            key = key_store.load_or_create_keyring_key(
                KEYRING_SERVICE, store.data_id(), create=False
            )
        except key_store.KeyStoreError as err:
            raise KeyUnavailable(
                f"your notes are locked with a key in the system keyring, which cannot be "
                f"reached now ({err}). Unlock your keyring (log in to the desktop) and try again."
            ) from None
    elif source == "passphrase":
        given = passphrase("unlock")
        if not given:
            raise KeyUnavailable(
                f"your notes are locked with a passphrase: set {PASSPHRASE_ENV} or run this "
                "in a terminal to be asked for it"
            )
        salt = _b64(store.meta("key_salt"))
        from nocontact_desktop.core.storage import key_store  # noqa: PLC0415

        try:
            key = key_store.unlock_with_passphrase(
                given, salt, verifier, kdf=store.meta("key_kdf") or key_store.KDF_NAME
            ).key
        except key_store.WrongPassphrase:
            raise KeyUnavailable("that passphrase does not open your notes") from None
    elif source == "keyfile":
        key = _read_key_file(data_dir)
    else:
        raise KeyUnavailable(f"unknown key source {source!r} in this data folder")
    if not key_matches_verifier(key, verifier):
        raise KeyUnavailable(
            f"the key from the {source} does not open this data (was the data folder copied "
            "from another account?)"
        )
    return AesGcmSealer(key)


def _first_key(
    store: Store, data_dir: Path, passphrase: PassphraseProvider, warn: Callable[[str], None]
) -> AesGcmSealer:
    from nocontact_desktop.core.storage import key_store  # noqa: PLC0415

    available, why = key_store.keyring_available()
    extra: dict[str, str] = {}
    if available:
        key = key_store.load_or_create_keyring_key(KEYRING_SERVICE, store.data_id())
        source = "keyring"
    else:
        given = passphrase("new")
        if given:
            setup = key_store.new_passphrase_key(given)
            key = setup.key.key
            source = "passphrase"
            extra = {"key_salt": _e64(setup.salt), "key_kdf": setup.kdf}
        else:
            key = _create_key_file(data_dir)
            source = "keyfile"
            warn(
                f"no system keyring is available ({why}); your notes are encrypted with a key "
                f"kept in {data_dir / KEY_FILE_NAME} (readable only by you). For better "
                f"protection set a passphrase ({PASSPHRASE_ENV}) or use a desktop with a keyring."
            )
    with store.transaction() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'key_source'").fetchone()
        if row is None:
            values = {
                "key_source": source,
                "key_verifier": _e64(make_verifier(key)),
                **extra,
            }
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", list(values.items()))
    if row is not None:  # another process set the key up first: use theirs
        return sealer_for(store, data_dir, passphrase, warn)
    return AesGcmSealer(key)


def _create_key_file(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE_NAME
    key = os.urandom(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(data_dir)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(key))
        handle.flush()
        os.fsync(handle.fileno())
    return key


def _read_key_file(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE_NAME
    try:
        key = base64.b64decode(path.read_bytes(), validate=True)
    except (OSError, ValueError):
        raise KeyUnavailable(f"the key file {path} is missing or damaged") from None
    if len(key) != KEY_BYTES:
        raise KeyUnavailable(f"the key file {path} is damaged")
    return key


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def _e64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


# -- moving to another key source (issue 13, finding 11) -------------------------------------

KeyTarget = str  # "keyring" | "passphrase"
MOVE_TARGETS = ("keyring", "passphrase")


def _sealed_columns() -> list[tuple[str, str, str, str]]:
    """(table, key column, sealed column, purpose; ``{list}`` filled per row) of every seal."""
    from nocontact_desktop.core.journal.entries import (  # noqa: PLC0415
        CHECK_IN_PURPOSE,
        UNSENT_PURPOSE,
    )

    return [
        ("events", "seq", "note", "event.note"),
        ("list_items", "id", "body", "list.{list}"),
        ("support_people", "id", "name", "support.name"),
        ("support_people", "id", "reach", "support.reach"),
        ("block_targets", "id", "target", "block.target"),
        ("block_targets", "id", "handle", "block.handle"),
        ("block_targets", "id", "sealed_domains", "block.domains"),
        ("unsent_messages", "id", "body", UNSENT_PURPOSE),
        ("check_ins", "day", "note", CHECK_IN_PURPOSE),
    ]


def move_key(
    store: Store,
    data_dir: Path,
    to: KeyTarget,
    new_passphrase: PassphraseProvider,
) -> str:
    """Re-seal every sealed value under a key from ``to``, in one transaction; a sentence.

    The current key is obtained as usual (the store's own passphrase provider for a
    passphrase). The new one: the OS keyring (this data folder's entry, created if needed) or
    ``new_passphrase()``. Either every value is re-sealed and the key source switched, or —
    on any failure — nothing changes. Afterwards the old key is removed: the key file is
    overwritten and deleted, a keyring entry no longer used is deleted.
    """
    from nocontact_desktop.core.storage import key_store  # noqa: PLC0415

    if to not in MOVE_TARGETS:
        raise ValueError(f"unknown key target {to!r}")
    current = store.meta("key_source")
    if current == to:
        where = "the system keyring" if to == "keyring" else "a key from your passphrase"
        return f"nothing to move: your notes already use {where}"
    old_sealer = store.sealer() if current is not None else None

    extra: dict[str, str] = {}
    if to == "keyring":
        available, why = key_store.keyring_available()
        if not available:
            raise KeyUnavailable(f"cannot move to the system keyring: {why}; nothing was changed")
        try:
            new_key = key_store.load_or_create_keyring_key(KEYRING_SERVICE, store.data_id())
        except key_store.KeyStoreError as err:
            raise KeyUnavailable(
                f"cannot move to the system keyring: {err}; nothing was changed"
            ) from None
    else:
        given = new_passphrase("new")
        if not given:
            raise KeyUnavailable(
                f"no new passphrase given (set {PASSPHRASE_ENV} or run this in a terminal); "
                "nothing was changed"
            )
        setup = key_store.new_passphrase_key(given)
        new_key = setup.key.key
        extra = {"key_salt": _e64(setup.salt), "key_kdf": setup.kdf}
    new_sealer = AesGcmSealer(new_key)

    resealed = 0
    with store.transaction() as conn:
        for table, key_column, column, purpose in _sealed_columns():
            select = f"SELECT {key_column}, {column}"
            if "{list}" in purpose:
                select += ", list"
            rows = conn.execute(f"{select} FROM {table} WHERE {column} IS NOT NULL").fetchall()
            for row in rows:
                row_purpose = purpose.format(list=row[2]) if "{list}" in purpose else purpose
                if old_sealer is None:
                    raise KeyUnavailable("sealed data without a key source; nothing was changed")
                try:
                    text = old_sealer.open(bytes(row[1]), purpose=row_purpose)
                except SealError as err:  # rolls the whole move back
                    raise KeyUnavailable(
                        f"a sealed value in {table} cannot be opened ({err}); nothing was changed"
                    ) from None
                conn.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {key_column} = ?",  # noqa: S608
                    (new_sealer.seal(text, purpose=row_purpose), row[0]),
                )
                resealed += 1
        conn.execute("DELETE FROM meta WHERE key IN ('key_salt', 'key_kdf')")
        values = {
            "key_source": to,
            "key_verifier": _e64(key_store.make_verifier(new_key)),
            **extra,
        }
        conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(values.items())
        )
    store.use_sealer(new_sealer)

    # Committed: the old key can go.
    if current == "keyfile":
        _destroy_key_file(data_dir)
    elif current == "keyring":
        import contextlib  # noqa: PLC0415

        with contextlib.suppress(key_store.KeyStoreError):
            key_store.delete_keyring_key(KEYRING_SERVICE, store.data_id())
    where = "the system keyring" if to == "keyring" else "a key made from your passphrase"
    return f"re-sealed {resealed} values; your notes now use {where}"


def _destroy_key_file(data_dir: Path) -> None:
    path = data_dir / KEY_FILE_NAME
    try:
        size = path.stat().st_size
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            os.write(fd, os.urandom(size))
            os.fsync(fd)
        finally:
            os.close(fd)
        path.unlink()
    except FileNotFoundError:
        pass
