"""The helper's daemon and IPC server run in this process, on real files and a real socket.

For what the process-level tests cannot steer: the wall clock jumping while the monotonic
clock stands still (suspend/resume), a pass stored with an expiry too far away (clock set
back), and a subscriber so slow that events must be dropped.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from nocontact_desktop.core.blocking.hosts_section import read_section_names
from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.helper_link.protocol import (
    BeginReflect,
    ErrorCode,
    GetState,
    GrantPass,
    Ping,
    ProtocolError,
    Request,
    SetBlocklist,
)
from nocontact_desktop.helper.ipc_server import EventHub, IpcServer, PeerSocket, Subscriber
from nocontact_desktop.platform.linux import peer_uid
from tests.helpers.inprocess_helper import (
    START,
    eventually,
    helper_config,
    in_process_daemon,
    running,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


# --- passes and the wall clock -------------------------------------------------------------


def test_a_pass_ends_when_the_wall_clock_says_so_even_if_monotonic_time_stood_still(
    tmp_path: Path, clock: ManualClock
) -> None:
    (tmp_path / "hosts").write_bytes(b"127.0.0.1 localhost\n")

    async def scenario() -> None:
        async with running(in_process_daemon(helper_config(tmp_path), clock)) as daemon:
            await daemon.execute(SetBlocklist(("a.example", "b.example")))
            await daemon.execute(BeginReflect(("a.example",), 5))
            clock.advance(timedelta(seconds=5))
            await daemon.execute(GrantPass(("a.example",), 30))
            names = read_section_names((tmp_path / "hosts").read_bytes())
            assert names == {"b.example"}
            # The machine slept for 31 minutes: the wall clock moved, the monotonic one did not.
            clock.set(START + timedelta(minutes=31))
            assert await eventually(
                lambda: read_section_names((tmp_path / "hosts").read_bytes())
                == {"a.example", "b.example"}
            )
            assert (await daemon.execute(GetState()))["passes"] == []

    asyncio.run(scenario())


def test_a_stored_pass_cannot_outlast_the_longest_pass_after_the_clock_was_set_back(
    tmp_path: Path, clock: ManualClock
) -> None:
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    (tmp_path / "hosts").write_bytes(b"")
    (state_dir / "state.json").write_text(
        json.dumps(
            {
                "version": 1,
                "blocklist": ["a.example"],
                # Written when the clock was a year ahead (or set back since).
                "passes": {"a.example": (START + timedelta(days=365)).isoformat()},
            }
        )
    )

    async def scenario() -> None:
        async with running(in_process_daemon(helper_config(tmp_path), clock)) as daemon:
            [entry] = (await daemon.execute(GetState()))["passes"]
            assert entry["remaining_seconds"] <= 240 * 60

    asyncio.run(scenario())


def test_a_state_file_with_invalid_names_falls_back_to_the_hosts_section(
    tmp_path: Path, clock: ManualClock
) -> None:
    from nocontact_desktop.core.blocking.hosts_section import apply_section

    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    (tmp_path / "hosts").write_bytes(apply_section(b"", ["kept.example"]))
    (state_dir / "state.json").write_text(
        json.dumps({"version": 1, "blocklist": ["evil.com\n1.2.3.4 bank.com"], "passes": {}})
    )

    async def scenario() -> None:
        async with running(in_process_daemon(helper_config(tmp_path), clock)) as daemon:
            assert (await daemon.execute(GetState()))["blocklist"] == ["kept.example"]

    asyncio.run(scenario())
    assert b"bank.com" not in (tmp_path / "hosts").read_bytes()


def test_lookup_matches_exact_names_in_the_section_only(
    tmp_path: Path, clock: ManualClock
) -> None:
    (tmp_path / "hosts").write_bytes(b"")

    async def scenario() -> None:
        async with running(in_process_daemon(helper_config(tmp_path), clock)) as daemon:
            await daemon.execute(SetBlocklist(("example.com", "www.example.com")))
            await daemon.execute(BeginReflect(("www.example.com",), 5))
            clock.advance(timedelta(seconds=5))
            await daemon.execute(GrantPass(("www.example.com",), 5))
            assert daemon.lookup("EXAMPLE.com.") == "example.com"
            assert daemon.lookup("sub.example.com") is None  # not a parent-domain match
            assert daemon.lookup("www.example.com") is None  # on a pass: not in the section
            assert daemon.lookup("example.org") is None

    asyncio.run(scenario())


def test_a_failed_write_is_reported_and_retried_until_it_works(
    tmp_path: Path, clock: ManualClock
) -> None:
    hosts = tmp_path / "missing-folder" / "hosts"

    async def scenario() -> None:
        daemon = in_process_daemon(helper_config(tmp_path, hosts_file=hosts), clock)
        async with running(daemon):
            with pytest.raises(ProtocolError) as caught:
                await daemon.execute(SetBlocklist(("a.example",)))
            assert caught.value.code == ErrorCode.INTERNAL
            state = await daemon.execute(GetState())
            assert state["blocklist"] == ["a.example"]  # remembered, and retried
            assert state["last_error"] is not None
            hosts.parent.mkdir()
            assert await eventually(
                lambda: hosts.exists() and read_section_names(hosts.read_bytes()) == {"a.example"}
            )
            assert (await daemon.execute(GetState()))["last_error"] is None

    asyncio.run(scenario())


# --- slow subscribers ----------------------------------------------------------------------


def test_a_full_subscriber_queue_drops_the_oldest_and_says_how_many() -> None:
    async def scenario() -> None:
        subscriber = Subscriber(capacity=4)
        for number in range(10):
            subscriber.offer({"event": "blocked_hit", "n": number})
        first = json.loads(await subscriber.next_line())
        assert first["n"] == 6 and first["dropped"] == 6
        rest = [json.loads(await subscriber.next_line()) for _ in range(3)]
        assert [e["n"] for e in rest] == [7, 8, 9]
        assert all("dropped" not in e for e in rest)
        assert subscriber.dropped_total == 6

    asyncio.run(scenario())


def test_a_subscriber_that_never_reads_never_blocks_the_server(tmp_path: Path) -> None:
    socket_path = tmp_path / "run" / "helper.sock"

    async def dispatch(request: Request) -> dict[str, Any]:
        assert isinstance(request, Ping)
        return {"pong": True}

    def ask(payload: bytes) -> bytes:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(socket_path))
            sock.sendall(payload)
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data

    async def scenario() -> None:
        hub = EventHub(queue_capacity=256)
        server = IpcServer(
            socket_path,
            dispatcher=dispatch,
            hub=hub,
            allowed_uids=frozenset(),
            peer_uid=peer_uid,
            read_timeout=2.0,
        )
        await server.start_serving()
        loop = asyncio.get_running_loop()
        stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            stuck.setblocking(False)
            await loop.sock_connect(stuck, str(socket_path))
            await loop.sock_sendall(stuck, b'{"v":1,"cmd":"subscribe"}\n')
            assert await eventually(lambda: hub.subscriber_count == 1)
            event = {"event": "blocked_hit", "domain": "x" * 100 + ".example", "port": 443}
            started = time.perf_counter()
            for _ in range(20_000):  # ~4 MB of events: far more than any socket buffer
                hub.publish(event)
                if _ % 1000 == 0:
                    await asyncio.sleep(0)  # let the writer run and hit the full socket
            publish_seconds = time.perf_counter() - started
            assert publish_seconds < 2.0
            await asyncio.sleep(0.2)
            reply = await loop.run_in_executor(None, ask, b'{"v":1,"cmd":"ping"}\n')
            assert json.loads(reply)["result"] == {"pong": True}
            assert hub.dropped_total > 10_000
            assert hub.subscriber_count == 1
        finally:
            stuck.close()
            await server.close()
        assert not socket_path.exists()

    asyncio.run(scenario())


def test_peer_uid_is_what_the_server_checks(tmp_path: Path) -> None:
    seen: list[int] = []

    def spy(sock: PeerSocket) -> int:
        uid = peer_uid(sock)
        seen.append(uid)
        return 12345  # pretend the caller is someone not allowed

    async def dispatch(request: Request) -> dict[str, Any]:
        raise AssertionError("a refused caller must never reach the dispatcher")

    async def scenario() -> None:
        server = IpcServer(
            tmp_path / "run" / "helper.sock",
            dispatcher=dispatch,
            hub=EventHub(),
            allowed_uids=frozenset({1000}),
            peer_uid=spy,
        )
        await server.start_serving()
        try:
            reader, writer = await asyncio.open_unix_connection(str(tmp_path / "run/helper.sock"))
            writer.write(b'{"v":1,"cmd":"set_blocklist","domains":["a.com"]}\n')
            reply = json.loads(await reader.readline())
            assert reply["error"]["code"] == "forbidden"
            assert await reader.read() == b""
            writer.close()
        finally:
            await server.close()

    asyncio.run(scenario())
    assert seen == [os.getuid()]


def test_an_idle_helper_reads_the_hosts_file_only_when_it_changed(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 13, finding 8: every 30 ticks the helper read (and split) the whole file several
    # times; with a 100 MB hosts file that was ~10 % of a core. Now a stat per tick, and a
    # read only when the stat signature (inode, size, mtime, ctime) moved.
    from nocontact_desktop.core.blocking import hosts_section

    hosts = tmp_path / "hosts"
    hosts.write_bytes(b"127.0.0.1 localhost\n" + b"0.0.0.0 ads.example.net\n" * 20_000)
    syncs: list[str] = []
    real_sync = hosts_section.sync_file

    def counting(*args: Any, **kwargs: Any) -> hosts_section.FileSync:
        syncs.append("sync")
        return real_sync(*args, **kwargs)

    monkeypatch.setattr(hosts_section, "sync_file", counting)

    async def scenario() -> None:
        daemon = in_process_daemon(helper_config(tmp_path, tamper_check_interval=0.05), clock)
        stop = asyncio.Event()
        task = asyncio.ensure_future(daemon.run(stop))
        try:
            assert await eventually(lambda: daemon._started)
            await daemon.execute(SetBlocklist(("instagram.com",)))
            settled = len(syncs)
            await asyncio.sleep(2.0)  # 40 ticks, more than the old 30-tick full check
            assert len(syncs) == settled
            with hosts.open("ab") as handle:  # a change: read once, section kept
                handle.write(b"10.0.0.1 nas.lan\n")
            assert await eventually(lambda: len(syncs) == settled + 1)
            await asyncio.sleep(0.5)
            assert len(syncs) == settled + 1
            assert read_section_names(hosts.read_bytes()) == {"instagram.com"}
        finally:
            stop.set()
            await task

    asyncio.run(scenario())
