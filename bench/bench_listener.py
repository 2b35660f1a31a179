"""Benchmark of the helper's loopback listener (DESIGN §11). Prints figures; not a test.

    .venv/bin/python bench/bench_listener.py [--connections 1000]

1. ClientHello -> hit callback latency. A client in another process opens connections one at a
   time, alternating between the listener and a bare asyncio server in the same event loop
   (the physical limit: loopback + epoll + asyncio dispatch, nothing parsed). For each it
   notes time.monotonic() just before sending a real ClientHello; the server side notes the
   same clock when the listener calls ``on_hit`` / when the bare server's ``data_received``
   runs. CLOCK_MONOTONIC is one clock for all processes on Linux, so the two are comparable.
   Budget: p50 <= 5 ms, p99 <= 20 ms. This stops at the listener's callback: the daemon's
   IPC hop to a subscribed client ("blocked_hit at a subscriber") is measured end to end by
   the daemon's own benchmark.
2. Storm: 2,000 connections in 1 s from 50 concurrent clients (another process, see
   tests/integration/storm_client.py). Budget: all handled, RSS growth <= 10 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import socket
import ssl
import sys
import time
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent

from nocontact_desktop.helper.http_host import BLOCKED_PAGE
from nocontact_desktop.helper.listener import BlockedHit, Listener

STORM_CLIENT = REPO / "tests" / "integration" / "storm_client.py"
BLOCKED = {"www.instagram.com": "www.instagram.com"}


# --- Client side (runs in a child process) -----------------------------------------------------


def client_hello(server_hostname: str) -> bytes:
    """A real ClientHello from OpenSSL."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_hostname)
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def latency_client(listener_port: int, bare_port: int, connections: int) -> None:
    """Alternate connections between the two servers; print send times and round trips."""
    hello = client_hello("www.instagram.com")
    sent: dict[str, list[float]] = {"listener": [], "bare": []}
    round_trip: dict[str, list[float]] = {"listener": [], "bare": []}
    for k in range(2 * connections):
        which = "bare" if k % 2 == 0 else "listener"
        port = bare_port if which == "bare" else listener_port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t0 = time.monotonic()
            sock.sendall(hello)
            try:
                while sock.recv(4096):
                    pass
            except ConnectionResetError:
                pass
            t1 = time.monotonic()
        sent[which].append(t0)
        round_trip[which].append(t1 - t0)
    print(json.dumps({"sent": sent, "round_trip": round_trip}))


# --- Server side ---------------------------------------------------------------------------------


class BareProtocol(asyncio.Protocol):
    """The physical limit: note the time the first bytes arrive, then close."""

    def __init__(self, arrivals: list[float]) -> None:
        self.arrivals = arrivals
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.arrivals.append(time.monotonic())
        assert self.transport is not None
        self.transport.close()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.3f} ms"


async def run_child(*args: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"child {args[0]} failed with {process.returncode}")
    return dict(json.loads(stdout))


def rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


async def bench_latency(connections: int) -> None:
    hit_times: list[float] = []

    def on_hit(hit: BlockedHit) -> None:
        hit_times.append(time.monotonic())

    listener = Listener(
        addresses=("127.0.0.1",), http_port=0, https_port=0, lookup=BLOCKED.get, on_hit=on_hit
    )
    await listener.start()
    arrivals: list[float] = []
    loop = asyncio.get_running_loop()
    bare = await loop.create_server(lambda: BareProtocol(arrivals), "127.0.0.1", 0)
    bare_port = int(bare.sockets[0].getsockname()[1])
    try:
        report = await run_child(
            __file__, "--latency-client", str(listener.bound[0][1]), str(bare_port),
            str(connections),
        )
    finally:
        bare.close()
        await listener.stop()

    warmup = min(50, connections // 10)
    sent = report["sent"]
    to_hit = [h - s for h, s in zip(hit_times, sent["listener"], strict=True)][warmup:]
    to_bare = [a - s for a, s in zip(arrivals, sent["bare"], strict=True)][warmup:]
    rt_listener = report["round_trip"]["listener"][warmup:]
    rt_bare = report["round_trip"]["bare"][warmup:]
    print(f"ClientHello -> on_hit callback ({len(to_hit)} connections, after {warmup} warm-up;"
          " client in another process)")
    print(f"  listener  send->on_hit          p50 {ms(percentile(to_hit, 0.5))}"
          f"   p99 {ms(percentile(to_hit, 0.99))}   max {ms(max(to_hit))}")
    print(f"  bare      send->data_received   p50 {ms(percentile(to_bare, 0.5))}"
          f"   p99 {ms(percentile(to_bare, 0.99))}   max {ms(max(to_bare))}")
    print(f"  listener  client send->close    p50 {ms(percentile(rt_listener, 0.5))}"
          f"   p99 {ms(percentile(rt_listener, 0.99))}")
    print(f"  bare      client send->close    p50 {ms(percentile(rt_bare, 0.5))}"
          f"   p99 {ms(percentile(rt_bare, 0.99))}")
    p50, p99 = percentile(to_hit, 0.5), percentile(to_hit, 0.99)
    print(f"  budget p50 <= 5 ms: {'OK' if p50 <= 0.005 else 'OVER'};"
          f" p99 <= 20 ms: {'OK' if p99 <= 0.020 else 'OVER'};"
          f" p50 is {p50 / percentile(to_bare, 0.5):.1f}x the bare server")
    print("  (to the listener's callback; the IPC hop to a subscriber is the daemon's benchmark)")


async def bench_storm(connections: int, clients: int, seconds: float) -> None:
    hits = 0

    def on_hit(_hit: BlockedHit) -> None:
        nonlocal hits
        hits += 1

    listener = Listener(http_port=0, https_port=0, lookup=BLOCKED.get, on_hit=on_hit)
    await listener.start()
    try:
        pairs = listener.bound
        args = [str(STORM_CLIENT)]
        for index, (address, port) in enumerate(pairs):
            args += ["--https" if index % 2 == 0 else "--http", f"[{address}]:{port}"]
        await run_child(*args, "--connections", "200", "--clients", str(clients),
                        "--seconds", "0.2")
        await asyncio.sleep(0.2)
        before = listener.stats.as_dict()
        rss_before = rss()
        cpu_before = psutil.Process().cpu_times()
        started = time.monotonic()
        report = await run_child(*args, "--connections", str(connections), "--clients",
                                 str(clients), "--seconds", str(seconds))
        while listener.active_connections:
            await asyncio.sleep(0.01)
        elapsed = time.monotonic() - started
        cpu_after = psutil.Process().cpu_times()
        growth_mb = (rss() - rss_before) / 2**20
    finally:
        await listener.stop()
    after = listener.stats.as_dict()
    delta = {key: after[key] - before[key] for key in after}
    sent = report["sent"]
    outcomes = report["outcomes"]
    closed = sum(v for k, v in outcomes.items() if k.split(":")[1] in ("closed", "reset"))
    pages_ok = report["http_bytes_received"].get(str(len(BLOCKED_PAGE)), 0)
    expected_hits = sent["tls_blocked"] + sent["http_blocked"]
    all_handled = (
        closed == connections
        and delta["hits"] == expected_hits
        and delta["ignored"] == sent["tls_unblocked"]
        and pages_ok == sent["http_blocked"]
    )
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    print(f"Storm: {connections} connections in {seconds:g} s from {clients} client threads"
          " (another process), 127.0.0.1 and ::1, HTTPS and HTTP")
    print(f"  client duration {report['duration_s']:.3f} s (latest start "
          f"{report['max_start_lateness_s'] * 1000:.0f} ms late); listener done after "
          f"{elapsed:.3f} s; listener CPU {cpu:.2f} s")
    print(f"  closed by the listener: {closed}/{connections}; hits {delta['hits']}/"
          f"{expected_hits}; ignored {delta['ignored']}/{sent['tls_unblocked']};"
          f" fixed pages {pages_ok}/{sent['http_blocked']}")
    print(f"  timeouts {delta['timeouts']}, rejected_overload {delta['rejected_overload']},"
          f" parse_failures {delta['parse_failures']}, errors {delta['errors']}")
    print(f"  RSS growth {growth_mb:.2f} MB")
    print(f"  budget all handled: {'OK' if all_handled else 'NO'};"
          f" memory growth <= 10 MB: {'OK' if growth_mb <= 10 else 'OVER'}")


async def main_async(args: argparse.Namespace) -> None:
    print(f"bench_listener: Python {sys.version.split()[0]}, {psutil.cpu_count()} CPUs")
    await bench_latency(args.connections)
    await bench_storm(2000, 50, 1.0)


def main() -> None:
    """Run the benchmarks (or, with --latency-client, the child side of the first one)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--latency-client", nargs=3, type=int, metavar=("LPORT", "BPORT", "N"))
    args = parser.parse_args()
    if args.latency_client:
        latency_client(*args.latency_client)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
