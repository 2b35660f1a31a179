"""End the connections browsers kept open to a site that was just blocked (issue 15).

A browser keeps HTTPS connections alive for minutes; the hosts file only changes where *new*
connections go. When names are added to the list, the helper finds their real addresses
(from the upstream resolvers, never the hosts file) and destroys the established TCP sockets
to them on ports 443 and 80 with the kernel's SOCK_DESTROY (``ss -K``, Linux with
CONFIG_INET_DIAG_DESTROY; root). The browser sees a reset and connects again — to loopback.
Elsewhere this does nothing: there, kept-alive connections end when the browser drops them.
"""

from __future__ import annotations

import ipaddress
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterable

log = logging.getLogger(__name__)

_PORTS = (443, 80)
_TIMEOUT = 5.0


def ss_command(addresses: Iterable[str]) -> list[str] | None:
    """``ss -K`` for established TCP sockets to ``addresses`` on 443/80; None: nothing to do."""
    checked = []
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if ip.is_loopback or ip.is_unspecified:
            continue
        checked.append(str(ip))
    if not checked:
        return None
    # ss wants IPv6 addresses in brackets (else it reads the colons as a port).
    hosts = " or ".join(f"dst [{a}]" if ":" in a else f"dst {a}" for a in checked)
    ports = " or ".join(f"dport = :{port}" for port in _PORTS)
    return ["ss", "-K", "-t", "-n", "state", "established", f"( {hosts} ) and ( {ports} )"]


def destroy_connections(addresses: Iterable[str]) -> int:
    """Destroy the sockets; how many ``ss`` listed as destroyed (-1: could not run it)."""
    command = ss_command(addresses)
    if command is None:
        return 0
    if not sys.platform.startswith("linux") or shutil.which("ss") is None:
        return -1
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=_TIMEOUT, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        log.warning("could not end kept-alive connections: %s", type(error).__name__)
        return -1
    if done.returncode != 0:
        log.warning("could not end kept-alive connections: ss exited %d", done.returncode)
        return -1
    # ss prints a header, then one line per socket it destroyed.
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return max(0, len(lines) - 1)
