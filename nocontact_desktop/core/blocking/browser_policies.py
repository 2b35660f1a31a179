"""Browser policies that keep browsers from routing around the hosts file (DESIGN §2, issue 15).

Firefox with DNS over HTTPS can ignore /etc/hosts, and reads it only at start-up; Firefox and
Chromium-family browsers also keep their own DNS caches. The helper writes each browser's
documented system policy: DoH off and locked, and Firefox's DNS cache short. This module is
the pure part: what to write, merged into what is there, and how to take it out again.

Firefox keeps all policies in one ``policies.json`` that an administrator may also use, so
ours are merged in and, on removal, taken out again (restoring the administrator's own values).
Chromium-family browsers read every file in their ``managed`` folder, so ours is a file of its
own, created and deleted whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final, Literal

from nocontact_desktop.core.errors import BadInput

PolicyKind = Literal["firefox", "chromium"]

FIREFOX_POLICIES: Final[dict[str, Any]] = {
    # DoH off and locked: lookups go through the system resolver, which reads /etc/hosts on
    # every lookup (Firefox's own DoH reads it only at start-up, or not at all).
    "DNSOverHTTPS": {"Enabled": False, "Locked": True},
    # Firefox caches answers for 60 s by default: a block added while it runs would wait.
    "Preferences": {
        "network.dnsCacheExpiration": {"Value": 1, "Status": "locked"},
        "network.dnsCacheExpirationGracePeriod": {"Value": 0, "Status": "locked"},
    },
}

CHROMIUM_POLICIES: Final[dict[str, Any]] = {
    # Chromium honours /etc/hosts even with secure DNS, but only through its system resolver
    # path; "off" keeps every Chromium-family browser on it.
    "DnsOverHttpsMode": "off",
}

# A neutral file name: every user can list this folder (discreet mode, issue 14).
CHROMIUM_FILE_NAME: Final = "local-dns.json"


@dataclass(frozen=True)
class PolicyFile:
    """One policy file the helper manages: where it is and which browser reads it."""

    path: str
    kind: PolicyKind


def _load_firefox(existing: bytes | None, where: str) -> dict[str, Any]:
    if existing is None or not existing.strip():
        return {"policies": {}}
    try:
        document = json.loads(existing.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"{where}: not valid JSON ({error}); left as it is") from None
    if not isinstance(document, dict) or not isinstance(document.get("policies", {}), dict):
        raise BadInput(f'{where}: expected {{"policies": {{...}}}}; left as it is')
    document.setdefault("policies", {})
    return document


def _dump(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def firefox_with_ours(existing: bytes | None, where: str) -> bytes:
    """``existing`` policies.json with our policies merged in (theirs kept where they differ
    in other keys; for the same key ours win, and :func:`firefox_without_ours` restores)."""
    document = _load_firefox(existing, where)
    policies: dict[str, Any] = document["policies"]
    for key, value in FIREFOX_POLICIES.items():
        if key == "Preferences":
            current = policies.get("Preferences")
            merged = dict(current) if isinstance(current, dict) else {}
            merged.update(value)
            policies["Preferences"] = merged
        else:
            policies[key] = value
    return _dump(document)


def firefox_holds_ours(existing: bytes | None) -> bool:
    """Whether a policies.json already carries every policy of ours."""
    try:
        policies = _load_firefox(existing, "policies.json")["policies"]
    except BadInput:
        return False
    prefs = policies.get("Preferences")
    return policies.get("DNSOverHTTPS") == FIREFOX_POLICIES["DNSOverHTTPS"] and (
        isinstance(prefs, dict)
        and all(prefs.get(k) == v for k, v in FIREFOX_POLICIES["Preferences"].items())
    )


def firefox_without_ours(current: bytes, original: bytes | None, where: str) -> bytes | None:
    """Take our policies out of ``current``; ``original`` is the file before we first wrote.

    Returns the bytes to write, or ``None`` to delete the file (it did not exist before and
    holds nothing else now). The administrator's own values for our keys come back.
    """
    document = _load_firefox(current, where)
    before = _load_firefox(original, where)["policies"] if original is not None else {}
    policies: dict[str, Any] = document["policies"]
    if "DNSOverHTTPS" in before:
        policies["DNSOverHTTPS"] = before["DNSOverHTTPS"]
    else:
        policies.pop("DNSOverHTTPS", None)
    prefs = policies.get("Preferences")
    if isinstance(prefs, dict):
        saved = before.get("Preferences")
        old_prefs: dict[str, Any] = saved if isinstance(saved, dict) else {}
        for name in FIREFOX_POLICIES["Preferences"]:
            if name in old_prefs:
                prefs[name] = old_prefs[name]
            else:
                prefs.pop(name, None)
        if not prefs:
            policies.pop("Preferences", None)
    if original is None and document == {"policies": {}}:
        return None
    if original is not None and _load_firefox(original, where) == document:
        return original  # byte for byte, as the administrator wrote it
    return _dump(document)


def chromium_policy() -> bytes:
    """Our Chromium-family managed policy file's content."""
    return _dump(dict(CHROMIUM_POLICIES))
