"""The app lock (issue 14): a PIN or passphrase before any window with personal content.

The secret is never stored: only a salted scrypt hash of it, in the store's ``meta`` table
(not a setting: it is neither listed nor exported). A wrong secret is said so and asked again;
after :data:`FREE_TRIES` wrong ones in a row each further try waits a little longer (30 s,
doubling, at most 5 min), a calm pause rather than a lock-out.

This is a lock for the windows, not encryption: the person's free text is sealed at rest
anyway (core/storage/sealing.py), whether or not a PIN is set.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from nocontact_desktop.core.errors import BadInput

if TYPE_CHECKING:
    from nocontact_desktop.core.clock import Clock
    from nocontact_desktop.core.storage.store import Store

LOCK_META_KEY: Final = "app_lock"
LOCK_MINUTES_KEY: Final = "lock_after_minutes"
DEFAULT_LOCK_MINUTES: Final = 5
MIN_LOCK_MINUTES: Final = 1
MAX_LOCK_MINUTES: Final = 240

SCRYPT_N: Final = 2**15  # about 0.1 s and 32 MiB per try on this machine
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
SALT_BYTES: Final = 16
HASH_BYTES: Final = 32
MIN_SECRET_CHARS: Final = 4

FREE_TRIES: Final = 3
FIRST_PAUSE_SECONDS: Final = 30.0
MAX_PAUSE_SECONDS: Final = 300.0


def check_new_secret(secret: str) -> str:
    """The secret as it will be kept, or BadInput saying why it cannot be used."""
    if secret != secret.strip():
        raise BadInput("the PIN or passphrase cannot start or end with a space")
    if len(secret) < MIN_SECRET_CHARS:
        raise BadInput(f"a PIN or passphrase needs at least {MIN_SECRET_CHARS} characters")
    return secret


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt  # noqa: PLC0415 - on use

    return Scrypt(salt=salt, length=HASH_BYTES, n=n, r=r, p=p).derive(secret.encode("utf-8"))


def hash_secret(secret: str, *, n: int = SCRYPT_N) -> str:
    """A JSON record of a fresh salt, the scrypt parameters and the hash (never the secret)."""
    check_new_secret(secret)
    salt = os.urandom(SALT_BYTES)
    digest = _scrypt(secret, salt, n, SCRYPT_R, SCRYPT_P)
    return json.dumps(
        {
            "kdf": "scrypt",
            "n": n,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": base64.b64encode(salt).decode("ascii"),
            "hash": base64.b64encode(digest).decode("ascii"),
        }
    )


def verify_secret(secret: str, record: str) -> bool:
    """Whether ``secret`` is the one ``record`` was made from (constant-time comparison)."""
    import hmac  # noqa: PLC0415

    try:
        fields = json.loads(record)
        salt = base64.b64decode(fields["salt"], validate=True)
        expected = base64.b64decode(fields["hash"], validate=True)
        n, r, p = int(fields["n"]), int(fields["r"]), int(fields["p"])
    except (ValueError, KeyError, TypeError):
        return False
    if fields.get("kdf") != "scrypt" or not 2 <= n <= 2**20 or not 1 <= r <= 32 or p != 1:
        return False
    return hmac.compare_digest(_scrypt(secret, salt, n, r, p), expected)


@dataclass(frozen=True)
class UnlockResult:
    """What became of one try: ``ok``, or a calm sentence and how long to wait first."""

    ok: bool
    message: str = ""
    wait_seconds: float = 0.0


class AppLock:
    """Whether the windows with personal content are locked now.

    A lock with a secret starts locked (the app's start is a fresh session). Idle time is
    measured on the clock's monotonic time from the last :meth:`note_activity`.
    """

    def __init__(self, store: Store, clock: Clock, *, n: int = SCRYPT_N) -> None:
        self._store = store
        self._clock = clock
        self._n = n
        self._failures = 0
        self._wait_until = 0.0
        self._last_activity = clock.monotonic()
        self.locked = self.enabled

    @property
    def enabled(self) -> bool:
        """Whether a PIN or passphrase is set."""
        return self._store.meta(LOCK_META_KEY) is not None

    def set_secret(self, secret: str) -> None:
        """Set (or change) the PIN or passphrase; the app stays unlocked for now."""
        self._store.set_meta(LOCK_META_KEY, hash_secret(secret, n=self._n))
        self.locked = False
        self._failures = 0

    def clear_secret(self) -> None:
        """No lock any more."""
        with self._store.transaction() as conn:
            conn.execute("DELETE FROM meta WHERE key = ?", (LOCK_META_KEY,))
        self.locked = False

    def lock(self) -> bool:
        """Lock now (idle, the screen locked, quick exit); False when there is no secret."""
        if not self.enabled:
            return False
        self.locked = True
        return True

    def wait_remaining(self) -> float:
        """Seconds before the next try is taken (0 when a try may be made now)."""
        return max(0.0, self._wait_until - self._clock.monotonic())

    def try_unlock(self, secret: str) -> UnlockResult:
        """Check ``secret``; unlock on success, else say so (and how long to pause)."""
        record = self._store.meta(LOCK_META_KEY)
        if record is None:
            self.locked = False
            return UnlockResult(True)
        wait = self.wait_remaining()
        if wait > 0:
            return UnlockResult(False, _pause_text(wait), wait)
        if verify_secret(secret, record):
            self.locked = False
            self._failures = 0
            self.note_activity()
            return UnlockResult(True)
        self._failures += 1
        if self._failures < FREE_TRIES:
            return UnlockResult(False, "That is not it. Try again.")
        pause = min(MAX_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * 2 ** (self._failures - FREE_TRIES))
        self._wait_until = self._clock.monotonic() + pause
        return UnlockResult(False, "That is not it. " + _pause_text(pause), pause)

    def note_activity(self) -> None:
        """The person used one of the app's windows just now."""
        self._last_activity = self._clock.monotonic()

    def idle_seconds_left(self, minutes: int) -> float:
        """Seconds until the idle lock is due (0: due now)."""
        return max(0.0, self._last_activity + minutes * 60 - self._clock.monotonic())


def _pause_text(seconds: float) -> str:
    whole = int(seconds + 0.999)
    if whole >= 60:
        minutes = (whole + 59) // 60
        span = "a minute" if minutes == 1 else f"{minutes} minutes"
    else:
        span = f"{whole} seconds"
    return f"Take a breath; you can try again in {span}."
