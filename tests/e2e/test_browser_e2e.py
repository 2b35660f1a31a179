"""A blocked https:// address typed in a real Chromium raises one dialog; a pass expires."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.root]

SCENARIO = Path(__file__).with_name("browser_scenario.py")


def test_chromium_hits_the_listener_and_one_dialog_appears(artifacts: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: unshare -m, bind mounts over /etc and ports 80/443")
    for tool in ("unshare", "chromium", "Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (installed by ./run tests as root)")
    for port in (443, 80):
        with __import__("socket").socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                pytest.skip(f"port {port} on 127.0.0.1 is taken by another program")
    root = Path(tempfile.mkdtemp(prefix="nocontact-browser-"))
    try:
        result = subprocess.run(
            ["unshare", "-m", sys.executable, str(SCENARIO), str(root), str(artifacts)],
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        report = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert report["resolved_blocked"] == ["127.0.0.1", "::1"]
    assert "www.instagram.com" in report["hits"]  # the listener saw the SNI
    assert report["dialog_shown"]
    assert report["dialogs_on_screen"] == 1
    assert report["dialogs_shown_in_log"] == 1
    assert report["dialogs_after_close"] == 0
    assert report["attempts"] == [["dismissed", "instagram.com"]]
    # During a pass the name stays on loopback: the listener splices the pass's connections
    # through to the real site and cuts them at expiry (issue 15).
    assert report["during_pass"] == ["127.0.0.1", "::1"]
    assert report["after_pass"] == ["127.0.0.1", "::1"]
    assert report["pass_events"][:2] == ["pass_started", "pass_expired"]
    assert not report["tray_traceback"]
