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
from pathlib import Path
from typing import Final

import psutil

from nocontact_desktop.core.app_gate.rules import InstalledApp, Matcher, ProcessIdentity
from nocontact_desktop.core.atomic_file import write_private
from nocontact_desktop.core.blocking.browser_policies import CHROMIUM_FILE_NAME, PolicyFile
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.helper_link.client import HelperServiceError
from nocontact_desktop.core.privacy.discretion import EntryText, entry_text
from nocontact_desktop.platform.base import PeerSocket
from nocontact_desktop.platform.posix import checked as _checked
from nocontact_desktop.platform.posix import invoking_uid as invoking_uid  # noqa: PLC0414 - re-export
from nocontact_desktop.platform.posix import quiet_run as _dns_run
from nocontact_desktop.platform.posix import run_tool as _run

name: Final = "linux"
"""This OS's key in the gate presets."""

# --- Desktop session ---


def graphical_session() -> bool:
    """A display to connect to: X11 (``DISPLAY``), Wayland, or a Qt platform chosen explicitly."""
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


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

HELPER_UNIT_NAME = "nocontact-helper.service"
SYSTEMD_UNIT_DIR = Path("/etc/systemd/system")
HELPER_SOCKET_PATH = Path("/run/nocontact/helper.sock")
HELPER_STATE_DIR = Path("/var/lib/nocontact-helper")
HELPER_HOSTS_PATH = Path("/etc/hosts")

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


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
        f"{executable} helper run --allow-uid {uid}"
    )


# Characters that need no quoting in a systemd ExecStart= word nor escaping as a specifier.
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._+/-]*\Z")


def render_helper_unit(uid: int, executable: str) -> str:
    """The systemd unit that runs ``executable helper run --allow-uid uid`` as root.

    Hardened: the only writable places are /etc (the hosts file is replaced by an atomic
    rename, which needs the *directory* writable; ``ReadWritePaths=/etc/hosts`` alone would
    make the rename fail with EBUSY or EROFS), the runtime folder for the socket and the state
    folder. Capabilities are cut down to binding ports 80/443 and keeping the hosts file's
    owner and mode.
    """
    if not isinstance(uid, int) or isinstance(uid, bool) or not 0 <= uid < 2**32 - 1:
        raise BadInput(f"{uid!r} is not a valid uid: not a number in 0-4294967294")
    if not _PLAIN_PATH.match(executable):
        raise BadInput(
            f"{executable!r} is not a valid helper program path: it must be absolute and use "
            "only letters, digits and . _ + - /"
        )
    return f"""\
[Unit]
Description=No Contact helper (blocks listed sites in the hosts file)
After=local-fs.target

[Service]
Type=simple
ExecStart={executable} helper run --allow-uid {uid}
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




def _check_root_owned(path: Path) -> None:
    """Refuse a program the helper would run as root if a non-root user could change it."""
    for candidate in {path, path.resolve()}:
        current = candidate
        while True:
            info = os.lstat(current)
            if info.st_uid != 0:
                raise HelperServiceError(
                    f"{current} is owned by uid {info.st_uid}; the helper runs as root, so its "
                    "program must be root-owned (install No Contact system-wide)"
                )
            if info.st_mode & 0o022 and not (stat.S_ISLNK(info.st_mode) or info.st_mode & 0o1000):
                raise HelperServiceError(
                    f"{current} is writable by group or others; the helper runs as root, so "
                    "its program must be writable by root only"
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




def _elevate(executable: str, action: str, runner: Runner) -> None:
    """Run ``executable helper ACTION`` as root through pkexec (polkit asks for a password)."""
    if shutil.which("pkexec") is None:
        raise HelperServiceError(
            f"administrator rights are needed and pkexec is missing: run "
            f"'sudo {executable} helper {action}'"
        )
    _checked(runner(["pkexec", executable, "helper", action]), f"pkexec helper {action}")


def install_helper(
    uid: int,
    executable: str,
    *,
    runner: Runner = _run,
    unit_dir: Path = SYSTEMD_UNIT_DIR,
    euid: int | None = None,
    booted: bool | None = None,
    check_program: Callable[[str], None] | None = None,
) -> None:
    """Install and start the helper service for ``uid`` (re-runs itself via pkexec if needed).

    Raises :class:`HelperServiceError` when it cannot (no systemd, pkexec refused, a program
    path a user could change, systemctl failed) and :class:`BadInput` for a bad uid or path.
    """
    unit = render_helper_unit(uid, executable)
    if not (systemd_running() if booted is None else booted):
        raise HelperServiceError(_no_systemd_message(uid, executable))
    if (os.geteuid() if euid is None else euid) != 0:
        _elevate(executable, "install", runner)
        return
    if check_program is None:
        for path in _helper_program_paths(executable):
            _check_root_owned(path)
    else:
        check_program(executable)
    target = unit_dir / HELPER_UNIT_NAME
    write_private(target, unit.encode("ascii"), mode=0o644)
    _checked(runner(["systemctl", "daemon-reload"]), "systemctl daemon-reload")
    _checked(runner(["systemctl", "enable", "--now", HELPER_UNIT_NAME]), "systemctl enable")


def uninstall_helper(
    executable: str | None = None,
    *,
    runner: Runner = _run,
    unit_dir: Path = SYSTEMD_UNIT_DIR,
    hosts_file: Path = HELPER_HOSTS_PATH,
    state_dir: Path = HELPER_STATE_DIR,
    euid: int | None = None,
    booted: bool | None = None,
) -> None:
    """Stop and remove the helper service, its state, and the section it kept in the hosts file.

    Without the helper nothing could ever change those blocks again, so they go with it.
    """
    if not (systemd_running() if booted is None else booted):
        raise HelperServiceError(
            "systemd is not running on this machine (PID 1 is not systemd), so there is no "
            "helper service to remove here"
        )
    if (os.geteuid() if euid is None else euid) != 0:
        _elevate(executable or sys.argv[0], "uninstall", runner)
        return
    target = unit_dir / HELPER_UNIT_NAME
    if target.exists():
        _checked(runner(["systemctl", "disable", "--now", HELPER_UNIT_NAME]), "systemctl disable")
        target.unlink()
        _checked(runner(["systemctl", "daemon-reload"]), "systemctl daemon-reload")
    from nocontact_desktop.core.blocking.hosts_section import remove_from_file  # noqa: PLC0415

    remove_from_file(hosts_file)
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(state_dir)


def helper_service_status(
    *, runner: Runner = _run, unit_dir: Path = SYSTEMD_UNIT_DIR, booted: bool | None = None
) -> str:
    """One of ``running``, ``stopped``, ``failed``, ``starting``, ``not installed`` or
    ``unavailable: <why>``."""
    if not (systemd_running() if booted is None else booted):
        return "unavailable: systemd is not running on this machine (PID 1 is not systemd)"
    if not (unit_dir / HELPER_UNIT_NAME).exists():
        return "not installed"
    state = runner(["systemctl", "is-active", HELPER_UNIT_NAME]).stdout.strip()
    return {
        "active": "running",
        "reloading": "running",
        "activating": "starting",
        "deactivating": "stopped",
        "inactive": "stopped",
        "failed": "failed",
    }.get(state, f"unknown: {state or 'no answer from systemctl'}")


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
