"""Helper install/uninstall/status and peer credentials per platform (DESIGN §2, §10).

Linux is tested for real where this machine allows it (peer credentials, file checks,
``systemd-analyze verify``); the systemctl/launchctl command sequences and macOS calls are
tested over a fake runner and a fake libc, as DESIGN §2 says for other platforms.
"""

from __future__ import annotations

import ctypes
import os
import plistlib
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.platform import linux, macos

REPO = Path(__file__).resolve().parents[2]


class FakeRunner:
    """Records every command; answers from a table keyed by the command's first words."""

    def __init__(self, answers: dict[tuple[str, ...], tuple[int, str]] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.answers = answers or {}

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        for length in range(len(argv), 0, -1):
            key = tuple(argv[:length])
            if key in self.answers:
                code, out = self.answers[key]
                return subprocess.CompletedProcess(list(argv), code, out, "boom" if code else "")
        return subprocess.CompletedProcess(list(argv), 0, "", "")


def no_program_check(executable: str) -> None:
    assert executable.startswith("/")


# --- Linux: peer credentials --------------------------------------------------------------


def test_linux_peer_uid_is_the_connecting_process_uid() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert linux.peer_uid(left) == os.getuid()


def test_linux_peer_uid_of_another_user_comes_from_the_kernel() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to run a client as another user (uid 65534)")
    # pytest's tmp_path lies under a 0700 folder that uid 65534 cannot enter.
    folder = Path(tempfile.mkdtemp(prefix="nc-peer-", dir="/tmp"))
    os.chmod(folder, 0o755)  # noqa: S103 - uid 65534 must enter it
    path = folder / "peer.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.settimeout(10)
    server.bind(str(path))
    os.chmod(path, 0o666)  # noqa: S103 - like the helper socket
    server.listen(1)
    pid = os.fork()
    if pid == 0:  # child: become nobody, then connect
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(str(path))
            client.recv(1)
        finally:
            os._exit(0)
    connection, _ = server.accept()
    with connection, server:
        assert linux.peer_uid(connection) == 65534
        connection.send(b"x")
    os.waitpid(pid, 0)
    shutil.rmtree(folder)


def test_linux_peer_uid_of_an_unconnected_socket_is_an_error_or_nobody() -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as lonely:
        try:
            uid = linux.peer_uid(lonely)
        except OSError:
            return
        # Linux answers an unconnected socket with the overflow uid, never root.
        assert uid != 0


# --- Linux: install / uninstall / status: tests/unit/test_helper_install_linux.py ---------


def test_linux_default_paths() -> None:
    assert linux.helper_socket_path() == Path("/run/nocontact/helper.sock")
    assert linux.helper_state_dir() == Path("/var/lib/nocontact-helper")
    assert linux.helper_hosts_path() == Path("/etc/hosts")


# --- macOS ---------------------------------------------------------------------------------


class FakeLibc:
    def __init__(self, uid: int, result: int = 0) -> None:
        self.uid = uid
        self.result = result
        self.fds: list[int] = []

    def getpeereid(self, fd: int, uid_ref: Any, gid_ref: Any) -> int:
        self.fds.append(fd)
        if self.result == 0:
            uid_ref._obj.value = self.uid
            gid_ref._obj.value = 20
        return self.result


def test_macos_peer_uid_uses_getpeereid_on_the_socket_descriptor() -> None:
    libc = FakeLibc(501)
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        assert macos.peer_uid(left, libc=libc) == 501  # type: ignore[arg-type]
        assert libc.fds == [left.fileno()]


def test_macos_peer_uid_failure_raises_oserror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctypes, "get_errno", lambda: 57)
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right, pytest.raises(OSError) as caught:
        macos.peer_uid(left, libc=FakeLibc(0, result=-1))  # type: ignore[arg-type]
    assert caught.value.errno == 57


def test_macos_plist_runs_the_helper_as_a_kept_alive_daemon() -> None:
    document = plistlib.loads(macos.render_helper_plist(501, "/usr/local/bin/nocontact"))
    assert document["Label"] == "org.nocontact.helper"
    assert document["ProgramArguments"] == [
        "/usr/local/bin/nocontact", "helper", "run", "--allow-uid", "501"
    ]
    assert document["RunAtLoad"] is True and document["KeepAlive"] is True
    shipped = (REPO / "installers/macos/org.nocontact.helper.plist").read_bytes()
    assert shipped == macos.render_helper_plist(501, "/usr/local/bin/nocontact")


@pytest.mark.parametrize("executable", ["nocontact", "/a\nb", "", "/a\x00b"])
def test_macos_plist_refuses_bad_program_paths(executable: str) -> None:
    with pytest.raises(BadInput):
        macos.render_helper_plist(501, executable)


def test_macos_install_as_root_writes_the_plist_and_bootstraps(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: the plist is chowned to root:wheel as launchd requires")
    runner = FakeRunner({("/bin/launchctl", "bootout"): (3, "")})  # not loaded yet: ignored
    macos.install_helper(501, "/usr/local/bin/nocontact", runner=runner, daemons_dir=tmp_path,
                         euid=0)
    target = tmp_path / "org.nocontact.helper.plist"
    assert target.read_bytes() == macos.render_helper_plist(501, "/usr/local/bin/nocontact")
    assert target.stat().st_mode & 0o777 == 0o644 and target.stat().st_uid == 0
    assert runner.calls == [
        ["/bin/launchctl", "bootout", "system/org.nocontact.helper"],
        ["/bin/launchctl", "enable", "system/org.nocontact.helper"],
        ["/bin/launchctl", "bootstrap", "system", str(target)],
    ]


def test_macos_install_as_a_user_asks_for_admin_rights_with_safe_quoting(
    tmp_path: Path,
) -> None:
    runner = FakeRunner()
    executable = '/Applications/No "Contact".app/nocontact'
    macos.install_helper(501, executable, runner=runner, daemons_dir=tmp_path, euid=501)
    [call] = runner.calls
    assert call[:2] == ["/usr/bin/osascript", "-e"]
    script = call[2]
    assert script.startswith('do shell script "') and script.endswith(
        '" with administrator privileges'
    )
    inner = script[len('do shell script "') : -len('" with administrator privileges')]
    # AppleScript unescaping gives the shell command; shlex quoting keeps the path one word.
    shell = inner.replace('\\"', '"').replace("\\\\", "\\")
    import shlex

    assert shlex.split(shell) == [executable, "helper", "install"]
    assert list(tmp_path.iterdir()) == []


def test_macos_uninstall_boots_out_and_removes_everything(tmp_path: Path) -> None:
    plist = tmp_path / "org.nocontact.helper.plist"
    plist.write_bytes(b"x")
    state = tmp_path / "state"
    state.mkdir()
    hosts = tmp_path / "hosts"
    from nocontact_desktop.core.blocking.hosts_section import apply_section

    hosts.write_bytes(apply_section(b"127.0.0.1 localhost\n", ["example.com"]))
    runner = FakeRunner()
    macos.uninstall_helper(runner=runner, daemons_dir=tmp_path, hosts_file=hosts,
                           state_dir=state, euid=0)
    assert runner.calls == [["/bin/launchctl", "bootout", "system/org.nocontact.helper"]]
    assert not plist.exists() and not state.exists()
    assert hosts.read_bytes() == b"127.0.0.1 localhost\n"


def test_macos_status_parses_launchctl_print(tmp_path: Path) -> None:
    assert macos.helper_service_status(runner=FakeRunner(), daemons_dir=tmp_path) == (
        "not installed"
    )
    (tmp_path / "org.nocontact.helper.plist").write_bytes(b"x")
    running = FakeRunner({("/bin/launchctl", "print"): (0, "system/x = {\n\tstate = running\n")})
    assert macos.helper_service_status(runner=running, daemons_dir=tmp_path) == "running"
    waiting = FakeRunner({("/bin/launchctl", "print"): (0, "\tstate = not running\n")})
    assert macos.helper_service_status(runner=waiting, daemons_dir=tmp_path) == "stopped"
    missing = FakeRunner({("/bin/launchctl", "print"): (113, "")})
    assert macos.helper_service_status(runner=missing, daemons_dir=tmp_path) == "stopped"
