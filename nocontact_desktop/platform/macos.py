"""Platform specifics for Macos.

Several features add functions here; keep each feature's functions under its own heading comment.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import plistlib
import posixpath
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

import psutil

from nocontact_desktop.core.app_gate.rules import InstalledApp, Matcher, ProcessIdentity
from nocontact_desktop.core.atomic_file import write_private
from nocontact_desktop.core.blocking.browser_policies import PolicyFile
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.privacy.discretion import EntryText
from nocontact_desktop.platform import psutil_processes as _shared
from nocontact_desktop.platform.base import PeerSocket
from nocontact_desktop.platform.posix import checked as _checked
from nocontact_desktop.platform.posix import invoking_uid as invoking_uid  # noqa: PLC0414 - re-export
from nocontact_desktop.platform.posix import quiet_run as _dns_run
from nocontact_desktop.platform.posix import run_tool as _run

name: Final = "macos"
"""This OS's key in the gate presets."""

# --- Desktop session ---


def graphical_session() -> bool:
    """The window server is always there for a logged-in user."""
    return True


# --- Browser policies ---


def browser_policy_files() -> list[PolicyFile]:
    """None yet: macOS browsers take policies as configuration profiles, not managed here."""
    return []


# --- Installed apps (to choose one to gate) ---


def installed_apps() -> list[InstalledApp]:
    """The ``.app`` bundles in /Applications and ~/Applications, gated by their bundle."""
    found: dict[str, InstalledApp] = {}
    for folder in (Path("/Applications"), Path.home() / "Applications"):
        try:
            bundles = sorted(folder.glob("*.app"))
        except OSError:
            continue
        for bundle in bundles:
            found.setdefault(bundle.stem.casefold(), InstalledApp(bundle.stem, str(bundle)))
    return sorted(found.values(), key=lambda app: app.name.casefold())


# --- Start at login (autostart) ---

LAUNCH_AGENT_LABEL = "org.nocontact.tray"


def autostart_path() -> Path:
    """The per-user LaunchAgent: ``~/Library/LaunchAgents/org.nocontact.tray.plist``."""
    return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"


def set_autostart(enabled: bool, command: list[str], entry: EntryText | None = None) -> None:
    """Write (or remove) a LaunchAgent with RunAtLoad that starts ``command`` at login.

    ``entry`` is not shown by macOS (Login Items show the program's own name)."""
    del entry
    path = autostart_path()
    if not enabled:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    plist = {
        "Label": LAUNCH_AGENT_LABEL,
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
    }
    write_private(path, plistlib.dumps(plist), mode=0o644)


def autostart_enabled() -> bool:
    """Whether the LaunchAgent exists."""
    return autostart_path().exists()


def set_menu_entry(entry: EntryText | None, command: list[str]) -> None:
    """No app-menu entry of ours to shadow here: the app bundle or installer names it."""
    del entry, command


# --- App gate (process matching and freezing) ---
# core/app_gate.py polls for new processes and freezes gated apps (DESIGN §7). Here everything
# goes through psutil, which checks before each signal that the pid still belongs to the process
# it was opened for; the create time compared below is psutil's (seconds since the epoch).

# The process source is the same psutil code on macOS and Windows.
list_pids = _shared.list_pids
spawn_counter = _shared.spawn_counter
process_identity = _shared.process_identity
process_exec_token = _shared.process_exec_token
process_child_pids = _shared.process_child_pids
process_alive = _shared.process_alive
_gate_process = _shared.gate_process


_GATE_LAUNCHERS: Final = frozenset({"sh", "bash", "zsh", "dash", "ksh", "fish", "env", "nohup"})


def suspend_process(pid: int, create_time: float) -> None:
    """Freeze the process (SIGSTOP). Raises ``psutil.NoSuchProcess``/``AccessDenied``."""
    _gate_process(pid, create_time).suspend()


def resume_process(pid: int, create_time: float) -> None:
    """Let a frozen process run again (SIGCONT)."""
    _gate_process(pid, create_time).resume()


def terminate_process(pid: int, create_time: float) -> None:
    """Ask the process to end: SIGTERM, then SIGCONT so that a frozen one can act on it."""
    proc = _gate_process(pid, create_time)
    proc.terminate()
    try:
        proc.resume()
    except psutil.NoSuchProcess:
        return  # it was not frozen and has already ended


def kill_process(pid: int, create_time: float) -> None:
    """End the process now (SIGKILL; works on a frozen process too)."""
    _gate_process(pid, create_time).kill()


def gate_launcher_names() -> frozenset[str]:
    """Process names that may exec() the real program later in the same pid."""
    return _GATE_LAUNCHERS


def app_matches(identity: ProcessIdentity, matcher: Matcher) -> bool:
    """Whether the process is the app that ``matcher`` describes, by macOS rules.

    Names and paths compare without regard to case (the default APFS volume ignores it).

    - ``name``: the process name or the executable's file name;
    - ``path``: the executable's path;
    - ``bundle``: the executable is the main program of that bundle, i.e. sits directly in
      ``NAME.app/Contents/MacOS/`` (a bundle name) or ``PATH/Contents/MacOS/`` (an absolute
      bundle path). Helper apps nested in the bundle (``Contents/Frameworks/… Helper.app``)
      do not match; the gate catches them as children of the main program.
    - ``flatpak`` and ``snap`` (Linux) never match here.
    """
    kind, wanted = matcher.kind, matcher.value.casefold()
    exe = (identity.exe or (identity.cmdline[0] if identity.cmdline else "")).casefold()
    if kind == "name":
        return identity.name.casefold() == wanted or (
            bool(exe) and posixpath.basename(exe) == wanted
        )
    if kind == "path":
        return bool(exe) and exe == wanted
    if kind == "bundle":
        if wanted.startswith("/"):
            prefix = wanted.rstrip("/") + "/contents/macos/"
            return exe.startswith(prefix) and "/" not in exe[len(prefix) :]
        marker = "/" + wanted + "/contents/macos/"
        at = exe.rfind(marker)
        return at >= 0 and "/" not in exe[at + len(marker) :]
    return False


# --- Helper IPC peer credentials ---




def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.dylib", use_errno=True)


def peer_uid(sock: PeerSocket, *, libc: ctypes.CDLL | None = None) -> int:
    """The effective uid of the process at the other end of a connected Unix socket.

    ``getpeereid(2)`` asks the kernel (it reads ``LOCAL_PEERCRED``); the client cannot forge
    it. Raises :class:`OSError` when the call fails.
    """
    lib = libc if libc is not None else _libc()
    uid = ctypes.c_uint32()
    gid = ctypes.c_uint32()
    if lib.getpeereid(sock.fileno(), ctypes.byref(uid), ctypes.byref(gid)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return int(uid.value)


# --- Helper service (paths, install, uninstall, status) ---

HELPER_LABEL = "org.nocontact.helper"
LAUNCH_DAEMONS_DIR = Path("/Library/LaunchDaemons")
HELPER_SOCKET_PATH = Path("/var/run/nocontact/helper.sock")
HELPER_STATE_DIR = Path("/Library/Application Support/NoContact/helper")
HELPER_HOSTS_PATH = Path("/etc/hosts")
HELPER_LOG_PATH = "/Library/Logs/nocontact-helper.log"

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def helper_socket_path() -> Path:
    """Where the helper listens."""
    return HELPER_SOCKET_PATH


def helper_state_dir() -> Path:
    """The helper's root-owned state folder."""
    return HELPER_STATE_DIR


def helper_hosts_path() -> Path:
    """The system hosts file the helper manages (``/etc`` links to ``/private/etc``)."""
    return HELPER_HOSTS_PATH




def render_helper_plist(uid: int, executable: str) -> bytes:
    """The launchd daemon plist that keeps ``executable helper run --allow-uid uid`` running."""
    if not isinstance(uid, int) or isinstance(uid, bool) or not 0 <= uid < 2**32 - 1:
        raise BadInput(f"{uid!r} is not a valid uid: not a number in 0-4294967294")
    if not executable.startswith("/") or "\n" in executable or "\x00" in executable:
        raise BadInput(f"{executable!r} is not a valid helper program path: it must be absolute")
    document = {
        "Label": HELPER_LABEL,
        "ProgramArguments": [executable, "helper", "run", "--allow-uid", str(uid)],
        "RunAtLoad": True,
        "KeepAlive": True,
        "ProcessType": "Background",
        "Umask": 0o022,
        "StandardErrorPath": HELPER_LOG_PATH,
    }
    return plistlib.dumps(document)




def _applescript_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _elevate(executable: str, action: str, runner: Runner) -> None:
    """Run ``executable helper ACTION`` as root; macOS asks for an administrator password."""
    command = shlex.join([executable, "helper", action])
    script = f"do shell script {_applescript_string(command)} with administrator privileges"
    _checked(runner(["/usr/bin/osascript", "-e", script]), f"helper {action} as administrator")


def install_helper(
    uid: int,
    executable: str,
    *,
    runner: Runner = _run,
    daemons_dir: Path = LAUNCH_DAEMONS_DIR,
    euid: int | None = None,
) -> None:
    """Install the launchd daemon for ``uid`` and start it (asks for admin rights if needed)."""
    plist = render_helper_plist(uid, executable)
    if (os.geteuid() if euid is None else euid) != 0:
        _elevate(executable, "install", runner)
        return
    target = daemons_dir / f"{HELPER_LABEL}.plist"
    write_private(target, plist, mode=0o644)  # root:wheel, as launchd requires: we are root
    runner(["/bin/launchctl", "bootout", f"system/{HELPER_LABEL}"])  # an older copy, if any
    _checked(runner(["/bin/launchctl", "enable", f"system/{HELPER_LABEL}"]), "launchctl enable")
    _checked(
        runner(["/bin/launchctl", "bootstrap", "system", str(target)]), "launchctl bootstrap"
    )


def uninstall_helper(
    executable: str | None = None,
    *,
    runner: Runner = _run,
    daemons_dir: Path = LAUNCH_DAEMONS_DIR,
    hosts_file: Path = HELPER_HOSTS_PATH,
    state_dir: Path = HELPER_STATE_DIR,
    euid: int | None = None,
) -> None:
    """Stop and remove the daemon, its state and its section of the hosts file."""
    if (os.geteuid() if euid is None else euid) != 0:
        _elevate(executable or sys.argv[0], "uninstall", runner)
        return
    target = daemons_dir / f"{HELPER_LABEL}.plist"
    runner(["/bin/launchctl", "bootout", f"system/{HELPER_LABEL}"])  # fails if not loaded
    target.unlink(missing_ok=True)
    from nocontact_desktop.core.blocking.hosts_section import remove_from_file  # noqa: PLC0415

    remove_from_file(hosts_file)
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(state_dir)


def helper_service_status(
    *, runner: Runner = _run, daemons_dir: Path = LAUNCH_DAEMONS_DIR
) -> str:
    """One of ``running``, ``stopped``, ``not installed`` (from ``launchctl print``)."""
    if not (daemons_dir / f"{HELPER_LABEL}.plist").exists():
        return "not installed"
    result = runner(["/bin/launchctl", "print", f"system/{HELPER_LABEL}"])
    if result.returncode != 0:
        return "stopped"
    for line in result.stdout.splitlines():
        key, _, value = line.strip().partition(" = ")
        if key == "state":
            return "running" if value.strip() == "running" else "stopped"
    return "stopped"


# --- DNS cache flush (blocking) ---
# Apple's documented sequence for macOS 10.10.4 and later: flush the Directory Services cache,
# then make mDNSResponder (which caches /etc/hosts answers too) drop its cache. Both need root,
# which the helper has. Tools are looked up in the system folders only, never on the caller's
# PATH.

_log = logging.getLogger("nocontact.platform.dns")
_DNS_TOOL_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"




def flush_dns_cache() -> None:
    """``dscacheutil -flushcache`` then ``killall -HUP mDNSResponder``. Never raises."""
    for tool, *arguments in (
        ("dscacheutil", "-flushcache"),
        ("killall", "-HUP", "mDNSResponder"),
    ):
        executable = shutil.which(tool, path=_DNS_TOOL_PATH)
        if executable is None:
            _log.debug("DNS flush: %s not found", tool)
            continue
        _dns_run([executable, *arguments])
