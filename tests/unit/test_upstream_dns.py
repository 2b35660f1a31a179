"""The minimal DNS client that finds a pass's real address without the hosts file."""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path

from nocontact_desktop.helper.upstream_dns import (
    TYPE_A,
    TYPE_AAAA,
    UpstreamResolver,
    build_query,
    nameservers,
    parse_answer,
)


def answer(query: bytes, records: list[tuple[int, bytes]], ttl: int = 60) -> bytes:
    ident = struct.unpack("!H", query[:2])[0]
    question = query[12:]
    header = struct.pack("!HHHHHH", ident, 0x8180, 1, len(records), 0, 0)
    body = b""
    for rtype, rdata in records:
        body += b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return header + question + body


def test_nameservers_skip_a_loopback_stub_for_its_upstream_list(tmp_path: Path) -> None:
    stub = tmp_path / "resolv.conf"
    stub.write_text("# systemd-resolved\nnameserver 127.0.0.53\noptions edns0\n")
    upstream = tmp_path / "upstream.conf"
    upstream.write_text("nameserver 192.0.2.53\nnameserver 2001:db8::53%eth0\n")
    assert nameservers([stub, upstream]) == ["192.0.2.53", "2001:db8::53"]
    plain = tmp_path / "plain.conf"
    plain.write_text("nameserver 198.51.100.1\n")
    assert nameservers([plain, upstream]) == ["198.51.100.1"]


def test_answers_with_a_cname_give_the_addresses() -> None:
    query = build_query("www.example.com", TYPE_A, 0x1234)
    cname = (5, b"\x03cdn\x07example\x03net\x00")
    data = answer(query, [cname, (TYPE_A, socket.inet_aton("198.51.100.7"))], ttl=30)
    assert parse_answer(data, 0x1234, TYPE_A) == (["198.51.100.7"], 30)


def test_the_resolver_asks_a_server_and_drops_loopback_answers() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    asked: list[int] = []

    def serve() -> None:
        for _ in range(2):
            query, peer = server.recvfrom(512)
            qtype = struct.unpack("!H", query[-4:-2])[0]
            asked.append(qtype)
            if qtype == TYPE_A:
                records = [(TYPE_A, socket.inet_aton("127.0.0.1")),
                           (TYPE_A, socket.inet_aton("192.0.2.10"))]
            else:
                records = [(TYPE_AAAA, socket.inet_pton(socket.AF_INET6, "2001:db8::10"))]
            server.sendto(answer(query, records), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    import nocontact_desktop.helper.upstream_dns as module

    original = module.ask

    def ask_on_port(server_address: str, name: str, qtype: int, timeout: float = 2.0):  # type: ignore[no-untyped-def]
        ident = 7
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.sendto(build_query(name, qtype, ident), (server_address, port))
            return parse_answer(sock.recv(4096), ident, qtype)

    module.ask = ask_on_port
    try:
        resolver = UpstreamResolver(["127.0.0.1"])
        assert resolver.resolve("www.example.com") == ["192.0.2.10", "2001:db8::10"]
        assert resolver.resolve("www.example.com") == ["192.0.2.10", "2001:db8::10"]  # cached
    finally:
        module.ask = original
        thread.join(2)
        server.close()
    assert asked == [TYPE_A, TYPE_AAAA]
