"""A minimal Debian 12 booted with systemd as PID 1, for the install test (DESIGN §10).

- :func:`rootfs_tarball` makes the root file system with ``debootstrap`` once and keeps it as
  a tarball under ``/var/cache/nocontact-tests/``, named by a hash of everything that decides
  its contents (suite, mirror, package list, recipe), so later runs only unpack it.
- :class:`Box` unpacks it into a private folder and boots it with ``systemd-nspawn -b
  --private-network``. This machine's PID 1 is not systemd and there is no machined, so the
  container is neither registered nor given a scope (``--register=no --keep-unit``), and
  commands are run inside with ``nsenter`` into the namespaces of the container's PID 1.
  ``--console=pipe`` keeps the console in a log file beside the root file system.
- Commands run as root or as a user (``runuser``), always with a clean environment; each
  returns a :class:`Result` (exit code, stdout, stderr). :meth:`Box.reboot` reboots the
  container (systemd's reboot ends nspawn with status 133; the box boots it again from the same
  folder, so everything on disk is kept).

Nothing here needs the network except debootstrap, which fetches from the configured Debian
mirror; the container has only a loopback interface.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONTROL = REPO / "installers/linux/DEBIAN/control"
CACHE_DIR = Path(os.environ.get("NOCONTACT_TEST_CACHE", "/var/cache/nocontact-tests"))
WORK_PARENT = Path(os.environ.get("NOCONTACT_TEST_WORKDIR", "/var/tmp"))
SUITE = "bookworm"
MIRROR = os.environ.get("NOCONTACT_TEST_MIRROR", "http://deb.debian.org/debian")
# Bump when the way the root file system is made changes (the cache key includes it).
RECIPE = 1
# What a booted desktop-less Debian needs for the test, besides the package's own Depends and
# Recommends (read from installers/linux/DEBIAN/control, so the two never drift apart).
# No python3-venv: the package must not need it.
BASE_PACKAGES = (
    "systemd",
    "systemd-sysv",
    "libpam-systemd",  # logind, which polkitd needs (debootstrap does not resolve alternatives)
    "dbus",
    "polkitd",
    "pkexec",
    "procps",
)
TOOLS = ("debootstrap", "systemd-nspawn", "nsenter", "runuser", "tar", "zstd", "dpkg-deb")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
REBOOT_EXIT = 133  # systemd-nspawn's exit status when the container rebooted


# The box's users: a normal person who installs and uses No Contact, and somebody else.
USER = "nctest"
USER_UID = 1000
OTHER = "other"
OTHER_UID = 1001

# Figures of the run (seconds unless named otherwise), printed at its end by
# tests/install/conftest.py.
TIMINGS: dict[str, float] = {}


def record(name: str, seconds: float) -> None:
    """Keep a figure for the summary at the end of the run (and tests/artifacts/install/)."""
    TIMINGS[name] = round(seconds, 2)


class BoxError(RuntimeError):
    """The machine cannot make or boot the container (the test skips with this reason)."""


@dataclass(frozen=True)
class Result:
    """What a command inside the container did."""

    argv: tuple[str, ...]
    rc: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def __str__(self) -> str:
        return (
            f"$ {' '.join(self.argv)}\n-> exit {self.rc}\n"
            f"--- stdout ---\n{self.out.rstrip()}\n--- stderr ---\n{self.err.rstrip()}"
        )


def why_not_here() -> str | None:
    """Why this machine cannot run the install test, or ``None`` if it can."""
    if not Path("/proc/self/ns/pid").exists():
        return "needs Linux namespaces (/proc/self/ns) to boot a container"
    if os.geteuid() != 0:
        return "needs root: debootstrap and systemd-nspawn -b only run as root"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return (
            f"missing {', '.join(missing)} (apt-get install debootstrap systemd-container "
            "zstd; ./run tests installs them when run as root)"
        )
    return None


# --- The cached root file system ---


def package_fields(control: Path = CONTROL) -> list[str]:
    """The first alternative of each Depends and Recommends entry, without versions."""
    fields: dict[str, str] = {}
    current = ""
    for line in control.read_text(encoding="utf-8").splitlines():
        if line[:1].isspace() and current:
            fields[current] += " " + line.strip()
        elif ":" in line:
            current, _, value = line.partition(":")
            fields[current] = value.strip()
    names = []
    for field in ("Depends", "Recommends"):
        for entry in fields.get(field, "").split(","):
            first = entry.split("|")[0].strip()
            name = re.sub(r"\s*\(.*\)", "", first).strip()
            if name and not name.startswith("@"):
                names.append(name)
    return names


def rootfs_packages() -> list[str]:
    return sorted({*BASE_PACKAGES, *package_fields()})


def rootfs_key(packages: Sequence[str]) -> str:
    text = "\n".join([f"recipe {RECIPE}", SUITE, MIRROR, "minbase", *sorted(packages)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no {path})"


def _tarball_path(packages: Sequence[str]) -> Path:
    return CACHE_DIR / f"{SUITE}-{rootfs_key(packages)}.tar.zst"


def cached_rootfs_tarball(packages: Sequence[str] | None = None) -> Path | None:
    """The cached tarball if it is already there."""
    tarball = _tarball_path(packages if packages is not None else rootfs_packages())
    return tarball if tarball.exists() else None


def rootfs_tarball(packages: Sequence[str] | None = None) -> Path:
    """The cached tarball of a debootstrapped Debian with ``packages``; made if missing.

    Raises :class:`BoxError` when debootstrap fails (no mirror reachable, a bad package).
    """
    packages = list(packages if packages is not None else rootfs_packages())
    key = rootfs_key(packages)
    tarball = _tarball_path(packages)
    with _locked(CACHE_DIR / f"{SUITE}-{key}.lock"):
        if tarball.exists():
            return tarball
        build = CACHE_DIR / f"build-{key}"
        if build.exists():
            shutil.rmtree(build)
        root = build / "root"
        root.mkdir(parents=True)
        log = CACHE_DIR / f"{SUITE}-{key}.debootstrap.log"
        with open(log, "wb") as out:
            result = subprocess.run(
                [
                    "debootstrap", "--variant=minbase", "--components=main",
                    f"--include={','.join(packages)}", SUITE, str(root), MIRROR,
                ],
                stdout=out, stderr=subprocess.STDOUT, check=False, timeout=1800,
            )
        if result.returncode != 0:
            detail = _tail(root / "debootstrap/debootstrap.log", 15)
            shutil.rmtree(build, ignore_errors=True)
            raise BoxError(
                f"debootstrap {SUITE} from {MIRROR} failed (exit {result.returncode}); "
                f"{log}:\n{_tail(log, 10)}\n{detail}"
            )
        _prepare_rootfs(root)
        partial = tarball.with_name(tarball.name + ".partial")
        subprocess.run(
            [
                "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-I", "zstd -T0 -3",
                "-cf", str(partial), "-C", str(root), ".",
            ],
            check=True, timeout=900,
        )
        partial.replace(tarball)
        shutil.rmtree(build, ignore_errors=True)
        (CACHE_DIR / f"{SUITE}-{key}.packages").write_text("\n".join(packages) + "\n")
        return tarball


def _prepare_rootfs(root: Path) -> None:
    """Settings of the image itself: its own hostname and hosts file, no downloaded .debs."""
    (root / "etc/hostname").write_text("nctest\n")
    (root / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\tnctest\n")
    for deb in (root / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    # An empty machine-id: each boot gets a fresh one, as on first boot of an installed system.
    (root / "etc/machine-id").write_text("")


# --- The booted container ---


def _clean_stale_workdirs() -> None:
    """Folders of earlier runs whose process is gone (a killed test run)."""
    for folder in WORK_PARENT.glob("nocontact-box-*"):
        pid_file = folder / "owner.pid"
        try:
            pid = int(pid_file.read_text())
        except (OSError, ValueError):
            continue
        if not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


class Box:
    """One container: unpacked from the tarball into its own folder, booted with nspawn."""

    def __init__(self, tarball: Path, *, hostname: str = "nctest") -> None:
        _clean_stale_workdirs()
        self.tarball = tarball
        self.hostname = hostname
        self.workdir = Path(tempfile.mkdtemp(prefix="nocontact-box-", dir=WORK_PARENT))
        (self.workdir / "owner.pid").write_text(str(os.getpid()))
        self.root = self.workdir / "root"
        self.console = self.workdir / "console.log"
        self.name = f"nctest-{uuid.uuid4().hex[:8]}"
        self._nspawn: subprocess.Popen[bytes] | None = None
        self._leader = 0
        self.boot_seconds: list[float] = []

    # -- lifecycle --

    def unpack(self) -> None:
        self.root.mkdir()
        subprocess.run(
            [
                "tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-I", "zstd -T0",
                "-xf", str(self.tarball), "-C", str(self.root),
            ],
            check=True, timeout=600,
        )

    def boot(self, timeout: float = 180) -> None:
        """Start systemd-nspawn and wait until the system is up (running or degraded)."""
        started = time.monotonic()
        with open(self.console, "ab") as console:
            console.write(f"\n=== boot at {time.strftime('%H:%M:%S')} ===\n".encode())
            console.flush()
            self._nspawn = subprocess.Popen(
                [
                    "systemd-nspawn", "--quiet", "--boot", f"--directory={self.root}",
                    f"--machine={self.name}", f"--hostname={self.hostname}",
                    "--private-network", "--register=no", "--keep-unit", "--console=pipe",
                    "--link-journal=no", "--resolv-conf=off", "--timezone=off",
                ],
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._leader = self._find_leader(started + timeout)
        state = ""
        while time.monotonic() < started + timeout:
            result = self.run(
                ["systemctl", "is-system-running", "--wait"],
                timeout=max(1.0, started + timeout - time.monotonic()),
            )
            state = result.out.strip()
            if state in ("running", "degraded"):
                self.boot_seconds.append(time.monotonic() - started)
                return
            if self._nspawn.poll() is not None:
                break
            time.sleep(0.2)
        raise BoxError(
            f"the container did not come up (state {state or 'unknown'!r}); console:\n"
            + _tail(self.console)
        )

    def _find_leader(self, deadline: float) -> int:
        """The container's PID 1 as this machine sees it: nspawn's child, once it is systemd."""
        assert self._nspawn is not None
        nspawn = self._nspawn.pid
        while time.monotonic() < deadline:
            if self._nspawn.poll() is not None:
                raise BoxError(
                    f"systemd-nspawn exited with status {self._nspawn.returncode}; console:\n"
                    + _tail(self.console)
                )
            children: list[int] = []
            for task in Path(f"/proc/{nspawn}/task").glob("*"):
                with contextlib.suppress(OSError, ValueError):
                    children += [int(pid) for pid in (task / "children").read_text().split()]
            for pid in children:
                with contextlib.suppress(OSError):
                    if Path(f"/proc/{pid}/comm").read_text().strip() == "systemd":
                        return pid
            time.sleep(0.05)
        raise BoxError(
            "systemd did not start inside the container; console:\n" + _tail(self.console)
        )

    def start(self) -> None:
        """Unpack (the first time) and boot."""
        if not self.root.exists():
            self.unpack()
        self.boot()

    def reboot(self, timeout: float = 180) -> float:
        """Reboot the container; returns the seconds from the reboot command to a booted system."""
        assert self._nspawn is not None
        started = time.monotonic()
        self.run(["systemctl", "reboot"], timeout=30)
        try:
            rc = self._nspawn.wait(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise AssertionError("the container did not shut down for the reboot") from error
        if rc != REBOOT_EXIT:
            raise AssertionError(f"systemd-nspawn ended with {rc}, not {REBOOT_EXIT} (reboot)")
        self.boot(timeout)
        return time.monotonic() - started

    def stop(self, timeout: float = 60) -> None:
        """Power the container off (SIGTERM to nspawn halts it; SIGKILL if it hangs)."""
        process = self._nspawn
        self._nspawn = None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._nspawn is not None and self._nspawn.poll() is None

    # -- commands --

    def run(
        self,
        argv: Sequence[str],
        *,
        user: str | None = None,
        input: bytes | str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> Result:
        """Run ``argv`` inside the container as root or as ``user``, with a clean environment."""
        if not self._leader:
            raise BoxError("the container is not booted")
        if user is None or user == "root":
            variables = {"PATH": PATH, "HOME": "/root", "LANG": "C.UTF-8", "USER": "root"}
        else:
            variables = {
                "PATH": PATH, "HOME": f"/home/{user}", "LANG": "C.UTF-8", "USER": user,
                "LOGNAME": user,
            }
        variables.update(env or {})
        command = ["/usr/bin/env", "-i", *(f"{k}={v}" for k, v in variables.items()), *argv]
        if user not in (None, "root"):
            command = ["runuser", "-u", str(user), "--", *command]
        # --root and --wd without a value: the container's root and PID 1's folder (a path
        # given here would be opened on this machine before nsenter enters the namespaces).
        nsenter = [
            "nsenter", f"--target={self._leader}", "--mount", "--uts", "--ipc", "--net",
            "--pid", "--cgroup", "--root", "--wd",
        ]
        data = input.encode() if isinstance(input, str) else input
        try:
            done = subprocess.run(
                [*nsenter, *command], input=data, capture_output=True, timeout=timeout,
                check=False, env={"PATH": PATH},
            )
        except subprocess.TimeoutExpired as error:
            return Result(
                tuple(argv), 124, _text(error.stdout), _text(error.stderr) + "\n(timeout)"
            )
        return Result(tuple(argv), done.returncode, _text(done.stdout), _text(done.stderr))

    def sh(self, script: str, *, user: str | None = None, timeout: float = 300) -> Result:
        return self.run(["/bin/sh", "-c", script], user=user, timeout=timeout)

    def check(
        self,
        argv: Sequence[str],
        *,
        user: str | None = None,
        input: bytes | str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 300,
    ) -> Result:
        """Like :meth:`run`, but a non-zero exit fails the test with the whole result."""
        result = self.run(argv, user=user, input=input, env=env, timeout=timeout)
        assert result.ok, str(result)
        return result

    # -- files --

    def write_file(self, path: str, data: bytes | str, *, mode: int = 0o644) -> None:
        """Write a file inside the container (through its mount namespace: /tmp is a tmpfs)."""
        payload = data.encode() if isinstance(data, str) else data
        script = 'umask 077; cat > "$0.tmp" && chmod "$1" "$0.tmp" && mv "$0.tmp" "$0"'
        result = self.run(["/bin/sh", "-c", script, path, f"{mode:o}"], input=payload)
        assert result.ok, str(result)

    def read_file(self, path: str) -> bytes:
        if not self._leader:
            raise BoxError("the container is not booted")
        nsenter = ["nsenter", f"--target={self._leader}", "--mount", "--root", "--wd"]
        done = subprocess.run(
            [*nsenter, "cat", "--", path],
            capture_output=True, check=False, timeout=60, env={"PATH": PATH},
        )
        if done.returncode != 0:
            raise FileNotFoundError(f"{path} in the container: {_text(done.stderr).strip()}")
        return done.stdout

    def copy_in(self, source: Path, path: str) -> None:
        self.write_file(path, source.read_bytes())

    # -- the system --

    def add_user(self, name: str, uid: int) -> None:
        self.check(["useradd", "--create-home", "--uid", str(uid), "--shell", "/bin/bash", name])

    def grant_polkit(
        self,
        user: str,
        action_id: str = "org.nocontact.helper.install",
        *,
        result: str = "YES",
        program: str | None = None,
    ) -> None:
        """A polkit rule that answers ``result`` when ``user`` asks for ``action_id`` (YES
        stands in for the person typing their password, NO for a refused or cancelled prompt;
        there is no authentication agent in the box). ``program``: only for pkexec of that
        program. Waits until polkitd has loaded it."""
        condition = f'action.id == "{action_id}" && subject.user == "{user}"'
        if program:
            condition += f' && action.lookup("program") == "{program}"'
        rule = (
            "polkit.addRule(function(action, subject) {\n"
            f"    if ({condition}) {{\n"
            f"        return polkit.Result.{result};\n"
            "    }\n"
            "});\n"
        )
        self.write_file(self._rule_path(user, action_id), rule)
        self._wait_for_polkit(user, action_id, program, 0 if result == "YES" else 1)

    def revoke_polkit(self, user: str, action_id: str = "org.nocontact.helper.install") -> None:
        """Remove the rule :meth:`grant_polkit` wrote (the action then needs a password)."""
        self.check(["rm", "-f", self._rule_path(user, action_id)])
        self._wait_for_polkit(user, action_id, None, 2)

    @staticmethod
    def _rule_path(user: str, action_id: str) -> str:
        return f"/etc/polkit-1/rules.d/50-nocontact-test-{user}-{action_id}.rules"

    def _wait_for_polkit(
        self, user: str, action_id: str, program: str | None, expected: int
    ) -> None:
        if program:  # pkcheck cannot pass pkexec's details: ask pkexec itself
            self.wait_for(f"pkexec {program} --version >/dev/null 2>&1", user=user, timeout=15)
            return
        # pkcheck: 0 authorized, 1 not authorized, 2 a password would be needed.
        self.wait_for(
            f"pkcheck --action-id {action_id} --process $$ >/dev/null 2>&1; "
            f"test $? -eq {expected}",
            user=user, timeout=15,
        )

    def uid(self, name: str) -> int:
        return int(self.check(["id", "-u", name]).out)

    def install_deb(self, deb: Path) -> Result:
        """``apt-get install ./x.deb`` offline, as a person would (all Depends are in the image)."""
        inside = f"/var/tmp/{deb.name}"
        self.copy_in(deb, inside)
        return self.run(
            ["apt-get", "install", "--yes", "-o", "Acquire::Retries=0", inside],
            env={"DEBIAN_FRONTEND": "noninteractive"},
            timeout=600,
        )

    def remove_package(self, name: str = "nocontact", *, purge: bool = False) -> Result:
        return self.run(
            ["apt-get", "purge" if purge else "remove", "--yes", name],
            env={"DEBIAN_FRONTEND": "noninteractive"},
            timeout=600,
        )

    def unit_property(self, unit: str, name: str) -> str:
        return self.check(["systemctl", "show", "--value", "-p", name, unit]).out.strip()

    def journal(self, unit: str, lines: int = 30) -> str:
        return self.run(["journalctl", "--no-pager", "-n", str(lines), "-u", unit]).out

    def helper_request(
        self, message: dict[str, object], *, user: str | None = None,
        socket_path: str = "/run/nocontact/helper.sock",
    ) -> dict[str, object]:
        """One request on the helper's socket (DESIGN §2 wire protocol); returns the reply."""
        script = (
            "import json, socket, sys\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "s.settimeout(10)\n"
            "s.connect(sys.argv[1])\n"
            "try:\n"
            "    s.sendall(sys.argv[2].encode() + b'\\n')\n"
            "except (BrokenPipeError, ConnectionResetError):\n"
            "    pass  # refused at once (peer credentials); the reply is still there to read\n"
            "sys.stdout.write(s.makefile('rb').readline().decode())\n"
        )
        result = self.run(
            ["python3", "-I", "-c", script, socket_path, json.dumps(message)], user=user
        )
        assert result.ok and result.out.strip(), f"no reply from the helper:\n{result}"
        reply: dict[str, object] = json.loads(result.out)
        return reply

    def wait_for(self, script: str, *, user: str | None = None, timeout: float = 30) -> float:
        """Run a shell test until it exits 0; the seconds it took (fails after ``timeout``)."""
        started = time.monotonic()
        last: Result | None = None
        while time.monotonic() - started < timeout:
            last = self.sh(script, user=user, timeout=timeout)
            if last.ok:
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"not true after {timeout} s: {script}\n{last}")


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")
