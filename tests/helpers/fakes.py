"""Small fakes for tests (as in qutebrowser's helpers): a fixed-key sealer, store factories."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.storage.sealing import AesGcmSealer
from nocontact_desktop.core.storage.store import Store, open_store

TEST_KEY = bytes(range(32))


def fixed_key_sealer() -> AesGcmSealer:
    """A real AES-GCM sealer with a fixed key (no keyring needed)."""
    return AesGcmSealer(TEST_KEY)


def make_store(data_dir: Path) -> Store:
    """A real store on disk with the fixed-key sealer."""
    return open_store(data_dir, fixed_key_sealer)


def clock_at(text: str, zone: str = "UTC") -> ManualClock:
    """A manual clock at an ISO instant, in ``zone``."""
    return ManualClock(datetime.fromisoformat(text), zone)
