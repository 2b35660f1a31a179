"""The stand-in internet: ``unshare -m -n python standin_world.py ROOT`` (as root).

Inside a private mount and network namespace:

- a throwaway copy of ``/etc`` is bind-mounted over the machine's own (which is never
  touched), with the stand-in ``hosts``, ``resolv.conf`` and ``nsswitch.conf``;
- one network interface (``dummy``, or a ``veth`` pair where the kernel has no dummy driver)
  carries documentation addresses only (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32) and the
  default routes, so browsers believe they are online; the namespace has no link to anything
  else, so nothing can leave the machine;
- a DNS server (UDP and TCP 53), a DNS-over-HTTPS server (RFC 8484, ``doh.stand-in.example``)
  and an HTTPS "site" answering for the Instagram names, all with certificates from a
  throwaway CA made here (``ROOT/ca.pem``), which the browsers are told to trust.

Every DNS question and every site request is appended to ``ROOT/logs/*.jsonl``. The file
``ROOT/control/ech`` switches on the ECH offer in the HTTPS records; creating
``ROOT/control/drop-connections`` makes the site close every open connection once (as a real
server ends idle kept-alive connections). When ready, the world
writes ``ROOT/world.json`` (its pid, for ``nsenter``); it runs until its standard input closes.
"""

from __future__ import annotations

import contextlib
import datetime
import http.server
import ipaddress
import json
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.browsers import standin_dns as dns

INTERFACE = "nc-world0"
PEER = "nc-world1"
V4_ADDRESSES = (dns.DNS_V4, dns.DOH_V4, dns.SITE_V4, dns.ECH_FRONT_V4)
V6_ADDRESSES = (dns.DNS_V6, dns.DOH_V6, dns.SITE_V6, dns.ECH_FRONT_V6)
HOSTS = (
    b"127.0.0.1\tlocalhost\n"
    b"::1\tlocalhost ip6-localhost ip6-loopback\n"
    b"# the person's own line, kept as it is\n"
)
SITE_MARKER = "NC-STANDIN-SITE"
# Where the helper writes Firefox's distribution policies (platform/linux.py).
FIREFOX_INSTALL_DIRS = ("/usr/lib/firefox-esr", "/usr/lib/firefox", "/usr/lib64/firefox",
                        "/opt/firefox")
SITE_TITLE = "Stand-in Instagram"


class World:
    """Paths and shared state of one stand-in internet."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.logs = root / "logs"
        self.control = root / "control"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.control.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.ech: bytes | None = None
        self.connections = 0
        self.open_site_connections: set[ssl.SSLSocket] = set()

    def log(self, name: str, record: dict[str, Any]) -> None:
        record.setdefault("t", time.time())
        line = json.dumps(record) + "\n"
        with self.lock, open(self.logs / f"{name}.jsonl", "a") as handle:
            handle.write(line)

    def zone(self) -> dns.StandInZone:
        ech = self.ech if (self.control / "ech").exists() else None
        return dns.StandInZone(ech=ech)

    def drop_site_connections(self) -> int:
        """Close every open connection to the site, as a server ending idle connections does."""
        with self.lock:
            connections = list(self.open_site_connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        return len(connections)

    def watch_control(self) -> None:
        """``control/drop-connections``: the site closes its open connections, once."""
        trigger = self.control / "drop-connections"
        while True:
            if trigger.exists():
                dropped = self.drop_site_connections()
                self.log("site", {"dropped_connections": dropped, "path": ""})
                trigger.unlink()
            time.sleep(0.05)

    def next_connection(self) -> int:
        with self.lock:
            self.connections += 1
            return self.connections


# ----------------------------------------------------------------------------- namespace


def run(*argv: str) -> None:
    subprocess.run(list(argv), check=True, capture_output=True)


def mount_files(root: Path) -> None:
    """A copy of /etc over /etc, with the stand-in hosts, resolv.conf and nsswitch.conf.

    A whole folder (not single files) is mounted so that /etc/hosts is an ordinary file in
    /etc, which the helper replaces by rename as on a real machine, and which browsers that
    watch /etc for a new hosts file (Chromium) see change as they would on a real machine.
    """
    etc = root / "etc"
    run("cp", "-a", "/etc/.", str(etc))
    for name in ("hosts", "resolv.conf", "nsswitch.conf"):
        (etc / name).unlink(missing_ok=True)
    (etc / "hosts").write_bytes(HOSTS)
    (etc / "hosts").chmod(0o644)
    (etc / "resolv.conf").write_text(
        f"nameserver {dns.DNS_V4}\nnameserver {dns.DNS_V6}\noptions timeout:2 attempts:2\n"
    )
    (etc / "nsswitch.conf").write_text("hosts: files dns\n")
    run("mount", "--make-rprivate", "/")
    run("mount", "--bind", str(etc), "/etc")
    # The helper writes the browsers' policies (issue 15): in /etc (the copy above) and in
    # each installed Firefox's distribution folder, which gets a throwaway copy too.
    for index, install in enumerate(FIREFOX_INSTALL_DIRS):
        distribution = Path(install) / "distribution"
        if not distribution.is_dir():
            continue
        real = distribution.resolve()
        copy = root / f"firefox-distribution-{index}"
        run("cp", "-a", f"{real}/.", str(copy))
        (copy / "policies.json").unlink(missing_ok=True)
        run("mount", "--bind", str(copy), str(real))


def make_interface() -> str:
    """The interface that carries the stand-in addresses; its kind ("dummy" or "veth")."""
    run("ip", "link", "set", "lo", "up")
    kind = "dummy"
    try:
        run("ip", "link", "add", INTERFACE, "type", "dummy")
    except subprocess.CalledProcessError:
        kind = "veth"  # a kernel without the dummy driver: both ends stay in here
        run("ip", "link", "add", INTERFACE, "type", "veth", "peer", "name", PEER)
        run("ip", "link", "set", PEER, "up")
    run("ip", "link", "set", INTERFACE, "up")
    add_v4(INTERFACE)
    for address in V6_ADDRESSES:
        run("ip", "-6", "addr", "add", f"{address}/64", "dev", INTERFACE, "nodad")
    run("ip", "-6", "route", "add", "default", "dev", INTERFACE)
    return kind


def add_v4(interface: str) -> None:
    for address in V4_ADDRESSES:
        run("ip", "addr", "add", f"{address}/24", "dev", interface)
    run("ip", "route", "add", "default", "dev", interface)


def remove_v4(interface: str) -> None:
    """IPv6 only from here on: no IPv4 address but loopback, no IPv4 route out."""
    with contextlib.suppress(subprocess.CalledProcessError):
        run("ip", "route", "del", "default", "dev", interface)
    for address in V4_ADDRESSES:
        with contextlib.suppress(subprocess.CalledProcessError):
            run("ip", "addr", "del", f"{address}/24", "dev", interface)


# ----------------------------------------------------------------------------- certificates


def make_certificates(root: Path) -> tuple[Path, Path]:
    """A throwaway CA (``ca.pem``) and one server certificate for every stand-in name."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "No Contact stand-in test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for zone in dns.SITE_ZONES:
        names += [x509.DNSName(zone), x509.DNSName("*." + zone)]
    names += [x509.DNSName(dns.ECH_PUBLIC_NAME), x509.DNSName(dns.DOH_NAME)]
    for address in (dns.DOH_V4, dns.DOH_V6):
        names.append(x509.IPAddress(ipaddress.ip_address(address)))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stand-in site")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = root / "ca.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain = root / "server.pem"
    chain.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    chain.chmod(0o600)
    return ca_pem, chain


def tls_context(chain: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    context.set_alpn_protocols(["http/1.1"])
    return context


# ----------------------------------------------------------------------------- servers


class _TLSServer(http.server.ThreadingHTTPServer):
    """HTTPS: the handshake runs in the connection's own thread, never in the accept loop."""

    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type, context: ssl.SSLContext, world: World
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.context = context
        self.world = world
        super().__init__(address, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        connection = self.world.next_connection()
        try:
            request.settimeout(30)
            tls = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError) as error:
            self.world.log(
                "tls",
                {"server": self.server_address[0], "conn": connection, "error": str(error)},
            )
            return
        tls.settimeout(600)
        tls.nc_connection = connection  # type: ignore[attr-defined]
        site = self.RequestHandlerClass is SiteHandler
        if site:
            with self.world.lock:
                self.world.open_site_connections.add(tls)
            # When each connection opened and closed: a failure report tells a connection kept
            # alive from before a block from one opened after it.
            self.world.log("site", {"opened": connection, "path": ""})
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            with self.world.lock:
                self.world.open_site_connections.discard(tls)
            if site:
                self.world.log("site", {"closed": connection, "path": ""})

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a browser closing a kept-alive connection is not an error worth a traceback


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _TLSServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class SiteHandler(_Handler):
    """The stand-in Instagram: a page that says what it is, and ``/ping`` for kept-alive use."""

    def do_GET(self) -> None:
        world = self.server.world
        path = self.path
        world.log(
            "site",
            {
                "host": self.headers.get("Host", ""),
                "path": path,
                "server": self.server.server_address[0],
                "conn": getattr(self.connection, "nc_connection", 0),
            },
        )
        if path.startswith("/ping"):
            self._send(200, b"pong", "text/plain")
            return
        if path.startswith("/favicon"):
            self._send(404, b"", "text/plain")
            return
        safe = path.replace("&", "&amp;").replace("<", "&lt;")
        page = (
            f"<!doctype html><html><head><title>{SITE_TITLE}</title></head>"
            f"<body><h1>{SITE_MARKER}</h1><p id='path'>{safe}</p></body></html>"
        )
        self._send(200, page.encode(), "text/html; charset=utf-8")

    do_HEAD = do_GET


class DohHandler(_Handler):
    """RFC 8484: ``POST /dns-query`` (application/dns-message) and ``GET ?dns=``."""

    def _answer(self, query: bytes) -> None:
        world = self.server.world
        response, question = dns.answer(world.zone(), query)
        if question is not None:
            world.log("dns", {"via": "doh", "name": question.name, "type": question.qtype})
        if response is None:
            self._send(400, b"not a DNS query", "text/plain")
            return
        self._send(200, response, "application/dns-message")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0") or 0)
        self._answer(self.rfile.read(min(length, 65535)))

    def do_GET(self) -> None:
        query = urllib.parse.urlsplit(self.path).query
        values = urllib.parse.parse_qs(query).get("dns")
        if not values:
            self._send(400, b"missing dns=", "text/plain")
            return
        raw = values[0] + "=" * (-len(values[0]) % 4)
        import base64

        try:
            data = base64.urlsafe_b64decode(raw)
        except ValueError:
            self._send(400, b"bad base64", "text/plain")
            return
        self._answer(data)


def serve_udp_dns(world: World, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((address, 53))

    def loop() -> None:
        while True:
            data, peer = sock.recvfrom(4096)
            response, question = dns.answer(world.zone(), data)
            if question is not None:
                world.log("dns", {"via": "udp", "name": question.name, "type": question.qtype})
            if response is not None:
                sock.sendto(response, peer)

    threading.Thread(target=loop, daemon=True, name=f"dns-udp-{address}").start()


class _DnsTcpHandler(socketserver.BaseRequestHandler):
    server: _DnsTcpServer

    def handle(self) -> None:
        self.request.settimeout(10)
        with contextlib.suppress(OSError):
            while True:
                head = self._exactly(2)
                if head is None:
                    return
                data = self._exactly(struct.unpack("!H", head)[0])
                if data is None:
                    return
                response, question = dns.answer(self.server.world.zone(), data)
                if question is not None:
                    self.server.world.log(
                        "dns", {"via": "tcp", "name": question.name, "type": question.qtype}
                    )
                if response is None:
                    return
                self.request.sendall(struct.pack("!H", len(response)) + response)

    def _exactly(self, count: int) -> bytes | None:
        data = b""
        while len(data) < count:
            chunk = self.request.recv(count - len(data))
            if not chunk:
                return None
            data += chunk
        return data


class _DnsTcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], world: World) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.world = world
        super().__init__(address, _DnsTcpHandler)


def serve_forever(server: socketserver.BaseServer, name: str) -> None:
    threading.Thread(target=server.serve_forever, daemon=True, name=name).start()


def main() -> int:
    root = Path(sys.argv[1])
    world = World(root)
    mount_files(root)
    kind = make_interface()
    _ca, chain = make_certificates(root)
    context = tls_context(chain)
    world.ech = dns.ech_config_list(
        x25519.X25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    for address in (dns.DNS_V4, dns.DNS_V6):
        serve_udp_dns(world, address)
        serve_forever(_DnsTcpServer((address, 53), world), f"dns-tcp-{address}")
    for address in (dns.DOH_V4, dns.DOH_V6):
        serve_forever(_TLSServer((address, 443), DohHandler, context, world), f"doh-{address}")
    for address in (dns.SITE_V4, dns.SITE_V6, dns.ECH_FRONT_V4, dns.ECH_FRONT_V6):
        serve_forever(_TLSServer((address, 443), SiteHandler, context, world), f"site-{address}")
    threading.Thread(target=world.watch_control, daemon=True, name="control").start()
    (root / "world.json").write_text(
        json.dumps({"pid": __import__("os").getpid(), "interface": INTERFACE, "kind": kind})
    )
    sys.stdin.read()  # until the test closes our standard input (or dies)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
