"""Process listing and identity through psutil, for the OSes without a cheaper way (macOS, Windows).

Linux reads /proc directly (platform/linux.py); macOS and Windows import these. psutil checks
before each signal that a pid still belongs to the process it was opened for; the create time
compared here is psutil's (seconds since the epoch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psutil

from nocontact_desktop.core.app_gate.rules import ProcessIdentity


def list_pids() -> set[int]:
    """Pids of all processes now."""
    return set(psutil.pids())


def spawn_counter() -> int | None:
    """No cheap "a process started" counter here: the gate lists pids every tick."""
    return None


def gate_optional(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except (psutil.AccessDenied, psutil.ZombieProcess):
        return None


def process_identity(pid: int) -> ProcessIdentity:
    """Name, parent, start, status, executable and command line of a process (via psutil).

    Raises ``psutil.NoSuchProcess`` when it is gone and ``psutil.AccessDenied`` when the OS
    refuses even the name; an executable it will not reveal is ``None``, not an error.
    """
    proc = psutil.Process(pid)
    with proc.oneshot():
        name = proc.name()
        ppid = proc.ppid()
        start = proc.create_time()
        status = gate_optional(proc.status) or "running"
        exe = gate_optional(proc.exe) or None
        cmdline = gate_optional(proc.cmdline) or []
    return ProcessIdentity(pid, ppid, start, name, exe, tuple(cmdline), str(status))


def process_exec_token(pid: int) -> str:
    """Something that changes when the process runs another program: its name."""
    return psutil.Process(pid).name()


def process_child_pids(pid: int) -> list[int]:
    """Pids of the direct children of a process."""
    return [child.pid for child in psutil.Process(pid).children()]


def gate_process(pid: int, create_time: float) -> psutil.Process:
    proc = psutil.Process(pid)
    if proc.create_time() != create_time:
        raise psutil.NoSuchProcess(pid, msg="the pid now belongs to another process")
    return proc


def process_alive(pid: int, create_time: float) -> bool:
    """Whether the process with this pid and create time still runs (a zombie does not)."""
    try:
        return gate_process(pid, create_time).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
