"""The real helper process on a throwaway hosts file, socket and state folder (DESIGN §2, §4).

Each test starts ``python -m nocontact_desktop.helper.main`` (the same code as
``nocontact helper run``) with the listener on ephemeral loopback ports, talks to it over its
Unix socket, and looks at the hosts file on disk.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nocontact_desktop.core.blocking.hosts_section import read_section_names, section_state
from nocontact_desktop.core.helper_link.client import HelperClient, HelperError
from nocontact_desktop.core.helper_link.protocol import MAX_MESSAGE_BYTES
from tests.helpers.helper_harness import (
    HOSTS_ORIGINAL,
    RunningHelper,
    client_hello,
    collecting,
    raw_exchange,
    wait_for,
)

BLOCKLIST = ["instagram.com", "www.instagram.com", "m.instagram.com"]




@pytest.fixture
def helper(root: Path) -> Iterator[RunningHelper]:
    running = RunningHelper(root, extra_args=["--ipc-read-timeout", "1.5"]).start()
    yield running
    running.kill()


def section_names(path: Path) -> frozenset[str] | None:
    return read_section_names(path.read_bytes())


# --- commands ------------------------------------------------------------------------------


def test_set_blocklist_writes_the_section_and_keeps_everything_else(helper: RunningHelper) -> None:
    client = helper.client()
    hello = client.hello()
    assert hello["version"] == 1 and hello["pid"] == helper.process.pid  # type: ignore[union-attr]
    result = client.set_blocklist(BLOCKLIST)
    assert result == {"count": 3, "active": 3, "changed": True, "pending": [], "held": []}
    data = helper.hosts.read_bytes()
    assert data.startswith(HOSTS_ORIGINAL)
    assert section_state(data) == "ok"
    assert read_section_names(data) == frozenset(BLOCKLIST)
    assert b"127.0.0.1 www.instagram.com\n" in data and b"::1 www.instagram.com\n" in data
    state = client.get_state()
    assert state["blocklist"] == sorted(BLOCKLIST)
    assert state["section"] == {"state": "ok", "names": 3, "matches": True}
    assert state["listener"]["running"] is True
    # The same list again changes nothing on disk.
    before = os.stat(helper.hosts)
    assert client.set_blocklist(reversed(BLOCKLIST))["changed"] is False
    assert os.stat(helper.hosts).st_ino == before.st_ino
    # An empty list takes the section out, restoring the file byte for byte.
    assert client.set_blocklist([])["changed"] is True
    assert helper.hosts.read_bytes() == HOSTS_ORIGINAL


BAD_REQUESTS: list[tuple[str, bytes, str]] = [
    ("not json", b"hello\n", "bad_request"),
    ("truncated json", b'{"v":1,"cmd":"set_blocklist","domains":["a.com"\n', "bad_request"),
    ("not an object", b'["set_blocklist"]\n', "bad_request"),
    ("no version", b'{"cmd":"set_blocklist","domains":["a.com"]}\n', "bad_request"),
    ("wrong version", b'{"v":2,"cmd":"set_blocklist","domains":[]}\n', "unsupported_version"),
    ("unknown command", b'{"v":1,"cmd":"run_shell","argv":["sh"]}\n', "unknown_command"),
    ("no command", b'{"v":1,"domains":["a.com"]}\n', "bad_request"),
    ("extra key", b'{"v":1,"cmd":"set_blocklist","domains":["a.com"],"x":1}\n', "bad_request"),
    (
        "client-chosen addresses",
        b'{"v":1,"cmd":"set_blocklist","domains":["a.com"],"addresses":["10.0.0.1"]}\n',
        "bad_request",
    ),
    ("domains not a list", b'{"v":1,"cmd":"set_blocklist","domains":"a.com"}\n', "bad_request"),
    ("domain not a string", b'{"v":1,"cmd":"set_blocklist","domains":[7]}\n', "bad_request"),
    (
        "newline injection",
        b'{"v":1,"cmd":"set_blocklist","domains":["evil.com\\n1.2.3.4 bank.com"]}\n',
        "bad_input",
    ),
    ("space", b'{"v":1,"cmd":"set_blocklist","domains":["evil.com 1.2.3.4"]}\n', "bad_input"),
    ("wildcard", b'{"v":1,"cmd":"set_blocklist","domains":["*.evil.com"]}\n', "bad_input"),
    ("ipv4 literal", b'{"v":1,"cmd":"set_blocklist","domains":["1.2.3.4"]}\n', "bad_input"),
    ("ipv6 literal", b'{"v":1,"cmd":"set_blocklist","domains":["::1"]}\n', "bad_input"),
    ("localhost", b'{"v":1,"cmd":"set_blocklist","domains":["localhost"]}\n', "bad_input"),
    (
        "one bad name among good ones",
        b'{"v":1,"cmd":"set_blocklist","domains":["a.com","b.com","c..com"]}\n',
        "bad_input",
    ),
    (
        "minutes out of range",
        b'{"v":1,"cmd":"grant_pass","domains":["instagram.com"],"minutes":241}\n',
        "bad_input",
    ),
    (
        "minutes not a number",
        b'{"v":1,"cmd":"grant_pass","domains":["instagram.com"],"minutes":"5"}\n',
        "bad_request",
    ),
    (
        "pass for a name not on the list",
        b'{"v":1,"cmd":"grant_pass","domains":["bank.com"],"minutes":5}\n',
        "not_on_blocklist",
    ),
    (
        "oversized",
        b'{"v":1,"cmd":"set_blocklist","domains":["a.com"],"pad":"'
        + b"x" * (MAX_MESSAGE_BYTES + 10)
        + b'"}\n',
        "too_large",
    ),
    ("no newline then EOF", b'{"v":1,"cmd":"set_blocklist","domains":["a.com"]}', "bad_request"),
]


def test_bad_input_gets_an_error_reply_closes_and_changes_nothing(
    helper: RunningHelper,
) -> None:
    client = helper.client()
    client.set_blocklist(BLOCKLIST)
    before_bytes = helper.hosts.read_bytes()
    before_state = (helper.state_dir / "state.json").read_bytes()
    for label, payload, code in BAD_REQUESTS:
        if label == "no newline then EOF":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(5)
            sock.connect(str(helper.socket))
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            sock.close()
            closed = True
        else:
            received, closed = raw_exchange(helper.socket, payload)
        lines = received.splitlines()
        assert len(lines) == 1, (label, received)
        reply = json.loads(lines[0])
        assert reply["ok"] is False, label
        assert reply["error"]["code"] == code, (label, reply)
        assert closed, f"{label}: connection left open"
        assert helper.hosts.read_bytes() == before_bytes, label
        assert (helper.state_dir / "state.json").read_bytes() == before_state, label
    # The helper is still healthy and unchanged.
    assert client.get_state()["blocklist"] == sorted(BLOCKLIST)


def test_a_silent_client_times_out(helper: RunningHelper) -> None:
    start = time.monotonic()
    received, closed = raw_exchange(helper.socket, b'{"v":1,"cmd":', timeout=10)
    assert closed and json.loads(received)["error"]["code"] == "timeout"
    assert time.monotonic() - start < 5


def test_the_helper_client_reports_refusals_as_helper_errors(helper: RunningHelper) -> None:
    client = helper.client()
    with pytest.raises(HelperError) as caught:
        client.set_blocklist(["evil.com\n1.2.3.4 bank.com"])
    assert caught.value.code == "bad_input"
    assert "not a valid domain" in caught.value.message
    assert section_names(helper.hosts) is None


def test_several_requests_on_one_connection_get_one_reply_each(helper: RunningHelper) -> None:
    payload = b'{"v":1,"cmd":"ping"}\n{"v":1,"cmd":"hello"}\n{"v":1,"cmd":"ping"}\n'
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(str(helper.socket))
    sock.sendall(payload)
    received = b""
    while received.count(b"\n") < 3:
        received += sock.recv(65536)
    sock.close()
    replies = [json.loads(line) for line in received.splitlines()]
    assert [r["ok"] for r in replies] == [True, True, True]
    assert replies[0]["result"] == {"pong": True} and "pid" in replies[1]["result"]


# --- who may command -----------------------------------------------------------------------


def _as_user(uid: int, socket_path: Path) -> dict[str, str]:
    """Run set_blocklist as ``uid`` in a forked child; what it saw."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        outcome = {"result": "crash"}
        try:
            os.close(read_fd)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            try:
                HelperClient(socket_path).set_blocklist(["bank.com"])
                outcome = {"result": "accepted"}
            except HelperError as error:
                outcome = {"result": "error", "code": error.code, "message": error.message}
            except Exception as error:  # report anything to the parent
                outcome = {"result": type(error).__name__, "message": str(error)}
        finally:
            os.write(write_fd, json.dumps(outcome).encode())
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return dict(json.loads(data))


def test_a_caller_whose_uid_is_not_allowed_is_refused(root: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to run clients as other users")
    helper = RunningHelper(root, extra_args=["--allow-uid", "4242"]).start()
    try:
        helper.client().set_blocklist(BLOCKLIST)
        before = helper.hosts.read_bytes()
        nobody = _as_user(65534, helper.socket)
        # The socket's ACL keeps uid 65534 out at connect() (issue 13, finding 1).
        assert nobody["result"] == "HelperUnavailable", nobody
        assert "uid 65534" in nobody["message"] and "not allowed" in nobody["message"]
        assert helper.hosts.read_bytes() == before
        assert helper.client().get_state()["refused_connections"] == 0
        # The installed-for user is allowed, through the socket's ACL entry.
        allowed = _as_user(4242, helper.socket)
        assert allowed == {"result": "accepted"}
        assert section_names(helper.hosts) == {"bank.com"}
    finally:
        helper.kill()


def test_the_socket_is_0600_in_a_0755_folder_and_a_stale_socket_is_replaced(root: Path) -> None:
    helper = RunningHelper(root).start()
    try:
        assert helper.socket.stat().st_mode & 0o777 == 0o600
        assert helper.socket.parent.stat().st_mode & 0o777 == 0o755
        assert (helper.state_dir.stat().st_mode & 0o777) == 0o700
        assert ((helper.state_dir / "state.json").stat().st_mode & 0o777) == 0o600
        # A second helper on the same socket refuses to start.
        second = RunningHelper(root, hosts_content=None)
        code, stderr = subprocess_run(second.command())
        assert code == 1
        assert "another helper is already listening" in stderr
    finally:
        helper.stop(signal.SIGKILL)
    # kill -9 leaves the socket file behind; the next start removes it.
    assert helper.socket.exists()
    restarted = RunningHelper(root, hosts_content=None).start()
    restarted.kill()


def subprocess_run(argv: list[str]) -> tuple[int, str]:
    import subprocess

    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    return result.returncode, result.stderr


def test_the_helper_refuses_a_symlink_or_file_at_the_socket_path(root: Path) -> None:
    (root / "run").mkdir(mode=0o755)
    helper = RunningHelper(root)
    target = root / "elsewhere"
    target.write_text("keep me")
    helper.socket.symlink_to(target)
    code, stderr = subprocess_run(helper.command())
    assert code == 1 and "is a symlink; refusing" in stderr
    assert target.read_text() == "keep me" and helper.socket.is_symlink()
    helper.socket.unlink()
    helper.socket.write_text("a file")
    code, stderr = subprocess_run(helper.command())
    assert code == 1 and "is not a socket" in stderr
    assert helper.socket.read_text() == "a file"


def test_the_helper_refuses_a_socket_folder_others_can_write(root: Path) -> None:
    (root / "run").mkdir()
    os.chmod(root / "run", 0o777)  # noqa: S103 - the unsafe folder under test
    code, stderr = subprocess_run(RunningHelper(root).command())
    assert code == 1 and "writable by group or others" in stderr
    assert not (root / "run" / "helper.sock").exists()


# --- tamper restore ------------------------------------------------------------------------


def test_a_section_edited_out_is_restored_within_seconds(helper: RunningHelper) -> None:
    helper.client().set_blocklist(BLOCKLIST)
    with collecting(helper.socket) as events:
        helper.hosts.write_bytes(HOSTS_ORIGINAL + b"10.0.0.9 added-by-someone.test\n")
        start = time.monotonic()
        event = events.wait("tamper_restored", timeout=10)
        elapsed = time.monotonic() - start
        assert event["found"] == "absent"
        assert elapsed < 5
    data = helper.hosts.read_bytes()
    assert read_section_names(data) == frozenset(BLOCKLIST) and section_state(data) == "ok"
    # The other edit is kept.
    assert b"10.0.0.9 added-by-someone.test\n" in data


def test_an_altered_section_is_restored(helper: RunningHelper) -> None:
    helper.client().set_blocklist(BLOCKLIST)
    with collecting(helper.socket) as events:
        data = helper.hosts.read_bytes()
        helper.hosts.write_bytes(data.replace(b"127.0.0.1 instagram.com\n", b""))
        events.wait("tamper_restored", timeout=10)
        damaged = helper.hosts.read_bytes().replace(b"# <<< local name overrides", b"# <<< gone")
        # In place, same size, mtime set back: the ctime still gives it away.
        stat_before = os.stat(helper.hosts)
        with open(helper.hosts, "r+b") as handle:
            handle.write(damaged)
        os.utime(helper.hosts, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns))
        events.wait("tamper_restored", timeout=10)
    assert read_section_names(helper.hosts.read_bytes()) == frozenset(BLOCKLIST)
    assert section_state(helper.hosts.read_bytes()) == "ok"


# --- passes --------------------------------------------------------------------------------


def test_a_pass_unblocks_then_blocks_again_when_it_expires(root: Path) -> None:
    # One pass "minute" lasts one second here (test knob --pass-minute-seconds).
    helper = RunningHelper(root, extra_args=["--pass-minute-seconds", "1"]).start()
    try:
        client = helper.client()
        client.set_blocklist(BLOCKLIST)
        with collecting(helper.socket) as events:
            granted = helper.grant_pass(["instagram.com", "www.instagram.com"], 2)
            assert granted["minutes"] == 2
            started = events.wait("pass_started")
            assert started["domains"] == ["instagram.com", "www.instagram.com"]
            # The names stay on loopback: the listener hands the pass's connections through
            # to the real site and cuts them at expiry (issue 15).
            assert section_names(helper.hosts) == frozenset(BLOCKLIST)
            state = client.get_state()
            assert [p["domain"] for p in state["passes"]] == ["instagram.com", "www.instagram.com"]
            assert state["section"]["matches"] is True
            expired = events.wait("pass_expired", timeout=10)
            assert expired["domains"] == ["instagram.com", "www.instagram.com"]
            assert expired["reason"] == "expired"
        assert section_names(helper.hosts) == frozenset(BLOCKLIST)
        assert client.get_state()["passes"] == []
    finally:
        helper.kill()


def test_a_pass_can_be_revoked(helper: RunningHelper) -> None:
    client = helper.client()
    client.set_blocklist(BLOCKLIST)
    helper.grant_pass(["m.instagram.com"], 30)
    assert section_names(helper.hosts) == frozenset(BLOCKLIST)  # spliced, not unblocked
    assert client.get_state()["passes"][0]["domain"] == "m.instagram.com"
    with collecting(helper.socket) as events:
        assert client.revoke_pass(["m.instagram.com", "instagram.com"]) == {
            "revoked": ["m.instagram.com"]
        }
        assert events.wait("pass_expired")["reason"] == "revoked"
    assert section_names(helper.hosts) == frozenset(BLOCKLIST)


def test_removing_a_name_from_the_list_ends_its_pass(helper: RunningHelper) -> None:
    client = helper.client()
    client.set_blocklist(BLOCKLIST)
    helper.grant_pass(["m.instagram.com"], 30)
    client.set_blocklist(["instagram.com"])
    assert client.get_state()["passes"] == []
    client.set_blocklist(BLOCKLIST)
    assert section_names(helper.hosts) == frozenset(BLOCKLIST)


# --- restart and shutdown ------------------------------------------------------------------


def test_sigterm_leaves_the_section_and_a_restart_keeps_state_and_passes(root: Path) -> None:
    helper = RunningHelper(root).start()
    client = helper.client()
    client.set_blocklist(BLOCKLIST)
    helper.grant_pass(["m.instagram.com"], 30)
    assert helper.stop(signal.SIGTERM) == 0
    # Stopped: nothing can end a pass, so every listed name is blocked again.
    assert section_names(helper.hosts) == frozenset(BLOCKLIST)
    assert not helper.socket.exists()
    assert "helper stopped" in helper.log_text()

    restarted = RunningHelper(root, hosts_content=None).start()
    try:
        state = restarted.client().get_state()
        assert state["blocklist"] == sorted(BLOCKLIST)
        # The unexpired pass resumes.
        assert [p["domain"] for p in state["passes"]] == ["m.instagram.com"]
        assert 25 * 60 < state["passes"][0]["remaining_seconds"] <= 30 * 60
        assert section_names(restarted.hosts) == frozenset(BLOCKLIST)
    finally:
        restarted.stop(signal.SIGKILL)
    # After kill -9 the section and the state are still there.
    assert section_names(helper.hosts) == frozenset(BLOCKLIST)
    third = RunningHelper(root, hosts_content=None).start()
    try:
        assert third.client().get_state()["blocklist"] == sorted(BLOCKLIST)
    finally:
        third.kill()


def test_a_pass_that_ran_out_while_the_helper_was_down_is_blocked_at_start(root: Path) -> None:
    helper = RunningHelper(root, extra_args=["--pass-minute-seconds", "0.5"]).start()
    client = helper.client()
    client.set_blocklist(BLOCKLIST)
    helper.grant_pass(["instagram.com"], 2)  # one second
    helper.stop(signal.SIGKILL)  # no clean stop: the pass is in the state file only
    assert section_names(helper.hosts) == frozenset(BLOCKLIST)
    time.sleep(1.5)
    restarted = RunningHelper(root, hosts_content=None).start()
    try:
        assert section_names(restarted.hosts) == frozenset(BLOCKLIST)
        assert restarted.client().get_state()["passes"] == []
    finally:
        restarted.kill()


def test_a_lost_state_file_keeps_the_names_in_the_section(root: Path) -> None:
    helper = RunningHelper(root).start()
    helper.client().set_blocklist(BLOCKLIST)
    helper.stop()
    (helper.state_dir / "state.json").write_bytes(b"{not json")
    restarted = RunningHelper(root, hosts_content=None).start()
    try:
        assert restarted.client().get_state()["blocklist"] == sorted(BLOCKLIST)
        assert "unreadable" in restarted.log_text()
    finally:
        restarted.kill()


def test_bad_arguments_exit_2_with_one_line(root: Path) -> None:
    import subprocess

    helper = RunningHelper(root)
    for args in (["--listen-address", "10.0.0.1"], ["--http-port", "70000"], ["--bogus"]):
        result = subprocess.run(
            helper.command(*args), capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not helper.socket.exists()


# --- listener → events ---------------------------------------------------------------------


def send_hellos(port: int, names: tuple[str, ...]) -> None:
    """One TLS ClientHello per name to the listener, each on its own connection."""
    for name in names:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(client_hello(name))
            sock.recv(1)


def test_a_tls_client_hello_to_a_blocked_name_reaches_a_subscriber(helper: RunningHelper) -> None:
    client = helper.client()
    client.set_blocklist(BLOCKLIST)
    helper.grant_pass(["m.instagram.com"], 30)
    port = helper.listener_port("https")
    with collecting(helper.socket) as events:
        send_hellos(port, ("unrelated.example", "m.instagram.com", "WWW.Instagram.com"))
        unlisted = events.wait("blocked_hit")
        assert unlisted["domain"] is None and unlisted["matched"] is None
        hit = events.wait("blocked_hit")
        assert hit["domain"] == "www.instagram.com" and hit["matched"] == "www.instagram.com"
        assert hit["protocol"] == "https" and hit["port"] == port
        assert hit["at"].endswith("+00:00")
        http_port = helper.listener_port("http", "::1")
        with socket.create_connection(("::1", http_port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: instagram.com\r\n\r\n")
            page = sock.recv(65536)
        assert page.startswith(b"HTTP/1.")
        hit = events.wait("blocked_hit")
        assert hit["domain"] == "instagram.com" and hit["protocol"] == "http"
        assert hit["path"] == "/"  # "Open anyway" opens the page that was attempted
    # The unrelated name counts as an unlisted attempt (only blocked names resolve here);
    # the name on a pass is handed through to the real site, never a hit.
    assert [
        (e["domain"], e.get("unlisted", False))
        for e in events.seen
        if e["event"] == "blocked_hit"
    ] == [(None, True), ("www.instagram.com", False), ("instagram.com", False)]


def test_a_subscriber_that_never_reads_does_not_hold_the_helper_up(helper: RunningHelper) -> None:
    client = helper.client()
    client.set_blocklist(BLOCKLIST)
    port = helper.listener_port("https")
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(str(helper.socket))
    stuck.sendall(b'{"v":1,"cmd":"subscribe"}\n')
    hello = client_hello("www.instagram.com")
    try:
        with collecting(helper.socket) as events:
            for index in range(800):
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    sock.sendall(hello)
                if index % 50 == 49:
                    time.sleep(0.02)  # a storm, but one the listener takes in full

            def all_decided() -> bool:
                stats = client.get_state()["listener"]["stats"]
                return bool(stats["hits"] + stats["rejected_overload"] >= 800)

            assert wait_for(all_decided, 20)
            hits = client.get_state()["listener"]["stats"]["hits"]
            assert hits > 600
            # The reading subscriber keeps receiving, and the helper answers at once.
            events.wait("blocked_hit")
            start = time.monotonic()
            assert client.ping()
            assert time.monotonic() - start < 1.0
        # The stuck one is still connected; its kernel and queue buffers hold (or drop) the
        # rest. Dropping oldest-first is tested in test_helper_inprocess.py.
        assert client.get_state()["subscribers"] == 1
    finally:
        stuck.close()


def test_even_the_debug_log_never_names_a_blocked_site(root: Path) -> None:
    """The journal is readable by administrators and backups: names stay out (DESIGN §8)."""
    helper = RunningHelper(root, extra_args=["--debug", "--pass-minute-seconds", "1"]).start()
    try:
        client = helper.client()
        client.set_blocklist(BLOCKLIST)
        helper.grant_pass(["m.instagram.com"], 1)
        port = helper.listener_port("https")
        with collecting(helper.socket) as events:
            send_hellos(port, ("unrelated.example", "m.instagram.com", "www.instagram.com"))
            http_port = helper.listener_port("http")
            with socket.create_connection(("127.0.0.1", http_port), timeout=5) as sock:
                sock.sendall(b"GET /someone HTTP/1.1\r\nHost: instagram.com\r\n\r\n")
                sock.recv(65536)
            events.wait("pass_expired", timeout=10)
        client.set_blocklist([])
    finally:
        helper.kill()
    log = helper.log_text()
    assert "listener: blocked name on port" in log  # the debug lines were written
    for word in ("instagram", "unrelated.example", "/someone"):
        assert word not in log, [line for line in log.splitlines() if word in line]
