"""`nocontact doctor`: what works, what does not, and how to fix it.

Each check is a small function over injected facts (paths, a helper client, the platform), so
tests can hand in their own. Nothing here changes anything.
"""

from __future__ import annotations

import configparser
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nocontact_desktop.core.blocking.browser_policies import PolicyFile, firefox_holds_ours
from nocontact_desktop.core.blocking.hosts_safety import hosts_file_problem
from nocontact_desktop.core.blocking.hosts_section import read_section_names, section_state
from nocontact_desktop.core.helper_link.client import HelperClient, HelperError, HelperUnavailable
from nocontact_desktop.core.paths import DB_FILE_NAME


@dataclass(frozen=True)
class Check:
    """One line of the report. ``status`` is ``ok``, ``warning`` or ``problem``."""

    name: str
    status: str
    detail: str
    fix: str | None = None


def check_data(data_dir: Path) -> Check:
    """The database exists and only its owner can read it."""
    db = data_dir / DB_FILE_NAME
    if not db.exists():
        return Check(
            "data", "warning", f"no data yet in {data_dir}", "start the count: nocontact start"
        )
    mode = stat.S_IMODE(db.stat().st_mode)
    if mode & 0o077:
        return Check(
            "data", "problem", f"{db} can be read by others (mode {mode:o})", f"chmod 600 {db}"
        )
    return Check("data", "ok", f"{db} (mode 600)")


def check_encryption(key_source: str | None, data_dir: Path) -> Check:
    """Where the key that seals free text comes from."""
    if key_source == "keyring":
        return Check("encryption", "ok", "notes are encrypted; the key is in the system keyring")
    if key_source == "passphrase":
        return Check("encryption", "ok", "notes are encrypted with a key from your passphrase")
    if key_source == "keyfile":
        return Check(
            "encryption",
            "warning",
            f"notes are encrypted, but the key is a file next to the data ({data_dir})",
            "move your notes to the system keyring (in a desktop session): "
            "nocontact key move --to keyring — or to a passphrase: "
            "nocontact key move --to passphrase",
        )
    return Check("encryption", "ok", "nothing written yet; the key is set up on first use")


def check_helper(
    client: HelperClient, service_status: Callable[[], str]
) -> tuple[Check, dict[str, Any] | None]:
    """Is the helper running and answering? Returns its state when it is."""
    try:
        state = client.get_state()
    except HelperUnavailable as err:
        status = service_status()
        return (
            Check(
                "helper",
                "problem",
                f"the blocking helper is not reachable ({err}); service: {status}",
                helper_fix(status),
            ),
            None,
        )
    except HelperError as err:
        return (Check("helper", "problem", f"the helper answered with an error: {err}", None), None)
    return Check("helper", "ok", "the blocking helper is running"), state


def helper_fix(service_status: str) -> str:
    """How to get the helper running, from what the service manager says about it."""
    if service_status in ("stopped", "failed"):
        return (
            "the helper's service is installed but not running; see why with "
            "`journalctl -u nocontact-helper -n 20`, then start it again: nocontact helper "
            "install (or remove it: nocontact helper uninstall)"
        )
    if service_status == "starting":
        return "the helper is starting; ask again in a few seconds"
    if service_status.startswith("unavailable: systemd"):
        return (
            "this system does not run systemd, so the helper cannot be a service; run it "
            "yourself as root: nocontact helper run --allow-uid $(id -u)"
        )
    return "turn blocking on: nocontact helper install (asks for administrator rights)"


def check_section(hosts_file: Path, blocked: Iterable[str], passes: Iterable[str]) -> Check:
    """The managed section on disk equals the block list minus active passes."""
    wanted = set(blocked) - set(passes)
    try:
        data = hosts_file.read_bytes()
    except OSError as err:
        return Check("hosts", "problem", f"cannot read {hosts_file}: {err.strerror}", None)
    state = section_state(data)
    on_disk = read_section_names(data) or frozenset()
    if state == "damaged":
        return Check(
            "hosts",
            "problem",
            f"the No Contact section in {hosts_file} is damaged",
            "the helper repairs it within seconds; if it does not run: nocontact helper install",
        )
    if set(on_disk) == wanted:
        detail = f"{len(wanted)} names blocked in {hosts_file}" if wanted else "nothing to block"
        return Check("hosts", "ok", detail)
    missing, extra = sorted(wanted - on_disk), sorted(on_disk - wanted)
    parts = []
    if missing:
        parts.append(f"{len(missing)} listed names are not blocked (e.g. {missing[0]})")
    if extra:
        parts.append(f"{len(extra)} names are blocked that are no longer listed")
    return Check(
        "hosts",
        "problem",
        f"{hosts_file}: " + "; ".join(parts),
        "start the helper (nocontact helper install), or apply directly as root: "
        f"nocontact hosts apply --hosts-file {hosts_file}",
    )


def check_hosts_safety(hosts_file: Path) -> Check:
    """Whether another user could redirect the helper's writes to the hosts file."""
    problem = hosts_file_problem(hosts_file)
    if problem is None:
        return Check("hosts file safety", "ok", f"only root can change {hosts_file}")
    return Check(
        "hosts file safety",
        "problem",
        f"the helper refuses to manage {hosts_file}: {problem}",
        f"as root: chown root {hosts_file.parent} {hosts_file} && "
        f"chmod go-w {hosts_file.parent} {hosts_file}",
    )


def check_nsswitch(path: Path = Path("/etc/nsswitch.conf")) -> Check | None:
    """On Linux the hosts file only counts if NSS consults ``files`` for host names."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if re.match(r"\s*hosts\s*:", line):
            sources = line.split(":", 1)[1].split("#", 1)[0].split()
            if "files" not in sources:
                return Check(
                    "resolver",
                    "problem",
                    f"{path} does not list 'files' for hosts, so the hosts file is ignored",
                    f"add 'files' first on the hosts: line of {path}",
                )
            return Check("resolver", "ok", "the system resolver reads the hosts file")
    return None


FIREFOX_PROFILE_ROOTS: tuple[tuple[str, ...], ...] = (
    (".mozilla", "firefox"),
    (".config", "mozilla", "firefox"),  # where Firefox 150+ creates new profiles
    ("snap", "firefox", "common", ".mozilla", "firefox"),
    (".var", "app", "org.mozilla.firefox", ".mozilla", "firefox"),  # Flatpak
)


def _firefox_prefs(home: Path) -> Iterable[Path]:
    for parts in FIREFOX_PROFILE_ROOTS:
        root = home.joinpath(*parts)
        ini = root / "profiles.ini"
        if not ini.exists():
            continue
        parser = configparser.ConfigParser()
        try:
            parser.read(ini, encoding="utf-8")
        except configparser.Error:
            continue
        for section in parser.sections():
            rel = parser.get(section, "Path", fallback=None)
            if rel:
                relative = parser.get(section, "IsRelative", fallback="1") == "1"
                yield (root / rel if relative else Path(rel)) / "prefs.js"


def _pref(text: str, name: str) -> str | None:
    match = re.search(r'user_pref\("' + re.escape(name) + r'",\s*([^)]*)\);', text)
    return match.group(1).strip().strip('"') if match else None


def _firefox_doh(text: str) -> tuple[bool, bool]:
    """(uses DoH, skips the hosts file) from a profile's prefs, rollout included."""
    mode = _pref(text, "network.trr.mode")
    rollout = _pref(text, "doh-rollout.mode")
    on = mode in ("2", "3") or (mode in (None, "0") and rollout in ("2", "3"))
    if _pref(text, "doh-rollout.enabled") == "true" and mode in (None, "0"):
        on = True
    if mode == "5":
        on = False  # turned off by choice
    return on, _pref(text, "network.trr.exclude-etc-hosts") == "false"


def check_browsers(home: Path, policy_files: Sequence[PolicyFile] = ()) -> list[Check]:
    """What really routes around the hosts file in this user's browsers, each with its fix.

    Firefox with DNS over HTTPS reads /etc/hosts only at start-up (or not at all when
    ``exclude-etc-hosts`` is false) — unless the system policy the helper writes locks DoH
    off. Chromium-family browsers honour the hosts file with secure DNS on, so their secure
    DNS setting is no bypass and draws no warning.
    """
    found: list[Check] = []
    firefox_locked = any(
        policy.kind == "firefox" and firefox_holds_ours(_read_or_none(Path(policy.path)))
        for policy in policy_files
    )
    for prefs in _firefox_prefs(home):
        try:
            text = prefs.read_text(errors="replace")
        except OSError:
            continue
        doh, skips_hosts = _firefox_doh(text)
        if not doh or firefox_locked:
            continue
        how = (
            "skips the hosts file entirely"
            if skips_hosts
            else "reads the hosts file only when Firefox starts, so a new block waits"
        )
        found.append(
            Check(
                "browser",
                "problem",
                f"Firefox profile {prefs.parent.name} uses DNS over HTTPS and {how}",
                "turn blocking on (the helper locks DNS over HTTPS off for Firefox), or in "
                "Firefox: Settings → Privacy & Security → DNS over HTTPS → Off",
            )
        )
    if policy_files and not any(
        policy.kind == "chromium" and Path(policy.path).exists() for policy in policy_files
    ):
        found.append(
            Check(
                "browser",
                "warning",
                "the Chromium-family policy that keeps secure DNS off is not in place",
                "turn blocking on: nocontact helper install",
            )
        )
    return found


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def report(checks: Iterable[Check | None]) -> dict[str, Any]:
    """JSON-ready report: every check and whether all are fine."""
    kept = [c for c in checks if c is not None]
    return {
        "ok": all(c.status != "problem" for c in kept),
        "checks": [asdict(c) for c in kept],
    }


def format_report(data: dict[str, Any]) -> str:
    """The report as text for a terminal."""
    marks = {"ok": "✓", "warning": "!", "problem": "✗"}
    lines = []
    for check in data["checks"]:
        lines.append(f"{marks.get(check['status'], '?')} {check['name']}: {check['detail']}")
        if check["fix"]:
            lines.append(f"    fix: {check['fix']}")
    return "\n".join(lines)
