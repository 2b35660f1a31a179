"""AES-GCM sealing of free text: round trip, integrity, binding to purpose and key."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nocontact_desktop.core.storage.sealing import (
    FORMAT_V1,
    HEADER_BYTES,
    KEY_ID_BYTES,
    MIN_BLOB_BYTES,
    NONCE_BYTES,
    AesGcmSealer,
    SealError,
    TextSealer,
    WrongKeyError,
    key_id_for,
)

SENTENCE = "I deserve to be treated with kindness — Ich verdiene Güte 💙"


@pytest.fixture
def sealer() -> AesGcmSealer:
    return AesGcmSealer(os.urandom(32))


def test_is_a_text_sealer(sealer: AesGcmSealer) -> None:
    as_protocol: TextSealer = sealer  # mypy checks the protocol; this checks it at runtime
    assert as_protocol.open(as_protocol.seal("x", purpose="reason"), purpose="reason") == "x"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        SENTENCE,
        "line one\nline two\r\n\ttabbed",
        "\x00nul inside",
        "日本語のメモ",
        "x" * 100_000,
    ],
)
def test_round_trip(sealer: AesGcmSealer, text: str) -> None:
    blob = sealer.seal(text, purpose="journal.note")
    assert isinstance(blob, bytes)
    assert sealer.open(blob, purpose="journal.note") == text


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_round_trip_any_unicode(text: str) -> None:
    sealer = AesGcmSealer(bytes(range(32)))
    assert sealer.open(sealer.seal(text, purpose="unsent.body"), purpose="unsent.body") == text


def test_blob_layout(sealer: AesGcmSealer) -> None:
    blob = sealer.seal("hello", purpose="reason")
    assert blob[0] == FORMAT_V1 == 1
    assert blob[1:HEADER_BYTES] == sealer.key_id
    assert len(sealer.key_id) == KEY_ID_BYTES
    assert len(blob) == MIN_BLOB_BYTES + len(b"hello")


def test_empty_string_still_authenticated(sealer: AesGcmSealer) -> None:
    blob = sealer.seal("", purpose="reason")
    assert len(blob) == MIN_BLOB_BYTES
    with pytest.raises(SealError):
        sealer.open(blob, purpose="remember")


def test_every_single_byte_flip_is_detected(sealer: AesGcmSealer) -> None:
    blob = sealer.seal(SENTENCE, purpose="event.note")
    for index in range(len(blob)):
        for mask in (0x01, 0x80):
            damaged = bytearray(blob)
            damaged[index] ^= mask
            with pytest.raises(SealError) as caught:
                sealer.open(bytes(damaged), purpose="event.note")
            assert SENTENCE not in str(caught.value)


def test_truncated_and_extended_blobs_fail(sealer: AesGcmSealer) -> None:
    blob = sealer.seal(SENTENCE, purpose="event.note")
    for cut in (0, 1, HEADER_BYTES, MIN_BLOB_BYTES - 1, len(blob) - 1):
        with pytest.raises(SealError):
            sealer.open(blob[:cut], purpose="event.note")
    with pytest.raises(SealError):
        sealer.open(blob + b"\x00", purpose="event.note")


def test_short_blob_message_says_damaged(sealer: AesGcmSealer) -> None:
    with pytest.raises(SealError, match=r"sealed reason is damaged: 3 bytes"):
        sealer.open(b"\x01ab", purpose="reason")


def test_unknown_version_message(sealer: AesGcmSealer) -> None:
    blob = bytearray(sealer.seal("hi", purpose="reason"))
    blob[0] = 2
    with pytest.raises(SealError, match=r"unknown format version 2"):
        sealer.open(bytes(blob), purpose="reason")


def test_wrong_purpose_fails(sealer: AesGcmSealer) -> None:
    blob = sealer.seal(SENTENCE, purpose="event.note")
    with pytest.raises(SealError, match=r"integrity check") as caught:
        sealer.open(blob, purpose="reason")
    assert not isinstance(caught.value, WrongKeyError)
    assert SENTENCE not in str(caught.value)


def test_wrong_key_is_reported_as_such() -> None:
    blob = AesGcmSealer(os.urandom(32)).seal(SENTENCE, purpose="reason")
    other = AesGcmSealer(os.urandom(32))
    with pytest.raises(WrongKeyError, match=r"different key than the one in use") as caught:
        other.open(blob, purpose="reason")
    assert isinstance(caught.value, SealError)
    assert SENTENCE not in str(caught.value)


def test_forged_key_id_with_wrong_key_still_fails() -> None:
    # Someone copying our key id into a blob made with another key gets an integrity error.
    ours = AesGcmSealer(os.urandom(32))
    theirs = AesGcmSealer(os.urandom(32))
    blob = bytearray(theirs.seal("forged", purpose="reason"))
    blob[1:HEADER_BYTES] = ours.key_id
    with pytest.raises(SealError, match=r"integrity check"):
        ours.open(bytes(blob), purpose="reason")


def test_the_cipher_is_cryptographys_public_aesgcm() -> None:
    """The quicker import path gives the very class the public module exports."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from nocontact_desktop.core.storage.sealing import aesgcm_class

    assert aesgcm_class() is AESGCM


def test_the_cipher_comes_by_the_public_path_where_the_core_has_no_aesgcm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Older cryptography (Debian's python3-cryptography) has no AESGCM in its Rust core."""
    import sys

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from nocontact_desktop.core.storage.sealing import aesgcm_class

    monkeypatch.setitem(sys.modules, "cryptography.hazmat.bindings._rust", None)
    assert aesgcm_class() is AESGCM
    key = os.urandom(32)
    assert AesGcmSealer(key).open(AesGcmSealer(key).seal("x", purpose="reason"), purpose="reason")


def test_a_blob_of_a_right_key_opens_without_working_out_the_key_id() -> None:
    key = os.urandom(32)
    blob = AesGcmSealer(key).seal(SENTENCE, purpose="reason")
    reader = AesGcmSealer(key)
    assert reader.open(blob, purpose="reason") == SENTENCE
    assert reader._key_id is None  # no HMAC on the everyday path (DESIGN §11)
    assert reader.key_id == blob[1:HEADER_BYTES]


def test_nonces_are_unique(sealer: AesGcmSealer) -> None:
    blobs = [sealer.seal("same text", purpose="reason") for _ in range(2000)]
    nonces = {blob[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES] for blob in blobs}
    assert len(nonces) == len(blobs)
    assert len(set(blobs)) == len(blobs)


def test_no_plaintext_in_blob(sealer: AesGcmSealer) -> None:
    blob = sealer.seal(SENTENCE, purpose="unsent.body")
    for form in (SENTENCE, SENTENCE.lower(), SENTENCE.upper()):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le"):
            assert form.encode(encoding) not in blob
    for word in ("kindness", "deserve", "Güte"):
        assert word.encode("utf-8") not in blob


def test_key_id_is_deterministic_and_key_specific() -> None:
    key = bytes(range(32))
    assert key_id_for(key) == AesGcmSealer(key).key_id == key_id_for(bytes(key))
    assert key_id_for(bytes(32)) != key_id_for(key)
    assert key not in repr(AesGcmSealer(key)).encode()


@pytest.mark.parametrize("bad_key", [b"", b"x" * 16, b"x" * 24, b"x" * 31, b"x" * 33])
def test_rejects_keys_that_are_not_256_bit(bad_key: bytes) -> None:
    with pytest.raises(ValueError, match=r"key must be 32 bytes \(256 bits\)"):
        AesGcmSealer(bad_key)


@pytest.mark.parametrize("purpose", ["", "has space", "tab\there", "é", "x" * 65])
def test_rejects_odd_purposes(sealer: AesGcmSealer, purpose: str) -> None:
    with pytest.raises(ValueError, match=r"purpose .* is not valid"):
        sealer.seal("text", purpose=purpose)


def test_open_refuses_non_bytes(sealer: AesGcmSealer) -> None:
    with pytest.raises(SealError, match=r"is not bytes but str"):
        sealer.open("not a blob", purpose="reason")  # type: ignore[arg-type]


def test_open_accepts_memoryview_from_sqlite(sealer: AesGcmSealer) -> None:
    blob = sealer.seal(SENTENCE, purpose="reason")
    assert sealer.open(memoryview(blob), purpose="reason") == SENTENCE  # type: ignore[arg-type]
