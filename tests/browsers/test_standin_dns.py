"""The stand-in DNS answers what the browser cases rely on (no root needed)."""

from __future__ import annotations

import struct

from tests.browsers import standin_dns as dns


def query(name: str, qtype: int, ident: int = 0x1234, edns: bool = False) -> bytes:
    header = struct.pack("!6H", ident, 0x0100, 1, 0, 0, 1 if edns else 0)
    body = dns.encode_name(name) + struct.pack("!HH", qtype, dns.CLASS_IN)
    if edns:
        body += b"\x00" + struct.pack("!HHIH", dns.TYPE_OPT, 4096, 0, 0)
    return header + body


def parse_answers(response: bytes) -> tuple[int, list[tuple[int, bytes]]]:
    """(rcode, [(type, rdata)]) of a response built by the stand-in (names compressed)."""
    _ident, flags, qd, an, _ns, _ar = struct.unpack("!6H", response[:12])
    assert flags & 0x8000 and qd == 1
    offset = 12
    while response[offset] != 0:
        offset += response[offset] + 1
    offset += 5
    answers = []
    for _ in range(an):
        assert response[offset : offset + 2] == b"\xc0\x0c"
        rtype, _cls, _ttl, length = struct.unpack("!HHIH", response[offset + 2 : offset + 12])
        answers.append((rtype, response[offset + 12 : offset + 12 + length]))
        offset += 12 + length
    return flags & 0xF, answers


def test_site_names_get_documentation_addresses() -> None:
    zone = dns.StandInZone()
    response, question = dns.answer(zone, query("WWW.Instagram.com", dns.TYPE_A))
    assert question is not None and question.name == "www.instagram.com"
    assert response is not None
    assert response[12 : 12 + len(question.raw)] == question.raw  # the question, as asked
    assert parse_answers(response) == (0, [(dns.TYPE_A, bytes([198, 51, 100, 10]))])
    rcode, answers = parse_answers(
        dns.answer(zone, query("instagram.com", dns.TYPE_AAAA))[0] or b""
    )
    assert rcode == 0 and answers[0][1].hex() == "20010db8010000000000000000000010"


def test_other_names_do_not_exist() -> None:
    response, _ = dns.answer(dns.StandInZone(), query("detectportal.firefox.com", dns.TYPE_A))
    assert response is not None and parse_answers(response) == (dns.RCODE_NXDOMAIN, [])


def test_https_record_offers_ech_only_when_switched_on() -> None:
    ask = query("www.instagram.com", dns.TYPE_HTTPS, edns=True)
    plain, _ = dns.answer(dns.StandInZone(), ask)
    assert plain is not None and parse_answers(plain) == (0, [])
    ech = dns.ech_config_list(bytes(range(32)))
    with_ech, _ = dns.answer(dns.StandInZone(ech=ech), ask)
    assert with_ech is not None
    rcode, answers = parse_answers(with_ech)
    assert rcode == 0 and answers[0][0] == dns.TYPE_HTTPS
    rdata = answers[0][1]
    assert rdata[:3] == b"\x00\x01\x00"  # priority 1, target "."
    keys, offset = {}, 3
    while offset < len(rdata):
        key, length = struct.unpack("!HH", rdata[offset : offset + 4])
        keys[key] = rdata[offset + 4 : offset + 4 + length]
        offset += 4 + length
    assert list(keys) == sorted(keys) == [1, 4, 5, 6]
    assert keys[1] == b"\x08http/1.1"
    assert keys[5] == ech
    # ECHConfigList: one config of version 0xfe0d naming the public front.
    assert struct.unpack("!H", ech[:2])[0] == len(ech) - 2
    assert ech[2:4] == b"\xfe\x0d"
    assert dns.ECH_PUBLIC_NAME.encode() in ech


def test_garbage_is_refused_not_crashed_on() -> None:
    assert dns.answer(dns.StandInZone(), b"\x00") == (None, None)
    response, question = dns.answer(dns.StandInZone(), b"\x12\x34\x01\x00" + b"\x00" * 8)
    assert question is None and response is not None
    assert response[:2] == b"\x12\x34" and response[3] & 0xF == dns.RCODE_FORMERR
