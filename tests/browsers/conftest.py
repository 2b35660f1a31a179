"""The stand-in world for the real-browser cases: one per test session, started on first use.

``standin`` starts ``standin_world.py`` inside ``unshare -m -n`` (root only) and gives a
function that runs one case in it (``browser_case.py`` through ``nsenter``) and returns its
report. Every report also lands in ``tests/artifacts/browsers/``, and at the end of the session
the table of browser × configuration → loaded? hits? latency is written next to them
(``table.md``), which is the "before"/"after" table of issue 15.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.paths import repo_env

HERE = Path(__file__).resolve().parent
WORLD = HERE / "standin_world.py"
CASE = HERE / "browser_case.py"
ARTIFACTS = HERE.parent / "artifacts" / "browsers"
BROWSER_COMMANDS = {"firefox": "firefox-esr", "chromium": "chromium"}
CASE_TIMEOUT = 150

RunCase = Callable[[dict[str, Any]], dict[str, Any]]


def _why_not() -> str | None:
    """Why this machine cannot run the stand-in world (``None`` when it can)."""
    if sys.platform != "linux":
        return "needs Linux namespaces (unshare -m -n)"
    if os.geteuid() != 0:
        return "needs root: unshare -m -n, bind mounts over /etc/hosts, ports 53/80/443"
    missing = [
        tool for tool in ("unshare", "nsenter", "mount", "ip", "certutil")
        if shutil.which(tool) is None
    ]  # fmt: skip
    if missing:
        return (
            f"needs {', '.join(missing)} (util-linux, iproute2, libnss3-tools; "
            "installed by ./run tests as root)"
        )
    return None


class World:
    """A running ``standin_world.py``; :meth:`run_case` runs one case inside it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="nc-browsers-"))
        os.chmod(self.root, 0o755)  # noqa: S103 - the namespace's processes are root anyway
        self.log = self.root / "world.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                ["unshare", "-m", "-n", sys.executable, str(WORLD), str(self.root)],
                env=repo_env(),
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        ready = self.root / "world.json"
        deadline = time.monotonic() + 60
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                text = self.log.read_text(errors="replace")
                self.close()
                if "unshare failed" in text or "Operation not permitted" in text:
                    pytest.skip(f"cannot make a mount+network namespace here: {text[-300:]}")
                pytest.fail(f"the stand-in world did not start:\n{text[-3000:]}")
            time.sleep(0.05)
        time.sleep(0.05)  # world.json is written in one go, but be sure it is complete
        self.info = json.loads(ready.read_text())
        self.reports: list[dict[str, Any]] = []
        self.cache: dict[str, dict[str, Any]] = {}

    def run_case(self, spec: dict[str, Any]) -> dict[str, Any]:
        """The report of case ``spec`` (run once; several tests may look at one report)."""
        if spec["name"] in self.cache:
            return self.cache[spec["name"]]
        command = BROWSER_COMMANDS.get(str(spec.get("browser")))
        if command and shutil.which(command) is None:
            pytest.skip(f"needs {command} (Debian package; installed by ./run tests as root)")
        started = time.monotonic()
        try:
            done = subprocess.run(
                ["nsenter", f"--target={self.info['pid']}", "--mount", "--net",
                 sys.executable, str(CASE), str(self.root), json.dumps(spec)],
                env=repo_env(),
                capture_output=True,
                text=True,
                timeout=CASE_TIMEOUT,
                check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            pytest.fail(f"case {spec['name']} took longer than {CASE_TIMEOUT} s")
        if done.returncode != 0 or not done.stdout.strip():
            pytest.fail(
                f"case {spec['name']} failed to run (exit {done.returncode}):\n"
                f"{done.stderr[-4000:]}"
            )
        report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        report["wall_seconds"] = round(time.monotonic() - started, 1)
        self.reports.append(report)
        self.cache[spec["name"]] = report
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"{spec['name']}.json").write_text(json.dumps(report, indent=2))
        return report

    def leftovers(self) -> list[int]:
        """Processes still in the world's network namespace other than the world itself.

        Only this harness starts processes there (the case runner, the helper, the browsers),
        so these are ours: a case that timed out can leave a browser behind.
        """
        try:
            netns = os.readlink(f"/proc/{self.process.pid}/ns/net")
        except OSError:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == self.process.pid:
                continue
            with contextlib.suppress(OSError):
                if os.readlink(entry / "ns" / "net") == netns:
                    pids.append(int(entry.name))
        return pids

    def close(self) -> None:
        for pid in self.leftovers():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if os.environ.get("NC_BROWSERS_KEEP") != "1":
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def standin() -> Iterator[RunCase]:
    reason = _why_not()
    if reason is not None:
        pytest.skip(reason)
    world = World()
    try:
        yield world.run_case
    finally:
        world.close()
        if world.reports:
            from browsers_table import write_table

            write_table(world.reports, ARTIFACTS)
