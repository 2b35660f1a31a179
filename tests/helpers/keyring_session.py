"""A private, real Secret Service for e2e tests, and checks that text is not on disk in clear.

DESIGN §10: encryption at rest is tested against the real ``gnome-keyring-daemon`` inside a
private D-Bus session bus, never the user's own keyring and never an in-memory fake.

Use the ``keyring_session`` fixture (import it into the test module), or the context manager
``private_keyring_session()``; both yield a :class:`KeyringSession` whose ``env`` is a full
environment for subprocesses (``subprocess.run(..., env=session.env)``): ``HOME`` and the
``XDG_*`` directories point into a temporary directory, ``DBUS_SESSION_BUS_ADDRESS`` at the
private bus, and the "login" collection exists, is the default, and is unlocked, so that
``keyring``'s SecretService backend can create items without any prompt. Everything that was
started is killed on exit and the directory removed.

``assert_text_not_on_disk(paths_or_db, sentence)`` is the one call for "the sentence is not
in the raw bytes" checks; ``sqlite_files(db)`` lists a database with its -wal/-shm/-journal.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRETS_BUS_NAME = "org.freedesktop.secrets"
SECRETS_PATH = "/org/freedesktop/secrets"
LOGIN_COLLECTION_PATH = "/org/freedesktop/secrets/collection/login"
DEFAULT_KEYRING_PASSWORD = "nocontact-e2e-keyring-password"
MARKER_VAR = "NOCONTACT_TEST_KEYRING_SESSION"
START_TIMEOUT_S = 20.0

# Variables that would lead a subprocess to the user's real keyring, display or config.
_SCRUBBED_VARS = (
    "DBUS_SESSION_BUS_ADDRESS",
    "DBUS_STARTER_ADDRESS",
    "DBUS_STARTER_BUS_TYPE",
    "GNOME_KEYRING_CONTROL",
    "GNOME_KEYRING_PID",
    "SSH_AUTH_SOCK",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "PYTHON_KEYRING_BACKEND",
    "KEYRING_PROPERTY_PREFERRED_COLLECTION",
)


@dataclass
class KeyringSession:
    """A running private session bus with an unlocked gnome-keyring "login" collection."""

    root: Path
    env: dict[str, str]
    """Full environment for subprocesses that must use this keyring."""
    bus_address: str
    password: str
    keyrings_dir: Path
    """Where gnome-keyring writes its files ($XDG_DATA_HOME/keyrings)."""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def session_vars(self) -> dict[str, str]:
        """Only the variables this session sets (to merge into another environment)."""
        names = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
                 "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS", MARKER_VAR)
        return {name: self.env[name] for name in names}

    def run_python(
        self,
        *args: str,
        stdin: str | None = None,
        timeout: float = 60.0,
        extra_env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the venv's Python with ``args`` in this session; output captured as text."""
        env = dict(self.env)
        if extra_env:
            env.update(extra_env)
        return subprocess.run(
            [sys.executable, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO_ROOT,
            timeout=timeout,
            check=False,
        )


def missing_tools() -> list[str]:
    """Programs or modules this helper needs and this machine lacks."""
    missing = [tool for tool in ("dbus-daemon", "gnome-keyring-daemon") if not shutil.which(tool)]
    for module in ("jeepney", "secretstorage"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"python module {module}")
    return missing


def _skip_unless_possible() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the real Secret Service test needs Linux (gnome-keyring over D-Bus)")
    missing = missing_tools()
    if missing:
        pytest.skip(
            "the real Secret Service test needs " + ", ".join(missing)
            + " (Debian: apt-get install dbus-daemon gnome-keyring)"
        )


def _session_env(root: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED_VARS}
    dirs = {
        "HOME": root / "home",
        "XDG_DATA_HOME": root / "data",
        "XDG_CONFIG_HOME": root / "config",
        "XDG_CACHE_HOME": root / "cache",
        "XDG_RUNTIME_DIR": root / "run",
    }
    for path in dirs.values():
        path.mkdir(mode=0o700)
    env.update({name: str(path) for name, path in dirs.items()})
    env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={root / 'run' / 'bus'}"
    env[MARKER_VAR] = str(root)
    # The venv's interpreter finds nocontact_desktop even if it is not installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def _read_line(process: subprocess.Popen[bytes], deadline: float) -> str:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            raise RuntimeError(f"dbus-daemon did not print its address (got {data!r})")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"dbus-daemon closed its output (got {data!r})")
            data += chunk
    return data.decode().strip()


def _call(
    conn: Any, address: Any, method: str, signature: str | None, body: tuple[Any, ...]
) -> Any:
    from jeepney import new_method_call
    from jeepney.wrappers import unwrap_msg

    return unwrap_msg(conn.send_and_get_reply(new_method_call(address, method, signature, body)))


def _wait_for_secret_service(address: str, gnome_keyring: subprocess.Popen[bytes]) -> Any:
    from jeepney import DBusAddress
    from jeepney.io.blocking import open_dbus_connection

    bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus",
                      interface="org.freedesktop.DBus")
    deadline = time.monotonic() + START_TIMEOUT_S
    conn = open_dbus_connection(bus=address)
    while time.monotonic() < deadline:
        if _call(conn, bus, "NameHasOwner", "s", (SECRETS_BUS_NAME,))[0]:
            return conn
        if gnome_keyring.poll() is not None:
            break
        time.sleep(0.05)
    conn.close()
    raise RuntimeError(
        f"gnome-keyring-daemon did not take {SECRETS_BUS_NAME} on the private bus "
        f"(exit status {gnome_keyring.poll()})"
    )


def _ensure_unlocked_default_collection(conn: Any, password: str) -> str:
    """Make sure alias "default" names an unlocked "login" collection; return its path.

    ``gnome-keyring-daemon --unlock`` normally creates and unlocks "login" itself. If a
    version does not, create/unlock it through gnome-keyring's prompt-less interface, the way
    a login manager does: no prompt can be shown on a headless machine.
    """
    from jeepney import DBusAddress
    from secretstorage.util import format_secret, open_session

    service = DBusAddress(SECRETS_PATH, bus_name=SECRETS_BUS_NAME,
                          interface="org.freedesktop.Secret.Service")
    internal = DBusAddress(SECRETS_PATH, bus_name=SECRETS_BUS_NAME,
                           interface="org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface")
    master = format_secret(open_session(conn), password.encode(), "text/plain")

    path = str(_call(conn, service, "ReadAlias", "s", ("default",))[0])
    if path == "/":
        collections = _get_property(conn, SECRETS_PATH, "org.freedesktop.Secret.Service",
                                    "Collections")
        if LOGIN_COLLECTION_PATH in collections:
            path = LOGIN_COLLECTION_PATH
        else:
            label = {"org.freedesktop.Secret.Collection.Label": ("s", "Login")}
            path = str(_call(conn, internal, "CreateWithMasterPassword", "a{sv}(oayays)",
                             (label, master))[0])
        _call(conn, service, "SetAlias", "so", ("default", path))
    if _get_property(conn, path, "org.freedesktop.Secret.Collection", "Locked"):
        _call(conn, internal, "UnlockWithMasterPassword", "o(oayays)", (path, master))
    if _get_property(conn, path, "org.freedesktop.Secret.Collection", "Locked"):
        raise RuntimeError(f"the test keyring collection {path} stays locked")
    return path


def _get_property(conn: Any, path: str, interface: str, name: str) -> Any:
    from jeepney import DBusAddress

    props = DBusAddress(path, bus_name=SECRETS_BUS_NAME,
                        interface="org.freedesktop.DBus.Properties")
    return _call(conn, props, "Get", "ss", (interface, name))[0][1]


def _processes_of_session(root: Path, started: Iterable[int]) -> list[int]:
    """PIDs we started, their descendants, and anything D-Bus activated with our marker."""
    import psutil

    pids: set[int] = set()
    for pid in started:
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(pid)
            pids.add(pid)
            pids.update(child.pid for child in process.children(recursive=True))
    own_pid = os.getpid()
    for process in psutil.process_iter():
        if process.pid == own_pid:
            continue
        with contextlib.suppress(psutil.Error):
            if process.environ().get(MARKER_VAR) == str(root):
                pids.add(process.pid)
    return sorted(pids)


def _stop(root: Path, processes: list[subprocess.Popen[bytes]]) -> None:
    import psutil

    pids = _processes_of_session(root, [process.pid for process in processes])
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=3)
        _, alive = psutil.wait_procs(
            [p for p in (_safe_process(pid) for pid in pids) if p is not None], timeout=3
        )
        if not alive:
            break
        pids = [process.pid for process in alive]
    for process in processes:
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _safe_process(pid: int) -> Any:
    import psutil

    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


@contextlib.contextmanager
def private_keyring_session(
    password: str = DEFAULT_KEYRING_PASSWORD, *, create_login_over_dbus: bool = False
) -> Iterator[KeyringSession]:
    """Start a private D-Bus session bus and gnome-keyring with an unlocked "login" keyring.

    ``create_login_over_dbus`` starts the daemon without ``--unlock`` and makes the collection
    through gnome-keyring's D-Bus interface instead (that path is a fallback, tested too).
    Skips the calling test when the tools are missing.
    """
    _skip_unless_possible()
    # Short path: a unix socket path must stay under 108 bytes.
    short_tmp = "/tmp" if Path("/tmp").is_dir() else None
    root = Path(tempfile.mkdtemp(prefix="nc-keyring-", dir=short_tmp))
    root.chmod(0o700)
    env = _session_env(root)
    processes: list[subprocess.Popen[bytes]] = []
    conn: Any = None
    try:
        with (root / "dbus-daemon.log").open("wb") as log:
            bus = subprocess.Popen(
                ["dbus-daemon", "--session", "--nofork", "--nopidfile",
                 f"--address={env['DBUS_SESSION_BUS_ADDRESS']}", "--print-address=1"],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                env=env, start_new_session=True,
            )
        processes.append(bus)
        address = _read_line(bus, time.monotonic() + START_TIMEOUT_S)
        env["DBUS_SESSION_BUS_ADDRESS"] = address

        argv = ["gnome-keyring-daemon", "--foreground", "--components=secrets"]
        if not create_login_over_dbus:
            argv.append("--unlock")  # reads the login password from stdin until EOF
        with (root / "gnome-keyring.log").open("wb") as log:
            daemon = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=log, stderr=log,
                env=env, start_new_session=True,
            )
        processes.append(daemon)
        assert daemon.stdin is not None
        if not create_login_over_dbus:
            daemon.stdin.write(password.encode())
        daemon.stdin.close()

        conn = _wait_for_secret_service(address, daemon)
        _ensure_unlocked_default_collection(conn, password)
        conn.close()
        conn = None
        yield KeyringSession(
            root=root, env=env, bus_address=address, password=password,
            keyrings_dir=root / "data" / "keyrings", processes=processes,
        )
    finally:
        if conn is not None:
            conn.close()
        _stop(root, processes)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def keyring_session() -> Iterator[KeyringSession]:
    """Pytest fixture: a fresh private Secret Service for one test (see module docstring)."""
    with private_keyring_session() as session:
        yield session


# --- plaintext on disk ----------------------------------------------------------------------


def sqlite_files(db_path: Path) -> list[Path]:
    """``db_path`` and whichever of its -wal, -shm and -journal files exist."""
    candidates = [db_path] + [Path(f"{db_path}{suffix}") for suffix in ("-wal", "-shm", "-journal")]
    return [path for path in candidates if path.exists()]


def plaintext_forms(sentence: str) -> dict[str, bytes]:
    """The byte strings that would betray ``sentence``: UTF-8/UTF-16, as typed and re-cased."""
    forms: dict[str, bytes] = {}
    for case_name, text in (("as typed", sentence), ("lower-case", sentence.lower()),
                            ("upper-case", sentence.upper())):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            forms[f"{encoding} {case_name}"] = text.encode(encoding)
    return forms


@dataclass(frozen=True)
class DiskScan:
    """What :func:`assert_text_not_on_disk` looked at (for the test's evidence)."""

    files: dict[str, int]
    """Path -> size in bytes of every file read."""
    forms: tuple[str, ...]


def find_text_on_disk(paths: Iterable[Path], sentence: str) -> tuple[list[str], DiskScan]:
    """Return ``"<file>: <form>"`` for each plaintext form of ``sentence`` found, and the scan."""
    forms = plaintext_forms(sentence)
    hits: list[str] = []
    sizes: dict[str, int] = {}
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            raw = file.read_bytes()
            sizes[str(file)] = len(raw)
            hits.extend(f"{file}: {name}" for name, form in forms.items() if form in raw)
    return hits, DiskScan(files=sizes, forms=tuple(forms))


def assert_text_not_on_disk(where: Path | Iterable[Path], sentence: str) -> DiskScan:
    """Fail if ``sentence`` (any form of :func:`plaintext_forms`) is in any of the files.

    ``where`` is a SQLite database path (its -wal/-shm/-journal are included), a directory
    (all files below it are read) or a list of paths. Fails too if nothing was read, so
    a wrong path cannot pass silently.
    """
    if isinstance(where, Path):
        paths = [where] if where.is_dir() else sqlite_files(where)
    else:
        paths = list(where)
    if len(sentence) < 4:
        raise ValueError("use a distinctive text of at least 4 characters")
    hits, scan = find_text_on_disk(paths, sentence)
    assert scan.files and sum(scan.files.values()) > 0, f"no bytes were read from {where}"
    assert not hits, "plaintext found on disk:\n" + "\n".join(hits)
    return scan
