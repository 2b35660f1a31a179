"""Storm client for the listener tests and benchmark: many short connections, paced, in parallel.

Run as a separate process so that its threads and memory do not count against the listener:

    python storm_client.py --https 127.0.0.1:PORT [--https '[::1]:PORT'] --http 127.0.0.1:PORT \
        --connections 2000 --clients 50 --seconds 1.0

Connection k goes out at start + k * seconds / connections, from worker k % clients. Each one
sends a real ClientHello for a blocked name (half), a ClientHello for an unblocked name (a
quarter) or an HTTP request for a blocked name (a quarter), then reads until the listener
closes. Prints one JSON object: what was sent, how each connection ended, timings.
Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections import Counter

BLOCKED_NAME = "www.instagram.com"
UNBLOCKED_NAME = "example.org"
HTTP_REQUEST = (
    b"GET /storm-marker-7f3a HTTP/1.1\r\nHost: www.instagram.com\r\n"
    b"User-Agent: storm\r\nAccept: */*\r\n\r\n"
)


def client_hello(server_hostname: str) -> bytes:
    """A real ClientHello from OpenSSL for ``server_hostname``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_hostname)
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def endpoint(text: str) -> tuple[str, int]:
    """Parse ``127.0.0.1:443`` or ``[::1]:443``; refuse anything but loopback."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"{text!r} is not a loopback address")
    return host, int(port)


def one_connection(target: tuple[str, int], payload: bytes, timeout: float) -> tuple[str, int]:
    """Connect, send, read until closed; (how it ended, bytes received)."""
    received = 0
    try:
        with socket.create_connection(target, timeout=timeout) as sock:
            try:
                sock.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                return "reset", 0
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return "closed", received
                received += len(chunk)
    except ConnectionResetError:
        return "reset", received
    except TimeoutError:
        return "timeout", received
    except ConnectionRefusedError:
        return "refused", received
    except OSError as exc:
        return f"error:{type(exc).__name__}", received


def main() -> None:
    """Run the storm and print its summary as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--https", action="append", type=endpoint, required=True)
    parser.add_argument("--http", action="append", type=endpoint, required=True)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()

    blocked_hello = client_hello(BLOCKED_NAME)
    unblocked_hello = client_hello(UNBLOCKED_NAME)
    plan: list[tuple[str, tuple[str, int], bytes]] = []
    for k in range(args.connections):
        if k % 4 in (0, 2):
            plan.append(("tls_blocked", args.https[k % len(args.https)], blocked_hello))
        elif k % 4 == 1:
            plan.append(("tls_unblocked", args.https[k % len(args.https)], unblocked_hello))
        else:
            plan.append(("http_blocked", args.http[k % len(args.http)], HTTP_REQUEST))

    outcomes: Counter[str] = Counter()
    http_bytes: Counter[int] = Counter()
    lock = threading.Lock()
    latest_late = [0.0]
    start = time.monotonic() + 0.05
    interval = args.seconds / max(1, args.connections)

    def worker(index: int) -> None:
        for k in range(index, args.connections, args.clients):
            delay = start + k * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            late = -delay if delay < 0 else 0.0
            kind, target, payload = plan[k]
            ended, received = one_connection(target, payload, args.timeout)
            with lock:
                outcomes[f"{kind}:{ended}"] += 1
                latest_late[0] = max(latest_late[0], late)
                if kind == "http_blocked":
                    http_bytes[received] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - start
    sent = Counter(kind for kind, _target, _payload in plan)
    print(
        json.dumps(
            {
                "sent": dict(sent),
                "outcomes": dict(outcomes),
                "http_bytes_received": {str(k): v for k, v in http_bytes.items()},
                "duration_s": duration,
                "max_start_lateness_s": latest_late[0],
            }
        )
    )


if __name__ == "__main__":
    main()
