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
