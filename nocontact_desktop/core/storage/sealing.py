"""Sealing free text for storage: AES-256-GCM with a versioned blob format (DESIGN §8).

Every piece of free text the user writes (reasons, remember-list, journal and check-in notes,
unsent messages, event notes) is sealed before it reaches the database and opened after it is
read. Where the key comes from is :mod:`nocontact_desktop.core.storage.key_store`'s business.

Blob layout, version 1::

    b"\\x01" | key_id (8 bytes) | nonce (12 bytes) | ciphertext | GCM tag (16 bytes)

* ``key_id`` is ``HMAC-SHA256(key, "nocontact key id v1")[:8]``: it tells a wrong key apart
  from damaged data without revealing anything usable about the key.
* The nonce is 96 random bits, fresh for every message.
* The associated data binds the version byte, the key id and the *purpose* (e.g.
  ``"event.note"``), so a blob copied into another column, or with an edited header, fails to
  open instead of being shown out of context.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_V1: Final = 1
KEY_BYTES: Final = 32
KEY_ID_BYTES: Final = 8
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
HEADER_BYTES: Final = 1 + KEY_ID_BYTES
MIN_BLOB_BYTES: Final = HEADER_BYTES + NONCE_BYTES + TAG_BYTES

_KEY_ID_LABEL: Final = b"nocontact key id v1"
_AAD_PREFIX: Final = b"nocontact sealed text\x00"
_MAX_PURPOSE_CHARS: Final = 64

VERIFIER_PURPOSE: Final = "verifier"
_VERIFIER_TEXT: Final = "nocontact key verifier v1"


class SealError(Exception):
    """A blob could not be opened (damaged, altered, other field, other key).

    The message says what went wrong; it never contains the plaintext or key material.
    """


class WrongKeyError(SealError):
    """The blob was sealed with a different key than the one in use."""


class TextSealer(Protocol):
    """What the store needs to keep free text unreadable on disk."""

    def seal(self, plaintext: str, *, purpose: str) -> bytes:
        """Return an opaque blob for ``plaintext``; ``purpose`` names the field it belongs to."""
        ...

    def open(self, blob: bytes, *, purpose: str) -> str:
        """Return the text sealed in ``blob``; raise :class:`SealError` if it cannot be trusted."""
        ...


def key_id_for(key: bytes) -> bytes:
    """Return the 8-byte identifier written into every blob sealed with ``key``."""
    import hashlib  # noqa: PLC0415 - loaded with the cipher, not with every store
    import hmac  # noqa: PLC0415

    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).digest()[:KEY_ID_BYTES]


def _check_purpose(purpose: str) -> bytes:
    # Purposes are constants chosen by the program (not user input); refuse anything odd so a
    # typo cannot silently create a second, incompatible namespace of blobs.
    if not purpose or len(purpose) > _MAX_PURPOSE_CHARS or not purpose.isascii():
        raise ValueError(
            f"purpose {purpose!r} is not valid: it must be 1 to {_MAX_PURPOSE_CHARS} ASCII "
            "characters"
        )
    if not purpose.isprintable() or " " in purpose:
        raise ValueError(f"purpose {purpose!r} is not valid: no spaces or control characters")
    return purpose.encode("ascii")


def aesgcm_class() -> type[AESGCM]:
    """cryptography's AES-GCM, from its compiled core where it lives since cryptography 42.

    ``cryptography.hazmat.primitives.ciphers.aead`` only re-exports it, but importing it loads
    the whole ``ciphers`` package too: about half of the cipher's import time, paid by every
    ``block list`` and ``hosts show`` (DESIGN §11). Any other layout takes the public path.
    """
    try:
        from cryptography.hazmat.bindings._rust import openssl  # noqa: PLC0415

        found: type[AESGCM] = openssl.aead.AESGCM
    except (ImportError, AttributeError):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

        found = AESGCM
    return found


class AesGcmSealer:
    """:class:`TextSealer` with AES-256-GCM and the version-1 blob layout described above."""

    __slots__ = ("_aead", "_key", "_key_id")

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
            size = len(key) if isinstance(key, bytes | bytearray) else type(key).__name__
            raise ValueError(f"key must be {KEY_BYTES} bytes (256 bits), got {size}")
        key = bytes(key)
        # Loaded here: opening the store (``status``) needs no cipher until text is sealed.
        self._aead = aesgcm_class()(key)
        self._key = key
        # Worked out when first needed (sealing, or a blob that does not open): reading needs
        # no HMAC when the key is right, and hashlib is a tenth of a listing's start-up.
        self._key_id: bytes | None = None

    def __repr__(self) -> str:
        return f"AesGcmSealer(key_id={self.key_id.hex()})"

    @property
    def key_id(self) -> bytes:
        """The identifier of this sealer's key, as found in byte 1..8 of its blobs."""
        if self._key_id is None:
            self._key_id = key_id_for(self._key)
        return self._key_id

    def _aad(self, header: bytes, purpose: bytes) -> bytes:
        return _AAD_PREFIX + header + purpose

    def seal(self, plaintext: str, *, purpose: str) -> bytes:
        """Encrypt ``plaintext`` under a fresh random nonce, bound to ``purpose``."""
        if not isinstance(plaintext, str):
            raise TypeError(f"plaintext must be str, got {type(plaintext).__name__}")
        purpose_bytes = _check_purpose(purpose)
        header = bytes([FORMAT_V1]) + self.key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(
            nonce, plaintext.encode("utf-8"), self._aad(header, purpose_bytes)
        )
        return header + nonce + sealed

    def open(self, blob: bytes, *, purpose: str) -> str:
        """Decrypt ``blob`` sealed for ``purpose``; raise :class:`SealError` on any mismatch."""
        purpose_bytes = _check_purpose(purpose)
        if not isinstance(blob, bytes | bytearray | memoryview):
            raise SealError(f"sealed {purpose} is not bytes but {type(blob).__name__}")
        blob = bytes(blob)
        if len(blob) < MIN_BLOB_BYTES:
            raise SealError(
                f"sealed {purpose} is damaged: {len(blob)} bytes, "
                f"a valid blob has at least {MIN_BLOB_BYTES}"
            )
        if blob[0] != FORMAT_V1:
            raise SealError(
                f"sealed {purpose} has unknown format version {blob[0]} "
                f"(this version reads {FORMAT_V1}); the data is damaged or from a newer app"
            )
        header = blob[:HEADER_BYTES]
        nonce = blob[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
        from cryptography.exceptions import InvalidTag  # noqa: PLC0415 - loaded with the cipher

        try:
            # The header (with the key id) is part of the associated data: a blob of another
            # key, or with an edited key id, fails here; which of the two it was is told below.
            plain = self._aead.decrypt(
                nonce, blob[HEADER_BYTES + NONCE_BYTES :], self._aad(header, purpose_bytes)
            )
        except InvalidTag:
            import hmac  # noqa: PLC0415 - only for a blob that did not open

            if not hmac.compare_digest(header[1:], self.key_id):
                raise WrongKeyError(
                    f"sealed {purpose} was encrypted with a different key than the one in use: "
                    "the keyring entry or passphrase does not belong to this data"
                ) from None
            # from None: the cryptography exception adds nothing and keeps tracebacks short.
            raise SealError(
                f"sealed {purpose} failed its integrity check: it was altered or damaged, "
                "or it belongs to another field"
            ) from None
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:
            raise SealError(f"sealed {purpose} does not hold valid UTF-8 text") from None


def make_verifier(key: bytes) -> bytes:
    """A blob that only ``key`` opens; store it to tell a wrong passphrase or keyring key."""
    return AesGcmSealer(key).seal(_VERIFIER_TEXT, purpose=VERIFIER_PURPOSE)


def key_matches_verifier(key: bytes, verifier: bytes) -> bool:
    """Whether ``key`` is the key that made ``verifier``."""
    try:
        return AesGcmSealer(key).open(verifier, purpose=VERIFIER_PURPOSE) == _VERIFIER_TEXT
    except SealError:
        return False
