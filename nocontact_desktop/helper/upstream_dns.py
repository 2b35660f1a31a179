"""Ask the system's upstream DNS servers for a name's real addresses (issue 15, passes).

During a pass the blocked names stay on loopback in the hosts file, and the listener splices
the pass's connections through to the real site. It must find the real address without the
hosts file, so it never calls ``getaddrinfo`` (which reads it): it reads the ``nameserver``
lines of resolv.conf and asks them directly with a minimal DNS client (one UDP question per
record type, recursion desired). A local stub that reads the hosts file itself (systemd-resolved's
127.0.0.53) is skipped for the upstream list it publishes, and loopback answers are dropped.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import socket
import struct
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

RESOLV_CONF = Path("/etc/resolv.conf")
# systemd-resolved's list of the real upstream servers (its stub at 127.0.0.53 answers from
# /etc/hosts, which maps the names to us).
RESOLVED_UPSTREAM = Path("/run/systemd/resolve/resolv.conf")
TYPE_A, TYPE_AAAA = 1, 28
QUESTION_TIMEOUT = 2.0
_MIN_TTL, _MAX_TTL = 5, 300


def nameservers(paths: Sequence[Path] = (RESOLV_CONF, RESOLVED_UPSTREAM)) -> list[str]:
    """The upstream servers: resolv.conf's, with a loopback stub replaced by its upstreams."""
    found: list[str] = []
    for path in paths:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] == "nameserver":
                address = words[1].split("%")[0]
                try:
                    if ipaddress.ip_address(address).is_loopback:
                        continue  # a local stub may answer from the hosts file
                except ValueError:
                    continue
                if address not in found:
                    found.append(address)
        if found:
            break
    return found


def build_query(name: str, qtype: int, ident: int) -> bytes:
    """A DNS question for ``name`` (recursion desired)."""
    header = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0)
    labels = b"".join(
        bytes([len(part)]) + part for part in name.rstrip(".").encode("ascii").split(b".")
    )
    return header + labels + b"\x00" + struct.pack("!HH", qtype, 1)


def _skip_name(data: bytes, offset: int) -> int:
    while True:
        if offset >= len(data):
            raise ValueError("name runs past the end")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            return offset + 2
        if length == 0:
            return offset + 1
        offset += 1 + length


def parse_answer(data: bytes, ident: int, qtype: int) -> tuple[list[str], int]:
    """The addresses of type ``qtype`` in an answer, and its smallest TTL."""
    if len(data) < 12:
        raise ValueError("short answer")
    got, flags, qdcount, ancount = struct.unpack("!HHHH", data[:8])
    if got != ident or not flags & 0x8000:
        raise ValueError("not the answer to our question")
    if flags & 0x000F not in (0, 3):  # NOERROR, NXDOMAIN
        raise ValueError(f"server error {flags & 0x000F}")
    offset = 12
    for _ in range(qdcount):
        offset = _skip_name(data, offset) + 4
    addresses: list[str] = []
    ttl_min = _MAX_TTL
    for _ in range(ancount):
        offset = _skip_name(data, offset)
        rtype, _rclass, ttl, length = struct.unpack("!HHIH", data[offset : offset + 10])
        offset += 10
        rdata = data[offset : offset + length]
        offset += length
        if rtype != qtype:
            continue  # a CNAME on the way: the server followed it for us
        if rtype == TYPE_A and length == 4:
            addresses.append(socket.inet_ntop(socket.AF_INET, rdata))
        elif rtype == TYPE_AAAA and length == 16:
            addresses.append(socket.inet_ntop(socket.AF_INET6, rdata))
        else:
            continue
        ttl_min = min(ttl_min, ttl)
    return addresses, ttl_min


def ask(server: str, name: str, qtype: int, timeout: float = QUESTION_TIMEOUT) -> tuple[
    list[str], int
]:
    """One question to one server over UDP."""
    ident = secrets.randbits(16)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((server, 53))
        sock.send(build_query(name, qtype, ident))
        deadline = time.monotonic() + timeout
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            data = sock.recv(4096)
            try:
                return parse_answer(data, ident, qtype)
            except ValueError:
                if time.monotonic() >= deadline:
                    raise
                continue  # a stray datagram: wait for ours


def _usable(addresses: Iterable[str]) -> list[str]:
    result = []
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_unspecified):
            result.append(address)
    return result


class UpstreamResolver:
    """Real addresses of names, from the upstream servers, cached for their TTL (5-300 s)."""

    def __init__(self, servers: Sequence[str] | None = None) -> None:
        self._servers = list(servers) if servers is not None else None
        self._cache: dict[str, tuple[float, list[str]]] = {}

    def servers(self) -> list[str]:
        """The servers asked (resolv.conf is read again each time: networks change)."""
        return list(self._servers) if self._servers is not None else nameservers()

    def resolve(self, name: str) -> list[str]:
        """IPv4 then IPv6 addresses of ``name``; [] when no server answered with any."""
        now = time.monotonic()
        cached = self._cache.get(name)
        if cached is not None and cached[0] > now:
            return list(cached[1])
        found: list[str] = []
        ttl = _MAX_TTL
        for qtype in (TYPE_A, TYPE_AAAA):
            for server in self.servers():
                try:
                    addresses, answer_ttl = ask(server, name, qtype)
                except (OSError, ValueError) as error:
                    log.debug("upstream DNS %s: %s", server, error)
                    continue
                found += [a for a in _usable(addresses) if a not in found]
                ttl = min(ttl, answer_ttl)
                break  # this server answered: no need to ask the next one
        if found:
            if len(self._cache) > 256:
                self._cache.clear()
            self._cache[name] = (now + max(_MIN_TTL, ttl), found)
        return found
