"""Installing the helper as a systemd service on Linux (DESIGN §2, §10; issue 10).

The systemctl/pkexec sequences run over fakes; the files are written for real into temporary
folders; the copied helper really runs on this machine's system Python. The real thing, in a
booted Debian, is tests/install/test_systemd_install.py.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import socket
import stat
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

import pytest

from nocontact_desktop import __version__
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.helper_link.client import HelperServiceError
from nocontact_desktop.helper import main as helper_main
from nocontact_desktop.platform import linux
from tests.helpers.helper_harness import RunningHelper, make_root

REPO = Path(__file__).resolve().parents[2]
UNIT = linux.HELPER_UNIT_NAME
needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: the copy's folders must be root-owned"
)


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


class FakeElevator:
    """Stands in for pkexec: records argv and standard input, answers with ``rc``."""

    def __init__(self, rc: int = 0, err: str = "") -> None:
        self.rc = rc
        self.err = err
        self.calls: list[tuple[list[str], str | None]] = []

    def __call__(self, argv: Sequence[str], stdin: str | None) -> subprocess.CompletedProcess[str]:
        self.calls.append((list(argv), stdin))
        return subprocess.CompletedProcess(list(argv), self.rc, "", self.err)


def no_check(executable: str) -> None:
    assert executable == linux.PACKAGED_PROGRAM


def packaged_paths(tmp_path: Path) -> linux.HelperPaths:
    packaged = tmp_path / "lib" / UNIT
    packaged.parent.mkdir()
    packaged.write_text(linux.render_helper_unit(linux.PACKAGED_PROGRAM))
    return copy_paths(tmp_path, packaged_units=(packaged,))


def copy_paths(tmp_path: Path, **changes: object) -> linux.HelperPaths:
    (tmp_path / "etc").mkdir(exist_ok=True)
    values: dict[str, object] = {
        "unit_dir": tmp_path / "etc",
        "packaged_units": (tmp_path / "nowhere" / UNIT,),
        "local_dir": tmp_path / "local" / "nocontact-helper",
        "polkit_dir": tmp_path / "actions",
        "python": "/usr/bin/python3",
        "hosts_file": tmp_path / "hosts",
        "state_dir": tmp_path / "state",
    }
    values.update(changes)
    (tmp_path / "local").mkdir(mode=0o755, exist_ok=True)
    return linux.HelperPaths(**values)  # type: ignore[arg-type]


START = [
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "--quiet", UNIT],
    ["systemctl", "restart", UNIT],
]


# --- The unit, the drop-in, the policy, the launcher ---------------------------------------


def test_the_unit_is_notify_and_takes_the_users_from_the_drop_in() -> None:
    lines = linux.render_helper_unit("/usr/bin/nocontact").splitlines()
    assert "Type=notify" in lines and "NotifyAccess=main" in lines
    assert "ExecStart=/usr/bin/nocontact helper run $NOCONTACT_HELPER_ALLOW" in lines
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
    assert shipped == linux.render_helper_unit("/usr/bin/nocontact")


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
        linux.render_helper_unit(executable)


def test_the_drop_in_names_each_allowed_user_once() -> None:
    text = linux.render_allow_drop_in([1001, 1000, 1001])
    assert text.endswith('[Service]\nEnvironment="NOCONTACT_HELPER_ALLOW=--allow-uid 1000 '
                         '--allow-uid 1001"\n')
    assert linux.allowed_uids(text) == [1000, 1001]


@pytest.mark.parametrize("uid", [-1, 2**32, 2**32 - 1])
def test_the_drop_in_refuses_bad_uids(uid: int) -> None:
    with pytest.raises(BadInput, match="not a valid uid"):
        linux.render_allow_drop_in([uid])


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed, so the unit cannot be verified here")
    unit = tmp_path / UNIT
    # ExecStart must name an existing executable for verify to pass.
    unit.write_text(linux.render_helper_unit(os.path.realpath(sys.executable)))
    result = subprocess.run(
        [tool, "verify", str(unit)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def _action(policy: str) -> tuple[str | None, set[str | None], dict[str | None, str | None]]:
    action = ElementTree.fromstring(policy).find("action")  # noqa: S314 - our own text
    assert action is not None
    defaults = action.find("defaults")
    assert defaults is not None
    annotations = {a.get("key"): a.text for a in action.findall("annotate")}
    return action.get("id"), {child.text for child in defaults}, annotations


def test_the_packaged_policy_names_usr_bin_nocontact_and_asks_for_admin() -> None:
    text = (REPO / "installers/linux/org.nocontact.helper.policy").read_text()
    action_id, defaults, annotations = _action(text)
    assert action_id == "org.nocontact.helper.install" and defaults == {"auth_admin"}
    assert annotations["org.freedesktop.policykit.exec.path"] == "/usr/bin/nocontact"


def test_the_copy_policy_names_its_launcher_under_its_own_action() -> None:
    launcher = "/usr/local/lib/nocontact-helper/nocontact-helper"
    action_id, defaults, annotations = _action(linux.render_local_policy(launcher))
    assert action_id == linux.LOCAL_ACTION_ID != "org.nocontact.helper.install"
    assert defaults == {"auth_admin"}
    assert annotations["org.freedesktop.policykit.exec.path"] == launcher
    assert annotations["org.freedesktop.policykit.exec.argv1"] == "helper"


def test_the_launcher_runs_the_system_python_isolated_on_the_copy() -> None:
    text = linux.render_launcher(Path("/usr/local/lib/nocontact-helper/0.1.0-abc"))
    assert text.startswith("#!/usr/bin/python3 -IS\n")
    assert 'sys.path.insert(0, "/usr/local/lib/nocontact-helper/0.1.0-abc")' in text


# --- The copied modules ----------------------------------------------------------------------


def _names(payload: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(payload)).namelist()


def test_the_payload_holds_the_helper_without_qt_and_with_idna() -> None:
    payload = linux.helper_payload()
    names = _names(payload)
    assert "nocontact_desktop/helper/main.py" in names
    assert "nocontact_desktop/cli.py" in names
    assert "idna/core.py" in names
    skipped = ("nocontact_desktop/ui/", "nocontact_desktop/resources/")
    assert not [n for n in names if n.startswith(skipped)]
    assert all(n.endswith(".py") for n in names)
    assert linux.helper_payload() == payload, "the same files must give the same bytes"


def test_the_copy_runs_the_helper_on_the_system_python_without_psutil(tmp_path: Path) -> None:
    python = "/usr/bin/python3"
    check = subprocess.run(
        [python, "-IS", "-c", "import sys; print(sys.version_info >= (3, 11))"],
        capture_output=True, text=True, check=False,
    )
    if check.stdout.strip() != "True":
        pytest.skip("no /usr/bin/python3 3.11 or newer here")
    zipfile.ZipFile(io.BytesIO(linux.helper_payload())).extractall(tmp_path / "v")
    launcher = tmp_path / "nocontact-helper"
    launcher.write_text(linux.render_launcher(tmp_path / "v", python))
    launcher.chmod(0o755)
    assert subprocess.run([str(launcher), "--version"], capture_output=True, text=True,
                          check=True).stdout.strip() == f"nocontact {__version__}"
    probe = (
        f"import sys; sys.path.insert(0, {str(tmp_path / 'v')!r})\n"
        "import nocontact_desktop.cli, nocontact_desktop.helper.main\n"
        "import nocontact_desktop.platform.linux as linux\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(loaded & {'psutil', 'PySide6'}))\n"
    )
    result = subprocess.run([python, "-IS", "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


# --- Install ---------------------------------------------------------------------------------


def test_install_without_systemd_says_so_in_one_line_with_the_manual_way(tmp_path: Path) -> None:
    runner, elevate = FakeRunner(), FakeElevator()
    with pytest.raises(HelperServiceError, match="systemd is not running") as caught:
        linux.install_helper(1000, "/usr/bin/nocontact", runner=runner, elevate=elevate,
                             paths=packaged_paths(tmp_path), booted=False)
    assert "\n" not in str(caught.value)
    assert "/usr/bin/nocontact helper run --allow-uid 1000" in str(caught.value)
    assert runner.calls == [] and elevate.calls == []


def test_install_on_this_machine_reports_that_it_cannot_install() -> None:
    if linux.systemd_running():
        pytest.skip("systemd runs here; this test is for machines and CI without it")
    with pytest.raises(HelperServiceError, match="systemd is not running"):
        linux.install_helper(os.getuid(), "/usr/bin/nocontact", runner=FakeRunner())
    assert linux.helper_service_status().startswith("unavailable: systemd is not running")


def test_packaged_install_as_root_writes_only_the_drop_in_then_restarts(tmp_path: Path) -> None:
    paths, runner = packaged_paths(tmp_path), FakeRunner()
    linux.install_helper(1000, "", runner=runner, paths=paths, euid=0, booted=True,
                         check_program=no_check)
    assert paths.drop_in.read_text() == linux.render_allow_drop_in([1000])
    assert stat.S_IMODE(paths.drop_in.stat().st_mode) == 0o644
    assert not paths.unit.exists()
    assert runner.calls == START, "never enable --now: an old helper would keep running"
    # A second user: both are allowed, and the helper restarts with the new list.
    linux.install_helper(1001, "", runner=runner, paths=paths, euid=0, booted=True,
                         check_program=no_check)
    assert linux.allowed_uids(paths.drop_in.read_text()) == [1000, 1001]
    assert runner.calls == START + START


def test_packaged_install_replaces_a_copied_install(tmp_path: Path) -> None:
    paths = packaged_paths(tmp_path)
    paths.local_dir.mkdir()
    paths.launcher.write_text("#!/usr/bin/python3 -IS\n")
    paths.unit.write_text(linux.render_helper_unit(str(paths.launcher)))
    paths.polkit_dir.mkdir()
    paths.policy.write_text(linux.render_local_policy(str(paths.launcher)))
    linux.install_helper(1000, "", runner=FakeRunner(), paths=paths, euid=0, booted=True,
                         check_program=no_check)
    assert not paths.unit.exists() and not paths.policy.exists()
    assert not paths.local_dir.exists()


def test_packaged_install_leaves_a_foreign_unit_alone_and_says_so(tmp_path: Path) -> None:
    paths, runner = packaged_paths(tmp_path), FakeRunner()
    paths.unit.write_text("[Service]\nExecStart=/usr/local/bin/mine\n")
    with pytest.raises(HelperServiceError, match="was not written by No Contact"):
        linux.install_helper(1000, "", runner=runner, paths=paths, euid=0, booted=True,
                             check_program=no_check)
    assert paths.unit.read_text() == "[Service]\nExecStart=/usr/local/bin/mine\n"
    assert runner.calls == []


def test_a_helper_that_does_not_start_is_left_stopped_and_its_journal_quoted(
    tmp_path: Path,
) -> None:
    runner = FakeRunner({
        ("systemctl", "restart"): (1, ""),
        ("journalctl",): (0, "nocontact-helper ERROR cannot start: port 443 is taken\n"),
    })
    with pytest.raises(HelperServiceError) as caught:
        linux.install_helper(1000, "", runner=runner, paths=packaged_paths(tmp_path), euid=0,
                             booted=True, check_program=no_check)
    first, *rest = str(caught.value).splitlines()
    assert first.startswith("the helper did not start, so blocking is off; its service is left "
                            "stopped (nocontact doctor says how to fix it)")
    assert rest == ["  nocontact-helper ERROR cannot start: port 443 is taken"]
    assert ["systemctl", "stop", UNIT] in runner.calls
    assert runner.calls[-1][:1] == ["journalctl"]


def test_packaged_install_as_a_user_runs_the_program_the_policy_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linux.shutil, "which", lambda name: f"/usr/bin/{name}")
    paths, runner, elevate = packaged_paths(tmp_path), FakeRunner(), FakeElevator()
    linux.install_helper(1000, "/opt/nocontact/venv/bin/nocontact", runner=runner,
                         elevate=elevate, paths=paths, euid=1000, booted=True)
    assert elevate.calls == [(["pkexec", "/usr/bin/nocontact", "helper", "install"], None)]
    assert runner.calls == [] and not paths.drop_in.exists()


def test_copied_install_as_a_user_hands_root_the_modules_on_standard_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linux.shutil, "which", lambda name: f"/usr/bin/{name}")
    # Folders that exist and belong to root on any Linux: nothing is written as a user.
    paths = copy_paths(tmp_path, local_dir=Path("/usr/lib/nocontact-helper-never-made"))
    elevate = FakeElevator()
    linux.install_helper(1000, "/home/me/.venv/bin/nocontact", runner=FakeRunner(),
                         elevate=elevate, paths=paths, euid=1000, booted=True)
    ((argv, stdin),) = elevate.calls
    assert argv[:4] == ["pkexec", "/usr/bin/python3", "-IS", "-c"]
    assert "install_copied_helper" in argv[4]
    assert stdin is not None
    assert "nocontact_desktop/helper/main.py" in _names(base64.b64decode(stdin))


@pytest.mark.parametrize(
    ("rc", "err"),
    [
        (126, "Error executing command as another user: Request dismissed"),
        (127, "Error executing command as another user: Not authorized\n\nThis incident..."),
    ],
)
def test_a_refused_or_cancelled_password_prompt_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rc: int, err: str
) -> None:
    monkeypatch.setattr(linux.shutil, "which", lambda name: f"/usr/bin/{name}")
    paths, runner = packaged_paths(tmp_path), FakeRunner()
    with pytest.raises(HelperServiceError) as caught:
        linux.install_helper(1000, "", runner=runner, elevate=FakeElevator(rc, err),
                             paths=paths, euid=1000, booted=True)
    message = str(caught.value)
    assert message.startswith("Blocking stays off; nothing changed: administrator rights were "
                              "not given (pkexec: Error executing command as another user")
    assert "\n" not in message
    assert runner.calls == [] and not paths.drop_in.exists()


def test_an_elevated_install_that_fails_passes_its_reasons_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linux.shutil, "which", lambda name: f"/usr/bin/{name}")
    elevate = FakeElevator(1, "nocontact: the helper did not start, so blocking is off\n  log\n")
    with pytest.raises(HelperServiceError) as caught:
        linux.install_helper(1000, "", elevate=elevate, paths=packaged_paths(tmp_path),
                             euid=1000, booted=True)
    assert str(caught.value) == "the helper did not start, so blocking is off\n  log"


def test_install_as_a_user_without_pkexec_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linux.shutil, "which", lambda name: None)
    with pytest.raises(HelperServiceError, match=r"nothing changed: .*pkexec is missing .*sudo "
                       r"/usr/bin/nocontact helper install"):
        linux.install_helper(1000, "", elevate=FakeElevator(), paths=packaged_paths(tmp_path),
                             euid=1000, booted=True)


@needs_root
def test_copied_install_as_root_writes_a_root_owned_copy_unit_policy_and_drop_in(
    tmp_path: Path,
) -> None:
    tmp_path.chmod(0o755)
    paths, runner = copy_paths(tmp_path), FakeRunner()
    payload = linux.helper_payload()
    linux.install_helper(1000, "", runner=runner, paths=paths, euid=0, booted=True,
                         payload=payload)
    (version_dir,) = [p for p in paths.local_dir.iterdir() if p.is_dir()]
    assert version_dir.name.startswith(f"{__version__}-")
    for path in [paths.local_dir, *paths.local_dir.rglob("*")]:
        info = path.lstat()
        assert info.st_uid == 0 and not stat.S_ISLNK(info.st_mode), path
        expected = 0o755 if path.is_dir() or path == paths.launcher else 0o644
        assert stat.S_IMODE(info.st_mode) == expected, path
    assert (version_dir / "nocontact_desktop/helper/main.py").is_file()
    assert not (version_dir / "nocontact_desktop/ui").exists()
    assert paths.launcher.read_text() == linux.render_launcher(version_dir)
    assert paths.unit.read_text() == linux.render_helper_unit(str(paths.launcher))
    assert paths.policy.read_text() == linux.render_local_policy(str(paths.launcher))
    assert linux.allowed_uids(paths.drop_in.read_text()) == [1000]
    assert runner.calls == [
        ["/usr/bin/python3", "-IS", "-m", "compileall", "-q", str(version_dir)], *START
    ]
    # An upgrade: a new folder, the launcher moved to it, the old folder gone.
    newer = _with_extra_module(payload)
    linux.install_helper(1001, "", runner=runner, paths=paths, euid=0, booted=True,
                         payload=newer)
    (newest,) = [p for p in paths.local_dir.iterdir() if p.is_dir()]
    assert newest != version_dir and (newest / "nocontact_desktop/extra.py").is_file()
    assert str(newest) in paths.launcher.read_text()
    assert linux.allowed_uids(paths.drop_in.read_text()) == [1000, 1001]


def _with_extra_module(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(payload)) as source, zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            out.writestr(info, source.read(info))
        out.writestr("nocontact_desktop/extra.py", "")
    return buffer.getvalue()


@needs_root
@pytest.mark.parametrize("member", ["../evil.py", "nocontact_desktop/x.so", "/etc/cron.d/x.py"])
def test_copied_install_refuses_files_it_did_not_expect(tmp_path: Path, member: str) -> None:
    tmp_path.chmod(0o755)
    paths = copy_paths(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("nocontact_desktop/helper/main.py", "")
        out.writestr(member, "")
    with pytest.raises(HelperServiceError, match="unexpected file"):
        linux.install_helper(1000, "", runner=FakeRunner(), paths=paths, euid=0, booted=True,
                             payload=buffer.getvalue())
    assert [p.name for p in paths.local_dir.iterdir()] == []
    assert not paths.unit.exists()


@needs_root
def test_copied_install_refuses_a_folder_others_can_write_and_says_why(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    paths, runner = copy_paths(tmp_path), FakeRunner()
    (tmp_path / "local").chmod(0o777)
    with pytest.raises(HelperServiceError) as caught:
        linux.install_helper(1000, "", runner=runner, paths=paths, euid=0, booted=True)
    assert str(caught.value) == (
        f"cannot install the helper's root-owned copy in {paths.local_dir}: {tmp_path / 'local'} "
        "is writable by group or others; the helper runs as root, so its program and every "
        "folder above it must be writable by root only"
    )
    assert runner.calls == [] and not paths.local_dir.exists()


# --- Uninstall and status ------------------------------------------------------------------


@needs_root
def test_uninstall_removes_unit_drop_in_policy_copy_state_and_section(tmp_path: Path) -> None:
    from nocontact_desktop.core.blocking.hosts_section import apply_section

    tmp_path.chmod(0o755)
    paths, runner = copy_paths(tmp_path), FakeRunner()
    linux.install_helper(1000, "", runner=runner, paths=paths, euid=0, booted=True)
    paths.state_dir.mkdir()
    (paths.state_dir / "state.json").write_text("{}")
    original = b"127.0.0.1 localhost\n# mine"
    paths.hosts_file.write_bytes(apply_section(original, ["example.com"]))
    runner.calls.clear()
    linux.uninstall_helper(runner=runner, paths=paths, euid=0, booted=True)
    assert runner.calls == [
        ["systemctl", "disable", "--now", "--quiet", UNIT],
        ["systemctl", "is-active", UNIT],
        ["systemctl", "daemon-reload"],
    ]
    for gone in (paths.unit, paths.drop_in.parent, paths.policy, paths.local_dir, paths.state_dir):
        assert not gone.exists(), gone
    assert paths.hosts_file.read_bytes() == original


def test_uninstall_that_cannot_stop_the_helper_removes_nothing(tmp_path: Path) -> None:
    paths = packaged_paths(tmp_path)
    linux.install_helper(1000, "", runner=FakeRunner(), paths=paths, euid=0, booted=True,
                         check_program=no_check)
    runner = FakeRunner(
        {("systemctl", "disable"): (1, ""), ("systemctl", "is-active"): (0, "active\n")}
    )
    with pytest.raises(HelperServiceError, match=r"could not stop the helper \(boom\); nothing"):
        linux.uninstall_helper(runner=runner, paths=paths, euid=0, booted=True)
    assert paths.drop_in.exists()


def test_uninstall_of_the_packaged_helper_keeps_the_packages_unit(tmp_path: Path) -> None:
    paths = packaged_paths(tmp_path)
    linux.install_helper(1000, "", runner=FakeRunner(), paths=paths, euid=0, booted=True,
                         check_program=no_check)
    paths.hosts_file.write_bytes(b"127.0.0.1 localhost\n")
    linux.uninstall_helper(runner=FakeRunner(), paths=paths, euid=0, booted=True)
    assert not paths.drop_in.parent.exists()
    assert paths.packaged_units[0].exists()


def test_uninstall_as_a_user_runs_the_program_the_policy_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linux.shutil, "which", lambda name: f"/usr/bin/{name}")
    elevate = FakeElevator()
    linux.uninstall_helper("/x", elevate=elevate, paths=packaged_paths(tmp_path), euid=1000,
                           booted=True)
    assert elevate.calls == [(["pkexec", "/usr/bin/nocontact", "helper", "uninstall"], None)]
    with pytest.raises(HelperServiceError, match="not installed here; nothing to remove"):
        linux.uninstall_helper("/x", elevate=elevate, paths=copy_paths(tmp_path / "etc"),
                               euid=1000, booted=True)


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("LoadState=loaded\nUnitFileState=enabled\nActiveState=active\n", "running"),
        ("LoadState=loaded\nUnitFileState=enabled\nActiveState=inactive\n", "stopped"),
        ("LoadState=loaded\nUnitFileState=enabled\nActiveState=failed\n", "failed"),
        ("LoadState=loaded\nUnitFileState=enabled\nActiveState=activating\n", "starting"),
        ("LoadState=loaded\nUnitFileState=disabled\nActiveState=inactive\n", "not installed"),
        ("LoadState=not-found\nUnitFileState=\nActiveState=inactive\n", "not installed"),
        ("", "unknown: boom"),
    ],
)
def test_status_asks_systemctl(answer: str, status: str) -> None:
    runner = FakeRunner({("systemctl", "show"): (0 if answer else 1, answer)})
    assert linux.helper_service_status(runner=runner, booted=True) == status
    assert runner.calls == [[
        "systemctl", "show", "--property=LoadState", "--property=UnitFileState",
        "--property=ActiveState", UNIT,
    ]]


# --- Readiness (Type=notify) -----------------------------------------------------------------


@pytest.mark.parametrize("abstract", [False, True])
def test_notify_sends_one_datagram_to_the_service_manager(tmp_path: Path, abstract: bool) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as manager:
        address = f"\0nc-test-{os.getpid()}" if abstract else str(tmp_path / "notify")
        manager.bind(address)
        manager.settimeout(5)
        shown = "@" + address[1:] if abstract else address
        assert helper_main.notify_systemd("READY=1", {"NOTIFY_SOCKET": shown})
        assert manager.recv(4096) == b"READY=1"
    assert not helper_main.notify_systemd("READY=1", {})


def test_the_helper_says_ready_only_once_it_answers(tmp_path: Path) -> None:
    root = make_root()
    helper = RunningHelper(root)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as manager:
            manager.bind(str(root / "notify"))
            manager.settimeout(15)
            env = {**os.environ, "NOTIFY_SOCKET": str(root / "notify")}
            with open(helper.log, "ab") as log:
                helper.process = subprocess.Popen(
                    helper.command(), stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env
                )
            message = manager.recv(4096)
            assert message.startswith(b"READY=1\n"), message
            assert helper.client().ping(), "READY=1 came before the socket answered"
            helper.stop()
            assert manager.recv(4096) == b"STOPPING=1"
    finally:
        helper.cleanup()
