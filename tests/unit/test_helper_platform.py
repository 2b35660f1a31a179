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
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.helper_link.client import HelperServiceError
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


# --- Linux: unit file ----------------------------------------------------------------------


def test_the_unit_runs_the_helper_for_the_given_uid_with_hardening() -> None:
    unit = linux.render_helper_unit(1000, "/usr/bin/nocontact")
    lines = unit.splitlines()
    assert "ExecStart=/usr/bin/nocontact helper run --allow-uid 1000" in lines
    for expected in (
        "ProtectSystem=strict",
        "ReadWritePaths=/etc",
        "NoNewPrivileges=yes",
        "RuntimeDirectory=nocontact",
        "StateDirectory=nocontact-helper",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_CHOWN CAP_FOWNER",
        "WantedBy=multi-user.target",
    ):
        assert expected in lines


def test_the_unit_shipped_in_installers_is_the_generated_one() -> None:
    shipped = (REPO / "installers/linux/nocontact-helper.service").read_text(encoding="ascii")
    assert shipped == linux.render_helper_unit(1000, "/usr/bin/nocontact")


@pytest.mark.parametrize(
    "executable",
    [
        "nocontact",
        "bin/nocontact",
        "/opt/No Contact/nocontact",
        "/usr/bin/nocontact\nExecStartPre=/bin/sh",
        "/usr/bin/no%icontact",
        "/usr/bin/$HOME",
        "/usr/bin/nocontact;rm",
        "",
    ],
)
def test_the_unit_refuses_program_paths_it_cannot_write_safely(executable: str) -> None:
    with pytest.raises(BadInput, match="not a valid helper program path"):
        linux.render_helper_unit(1000, executable)


@pytest.mark.parametrize("uid", [-1, 2**32, 2**32 - 1])
def test_the_unit_refuses_bad_uids(uid: int) -> None:
    with pytest.raises(BadInput, match="not a valid uid"):
        linux.render_helper_unit(uid, "/usr/bin/nocontact")


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed, so the unit cannot be verified here")
    unit = tmp_path / linux.HELPER_UNIT_NAME
    # ExecStart must name an existing executable for verify to pass.
    unit.write_text(linux.render_helper_unit(1000, os.path.realpath(sys.executable)))
    result = subprocess.run(
        [tool, "verify", str(unit)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    # Unknown or misspelt keys are only warnings; there must be none.
    assert result.stderr.strip() == "", result.stderr


def test_the_polkit_policy_names_the_install_action_and_asks_for_admin() -> None:
    tree = ElementTree.parse(REPO / "installers/linux/org.nocontact.helper.policy")  # noqa: S314
    action = tree.getroot().find("action")
    assert action is not None and action.get("id") == "org.nocontact.helper.install"
    defaults = action.find("defaults")
    assert defaults is not None
    assert {child.text for child in defaults} == {"auth_admin"}
    annotations = {a.get("key"): a.text for a in action.findall("annotate")}
    assert annotations["org.freedesktop.policykit.exec.path"] == "/usr/bin/nocontact"


# --- Linux: install / uninstall / status ---------------------------------------------------


def test_install_without_systemd_says_so_and_changes_nothing(tmp_path: Path) -> None:
    runner = FakeRunner()
    with pytest.raises(HelperServiceError, match="systemd is not running") as caught:
        linux.install_helper(1000, "/usr/bin/nocontact", runner=runner, unit_dir=tmp_path,
                             booted=False)
    assert "helper run --allow-uid 1000" in str(caught.value)
    assert runner.calls == [] and list(tmp_path.iterdir()) == []


def test_install_on_this_machine_reports_that_it_cannot_install() -> None:
    if linux.systemd_running():
        pytest.skip("systemd runs here; this test is for machines and CI without it")
    with pytest.raises(HelperServiceError, match="systemd is not running"):
        linux.install_helper(os.getuid(), "/usr/bin/nocontact", runner=FakeRunner())
    assert linux.helper_service_status().startswith("unavailable: systemd is not running")


def test_install_as_root_writes_the_unit_then_reloads_and_enables(tmp_path: Path) -> None:
    runner = FakeRunner()
    linux.install_helper(1000, "/usr/bin/nocontact", runner=runner, unit_dir=tmp_path,
                         euid=0, booted=True, check_program=no_program_check)
    unit = tmp_path / linux.HELPER_UNIT_NAME
    assert unit.read_text() == linux.render_helper_unit(1000, "/usr/bin/nocontact")
    assert unit.stat().st_mode & 0o777 == 0o644
    assert runner.calls == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", "nocontact-helper.service"],
    ]
    assert [p.name for p in tmp_path.iterdir()] == [linux.HELPER_UNIT_NAME]


def test_install_reports_a_systemctl_failure(tmp_path: Path) -> None:
    runner = FakeRunner({("systemctl", "enable"): (1, "")})
    with pytest.raises(HelperServiceError, match="systemctl enable failed: boom"):
        linux.install_helper(1000, "/usr/bin/nocontact", runner=runner, unit_dir=tmp_path,
                             euid=0, booted=True, check_program=no_program_check)


def test_install_as_a_user_reruns_itself_through_pkexec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linux.shutil, "which", lambda name: f"/usr/bin/{name}")
    runner = FakeRunner()
    linux.install_helper(1000, "/usr/bin/nocontact", runner=runner, unit_dir=tmp_path,
                         euid=1000, booted=True)
    assert runner.calls == [["pkexec", "/usr/bin/nocontact", "helper", "install"]]
    assert list(tmp_path.iterdir()) == []


def test_install_as_a_user_without_pkexec_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linux.shutil, "which", lambda name: None)
    with pytest.raises(HelperServiceError, match="sudo /usr/bin/nocontact helper install"):
        linux.install_helper(1000, "/usr/bin/nocontact", runner=FakeRunner(), unit_dir=tmp_path,
                             euid=1000, booted=True)


def test_invoking_uid_is_the_user_behind_pkexec_or_sudo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUDO_UID", raising=False)
    monkeypatch.setenv("PKEXEC_UID", "1234")
    assert linux.invoking_uid() == 1234
    monkeypatch.delenv("PKEXEC_UID")
    monkeypatch.setenv("SUDO_UID", "4321")
    assert linux.invoking_uid() == 4321
    monkeypatch.delenv("SUDO_UID")
    assert linux.invoking_uid() == os.getuid()


def test_a_program_a_user_could_change_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to create root-owned and user-owned files")
    folder = tmp_path / "bin"
    folder.mkdir(mode=0o755)
    program = folder / "nocontact"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    linux._check_root_owned(program)  # root-owned all the way up: fine
    program.chmod(0o775)
    with pytest.raises(HelperServiceError, match="writable by group or others"):
        linux._check_root_owned(program)
    program.chmod(0o755)
    os.chown(folder, 1000, 1000)
    with pytest.raises(HelperServiceError, match="owned by uid 1000"):
        linux._check_root_owned(program)


def test_the_program_check_covers_the_interpreter_and_the_package(tmp_path: Path) -> None:
    program = tmp_path / "nocontact"
    program.write_text("#!/opt/python/bin/python3 -I\nimport sys\n")
    paths = linux._helper_program_paths(str(program))
    assert paths[0] == program
    assert Path("/opt/python/bin/python3") in paths
    assert (REPO / "nocontact_desktop") in [p.resolve() for p in paths]


def test_uninstall_stops_removes_the_unit_the_state_and_the_section(tmp_path: Path) -> None:
    unit_dir = tmp_path / "units"
    unit_dir.mkdir()
    (unit_dir / linux.HELPER_UNIT_NAME).write_text("x")
    state = tmp_path / "state"
    state.mkdir()
    (state / "state.json").write_text("{}")
    hosts = tmp_path / "hosts"
    original = b"127.0.0.1 localhost\n"
    from nocontact_desktop.core.blocking.hosts_section import apply_section

    hosts.write_bytes(apply_section(original, ["example.com"]))
    runner = FakeRunner()
    linux.uninstall_helper(runner=runner, unit_dir=unit_dir, hosts_file=hosts, state_dir=state,
                           euid=0, booted=True)
    assert runner.calls == [
        ["systemctl", "disable", "--now", "nocontact-helper.service"],
        ["systemctl", "daemon-reload"],
    ]
    assert not (unit_dir / linux.HELPER_UNIT_NAME).exists()
    assert not state.exists()
    assert hosts.read_bytes() == original


def test_uninstall_as_a_user_reruns_itself_through_pkexec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linux.shutil, "which", lambda name: f"/usr/bin/{name}")
    runner = FakeRunner()
    linux.uninstall_helper("/usr/bin/nocontact", runner=runner, unit_dir=tmp_path, euid=1000,
                           booted=True)
    assert runner.calls == [["pkexec", "/usr/bin/nocontact", "helper", "uninstall"]]


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("active\n", "running"),
        ("inactive\n", "stopped"),
        ("failed\n", "failed"),
        ("activating\n", "starting"),
        ("", "unknown: no answer from systemctl"),
    ],
)
def test_status_reads_systemctl_is_active(tmp_path: Path, answer: str, status: str) -> None:
    (tmp_path / linux.HELPER_UNIT_NAME).write_text("x")
    runner = FakeRunner({("systemctl", "is-active"): (0, answer)})
    assert linux.helper_service_status(runner=runner, unit_dir=tmp_path, booted=True) == status
    assert runner.calls == [["systemctl", "is-active", "nocontact-helper.service"]]


def test_status_without_a_unit_is_not_installed(tmp_path: Path) -> None:
    runner = FakeRunner()
    assert linux.helper_service_status(runner=runner, unit_dir=tmp_path, booted=True) == (
        "not installed"
    )
    assert runner.calls == []


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
