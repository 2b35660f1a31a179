"""Drive a real Firefox ESR (Marionette) and a real Chromium (DevTools over a pipe), headless.

Both run as a person's browser would: a fresh profile in a private ``HOME``, the stand-in CA
trusted the way an administrator would add a CA (``certutil`` into the profile's NSS database
for Firefox, into ``~/.pki/nssdb`` for Chromium), and otherwise default settings, except the
DNS configuration a case asks for and switches that silence update, telemetry and
remote-settings traffic (it could not leave the namespace anyway; they only cut noise).

No third-party driver is needed: Marionette is length-prefixed JSON over TCP (inside the
namespace), and Chromium's ``--remote-debugging-pipe`` is NUL-separated JSON on fds 3 and 4.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SITE_MARKER = "NC-STANDIN-SITE"
MARIONETTE_PORT = 2828
NAVIGATION_TIMEOUT = 15.0


@dataclass
class Navigation:
    """What one navigation gave: did the stand-in page load, and how long it took."""

    url: str
    loaded: bool
    error: str | None
    started: float  # time.perf_counter() when the navigation was asked for
    seconds: float
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "loaded": self.loaded,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "text": self.text[:120],
        }


def trust_ca(nssdb: Path, ca_pem: Path) -> None:
    """Create an NSS database in ``nssdb`` that trusts ``ca_pem`` for web sites."""
    nssdb.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["certutil", "-A", "-n", "No Contact stand-in CA", "-t", "C,,", "-i", str(ca_pem),
         "-d", f"sql:{nssdb}"],
        check=True,
        capture_output=True,
    )  # fmt: skip


def _stop_group(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """End the browser we started and every process it started (its own process group)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


# ----------------------------------------------------------------------------- Firefox


FIREFOX_QUIET_PREFS: dict[str, Any] = {
    "app.update.auto": False,
    "app.update.enabled": False,
    "app.normandy.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.newtabpage.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "captivedetect.canonicalURL": "",
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "services.settings.server": "https://remote-settings.invalid/v1",
    "security.OCSP.enabled": 0,
    "doh-rollout.disable-heuristics": True,
    "marionette.port": MARIONETTE_PORT,
}


def firefox_prefs(
    trr_mode: int | None = None, exclude_etc_hosts: bool | None = None, doh_uri: str = ""
) -> dict[str, Any]:
    """``user.js`` prefs: quiet, plus DNS over HTTPS when ``trr_mode`` is 2 or 3."""
    prefs = dict(FIREFOX_QUIET_PREFS)
    if trr_mode is not None:
        prefs["network.trr.mode"] = trr_mode
        prefs["network.trr.uri"] = doh_uri
        prefs["network.trr.custom_uri"] = doh_uri
    if exclude_etc_hosts is not None:
        prefs["network.trr.exclude-etc-hosts"] = exclude_etc_hosts
    return prefs


class Marionette:
    """The few Marionette (WebDriver) commands the cases use."""

    def __init__(self, port: int, timeout: float = 40.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._sock.settimeout(NAVIGATION_TIMEOUT + 30)
        self._buffer = b""
        self._next_id = 0
        self._read()  # the greeting: {"applicationType": "gecko", "marionetteProtocol": 3}

    def _read(self) -> Any:
        while b":" not in self._buffer:
            self._fill()
        length, rest = self._buffer.split(b":", 1)
        size = int(length)
        self._buffer = rest
        while len(self._buffer) < size:
            self._fill()
        message, self._buffer = self._buffer[:size], self._buffer[size:]
        return json.loads(message)

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("Marionette closed the connection")
        self._buffer += chunk

    def call(self, command: str, params: dict[str, Any] | None = None) -> tuple[Any, Any]:
        """(error, result) of ``command``."""
        self._next_id += 1
        payload = json.dumps([0, self._next_id, command, params or {}]).encode()
        self._sock.sendall(str(len(payload)).encode() + b":" + payload)
        while True:
            message = self._read()
            if message[0] == 1 and message[1] == self._next_id:
                return message[2], message[3]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


class Firefox:
    """Firefox ESR, headless, with a fresh profile under ``home``."""

    name = "firefox"

    def __init__(self, home: Path, ca_pem: Path, prefs: dict[str, Any], log: Path) -> None:
        self.home = home
        self.profile = home / "firefox-profile"
        trust_ca(self.profile, ca_pem)
        (self.profile / "user.js").write_text(
            "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in prefs.items())
        )
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update(HOME=str(home), MOZ_HEADLESS="1", XDG_CONFIG_HOME=str(home / ".config"))
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                ["firefox-esr", "--headless", "--marionette", "--no-remote",
                 "--profile", str(self.profile), "about:blank"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        try:
            self.marionette = Marionette(MARIONETTE_PORT)
            error, _ = self.marionette.call("WebDriver:NewSession", {"capabilities": {}})
            if error:
                raise RuntimeError(f"Marionette session: {error}")
            self.marionette.call(
                "WebDriver:SetTimeouts", {"pageLoad": int(NAVIGATION_TIMEOUT * 1000)}
            )
        except Exception:
            _stop_group(self.process)
            raise

    def navigate(self, url: str) -> Navigation:
        started = time.perf_counter()
        error, _ = self.marionette.call("WebDriver:Navigate", {"url": url})
        seconds = time.perf_counter() - started
        text = self.page_text()
        message = None if not error else str(error.get("message", error))[:300]
        return Navigation(url, SITE_MARKER in text and not error, message, started, seconds, text)

    def page_text(self) -> str:
        error, result = self.marionette.call(
            "WebDriver:ExecuteScript",
            {"script": "return document.title + ' | ' + (document.body ? "
             "document.body.innerText : '')", "args": []},
        )  # fmt: skip
        if error or not isinstance(result, dict):
            return ""
        return str(result.get("value") or "")

    def fetch(self, path: str) -> str:
        """``fetch(path)`` from the current page: the body, or ``ERR ...``."""
        error, result = self.marionette.call(
            "WebDriver:ExecuteAsyncScript",
            {"script": "const done = arguments[arguments.length - 1];"
             f"fetch({json.dumps(path)}, {{cache: 'no-store'}}).then(r => r.text())"
             ".then(done, e => done('ERR ' + e));", "args": []},
        )  # fmt: skip
        if error:
            return f"ERR {error.get('message', error)}"[:200]
        return str(result.get("value"))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.marionette.call("Marionette:Quit", {"flags": ["eForceQuit"]})
        with contextlib.suppress(Exception):
            self.marionette.close()
        _stop_group(self.process)


# ----------------------------------------------------------------------------- Chromium


class _DevToolsPipe:
    """Chrome DevTools Protocol over ``--remote-debugging-pipe``."""

    def __init__(self, commands: int, replies: int) -> None:
        self._out = os.fdopen(commands, "wb", buffering=0)
        self._in = os.fdopen(replies, "rb", buffering=0)
        self._next_id = 0
        self._waiting: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        with contextlib.suppress(OSError, ValueError):
            while True:
                chunk = self._in.read(65536)
                if not chunk:
                    return
                buffer += chunk
                while b"\0" in buffer:
                    raw, buffer = buffer.split(b"\0", 1)
                    message = json.loads(raw)
                    waiter = self._waiting.get(message.get("id", -1))
                    if waiter is not None:
                        waiter.put(message)
                    else:
                        message["_received"] = time.perf_counter()
                        self.events.put(message)

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = NAVIGATION_TIMEOUT + 15,
    ) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            waiter: queue.Queue[dict[str, Any]] = queue.Queue()
            self._waiting[ident] = waiter
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        self._out.write(json.dumps(message).encode() + b"\0")
        try:
            reply = waiter.get(timeout=timeout)
        finally:
            self._waiting.pop(ident, None)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return dict(reply.get("result", {}))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._out.close()
        with contextlib.suppress(OSError):
            self._in.close()


class Chromium:
    """Debian's Chromium, ``--headless=new``, with a fresh profile under ``home``.

    ``local_state`` is written into the profile's ``Local State`` before start: this is where
    Chromium keeps the person's secure-DNS choice (Settings → Privacy → Use secure DNS).
    """

    name = "chromium"

    def __init__(
        self, home: Path, ca_pem: Path, log: Path, local_state: dict[str, Any] | None = None
    ) -> None:
        self.home = home
        trust_ca(home / ".pki" / "nssdb", ca_pem)
        self.profile = home / "chromium-profile"
        self.profile.mkdir(parents=True, exist_ok=True)
        if local_state:
            (self.profile / "Local State").write_text(json.dumps(local_state))
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4: a shell moves the two
        # pipe ends there (from our stdin/stdout for it), then becomes Chromium.
        plumbing = 'exec "$@" 3<&0 4>&1 0</dev/null 1>&2'
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                ["sh", "-c", plumbing, "sh",
                 "chromium", "--headless=new", "--no-sandbox", "--remote-debugging-pipe",
                 f"--user-data-dir={self.profile}", "--no-first-run",
                 "--no-default-browser-check", "--disable-component-update", "--disable-sync",
                 "--disable-breakpad", "--disable-gpu", "--password-store=basic",
                 "--use-mock-keychain", "about:blank"],
                env=env,
                stdin=to_browser_r,
                stdout=from_browser_w,
                stderr=out,
                start_new_session=True,
            )  # fmt: skip
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.pipe = _DevToolsPipe(to_browser_w, from_browser_r)
        try:
            self.session = self._attach()
            self.pipe.call("Page.enable", session=self.session)
            self.pipe.call("Runtime.enable", session=self.session)
        except Exception:
            self.close()
            raise

    def _attach(self) -> str:
        deadline = time.monotonic() + 30
        while True:
            targets = self.pipe.call("Target.getTargets").get("targetInfos", [])
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("Chromium opened no page")
            time.sleep(0.1)
        attached = self.pipe.call(
            "Target.attachToTarget", {"targetId": pages[0]["targetId"], "flatten": True}
        )
        return str(attached["sessionId"])

    def _drain_events(self) -> None:
        while True:
            try:
                self.pipe.events.get_nowait()
            except queue.Empty:
                return

    def navigate(self, url: str) -> Navigation:
        self._drain_events()
        started = time.perf_counter()
        error: str | None = None
        try:
            result = self.pipe.call("Page.navigate", {"url": url}, session=self.session)
            error = result.get("errorText") or None
            if error is None:
                deadline = time.monotonic() + NAVIGATION_TIMEOUT
                while True:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        error = "timeout waiting for the load event"
                        break
                    try:
                        event = self.pipe.events.get(timeout=remaining)
                    except queue.Empty:
                        continue
                    if event.get("method") in ("Page.loadEventFired", "Page.frameStoppedLoading"):
                        break
        except RuntimeError as failure:
            error = str(failure)[:300]
        seconds = time.perf_counter() - started
        text = self.page_text()
        return Navigation(url, SITE_MARKER in text and not error, error, started, seconds, text)

    def page_text(self) -> str:
        try:
            result = self.pipe.call(
                "Runtime.evaluate",
                {"expression": "document.title + ' | ' + (document.body ? "
                 "document.body.innerText : '')", "returnByValue": True},
                session=self.session,
            )  # fmt: skip
        except RuntimeError:
            return ""
        return str(result.get("result", {}).get("value") or "")

    def fetch(self, path: str) -> str:
        try:
            result = self.pipe.call(
                "Runtime.evaluate",
                {"expression": f"fetch({json.dumps(path)}, {{cache: 'no-store'}})"
                 ".then(r => r.text(), e => 'ERR ' + e)",
                 "awaitPromise": True, "returnByValue": True},
                session=self.session,
            )  # fmt: skip
        except RuntimeError as failure:
            return f"ERR {failure}"[:200]
        return str(result.get("result", {}).get("value"))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.pipe.call("Browser.close", timeout=5)
        self.pipe.close()
        _stop_group(self.process)
