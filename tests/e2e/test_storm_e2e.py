"""A storm of 2,000 connections in one second from 50 clients: all handled, one dialog.

The whole chain is real: the helper process (listener on unprivileged loopback ports, a
throwaway hosts file), the tray app on Xvfb subscribed to it, and a separate storm process
sending real ClientHellos and HTTP requests. Memory growth of the helper and the tray app
is measured from /proc.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.xsession import wait_for, xsession

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(sys.platform != "linux", reason="X11, /proc")]

STORM = Path(__file__).resolve().parents[1] / "integration" / "storm_client.py"
NOCONTACT = [sys.executable, "-m", "nocontact_desktop"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def visible_dialogs(env: dict[str, str]) -> int:
    out = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "Take a breath"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return len(out.stdout.split())


def test_storm_gives_one_dialog_and_bounded_memory(tmp_path: Path, artifacts: Path) -> None:
    with xsession() as session:
        sock, https, http = tmp_path / "helper.sock", free_port(), free_port()
        hosts = tmp_path / "hosts"
        hosts.write_text("127.0.0.1 localhost\n")
        env = dict(session.env, HOME=str(tmp_path), PYTHONUNBUFFERED="1")
        env["XDG_CONFIG_HOME"] = str(tmp_path / "cfg")
        cli = [*NOCONTACT, "--data-dir", str(tmp_path / "data"), "--socket", str(sock)]
        subprocess.run([*cli, "start"], env=env, check=True, capture_output=True)
        subprocess.run(
            [*cli, "block", "add", "instagram"], env=env, check=True, capture_output=True
        )
        with (tmp_path / "helper.log").open("wb") as log:
            helper = subprocess.Popen(
                [
                    *NOCONTACT,
                    "helper",
                    "run",
                    "--hosts-file",
                    str(hosts),
                    "--socket",
                    str(sock),
                    "--state-dir",
                    str(tmp_path / "state"),
                    "--allow-uid",
                    str(os.getuid()),
                    "--listen-address",
                    "127.0.0.1",
                    "--https-port",
                    str(https),
                    "--http-port",
                    str(http),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        session.processes.append(helper)
        wait_for(sock.exists, 15, "the helper's socket")
        subprocess.run(
            [*cli, "block", "add", "instagram"], env=env, check=True, capture_output=True
        )
        tray_log = tmp_path / "tray.log"
        with tray_log.open("wb") as log:
            tray = subprocess.Popen([*cli, "tray"], env=env, stdout=log, stderr=subprocess.STDOUT)
        session.processes.append(tray)
        wait_for(lambda: b"helper connected" in tray_log.read_bytes(), 20, "the tray to connect")
        time.sleep(0.5)
        helper_before, tray_before = rss_mb(helper.pid), rss_mb(tray.pid)

        storm = subprocess.run(
            [
                sys.executable,
                str(STORM),
                "--https",
                f"127.0.0.1:{https}",
                "--http",
                f"127.0.0.1:{http}",
                "--connections",
                "2000",
                "--clients",
                "50",
                "--seconds",
                "1.0",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        report = json.loads(storm.stdout.strip().splitlines()[-1])
        wait_for(lambda: visible_dialogs(env) >= 1, 20, "the dialog after the storm")
        time.sleep(1.5)  # late events must still fold into the same dialog
        session.screenshot(artifacts / "storm_dialog.png")

        assert sum(report["sent"].values()) == 2000
        ended = report["outcomes"]
        assert sum(ended.values()) == 2000
        assert all(key.endswith(":closed") for key in ended), ended  # every one closed by us
        assert visible_dialogs(env) == 1
        assert tray_log.read_bytes().count(b"reflect dialog shown") == 1
        assert rss_mb(helper.pid) - helper_before <= 10.0
        assert rss_mb(tray.pid) - tray_before <= 10.0
        assert helper.poll() is None
        assert tray.poll() is None
