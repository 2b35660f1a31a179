"""Browser policies: merged into what an administrator wrote, and taken out byte for byte."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from nocontact_desktop.core.blocking import browser_policies as rules
from nocontact_desktop.core.blocking.browser_policies import PolicyFile
from nocontact_desktop.helper.browser_policies import apply_policies, remove_policies
from nocontact_desktop.platform import linux

ADMIN = b'{\n  "policies": {"DisableAppUpdate": true,\n  "DNSOverHTTPS": {"Enabled": true}}}\n'


def files(root: Path) -> list[PolicyFile]:
    return [
        PolicyFile(str(root / "etc/firefox/policies/policies.json"), "firefox"),
        PolicyFile(str(root / "usr/lib/firefox-esr/distribution/policies.json"), "firefox"),
        PolicyFile(str(root / "etc/chromium/policies/managed/local-dns.json"), "chromium"),
    ]


def test_policies_are_written_and_removed_leaving_no_trace(tmp_path: Path) -> None:
    state = tmp_path / "state"
    targets = files(tmp_path)
    assert len(apply_policies(targets, state)) == 3
    firefox = json.loads(Path(targets[0].path).read_text())["policies"]
    assert firefox["DNSOverHTTPS"] == {"Enabled": False, "Locked": True}
    assert firefox["Preferences"]["network.dnsCacheExpiration"] == {"Value": 1, "Status": "locked"}
    chromium = Path(targets[2].path)
    assert json.loads(chromium.read_text()) == {"DnsOverHttpsMode": "off"}
    assert stat.S_IMODE(chromium.stat().st_mode) == 0o644  # browsers run as the users
    assert apply_policies(targets, state) == []  # already there: nothing rewritten
    assert len(remove_policies(targets, state)) == 3
    assert all(not Path(f.path).exists() for f in targets)
    assert not any(p.is_file() for p in state.rglob("*"))


def test_an_administrators_policies_come_back_byte_for_byte(tmp_path: Path) -> None:
    state = tmp_path / "state"
    target = files(tmp_path)[0]
    Path(target.path).parent.mkdir(parents=True)
    Path(target.path).write_bytes(ADMIN)
    apply_policies([target], state)
    merged = json.loads(Path(target.path).read_text())["policies"]
    assert merged["DisableAppUpdate"] is True  # theirs kept
    assert merged["DNSOverHTTPS"]["Locked"] is True  # ours win while blocking is on
    remove_policies([target], state)
    assert Path(target.path).read_bytes() == ADMIN


def test_a_file_changed_by_someone_else_meanwhile_keeps_their_change(tmp_path: Path) -> None:
    state = tmp_path / "state"
    target = files(tmp_path)[0]
    apply_policies([target], state)
    document = json.loads(Path(target.path).read_text())
    document["policies"]["BlockAboutConfig"] = True
    Path(target.path).write_text(json.dumps(document))
    remove_policies([target], state)
    left = json.loads(Path(target.path).read_text())["policies"]
    assert left == {"BlockAboutConfig": True}


def test_a_damaged_policies_file_is_left_alone_and_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = files(tmp_path)[0]
    Path(target.path).parent.mkdir(parents=True)
    Path(target.path).write_bytes(b"{ not json")
    assert apply_policies([target], tmp_path / "state") == []
    assert Path(target.path).read_bytes() == b"{ not json"
    assert target.path in caplog.text and "not valid JSON" in caplog.text


def test_the_pure_merge_restores_only_our_keys() -> None:
    ours = rules.firefox_with_ours(None, "p")
    assert rules.firefox_holds_ours(ours)
    assert rules.firefox_without_ours(ours, None, "p") is None


def test_linux_names_the_documented_places() -> None:
    paths = {f.path for f in linux.browser_policy_files()}
    assert "/etc/firefox/policies/policies.json" in paths
    assert "/etc/chromium/policies/managed/local-dns.json" in paths
    assert "/etc/opt/chrome/policies/managed/local-dns.json" in paths
    assert "/etc/brave/policies/managed/local-dns.json" in paths
    assert "/etc/opt/edge/policies/managed/local-dns.json" in paths
