"""Where the key that seals free text comes from: the OS keyring, or a passphrase (DESIGN §8).

Threat model, honestly:

* **Protected**: someone who gets a copy of the database file (a backup, a synced folder, a
  laptop disk read from another machine, a support bundle) or takes a casual look at the
  disk. The free text in it is AES-256-GCM ciphertext; the key is not next to it but in the
  OS keyring (itself encrypted with the login password), or derived from a passphrase that
  is never stored.
* **Not protected**: anyone who can run programs as the same user while the keyring is
  unlocked (malware, a partner with the laptop unlocked in front of them, an admin/root).
  They can ask the keyring for the key just as the app does, or read the app's memory.
  Screen contents, notifications and swap are out of scope here too.
* The passphrase path is as strong as the passphrase: scrypt makes each guess cost
  ~0.2 s and 64 MiB, which slows down, but does not stop, guessing a weak one.

Nothing in this module logs, prints or puts into an exception message any key, keyring
secret or passphrase.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Final, Literal

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

from nocontact_desktop.core.errors import BadInput

# The verifier is pure crypto and lives with the sealer (a key file needs no keyring); its
# names stay importable from here.
from nocontact_desktop.core.storage.sealing import KEY_BYTES, AesGcmSealer
from nocontact_desktop.core.storage.sealing import (
    VERIFIER_PURPOSE as VERIFIER_PURPOSE,  # noqa: PLC0414
)
from nocontact_desktop.core.storage.sealing import (
    key_matches_verifier as key_matches_verifier,  # noqa: PLC0414
)
from nocontact_desktop.core.storage.sealing import (
    make_verifier as make_verifier,  # noqa: PLC0414
)

DEFAULT_SERVICE: Final = "nocontact-desktop"
"""Suggested keyring service name; the account is a random id per data directory."""

SALT_BYTES: Final = 16
SCRYPT_N: Final = 2**16  # ~0.2 s and 64 MiB on a 2020s laptop core
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
KDF_NAME: Final = f"scrypt-n{SCRYPT_N}-r{SCRYPT_R}-p{SCRYPT_P}"
"""Store this next to the salt, so a later change of parameters can still open old data."""

_PROBE_ACCOUNT: Final = "nocontact-availability-probe"
_PROBE_TIMEOUT_S: Final = 30.0


class KeyStoreError(Exception):
    """The key could not be obtained; the message says why, never with any secret in it."""


class KeyringUnavailable(KeyStoreError):
    """The OS keyring cannot be used right now (no backend, no D-Bus, locked, refused)."""


class KeyringKeyMissing(KeyStoreError):
    """There is no key in the keyring for this data directory (and none was to be created)."""


class KeyringKeyInvalid(KeyStoreError):
    """The keyring entry exists but does not hold a key; it is left untouched."""


class WrongPassphrase(KeyStoreError):
    """The passphrase does not open this data."""


@dataclass(frozen=True)
class KeySource:
    """Where a key came from, for the UI, ``nocontact doctor`` and logs (no secret in it)."""

    kind: Literal["keyring", "passphrase"]
    detail: str
    """For "keyring": the backend, e.g. ``keyring.backends.SecretService.Keyring``;
    for "passphrase": the KDF, e.g. ``scrypt-n65536-r8-p1``."""

    def describe(self) -> str:
        """One human sentence about where the key is kept."""
        if self.kind == "keyring":
            return (
                "Your notes are encrypted with a key kept in the system keyring "
                f"({self.detail})."
            )
        return (
            "Your notes are encrypted with a key made from your passphrase "
            f"({self.detail}); without it they cannot be read."
        )


@dataclass(frozen=True)
class ObtainedKey:
    """A key and where it came from. ``repr()`` never shows the key."""

    key: bytes = field(repr=False)
    source: KeySource

    def sealer(self) -> AesGcmSealer:
        """A sealer for this key."""
        return AesGcmSealer(self.key)


@dataclass(frozen=True)
class PassphraseSetup:
    """A new passphrase set up: store ``salt``, ``kdf`` and ``verifier`` (none is secret)."""

    salt: bytes
    kdf: str
    verifier: bytes
    key: ObtainedKey


def backend_name(backend: keyring.backend.KeyringBackend | None = None) -> str:
    """Dotted class name of ``backend`` (default: the active keyring backend)."""
    chosen = keyring.get_keyring() if backend is None else backend
    cls = type(chosen)
    return f"{cls.__module__}.{cls.__qualname__}"


def new_account_id() -> str:
    """A random keyring account name for a new data directory (store it in the DB meta)."""
    return "data-" + secrets.token_hex(16)


def _describe_error(error: BaseException) -> str:
    # Keyring and D-Bus errors describe the failure, not the secret; keep the type for support.
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _unusable_backend_reason(backend: keyring.backend.KeyringBackend) -> str | None:
    if isinstance(backend, fail.Keyring):
        return (
            "no system keyring was found (keyring fell back to its 'fail' backend); on Linux, "
            "install and start a Secret Service such as GNOME Keyring or KWallet, "
            "inside a desktop session with D-Bus"
        )
    if isinstance(backend, null.Keyring):
        return "the system keyring is switched off (keyring is set to its 'null' backend)"
    if isinstance(backend, chainer.ChainerBackend) and not list(backend.backends):
        return "no system keyring was found (keyring's chainer has no usable backend)"
    return None


def keyring_available(timeout_s: float = _PROBE_TIMEOUT_S) -> tuple[bool, str]:
    """Whether the OS keyring can be used now, and a human sentence saying which or why not.

    Besides the backend type, this reads a (non-existent) probe entry, which exercises D-Bus
    and unlocking the collection: a locked collection whose unlock prompt is dismissed, or a
    Secret Service that cannot be reached, gives ``False``. If the keyring does not answer
    within ``timeout_s`` (a prompt nobody answers), that is ``False`` too.
    """
    try:
        backend = keyring.get_keyring()
    except Exception as error:  # any failure to pick a backend means "no"
        return False, f"the system keyring could not be loaded ({_describe_error(error)})"
    reason = _unusable_backend_reason(backend)
    if reason is not None:
        return False, reason
    name = backend_name(backend)

    outcome: list[Exception | None] = []

    def probe() -> None:
        try:
            backend.get_password(DEFAULT_SERVICE, _PROBE_ACCOUNT)
        except Exception as error:  # reported to the caller below, in this thread
            outcome.append(error)
        else:
            outcome.append(None)

    # A thread, because an unlock prompt can wait for a human indefinitely; daemon so that
    # an unanswered prompt never keeps the process alive.
    worker = threading.Thread(target=probe, name="keyring-probe", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if not outcome:
        return False, (
            f"the system keyring ({name}) did not answer within {timeout_s:g} s; "
            "it may be locked and waiting for a password"
        )
    failure = outcome[0]
    if isinstance(failure, keyring.errors.KeyringLocked):
        return False, f"the system keyring ({name}) is locked and was not unlocked"
    if failure is not None:
        return False, f"the system keyring ({name}) does not work: {_describe_error(failure)}"
    return True, f"system keyring available ({name})"


def _decode_key(stored: str) -> bytes:
    try:
        key = base64.b64decode(stored.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyringKeyInvalid(
            "the keyring entry for this data does not hold a valid key "
            f"(expected {KEY_BYTES} bytes in base64); it was left as it is"
        )
    return key


def _get_stored(service: str, account: str) -> str | None:
    try:
        stored = keyring.get_password(service, account)
    except keyring.errors.KeyringLocked as error:
        raise KeyringUnavailable(
            f"the system keyring ({backend_name()}) is locked: unlock it and try again"
        ) from error
    except Exception as error:
        raise KeyringUnavailable(
            f"reading the key from the system keyring ({backend_name()}) failed: "
            f"{_describe_error(error)}"
        ) from error
    return stored


def load_or_create_keyring_key(service: str, account: str, *, create: bool = True) -> bytes:
    """Return the 256-bit key stored in the OS keyring under ``service``/``account``.

    If there is none and ``create`` is true, a new random key is stored (as base64) and read
    back, so a backend that silently drops it (e.g. ``null``) is caught rather than leaving
    data sealed with a key that is gone. Use ``create=False`` when the data already holds
    sealed text: a missing entry then raises :class:`KeyringKeyMissing` instead of making a
    key that cannot open it.

    Raises :class:`KeyringUnavailable`, :class:`KeyringKeyMissing` or
    :class:`KeyringKeyInvalid` (an existing but malformed entry is never overwritten).
    """
    if not service or not account:
        raise ValueError("service and account must both be non-empty")
    reason = _unusable_backend_reason(keyring.get_keyring())
    if reason is not None:
        raise KeyringUnavailable(reason)

    stored = _get_stored(service, account)
    if stored is not None:
        return _decode_key(stored)
    if not create:
        raise KeyringKeyMissing(
            f"the system keyring ({backend_name()}) has no key for this data "
            f"(service {service!r}, account {account!r})"
        )

    new_key = os.urandom(KEY_BYTES)
    try:
        keyring.set_password(service, account, base64.b64encode(new_key).decode("ascii"))
    except keyring.errors.KeyringLocked as error:
        raise KeyringUnavailable(
            f"the system keyring ({backend_name()}) is locked: unlock it and try again"
        ) from error
    except Exception as error:
        # Only the type: a backend could conceivably echo its arguments, which hold the key.
        raise KeyringUnavailable(
            f"storing the key in the system keyring ({backend_name()}) failed "
            f"({type(error).__name__})"
        ) from None

    stored_back = _get_stored(service, account)
    if stored_back is None:
        raise KeyringUnavailable(
            f"the system keyring ({backend_name()}) accepted the key but did not keep it"
        )
    # If another process created the entry at the same moment, the stored one wins for both.
    return _decode_key(stored_back)


def obtain_keyring_key(service: str, account: str, *, create: bool = True) -> ObtainedKey:
    """:func:`load_or_create_keyring_key` together with its :class:`KeySource`."""
    key = load_or_create_keyring_key(service, account, create=create)
    return ObtainedKey(key=key, source=KeySource(kind="keyring", detail=backend_name()))


def delete_keyring_key(service: str, account: str) -> bool:
    """Remove this data directory's key from the OS keyring (wipe-all).

    Returns ``True`` if an entry was removed, ``False`` if there was none. Raises
    :class:`KeyringUnavailable` if the keyring cannot be reached, so wipe-all can say the key
    is still there rather than claim success.
    """
    removed = False
    # Some backends delete only the first match; loop so no duplicate survives.
    for _ in range(16):
        try:
            keyring.delete_password(service, account)
        except keyring.errors.PasswordDeleteError:
            return removed
        except Exception as error:
            raise KeyringUnavailable(
                f"removing the key from the system keyring ({backend_name()}) failed: "
                f"{_describe_error(error)}"
            ) from error
        removed = True
    raise KeyringUnavailable(
        f"the system keyring ({backend_name()}) still reports a key after 16 deletions"
    )


def new_salt() -> bytes:
    """A fresh random salt for :func:`derive_passphrase_key` (store it; it is not secret)."""
    return os.urandom(SALT_BYTES)


def derive_passphrase_key(passphrase: str, salt: bytes) -> bytes:
    """Derive the 256-bit key from ``passphrase`` with scrypt (parameters in :data:`KDF_NAME`).

    The passphrase is NFC-normalised first, so the same words typed on another system give
    the same key. Raises :class:`BadInput` for an empty passphrase, ``ValueError`` for a
    salt shorter than :data:`SALT_BYTES`.
    """
    if not passphrase:
        raise BadInput("the passphrase is empty: type at least one character")
    if not isinstance(salt, bytes) or len(salt) < SALT_BYTES:
        raise ValueError(f"salt must be at least {SALT_BYTES} random bytes")
    normalised = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    # Loaded here: a keyring key needs no KDF.
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt  # noqa: PLC0415

    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return kdf.derive(normalised)


def new_passphrase_key(passphrase: str) -> PassphraseSetup:
    """Set up passphrase mode: a new salt, the derived key and its verifier."""
    salt = new_salt()
    key = derive_passphrase_key(passphrase, salt)
    return PassphraseSetup(
        salt=salt,
        kdf=KDF_NAME,
        verifier=make_verifier(key),
        key=ObtainedKey(key=key, source=KeySource(kind="passphrase", detail=KDF_NAME)),
    )


def unlock_with_passphrase(
    passphrase: str, salt: bytes, verifier: bytes, *, kdf: str = KDF_NAME
) -> ObtainedKey:
    """Derive the key from ``passphrase`` and check it against the stored ``verifier``.

    Raises :class:`WrongPassphrase` if it does not match, :class:`KeyStoreError` if ``kdf``
    names parameters this version does not know.
    """
    if kdf != KDF_NAME:
        raise KeyStoreError(f"the data uses key derivation {kdf!r}, this app knows {KDF_NAME!r}")
    key = derive_passphrase_key(passphrase, salt)
    if not key_matches_verifier(key, verifier):
        raise WrongPassphrase("that passphrase does not open this data")
    return ObtainedKey(key=key, source=KeySource(kind="passphrase", detail=KDF_NAME))
