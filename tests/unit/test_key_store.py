"""Key sources: passphrase derivation and verifier, keyring availability and errors.

The real Secret Service is exercised in tests/e2e/test_keyring_real.py; here keyring's own
non-OS backends (fail, null) and a tiny in-memory backend stand in for what they are.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail, null

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.storage import key_store
from nocontact_desktop.core.storage.key_store import (
    KDF_NAME,
    SALT_BYTES,
    KeyringKeyInvalid,
    KeyringKeyMissing,
    KeyringUnavailable,
    KeySource,
    KeyStoreError,
    WrongPassphrase,
    delete_keyring_key,
    derive_passphrase_key,
    key_matches_verifier,
    keyring_available,
    load_or_create_keyring_key,
    make_verifier,
    new_account_id,
    new_passphrase_key,
    new_salt,
    obtain_keyring_key,
    unlock_with_passphrase,
)
from nocontact_desktop.core.storage.sealing import AesGcmSealer

SALT = bytes(range(SALT_BYTES))
SERVICE = "nocontact-desktop-test"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """In-process backend for the error paths the real daemon cannot be made to produce."""

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


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.InitError("Failed to create the collection: no D-Bus.")


class EchoingKeyring(MemoryKeyring):
    """A badly behaved backend that puts its arguments (the key!) in its error message."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError(f"cannot store {password}")


class SlowKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        time.sleep(2)
        return None


@pytest.fixture
def use_backend() -> Iterator[None]:
    """Lets a test call keyring.set_keyring(); the previous backend is restored afterwards."""
    previous = keyring.get_keyring()
    try:
        yield
    finally:
        keyring.set_keyring(previous)


# --- passphrase -------------------------------------------------------------------------


def test_derivation_is_deterministic_and_256_bit() -> None:
    first = derive_passphrase_key("correct horse battery staple", SALT)
    assert len(first) == 32
    assert derive_passphrase_key("correct horse battery staple", SALT) == first


def test_derivation_depends_on_salt_and_passphrase() -> None:
    base = derive_passphrase_key("correct horse battery staple", SALT)
    other_salt = bytes([SALT[0] ^ 1]) + SALT[1:]
    assert derive_passphrase_key("correct horse battery staple", other_salt) != base
    assert derive_passphrase_key("correct horse battery stapler", SALT) != base
    assert derive_passphrase_key("Correct horse battery staple", SALT) != base


def test_derivation_normalises_unicode() -> None:
    composed = "caf\u00e9 au lait"
    decomposed = "cafe\u0301 au lait"
    assert derive_passphrase_key(composed, SALT) == derive_passphrase_key(decomposed, SALT)


def test_derivation_is_costly_but_within_budget() -> None:
    started = time.perf_counter()
    derive_passphrase_key("timing", SALT)
    elapsed = time.perf_counter() - started
    # Strong enough to slow guessing, yet a user waits at most about half a second.
    assert KDF_NAME == "scrypt-n65536-r8-p1"
    assert 0.02 < elapsed < 1.5, elapsed


def test_empty_passphrase_refused() -> None:
    with pytest.raises(BadInput, match=r"the passphrase is empty"):
        derive_passphrase_key("", SALT)


def test_short_salt_refused() -> None:
    with pytest.raises(ValueError, match=r"salt must be at least 16"):
        derive_passphrase_key("pw", b"short")


def test_new_salt_is_random() -> None:
    salts = {new_salt() for _ in range(50)}
    assert len(salts) == 50
    assert all(len(salt) == SALT_BYTES for salt in salts)


def test_verifier_detects_wrong_passphrase() -> None:
    setup = new_passphrase_key("the right words")
    assert setup.kdf == KDF_NAME
    assert setup.key.source == KeySource(kind="passphrase", detail=KDF_NAME)
    unlocked = unlock_with_passphrase("the right words", setup.salt, setup.verifier)
    assert unlocked.key == setup.key.key
    with pytest.raises(WrongPassphrase, match=r"that passphrase does not open this data") as bad:
        unlock_with_passphrase("the wrong words", setup.salt, setup.verifier)
    assert "wrong words" not in str(bad.value)
    assert "right words" not in str(bad.value)


def test_verifier_also_checks_a_keyring_key() -> None:
    key = bytes(range(32))
    verifier = make_verifier(key)
    assert key_matches_verifier(key, verifier)
    assert not key_matches_verifier(bytes(32), verifier)
    assert not key_matches_verifier(key, verifier[:-1] + bytes([verifier[-1] ^ 1]))


def test_unknown_kdf_refused() -> None:
    setup = new_passphrase_key("pw")
    with pytest.raises(KeyStoreError, match=r"key derivation 'argon2id"):
        unlock_with_passphrase("pw", setup.salt, setup.verifier, kdf="argon2id-v1")


def test_passphrase_key_seals_and_opens() -> None:
    setup = new_passphrase_key("pw")
    blob = setup.key.sealer().seal("a reason to stay away", purpose="reason")
    again = unlock_with_passphrase("pw", setup.salt, setup.verifier)
    assert again.sealer().open(blob, purpose="reason") == "a reason to stay away"


def test_repr_never_shows_the_key() -> None:
    setup = new_passphrase_key("zebra quilt marmalade")
    text = repr(setup)
    assert setup.key.key.hex() not in text
    assert repr(setup.key.key) not in text
    assert "marmalade" not in text


# --- keyring availability ---------------------------------------------------------------


def test_fail_backend_is_not_available(use_backend: None) -> None:
    keyring.set_keyring(fail.Keyring())
    available, reason = keyring_available()
    assert available is False
    assert "no system keyring was found" in reason
    assert "fail" in reason


def test_null_backend_is_not_available(use_backend: None) -> None:
    keyring.set_keyring(null.Keyring())
    available, reason = keyring_available()
    assert available is False
    assert "switched off" in reason


def test_locked_backend_is_not_available(use_backend: None) -> None:
    keyring.set_keyring(LockedKeyring())
    available, reason = keyring_available()
    assert available is False
    assert "is locked" in reason


def test_erroring_backend_is_not_available(use_backend: None) -> None:
    keyring.set_keyring(BrokenKeyring())
    available, reason = keyring_available()
    assert available is False
    assert "does not work: InitError: Failed to create the collection" in reason


def test_unanswered_probe_times_out(use_backend: None) -> None:
    keyring.set_keyring(SlowKeyring())
    available, reason = keyring_available(timeout_s=0.2)
    assert available is False
    assert "did not answer within 0.2 s" in reason


def test_working_backend_is_available(use_backend: None) -> None:
    keyring.set_keyring(MemoryKeyring())
    available, reason = keyring_available()
    assert available is True
    assert "MemoryKeyring" in reason


# --- keyring key ------------------------------------------------------------------------


def test_fail_backend_never_yields_a_key(use_backend: None) -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(KeyringUnavailable, match=r"no system keyring was found"):
        load_or_create_keyring_key(SERVICE, new_account_id())


def test_null_backend_never_yields_a_key(use_backend: None) -> None:
    # null accepts set_password and forgets it: data sealed with that key would be lost.
    keyring.set_keyring(null.Keyring())
    with pytest.raises(KeyringUnavailable):
        load_or_create_keyring_key(SERVICE, new_account_id())


def test_backend_that_drops_the_key_is_caught(use_backend: None) -> None:
    class Forgetful(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            pass

    keyring.set_keyring(Forgetful())
    with pytest.raises(KeyringUnavailable, match=r"accepted the key but did not keep it"):
        load_or_create_keyring_key(SERVICE, new_account_id())


def test_create_then_load_same_key_then_delete(use_backend: None) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    account = new_account_id()
    first = load_or_create_keyring_key(SERVICE, account)
    assert len(first) == 32
    assert load_or_create_keyring_key(SERVICE, account) == first
    assert load_or_create_keyring_key(SERVICE, account, create=False) == first
    assert base64.b64decode(backend.entries[(SERVICE, account)]) == first
    assert load_or_create_keyring_key(SERVICE, new_account_id()) != first
    obtained = obtain_keyring_key(SERVICE, account)
    assert obtained.key == first
    assert obtained.source.kind == "keyring"
    assert obtained.source.detail.endswith("MemoryKeyring")
    assert "system keyring" in obtained.source.describe()
    assert first.hex() not in repr(obtained)

    assert delete_keyring_key(SERVICE, account) is True
    assert (SERVICE, account) not in backend.entries
    assert delete_keyring_key(SERVICE, account) is False
    with pytest.raises(KeyringKeyMissing, match=r"has no key for this data"):
        load_or_create_keyring_key(SERVICE, account, create=False)


def test_malformed_entry_is_reported_and_kept(use_backend: None) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    for bad in ("not base64!!", base64.b64encode(b"short").decode()):
        backend.entries[(SERVICE, "acct")] = bad
        with pytest.raises(KeyringKeyInvalid, match=r"does not hold a valid key"):
            load_or_create_keyring_key(SERVICE, "acct")
        assert backend.entries[(SERVICE, "acct")] == bad


def test_locked_keyring_message(use_backend: None) -> None:
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(KeyringUnavailable, match=r"is locked: unlock it and try again"):
        load_or_create_keyring_key(SERVICE, "acct")


def test_backend_error_never_echoes_the_key(use_backend: None) -> None:
    keyring.set_keyring(EchoingKeyring())
    with pytest.raises(KeyringUnavailable, match=r"failed \(PasswordSetError\)") as caught:
        load_or_create_keyring_key(SERVICE, "acct")
    assert "cannot store" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_delete_reports_unreachable_keyring(use_backend: None) -> None:
    class Undeletable(MemoryKeyring):
        def delete_password(self, service: str, username: str) -> None:
            raise keyring.errors.KeyringError("D-Bus went away")

    keyring.set_keyring(Undeletable())
    with pytest.raises(KeyringUnavailable, match=r"removing the key .* failed: .*D-Bus went away"):
        delete_keyring_key(SERVICE, "acct")


def test_account_ids_are_random() -> None:
    ids = {new_account_id() for _ in range(20)}
    assert len(ids) == 20
    assert all(account.startswith("data-") and len(account) == 37 for account in ids)


def test_key_store_uses_only_documented_sealer() -> None:
    # The verifier blob is an ordinary version-1 blob with purpose "verifier".
    key = bytes(range(32))
    verifier = make_verifier(key)
    assert AesGcmSealer(key).open(verifier, purpose=key_store.VERIFIER_PURPOSE)
