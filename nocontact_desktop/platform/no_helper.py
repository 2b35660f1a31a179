"""The null helper service, for an OS where the privileged helper is not built yet (Windows).

Everything that works without the helper (streak, journal, emergency flow, app gate) still
works; blocking says plainly that it is not available here.
"""

from __future__ import annotations

from pathlib import Path

from nocontact_desktop.core.helper_link.client import HelperServiceError, HelperUnavailable
from nocontact_desktop.platform.base import PeerSocket

NOT_HERE = "the blocking helper is not available on this operating system yet"


def helper_socket_path() -> Path:
    """There is none: raises :class:`HelperUnavailable`."""
    raise HelperUnavailable(NOT_HERE)


def helper_state_dir() -> Path:
    """There is none: raises :class:`HelperUnavailable`."""
    raise HelperUnavailable(NOT_HERE)


def helper_hosts_path() -> Path:
    """There is none: raises :class:`HelperUnavailable`."""
    raise HelperUnavailable(NOT_HERE)


def install_helper(uid: int, executable: str) -> None:
    """Refuses with :class:`HelperServiceError`."""
    raise HelperServiceError(NOT_HERE)


def uninstall_helper(executable: str | None = None) -> None:
    """Refuses with :class:`HelperServiceError`."""
    raise HelperServiceError(NOT_HERE)


def helper_service_status() -> str:
    """Always ``unavailable: …``."""
    return f"unavailable: {NOT_HERE}"


def invoking_uid() -> int:
    """No uids here; the helper that would use one does not exist."""
    raise HelperServiceError(NOT_HERE)


def peer_uid(sock: PeerSocket) -> int:
    """No Unix-socket peers on this OS: raises :class:`OSError`."""
    raise OSError(NOT_HERE)
