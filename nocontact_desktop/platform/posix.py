"""What Linux and macOS do alike: running fixed system tools, and who asked for an install."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Sequence

from nocontact_desktop.core.helper_link.client import HelperServiceError

_DNS_LOG = logging.getLogger("nocontact.platform.dns")
DNS_TOOL_TIMEOUT_S = 5.0


def run_tool(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a fixed system command (never a shell), capturing its text output."""
    return subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=120)


def checked(result: subprocess.CompletedProcess[str], what: str) -> None:
    """Raise :class:`HelperServiceError` naming ``what`` and the tool's first line on failure."""
    if result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip().splitlines()
        reason = detail[0] if detail else f"exit code {result.returncode}"
        raise HelperServiceError(f"{what} failed: {reason}")


def quiet_run(argv: list[str], timeout: float = DNS_TOOL_TIMEOUT_S) -> bool:
    """Run a fixed command quietly; True when it exited with 0. Never raises."""
    try:
        completed = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as error:
        _DNS_LOG.debug("DNS flush: %s failed to run: %s", argv[0], error)
        return False
    if completed.returncode != 0:
        _DNS_LOG.debug("DNS flush: %s exited with %d", argv[0], completed.returncode)
    return completed.returncode == 0


def invoking_uid() -> int:
    """The user an install is for: the one behind pkexec/sudo, else the current user."""
    for variable in ("PKEXEC_UID", "SUDO_UID"):
        value = os.environ.get(variable, "")
        if value.isdigit():
            return int(value)
    return os.getuid()
