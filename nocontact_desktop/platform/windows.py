"""Platform specifics for Windows.

Several features add functions here; keep each feature's functions under its own heading comment.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import ntpath
import os
import subprocess
from typing import Any, Final

from nocontact_desktop.core.app_gate.rules import InstalledApp, Matcher, ProcessIdentity
from nocontact_desktop.core.blocking.browser_policies import PolicyFile
from nocontact_desktop.core.privacy.discretion import EntryText
from nocontact_desktop.platform import psutil_processes as _shared

# The helper is not built for Windows yet: the null service says so (DESIGN §2).
from nocontact_desktop.platform.no_helper import helper_hosts_path as helper_hosts_path  # noqa: PLC0414
from nocontact_desktop.platform.no_helper import helper_service_status as helper_service_status  # noqa: PLC0414
from nocontact_desktop.platform.no_helper import helper_socket_path as helper_socket_path  # noqa: PLC0414
from nocontact_desktop.platform.no_helper import helper_state_dir as helper_state_dir  # noqa: PLC0414
from nocontact_desktop.platform.no_helper import install_helper as install_helper  # noqa: PLC0414
from nocontact_desktop.platform.no_helper import invoking_uid as invoking_uid  # noqa: PLC0414
from nocontact_desktop.platform.no_helper import peer_uid as peer_uid  # noqa: PLC0414
from nocontact_desktop.platform.no_helper import uninstall_helper as uninstall_helper  # noqa: PLC0414

name: Final = "windows"
"""This OS's key in the gate presets."""

# --- Desktop session ---


def graphical_session() -> bool:
    """The desktop is always there for a logged-in user."""
    return True


# --- Browser policies ---


def browser_policy_files() -> list[PolicyFile]:
    """None yet: the helper does not run on Windows in this build (platform/no_helper.py)."""
    return []


# --- Installed apps (to choose one to gate) ---


def installed_apps() -> list[InstalledApp]:
    """Not listed on Windows yet: the chooser offers a file picker instead."""
    return []


# --- Start at login (autostart) ---

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "NoContact"


def _command_line(command: list[str]) -> str:
    return subprocess.list2cmdline(command)


def _winreg() -> Any:
    # Imported when called: the module exists only on Windows (tests hand in a stand-in).
    return importlib.import_module("winreg")


def set_autostart(enabled: bool, command: list[str], entry: EntryText | None = None) -> None:
    """Set (or delete) the ``Run`` value under HKCU that starts ``command`` at login.

    ``entry`` is not shown by Windows (the start-up list names the program's file)."""
    del entry
    winreg = _winreg()
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
        if enabled:
            winreg.SetValueEx(key, RUN_VALUE, 0, winreg.REG_SZ, _command_line(command))
        else:
            with contextlib.suppress(FileNotFoundError):
                winreg.DeleteValue(key, RUN_VALUE)


def autostart_enabled() -> bool:
    """Whether the ``Run`` value exists."""
    winreg = _winreg()
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.QueryValueEx(key, RUN_VALUE)
    except FileNotFoundError:
        return False
    return True


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


def suspend_process(pid: int, create_time: float) -> None:
    """Freeze the process (NtSuspendProcess). Raises ``psutil.NoSuchProcess``/``AccessDenied``."""
    _gate_process(pid, create_time).suspend()


def resume_process(pid: int, create_time: float) -> None:
    """Let a frozen process run again (NtResumeProcess)."""
    _gate_process(pid, create_time).resume()


def terminate_process(pid: int, create_time: float) -> None:
    """End the process (TerminateProcess: Windows has no polite signal for a GUI program)."""
    _gate_process(pid, create_time).terminate()


def kill_process(pid: int, create_time: float) -> None:
    """End the process now (TerminateProcess)."""
    _gate_process(pid, create_time).kill()


def gate_launcher_names() -> frozenset[str]:
    """None: a Windows process never turns into another program, so none needs a second look."""
    return frozenset()


def _gate_stem(name: str) -> str:
    folded = ntpath.basename(name).casefold()
    return folded.removesuffix(".exe")


def app_matches(identity: ProcessIdentity, matcher: Matcher) -> bool:
    """Whether the process is the app that ``matcher`` describes, by Windows rules.

    Names and paths compare without regard to case; ``.exe`` is optional in a name
    (``signal`` and ``Signal.exe`` both match ``Signal.exe``); ``/`` and ``\\`` are the same
    in a path. ``flatpak``, ``snap`` and ``bundle`` never match here.
    """
    exe = identity.exe or (identity.cmdline[0] if identity.cmdline else "")
    if matcher.kind == "name":
        wanted = _gate_stem(matcher.value)
        return _gate_stem(identity.name) == wanted or (bool(exe) and _gate_stem(exe) == wanted)
    if matcher.kind == "path":
        return bool(exe) and ntpath.normcase(ntpath.normpath(exe)) == ntpath.normcase(
            ntpath.normpath(matcher.value)
        )
    return False


# --- DNS cache flush (blocking) ---
# The DNS Client service caches answers from the hosts file too; `ipconfig /flushdns` empties
# it. The full path under %SystemRoot% is used, never a PATH lookup: the helper runs as SYSTEM.

_DNS_LOG = logging.getLogger("nocontact.platform.dns")
_DNS_TOOL_TIMEOUT_S = 10.0
# subprocess.CREATE_NO_WINDOW exists only on Windows; the value is fixed by the Win32 API.
_CREATE_NO_WINDOW = 0x08000000


def _ipconfig_path() -> str:
    system_root = os.environ.get("SYSTEMROOT") or r"C:\Windows"
    return ntpath.join(system_root, "System32", "ipconfig.exe")


def flush_dns_cache() -> None:
    """Run ``ipconfig /flushdns`` without a console window. Never raises."""
    argv = [_ipconfig_path(), "/flushdns"]
    try:
        completed = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=_DNS_TOOL_TIMEOUT_S,
            check=False,
            creationflags=_CREATE_NO_WINDOW,
        )
    except (OSError, ValueError, subprocess.SubprocessError) as error:
        _DNS_LOG.debug("DNS flush: %s failed to run: %s", argv[0], error)
        return
    if completed.returncode != 0:
        _DNS_LOG.debug("DNS flush: ipconfig exited with %d", completed.returncode)
