"""The real helper against the real resolver, inside a private mount namespace (DESIGN §10).

``unshare -m`` (root) gives each scenario its own mounts: a throwaway hosts file (or a copy of
/etc) is mounted over the machine's, which is never touched. The scenarios live in
``helper_namespace_scenarios.py`` and report JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.helper_harness import make_root
from tests.helpers.paths import repo_env

pytestmark = pytest.mark.root

SCENARIOS = Path(__file__).resolve().parent / "helper_namespace_scenarios.py"
BLOCKED = "blocked.nocontact-test.example"
WWW_BLOCKED = "www.blocked.nocontact-test.example"


def run_in_namespace(*args: str, timeout: float = 120) -> dict[str, Any]:
    if os.geteuid() != 0:
        pytest.skip("needs root: unshare -m and bind mounts over /etc require it")
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("unshare (util-linux) is not installed, so no private mount namespace")
    probe = subprocess.run([unshare, "-m", "true"], capture_output=True, timeout=30, check=False)
    if probe.returncode != 0:
        pytest.skip(f"unshare -m does not work here: {probe.stderr.decode().strip()}")
    root = make_root()
    try:
        result = subprocess.run(
            [unshare, "-m", sys.executable, str(SCENARIOS), args[0], str(root), *args[1:]],
            env=repo_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_blocked_names_resolve_to_loopback_and_other_names_do_not_change() -> None:
    machine_hosts = Path("/etc/hosts").read_bytes()
    report = run_in_namespace("resolver")
    assert report["before"] == {BLOCKED: [], WWW_BLOCKED: [], "nas-box.test": ["10.9.8.7"]}
    # Both address families of every blocked name go to the listener's loopback addresses.
    assert report["blocked"] == {BLOCKED: ["127.0.0.1", "::1"], WWW_BLOCKED: ["127.0.0.1", "::1"]}
    assert report["blocked_v4"] == ["127.0.0.1"] and report["blocked_v6"] == ["::1"]
    assert report["unrelated"] == ["10.9.8.7"]
    assert report["localhost"] == ["127.0.0.1"]
    # During a pass the names stay on loopback: the listener hands the pass's connections
    # through to the real site and cuts them when it ends (issue 15); revoking keeps them.
    assert report["on_pass"] == ["127.0.0.1", "::1"]
    assert report["after_revoke"] == ["127.0.0.1", "::1"]
    # The original file put back is noticed and the block restored within seconds.
    assert report["right_after_tamper"] == []
    assert report["tamper_restored_in"] is not None and report["tamper_restored_in"] < 5
    # A clean stop leaves the block in place.
    assert report["exit_code"] == 0
    assert report["after_stop"] == ["127.0.0.1", "::1"]
    assert report["file_after_stop_starts_with_original"] is True
    assert Path("/etc/hosts").read_bytes() == machine_hosts


def test_kill_9_at_random_moments_never_leaves_a_partial_hosts_file() -> None:
    machine_hosts = Path("/etc/hosts").read_bytes()
    report = run_in_namespace("crash", "300", "20260307", timeout=180)
    assert report["failures"] == [], report["failures"][:3]
    assert sum(report["versions_seen"].values()) == 300
    # The kills did land inside writes (a temporary file was left behind) ...
    assert report["kills_inside_a_write"] > 0, report
    # ... and the next start cleans those up.
    assert report["leftovers_after_restart"] == []
    assert report["resolver_ok"] is True
    assert Path("/etc/hosts").read_bytes() == machine_hosts
