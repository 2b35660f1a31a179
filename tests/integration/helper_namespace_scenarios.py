"""Scenarios that run inside a private mount namespace: ``unshare -m python THIS SCENARIO ...``.

Each scenario mounts a throwaway file or folder over the machine's own (the mounts vanish with
the namespace, the machine's /etc is never touched), runs the real helper, and prints one JSON
report on stdout for the calling test or benchmark.

- ``resolver ROOT``: a throwaway hosts file bind-mounted over /etc/hosts and ``hosts: files``
  over /etc/nsswitch.conf (no lookup can leave the machine); the helper manages /etc/hosts;
  ``socket.getaddrinfo`` is asked before and after.
- ``crash ROOT TRIALS SEED``: a copy of /etc bind-mounted over /etc, so /etc/hosts is an
  ordinary file that the helper replaces by rename, as on a real machine. Each trial forks a
  child that runs the helper's real entry point (``run_helper``, i.e. ``nocontact helper run``
  without the interpreter start-up), floods it with blocklist changes and kills it with
  SIGKILL at a random moment; the file must then hold one of the complete versions.
- ``bench-resolver ROOT``: getaddrinfo cost with an empty section and a 500-name one.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from nocontact_desktop.core.blocking.hosts_section import apply_section
from nocontact_desktop.core.helper_link.client import (
    HelperClient,
    HelperError,
    HelperUnavailable,
)
from tests.helpers.helper_harness import HOSTS_ORIGINAL, RunningHelper, wait_for

BLOCKED = ["blocked.nocontact-test.example", "www.blocked.nocontact-test.example"]


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


def lookup(name: str, family: int = socket.AF_UNSPEC) -> list[str]:
    try:
        infos = socket.getaddrinfo(name, 443, family, socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    return sorted({str(info[4][0]) for info in infos})


def resolver(root: Path) -> dict[str, Any]:
    hosts = root / "hosts"
    hosts.write_bytes(HOSTS_ORIGINAL)
    nsswitch = root / "nsswitch.conf"
    nsswitch.write_text("hosts: files\n")
    mount("--make-rprivate", "/")
    mount("--bind", str(hosts), "/etc/hosts")
    mount("--bind", str(nsswitch), "/etc/nsswitch.conf")

    report: dict[str, Any] = {}
    report["before"] = {name: lookup(name) for name in [*BLOCKED, "nas-box.test"]}
    helper = RunningHelper(root, hosts_file=Path("/etc/hosts"), hosts_content=None).start()
    try:
        client = helper.client()
        client.set_blocklist(BLOCKED)
        report["blocked"] = {name: lookup(name) for name in BLOCKED}
        report["blocked_v4"] = lookup(BLOCKED[0], socket.AF_INET)
        report["blocked_v6"] = lookup(BLOCKED[0], socket.AF_INET6)
        report["unrelated"] = lookup("nas-box.test")
        report["localhost"] = lookup("localhost", socket.AF_INET)

        client.begin_reflect([BLOCKED[1]], 5)  # a pass starts only after the countdown
        time.sleep(5.1)
        client.grant_pass([BLOCKED[1]], 5)
        report["on_pass"] = lookup(BLOCKED[1])
        client.revoke_pass([BLOCKED[1]])
        report["after_revoke"] = lookup(BLOCKED[1])

        # Someone puts the original file back (in place: it is a mount point).
        with open("/etc/hosts", "r+b") as handle:
            handle.write(HOSTS_ORIGINAL)
            handle.truncate()
        report["right_after_tamper"] = lookup(BLOCKED[0])
        started = time.monotonic()
        restored = wait_for(lambda: lookup(BLOCKED[0]) != [], 10)
        report["tamper_restored_in"] = time.monotonic() - started if restored else None

        report["exit_code"] = helper.stop(signal.SIGTERM)
        report["after_stop"] = lookup(BLOCKED[0])
        report["file_after_stop_starts_with_original"] = (
            Path("/etc/hosts").read_bytes().startswith(HOSTS_ORIGINAL)
        )
    finally:
        helper.kill()
    return report


def _answers(client: HelperClient) -> bool:
    try:
        return client.ping()
    except HelperUnavailable:
        return False


def crash(root: Path, trials: int, seed: int) -> dict[str, Any]:
    from nocontact_desktop.helper.main import run_helper

    etc = root / "etc"
    subprocess.run(["cp", "-a", "/etc/.", str(etc)], check=True)
    (etc / "hosts").write_bytes(HOSTS_ORIGINAL)
    mount("--make-rprivate", "/")
    mount("--bind", str(etc), "/etc")
    hosts = Path("/etc/hosts")

    # Big lists so that each write takes a while and kills land inside writes.
    list_a = [f"a{i}.nocontact-test.example" for i in range(600)]
    list_b = [f"b{i}.nocontact-test.example" for i in range(300)]
    addresses = ("127.0.0.1", "::1")
    valid = {
        HOSTS_ORIGINAL: "original",
        apply_section(HOSTS_ORIGINAL, list_a, addresses): "a",
        apply_section(HOSTS_ORIGINAL, list_b, addresses): "b",
    }
    socket_path = root / "run" / "helper.sock"
    argv = [
        "--hosts-file", str(hosts), "--socket", str(socket_path),
        "--state-dir", str(root / "state"), "--no-listener",
    ]  # fmt: skip
    rng = random.Random(seed)
    seen: dict[str, int] = {"original": 0, "a": 0, "b": 0}
    failures: list[dict[str, Any]] = []
    interrupted = 0
    resolver_ok = True
    started = time.monotonic()
    for trial in range(trials):
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os._exit(run_helper(argv))
        client = HelperClient(socket_path, timeout=2.0)
        if not wait_for(lambda client=client: _answers(client), 10, 0.005):  # type: ignore[misc]
            failures.append({"trial": trial, "problem": "helper did not start"})
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            continue
        stop = threading.Event()

        def flood(client: HelperClient = client, stop: threading.Event = stop) -> None:
            use_a = True
            while not stop.is_set():
                try:
                    client.set_blocklist(list_a if use_a else list_b)
                except (HelperUnavailable, HelperError):
                    time.sleep(0.001)
                use_a = not use_a

        writer = threading.Thread(target=flood, daemon=True)
        writer.start()
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        stop.set()
        writer.join(10)
        data = hosts.read_bytes()
        version = valid.get(data)
        if version is None:
            failures.append({"trial": trial, "size": len(data), "head": data[:200].decode()})
        else:
            seen[version] += 1
        leftovers = [p for p in os.listdir("/etc") if p.startswith(".hosts.")]
        if leftovers:
            interrupted += 1
        if trial % 25 == 0 and lookup("localhost", socket.AF_INET) != ["127.0.0.1"]:
            resolver_ok = False
    # One last start removes what interrupted writes left behind.
    pid = os.fork()
    if pid == 0:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        os._exit(run_helper(argv))
    try:
        wait_for(lambda: _answers(HelperClient(socket_path)), 10)
        leftovers_after_restart = [p for p in os.listdir("/etc") if p.startswith(".hosts.")]
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    return {
        "trials": trials,
        "seed": seed,
        "seconds": round(time.monotonic() - started, 1),
        "failures": failures,
        "versions_seen": seen,
        "kills_inside_a_write": interrupted,
        "leftovers_after_restart": leftovers_after_restart,
        "resolver_ok": resolver_ok,
    }


def bench_resolver(root: Path, lookups: int) -> dict[str, Any]:
    """getaddrinfo of an unrelated name: empty section vs a 50-target (~500 names) one."""
    hosts = root / "hosts"
    hosts.write_bytes(HOSTS_ORIGINAL)
    nsswitch = root / "nsswitch.conf"
    nsswitch.write_text("hosts: files\n")
    mount("--make-rprivate", "/")
    mount("--bind", str(hosts), "/etc/hosts")
    mount("--bind", str(nsswitch), "/etc/nsswitch.conf")
    # 50 targets of 10 names each, like a preset's web and mobile names.
    names = [f"{prefix}.target{t}.example" for t in range(50) for prefix in
             ("www", "m", "l", "i", "api", "static", "cdn", "login", "mobile", "app")]  # fmt: skip

    def timed(name: str) -> float:
        samples = []
        for _ in range(lookups):
            start = time.perf_counter()
            socket.getaddrinfo(name, 443, socket.AF_UNSPEC, socket.SOCK_STREAM)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples) * 1000

    def timed_missing(name: str) -> float:
        samples = []
        for _ in range(lookups):
            start = time.perf_counter()
            with contextlib.suppress(socket.gaierror):
                socket.getaddrinfo(name, 443, socket.AF_UNSPEC, socket.SOCK_STREAM)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples) * 1000

    results: dict[str, Any] = {"names": len(names), "lookups": lookups}
    helper = RunningHelper(root, hosts_file=Path("/etc/hosts"), hosts_content=None).start(
        "--no-listener"
    )
    try:
        client = helper.client()
        rounds: list[dict[str, float]] = []
        for _ in range(3):  # interleave to cancel drift on a shared machine
            client.set_blocklist([])
            empty_present = timed("nas-box.test")
            empty_missing = timed_missing("not-in-the-file.example")
            client.set_blocklist(names)
            full_present = timed("nas-box.test")
            full_missing = timed_missing("not-in-the-file.example")
            rounds.append(
                {
                    "empty_present": empty_present,
                    "full_present": full_present,
                    "empty_missing": empty_missing,
                    "full_missing": full_missing,
                }
            )
        results["hosts_bytes"] = len(Path("/etc/hosts").read_bytes())
        for key in rounds[0]:
            results[key + "_ms"] = statistics.median(r[key] for r in rounds)
    finally:
        helper.kill()
    return results


def main() -> None:
    scenario, root = sys.argv[1], Path(sys.argv[2])
    if scenario == "resolver":
        report = resolver(root)
    elif scenario == "crash":
        report = crash(root, int(sys.argv[3]), int(sys.argv[4]))
    elif scenario == "bench-resolver":
        report = bench_resolver(root, int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown scenario {scenario!r}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
