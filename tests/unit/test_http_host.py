"""The HTTP Host parser and the fixed page the listener answers with."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nocontact_desktop.core.privacy.discretion import revealing
from nocontact_desktop.helper.client_hello import ParseStatus
from nocontact_desktop.helper.http_host import (
    BLOCKED_PAGE,
    MAX_REQUEST_HEAD_BYTES,
    HostResult,
    parse_host,
)

BROWSER_REQUEST = (
    b"GET /someone/ HTTP/1.1\r\n"
    b"Host: www.Instagram.com\r\n"
    b"Connection: keep-alive\r\n"
    b"Upgrade-Insecure-Requests: 1\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36\r\n"
    b"Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\n"
    b"Accept-Encoding: gzip, deflate\r\n"
    b"Accept-Language: en-GB,en;q=0.9\r\n"
    b"\r\n"
)


def complete(host: str | None) -> HostResult:
    return HostResult(ParseStatus.COMPLETE, host=host)


def test_browser_request_gives_the_host() -> None:
    assert parse_host(BROWSER_REQUEST) == complete("www.instagram.com")


def test_every_prefix_of_a_request_needs_more() -> None:
    for cut in range(len(BROWSER_REQUEST)):
        assert parse_host(BROWSER_REQUEST[:cut]).status is ParseStatus.NEED_MORE, cut


def test_body_after_the_head_is_ignored() -> None:
    request = b"POST /x HTTP/1.1\r\nHost: x.com\r\nContent-Length: 5\r\n\r\nhello"
    assert parse_host(request) == complete("x.com")


@pytest.mark.parametrize(
    ("host_line", "expected"),
    [
        (b"Host: x.com", "x.com"),
        (b"host: X.COM", "x.com"),
        (b"HOST:x.com", "x.com"),
        (b"Host: \t x.com \t", "x.com"),
        (b"Host: x.com:80", "x.com"),
        (b"Host: x.com:8080", "x.com"),
        (b"Host: x.com:", "x.com"),
        (b"Host: x.com.", "x.com"),
        (b"Host: x.com.:80", "x.com"),
        (b"Host: xn--bcher-kva.example", "xn--bcher-kva.example"),
        (b"Host: [::1]", None),
        (b"Host: [::1]:80", None),
        (b"Host: [2001:db8::1]:8080", None),
        (b"Host:", None),
        (b"Host: ", None),
    ],
)
def test_host_header_forms(host_line: bytes, expected: str | None) -> None:
    request = b"GET / HTTP/1.1\r\n" + host_line + b"\r\nAccept: */*\r\n\r\n"
    assert parse_host(request) == complete(expected)


def test_bare_lf_line_endings_are_accepted() -> None:
    assert parse_host(b"GET / HTTP/1.1\nHost: x.com\n\n") == complete("x.com")


def test_leading_empty_lines_are_skipped() -> None:
    assert parse_host(b"\r\n\r\nGET / HTTP/1.1\r\nHost: x.com\r\n\r\n") == complete("x.com")


def test_http_1_0_without_host_names_nothing() -> None:
    assert parse_host(b"GET / HTTP/1.0\r\n\r\n") == complete(None)
    assert parse_host(b"GET / HTTP/1.0\r\nHost: x.com\r\n\r\n") == complete("x.com")


def test_absolute_form_target_wins_over_host() -> None:
    request = b"GET http://www.instagram.com:80/x HTTP/1.1\r\nHost: other.com\r\n\r\n"
    assert parse_host(request) == complete("www.instagram.com")
    assert parse_host(b"GET HTTP://x.com HTTP/1.1\r\n\r\n") == complete("x.com")


@pytest.mark.parametrize(
    ("request_bytes", "reason_part"),
    [
        (b"GET / HTTP/1.1\r\nHost: a.com\r\nHost: b.com\r\n\r\n", "more than one Host"),
        (b"GET / HTTP/1.1\r\nHost: a.com\r\nhost: a.com\r\n\r\n", "more than one Host"),
        (b"GET / HTTP/1.1\r\nHost:\r\n x.com\r\n\r\n", "folding"),
        (b"GET / HTTP/1.1\r\nX-A: 1\r\n\tHost: x.com\r\n\r\n", "folding"),
        (b"GET / HTTP/1.1\r\n Host: x.com\r\n\r\n", "folding"),
        (b"GET / HTTP/1.1\r\nHost : x.com\r\n\r\n", "malformed header"),
        (b"GET / HTTP/1.1\r\nHost x.com\r\n\r\n", "malformed header"),
        (b"GET / HTTP/1.1\r\n: x.com\r\n\r\n", "malformed header"),
        (b"GET / HTTP/1.1\r\nHost: x.com\rEvil: 1\r\n\r\n", "bare CR"),
        (b"GET / HTTP/1.1\r\nHost: x.com\x00.evil\r\n\r\n", "NUL"),
        (b"GET / HTTP/1.1\r\nHost: x\x01.com\r\n\r\n", "control character"),
        (b"GET / HTTP/1.1\r\nHost: evil..com\r\n\r\n", "not a valid host name"),
        (b"GET / HTTP/1.1\r\nHost: x.com:80:80\r\n\r\n", "not a valid host name"),
        (b"GET / HTTP/1.1\r\nHost: x.com:http\r\n\r\n", "bad port"),
        (b"GET / HTTP/1.1\r\nHost: x.com:123456\r\n\r\n", "bad port"),
        (b"GET / HTTP/1.1\r\nHost: user@x.com\r\n\r\n", "user information"),
        (b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", "unterminated IPv6"),
        (b"GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", "bad port"),
        (b"GET / HTTP/1.1\r\nHost: b\xc3\xbccher.de\r\n\r\n", "not a valid host name"),
        (b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", "without Host"),
        (b"GET / HTTP/2.0\r\nHost: x.com\r\n\r\n", "request line"),
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "request line"),
        (b"GET /a b HTTP/1.1\r\nHost: x.com\r\n\r\n", "request line"),
        (b"GET  / HTTP/1.1\r\nHost: x.com\r\n\r\n", "request line"),
        (b"G(T / HTTP/1.1\r\nHost: x.com\r\n\r\n", "request line"),
    ],
)
def test_ambiguous_or_malformed_heads_are_invalid(request_bytes: bytes, reason_part: str) -> None:
    result = parse_host(request_bytes)
    assert result.status is ParseStatus.INVALID
    assert reason_part in result.reason
    # The reason is a fixed phrase: it never carries the request's bytes.
    assert "x.com" not in result.reason
    assert "evil" not in result.reason


@pytest.mark.parametrize(
    "data",
    [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc",  # a TLS ClientHello sent to port 80
        b"\x00\x01\x02",
        b"GET\x00",
        b"{\"json\": 1}",
    ],
)
def test_garbage_is_refused_before_the_head_ends(data: bytes) -> None:
    assert parse_host(data).status is ParseStatus.INVALID


def test_size_cap() -> None:
    filler = b"X-Filler: " + b"a" * 200 + b"\r\n"
    head = b"GET / HTTP/1.1\r\nHost: x.com\r\n" + filler * 100
    assert len(head) > 16384
    assert parse_host(head).status is ParseStatus.INVALID
    assert parse_host(head + b"\r\n").status is ParseStatus.INVALID
    assert parse_host(head[:2000] + b"\r\n").status is ParseStatus.NEED_MORE
    small = b"GET / HTTP/1.1\r\nHost: x.com\r\n" + filler * 2 + b"\r\n"
    assert parse_host(small, max_bytes=300).status is ParseStatus.INVALID
    assert parse_host(small, max_bytes=len(small)) == complete("x.com")
    assert MAX_REQUEST_HEAD_BYTES == 16384


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data: bytes) -> None:
    result = parse_host(data)
    assert isinstance(result, HostResult)
    if result.status is not ParseStatus.COMPLETE:
        assert result.host is None


@settings(max_examples=1000, deadline=None)
@given(
    st.binary(max_size=60),
    st.integers(min_value=0, max_value=len(BROWSER_REQUEST)),
)
def test_spliced_requests_never_raise(noise: bytes, position: int) -> None:
    data = BROWSER_REQUEST[:position] + noise + BROWSER_REQUEST[position:]
    result = parse_host(data)
    assert isinstance(result, HostResult)
    if result.host is not None:
        assert re.fullmatch(r"[a-z0-9.-]+", result.host)


def test_blocked_page_is_a_complete_calm_http_response() -> None:
    head, _, body = BLOCKED_PAGE.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 200 OK"
    fields = {k.lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
    assert fields[b"connection"] == b"close"
    assert fields[b"content-length"] == str(len(body)).encode()
    assert fields[b"cache-control"] == b"no-store"
    assert fields[b"content-type"].startswith(b"text/html")
    assert b"This page is not available on this computer." in body
    # Neutral always (issue 14): nothing in it says what the app is for.
    assert revealing(body.decode("utf-8")) == []
    assert len(BLOCKED_PAGE) < 2048
    body.decode("utf-8")


def test_the_origin_form_path_is_kept_for_open_anyway() -> None:
    """Issue 15: "Open anyway" opens the page that was attempted over plain HTTP."""
    head = b"GET /someone/?hl=en HTTP/1.1\r\nHost: www.instagram.com\r\n\r\n"
    result = parse_host(head)
    assert (result.host, result.path) == ("www.instagram.com", "/someone/?hl=en")
    absolute = parse_host(b"GET http://x.com/a HTTP/1.1\r\nHost: x.com\r\n\r\n")
    assert (absolute.host, absolute.path) == ("x.com", None)
