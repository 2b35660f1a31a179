"""A real browser meets a blocked site; runs inside ``unshare -m`` (see test_browser_e2e.py).

Everything a person has is real here: a throwaway hosts file bind-mounted over /etc/hosts
(plus ``hosts: files`` in nsswitch and a loopback-only resolv.conf, so no lookup leaves the
machine), the helper started with `nocontact helper run`, the tray app on an Xvfb display,
and Debian's Chromium, headless, typing the address. Prints one JSON report.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

NOCONTACT = [sys.executable, "-m", "nocontact_desktop"]
PROFILE = "https://www.instagram.com/someone.they.were/"
HOSTS = b"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n# a comment the user wrote\n"


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def lookup(name: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(name, 443, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({str(info[4][0]) for info in infos})


def wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1024x700x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        number = pipe.readline().decode().strip()
    return xvfb, f":{number}"


def windows_named(name: str, env: dict[str, str]) -> list[str]:
    out = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", name],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.split()


def main() -> int:
    root, artifacts = Path(sys.argv[1]), Path(sys.argv[2])
    data, sock, state = root / "data", root / "run" / "helper.sock", root / "state"
    hosts, nsswitch, resolv = root / "hosts", root / "nsswitch.conf", root / "resolv.conf"
    hosts.write_bytes(HOSTS)
    nsswitch.write_text("hosts: files\n")
    resolv.write_text("nameserver 127.0.0.1\n")
    mount("--make-rprivate", "/")
    mount("--bind", str(hosts), "/etc/hosts")
    mount("--bind", str(nsswitch), "/etc/nsswitch.conf")
    mount("--bind", str(resolv), "/etc/resolv.conf")

    report: dict[str, Any] = {}
    base = {**os.environ, "HOME": str(root), "XDG_CONFIG_HOME": str(root / "cfg")}
    base.pop("DBUS_SESSION_BUS_ADDRESS", None)
    cli = [*NOCONTACT, "--data-dir", str(data), "--socket", str(sock)]
    subprocess.run(
        [*cli, "start", "--at", "2026-01-01T09:00:00+00:00"],
        env=base,
        check=True,
        capture_output=True,
    )
    subprocess.run([*cli, "block", "add", PROFILE], env=base, check=True, capture_output=True)

    procs: list[subprocess.Popen[Any]] = []
    try:
        helper_log = (root / "helper.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    *NOCONTACT,
                    "helper",
                    "run",
                    "--hosts-file",
                    "/etc/hosts",
                    "--socket",
                    str(sock),
                    "--state-dir",
                    str(state),
                    "--allow-uid",
                    "0",
                    "--pass-minute-seconds",
                    "3",
                ],
                env=base,
                stdout=helper_log,
                stderr=subprocess.STDOUT,
            )
        )
        helper_log.close()
        assert wait_for(sock.exists, 15), "the helper did not start"
        subprocess.run([*cli, "block", "add", PROFILE], env=base, check=True, capture_output=True)
        report["resolved_blocked"] = lookup("www.instagram.com")

        events_log = (root / "events.log").open("wb")
        procs.append(subprocess.Popen([*cli, "helper", "events"], env=base, stdout=events_log))
        events_log.close()

        xvfb, display = start_xvfb()
        procs.append(xvfb)
        env = {**base, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "PYTHONUNBUFFERED": "1"}
        tray_log_path = root / "tray.log"
        with tray_log_path.open("wb") as tray_log:
            procs.append(
                subprocess.Popen([*cli, "tray"], env=env, stdout=tray_log, stderr=subprocess.STDOUT)
            )
        assert wait_for(lambda: b"helper connected" in tray_log_path.read_bytes(), 20), (
            "the tray app did not connect to the helper"
        )

        profile_dir = root / "chromium-profile"
        chromium = subprocess.Popen(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-features=DnsOverHttps",
                f"--user-data-dir={profile_dir}",
                "--dump-dom",
                PROFILE,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(chromium)
        shown = wait_for(lambda: b"reflect dialog shown" in tray_log_path.read_bytes(), 30)
        report["dialog_shown"] = shown
        try:
            chromium.wait(timeout=20)
        except subprocess.TimeoutExpired:
            chromium.kill()
        time.sleep(1.5)  # browser retries arrive; they must fold into the same dialog
        report["dialogs_on_screen"] = len(windows_named("Take a breath", env))
        report["dialogs_shown_in_log"] = tray_log_path.read_bytes().count(b"reflect dialog shown")
        subprocess.run(
            ["import", "-window", "root", str(artifacts / "reflect_dialog.png")],
            env=env,
            check=False,
            timeout=30,
        )
        events = [
            json.loads(line)
            for line in (root / "events.log").read_text().splitlines()
            if line.strip()
        ]
        report["hits"] = sorted({e["domain"] for e in events if e.get("event") == "blocked_hit"})

        # "Close — I'm staying strong" is the default button: Return presses it.
        for _ in range(5):
            dialog = windows_named("Take a breath", env)
            if not dialog:
                break
            subprocess.run(
                ["xdotool", "key", "--window", dialog[0], "Return"],
                env=env,
                check=False,
                capture_output=True,
            )
            if wait_for(lambda: not windows_named("Take a breath", env), 5):
                break
        report["dialogs_after_close"] = len(windows_named("Take a breath", env))
        time.sleep(0.5)
        export = root / "export.json"
        subprocess.run([*cli, "export", str(export)], env=base, check=True, capture_output=True)
        exported = json.loads(export.read_text())
        report["attempts"] = [
            [e["outcome"], e["subject"]]
            for e in exported["events"]
            if e["kind"] == "blocked_attempt"
        ]

        # A pass (the helper runs with 3-second "minutes"): the name stays on loopback during
        # it (the listener hands its connections through) and after it.
        from nocontact_desktop.core.helper_link.client import HelperClient

        domains = json.loads(
            subprocess.run(
                [*cli, "block", "list", "--json"],
                env=base,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )[0]["domains"]
        HelperClient(sock).begin_reflect(domains, 5)  # 5 s countdown, scaled by the knob
        time.sleep(5 * 3 / 60 + 0.1)
        HelperClient(sock).grant_pass(domains, 1)
        report["during_pass"] = lookup("www.instagram.com")
        wait_for(lambda: b"pass_expired" in (root / "events.log").read_bytes(), 15)
        report["after_pass"] = lookup("www.instagram.com")
        wait_for(lambda: b"pass_expired" in (root / "events.log").read_bytes(), 10)
        events = [
            json.loads(line)
            for line in (root / "events.log").read_text().splitlines()
            if line.strip()
        ]
        report["pass_events"] = [e["event"] for e in events if e["event"].startswith("pass_")]
        report["tray_traceback"] = b"Traceback" in tray_log_path.read_bytes()
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
