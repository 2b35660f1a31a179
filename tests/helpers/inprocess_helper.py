"""The helper's daemon run in this process on real files, with an injected clock.

For the integration tests that steer time (suspend, wall-clock jumps, restarts in one boot)
or look inside the daemon; the process-level tests use :mod:`tests.helpers.helper_harness`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.helper.daemon import HelperConfig, HelperDaemon
from nocontact_desktop.platform.linux import peer_uid

START = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)


def helper_config(tmp_path: Path, **changes: Any) -> HelperConfig:
    """A daemon's configuration under ``tmp_path``: no listener, a quick tamper check."""
    values: dict[str, Any] = {
        "hosts_file": tmp_path / "hosts",
        "socket_path": tmp_path / "run" / "helper.sock",
        "state_dir": tmp_path / "state",
        "listener_enabled": False,
        "tamper_check_interval": 0.05,
    }
    values.update(changes)
    return HelperConfig(**values)


def in_process_daemon(config: HelperConfig, clock: ManualClock, **more: Any) -> HelperDaemon:
    """A daemon with this process's uid as its peer and no DNS cache flush."""
    return HelperDaemon(config, clock, peer_uid=peer_uid, flush_dns=lambda: None, **more)


@asynccontextmanager
async def running(daemon: HelperDaemon) -> AsyncIterator[HelperDaemon]:
    """Start ``daemon``; stop it however the block ends."""
    await daemon.start()
    try:
        yield daemon
    finally:
        await daemon.stop()


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.02)
    return check()
