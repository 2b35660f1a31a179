"""The section in a real /etc/hosts, seen by the real resolver (DESIGN §10, "Hosts").

Inside a private mount namespace (``unshare -m``, needs root) a throwaway hosts file is
bind-mounted over ``/etc/hosts`` — the machine's own file is never touched. A bind-mounted file
cannot be renamed over (EBUSY), so this also exercises the in-place fallback of
``write_atomic``. ``/etc/nsswitch.conf`` is replaced inside the namespace by ``hosts: files``,
so no lookup here can leave the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]

ORIGINAL = (
    b"127.0.0.1\tlocalhost\n"
    b"::1\tlocalhost ip6-localhost ip6-loopback\n"
    b"# a comment the user wrote, caf\xe9\n"
    b"10.9.8.7 nas-box.test   # the NAS\n"
    b"ff02::1 ip6-allnodes"  # no final newline: must come back exactly like this
)

SCRIPT = r"""
import json, os, socket, subprocess, sys
from nocontact_desktop.core.blocking.hosts_section import apply_to_file, remove_from_file

hosts, nsswitch = sys.argv[1], sys.argv[2]
# Private propagation: nothing mounted here is seen outside the namespace.
subprocess.run(["mount", "--make-rprivate", "/"], check=True)
subprocess.run(["mount", "--bind", hosts, "/etc/hosts"], check=True)
subprocess.run(["mount", "--bind", nsswitch, "/etc/nsswitch.conf"], check=True)

def lookup(name, family):
    try:
        infos = socket.getaddrinfo(name, 443, family, socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({info[4][0] for info in infos})

report = {"inode_before": os.stat("/etc/hosts").st_ino}
report["nas_before"] = lookup("nas-box.test", socket.AF_INET)
names = ["blocked.nocontact-test.example", "www.blocked.nocontact-test.example"]
report["changed"] = apply_to_file("/etc/hosts", names)
report["changed_again"] = apply_to_file("/etc/hosts", names)
report["inode_after"] = os.stat("/etc/hosts").st_ino
report["blocked_v4"] = lookup("blocked.nocontact-test.example", socket.AF_INET)
report["blocked_v6"] = lookup("blocked.nocontact-test.example", socket.AF_INET6)
report["www_v4"] = lookup("www.blocked.nocontact-test.example", socket.AF_INET)
report["nas_after"] = lookup("nas-box.test", socket.AF_INET)
report["localhost_after"] = lookup("localhost", socket.AF_INET)
with open("/etc/hosts", "rb") as f:
    report["applied"] = f.read().decode("latin-1")
report["removed"] = remove_from_file("/etc/hosts")
report["blocked_after_remove"] = lookup("blocked.nocontact-test.example", socket.AF_INET)
print(json.dumps(report))
"""


def _run_in_namespace(tmp_path: Path) -> dict[str, object]:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root: bind-mounting over /etc/hosts in a mount namespace")
    unshare = shutil.which("unshare")
    if unshare is None or shutil.which("mount") is None:
        pytest.skip("needs unshare and mount (util-linux) to make a private mount namespace")
    hosts = tmp_path / "hosts"
    hosts.write_bytes(ORIGINAL)
    hosts.chmod(0o644)
    nsswitch = tmp_path / "nsswitch.conf"
    nsswitch.write_text("hosts: files\n")
    script = tmp_path / "in_namespace.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [unshare, "-m", sys.executable, str(script), str(hosts), str(nsswitch)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    if result.returncode != 0 and "unshare failed" in result.stderr:
        pytest.skip(f"this machine does not allow a mount namespace: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    report["file_after"] = hosts.read_bytes()
    return report


def test_blocked_names_resolve_to_loopback_through_a_bind_mounted_hosts_file(
    tmp_path: Path,
) -> None:
    report = _run_in_namespace(tmp_path)

    assert report["changed"] is True
    assert report["changed_again"] is False
    # rename(2) over a mount point fails; the content went into the same inode instead.
    assert report["inode_after"] == report["inode_before"]
    assert report["blocked_v4"] == ["127.0.0.1"]
    assert report["blocked_v6"] == ["::1"]
    assert report["www_v4"] == ["127.0.0.1"]
    # A name the user had in the file is unchanged.
    assert report["nas_before"] == report["nas_after"] == ["10.9.8.7"]
    assert report["localhost_after"] == ["127.0.0.1"]
    applied = str(report["applied"]).encode("latin-1")
    assert applied.startswith(ORIGINAL + b"\n# >>> local name overrides")

    # Removal restores the file byte for byte and the name no longer resolves.
    assert report["removed"] is True
    assert report["blocked_after_remove"] == []
    assert report["file_after"] == ORIGINAL
