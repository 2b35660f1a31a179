"""Run the real helper process for tests and benchmarks, and talk to it.

``RunningHelper`` starts ``python -m nocontact_desktop.helper.main`` on a throwaway hosts file,
socket and state folder (listener on ephemeral ports), waits until it answers, and stops it.
``EventCollector`` reads the helper's event stream in a thread.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from nocontact_desktop.core.helper_link.client import (
    EventStream,
    HelperClient,
    HelperUnavailable,
)

HOSTS_ORIGINAL = (
    b"127.0.0.1\tlocalhost\n"
    b"::1\tlocalhost ip6-localhost ip6-loopback\n"
    b"# the user's own comment\n"
    b"10.9.8.7 nas-box.test\n"
)


def make_root() -> Path:
    """A fresh folder that any user may enter (so uid 65534 can reach the socket)."""
    root = Path(tempfile.mkdtemp(prefix="nc-helper-", dir="/tmp"))
    os.chmod(root, 0o755)  # noqa: S103 - uid 65534 must reach the socket inside
    return root


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def client_hello(server_name: str) -> bytes:
    """A real TLS ClientHello for ``server_name``, as Python's ssl module sends it."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


class RunningHelper:
    """One real helper process on files under ``root``."""

    def __init__(
        self,
        root: Path,
        *,
        hosts_file: Path | None = None,
        hosts_content: bytes | None = HOSTS_ORIGINAL,
        extra_args: Sequence[str] = (),
        command_prefix: Sequence[str] = (),
    ) -> None:
        self.root = root
        self.hosts = hosts_file or root / "hosts"
        if hosts_content is not None:
            self.hosts.write_bytes(hosts_content)
        self.socket = root / "run" / "helper.sock"
        self.state_dir = root / "state"
        self.log = root / "helper.log"
        self.extra_args = list(extra_args)
        self.command_prefix = list(command_prefix)
        self.process: subprocess.Popen[bytes] | None = None

    def command(self, *more: str) -> list[str]:
        return [
            *self.command_prefix,
            sys.executable,
            "-m",
            "nocontact_desktop.helper.main",
            "--hosts-file",
            str(self.hosts),
            "--socket",
            str(self.socket),
            "--state-dir",
            str(self.state_dir),
            "--http-port",
            "0",
            "--https-port",
            "0",
            "--tamper-check-interval",
            "0.2",
            *self.extra_args,
            *more,
        ]

    def start(self, *more: str, timeout: float = 15.0) -> RunningHelper:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command(*more), stdout=log, stderr=log, stdin=subprocess.DEVNULL
            )
        if not wait_for(self._answers, timeout, 0.05):
            code = self.process.poll()
            self.kill()
            raise RuntimeError(f"helper did not come up (exit {code}):\n{self.log_text()}")
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"helper exited with {self.process.returncode}:\n{self.log_text()}")
        try:
            return self.client(timeout=1.0).ping()
        except HelperUnavailable:
            return False

    def client(self, timeout: float = 5.0) -> HelperClient:
        return HelperClient(self.socket, timeout=timeout)

    @property
    def minute_seconds(self) -> float:
        """How long one helper "minute" lasts (the ``--pass-minute-seconds`` knob)."""
        args = self.extra_args
        if "--pass-minute-seconds" in args:
            return float(args[args.index("--pass-minute-seconds") + 1])
        return 60.0

    def grant_pass(self, domains: Sequence[str], minutes: int) -> dict[str, Any]:
        """What the reflect dialog does: begin the reflect moment, wait its countdown, ask."""
        return reflect_then_grant(self.client(), domains, minutes, self.minute_seconds)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Signal the helper and wait for it; its exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def listener_port(self, protocol: str, address: str = "127.0.0.1") -> int:
        bound = self.client().get_state()["listener"]["bound"]
        for entry in bound:
            if entry["protocol"] == protocol and entry["address"] == address:
                return int(entry["port"])
        raise LookupError(f"no {protocol} socket on {address}: {bound}")

    def cleanup(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def reflect_then_grant(
    client: HelperClient, domains: Sequence[str], minutes: int, minute_seconds: float = 60.0
) -> dict[str, Any]:
    """``begin_reflect`` with the shortest countdown (5 s, scaled by the knob), then the pass."""
    client.begin_reflect(domains, 5)
    time.sleep(5 * minute_seconds / 60 + 0.05)
    return client.grant_pass(domains, minutes)


class EventCollector:
    """Reads the helper's events in a thread; tests wait for the ones they expect."""

    def __init__(self, socket_path: Path) -> None:
        self.stream = EventStream.open(socket_path, timeout=5.0)
        self.stream.set_blocking(True)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with contextlib.suppress(HelperUnavailable, OSError, ValueError):
            while True:
                for event in self.stream.read_available():
                    event["_received"] = time.perf_counter()
                    self.events.put(event)

    def wait(
        self,
        name: str,
        timeout: float = 10.0,
        where: Callable[[dict[str, Any]], bool] = lambda event: True,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {name} event within {timeout}s; saw {self.seen}")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(event)
            if event["event"] == name and where(event):
                return event

    def close(self) -> None:
        self.stream.close()
        self._thread.join(5)


@contextlib.contextmanager
def collecting(socket_path: Path) -> Iterator[EventCollector]:
    collector = EventCollector(socket_path)
    try:
        yield collector
    finally:
        collector.close()


def raw_exchange(socket_path: Path, payload: bytes, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Send raw bytes, read until the helper closes: (everything it sent, closed?)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(str(socket_path))
    received = bytearray()
    closed = False
    try:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(payload)
        while True:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                closed = True
                break
            if not data:
                closed = True
                break
            received += data
    finally:
        sock.close()
    return bytes(received), closed
