"""Install, for real (DESIGN §10; issue 10): the .deb on a booted Debian 12, systemd as PID 1.

One container for the module; the tests run in order and each leaves the system as the next
one expects (install -> checks -> helper on -> upgrade -> reboot -> remove -> purge), the way a
person would go through it. Everything inside is offline (``--private-network``): the package
brings its Python libraries as wheels.

To add a step, write a test between two existing ones that uses ``box`` (``box.run``,
``box.sh``, ``box.check`` as root or ``user=USER``; ``box.helper_request``; ``box.reboot()``;
``box.install_deb(build_deb("+t3"))``) and leaves the helper as it found it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from debian_box import OTHER, USER, USER_UID, Box, record

DebBuilder = Callable[..., Path]

pytestmark = [pytest.mark.root, pytest.mark.slow, pytest.mark.timeout(1800)]

UNIT = "nocontact-helper.service"
SOCKET = "/run/nocontact/helper.sock"
# The hosts file before the package arrives: comments, tabs, no newline at the end. Removing
# the package must give back exactly these bytes.
ORIGINAL_HOSTS = (
    b"127.0.0.1\tlocalhost\n127.0.1.1\tnctest\n\n"
    b"# The following lines are desirable for IPv6 capable hosts\n"
    b"::1     localhost ip6-localhost ip6-loopback\n"
    b"ff02::1 ip6-allnodes\nff02::2 ip6-allrouters"
)
BLOCKED = ["instagram.com", "www.instagram.com"]
BEGIN_MARKER = b"# >>> local name overrides"


def _version(deb: Path) -> str:
    return deb.name.split("_")[1]


def turn_on_helper(box: Box, uid: int) -> float:
    """Enable the packaged unit for ``uid`` as root; seconds until the helper answers.

    Phase 1 stand-in for "Turn on blocking…": the drop-in that `nocontact helper install` is
    to write (see lib/systemd/system/nocontact-helper.service). Phase 2 replaces this with
    `pkexec /usr/bin/nocontact helper install` as the user, under a polkit rule.
    """
    box.check(["mkdir", "-p", f"/etc/systemd/system/{UNIT}.d"])
    box.write_file(
        f"/etc/systemd/system/{UNIT}.d/allow.conf",
        f'[Service]\nEnvironment="NOCONTACT_HELPER_ALLOW=--allow-uid {uid}"\n',
    )
    started = time.monotonic()
    box.check(["systemctl", "daemon-reload"])
    box.check(["systemctl", "enable", "--now", UNIT])
    box.wait_for(f"test -S {SOCKET}", timeout=30)
    return time.monotonic() - started


def test_the_package_installs_offline(box: Box, build_deb: DebBuilder) -> None:
    deb = build_deb()
    box.write_file("/etc/hosts", ORIGINAL_HOSTS)
    started = time.monotonic()
    result = box.install_deb(deb)
    record("apt-get install ./nocontact.deb (offline)", time.monotonic() - started)
    assert result.ok, str(result)
    status = box.check(["dpkg-query", "-W", "-f=${Status} ${Version}", "nocontact"]).out
    assert status == f"install ok installed {_version(deb)}"
    assert box.read_file("/etc/hosts") == ORIGINAL_HOSTS, "installing must not touch /etc/hosts"


def test_the_program_is_root_owned(box: Box) -> None:
    # Everything root executes, and the folders above it, writable by root only.
    script = r"""
import os, stat, sys
bad = []
def check(path):
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        if info.st_uid != 0:
            bad.append(f"{path}: link owned by uid {info.st_uid}")
        return
    if info.st_uid != 0 or info.st_gid != 0:
        bad.append(f"{path}: owned by {info.st_uid}:{info.st_gid}")
    if info.st_mode & 0o022:
        bad.append(f"{path}: mode {stat.filemode(info.st_mode)}")
for top in ("/opt/nocontact", "/usr/lib/nocontact"):
    for folder, dirs, files in os.walk(top):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            check(name)
for path in ("/opt", "/usr/bin/nocontact", os.path.realpath("/opt/nocontact/venv")):
    check(path)
print("\n".join(bad[:20]))
sys.exit(1 if bad else 0)
"""
    result = box.run(["python3", "-I", "-c", script])
    assert result.ok, f"not root-only:\n{result.out}{result.err}"
    link = box.check(["readlink", "/opt/nocontact/venv"]).out.strip()
    assert link.startswith("venv-"), link
    assert box.check(["ls", "/opt/nocontact"]).out.split() == ["venv", link]
    shebang = box.read_file("/opt/nocontact/venv/bin/nocontact").splitlines()[0]
    assert shebang == b"#!/opt/nocontact/venv/bin/python", "programs must name the stable path"


def test_the_installed_package_carries_its_resources(box: Box) -> None:
    script = (
        "import importlib.resources as r\n"
        "base = r.files('nocontact_desktop') / 'resources'\n"
        "names = ['blocklist_presets.json', 'gate_presets.json', 'icons/nocontact.svg']\n"
        "print(' '.join(n for n in names if not base.joinpath(n).is_file()))\n"
    )
    result = box.check(["/opt/nocontact/venv/bin/python", "-I", "-c", script], user=USER)
    assert result.out.strip() == "", f"missing from the installed package: {result.out}"


def test_unit_policy_desktop_entry_and_icons_are_in_place(box: Box) -> None:
    unit = box.check(["systemctl", "cat", UNIT]).out
    assert "ExecStart=/usr/bin/nocontact helper run $NOCONTACT_HELPER_ALLOW" in unit
    # Installed, not enabled: blocking starts when a user turns it on.
    assert box.run(["systemctl", "is-enabled", UNIT]).out.strip() == "disabled"
    assert box.run(["systemctl", "is-active", UNIT]).out.strip() == "inactive"
    action = box.check(["pkaction", "--verbose", "--action-id", "org.nocontact.helper.install"])
    assert "org.freedesktop.policykit.exec.path -> /usr/bin/nocontact" in action.out
    assert re.search(r"implicit active:\s+auth_admin", action.out), action.out
    desktop = box.read_file("/usr/share/applications/nocontact.desktop").decode()
    assert "Exec=nocontact\n" in desktop and "Icon=nocontact\n" in desktop
    icons = box.check(["find", "/usr/share/icons/hicolor", "-name", "nocontact.*"]).out.split()
    assert "/usr/share/icons/hicolor/scalable/apps/nocontact.svg" in icons
    assert "/usr/share/icons/hicolor/48x48/apps/nocontact.png" in icons
    assert box.read_file("/usr/share/icons/hicolor/48x48/apps/nocontact.png")[:4] == b"\x89PNG"


def test_pkexec_runs_the_program_the_policy_names(box: Box) -> None:
    # The policy's exec.path and argv1 make `pkexec /usr/bin/nocontact helper ...` the
    # project's own action (its message, auth_admin); a rule grants it to the test user only.
    box.grant_polkit(USER)
    allowed = box.run(["pkexec", "/usr/bin/nocontact", "helper", "status"], user=USER)
    assert allowed.out.startswith("service: not installed"), str(allowed)  # it ran (as root)
    refused = box.run(["pkexec", "/usr/bin/nocontact", "helper", "status"], user=OTHER)
    assert refused.rc == 127 and refused.out == "", str(refused)  # pkexec: not authorized


def test_nocontact_runs_as_the_user(box: Box, build_deb: DebBuilder) -> None:
    result = box.check(["nocontact", "--version"], user=USER)
    assert result.out.strip() == "nocontact " + _version(build_deb()).split("+")[0]
    status = json.loads(box.check(["nocontact", "status", "--json"], user=USER).out)
    assert status["streak_days"] >= 0


def test_the_packaged_unit_runs_the_helper(box: Box) -> None:
    record("helper enabled -> socket answers", turn_on_helper(box, USER_UID))
    assert box.run(["systemctl", "is-active", UNIT]).out.strip() == "active"
    reply = box.helper_request({"v": 1, "cmd": "set_blocklist", "domains": BLOCKED}, user=USER)
    assert reply["ok"] is True, reply
    hosts = box.read_file("/etc/hosts")
    assert hosts.startswith(ORIGINAL_HOSTS) and BEGIN_MARKER in hosts
    lookup = box.check(["getent", "ahosts", "www.instagram.com"]).out.split()
    assert {"127.0.0.1", "::1"} <= set(lookup), lookup
    security = box.check(["systemd-analyze", "security", "--no-pager", UNIT]).out
    exposure = re.search(r"Overall exposure level for \S+: ([0-9.]+)", security)
    assert exposure, security
    record("systemd-analyze security exposure (0-10, lower is safer)", float(exposure[1]))
    refused = box.helper_request({"v": 1, "cmd": "get_state"}, user=OTHER)
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden", refused  # type: ignore[index]


def test_installing_a_newer_build_restarts_the_helper(box: Box, build_deb: DebBuilder) -> None:
    newer = build_deb("+t2")
    before = box.unit_property(UNIT, "MainPID")
    started = time.monotonic()
    result = box.install_deb(newer)
    assert result.ok, str(result)
    record("upgrade: apt-get install newer .deb, helper restarted", time.monotonic() - started)
    assert box.run(["systemctl", "is-active", UNIT]).out.strip() == "active", box.journal(UNIT)
    assert box.unit_property(UNIT, "MainPID") not in (before, "0")
    assert box.check(["dpkg-query", "-W", "-f=${Version}", "nocontact"]).out == _version(newer)
    venvs = box.check(["ls", "/opt/nocontact"]).out.split()
    assert len(venvs) == 2 and "venv" in venvs, f"the old environment must go: {venvs}"
    box.wait_for("grep -q '^127.0.0.1 www.instagram.com$' /etc/hosts", timeout=10)


def test_a_reboot_keeps_the_helper_and_the_section(box: Box) -> None:
    seconds = box.reboot()
    record("reboot -> booted", seconds)
    started = time.monotonic()
    box.wait_for(f"systemctl is-active --quiet {UNIT} && test -S {SOCKET}", timeout=30)
    record("booted -> helper answers", time.monotonic() - started)
    assert BEGIN_MARKER in box.read_file("/etc/hosts")
    assert "127.0.0.1" in box.check(["getent", "ahosts", "instagram.com"]).out


def test_removing_the_package_restores_the_hosts_file_byte_for_byte(box: Box) -> None:
    assert BEGIN_MARKER in box.read_file("/etc/hosts")
    result = box.remove_package()
    assert result.ok, str(result)
    assert box.read_file("/etc/hosts") == ORIGINAL_HOSTS
    assert box.run(["systemctl", "is-active", UNIT]).out.strip() in ("inactive", "unknown")
    leftovers = box.run(
        ["sh", "-c", f"ls -d /opt/nocontact /etc/systemd/system/*.wants/{UNIT} "
         f"/etc/systemd/system/{UNIT}.d 2>/dev/null"]
    ).out
    assert leftovers == "", f"left behind after removal: {leftovers}"
    assert box.run(["nocontact", "--version"], user=USER).rc == 127


def test_purging_removes_the_helper_state(box: Box) -> None:
    assert box.run(["test", "-d", "/var/lib/nocontact-helper"]).ok, "state is kept until purge"
    result = box.remove_package(purge=True)
    assert result.ok, str(result)
    assert not box.run(["test", "-e", "/var/lib/nocontact-helper"]).ok
    assert box.run(["dpkg-query", "-W", "nocontact"]).rc != 0
    assert box.read_file("/etc/hosts") == ORIGINAL_HOSTS
