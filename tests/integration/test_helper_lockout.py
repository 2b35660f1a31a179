"""No local user can lock the allowed user out of the helper (issue 13, findings 1 and 2).

The attacks of the outside review, with real processes: ``nobody`` (uid 65534, started with
``setpriv``) loops connect/close on the helper's socket while the allowed user (uid 4242)
sends commands; an allowed uid opens far more event streams and idle connections than it
should. Needs root to run processes as other users; skipped with that reason otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nocontact_desktop.core.helper_link.client import HelperError
from tests.helpers.helper_harness import RunningHelper, make_root

pytestmark = pytest.mark.root

ALLOWED_UID = 4242
NOBODY = 65534
REPO = Path(__file__).resolve().parents[2]


def _as_uid(uid: int, code: str, *, timeout: float = 60.0) -> subprocess.Popen[str]:
    """Run ``code`` with this Python as ``uid`` (no groups) via setpriv; stdout is JSON."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to run a client as another user")
    return subprocess.Popen(
        [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            sys.executable,
            "-c",
            textwrap.dedent(code),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def _result(process: subprocess.Popen[str], timeout: float = 60.0) -> dict[str, object]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return dict(json.loads(out.strip().splitlines()[-1]))


ATTACKER = """
    import errno, json, socket, sys, time
    path, seconds = {path!r}, {seconds}
    counts = {{"connected": 0, "eacces": 0, "other": 0}}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
            counts["connected"] += 1
        except PermissionError:
            counts["eacces"] += 1
        except OSError:
            counts["other"] += 1
        s.close()
    print(json.dumps(counts))
"""

ALLOWED_CLIENT = """
    import json, time
    from nocontact_desktop.core.helper_link.client import HelperClient, HelperUnavailable
    from nocontact_desktop.core.helper_link.client import HelperError
    client = HelperClient({path!r}, timeout=2.0)
    outcomes = []
    for i in range({requests}):
        try:
            client.set_blocklist(["bank-%d.com" % i])
            outcomes.append("ok")
        except (HelperUnavailable, HelperError) as err:
            outcomes.append(str(err))
        time.sleep(0.1)
    print(json.dumps({{"outcomes": outcomes}}))
"""


@pytest.fixture
def root() -> Iterator[Path]:
    folder = make_root()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_other_users_cannot_connect_and_cannot_lock_the_allowed_user_out(root: Path) -> None:
    helper = RunningHelper(root, extra_args=["--allow-uid", str(ALLOWED_UID)]).start()
    try:
        attacker = _as_uid(NOBODY, ATTACKER.format(path=str(helper.socket), seconds=6))
        time.sleep(0.5)  # the flood is running
        allowed = _as_uid(
            ALLOWED_UID, ALLOWED_CLIENT.format(path=str(helper.socket), requests=19)
        )
        outcomes = _result(allowed)["outcomes"]
        flood = _result(attacker)
        # Before: 0 of 19 succeeded ("the helper is not running"). Now: all of them.
        assert outcomes == ["ok"] * 19, outcomes
        # Root-owned, 0600 plus one ACL entry for the allowed uid: nobody else may connect.
        info = os.lstat(helper.socket)
        assert info.st_uid == 0 and info.st_mode & 0o007 == 0
        assert os.getxattr(helper.socket, "system.posix_acl_access")
        assert flood["connected"] == 0 and flood["eacces"] > 1000, flood
        assert helper.client().get_state()["blocklist"] == ["bank-18.com"]
        # Refused at connect(): nothing reaches the helper, nothing fills its log.
        assert "refused a connection" not in helper.log_text()
    finally:
        helper.kill()


def test_a_user_who_is_not_allowed_is_told_so_not_that_the_helper_is_stopped(root: Path) -> None:
    helper = RunningHelper(root, extra_args=["--allow-uid", str(ALLOWED_UID)]).start()
    try:
        probe = _as_uid(
            NOBODY,
            f"""
            import json
            from nocontact_desktop.core.blocking.blocklist import push_to_helper
            from pathlib import Path
            result = push_to_helper(["bank.com"], Path({str(helper.socket)!r}))
            print(json.dumps({{"applied": result.applied, "message": result.message}}))
            """,
        )
        seen = _result(probe)
        assert seen["applied"] is False
        message = str(seen["message"])
        assert "not running" not in message and "not allowed" in message, message
        assert "saved but not applied" in message
    finally:
        helper.kill()


def test_subscribers_cannot_take_the_command_slots_and_caps_are_per_uid(root: Path) -> None:
    helper = RunningHelper(root, extra_args=["--allow-uid", str(ALLOWED_UID)]).start()
    held: list[socket.socket] = []
    try:
        # 66 event streams from root: 16 are served, the rest told "busy"; commands still go.
        accepted = 0
        for _ in range(66):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(5)
            sock.connect(str(helper.socket))
            sock.sendall(b'{"v":1,"cmd":"subscribe"}\n')
            reply = json.loads(sock.makefile("rb").readline())
            if reply["ok"]:
                accepted += 1
                held.append(sock)
            else:
                assert reply["error"]["code"] == "busy"
                sock.close()
        assert accepted == 16
        client = helper.client()
        assert client.ping()
        # Idle command connections from root fill root's 64 command slots ...
        for _ in range(66):  # two more than the cap
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(helper.socket))
            held.append(sock)
        busy = None
        deadline = time.monotonic() + 10  # the helper accepts them at its own pace under load
        while busy is None and time.monotonic() < deadline:
            try:
                client.ping()
            except HelperError as error:
                busy = error.code
            else:
                time.sleep(0.1)
        assert busy == "busy", "root's 64 command slots never filled"
        # ... and the allowed user is served all the same.
        other = _as_uid(
            ALLOWED_UID,
            f"""
            import json
            from nocontact_desktop.core.helper_link.client import HelperClient
            print(json.dumps({{"pong": HelperClient({str(helper.socket)!r}).ping()}}))
            """,
        )
        assert _result(other) == {"pong": True}
    finally:
        for sock in held:
            sock.close()
        helper.kill()
