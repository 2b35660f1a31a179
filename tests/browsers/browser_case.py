"""One browser case in the stand-in world: ``nsenter -t PID -m -n python THIS ROOT SPEC``.

Runs inside the world's namespaces (see ``standin_world.py``), so ``/etc/hosts`` is the
throwaway file and the only internet is the stand-in one. Starts the real helper
(``nocontact helper run``, listener on loopback :443/:80, managing ``/etc/hosts``) and an
events subscriber (``nocontact helper events``), blocks the stand-in Instagram with
``nocontact block add`` like a person would, drives a real browser and prints one JSON report:
did the stand-in site load, which ``blocked_hit`` events came and how long after the
navigation, which DNS path the browser used (the stand-in servers log every question).

SPEC is a JSON object (see ``CASES`` in test_real_browsers.py): ``browser`` (firefox,
chromium), ``flow`` (blocked, block-while-running, pass), and optional ``trr_mode``,
``exclude_etc_hosts``, ``chromium_doh``, ``url``, ``ech``, ``ipv6_only``, ``listen``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests.browsers import browser_drivers as drivers
from tests.browsers import standin_dns as dns
from tests.browsers import standin_world as world
from tests.helpers.helper_harness import RunningHelper, wait_for

NOCONTACT = [sys.executable, "-m", "nocontact_desktop"]
TARGET = "https://www.instagram.com/someone.they.were/"
PROFILE_URL = "https://www.instagram.com/someone/"
FRESH_URL = "https://instagram.com/someone/"  # on the blocklist, never looked up before
OTHER_LISTED = "other-site.example"  # already on the list when the browser started
# The Firefox policy files the helper writes on Linux (platform/linux.py).
FIREFOX_POLICY_FILES = (
    "/etc/firefox/policies/policies.json",
    "/etc/firefox-esr/policies/policies.json",
    "/usr/lib/firefox-esr/distribution/policies.json",
)
DOH_URI = f"https://{dns.DOH_NAME}/dns-query"
SETTLE = 0.75  # seconds after a navigation in which late hits still count for it
QTYPES = {dns.TYPE_A: "A", dns.TYPE_AAAA: "AAAA", dns.TYPE_HTTPS: "HTTPS"}


class CliHelper(RunningHelper):
    """The real helper, started exactly as ``nocontact helper run`` (DESIGN §9)."""

    def __init__(self, root: Path, listen: list[str], extra: list[str]) -> None:
        super().__init__(root, hosts_file=Path("/etc/hosts"), hosts_content=None)
        self.listen = listen
        self.extra = extra

    def command(self, *more: str) -> list[str]:
        listen = [word for address in self.listen for word in ("--listen-address", address)]
        return [
            *NOCONTACT, "helper", "run",
            "--hosts-file", str(self.hosts), "--socket", str(self.socket),
            "--state-dir", str(self.state_dir), "--tamper-check-interval", "0.2",
            "--debug", "--browser-policies", "on", *listen, *self.extra, *more,
        ]  # fmt: skip


class Events:
    """``nocontact helper events`` in a child process; each line timed as it arrives."""

    def __init__(self, socket_path: Path, log: Path) -> None:
        self.process = subprocess.Popen(
            [*NOCONTACT, "--socket", str(socket_path), "helper", "events"],
            stdout=subprocess.PIPE,
            stderr=open(log, "ab"),  # noqa: SIM115 - the child owns it
            stdin=subprocess.DEVNULL,
        )
        self.seen: list[tuple[float, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                with self._lock:
                    self.seen.append((time.perf_counter(), event))

    def named(
        self, name: str, since: float = 0.0, until: float = float("inf")
    ) -> list[tuple[float, dict[str, Any]]]:
        with self._lock:
            return [(t, e) for t, e in self.seen if e.get("event") == name and since <= t <= until]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Case:
    def __init__(self, root: Path, spec: dict[str, Any]) -> None:
        self.root = root
        self.spec = spec
        self.name = str(spec["name"])
        self.dir = root / "cases" / self.name
        self.dir.mkdir(parents=True)
        os.chmod(self.dir, 0o755)  # noqa: S103 - only root runs in here; harmless
        self.data = self.dir / "data"
        self.report: dict[str, Any] = {"case": self.name, "spec": spec}
        self.token = 0
        self.grace = float(spec.get("grace", 5.0))
        self.started_wall = time.time()
        self.helper: CliHelper | None = None
        self.events: Events | None = None
        self.browser: drivers.Firefox | drivers.Chromium | None = None

    # ------------------------------------------------------------------ parts

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert self.helper is not None
        return subprocess.run(
            [*NOCONTACT, "--data-dir", str(self.data), "--socket", str(self.helper.socket),
             *args],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "HOME": str(self.dir)},
        )  # fmt: skip

    def start_helper(self) -> None:
        listen = list(self.spec.get("listen") or ["127.0.0.1", "::1"])
        extra: list[str] = []
        if self.spec["flow"] == "pass":
            extra += ["--pass-minute-seconds", str(self.spec.get("pass_seconds", 10))]
        self.helper = CliHelper(self.dir / "helper", listen, extra)
        self.helper.root.mkdir()
        self.helper.start()
        # A person whose list already had something when the browser started (the browsers read
        # their policies at start-up only): an unrelated listed name, unless the case says no.
        if self.spec.get("listed_before", True) and self.spec["flow"] in (
            "block-while-running", "block-after-start"
        ):
            self.helper.client().set_blocklist([OTHER_LISTED])
        else:
            self.helper.client().set_blocklist([])
        self.events = Events(self.helper.socket, self.dir / "events.err")
        client = self.helper.client()
        if not wait_for(lambda: client.get_state()["subscribers"] >= 1, 10, 0.05):
            raise RuntimeError("the events subscriber did not connect")

    def block(self) -> float:
        """``nocontact block add`` the profile; the moment /etc/hosts has it (perf_counter)."""
        self.cli("block", "add", TARGET)
        if not wait_for(lambda: b"www.instagram.com" in Path("/etc/hosts").read_bytes(), 10):
            raise RuntimeError("the block did not reach /etc/hosts")
        self.report["blocked_at_wall"] = time.time()
        return time.perf_counter()

    def start_browser(self) -> None:
        only = self.spec.get("policy_only")
        if only is not None:
            # Which Firefox policy file does this Firefox read? Leave only one in place.
            for path in FIREFOX_POLICY_FILES:
                if path != only:
                    Path(path).unlink(missing_ok=True)
            self.report["policy_files_left"] = [p for p in FIREFOX_POLICY_FILES if Path(p).exists()]
        home = self.dir / "home"
        home.mkdir()
        ca = self.root / "ca.pem"
        log = self.dir / "browser.log"
        started = time.perf_counter()
        if self.spec["browser"] == "firefox":
            prefs = drivers.firefox_prefs(
                self.spec.get("trr_mode"), self.spec.get("exclude_etc_hosts"), DOH_URI
            )
            self.browser = drivers.Firefox(home, ca, prefs, log)
        else:
            local_state = None
            if self.spec.get("chromium_doh"):
                local_state = {
                    "dns_over_https": {"mode": self.spec["chromium_doh"], "templates": DOH_URI}
                }
            self.browser = drivers.Chromium(home, ca, log, local_state)
        self.report["browser_start_seconds"] = round(time.perf_counter() - started, 2)

    def url(self, base: str | None = None) -> str:
        self.token += 1
        base = base or str(self.spec.get("url") or PROFILE_URL)
        return f"{base}?nc={self.name}-{self.token}"

    def listener_stats(self) -> dict[str, int]:
        assert self.helper is not None
        stats = self.helper.client().get_state()["listener"].get("stats") or {}
        return {str(k): int(v) for k, v in stats.items()}

    def navigate(self, note: str = "", base: str | None = None) -> dict[str, Any]:
        """Navigate once; the result with the hits and listener outcomes that belong to it."""
        assert self.browser is not None and self.events is not None
        before = self.listener_stats()
        url = self.url(base)
        nav = self.browser.navigate(url)
        time.sleep(SETTLE)
        hits = self.events.named("blocked_hit", nav.started, nav.started + nav.seconds + SETTLE)
        after = self.listener_stats()
        result = nav.as_dict()
        result["hits"] = len(hits)
        result["hit_domains"] = sorted({str(e.get("domain")) for _, e in hits})
        result["first_hit_after"] = round(hits[0][0] - nav.started, 3) if hits else None
        # What reached the listener (an ECH outer name or no SNI shows as "ignored").
        result["listener"] = {
            k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)
        }
        ending = f"nc={self.name}-{self.token}"
        served = [
            r
            for r in _log_since(self.root / "logs" / "site.jsonl", self.started_wall)
            if str(r.get("path", "")).endswith(ending)
        ]
        result["served_on_connections"] = sorted({int(r["conn"]) for r in served})
        opened = {
            int(r["opened"]): float(r["t"])
            for r in _log_since(self.root / "logs" / "site.jsonl", self.started_wall)
            if "opened" in r
        }
        # Wall-clock seconds: when each serving connection opened (a report turns them into
        # "seconds after the block").
        result["connections_opened_at"] = {
            str(conn): opened[conn] for conn in result["served_on_connections"] if conn in opened
        }
        if note:
            result["note"] = note
        return result

    # ------------------------------------------------------------------ flows

    def run(self) -> dict[str, Any]:
        try:
            if self.spec.get("ipv6_only"):
                world.remove_v4(world.INTERFACE)
            if self.spec.get("ech"):
                (self.root / "control" / "ech").touch()
            self.start_helper()
            flow = self.spec["flow"]
            if flow == "blocked":
                self.flow_blocked()
            elif flow == "block-while-running":
                self.flow_block_while_running()
            elif flow == "block-after-start":
                self.flow_block_after_start()
            elif flow == "pass":
                self.flow_pass()
            elif flow == "clients":
                self.block()
                self.report["other_clients"] = self.other_clients()
            else:
                raise ValueError(f"unknown flow {flow!r}")
        finally:
            self.finish()
        return self.report

    def flow_blocked(self) -> None:
        self.block()
        self.start_browser()
        self.report["navigation"] = self.navigate()

    def flow_block_while_running(self) -> None:
        """A block added while the browser runs, for a name it has just used.

        Three navigations, each at least ``grace`` seconds after the block reached the hosts
        file: on the connection the browser kept alive from before the block; on a new
        connection (the site has closed its connections, so only the browser's DNS cache
        matters); and to a name of the blocklist the browser has never looked up (only
        whether it reads the hosts file again matters).
        """
        self.start_browser()
        self.report["before_block"] = self.navigate("not blocked yet")
        blocked_at = self.block()
        time.sleep(max(0.0, blocked_at + self.grace - time.perf_counter()))
        kept = self.navigate("same name, connection kept alive from before the block")
        (self.root / "control" / "drop-connections").touch()
        if not wait_for(lambda: not (self.root / "control" / "drop-connections").exists(), 5):
            raise RuntimeError("the stand-in site did not drop its connections")
        time.sleep(0.3)
        cached = self.navigate("same name, new connection (the browser's DNS cache)")
        fresh = self.navigate("a blocked name never looked up before", FRESH_URL)
        for result in (kept, cached, fresh):
            result["since_block"] = round(
                time.perf_counter() - blocked_at - result["seconds"] - SETTLE, 2
            )
        self.report["kept_alive"] = kept
        # When the connections that served the page before the block closed (the helper ends
        # them with SOCK_DESTROY), in seconds after the block; None: still open at the end.
        closed = {
            int(r["closed"]): float(r["t"])
            for r in _log_since(self.root / "logs" / "site.jsonl", self.started_wall)
            if "closed" in r
        }
        blocked_wall = float(self.report["blocked_at_wall"])
        self.report["before_block_closed_after_block"] = {
            str(conn): round(closed[conn] - blocked_wall, 2) if conn in closed else None
            for conn in self.report["before_block"]["served_on_connections"]
        }
        self.report["cached_name"] = cached
        self.report["fresh_name"] = fresh
        self.report["navigation"] = kept

    def flow_block_after_start(self) -> None:
        """The browser started before the block, and never looked the name up."""
        self.start_browser()
        blocked_at = self.block()
        time.sleep(max(0.0, blocked_at + self.grace - time.perf_counter()))
        self.report["navigation"] = self.navigate("blocked after the browser started")

    def flow_pass(self) -> None:
        self.block()
        self.start_browser()
        assert self.helper is not None and self.events is not None and self.browser is not None
        self.report["before_pass"] = self.navigate("blocked, no pass")
        domains = json.loads(self.cli("block", "list", "--json").stdout)[0]["domains"]
        # As the tray does: the reflect countdown first (5 s of helper minutes: under 1 s).
        self.helper.client().begin_reflect(domains, 5)
        minute = float(self.spec.get("pass_seconds", 10))
        time.sleep(5 * minute / 60 + 0.1)
        granted = time.perf_counter()
        self.helper.client().grant_pass(domains, 1)
        self.report["pass_granted_for_seconds"] = self.spec.get("pass_seconds", 10)
        # The next load works from the moment a pass starts (a person pressed "Open anyway").
        first = self.navigate("pass just granted")
        first["since_pass"] = round(first["seconds"], 2)
        self.report["at_pass_start"] = first
        tries = [first]
        while not tries[-1]["loaded"] and time.perf_counter() - granted < 8:
            retry = self.navigate("retry during the pass")
            retry["since_pass"] = round(time.perf_counter() - granted, 2)
            tries.append(retry)
        self.report["pass_loads"] = tries
        # Keep one connection busy: the page fetches /ping twice a second across the expiry.
        pings: list[tuple[float, str]] = []
        expired_at: float | None = None
        deadline = granted + float(self.spec.get("pass_seconds", 10)) + 30
        while time.perf_counter() < deadline:
            pings.append((time.perf_counter(), self.browser.fetch("/ping")))
            expired = self.events.named("pass_expired")
            if expired and expired_at is None:
                expired_at = expired[0][0]
            if expired_at is not None and time.perf_counter() > expired_at + self.grace + 1.5:
                break
            time.sleep(0.5)
        self.report["pass_expired_seen"] = expired_at is not None
        served_during_pass = any(
            body == "pong" and (expired_at is None or t < expired_at) for t, body in pings
        )
        self.report["pings_during_pass"] = sum(
            1 for t, body in pings if body == "pong" and (expired_at is None or t < expired_at)
        )
        self.report["ping_stopped_after"] = None
        if expired_at is not None:
            after = [(t - expired_at, body) for t, body in pings if t >= expired_at]
            self.report["pings_after_expiry"] = [[round(s, 2), b[:40]] for s, b in after]
            failed = [s for s, body in after if body != "pong"]
            if served_during_pass and failed:
                self.report["ping_stopped_after"] = round(failed[0], 2)
            time.sleep(max(0.0, expired_at + self.grace - time.perf_counter()))
            late = self.navigate("5 s after expiry")
            self.report["navigation"] = late

    def other_clients(self) -> dict[str, Any]:
        """curl and ``wget -6`` (glibc's resolver, no browser cache): did the site load?"""
        ca = str(self.root / "ca.pem")
        out: dict[str, Any] = {}
        for name, argv in (
            ("curl", ["curl", "-sS", "--max-time", "8", "--cacert", ca, self.url()]),
            ("wget-6", ["wget", "-6", "-q", "-O", "-", "--timeout=8", f"--ca-certificate={ca}",
                        self.url()]),
        ):  # fmt: skip
            try:
                done = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            except (FileNotFoundError, subprocess.TimeoutExpired) as error:
                out[name] = {"loaded": False, "error": str(error)}
                continue
            out[name] = {
                "loaded": drivers.SITE_MARKER in done.stdout,
                "error": done.stderr.strip()[-200:] or None,
            }
        return out

    def finish(self) -> None:
        if self.browser is not None:
            self.browser.close()
        if self.helper is not None and self.helper.process is not None:
            with contextlib.suppress(Exception):
                self.report["listener_stats"] = (
                    self.helper.client().get_state()["listener"].get("stats")
                )
        if self.events is not None:
            self.events.close()
            self.report["events"] = sorted({str(e.get("event")) for _, e in self.events.seen})
            self.report["blocked_hits_total"] = len(self.events.named("blocked_hit"))
        if self.helper is not None:
            with contextlib.suppress(Exception):
                self.helper.stop()
            self.helper.kill()
            # The helper's own account of ending kept-alive connections, for failure reports.
            self.report["helper_reset_log"] = [
                line
                for line in self.helper.log_text().splitlines()
                if "kept-alive" in line or "real addresses" in line or "upstream DNS" in line
            ]
        with contextlib.suppress(FileNotFoundError):
            (self.root / "control" / "ech").unlink()
        if self.spec.get("ipv6_only"):
            world.add_v4(world.INTERFACE)
        self.report["dns"] = self.dns_seen()
        self.report["site_requests"] = self.site_requests()

    def dns_seen(self) -> dict[str, int]:
        """How often the stand-in Instagram names were asked for, by path and type."""
        counts: dict[str, int] = {}
        for record in _log_since(self.root / "logs" / "dns.jsonl", self.started_wall):
            name = str(record["name"])
            if any(name == z or name.endswith("." + z) for z in dns.SITE_ZONES):
                kind = QTYPES.get(record["type"], str(record["type"]))
                key = f"{record['via']}:{kind}"
                counts[key] = counts.get(key, 0) + 1
        return counts

    def site_requests(self) -> list[str]:
        """Each request the stand-in site served for this case: token and path."""
        marker = f"nc={self.name}-"
        return [
            str(r["path"])
            for r in _log_since(self.root / "logs" / "site.jsonl", self.started_wall)
            if marker in str(r["path"])
        ]


def _log_since(path: Path, since: float) -> list[dict[str, Any]]:
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        return []
    records = []
    for line in lines:
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if record.get("t", 0) >= since:
                records.append(record)
    return records


def main() -> int:
    root, spec = Path(sys.argv[1]), json.loads(sys.argv[2])
    report = Case(root, spec).run()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
