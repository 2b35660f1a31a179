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
from debian_box import OTHER, OTHER_UID, USER, USER_UID, Box, record

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
DROP_IN = f"/etc/systemd/system/{UNIT}.d/allow.conf"
PROFILE = "https://www.instagram.com/someone/"
WHEELS = "/var/tmp/wheels"  # the package's wheelhouse, kept for the venv route at the end


def _version(deb: Path) -> str:
    return deb.name.split("_")[1]


def helper_pid(box: Box) -> str:
    return box.unit_property(UNIT, "MainPID")


def section_matches(box: Box, user: str = USER) -> bool:
    """The helper answers and says the hosts file holds its list."""
    reply = box.helper_request({"v": 1, "cmd": "get_state"}, user=user)
    result = reply.get("result")
    return isinstance(result, dict) and result.get("section", {}).get("matches") is True


def wait_until_applied(box: Box, timeout: float = 30) -> float:
    """Seconds until the helper answers and the hosts file holds the list."""
    script = (
        f"systemctl is-active --quiet {UNIT} && test -S {SOCKET} && "
        "grep -q '^127.0.0.1 www.instagram.com$' /etc/hosts"
    )
    seconds = box.wait_for(script, timeout=timeout)
    assert section_matches(box)
    return seconds


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
    box.check(["cp", "-r", "/usr/lib/nocontact/wheelhouse", WHEELS])


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
    assert "Type=notify" in unit
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
    # Presets come from the installed package's data (a scratch data folder: the list that
    # matters is saved in the next step).
    scratch = ["--data-dir", f"/home/{USER}/scratch"]
    box.check(["nocontact", *scratch, "block", "add", "instagram"], user=USER)
    listed = json.loads(box.check(["nocontact", *scratch, "block", "list", "--json"],
                                  user=USER).out)
    assert "i.instagram.com" in listed[0]["domains"], listed
    box.check(["nocontact", *scratch, "gate", "add", "signal"], user=USER)
    assert "signal" in box.check(["nocontact", *scratch, "gate", "list"], user=USER).out.lower()


def test_a_refused_password_prompt_changes_nothing(box: Box) -> None:
    box.grant_polkit(OTHER, result="NO")  # polkit says no, as for a cancelled prompt
    try:
        result = box.run(["nocontact", "helper", "install"], user=OTHER)
    finally:
        box.revoke_polkit(OTHER)
    assert result.rc == 1, str(result)
    assert result.err.startswith(
        "nocontact: Blocking stays off; nothing changed: administrator rights were not given "
        "(pkexec: "
    ), str(result)
    assert box.read_file("/etc/hosts") == ORIGINAL_HOSTS
    assert not box.run(["test", "-e", DROP_IN]).ok
    assert box.run(["systemctl", "is-enabled", UNIT]).out.strip() == "disabled"
    assert box.run(["systemctl", "is-active", UNIT]).out.strip() == "inactive"


def test_turning_blocking_on_applies_the_list_saved_before(box: Box) -> None:
    # The person saves a profile link first; with no helper, blocking is off.
    saved = box.run(["nocontact", "block", "add", PROFILE], user=USER)
    assert saved.ok and "blocking is off" in saved.err.lower(), str(saved)
    # "Turn on blocking…": the real CLI path, through pkexec under the project's action.
    started = time.monotonic()
    result = box.run(["nocontact", "helper", "install"], user=USER)
    record("helper install -> list applied (pkexec, restart, reconcile)",
           time.monotonic() - started)
    assert result.ok, f"{result}\n{box.journal(UNIT)}"
    assert result.out.startswith("Blocking is on:"), str(result)
    assert box.run(["systemctl", "is-active", UNIT]).out.strip() == "active"
    assert box.run(["systemctl", "is-enabled", UNIT]).out.strip() == "enabled"
    assert box.read_file(DROP_IN).decode().endswith(
        f'Environment="NOCONTACT_HELPER_ALLOW=--allow-uid {USER_UID}"\n'
    )
    assert box.unit_property(UNIT, "Type") == "notify"
    hosts = box.read_file("/etc/hosts")
    assert hosts.startswith(ORIGINAL_HOSTS) and BEGIN_MARKER in hosts
    assert b"\n127.0.0.1 www.instagram.com\n" in hosts and b"\n::1 instagram.com\n" in hosts
    lookup = box.check(["getent", "ahosts", "www.instagram.com"]).out.split()
    assert {"127.0.0.1", "::1"} <= set(lookup), lookup
    assert section_matches(box)
    security = box.check(["systemd-analyze", "security", "--no-pager", UNIT]).out
    exposure = re.search(r"Overall exposure level for \S+: ([0-9.]+)", security)
    assert exposure, security
    record("systemd-analyze security exposure (0-10, lower is safer)", float(exposure[1]))


def test_a_tls_hello_for_a_listed_name_reaches_the_user_and_nobody_else(box: Box) -> None:
    script = (
        "nocontact helper events > $HOME/events.jsonl 2>&1 & watcher=$!\n"
        "sleep 1\n"
        "python3 -I -c '\n"
        "import socket, ssl\n"
        "raw = socket.create_connection((\"127.0.0.1\", 443), timeout=5)\n"
        "try:\n"
        "    ssl.create_default_context().wrap_socket(raw, server_hostname=\"www.instagram.com\")\n"
        "except (OSError, ssl.SSLError):\n"
        "    pass  # the listener reads the hello and closes\n"
        "'\n"
        "for _ in $(seq 50); do grep -q blocked_hit $HOME/events.jsonl && break; sleep 0.1; done\n"
        "kill $watcher; cat $HOME/events.jsonl\n"
    )
    result = box.sh(script, user=USER, timeout=60)
    events = [json.loads(line) for line in result.out.splitlines() if line.startswith("{")]
    hits = [event for event in events if event.get("event") == "blocked_hit"]
    assert hits and hits[0]["domain"] == "www.instagram.com", str(result)
    refused = box.run(["nocontact", "helper", "events"], user=OTHER, timeout=30)
    assert refused.rc == 1 and "is not allowed to reach the helper" in refused.err, str(refused)
    # Another user cannot even connect: the socket is root's, with one ACL entry per allowed
    # user (issue 13), so a flood from them never reaches the helper's queue.
    probe = box.run(
        ["python3", "-I", "-c",
         "import socket, sys\n"
         "s = socket.socket(socket.AF_UNIX)\n"
         "try:\n"
         "    s.connect('/run/nocontact/helper.sock')\n"
         "except PermissionError:\n"
         "    sys.exit(13)\n"],
        user=OTHER,
    )
    assert probe.rc == 13, str(probe)


def test_the_section_edited_out_is_restored_within_seconds(box: Box) -> None:
    box.write_file("/etc/hosts", ORIGINAL_HOSTS)
    seconds = box.wait_for("grep -q '^127.0.0.1 www.instagram.com$' /etc/hosts", timeout=10)
    record("section edited out -> restored", seconds)
    assert box.read_file("/etc/hosts").startswith(ORIGINAL_HOSTS)


def test_a_second_users_install_restarts_the_helper_with_both_allowed(box: Box) -> None:
    before = helper_pid(box)
    box.grant_polkit(OTHER)
    try:
        result = box.run(["nocontact", "helper", "install"], user=OTHER)
    finally:
        box.revoke_polkit(OTHER)
    # Their own list is empty, so installing for them pushes the empty list: the person's
    # list comes back when their own app reconciles (next step).
    assert result.ok, f"{result}\n{box.journal(UNIT)}"
    assert helper_pid(box) not in (before, "0"), "the helper must restart with the new users"
    assert f"--allow-uid {USER_UID} --allow-uid {OTHER_UID}" in box.read_file(DROP_IN).decode()
    assert box.helper_request({"v": 1, "cmd": "get_state"}, user=OTHER)["ok"] is True
    box.check(["nocontact", "helper", "install"], user=USER)  # re-applies the person's list
    assert section_matches(box)


def test_installing_a_newer_build_restarts_the_helper(box: Box, build_deb: DebBuilder) -> None:
    newer = build_deb("+t2")
    before = helper_pid(box)
    started = time.monotonic()
    result = box.install_deb(newer)
    assert result.ok, str(result)
    record("upgrade: apt-get install newer .deb -> helper restarted", time.monotonic() - started)
    assert box.run(["systemctl", "is-active", UNIT]).out.strip() == "active", box.journal(UNIT)
    assert helper_pid(box) not in (before, "0")
    assert box.check(["dpkg-query", "-W", "-f=${Version}", "nocontact"]).out == _version(newer)
    venvs = box.check(["ls", "/opt/nocontact"]).out.split()
    assert len(venvs) == 2 and "venv" in venvs, f"the old environment must go: {venvs}"
    wait_until_applied(box, timeout=10)


def test_a_reboot_keeps_the_helper_and_the_section(box: Box) -> None:
    started = time.monotonic()
    seconds = box.reboot()
    record("reboot -> booted", seconds)
    booted = time.monotonic()
    wait_until_applied(box)
    record("booted -> helper answers with the list applied", time.monotonic() - booted)
    record("reboot -> list applied", time.monotonic() - started)
    assert "127.0.0.1" in box.check(["getent", "ahosts", "instagram.com"]).out


def test_removing_the_package_restores_the_hosts_file_byte_for_byte(box: Box) -> None:
    assert BEGIN_MARKER in box.read_file("/etc/hosts")
    result = box.remove_package()
    assert result.ok, str(result)
    assert box.read_file("/etc/hosts") == ORIGINAL_HOSTS
    assert box.run(["systemctl", "is-active", UNIT]).out.strip() in ("inactive", "unknown")
    leftovers = box.run(
        ["sh", "-c", f"ls -d /opt/nocontact /etc/systemd/system/*.wants/{UNIT} "
         f"/etc/systemd/system/{UNIT}.d /etc/systemd/system/{UNIT} 2>/dev/null"]
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


# --- Without the package: the wheel in a user's own environment ---------------------------

VENV = f"/home/{USER}/venv"
LOCAL = "/usr/local/lib/nocontact-helper"
LAUNCHER = f"{LOCAL}/nocontact-helper"


def test_a_user_venv_install_runs_a_root_owned_copy_on_the_system_python(box: Box) -> None:
    # The wheel and its libraries (not PySide6: no window here), offline, into the user's venv.
    script = (
        f"python3 -I -m venv --without-pip {VENV} && "
        f"pip=$(ls {WHEELS}/pip-*.whl) && "
        f"{VENV}/bin/python $pip/pip install -q --no-index --find-links {WHEELS} "
        "--disable-pip-version-check APScheduler psutil keyring platformdirs cryptography "
        f"tzlocal idna && {VENV}/bin/python $pip/pip install -q --no-index --no-deps "
        f"--disable-pip-version-check {WHEELS}/nocontact_desktop-*.whl"
    )
    started = time.monotonic()
    box.check(["sh", "-c", script], user=USER, timeout=300)
    record("venv route: wheel into a user venv (offline)", time.monotonic() - started)
    # The first install has no policy of ours yet: pkexec of the system's Python is polkit's
    # own action; later ones (uninstall) run the launcher under the copy's action.
    box.grant_polkit(USER, "org.freedesktop.policykit.exec", program="/usr/bin/python3")
    started = time.monotonic()
    result = box.run([f"{VENV}/bin/nocontact", "helper", "install"], user=USER)
    record("venv route: helper install -> list applied", time.monotonic() - started)
    assert result.ok, f"{result}\n{box.journal(UNIT)}"
    assert result.out.startswith("Blocking is on:"), str(result)
    unit = box.check(["systemctl", "cat", UNIT]).out
    assert f"ExecStart={LAUNCHER} helper run $NOCONTACT_HELPER_ALLOW" in unit
    pid = helper_pid(box)
    assert box.read_file(f"/proc/{pid}/cmdline").split(b"\0")[:3] == [
        b"/usr/bin/python3", b"-IS", LAUNCHER.encode()
    ]
    assert box.run(["python3", "-I", "-c", "import psutil"]).rc != 0, "no psutil on the system"
    owned = box.check(
        ["find", LOCAL, "(", "!", "-user", "root", "-o", "-perm", "/022", "-o", "-type", "l",
         ")"]
    ).out
    assert owned == "", f"not root's alone: {owned}"
    action = box.check(["pkaction", "--verbose", "--action-id", "org.nocontact.helper.local"])
    assert f"org.freedesktop.policykit.exec.path -> {LAUNCHER}" in action.out
    wait_until_applied(box, timeout=5)
    # Uninstall runs the launcher under the copy's own action, and puts everything back.
    box.grant_polkit(USER, "org.nocontact.helper.local")
    result = box.run([f"{VENV}/bin/nocontact", "helper", "uninstall"], user=USER)
    assert result.ok, str(result)
    assert box.read_file("/etc/hosts") == ORIGINAL_HOSTS
    leftovers = box.run(
        ["sh", "-c", f"ls -d {LOCAL} /etc/systemd/system/{UNIT}* "
         "/usr/share/polkit-1/actions/org.nocontact.* 2>/dev/null"]
    ).out
    assert leftovers == "", f"left behind after uninstall: {leftovers}"
    assert box.run(["systemctl", "is-active", UNIT]).out.strip() in ("inactive", "unknown")
