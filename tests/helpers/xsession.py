"""A real X server (Xvfb) with a real tray host (trayer) for end-to-end tests (DESIGN §10)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

TRAYER_WIDTH = 120
TRAYER_HEIGHT = 32
SCREEN = (800, 600)


@dataclass
class XSession:
    """A running X display; ``env`` is what a client process needs to use it."""

    display: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]]

    def start_trayer(self) -> subprocess.Popen[bytes]:
        """Dock a trayer panel at the top right."""
        proc = subprocess.Popen(
            [
                "trayer",
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "pixel",
                "--width",
                str(TRAYER_WIDTH),
                "--heighttype",
                "pixel",
                "--height",
                str(TRAYER_HEIGHT),
                "--transparent",
                "false",
                "--SetDockType",
                "true",
                "--expand",
                "false",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(proc)
        wait_for(self.tray_owner_present, 10, "trayer to own the tray selection")
        return proc

    def tray_owner_present(self) -> bool:
        """Whether some client owns ``_NET_SYSTEM_TRAY_S0`` (xprop reads the root window)."""
        out = subprocess.run(
            ["xwininfo", "-root", "-tree"], env=self.env, capture_output=True, text=True
        ).stdout
        return "trayer" in out

    def start_child(
        self, script: Path, tmp_path: Path, *args: str
    ) -> tuple[subprocess.Popen[bytes], Path]:
        """Run a test's child script on this display, with a private HOME and runtime folder.

        Its stdin and stdout are pipes (scene by scene conversations); stderr goes to the log
        file returned with it. The child is ended with the session.
        """
        from tests.helpers.paths import repo_env

        env = dict(self.env)
        env["HOME"] = str(tmp_path / "home")
        env["XDG_RUNTIME_DIR"] = str(tmp_path / "run")
        (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
        log_path = tmp_path / "child.log"
        with log_path.open("wb") as log:
            child = subprocess.Popen(
                [sys.executable, str(script), *args],
                env=repo_env(env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        self.processes.append(child)
        return child, log_path

    def screenshot(self, path: Path) -> Path:
        """The whole screen as PNG."""
        subprocess.run(
            ["import", "-window", "root", str(path)], env=self.env, check=True, timeout=30
        )
        return path


def wait_for(predicate: object, timeout: float, what: str) -> None:
    """Poll ``predicate`` until true or fail the test naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def require_tools(*names: str) -> None:
    """Skip, naming the tools, when they are not installed (./run tests installs them)."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (installed by ./run tests as root)")


def _xvfb_on(displays: range) -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb on the first free display of ``displays`` (a test may be told which to use)."""
    for number in displays:
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        proc = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
             "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return proc, f":{number}"
            time.sleep(0.05)
        with suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
    pytest.fail(f"no free X display in :{displays.start}–:{displays.stop - 1}")


@contextmanager
def xsession(displays: range | None = None) -> Iterator[XSession]:
    """Start Xvfb on a free display (one of ``displays`` if given); stop everything on exit."""
    require_tools("Xvfb", "trayer", "xwininfo", "import")
    if displays is not None:
        xvfb, display = _xvfb_on(displays)
        yield from _session(xvfb, display)
        return
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{SCREEN[0]}x{SCREEN[1]}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    number = b""
    with os.fdopen(read_fd, "rb") as pipe:
        while not number.endswith(b"\n"):
            chunk = pipe.read(1)
            if not chunk:
                break
            number += chunk
    if not number.strip():
        xvfb.kill()
        pytest.fail("Xvfb did not report a display number")
    display = f":{number.decode().strip()}"
    yield from _session(xvfb, display)


def _session(xvfb: subprocess.Popen[bytes], display: str) -> Iterator[XSession]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")
    }
    env.update({"DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "XDG_SESSION_TYPE": "x11"})
    session = XSession(display, env, [xvfb])
    try:
        yield session
    finally:
        for proc in reversed(session.processes):
            with suppress(ProcessLookupError):
                proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
