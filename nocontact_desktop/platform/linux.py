"""Platform specifics for Linux.

Several features add functions here; keep each feature's functions under its own heading comment.
"""

from __future__ import annotations

import contextlib
import logging
import os
import posixpath
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from nocontact_desktop.core.app_gate.rules import InstalledApp, Matcher, ProcessIdentity
from nocontact_desktop.core.atomic_file import write_private
from nocontact_desktop.core.blocking.browser_policies import CHROMIUM_FILE_NAME, PolicyFile
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.helper_link.client import HelperServiceError
from nocontact_desktop.core.lazy_import import lazy_module
from nocontact_desktop.core.privacy.discretion import EntryText, entry_text
from nocontact_desktop.platform.base import PeerSocket
from nocontact_desktop.platform.posix import checked as _checked
from nocontact_desktop.platform.posix import invoking_uid as invoking_uid  # noqa: PLC0414 - re-export
from nocontact_desktop.platform.posix import quiet_run as _dns_run
from nocontact_desktop.platform.posix import run_tool as _run
from nocontact_desktop.platform.session import (
    graphical_session as graphical_session,  # noqa: PLC0414 - re-export (Desktop)
)

if TYPE_CHECKING:
    import psutil
else:
    psutil = lazy_module("psutil")  # the app gate's errors; the helper never loads psutil

name: Final = "linux"
"""This OS's key in the gate presets."""

# --- Desktop session: graphical_session, from platform/session.py (imported above) ---


# --- Installed apps (to choose one to gate) ---

_FIELD_CODES = re.compile(r"%[fFuUdDnNickvm]")


def _application_dirs() -> list[Path]:
    home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    dirs = [home / "applications", home / "flatpak" / "exports" / "share" / "applications"]
    system = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    dirs += [Path(d) / "applications" for d in system.split(":") if d]
    dirs.append(Path("/var/lib/flatpak/exports/share/applications"))
    return dirs


def _desktop_entry(path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    in_entry = False
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return fields
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            in_entry = stripped == "[Desktop Entry]"
            continue
        key, sep, value = stripped.partition("=")
        if in_entry and sep and key in ("Type", "Name", "Exec", "Icon", "NoDisplay", "Hidden"):
            fields.setdefault(key, value.strip())
    return fields


def installed_apps() -> list[InstalledApp]:
    """Apps from the XDG ``.desktop`` entries a menu shows (the first entry of an id wins)."""
    seen: set[str] = set()
    apps: dict[str, InstalledApp] = {}
    for folder in _application_dirs():
        try:
            entries = sorted(folder.glob("*.desktop"))
        except OSError:
            continue
        for entry in entries:
            if entry.name in seen:
                continue
            seen.add(entry.name)
            fields = _desktop_entry(entry)
            hidden = fields.get("NoDisplay") == "true" or fields.get("Hidden") == "true"
            if fields.get("Type") != "Application" or hidden or not fields.get("Name"):
                continue
            words = _FIELD_CODES.sub("", fields.get("Exec", "")).split()
            if not words:
                continue
            program = words[0]
            if program in ("env", "/usr/bin/env") or program.endswith("/flatpak"):
                continue  # a launcher line; the app's own name is matched by its preset
            found = program if program.startswith("/") else shutil.which(program)
            if found is None:
                continue
            name = fields["Name"]
            apps.setdefault(name.casefold(), InstalledApp(name, found, fields.get("Icon", "")))
    return sorted(apps.values(), key=lambda app: app.name.casefold())


# --- Browser policies (written by the helper) ---

_FIREFOX_POLICY_DIRS = ("/etc/firefox/policies", "/etc/firefox-esr/policies")
_FIREFOX_INSTALL_DIRS = ("/usr/lib/firefox-esr", "/usr/lib/firefox", "/usr/lib64/firefox",
                         "/opt/firefox")
_CHROMIUM_MANAGED_DIRS = (
    "/etc/chromium/policies/managed",  # Debian's Chromium
    "/etc/chromium-browser/policies/managed",  # older Ubuntu
    "/etc/opt/chrome/policies/managed",  # Google Chrome
    "/etc/brave/policies/managed",  # Brave
    "/etc/opt/edge/policies/managed",  # Microsoft Edge
)


def browser_policy_files() -> list[PolicyFile]:
    """Where Firefox and the Chromium family read system policies on Linux.

    Firefox: the system-wide folders and the ``distribution`` folder of each installed copy;
    Chromium, Chrome, Brave and Edge: their ``managed`` folders (written even before the
    browser is installed, so a browser installed later is covered too).
    """
    files = [PolicyFile(f"{d}/policies.json", "firefox") for d in _FIREFOX_POLICY_DIRS]
    files += [
        PolicyFile(f"{d}/distribution/policies.json", "firefox")
        for d in _FIREFOX_INSTALL_DIRS
        if os.path.isdir(d)
    ]
    files += [PolicyFile(f"{d}/{CHROMIUM_FILE_NAME}", "chromium") for d in _CHROMIUM_MANAGED_DIRS]
    return files


# --- Start at login (autostart) and the app-menu entry ---

# The login entry's file name is neutral in every mode (issue 14); entries written by earlier
# versions under the old name are taken away whenever the entry is written or removed.
AUTOSTART_FILE_NAME = "session-tray.desktop"
LEGACY_AUTOSTART_FILE_NAME = "nocontact.desktop"
# The package's app-menu entry (installers/linux/usr/share/applications/nocontact.desktop);
# a user entry of the same id in ~/.local/share/applications shadows it (XDG menu spec).
MENU_ENTRY_ID = "nocontact.desktop"


def autostart_path() -> Path:
    """The XDG autostart entry: ``$XDG_CONFIG_HOME/autostart/session-tray.desktop``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / AUTOSTART_FILE_NAME


def menu_entry_path() -> Path:
    """The user's shadow of the app-menu entry: ``$XDG_DATA_HOME/applications/…``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "applications" / MENU_ENTRY_ID


def _desktop_exec(command: list[str]) -> str:
    # Desktop Entry spec: quote arguments with reserved characters; escape \ " ` $ inside.
    reserved = set(' \t\n"\'\\><~|&;$*?#()`')
    parts = []
    for arg in command:
        if any(ch in reserved for ch in arg) or not arg:
            escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
            parts.append(f'"{escaped}"')
        else:
            parts.append(arg)
    return " ".join(parts).replace("%", "%%")


def _entry_value(text: str) -> str:
    # One line, no control characters (the spec's string values; ; is fine in Name/Comment).
    return " ".join("".join(ch for ch in text if ch.isprintable()).split())


def _desktop_entry_text(entry: EntryText, command: list[str], extra: str) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={_entry_value(entry.name)}\n"
        f"Comment={_entry_value(entry.comment)}\n"
        f"Exec={_desktop_exec(command)}\n"
        f"Icon={_entry_value(entry.icon)}\n"
        "Terminal=false\n" + extra
    )


def set_autostart(enabled: bool, command: list[str], entry: EntryText | None = None) -> None:
    """Write (or remove) the XDG autostart entry that runs ``command`` at login."""
    path = autostart_path()
    path.with_name(LEGACY_AUTOSTART_FILE_NAME).unlink(missing_ok=True)
    if not enabled:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    text = _desktop_entry_text(
        entry or entry_text(discreet=False),
        command,
        "X-GNOME-Autostart-enabled=true\nX-GNOME-Autostart-Delay=2\n",
    )
    write_private(path, text.encode("utf-8"), mode=0o644)


def autostart_enabled() -> bool:
    """Whether the autostart entry exists (also under its earlier name)."""
    path = autostart_path()
    return path.exists() or path.with_name(LEGACY_AUTOSTART_FILE_NAME).exists()


def installed_menu_entry() -> Path | None:
    """The package's app-menu entry, if one is installed (``$XDG_DATA_DIRS``)."""
    dirs = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    for folder in dirs.split(":"):
        candidate = Path(folder or ".") / "applications" / MENU_ENTRY_ID
        if folder and candidate.is_file():
            return candidate
    return None


def set_menu_entry(entry: EntryText | None, command: list[str]) -> None:
    """Shadow the package's app-menu entry with a neutral one, or remove the shadow.

    Only where the package put an entry in the menu (a development checkout has none, and
    should not gain one).
    """
    path = menu_entry_path()
    if entry is None or installed_menu_entry() is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    text = _desktop_entry_text(entry, command, "Categories=Utility;\nStartupNotify=false\n")
    write_private(path, text.encode("utf-8"), mode=0o644)


# --- App gate (process matching and freezing) ---
# core/app_gate.py polls for new processes and freezes gated apps (DESIGN §7). On Linux it reads
# /proc directly: for the few fields it needs this is several times cheaper than psutil
# (bench/bench_app_gate.py measures both). Create times are seconds since boot (never moved by
# clock changes), and every signal goes through a pidfd opened before the identity check, so a
# pid that was reused in the meantime is never hit.

_GATE_CLK_TCK: Final = os.sysconf("SC_CLK_TCK")
_GATE_PF_KTHREAD: Final = 0x00200000
_GATE_COMM_BYTES: Final = 15  # the kernel keeps 15 bytes of a process name (TASK_COMM_LEN - 1)
# State letters of /proc/PID/stat, named as psutil names them.
_GATE_STATUS: Final[dict[str, str]] = {
    "R": "running",
    "S": "sleeping",
    "D": "disk-sleep",
    "T": "stopped",
    "t": "tracing-stop",
    "Z": "zombie",
    "X": "dead",
    "x": "dead",
    "I": "idle",
    "P": "parked",
    "W": "waking",
    "K": "wake-kill",
}
# Programs that often exec() another program in their own pid (a shell running
# `sleep 5 && exec signal-desktop`, the Flatpak and Snap launch chains): the gate looks at
# them again now and then, since a pid it has already seen is not new.
_GATE_LAUNCHERS: Final = frozenset(
    {
        "sh", "bash", "dash", "zsh", "fish", "ksh", "mksh", "env", "nohup", "setsid", "timeout",
        "flatpak", "bwrap", "snap", "snap-confine", "snap-exec", "xdg-open", "gio", "gtk-launch",
        "gtk4-launch", "kioclient", "kioclient5", "kde-open", "kde-open5", "exo-open", "dex",
        "systemd-run",
    }
)
_GATE_SNAP_CHAIN: Final = frozenset({"snap", "snap-confine", "snap-exec"})
_GATE_DEAD: Final = frozenset("ZXx")  # zombie or dead: gone, though the pid is not yet free
_gate_fds: dict[str, int] = {}
_gate_roots: dict[str, tuple[int, int]] = {}


def list_pids() -> set[int]:
    """Pids of all processes now (from the names in /proc)."""
    return set(map(int, filter(str.isdigit, os.listdir("/proc"))))


def spawn_counter() -> int | None:
    """The last pid the kernel handed out (last field of /proc/loadavg), or ``None``.

    Threads take pids too, so it moves more often than processes start; when it has not
    moved, no process has started. The file stays open: one pread is ~1 µs, while listing
    /proc costs ~50 µs per 100 processes.
    """
    try:
        fd = _gate_fds.get("loadavg")
        if fd is None:
            fd = _gate_fds.setdefault("loadavg", os.open("/proc/loadavg", os.O_RDONLY))
        return int(os.pread(fd, 128, 0).rsplit(None, 1)[-1])
    except (OSError, ValueError, IndexError):
        return None


def _gate_read(path: str, pid: int) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY)
    except (FileNotFoundError, ProcessLookupError) as error:
        raise psutil.NoSuchProcess(pid) from error
    except PermissionError as error:
        raise psutil.AccessDenied(pid) from error
    try:
        return os.read(fd, 65536)
    except ProcessLookupError as error:  # the process went away between open and read
        raise psutil.NoSuchProcess(pid) from error
    finally:
        os.close(fd)


def _gate_stat(pid: int) -> tuple[str, str, int, int, float]:
    """(name, state letter, ppid, flags, start in seconds since boot) from /proc/PID/stat."""
    data = _gate_read(f"/proc/{pid}/stat", pid)
    # The name sits in parentheses and may itself hold spaces and parentheses.
    left, right = data.find(b"("), data.rfind(b")")
    if left < 0 or right < left:
        raise psutil.NoSuchProcess(pid)
    fields = data[right + 2 :].split()
    state = fields[0].decode("ascii", "replace")
    return (
        os.fsdecode(data[left + 1 : right]),
        state,
        int(fields[1]),
        int(fields[6]),
        int(fields[19]) / _GATE_CLK_TCK,
    )


def _gate_cmdline(pid: int) -> tuple[str, ...]:
    try:
        data = _gate_read(f"/proc/{pid}/cmdline", pid)
    except psutil.Error:
        return ()
    if data.endswith(b"\0"):
        data = data[:-1]
    if not data:
        return ()
    parts = data.split(b"\0")
    if len(parts) == 1 and b" " in data:
        # Programs that rewrite their title (Chromium helpers) leave one space-separated string.
        parts = data.split(b" ")
    return tuple(os.fsdecode(part) for part in parts)


def _gate_exe(pid: int) -> str | None:
    try:
        target = os.readlink(f"/proc/{pid}/exe")
    except OSError:  # another user's process, a zombie, a kernel thread, or gone
        return None
    # An executable replaced on disk (an update) while running reads "PATH (deleted)".
    return target.removesuffix(" (deleted)")


def _gate_flatpak_app(pid: int) -> str | None:
    """The Flatpak app id of a sandboxed process, from the sandbox's /.flatpak-info."""
    try:
        data = _gate_read(f"/proc/{pid}/root/.flatpak-info", pid)
    except psutil.Error:
        return None
    section = ""
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if line.startswith("["):
            section = line
        elif section == "[Application]" and line.startswith("name="):
            return line[5:].strip() or None
    return None


def _gate_own_root() -> tuple[int, int]:
    root = _gate_roots.get("own")
    if root is None:
        info = os.stat("/")
        root = _gate_roots.setdefault("own", (info.st_dev, info.st_ino))
    return root


def _gate_sandboxed(pid: int) -> bool:
    """Whether the process sees another root folder than we do (Flatpak, Snap, a chroot)."""
    try:
        info = os.stat(f"/proc/{pid}/root")
    except OSError:  # another user's process, or gone
        return False
    return (info.st_dev, info.st_ino) != _gate_own_root()


def process_identity(pid: int) -> ProcessIdentity:
    """Name, parent, start, status, executable and command line of a process.

    Raises ``psutil.NoSuchProcess`` when it is gone and ``psutil.AccessDenied`` when /proc
    refuses; an executable the OS will not reveal is ``None``, not an error.
    """
    name, state, ppid, flags, start = _gate_stat(pid)
    status = _GATE_STATUS.get(state, state)
    if flags & _GATE_PF_KTHREAD or state in _GATE_DEAD:
        return ProcessIdentity(pid, ppid, start, name, None, (), status)
    exe = _gate_exe(pid)
    cmdline = _gate_cmdline(pid)
    flatpak = None
    in_app = (exe or "").startswith("/app/") or (cmdline and cmdline[0].startswith("/app/"))
    if in_app or _gate_sandboxed(pid):
        flatpak = _gate_flatpak_app(pid)
    return ProcessIdentity(pid, ppid, start, name, exe, cmdline, status, flatpak)


def process_exec_token(pid: int) -> str:
    """Something that changes when the process execs another program: its name (comm)."""
    return os.fsdecode(_gate_read(f"/proc/{pid}/comm", pid).rstrip(b"\n"))


def process_child_pids(pid: int) -> list[int]:
    """Pids of the direct children of a process (from /proc/PID/task/*/children)."""
    if not os.path.exists("/proc/thread-self/children"):  # a kernel without CONFIG_PROC_CHILDREN
        return [child.pid for child in psutil.Process(pid).children()]
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except (FileNotFoundError, ProcessLookupError) as error:
        raise psutil.NoSuchProcess(pid) from error
    children: list[int] = []
    for tid in tids:
        try:
            data = _gate_read(f"/proc/{pid}/task/{tid}/children", pid)
        except psutil.Error:
            continue  # that thread has ended
        children.extend(int(part) for part in data.split())
    return children


def process_alive(pid: int, create_time: float) -> bool:
    """Whether the process with this pid and start stamp still runs (a zombie does not)."""
    try:
        _, state, _, _, start = _gate_stat(pid)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
    return start == create_time and state not in _GATE_DEAD


def _gate_signal(pid: int, create_time: float, signum: int) -> None:
    """Send ``signum`` to the process with this pid and start stamp, and to no other."""
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except ProcessLookupError as error:
        raise psutil.NoSuchProcess(pid) from error
    except OSError:  # kernels before 5.3: the identity check and kill below stay close together
        pidfd = None
    try:
        # The pidfd pins the process that has the pid now; check that it is the one we mean.
        _, state, _, _, start = _gate_stat(pid)
        if start != create_time:
            raise psutil.NoSuchProcess(pid, msg="the pid now belongs to another process")
        if state in _GATE_DEAD:
            raise psutil.ZombieProcess(pid)
        if pidfd is not None:
            signal.pidfd_send_signal(pidfd, signum)
        else:
            os.kill(pid, signum)
    except ProcessLookupError as error:
        raise psutil.NoSuchProcess(pid) from error
    except PermissionError as error:
        raise psutil.AccessDenied(pid) from error
    finally:
        if pidfd is not None:
            os.close(pidfd)


def suspend_process(pid: int, create_time: float) -> None:
    """Freeze the process (SIGSTOP). Raises ``psutil.NoSuchProcess``/``AccessDenied``."""
    _gate_signal(pid, create_time, signal.SIGSTOP)


def resume_process(pid: int, create_time: float) -> None:
    """Let a frozen process run again (SIGCONT)."""
    _gate_signal(pid, create_time, signal.SIGCONT)


def terminate_process(pid: int, create_time: float) -> None:
    """Ask the process to end: SIGTERM, then SIGCONT so that a frozen one can act on it."""
    _gate_signal(pid, create_time, signal.SIGTERM)
    try:
        _gate_signal(pid, create_time, signal.SIGCONT)
    except psutil.NoSuchProcess:
        return  # it was not frozen and has already ended


def kill_process(pid: int, create_time: float) -> None:
    """End the process now (SIGKILL; works on a frozen process too)."""
    _gate_signal(pid, create_time, signal.SIGKILL)


def gate_launcher_names() -> frozenset[str]:
    """Process names that may exec() the real program later in the same pid."""
    return _GATE_LAUNCHERS


def _gate_comm(name: str) -> str:
    """``name`` cut the way the kernel cuts a process name."""
    return os.fsdecode(os.fsencode(name)[:_GATE_COMM_BYTES])


def app_matches(identity: ProcessIdentity, matcher: Matcher) -> bool:
    """Whether the process is the app that ``matcher`` describes, by Linux rules.

    - ``name``: the process name or the executable's file name equals it (case-sensitive);
      a name longer than the kernel's 15 bytes is confirmed by the executable or argv[0];
    - ``path``: the executable is that file; or a script at that path runs through its #!
      interpreter (the kernel then names the process after the script);
    - ``flatpak``: the sandbox says it is that app, the executable lies in that app's Flatpak
      folder, or the process is ``flatpak run … APP_ID``;
    - ``snap``: the executable lies under /snap/NAME/, or the process is a step of the snap
      launch chain (``/snap/bin/NAME``, snap-confine, snap-exec) for that snap;
    - ``bundle`` (macOS) never matches here.
    """
    kind, value = matcher.kind, matcher.value
    exe, cmdline = identity.exe, identity.cmdline
    if kind == "name":
        if exe and posixpath.basename(exe) == value:
            return True
        if identity.name != _gate_comm(value):
            return False
        return identity.name == value or bool(
            cmdline and posixpath.basename(cmdline[0]) == value
        )
    if kind == "path":
        if exe == value:
            return True
        script = posixpath.basename(value)
        return identity.name == _gate_comm(script) and value in cmdline[1:3]
    if kind == "flatpak":
        if identity.flatpak_app == value:
            return True
        if exe and f"/flatpak/app/{value}/" in exe:
            return True
        if identity.name == "flatpak" and "run" in cmdline:
            args = cmdline[cmdline.index("run") + 1 :]
            return any(arg.split("//", 1)[0] == value for arg in args)
        return False
    if kind == "snap":
        root = f"/snap/{value}/"
        if (exe or "").startswith(root) or (cmdline and cmdline[0].startswith(root)):
            return True
        launcher = f"/snap/bin/{value}"
        if cmdline and (cmdline[0] == launcher or cmdline[0].startswith(launcher + ".")):
            return True
        if identity.name in _GATE_SNAP_CHAIN:
            tag = f"snap.{value}"
            if any(arg == tag or arg.startswith(tag + ".") for arg in cmdline):
                return True
            return identity.name == "snap-exec" and len(cmdline) > 1 and (
                cmdline[1] == value or cmdline[1].startswith(value + ".")
            )
        return False
    return False


# --- Helper IPC peer credentials ---




_UCRED = struct.Struct("iII")  # struct ucred: pid_t pid; uid_t uid; gid_t gid


def peer_uid(sock: PeerSocket) -> int:
    """The uid of the process at the other end of a connected Unix socket.

    Read from the kernel with ``SO_PEERCRED`` (the credentials at ``connect()`` time); the
    client cannot forge it. Raises :class:`OSError` if the socket has no peer.
    """
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    _pid, uid, _gid = _UCRED.unpack(raw)
    return int(uid)


# --- Helper service (paths, install, uninstall, status) ---
# The helper always runs from a root-owned place (DESIGN §2; issue 10). Two routes, chosen by
# what is on the system:
# - packaged (.deb): the package's unit runs /usr/bin/nocontact, which runs the root-owned
#   environment in /opt/nocontact; install writes only a drop-in naming the allowed users.
# - copied (a user venv, pipx, a source tree): install copies the helper's own Qt-free modules
#   (this package without ui/ and resources/, plus the pure-Python idna) into
#   /usr/local/lib/nocontact-helper/<version>-<digest>/, run by the system's Python
#   (``/usr/bin/python3 -IS``) through a root-owned launcher, and writes the full unit and a
#   polkit policy naming that launcher. Nothing root runs is writable by anyone but root.
# Either way the unit is ``Type=notify``: ``systemctl restart`` returns once the helper
# answers on its socket, or fails, and then the unit is left stopped.

HELPER_UNIT_NAME = "nocontact-helper.service"
SYSTEMD_UNIT_DIR = Path("/etc/systemd/system")
HELPER_SOCKET_PATH = Path("/run/nocontact/helper.sock")
HELPER_STATE_DIR = Path("/var/lib/nocontact-helper")
HELPER_HOSTS_PATH = Path("/etc/hosts")
PACKAGED_PROGRAM: Final = "/usr/bin/nocontact"
PACKAGED_PREFIX: Final = Path("/opt/nocontact")
PACKAGED_UNITS: Final = (
    Path("/usr/lib/systemd/system") / HELPER_UNIT_NAME,
    Path("/lib/systemd/system") / HELPER_UNIT_NAME,
)
ALLOW_VARIABLE: Final = "NOCONTACT_HELPER_ALLOW"
SYSTEM_PYTHON: Final = "/usr/bin/python3"
LOCAL_HELPER_DIR: Final = Path("/usr/local/lib/nocontact-helper")
LAUNCHER_NAME: Final = "nocontact-helper"
POLKIT_ACTIONS_DIR: Final = Path("/usr/share/polkit-1/actions")
LOCAL_ACTION_ID: Final = "org.nocontact.helper.local"
NOTHING_CHANGED: Final = "Blocking stays off; nothing changed"
PKEXEC_REFUSED: Final = frozenset({126, 127})  # dismissed; not authorized or no agent
_UNIT_DESCRIPTION: Final = "Description=No Contact helper (blocks listed sites in the hosts file)"
_PAYLOAD_MAX_BYTES: Final = 32 * 1024 * 1024
_PAYLOAD_MEMBER = re.compile(r"(?:nocontact_desktop|idna)(?:/[A-Za-z0-9_]+)*/[A-Za-z0-9_]+\.py")
_JOURNAL_LINES: Final = 12

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]
Elevator = Callable[[Sequence[str], "str | None"], "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class HelperPaths:
    """Where the helper's service pieces live (tests point them into a temporary folder)."""

    unit_dir: Path = SYSTEMD_UNIT_DIR
    packaged_units: tuple[Path, ...] = PACKAGED_UNITS
    local_dir: Path = LOCAL_HELPER_DIR
    polkit_dir: Path = POLKIT_ACTIONS_DIR
    python: str = SYSTEM_PYTHON
    hosts_file: Path = HELPER_HOSTS_PATH
    state_dir: Path = HELPER_STATE_DIR

    @property
    def unit(self) -> Path:
        """The full unit a copied install writes (it overrides a packaged one)."""
        return self.unit_dir / HELPER_UNIT_NAME

    @property
    def drop_in(self) -> Path:
        """The drop-in that names the users allowed to command the helper."""
        return self.unit_dir / f"{HELPER_UNIT_NAME}.d" / "allow.conf"

    @property
    def launcher(self) -> Path:
        """The root-owned program of a copied install."""
        return self.local_dir / LAUNCHER_NAME

    @property
    def policy(self) -> Path:
        """The polkit policy of a copied install (the package ships its own)."""
        return self.polkit_dir / f"{LOCAL_ACTION_ID}.policy"

    def packaged(self) -> bool:
        """Whether the .deb's unit is installed (then its root-owned tree runs the helper)."""
        return any(path.is_file() for path in self.packaged_units)


def helper_socket_path() -> Path:
    """Where the helper listens (``RuntimeDirectory=nocontact`` of its unit)."""
    return HELPER_SOCKET_PATH


def helper_state_dir() -> Path:
    """The helper's root-owned state folder (``StateDirectory=nocontact-helper``)."""
    return HELPER_STATE_DIR


def helper_hosts_path() -> Path:
    """The system hosts file the helper manages."""
    return HELPER_HOSTS_PATH


def systemd_running() -> bool:
    """True when systemd is the init system (``sd_booted()``: /run/systemd/system exists)."""
    return Path("/run/systemd/system").is_dir()


def _no_systemd_message(uid: int, executable: str) -> str:
    return (
        "systemd is not running on this machine (PID 1 is not systemd), so the helper cannot "
        "be installed as a service here; run it as root instead: "
        f"{executable or 'nocontact'} helper run --allow-uid {uid}"
    )


# Characters that need no quoting in a systemd ExecStart= word nor escaping as a specifier.
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._+/-]*\Z")


def _checked_uid(uid: int) -> int:
    if not isinstance(uid, int) or isinstance(uid, bool) or not 0 <= uid < 2**32 - 1:
        raise BadInput(f"{uid!r} is not a valid uid: not a number in 0-4294967294")
    return uid


def _checked_program(executable: str) -> str:
    if not _PLAIN_PATH.match(executable):
        raise BadInput(
            f"{executable!r} is not a valid helper program path: it must be absolute and use "
            "only letters, digits and . _ + - /"
        )
    return executable


def render_helper_unit(executable: str) -> str:
    """The systemd unit that runs ``executable helper run`` as root for the allowed users.

    The users come from ``$NOCONTACT_HELPER_ALLOW``, set by the drop-in
    (:func:`render_allow_drop_in`); without it only root may command the helper.
    ``Type=notify``: the helper says READY=1 once its socket and listener are up, so
    ``systemctl restart`` returns when it answers. Hardened: the only writable places are /etc
    (the hosts file is replaced by an atomic rename, which needs the *directory* writable;
    ``ReadWritePaths=/etc/hosts`` alone would make the rename fail with EBUSY or EROFS), the
    runtime folder for the socket and the state folder. Capabilities are cut down to binding
    ports 80/443 and keeping the hosts file's owner and mode.
    """
    _checked_program(executable)
    return f"""\
[Unit]
{_UNIT_DESCRIPTION}
After=local-fs.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={executable} helper run ${ALLOW_VARIABLE}
TimeoutStartSec=30
Restart=always
RestartSec=2
UMask=0022
RuntimeDirectory=nocontact
RuntimeDirectoryMode=0755
StateDirectory=nocontact-helper
StateDirectoryMode=0700
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=/etc
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
SystemCallFilter=@system-service
CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_CHOWN CAP_FOWNER

[Install]
WantedBy=multi-user.target
"""


def allowed_uids(drop_in: str) -> list[int]:
    """The uids a drop-in allows (``--allow-uid N`` in ``NOCONTACT_HELPER_ALLOW``)."""
    return sorted({int(found) for found in re.findall(r"--allow-uid (\d{1,10})\b", drop_in)})


def render_allow_drop_in(uids: Sequence[int]) -> str:
    """``[Service]`` with ``Environment="NOCONTACT_HELPER_ALLOW=--allow-uid N ..."``."""
    words = " ".join(f"--allow-uid {_checked_uid(uid)}" for uid in sorted(set(uids)))
    return (
        "# Written by `nocontact helper install`: the users who may command the helper.\n"
        f'[Service]\nEnvironment="{ALLOW_VARIABLE}={words}"\n'
    )


_POLICY_MESSAGE: Final = (
    "Authentication is required to install or remove the No Contact helper, which blocks the "
    "sites on your list for every program on this computer."
)


def render_local_policy(launcher: str) -> str:
    """The polkit action of a copied install: ``pkexec LAUNCHER helper …`` asks for an
    administrator with the project's own message."""
    _checked_program(launcher)
    return f"""\
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE policyconfig PUBLIC
 "-//freedesktop//DTD PolicyKit Policy Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/PolicyKit/1/policyconfig.dtd">
<!-- Written by `nocontact helper install` for the helper's root-owned copy. -->
<policyconfig>
  <vendor>No Contact</vendor>
  <action id="{LOCAL_ACTION_ID}">
    <description>Install or remove the No Contact helper</description>
    <message>{_POLICY_MESSAGE}</message>
    <icon_name>nocontact</icon_name>
    <defaults>
      <allow_any>auth_admin</allow_any>
      <allow_inactive>auth_admin</allow_inactive>
      <allow_active>auth_admin</allow_active>
    </defaults>
    <annotate key="org.freedesktop.policykit.exec.path">{launcher}</annotate>
    <annotate key="org.freedesktop.policykit.exec.argv1">helper</annotate>
  </action>
</policyconfig>
"""


def render_launcher(version_dir: Path, python: str = SYSTEM_PYTHON) -> str:
    """The copied install's program: the system's Python, isolated (-I: no environment, no
    user site, no script folder on the path; -S: no site packages), on the copied modules."""
    _checked_program(python)
    _checked_program(str(version_dir))
    return (
        f"#!{python} -IS\n"
        '"""No Contact helper: written by `nocontact helper install`; runs the root-owned copy\n'
        'of the helper\'s own modules beside this file."""\n'
        "import sys\n\n"
        f'sys.path.insert(0, "{version_dir}")\n'
        "from nocontact_desktop.cli import main  # noqa: E402\n\n"
        "sys.exit(main())\n"
    )


def _check_root_owned(path: Path) -> None:
    """Refuse a program the helper would run as root if a non-root user could change it."""
    for candidate in {path, path.resolve()}:
        current = candidate
        while True:
            info = os.lstat(current)
            if info.st_uid != 0:
                raise HelperServiceError(
                    f"{current} is owned by uid {info.st_uid}; the helper runs as root, so its "
                    "program and every folder above it must be root-owned"
                )
            if info.st_mode & 0o022 and not (stat.S_ISLNK(info.st_mode) or info.st_mode & 0o1000):
                raise HelperServiceError(
                    f"{current} is writable by group or others; the helper runs as root, so "
                    "its program and every folder above it must be writable by root only"
                )
            if current.parent == current:
                break
            current = current.parent


def _helper_program_paths(executable: str) -> list[Path]:
    """The executable, the interpreter of its ``#!`` line and this package's folder."""
    paths = [Path(executable)]
    with contextlib.suppress(OSError), open(executable, "rb") as handle:
        first = handle.readline(512)
        words = first[2:].split() if first.startswith(b"#!") else []
        if words and words[0].startswith(b"/"):
            paths.append(Path(words[0].decode("utf-8", "replace")))
    import nocontact_desktop  # noqa: PLC0415 - find where this package is installed

    paths.append(Path(nocontact_desktop.__file__).parent)
    return paths


def _check_packaged_program(executable: str) -> None:
    for path in _helper_program_paths(executable):
        _check_root_owned(path)


def _check_copy_target(paths: HelperPaths) -> None:
    """The system's Python and the folders the copy goes into must be root's alone."""
    python = Path(paths.python)
    if not python.is_file():
        raise HelperServiceError(
            f"{python} is missing; the helper's copy runs on the system's Python 3 "
            "(install python3, or install No Contact's .deb)"
        )
    try:
        _check_root_owned(python)
        existing = paths.local_dir
        while not existing.exists():
            existing = existing.parent
        _check_root_owned(existing)
    except HelperServiceError as error:
        raise HelperServiceError(
            f"cannot install the helper's root-owned copy in {paths.local_dir}: {error}"
        ) from None


# -- the copy (user venv, pipx, source tree) --

_BOOTSTRAP = """\
import base64, os, sys, tempfile
if sys.version_info < (3, 11):
    sys.exit("nocontact: Blocking stays off; nothing changed: the system's Python "
             + sys.version.split()[0] + " is older than 3.11, which the helper needs")
data = base64.b64decode(sys.stdin.read(), validate=True)
fd, path = tempfile.mkstemp(prefix="nocontact-helper-", suffix=".zip")
try:
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    sys.path.insert(0, path)
    from nocontact_desktop.platform.linux import install_copied_helper
    code = install_copied_helper(data)
finally:
    os.unlink(path)
sys.exit(code)
"""


def helper_payload() -> bytes:
    """A zip of the helper's own modules: this package's ``.py`` files without ``ui/`` and
    ``resources/``, and idna's. The same bytes always give the same zip (fixed times)."""
    import importlib.util  # noqa: PLC0415 - only install needs these
    import io  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    import nocontact_desktop  # noqa: PLC0415

    roots = [Path(nocontact_desktop.__file__).parent]
    idna = importlib.util.find_spec("idna")
    if idna is None or idna.origin is None:
        raise HelperServiceError("the idna package is missing; reinstall No Contact")
    roots.append(Path(idna.origin).parent)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root in roots:
            for folder, dirs, files in os.walk(root):
                relative = Path(folder).relative_to(root.parent)
                skip = {"__pycache__", *(("ui", "resources") if Path(folder) == root else ())}
                dirs[:] = sorted(d for d in dirs if d not in skip)
                for name in sorted(files):
                    member = (relative / name).as_posix()
                    if _PAYLOAD_MEMBER.fullmatch(member):
                        info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))
                        info.compress_type = zipfile.ZIP_DEFLATED
                        info.external_attr = 0o644 << 16
                        archive.writestr(info, (Path(folder) / name).read_bytes())
    return buffer.getvalue()


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _root_folder(folder: Path) -> None:
    """Make ``folder`` (mode 0755) or accept it if it is a real folder of root's alone."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o755)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise HelperServiceError(
            f"{folder} is not a folder that only root can write; the helper's copy cannot go "
            "there (remove it, then turn blocking on again)"
        )


def _write_copy(payload: bytes, paths: HelperPaths) -> Path:
    """Unpack ``payload`` into ``<local_dir>/<version>-<digest>/`` (folders 0755, files 0644,
    each file created exclusively without following links, fsync'ed; the folder appears by
    one rename). An identical copy already there is reused."""
    import hashlib  # noqa: PLC0415
    import io  # noqa: PLC0415
    import tempfile  # noqa: PLC0415
    import zipfile  # noqa: PLC0415

    from nocontact_desktop import __version__  # noqa: PLC0415

    if len(payload) > _PAYLOAD_MAX_BYTES:
        raise HelperServiceError("the helper's modules are larger than expected; not installed")
    _root_folder(paths.local_dir)
    final = paths.local_dir / f"{__version__}-{hashlib.sha256(payload).hexdigest()[:12]}"
    if final.is_dir() and not final.is_symlink():
        _check_root_owned(final / "nocontact_desktop")
        return final
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=paths.local_dir))  # 0700
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            names = {info.filename for info in members}
            if "nocontact_desktop/helper/main.py" not in names:
                raise HelperServiceError("the helper's modules are incomplete; not installed")
            for info in members:
                if not _PAYLOAD_MEMBER.fullmatch(info.filename):
                    raise HelperServiceError(
                        f"unexpected file {info.filename!r} among the helper's modules"
                    )
                *folders, name = info.filename.split("/")
                folder = staging
                for part in folders:
                    folder = folder / part
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(folder, 0o755)
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
                fd = os.open(folder / name, flags, 0o644)
                with os.fdopen(fd, "wb") as out:
                    os.fchmod(fd, 0o644)
                    out.write(archive.read(info))
                    out.flush()
                    os.fsync(fd)
        for folder_name, _dirs, _files in os.walk(staging):
            os.chmod(folder_name, 0o755)  # noqa: S103 - root's folder, readable by the helper
            _fsync_folder(Path(folder_name))
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_folder(paths.local_dir)
    return final


def _remove_old_copies(paths: HelperPaths, keep: Path) -> None:
    for entry in paths.local_dir.iterdir():
        if entry != keep and entry.name != LAUNCHER_NAME and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _unit_names_launcher(unit: Path, paths: HelperPaths) -> bool:
    try:
        text = unit.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return f"ExecStart={paths.launcher} " in text


def _remove_copy(paths: HelperPaths) -> bool:
    """Remove a copied install's unit, policy and modules; True if there was one."""
    found = False
    if _unit_names_launcher(paths.unit, paths):
        paths.unit.unlink()
        found = True
    if paths.policy.exists():
        paths.policy.unlink()
        found = True
    info = None
    with contextlib.suppress(FileNotFoundError):
        info = os.lstat(paths.local_dir)
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(paths.local_dir)
        else:
            paths.local_dir.unlink()
        found = True
    return found


# -- installing and starting --


def _write_allowed(uid: int, paths: HelperPaths) -> None:
    """Add ``uid`` to the users the drop-in allows (other users who installed stay)."""
    try:
        uids = allowed_uids(paths.drop_in.read_text(encoding="utf-8"))
    except FileNotFoundError:
        uids = []
    paths.drop_in.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    write_private(paths.drop_in, render_allow_drop_in([*uids, uid]).encode("ascii"), mode=0o644)


def _journal_tail(runner: Runner) -> str:
    result = runner(
        ["journalctl", "--no-pager", "-o", "cat", "-n", str(_JOURNAL_LINES), "-u",
         HELPER_UNIT_NAME]
    )
    lines = [line for line in (result.stdout or "").splitlines() if line.strip()]
    return "\n".join(f"  {line}" for line in lines) or "  (the journal has no lines for it)"


def _start(runner: Runner) -> None:
    """Reload units, enable the helper, (re)start it and wait until it is ready.

    Never ``enable --now``: that leaves an older helper running with its old allow-list and
    program. On failure the unit is stopped and the error quotes the journal.
    """
    _checked(runner(["systemctl", "daemon-reload"]), "systemctl daemon-reload")
    _checked(runner(["systemctl", "enable", "--quiet", HELPER_UNIT_NAME]), "systemctl enable")
    result = runner(["systemctl", "restart", HELPER_UNIT_NAME])
    if result.returncode != 0:
        runner(["systemctl", "stop", HELPER_UNIT_NAME])
        raise HelperServiceError(
            "the helper did not start, so blocking is off; its service is left stopped "
            f"(nocontact doctor says how to fix it). Last lines of its journal "
            f"(journalctl -u {HELPER_UNIT_NAME}):\n{_journal_tail(runner)}"
        )


def _install_packaged(uid: int, runner: Runner, paths: HelperPaths) -> None:
    # A unit in /etc overrides the package's: one from a copied install (or from No Contact
    # 0.1.0) goes; anything else is somebody's own and stays, so the install stops there.
    _remove_copy(paths)
    if paths.unit.exists():
        text = paths.unit.read_text(encoding="utf-8", errors="replace")
        if _UNIT_DESCRIPTION not in text:
            raise HelperServiceError(
                f"{paths.unit} overrides the packaged helper unit and was not written by "
                "No Contact; remove it, then turn blocking on again"
            )
        paths.unit.unlink()
    _write_allowed(uid, paths)
    _start(runner)


def _install_copy(uid: int, payload: bytes, runner: Runner, paths: HelperPaths) -> None:
    _check_copy_target(paths)
    version_dir = _write_copy(payload, paths)
    launcher = paths.launcher
    write_private(launcher, render_launcher(version_dir, paths.python).encode(), mode=0o755)
    # Compiled now: the service cannot write under /usr (ProtectSystem=strict).
    runner([paths.python, "-IS", "-m", "compileall", "-q", str(version_dir)])
    paths.polkit_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
    write_private(paths.policy, render_local_policy(str(launcher)).encode(), mode=0o644)
    write_private(paths.unit, render_helper_unit(str(launcher)).encode("ascii"), mode=0o644)
    _write_allowed(uid, paths)
    _start(runner)
    _remove_old_copies(paths, keep=version_dir)


def _run_elevated(argv: Sequence[str], stdin: str | None) -> subprocess.CompletedProcess[str]:
    """Run through pkexec, giving the person time to type their password."""
    return subprocess.run(
        list(argv), input=stdin, capture_output=True, text=True, check=False, timeout=900
    )


def _elevate(argv: Sequence[str], elevate: Elevator, stdin: str | None = None) -> None:
    """Run ``argv`` as root through pkexec (polkit asks for an administrator's password)."""
    if shutil.which("pkexec") is None:
        shown = " ".join(argv) if stdin is None else "nocontact helper install"
        raise HelperServiceError(
            f"{NOTHING_CHANGED}: administrator rights are needed and pkexec is missing "
            f"(install pkexec, or run as root: sudo {shown})"
        )
    result = elevate(["pkexec", *argv], stdin)
    if result.returncode == 0:
        return
    detail = (result.stderr or result.stdout or "").strip()
    if result.returncode in PKEXEC_REFUSED:
        first = detail.splitlines()[0] if detail else f"exit code {result.returncode}"
        raise HelperServiceError(
            f"{NOTHING_CHANGED}: administrator rights were not given (pkexec: {first})"
        )
    lines = [line.removeprefix("nocontact: ") for line in detail.splitlines()]
    raise HelperServiceError("\n".join(lines) or f"the install failed (exit code "
                             f"{result.returncode})")


def install_helper(
    uid: int,
    executable: str,
    *,
    runner: Runner = _run,
    elevate: Elevator = _run_elevated,
    paths: HelperPaths | None = None,
    euid: int | None = None,
    booted: bool | None = None,
    payload: bytes | None = None,
    check_program: Callable[[str], None] | None = None,
) -> None:
    """Install (or reinstall) and start the helper for ``uid``; as a normal user, through pkexec.

    The packaged route when the .deb's unit is there, else the copied route (see above).
    Raises :class:`HelperServiceError` when it cannot (no systemd, pkexec refused, a folder a
    user could change, the helper did not start) and :class:`BadInput` for a bad uid.
    """
    paths = paths or HelperPaths()
    _checked_uid(uid)
    if not (systemd_running() if booted is None else booted):
        raise HelperServiceError(_no_systemd_message(uid, executable))
    packaged = paths.packaged()
    if (os.geteuid() if euid is None else euid) != 0:
        if packaged:
            _elevate([PACKAGED_PROGRAM, "helper", "install"], elevate)
            return
        _check_copy_target(paths)  # say why before asking for a password
        import base64  # noqa: PLC0415

        data = base64.b64encode(payload or helper_payload()).decode("ascii")
        _elevate([paths.python, "-IS", "-c", _BOOTSTRAP], elevate, data)
        return
    previous_umask = os.umask(0o022)  # what root writes here is for everyone to read
    try:
        if packaged:
            (check_program or _check_packaged_program)(PACKAGED_PROGRAM)
            _install_packaged(uid, runner, paths)
        else:
            _install_copy(uid, payload or helper_payload(), runner, paths)
    finally:
        os.umask(previous_umask)


def install_copied_helper(payload: bytes) -> int:
    """Root's half of a copied install (run by the bootstrap that pkexec starts): unpack,
    write the launcher, unit, policy and drop-in, start. Returns the exit code."""
    try:
        install_helper(invoking_uid(), str(LOCAL_HELPER_DIR / LAUNCHER_NAME), payload=payload)
    except (HelperServiceError, BadInput, OSError) as error:
        print(f"nocontact: {error}", file=sys.stderr)
        return 1
    print("The helper is installed.")
    return 0


def uninstall_helper(
    executable: str | None = None,
    *,
    runner: Runner = _run,
    elevate: Elevator = _run_elevated,
    paths: HelperPaths | None = None,
    euid: int | None = None,
    booted: bool | None = None,
) -> None:
    """Stop and remove the helper: its unit or drop-in, policy and copy, its state, and the
    section it kept in the hosts file (restored byte for byte).

    Without the helper nothing could ever change those blocks again, so they go with it.
    """
    paths = paths or HelperPaths()
    if not (systemd_running() if booted is None else booted):
        raise HelperServiceError(
            "systemd is not running on this machine (PID 1 is not systemd), so there is no "
            "helper service to remove here"
        )
    if (os.geteuid() if euid is None else euid) != 0:
        if paths.packaged():
            program = PACKAGED_PROGRAM
        elif paths.launcher.is_file():
            _check_root_owned(paths.launcher)
            program = str(paths.launcher)
        else:
            raise HelperServiceError("the helper is not installed here; nothing to remove")
        _elevate([program, "helper", "uninstall"], elevate)
        return
    # Imported before the copy this may run from is deleted.
    from nocontact_desktop.core.blocking.hosts_section import remove_from_file  # noqa: PLC0415

    stopped = runner(["systemctl", "disable", "--now", "--quiet", HELPER_UNIT_NAME])
    state = runner(["systemctl", "is-active", HELPER_UNIT_NAME]).stdout.strip()
    if state in ("active", "activating", "reloading", "deactivating"):
        # A running helper would put the section back as soon as it is removed.
        detail = (stopped.stderr or "").strip().splitlines()
        raise HelperServiceError(
            f"could not stop the helper ({detail[0] if detail else state}); nothing removed"
        )
    removed = _remove_copy(paths)
    if paths.drop_in.parent.exists():
        shutil.rmtree(paths.drop_in.parent)
        removed = True
    if paths.unit.exists() and _UNIT_DESCRIPTION in paths.unit.read_text(errors="replace"):
        paths.unit.unlink()  # written by No Contact 0.1.0
        removed = True
    if removed:
        _checked(runner(["systemctl", "daemon-reload"]), "systemctl daemon-reload")
    remove_from_file(paths.hosts_file)
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(paths.state_dir)


_SERVICE_STATES: Final = {
    "active": "running",
    "reloading": "running",
    "activating": "starting",
    "deactivating": "stopped",
    "inactive": "stopped",
    "failed": "failed",
}


def helper_service_status(*, runner: Runner = _run, booted: bool | None = None) -> str:
    """One of ``running``, ``stopped``, ``failed``, ``starting``, ``not installed`` or
    ``unavailable: <why>``, as systemctl says (a packaged unit never turned on is
    ``not installed``)."""
    if not (systemd_running() if booted is None else booted):
        return "unavailable: systemd is not running on this machine (PID 1 is not systemd)"
    result = runner(
        ["systemctl", "show", "--property=LoadState", "--property=UnitFileState",
         "--property=ActiveState", HELPER_UNIT_NAME]
    )
    fields = dict(line.partition("=")[::2] for line in (result.stdout or "").splitlines())
    load, enabled, active = (
        fields.get(key, "").strip() for key in ("LoadState", "UnitFileState", "ActiveState")
    )
    if not load:
        detail = (result.stderr or "").strip().splitlines()
        return f"unknown: {detail[0] if detail else 'no answer from systemctl'}"
    if load == "not-found":
        return "not installed"
    if active == "inactive" and enabled in ("disabled", ""):
        return "not installed"
    return _SERVICE_STATES.get(active, f"unknown: {active or 'no answer from systemctl'}")


# --- DNS cache flush (blocking) ---
# glibc itself caches nothing from /etc/hosts; a change is seen at the next lookup unless a
# caching daemon sits in between: systemd-resolved (its stub also answers from /etc/hosts) or
# nscd. Tools are looked up on a fixed system PATH, never the caller's: the helper runs as root.

_log = logging.getLogger("nocontact.platform.dns")
_DNS_TOOL_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_NSCD_SOCKETS = ("/run/nscd/socket", "/var/run/nscd/socket")




def _systemd_resolved_active() -> bool:
    systemctl = shutil.which("systemctl", path=_DNS_TOOL_PATH)
    if systemctl is None:
        return os.path.isdir("/run/systemd/resolve")
    return _dns_run([systemctl, "is-active", "--quiet", "systemd-resolved.service"])


def flush_dns_cache() -> None:
    """Make the system resolver forget cached answers, so a hosts-file change applies now.

    systemd-resolved when it runs (``resolvectl flush-caches``, or ``systemd-resolve
    --flush-caches`` on older systems), else nscd when it runs (``nscd -i hosts``), else
    nothing. Never raises: a missing tool or a failure is logged at debug level.
    """
    if _systemd_resolved_active():
        resolvectl = shutil.which("resolvectl", path=_DNS_TOOL_PATH)
        if resolvectl is not None:
            if _dns_run([resolvectl, "flush-caches"]):
                return
        else:
            legacy = shutil.which("systemd-resolve", path=_DNS_TOOL_PATH)
            if legacy is not None and _dns_run([legacy, "--flush-caches"]):
                return
    if any(os.path.exists(socket_path) for socket_path in _NSCD_SOCKETS):
        nscd = shutil.which("nscd", path=_DNS_TOOL_PATH)
        if nscd is not None and _dns_run([nscd, "-i", "hosts"]):
            return
    _log.debug("DNS flush: no caching resolver found; nothing to flush")
