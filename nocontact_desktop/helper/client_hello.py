"""Find the SNI name in a TLS ClientHello: pure, no I/O, and no trust in the input.

The listener (DESIGN §4) reads the first bytes a browser sends to a blocked name on port 443
and needs only the ``server_name`` extension (RFC 6066 §3) of the ClientHello. The bytes come
from any local process, so this parser treats them as hostile:

- it never raises and never loops without bound: every loop consumes input, and the input it
  looks at is capped at :data:`MAX_CLIENT_HELLO_BYTES`;
- it answers ``need_more`` with how many more bytes it needs before it can get further, so the
  caller accumulates TCP reads and parses again only when that many have arrived;
- it accepts a ClientHello split over several TLS records (RFC 8446 §5.1 allows it; up to
  :data:`MAX_RECORDS`) and over several reads, and refuses anything it cannot read
  unambiguously (duplicate extensions, two host names, lengths that do not add up, names that
  are not LDH host names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

RECORD_HEADER_LEN = 5
CONTENT_TYPE_HANDSHAKE = 22
HANDSHAKE_CLIENT_HELLO = 1
HANDSHAKE_HEADER_LEN = 4
# RFC 8446 §5.1: a TLSPlaintext fragment is at most 2^14 bytes.
MAX_RECORD_PAYLOAD = 16384
# Real ClientHellos are 0.2–2 KiB (post-quantum key shares included); 16 KiB is generous.
MAX_CLIENT_HELLO_BODY = 16384
# A maximal hello needs 2 records; real ones come in 1. A few dozen allow for any splitting a
# middlebox might do, while keeping a re-parse after each read cheap (the caller parses again
# from the start, so the cost of one parse must stay small).
MAX_RECORDS = 64
# Everything the parser will ever look at: the handshake message plus record headers.
MAX_CLIENT_HELLO_BYTES = MAX_CLIENT_HELLO_BODY + HANDSHAKE_HEADER_LEN + MAX_RECORDS * 5

EXTENSION_SERVER_NAME = 0
NAME_TYPE_HOST_NAME = 0
MAX_HOST_NAME_LEN = 253
MAX_SESSION_ID_LEN = 32

# LDH labels of 1–63 characters joined by dots; the input is lower-cased first.
_HOST_NAME = re.compile(r"[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*", re.ASCII)


class ParseStatus(Enum):
    """Outcome of an incremental parse of bytes read from a connection."""

    COMPLETE = "complete"
    NEED_MORE = "need_more"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class SniResult:
    """What :func:`parse_sni` found.

    - ``COMPLETE``: the whole ClientHello was read; ``server_name`` is the normalized host name,
      or ``None`` when the hello carries no host_name (no SNI extension, or an IP-only client).
    - ``NEED_MORE``: the input ends early; at least ``wanted`` more bytes are needed before a
      new parse can get further (``1 <= wanted <= MAX_CLIENT_HELLO_BYTES``).
    - ``INVALID``: not a ClientHello this parser accepts; ``reason`` is a fixed phrase that
      never contains input bytes, so it is safe to log.
    """

    status: ParseStatus
    server_name: str | None = None
    wanted: int = 0
    reason: str = ""


class _Malformed(Exception):
    """Internal: raised by the readers, turned into an INVALID result before returning."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _complete(server_name: str | None) -> SniResult:
    return SniResult(ParseStatus.COMPLETE, server_name=server_name)


def _need_more(wanted: int) -> SniResult:
    return SniResult(ParseStatus.NEED_MORE, wanted=wanted)


def _invalid(reason: str) -> SniResult:
    return SniResult(ParseStatus.INVALID, reason=reason)


def normalize_host_name(raw: bytes) -> str | None:
    """Return ``raw`` as a lower-case LDH host name without a trailing dot, or ``None``.

    Accepts ASCII letters, digits and hyphens in dot-separated labels of 1–63 characters, the
    whole name at most 253 characters once one trailing dot is stripped. Anything else
    (non-ASCII, underscores, empty labels, spaces, NUL…) gives ``None``.
    """
    if raw.endswith(b"."):
        raw = raw[:-1]
    if not raw or len(raw) > MAX_HOST_NAME_LEN or not raw.isascii():
        return None
    name = raw.decode("ascii").lower()
    if _HOST_NAME.fullmatch(name) is None:
        return None
    return name


class _Reader:
    """Bounds-checked cursor over bytes; every short read raises :class:`_Malformed`."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def remaining(self) -> int:
        return len(self._data) - self._pos

    def take(self, count: int, what: str) -> bytes:
        if count > self.remaining():
            raise _Malformed(f"truncated {what}")
        chunk = self._data[self._pos : self._pos + count]
        self._pos += count
        return chunk

    def uint(self, size: int, what: str) -> int:
        return int.from_bytes(self.take(size, what), "big")

    def vector(self, length_size: int, what: str) -> bytes:
        return self.take(self.uint(length_size, f"{what} length"), what)


def _gathered(handshake: bytearray) -> bytes | SniResult | int:
    """The ClientHello body if ``handshake`` holds all of it, INVALID, or bytes still missing.

    The missing count is a lower bound while the 4-byte handshake header is incomplete.
    """
    if not handshake:
        return HANDSHAKE_HEADER_LEN
    if handshake[0] != HANDSHAKE_CLIENT_HELLO:
        return _invalid("first handshake message is not a ClientHello")
    if len(handshake) < HANDSHAKE_HEADER_LEN:
        return HANDSHAKE_HEADER_LEN - len(handshake)
    body_len = int.from_bytes(handshake[1:HANDSHAKE_HEADER_LEN], "big")
    if body_len > MAX_CLIENT_HELLO_BODY:
        return _invalid("ClientHello longer than the size limit")
    total = HANDSHAKE_HEADER_LEN + body_len
    if len(handshake) >= total:
        return bytes(handshake[HANDSHAKE_HEADER_LEN:total])
    return total - len(handshake)


def _need_more_within_cap(wanted: int, minimum_total: int) -> SniResult:
    """NEED_MORE for ``wanted`` bytes, or INVALID if the input would have to pass the cap."""
    if minimum_total > MAX_CLIENT_HELLO_BYTES:
        return _invalid("ClientHello longer than the size limit")
    return _need_more(wanted)


def _handshake_message(data: bytes) -> bytes | SniResult:
    """Join the handshake bytes of consecutive records until the ClientHello is whole.

    Returns the ClientHello body (without its 4-byte handshake header) or a NEED_MORE /
    INVALID result. Each loop turn consumes one whole record of at least one byte plus its
    header, and ``data`` is already capped, so the loop is bounded.
    """
    handshake = bytearray()
    pos = 0
    end = len(data)
    records = 0
    while True:
        state = _gathered(handshake)
        if not isinstance(state, int):
            return state
        missing = state

        # Next record: check each header byte as soon as it is there, so garbage fails fast.
        available = end - pos
        if available >= 1 and data[pos] != CONTENT_TYPE_HANDSHAKE:
            return _invalid("record before the end of the ClientHello is not a handshake")
        if available >= 2 and data[pos + 1] != 3:
            return _invalid("record version is not TLS")
        # TLS 1.0-1.3 records say 0x0301-0x0304; RFC 5246 §E.1 lets a ClientHello's record
        # say 0x0300 too, and OpenSSL accepts it, so it is not refused here either.
        if available >= 3 and data[pos + 2] > 4:
            return _invalid("record version beyond TLS 1.3")
        if records == MAX_RECORDS:
            return _invalid("ClientHello split into too many records")
        if available < RECORD_HEADER_LEN:
            wanted = RECORD_HEADER_LEN - available
            return _need_more_within_cap(wanted, end + wanted + missing)
        record_len = int.from_bytes(data[pos + 3 : pos + RECORD_HEADER_LEN], "big")
        if record_len == 0:
            return _invalid("empty handshake record")
        if record_len > MAX_RECORD_PAYLOAD:
            return _invalid("record longer than the TLS limit")
        records += 1
        body_start = pos + RECORD_HEADER_LEN
        present = min(record_len, end - body_start)
        handshake += data[body_start : body_start + present]
        if present == record_len:
            pos = body_start + record_len
            continue

        # The record is cut short. The hello may already be whole inside it; if not, the bytes
        # wanted are the rest of this record, or fewer if the hello ends before it does.
        state = _gathered(handshake)
        if not isinstance(state, int):
            return state
        missing = state
        missing_in_record = record_len - present
        wanted = min(missing_in_record, missing)
        # Handshake bytes beyond this record need at least one more record header.
        beyond = missing - missing_in_record
        if beyond > 0 and records == MAX_RECORDS:
            return _invalid("ClientHello split into too many records")
        extra = RECORD_HEADER_LEN + beyond if beyond > 0 else 0
        return _need_more_within_cap(wanted, end + wanted + extra)


def _server_name(extension: bytes) -> str | None:
    """The host_name in a server_name extension (RFC 6066 §3), or None if it has none."""
    reader = _Reader(extension)
    names = reader.vector(2, "server_name list")
    if reader.remaining():
        raise _Malformed("bytes after the server_name list")
    if not names:
        raise _Malformed("empty server_name list")
    entries = _Reader(names)
    host: str | None = None
    seen_host = False
    while entries.remaining():
        name_type = entries.uint(1, "server_name type")
        # Every defined and future name type is an opaque<1..2^16-1> (RFC 6066 §3).
        value = entries.vector(2, "server_name")
        if not value:
            raise _Malformed("empty server_name")
        if name_type != NAME_TYPE_HOST_NAME:
            continue
        if seen_host:
            raise _Malformed("more than one host_name")
        seen_host = True
        host = normalize_host_name(value)
        if host is None:
            raise _Malformed("host_name is not a valid host name")
    return host


def _client_hello_server_name(body: bytes) -> str | None:
    """Walk a ClientHello body (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2) to its server_name."""
    reader = _Reader(body)
    legacy_version = reader.uint(2, "client version")
    if legacy_version >> 8 != 3:
        raise _Malformed("client version is not TLS")
    reader.take(32, "random")
    if len(reader.vector(1, "session id")) > MAX_SESSION_ID_LEN:
        raise _Malformed("session id longer than 32 bytes")
    cipher_suites = reader.vector(2, "cipher suites")
    if not cipher_suites or len(cipher_suites) % 2:
        raise _Malformed("bad cipher suite list")
    if not reader.vector(1, "compression methods"):
        raise _Malformed("no compression method")
    if not reader.remaining():
        return None  # A hello without extensions (old clients) has no SNI.
    extensions = reader.vector(2, "extensions")
    if reader.remaining():
        raise _Malformed("bytes after the extensions")
    entries = _Reader(extensions)
    seen: set[int] = set()
    server_name: str | None = None
    while entries.remaining():
        extension_type = entries.uint(2, "extension type")
        data = entries.vector(2, "extension")
        if extension_type in seen:
            # RFC 8446 §4.2: a type must not appear twice; which copy to believe is ambiguous.
            raise _Malformed("duplicate extension")
        seen.add(extension_type)
        if extension_type == EXTENSION_SERVER_NAME:
            server_name = _server_name(data)
    return server_name


def parse_sni(data: bytes | bytearray | memoryview) -> SniResult:
    """Parse the first bytes of a TLS connection and return the SNI host name if whole.

    ``data`` is everything read from the connection so far. Returns COMPLETE with the
    normalized host name (or ``None`` when the hello has none), NEED_MORE with a lower bound
    of the bytes still needed, or INVALID with a fixed reason. Never raises.
    """
    capped = bytes(data[:MAX_CLIENT_HELLO_BYTES])
    if not capped:
        return _need_more(RECORD_HEADER_LEN)
    if capped[0] & 0x80:
        # SSLv2-compatible framing (a 2-byte length with the top bit set); it has no extensions.
        return _invalid("SSLv2-compatible hello has no SNI")
    gathered = _handshake_message(capped)
    if isinstance(gathered, SniResult):
        return gathered
    try:
        return _complete(_client_hello_server_name(gathered))
    except _Malformed as malformed:
        return _invalid(malformed.reason)
