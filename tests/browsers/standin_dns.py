"""DNS wire format for the stand-in internet, hand-rolled (RFC 1035, RFC 9460, TLS ECH).

Only what the stand-in servers need: parse one question, answer A, AAAA, HTTPS (type 65) and
NS from a small zone of stand-in names, NXDOMAIN for everything else. The same answers go out
over UDP, TCP and DNS over HTTPS (RFC 8484), so every browser sees one consistent internet.

An HTTPS record can carry an ECHConfigList (``ech=``): a real X25519 public key whose private
half nobody keeps — enough for a browser to send an Encrypted Client Hello, whose outer name is
``public.ech-frontend.example``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

TYPE_A = 1
TYPE_NS = 2
TYPE_SOA = 6
TYPE_AAAA = 28
TYPE_OPT = 41
TYPE_HTTPS = 65
CLASS_IN = 1

RCODE_OK = 0
RCODE_FORMERR = 1
RCODE_NXDOMAIN = 3
RCODE_NOTIMP = 4

TTL = 60

# The stand-in internet: documentation addresses only (RFC 5737, RFC 3849).
SITE_V4 = "198.51.100.10"
SITE_V6 = "2001:db8:100::10"
ECH_FRONT_V4 = "198.51.100.20"
ECH_FRONT_V6 = "2001:db8:100::20"
DNS_V4 = "192.0.2.53"
DNS_V6 = "2001:db8::53"
DOH_V4 = "192.0.2.54"
DOH_V6 = "2001:db8::54"
DOH_NAME = "doh.stand-in.example"
ECH_PUBLIC_NAME = "public.ech-frontend.example"
# Zones answered with the stand-in site's addresses (the name and every name under it).
SITE_ZONES = ("instagram.com", "cdninstagram.com", "instagr.am", "ig.me")


class DnsFormatError(ValueError):
    """The bytes are not a DNS query we can read."""


@dataclass(frozen=True, slots=True)
class Question:
    """The one question of a query, as received (``raw`` keeps the client's letter case)."""

    ident: int
    flags: int
    name: str
    qtype: int
    qclass: int
    raw: bytes
    edns: bool


def _read_name(data: bytes, offset: int) -> tuple[str, int]:
    labels: list[str] = []
    while True:
        if offset >= len(data):
            raise DnsFormatError("name runs past the end")
        length = data[offset]
        offset += 1
        if length == 0:
            return ".".join(labels), offset
        if length & 0xC0:
            raise DnsFormatError("compressed name in a question")
        label = data[offset : offset + length]
        if len(label) != length:
            raise DnsFormatError("label runs past the end")
        labels.append(label.decode("ascii", "replace"))
        offset += length


def parse_query(data: bytes) -> Question:
    """The question of ``data`` (exactly one expected); :class:`DnsFormatError` otherwise."""
    if len(data) < 12:
        raise DnsFormatError("shorter than a header")
    ident, flags, qdcount, _ancount, _nscount, arcount = struct.unpack("!6H", data[:12])
    if flags & 0x8000:
        raise DnsFormatError("a response, not a query")
    if qdcount != 1:
        raise DnsFormatError(f"{qdcount} questions")
    name, end = _read_name(data, 12)
    if end + 4 > len(data):
        raise DnsFormatError("question runs past the end")
    qtype, qclass = struct.unpack("!HH", data[end : end + 4])
    edns = arcount > 0 and struct.pack("!H", TYPE_OPT) in data[end + 4 :]
    return Question(ident, flags, name.lower(), qtype, qclass, data[12 : end + 4], edns)


def encode_name(name: str) -> bytes:
    """``name`` in wire form (the root for ``""`` or ``"."``)."""
    out = bytearray()
    for label in name.strip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return bytes(out) + b"\x00"


def _ip4(address: str) -> bytes:
    return bytes(int(part) for part in address.split("."))


def _ip6(address: str) -> bytes:
    import ipaddress

    return ipaddress.IPv6Address(address).packed


def ech_config_list(
    public_key: bytes, public_name: str = ECH_PUBLIC_NAME, config_id: int = 7
) -> bytes:
    """An ECHConfigList with one version-0xfe0d config (DHKEM X25519, HKDF-SHA256, AES-128-GCM)."""
    if len(public_key) != 32:
        raise ValueError("an X25519 public key has 32 bytes")
    name = public_name.encode("ascii")
    suites = struct.pack("!HH", 0x0001, 0x0001) + struct.pack("!HH", 0x0001, 0x0003)
    contents = (
        bytes([config_id])
        + struct.pack("!H", 0x0020)  # DHKEM(X25519, HKDF-SHA256)
        + struct.pack("!H", len(public_key))
        + public_key
        + struct.pack("!H", len(suites))
        + suites
        + bytes([0])  # maximum_name_length: let the client pad as it likes
        + bytes([len(name)])
        + name
        + struct.pack("!H", 0)  # no extensions
    )
    config = struct.pack("!HH", 0xFE0D, len(contents)) + contents
    return struct.pack("!H", len(config)) + config


def svcb_rdata(
    *,
    priority: int = 1,
    target: str = ".",
    alpn: Iterable[str] = (),
    ipv4hint: Iterable[str] = (),
    ipv6hint: Iterable[str] = (),
    ech: bytes | None = None,
) -> bytes:
    """The RDATA of an HTTPS/SVCB record (RFC 9460), keys in ascending order."""
    params: list[tuple[int, bytes]] = []
    alpn_ids = [a.encode("ascii") for a in alpn]
    if alpn_ids:
        params.append((1, b"".join(bytes([len(a)]) + a for a in alpn_ids)))
    v4 = [_ip4(a) for a in ipv4hint]
    if v4:
        params.append((4, b"".join(v4)))
    if ech is not None:
        params.append((5, ech))
    v6 = [_ip6(a) for a in ipv6hint]
    if v6:
        params.append((6, b"".join(v6)))
    out = struct.pack("!H", priority) + encode_name(target)
    for key, value in params:
        out += struct.pack("!HH", key, len(value)) + value
    return out


@dataclass
class StandInZone:
    """Which stand-in name gets which records; ``ech`` (an ECHConfigList) is offered when set."""

    ech: bytes | None = None
    extra_a: Mapping[str, str] = field(default_factory=dict)

    def _site(self, name: str) -> bool:
        return any(name == zone or name.endswith("." + zone) for zone in SITE_ZONES)

    def records(self, name: str, qtype: int) -> tuple[int, list[tuple[int, bytes]]]:
        """(rcode, [(type, rdata)]) for one question; NODATA is (0, [])."""
        name = name.lower().rstrip(".")
        if self._site(name):
            v4, v6 = SITE_V4, SITE_V6
        elif name == ECH_PUBLIC_NAME:
            v4, v6 = ECH_FRONT_V4, ECH_FRONT_V6
        elif name == DOH_NAME:
            v4, v6 = DOH_V4, DOH_V6
        elif name in self.extra_a:
            return RCODE_OK, [(TYPE_A, _ip4(self.extra_a[name]))] if qtype == TYPE_A else []
        elif name in ("example.com", "stand-in.example"):
            # Firefox's TRR confirmation asks for the NS of example.com.
            if qtype == TYPE_NS:
                return RCODE_OK, [(TYPE_NS, encode_name("ns." + DOH_NAME))]
            return RCODE_OK, []
        else:
            return RCODE_NXDOMAIN, []
        if qtype == TYPE_A:
            return RCODE_OK, [(TYPE_A, _ip4(v4))]
        if qtype == TYPE_AAAA:
            return RCODE_OK, [(TYPE_AAAA, _ip6(v6))]
        if qtype == TYPE_HTTPS and self.ech is not None and self._site(name):
            rdata = svcb_rdata(alpn=["http/1.1"], ipv4hint=[v4], ipv6hint=[v6], ech=self.ech)
            return RCODE_OK, [(TYPE_HTTPS, rdata)]
        return RCODE_OK, []


_SOA = (
    encode_name("ns." + DOH_NAME)
    + encode_name("hostmaster." + DOH_NAME)
    + struct.pack("!5I", 1, 3600, 600, 86400, TTL)
)


def build_response(question: Question, rcode: int, answers: list[tuple[int, bytes]]) -> bytes:
    """A response to ``question`` with ``answers`` (each for the question's name)."""
    opcode_rd = question.flags & 0x7900  # opcode and RD, as asked
    flags = 0x8000 | opcode_rd | 0x0400 | 0x0080 | (rcode & 0xF)  # QR AA RA
    authority: list[bytes] = []
    if not answers:
        # Negative answers carry the zone's SOA so resolvers can cache them (RFC 2308).
        authority.append(
            b"\xc0\x0c" + struct.pack("!HHIH", TYPE_SOA, CLASS_IN, TTL, len(_SOA)) + _SOA
        )
    additional = b""
    if question.edns:
        additional = b"\x00" + struct.pack("!HHIH", TYPE_OPT, 1232, 0, 0)
    header = struct.pack(
        "!6H",
        question.ident,
        flags,
        1,
        len(answers),
        len(authority),
        1 if additional else 0,
    )
    body = question.raw
    for rtype, rdata in answers:
        body += b"\xc0\x0c" + struct.pack("!HHIH", rtype, CLASS_IN, TTL, len(rdata)) + rdata
    body += b"".join(authority) + additional
    return header + body


def answer(zone: StandInZone, data: bytes) -> tuple[bytes | None, Question | None]:
    """The response to the query ``data`` (``None`` for bytes that are not a query)."""
    try:
        question = parse_query(data)
    except DnsFormatError:
        if len(data) >= 12:
            ident, flags = struct.unpack("!HH", data[:4])
            if not flags & 0x8000:
                header = struct.pack("!6H", ident, 0x8000 | RCODE_FORMERR, 0, 0, 0, 0)
                return header, None
        return None, None
    if question.qclass != CLASS_IN or (question.flags >> 11) & 0xF != 0:
        return build_response(question, RCODE_NOTIMP, []), question
    rcode, answers = zone.records(question.name, question.qtype)
    return build_response(question, rcode, answers), question
