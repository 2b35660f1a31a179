"""The ClientHello parser against real hellos from OpenSSL (via Python's ssl) and hostile bytes."""

from __future__ import annotations

import contextlib
import ssl
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nocontact_desktop.helper.client_hello import (
    MAX_CLIENT_HELLO_BYTES,
    MAX_RECORDS,
    ParseStatus,
    SniResult,
    normalize_host_name,
    parse_sni,
)

# --- Real ClientHellos -------------------------------------------------------------------------


def real_client_hello(
    server_hostname: str | None,
    *,
    maximum_version: ssl.TLSVersion | None = None,
    alpn: list[str] | None = None,
) -> bytes:
    """The bytes OpenSSL sends first as a client: the ClientHello in its TLS record(s)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if server_hostname is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if maximum_version is not None:
        context.maximum_version = maximum_version
    if alpn is not None:
        context.set_alpn_protocols(alpn)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_hostname)
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    assert hello[0] == 22
    return hello


def openssl_server_sees(data: bytes) -> tuple[bool, str | None]:
    """Feed bytes to a real OpenSSL server; (SNI callback ran, name it was given)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    seen: list[str | None] = []

    def remember(_obj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        seen.append(name)

    context.sni_callback = remember
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    server = context.wrap_bio(incoming, outgoing, server_side=True)
    incoming.write(data)
    # No certificate here: the handshake fails after the SNI callback, as intended.
    with contextlib.suppress(ssl.SSLError, ValueError, UnicodeError):
        server.do_handshake()
    return (bool(seen), seen[0] if seen else None)


def records(hello: bytes) -> list[tuple[int, bytes, bytes]]:
    """Split wire bytes into (content type, version, payload) records."""
    out = []
    pos = 0
    while pos < len(hello):
        content_type, version = hello[pos], hello[pos + 1 : pos + 3]
        length = struct.unpack("!H", hello[pos + 3 : pos + 5])[0]
        out.append((content_type, version, hello[pos + 5 : pos + 5 + length]))
        pos += 5 + length
    return out


def refragment(hello: bytes, sizes: list[int], version: bytes = b"\x03\x01") -> bytes:
    """Re-split the handshake bytes of ``hello`` into records of the given payload sizes."""
    handshake = b"".join(payload for _type, _version, payload in records(hello))
    out = bytearray()
    pos = 0
    index = 0
    while pos < len(handshake):
        size = sizes[index % len(sizes)]
        chunk = handshake[pos : pos + size]
        out += bytes([22]) + version + struct.pack("!H", len(chunk)) + chunk
        pos += size
        index += 1
    return bytes(out)


# --- Hand-built ClientHellos for the corner cases OpenSSL never sends -------------------------


def extension(extension_type: int, data: bytes) -> bytes:
    return struct.pack("!HH", extension_type, len(data)) + data


def sni_extension(*entries: tuple[int, bytes]) -> bytes:
    names = b"".join(bytes([kind]) + struct.pack("!H", len(v)) + v for kind, v in entries)
    return extension(0, struct.pack("!H", len(names)) + names)


def built_hello(
    extensions: bytes | None,
    *,
    session_id: bytes = b"\x11" * 32,
    cipher_suites: bytes = b"\x13\x01\xc0\x2f",
    compression: bytes = b"\x00",
    client_version: bytes = b"\x03\x03",
    trailing: bytes = b"",
    record_version: bytes = b"\x03\x01",
) -> bytes:
    body = (
        client_version
        + b"\x42" * 32
        + bytes([len(session_id)])
        + session_id
        + struct.pack("!H", len(cipher_suites))
        + cipher_suites
        + bytes([len(compression)])
        + compression
    )
    if extensions is not None:
        body += struct.pack("!H", len(extensions)) + extensions
    body += trailing
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16" + record_version + struct.pack("!H", len(handshake)) + handshake


def assert_well_formed(result: SniResult, data_len: int) -> None:
    """The invariants every result must keep, whatever the input."""
    assert isinstance(result, SniResult)
    if result.status is ParseStatus.NEED_MORE:
        assert result.wanted >= 1
        assert data_len + result.wanted <= MAX_CLIENT_HELLO_BYTES
    elif result.status is ParseStatus.INVALID:
        assert result.reason
        assert result.server_name is None
    else:
        name = result.server_name
        assert name is None or normalize_host_name(name.encode("ascii")) == name


# --- Tests: real hellos ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "maximum_version", [None, ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2], ids=str
)
def test_real_hello_gives_the_sni_name(maximum_version: ssl.TLSVersion | None) -> None:
    hello = real_client_hello("www.instagram.com", maximum_version=maximum_version)
    result = parse_sni(hello)
    assert result.status is ParseStatus.COMPLETE
    assert result.server_name == "www.instagram.com"


def test_real_hello_with_alpn_and_upper_case_and_trailing_dot() -> None:
    hello = real_client_hello("WWW.Instagram.COM.", alpn=["h2", "http/1.1"])
    assert parse_sni(hello) == SniResult(ParseStatus.COMPLETE, server_name="www.instagram.com")


def test_real_hello_without_sni_is_complete_with_no_name() -> None:
    result = parse_sni(real_client_hello(None))
    assert result.status is ParseStatus.COMPLETE
    assert result.server_name is None


def test_ip_address_hostname_sends_no_sni() -> None:
    # RFC 6066 forbids IP literals in SNI; OpenSSL leaves the extension out.
    assert parse_sni(real_client_hello("127.0.0.1")).server_name is None


def test_internationalized_name_arrives_as_punycode() -> None:
    result = parse_sni(real_client_hello("bücher.example"))
    assert result.server_name == "xn--bcher-kva.example"


def test_bytes_after_the_hello_are_ignored() -> None:
    hello = real_client_hello("x.com")
    alert = b"\x15\x03\x03\x00\x02\x01\x00"
    assert parse_sni(hello + alert).server_name == "x.com"
    assert parse_sni(hello + b"\xff" * 20_000).server_name == "x.com"


def test_accepts_bytearray_and_memoryview() -> None:
    hello = real_client_hello("x.com")
    assert parse_sni(bytearray(hello)).server_name == "x.com"
    assert parse_sni(memoryview(hello)).server_name == "x.com"


def test_every_prefix_needs_more_and_says_how_much() -> None:
    hello = real_client_hello("www.facebook.com")
    for cut in range(len(hello)):
        result = parse_sni(hello[:cut])
        assert result.status is ParseStatus.NEED_MORE, cut
        assert_well_formed(result, cut)
        # The lower bound is honest: that many more bytes never overshoot the hello.
        assert cut + result.wanted <= len(hello), cut
    assert parse_sni(hello).server_name == "www.facebook.com"


def test_fed_byte_by_byte_as_the_listener_does() -> None:
    hello = real_client_hello("m.facebook.com")
    buffer = bytearray()
    parse_at = 1
    parses = 0
    result = SniResult(ParseStatus.NEED_MORE, wanted=1)
    for byte in hello:
        buffer.append(byte)
        if len(buffer) < parse_at:
            continue
        parses += 1
        result = parse_sni(buffer)
        if result.status is not ParseStatus.NEED_MORE:
            break
        parse_at = len(buffer) + result.wanted
    assert result == SniResult(ParseStatus.COMPLETE, server_name="m.facebook.com")
    # Using `wanted` the caller parses a handful of times, not once per byte.
    assert parses < 12


@pytest.mark.parametrize("sizes", [[9], [10, 13], [100], [3, 1, 250], [511, 1], [1, 516]])
def test_hello_split_over_several_records(sizes: list[int]) -> None:
    hello = refragment(real_client_hello("l.instagram.com"), sizes)
    assert len(records(hello)) > 1
    assert parse_sni(hello).server_name == "l.instagram.com"
    # OpenSSL agrees the re-fragmented hello is the same hello.
    assert openssl_server_sees(hello) == (True, "l.instagram.com")
    for cut in range(0, len(hello), 7):
        result = parse_sni(hello[:cut])
        assert result.status is ParseStatus.NEED_MORE
        assert_well_formed(result, cut)


@pytest.mark.parametrize(
    "version", [b"\x03\x00", b"\x03\x01", b"\x03\x02", b"\x03\x03", b"\x03\x04"]
)
def test_record_versions_of_tls(version: bytes) -> None:
    hello = refragment(real_client_hello("x.com"), [600], version=version)
    assert parse_sni(hello).server_name == "x.com"


# --- Tests: hand-built corner cases ------------------------------------------------------------


def test_hello_without_any_extensions() -> None:
    assert parse_sni(built_hello(None)) == SniResult(ParseStatus.COMPLETE, server_name=None)


def test_built_hello_is_understood_by_openssl_too() -> None:
    hello = built_hello(sni_extension((0, b"their-blog.com")))
    assert parse_sni(hello).server_name == "their-blog.com"
    assert openssl_server_sees(hello) == (True, "their-blog.com")


def test_other_name_types_are_skipped() -> None:
    hello = built_hello(sni_extension((7, b"opaque"), (0, b"x.com")))
    assert parse_sni(hello).server_name == "x.com"
    only_other = built_hello(sni_extension((7, b"opaque")))
    assert parse_sni(only_other) == SniResult(ParseStatus.COMPLETE, server_name=None)


@pytest.mark.parametrize(
    ("data", "reason_part"),
    [
        (built_hello(sni_extension((0, b"a.com")) + sni_extension((0, b"b.com"))), "duplicate"),
        (built_hello(extension(16, b"\x00\x00") + extension(16, b"\x00\x00")), "duplicate"),
        (built_hello(sni_extension((0, b"a.com"), (0, b"b.com"))), "more than one"),
        (built_hello(sni_extension((0, b""))), "empty"),
        (built_hello(extension(0, b"")), "truncated"),
        (built_hello(extension(0, b"\x00\x00")), "empty server_name list"),
        (built_hello(sni_extension((0, b"evil..com"))), "not a valid host name"),
        (built_hello(sni_extension((0, b"under_score.com"))), "not a valid host name"),
        (built_hello(sni_extension((0, b"a.com\x00.evil"))), "not a valid host name"),
        (built_hello(sni_extension((0, "bücher.de".encode()))), "not a valid host name"),
        (built_hello(sni_extension((0, b"a" * 64 + b".com"))), "not a valid host name"),
        (built_hello(sni_extension((0, (b"a" * 60 + b".") * 5 + b"com"))), "valid host name"),
        (built_hello(sni_extension((0, b"x.com")) + b"\x00"), "truncated"),
        (built_hello(sni_extension((0, b"x.com")), trailing=b"\x00"), "bytes after"),
        (built_hello(None, session_id=b"\x00" * 33), "session id"),
        (built_hello(None, cipher_suites=b""), "cipher suite"),
        (built_hello(None, cipher_suites=b"\x13"), "cipher suite"),
        (built_hello(None, compression=b""), "compression"),
        (built_hello(None, client_version=b"\x02\x00"), "client version"),
    ],
)
def test_malformed_hellos_are_invalid(data: bytes, reason_part: str) -> None:
    result = parse_sni(data)
    assert result.status is ParseStatus.INVALID
    assert reason_part in result.reason


def test_longest_valid_name_is_accepted() -> None:
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(name) == 253
    assert parse_sni(built_hello(sni_extension((0, name.encode())))).server_name == name
    assert parse_sni(built_hello(sni_extension((0, name.encode() + b".")))).server_name == name


def test_sslv2_compatible_hello_is_invalid() -> None:
    # SSLv2 framing: 2-byte length with the top bit set, then msg type 1 (CLIENT-HELLO).
    sslv2 = b"\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10" + b"\x00" * 37
    result = parse_sni(sslv2)
    assert result.status is ParseStatus.INVALID
    assert "SSLv2" in result.reason


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: x.com\r\n\r\n",
        b"\x17\x03\x03\x00\x10" + b"\x00" * 16,  # application data first
        b"\x15\x03\x03\x00\x02\x02\x28",  # an alert
        b"\x16\x02\x00",  # version major 2
        b"\x16\x03\x05",  # version minor beyond TLS 1.3
        b"\x16\x03\xff",  # no such version
        b"\x16\x03\x01\x00\x00",  # empty record
        b"\x16\x03\x01\x40\x01",  # record longer than 2^14
        b"\x16\x03\x01\x00\x04\x02\x00\x00\x00",  # ServerHello, not ClientHello
        b"\x16\x03\x01\x00\x01\x02",  # the wrong message type in a 1-byte record
        b"\x16\x03\x01\x00\x04\x01\x00\x40\x01",  # ClientHello body longer than the limit
        b"\x16\x03\x01\x00\x04\x01\xff\xff\xff",
    ],
)
def test_garbage_is_invalid_early(data: bytes) -> None:
    result = parse_sni(data)
    assert result.status is ParseStatus.INVALID
    assert_well_formed(result, len(data))


def test_non_handshake_record_in_the_middle_is_invalid() -> None:
    hello = refragment(real_client_hello("x.com"), [100])
    cut = 5 + 100
    spliced = hello[:cut] + b"\x17\x03\x03\x00\x01\x00" + hello[cut:]
    assert parse_sni(spliced).status is ParseStatus.INVALID


def test_record_count_is_capped() -> None:
    hello = real_client_hello("x.com")
    handshake_len = len(hello) - 5
    per_record = -(-handshake_len // MAX_RECORDS)  # ceil: exactly MAX_RECORDS records or fewer
    assert parse_sni(refragment(hello, [per_record])).server_name == "x.com"
    too_many = refragment(hello, [1])
    assert len(records(too_many)) > MAX_RECORDS
    result = parse_sni(too_many)
    assert result.status is ParseStatus.INVALID
    assert "too many records" in result.reason
    # Known early: a hello that cannot finish within the records allowed is not waited for.
    prefix = too_many[: 6 * MAX_RECORDS]
    assert parse_sni(prefix).status is ParseStatus.INVALID
    assert parse_sni(prefix[:-6]).status is ParseStatus.NEED_MORE


def test_largest_allowed_hello_is_parsed() -> None:
    padding = extension(21, b"\x00" * (16384 - 200))
    hello_record = built_hello(sni_extension((0, b"x.com")) + padding)
    handshake = hello_record[5:]
    assert len(handshake) > 16000
    data = refragment(b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake, [16384])
    assert parse_sni(data).server_name == "x.com"


def test_input_beyond_the_cap_is_not_read() -> None:
    # A megabyte of records is refused after looking at the first few.
    payload = b"\x01\x00\x10\x00" + b"\x00" * 200_000
    endless = b"".join(b"\x16\x03\x01\x00\x01" + bytes([b]) for b in payload)
    result = parse_sni(endless)
    assert result.status is ParseStatus.INVALID
    assert "too many records" in result.reason
    # A hello that declares the largest body but whose records carry more than the cap.
    big = b"\x16\x03\x01\x40\x00\x01\x00\x40\x00" + b"\x00" * 16380 + b"\x16\x03\x01\x40\x00"
    result = parse_sni(big + b"\x00" * 1_000_000)
    assert result.status is ParseStatus.INVALID


def test_empty_input_needs_a_record_header() -> None:
    assert parse_sni(b"") == SniResult(ParseStatus.NEED_MORE, wanted=5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Example.COM", "example.com"),
        (b"example.com.", "example.com"),
        (b"xn--bcher-kva.example", "xn--bcher-kva.example"),
        (b"a-b.c", "a-b.c"),
        (b"localhost", "localhost"),
        (b".", None),
        (b"", None),
        (b"..", None),
        (b"a..b", None),
        (b".a", None),
        (b"a.com..", None),
        (b"a b.com", None),
        (b"a_b.com", None),
        (b"a.com\n", None),
        ("ä.com".encode(), None),
        (b"*.a.com", None),
    ],
)
def test_normalize_host_name(raw: bytes, expected: str | None) -> None:
    assert normalize_host_name(raw) == expected


# --- Property tests ----------------------------------------------------------------------------

_REAL_HELLOS: list[bytes] = []


def _real_hellos() -> list[bytes]:
    if not _REAL_HELLOS:
        _REAL_HELLOS.extend(
            [
                real_client_hello("www.instagram.com"),
                real_client_hello("x.com", maximum_version=ssl.TLSVersion.TLSv1_2),
                real_client_hello(None),
                refragment(real_client_hello("m.facebook.com"), [3, 40, 1]),
            ]
        )
    return _REAL_HELLOS


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert_well_formed(parse_sni(data), len(data))


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_behind_a_handshake_record_header_never_raise(tail: bytes) -> None:
    data = b"\x16\x03\x01" + tail
    assert_well_formed(parse_sni(data), len(data))


@st.composite
def mutated_hello(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_real_hellos())))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        position = draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))
        if action == "flip" and data:
            data[position] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif action == "set" and data:
            data[position] = draw(st.sampled_from([0x00, 0x01, 0x16, 0x2E, 0x7F, 0x80, 0xFF]))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[position : position + draw(st.integers(min_value=1, max_value=8))]
        else:
            del data[position:]
    return bytes(data)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_hello())
def test_mutated_real_hellos_never_raise_and_agree_with_openssl(data: bytes) -> None:
    result = parse_sni(data)
    assert_well_formed(result, len(data))
    if result.status is ParseStatus.COMPLETE and result.server_name is not None:
        # Differential check: whenever we read a name, OpenSSL reads the same one (its
        # callback may not run when a later part of the hello is broken, so only this way).
        ran, name = openssl_server_sees(data)
        if ran and name is not None:
            assert name.lower().rstrip(".") == result.server_name


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["www.instagram.com", "a.b", "x" * 63 + ".com"]),
    # The smallest hello here is ~520 bytes: records of 9+ bytes stay within MAX_RECORDS.
    st.lists(st.integers(min_value=9, max_value=700), min_size=1, max_size=6),
)
def test_any_fragmentation_gives_the_same_name(name: str, sizes: list[int]) -> None:
    hello = refragment(real_client_hello(name), sizes)
    assert parse_sni(hello).server_name == name
