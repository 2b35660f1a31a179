"""The helper client (CLI and tray side) over a real Unix socket with a scripted server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nocontact_desktop.core.helper_link.client import (
    EventStream,
    HelperClient,
    HelperError,
    HelperUnavailable,
    default_socket_path,
)
from nocontact_desktop.core.helper_link.protocol import MAX_MESSAGE_BYTES
from nocontact_desktop.platform import linux, windows

Script = Callable[[socket.socket], None]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[Script], Path]]:
    """Start a one-connection Unix server that runs ``script`` on the accepted socket."""
    threads: list[threading.Thread] = []
    servers: list[socket.socket] = []

    def start(script: Script) -> Path:
        path = tmp_path / f"s{len(servers)}.sock"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(path))
        server.listen(1)
        servers.append(server)

        def run() -> None:
            connection, _ = server.accept()
            with connection:
                script(connection)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return path

    yield start
    for thread in threads:
        thread.join(5)
    for server in servers:
        server.close()


def read_line(connection: socket.socket) -> dict[str, object]:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return dict(json.loads(data))


def test_default_socket_path_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOCONTACT_HELPER_SOCKET", "/tmp/elsewhere.sock")
    assert default_socket_path(linux.helper_socket_path) == Path("/tmp/elsewhere.sock")
    monkeypatch.delenv("NOCONTACT_HELPER_SOCKET")
    assert default_socket_path(linux.helper_socket_path) == Path("/run/nocontact/helper.sock")
    with pytest.raises(HelperUnavailable, match="not available on this operating system"):
        default_socket_path(windows.helper_socket_path)


def test_a_missing_socket_is_helper_unavailable(tmp_path: Path) -> None:
    with pytest.raises(HelperUnavailable, match="not running"):
        HelperClient(tmp_path / "none.sock").ping()


def test_a_stale_socket_nobody_listens_on_is_helper_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "stale.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens
    with pytest.raises(HelperUnavailable, match="nobody listens"):
        HelperClient(path).hello()


def test_a_request_is_one_protocol_line_and_the_result_is_returned(
    serve: Callable[[Script], Path],
) -> None:
    seen: list[dict[str, object]] = []

    def script(connection: socket.socket) -> None:
        seen.append(read_line(connection))
        connection.sendall(b'{"v":1,"ok":true,"result":{"count":2,"active":2,"changed":true}}\n')

    path = serve(script)
    result = HelperClient(path).set_blocklist(["b.com", "a.com"])
    assert result == {"count": 2, "active": 2, "changed": True}
    assert seen == [{"v": 1, "cmd": "set_blocklist", "domains": ["b.com", "a.com"]}]


def test_an_error_reply_is_a_helper_error_with_its_code(serve: Callable[[Script], Path]) -> None:
    def script(connection: socket.socket) -> None:
        read_line(connection)
        connection.sendall(
            b'{"v":1,"ok":false,"error":{"code":"forbidden","message":"uid 65534 may not"}}\n'
        )

    with pytest.raises(HelperError) as caught:
        HelperClient(serve(script)).grant_pass(["a.com"], 5)
    assert caught.value.code == "forbidden" and caught.value.message == "uid 65534 may not"


@pytest.mark.parametrize("reply", [b"garbage\n", b'{"v":9,"ok":true,"result":{}}\n', b"{}\n"])
def test_a_reply_that_is_not_the_protocol_is_a_helper_error(
    serve: Callable[[Script], Path], reply: bytes
) -> None:
    def script(connection: socket.socket) -> None:
        read_line(connection)
        connection.sendall(reply)

    with pytest.raises(HelperError) as caught:
        HelperClient(serve(script)).get_state()
    assert caught.value.code == "bad_reply"


def test_a_helper_that_closes_without_answering_is_unavailable(
    serve: Callable[[Script], Path],
) -> None:
    with pytest.raises(HelperUnavailable, match="without an answer"):
        HelperClient(serve(read_line)).ping()


def test_a_silent_helper_times_out(serve: Callable[[Script], Path]) -> None:
    release = threading.Event()

    def script(connection: socket.socket) -> None:
        read_line(connection)
        release.wait(5)

    try:
        with pytest.raises(HelperUnavailable, match="did not answer in time"):
            HelperClient(serve(script), timeout=0.2).ping()
    finally:
        release.set()


def test_a_request_too_large_for_the_helper_is_refused_before_sending(tmp_path: Path) -> None:
    names = [f"{'a' * 60}.{'b' * 60}.{'c' * 60}.n{i}.com" for i in range(4000)]
    with pytest.raises(HelperError) as caught:
        HelperClient(tmp_path / "never-used.sock").set_blocklist(names)
    assert caught.value.code == "too_large"


def test_events_yields_each_event_and_ends_when_the_helper_goes(
    serve: Callable[[Script], Path],
) -> None:
    def script(connection: socket.socket) -> None:
        assert read_line(connection) == {"v": 1, "cmd": "subscribe"}
        # The acknowledgement and the first event in one write, the second split in two.
        connection.sendall(
            b'{"v":1,"ok":true,"result":{"subscribed":true}}\n'
            b'{"v":1,"event":"blocked_hit","domain":"a.com"}\n{"v":1,"event":"pass_'
        )
        connection.sendall(b'expired","domains":["a.com"]}\n')

    events = HelperClient(serve(script)).events()
    assert next(events) == {"event": "blocked_hit", "domain": "a.com"}
    assert next(events) == {"event": "pass_expired", "domains": ["a.com"]}
    with pytest.raises(HelperUnavailable):
        next(events)


def test_event_stream_parses_partial_lines_in_non_blocking_reads() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX)
    with theirs:
        ours.setblocking(False)
        stream = EventStream(ours)
        assert stream.fileno() == ours.fileno()
        assert stream.read_available() == []  # nothing yet: no blocking
        theirs.sendall(b'{"v":1,"event":"tamper_restored","found":"absent"}\n{"v":1,"ev')
        assert stream.read_available() == [{"event": "tamper_restored", "found": "absent"}]
        theirs.sendall(b'ent":"blocklist_applied","count":3}\n')
        assert stream.read_available() == [{"event": "blocklist_applied", "count": 3}]
    with pytest.raises(HelperUnavailable):
        stream.read_available()
    assert stream.closed and stream.fileno() == -1


def test_event_stream_refuses_unknown_events_and_endless_lines() -> None:
    stream = EventStream()
    with pytest.raises(HelperError) as caught:
        stream.feed(b'{"v":1,"event":"format_disk"}\n')
    assert caught.value.code == "bad_event"
    with pytest.raises(HelperError) as caught:
        EventStream().feed(b"x" * (MAX_MESSAGE_BYTES + 1))
    assert caught.value.code == "too_large"


def _full_backlog(path: Path) -> tuple[socket.socket, list[socket.socket]]:
    """A server that never accepts, with its listen backlog filled up."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(0)
    fillers: list[socket.socket] = []
    while True:
        filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        filler.setblocking(False)
        try:
            filler.connect(str(path))
        except BlockingIOError:
            filler.close()
            return server, fillers
        fillers.append(filler)


def test_a_full_backlog_is_retried_until_the_timeout_and_reported_as_busy(tmp_path: Path) -> None:
    # Issue 13, finding 1: connect() on a full backlog fails at once with EAGAIN; the client
    # used to report that as "the helper is not running".
    import time

    path = tmp_path / "full.sock"
    server, fillers = _full_backlog(path)
    try:
        started = time.monotonic()
        with pytest.raises(HelperUnavailable) as caught:
            HelperClient(path, timeout=0.5).ping()
        waited = time.monotonic() - started
        assert 0.4 <= waited < 1.5
        assert caught.value.reason == "busy"
        assert "not running" not in str(caught.value)
        assert "running but accepted no connection" in str(caught.value)
    finally:
        for filler in fillers:
            filler.close()
        server.close()


def test_a_full_backlog_that_drains_within_the_timeout_is_no_failure(tmp_path: Path) -> None:
    path = tmp_path / "drains.sock"
    server, fillers = _full_backlog(path)

    def serve_later() -> None:
        import time

        time.sleep(0.3)
        for _ in range(len(fillers) + 1):
            connection, _ = server.accept()
            if connection.recv(4096):  # the real client: answer it
                connection.sendall(b'{"v":1,"ok":true,"result":{"pong":true}}\n')
            connection.close()

    thread = threading.Thread(target=serve_later, daemon=True)
    thread.start()
    try:
        for filler in fillers:
            filler.close()  # the server still finds them queued, then EOF
        assert HelperClient(path, timeout=3.0).ping() is True
    finally:
        thread.join(5)
        server.close()


def test_no_permission_on_the_socket_says_so_and_not_that_the_helper_is_stopped(
    tmp_path: Path,
) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root may connect to any socket; the other-uid case is an integration test")
    path = tmp_path / "private.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    os.chmod(path, 0)
    try:
        with pytest.raises(HelperUnavailable) as caught:
            HelperClient(path).ping()
        assert caught.value.reason == "forbidden" and "not allowed" in str(caught.value)
    finally:
        server.close()
