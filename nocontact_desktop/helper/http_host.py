"""Find the Host of a plain HTTP/1.x request, and the fixed page the listener answers with.

Pure, no I/O. The listener on port 80 (DESIGN §4) reads a request head from any local process,
so the parser is strict where being lenient would be ambiguous (RFC 9112): obsolete line
folding, whitespace before the colon, two Host headers, bare CR and NUL are refused. The head
it looks at is capped; it never raises.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from nocontact_desktop.helper.client_hello import ParseStatus, normalize_host_name

MAX_REQUEST_HEAD_BYTES = 16384

# RFC 9110 §5.6.2 token characters (method and field names).
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A prefix of a request line that cannot yet be judged: a token still being typed.
_TOKEN_PREFIX = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]*")
_VERSION = re.compile(rb"HTTP/1\.([01])")
# The request target: visible ASCII only (RFC 9112 §3.2).
_TARGET = re.compile(rb"[\x21-\x7e]+")
_ABSOLUTE_FORM = re.compile(rb"[A-Za-z][A-Za-z0-9+.\-]*://([^/?#]*)")
_END_OF_HEAD = re.compile(rb"\r?\n\r?\n")
_PORT = re.compile(rb"[0-9]{0,5}")
# Field values may hold visible characters, SP, HTAB and obs-text; never other controls.
_FIELD_VALUE = re.compile(rb"[\x09\x20-\x7e\x80-\xff]*")
_OWS = b" \t"
_MAX_LEADING_EMPTY_LINES = 8


@dataclass(frozen=True, slots=True)
class HostResult:
    """What :func:`parse_host` found.

    - ``COMPLETE``: the whole request head was read; ``host`` is the normalized host name, or
      ``None`` when the request names none (HTTP/1.0 without Host, empty Host, IP literal).
    - ``NEED_MORE``: the head has not ended yet.
    - ``INVALID``: not a request head this parser accepts; ``reason`` never holds input bytes.
    """

    status: ParseStatus
    host: str | None = None
    reason: str = ""
    # The origin-form target ("/name/?x=1"), for "Open anyway"; not part of equality.
    path: str | None = dataclasses.field(default=None, compare=False)


def _complete(host: str | None) -> HostResult:
    return HostResult(ParseStatus.COMPLETE, host=host)


def _invalid(reason: str) -> HostResult:
    return HostResult(ParseStatus.INVALID, reason=reason)


_NEED_MORE = HostResult(ParseStatus.NEED_MORE)


def _strip_leading_empty_lines(data: bytes) -> bytes:
    """RFC 9112 §2.2: ignore empty lines before the request line (a few, not without end)."""
    for _ in range(_MAX_LEADING_EMPTY_LINES):
        if data.startswith(b"\r\n"):
            data = data[2:]
        elif data.startswith(b"\n"):
            data = data[1:]
        else:
            break
    return data


def _check_partial_request_line(data: bytes) -> HostResult:
    """Refuse early what can never become a request line (TLS on port 80, binary noise)."""
    first_line = data.split(b"\n", 1)[0]
    method, space, _ = first_line.partition(b" ")
    if not space:
        if _TOKEN_PREFIX.fullmatch(method) is None:
            return _invalid("request line does not start with a method")
        return _NEED_MORE
    if _TOKEN.fullmatch(method) is None:
        return _invalid("request line does not start with a method")
    return _NEED_MORE


def _host_of_authority(authority: bytes) -> HostResult:
    """Host name in ``host[:port]``; IP literals and empty hosts are not names (``None``)."""
    if not authority:
        return _complete(None)
    if authority.startswith(b"["):
        literal_end = authority.find(b"]")
        if literal_end < 0:
            return _invalid("unterminated IPv6 literal in Host")
        rest = authority[literal_end + 1 :]
        if rest and (not rest.startswith(b":") or _PORT.fullmatch(rest[1:]) is None):
            return _invalid("bad port in Host")
        return _complete(None)
    host, colon, port = authority.rpartition(b":")
    if not colon:
        host = authority
    elif _PORT.fullmatch(port) is None:
        return _invalid("bad port in Host")
    if b"@" in host:
        return _invalid("user information in Host")
    if not host:
        return _complete(None)
    name = normalize_host_name(host)
    if name is None:
        return _invalid("Host is not a valid host name")
    return _complete(name)


def parse_host(
    data: bytes | bytearray | memoryview, *, max_bytes: int = MAX_REQUEST_HEAD_BYTES
) -> HostResult:
    """Parse the head of an HTTP/1.x request and return the host it asks for.

    ``data`` is everything read from the connection so far; only the first ``max_bytes`` are
    looked at, and a head that does not end within them is INVALID. The port is stripped, the
    name lower-cased without a trailing dot. An absolute-form target (``GET http://h/ …``)
    names the host instead of the Host header (RFC 9112 §3.2.2). Never raises.
    """
    view = bytes(data[:max_bytes])
    head_and_more = _strip_leading_empty_lines(view)
    if b"\0" in head_and_more:
        return _invalid("NUL in request head")
    end = _END_OF_HEAD.search(head_and_more)
    if end is None:
        if len(data) >= max_bytes:
            return _invalid("request head longer than the size limit")
        return _check_partial_request_line(head_and_more)
    lines = head_and_more[: end.start()].split(b"\n")
    cleaned: list[bytes] = []
    for line in lines:
        text = line.removesuffix(b"\r")
        if b"\r" in text:
            return _invalid("bare CR in request head")
        cleaned.append(text)

    request_line, *fields = cleaned
    parts = request_line.split(b" ")
    if len(parts) != 3:
        return _invalid("request line is not 'method target version'")
    method, target, version_text = parts
    version = _VERSION.fullmatch(version_text)
    if _TOKEN.fullmatch(method) is None or _TARGET.fullmatch(target) is None or version is None:
        return _invalid("request line is not 'method target version'")

    host_value: bytes | None = None
    for field in fields:
        if field[:1] in (b" ", b"\t"):
            return _invalid("obsolete line folding in request head")
        name, colon, value = field.partition(b":")
        if not colon or _TOKEN.fullmatch(name) is None:
            return _invalid("malformed header field")
        if _FIELD_VALUE.fullmatch(value) is None:
            return _invalid("control character in header field")
        if name.lower() == b"host":
            if host_value is not None:
                return _invalid("more than one Host header")
            host_value = value.strip(_OWS)

    absolute = _ABSOLUTE_FORM.match(target)
    if absolute is not None:
        return _host_of_authority(absolute.group(1))
    if host_value is None:
        if version.group(1) == b"1":
            return _invalid("HTTP/1.1 request without Host")
        return _complete(None)
    result = _host_of_authority(host_value)
    if result.status is ParseStatus.COMPLETE and target.startswith(b"/"):
        return HostResult(ParseStatus.COMPLETE, host=result.host, path=target.decode("ascii"))
    return result


# Neutral always (issue 14): anyone at the screen may see this page, so it names no app, no
# list and no purpose, and it never echoes the request (the name asked for stays unsaid).
_PAGE_BODY = (
    b"<!doctype html>\n"
    b'<html lang="en"><head><meta charset="utf-8">'
    b'<meta name="viewport" content="width=device-width, initial-scale=1">'
    b"<title>Page unavailable</title>"
    b"<style>body{font-family:system-ui,sans-serif;background:#f4f1ec;color:#333;"
    b"display:flex;min-height:90vh;align-items:center;justify-content:center;margin:0}"
    b"main{max-width:32em;padding:2em;text-align:center;line-height:1.5}"
    b"h1{font-weight:500;font-size:1.4em}</style></head>\n"
    b"<body><main><h1>This page is not available on this computer.</h1>"
    b"<p>Take a slow breath. You are doing well.</p>"
    b"</main></body></html>\n"
)

BLOCKED_PAGE: bytes = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"Content-Length: " + str(len(_PAGE_BODY)).encode("ascii") + b"\r\n"
    # Never cached: once a pass opens the site, the real page must load, not this one.
    b"Cache-Control: no-store\r\n"
    b"X-Content-Type-Options: nosniff\r\n"
    b"Referrer-Policy: no-referrer\r\n"
    b"Connection: close\r\n"
    b"\r\n" + _PAGE_BODY
)
"""The fixed answer to an HTTP request for a blocked name; it never contains request bytes."""
