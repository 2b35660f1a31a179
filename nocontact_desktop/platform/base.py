"""What each operating system must provide, one Protocol per concern (DESIGN §2).

``platform.current()`` returns an object typed :class:`Platform`; mypy checks every OS module
against it, so a missing piece on any OS is a type error, not a surprise at run time. Where an
OS has no real implementation yet it uses a null one that says so (``platform/no_helper.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from nocontact_desktop.core.app_gate.rules import (
    InstalledApp,
    Matcher,
    OsName,
    ProcessIdentity,
)
from nocontact_desktop.core.app_gate.watcher import ProcessSource
from nocontact_desktop.core.blocking.browser_policies import PolicyFile
from nocontact_desktop.core.privacy.discretion import EntryText


class PeerSocket(Protocol):
    """A connected socket (``socket.socket`` or asyncio's ``TransportSocket``)."""

    def fileno(self) -> int:
        """The descriptor."""
        ...

    def getsockopt(self, level: int, optname: int, buflen: int, /) -> bytes:
        """Read a socket option as bytes."""
        ...


class Autostart(Protocol):
    """Starting the tray app at login."""

    def set_autostart(
        self, enabled: bool, command: list[str], entry: EntryText | None = None
    ) -> None:
        """Create (or remove) the login entry that runs ``command``, shown as ``entry`` says
        (its name, comment and icon; None: the plain ones)."""
        ...

    def set_menu_entry(self, entry: EntryText | None, command: list[str]) -> None:
        """Shadow the app-menu entry the package installed with ``entry`` (discreet mode), or
        take the shadow away (None). Where the OS has no such entry it does nothing."""
        ...

    def autostart_enabled(self) -> bool:
        """Whether the login entry exists."""
        ...


class Desktop(Protocol):
    """The graphical session the tray app needs."""

    def graphical_session(self) -> bool:
        """Whether windows and a tray can be shown here (a display to connect to)."""
        ...


class BrowserPolicies(Protocol):
    """Where browsers read the system policies the helper writes (DoH off, short DNS cache)."""

    def browser_policy_files(self) -> list[PolicyFile]:
        """The policy files of every browser this OS's helper looks after."""
        ...


class AppCatalog(Protocol):
    """The apps installed for this user, to choose one to gate by name and icon."""

    def installed_apps(self) -> list[InstalledApp]:
        """Installed apps the desktop shows, sorted by name (empty where unknown)."""
        ...


class AppRules(Protocol):
    """How this OS recognises a running app from a gate rule (DESIGN §7)."""

    def app_matches(self, identity: ProcessIdentity, matcher: Matcher) -> bool:
        """Whether the process described by ``identity`` is the app ``matcher`` names."""
        ...


class PeerCredentials(Protocol):
    """Who is at the other end of the helper's socket, as the kernel says."""

    def peer_uid(self, sock: PeerSocket) -> int:
        """The uid of the connected peer; raises :class:`OSError` if there is none."""
        ...


class DnsCache(Protocol):
    """The system resolver's cache, flushed after the hosts file changes."""

    def flush_dns_cache(self) -> None:
        """Make cached answers go away now. Never raises."""
        ...


class HelperService(Protocol):
    """Installing, removing and finding the privileged helper as a system service."""

    def helper_socket_path(self) -> Path:
        """Where the installed helper listens."""
        ...

    def helper_state_dir(self) -> Path:
        """The helper's root-owned state folder."""
        ...

    def helper_hosts_path(self) -> Path:
        """The system hosts file the helper manages."""
        ...

    def install_helper(self, uid: int, executable: str) -> None:
        """Install and start the helper for ``uid``; raises ``HelperServiceError`` if it cannot."""
        ...

    def uninstall_helper(self, executable: str | None = None) -> None:
        """Stop and remove the helper, its state and its hosts-file section."""
        ...

    def invoking_uid(self) -> int:
        """The user an install is for (the one behind pkexec or sudo, else the caller)."""
        ...

    def helper_service_status(self) -> str:
        """``running``, ``stopped``, ``failed``, ``starting``, ``not installed``, or
        ``unavailable: <why>``."""
        ...


class Platform(
    Autostart,
    AppCatalog,
    BrowserPolicies,
    Desktop,
    ProcessSource,
    AppRules,
    PeerCredentials,
    DnsCache,
    HelperService,
    Protocol,
):
    """Everything one OS provides."""

    @property
    def name(self) -> OsName:
        """``linux``, ``macos`` or ``windows`` (the keys of the gate presets)."""
        ...
