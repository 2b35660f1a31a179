"""`nocontact doctor` checks over real files and a helper that is not there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nocontact_desktop.cli import _helper_run_argv
from nocontact_desktop.core import doctor
from nocontact_desktop.core.blocking.browser_policies import PolicyFile, firefox_with_ours
from nocontact_desktop.core.blocking.hosts_section import apply_section
from nocontact_desktop.core.helper_link.client import HelperClient


def test_section_check_compares_disk_with_list(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_bytes(apply_section(b"127.0.0.1 localhost\n", ["a.example", "b.example"]))
    assert doctor.check_section(hosts, ["a.example", "b.example"], []).status == "ok"
    during_pass = doctor.check_section(
        hosts, ["a.example", "b.example", "c.example"], ["c.example"]
    )
    assert during_pass.status == "ok"
    stale = doctor.check_section(hosts, ["a.example", "z.example"], [])
    assert stale.status == "problem"
    assert "z.example" in stale.detail
    assert stale.fix is not None
    assert "hosts apply" in stale.fix


def test_helper_check_without_helper(tmp_path: Path) -> None:
    check, state = doctor.check_helper(
        HelperClient(tmp_path / "none.sock"), lambda: "not installed"
    )
    assert check.status == "problem"
    assert state is None
    assert check.fix is not None
    assert "helper install" in check.fix


def test_nsswitch_without_files_is_a_problem(tmp_path: Path) -> None:
    conf = tmp_path / "nsswitch.conf"
    conf.write_text("passwd: files\nhosts: dns mdns\n")
    check = doctor.check_nsswitch(conf)
    assert check is not None
    assert check.status == "problem"
    conf.write_text("hosts:  files mdns4_minimal [NOTFOUND=return] dns\n")
    check = doctor.check_nsswitch(conf)
    assert check is not None
    assert check.status == "ok"


@pytest.mark.parametrize("root", [(".mozilla", "firefox"), (".config", "mozilla", "firefox")])
@pytest.mark.parametrize(
    ("prefs", "says"),
    [
        (
            'user_pref("network.trr.mode", 3);\nuser_pref("network.trr.exclude-etc-hosts", false);',
            "skips the hosts file entirely",
        ),
        ('user_pref("network.trr.mode", 2);', "only when Firefox starts"),
        ('user_pref("doh-rollout.mode", 2);', "only when Firefox starts"),
    ],
)
def test_firefox_doh_is_found_in_every_profile_root(
    tmp_path: Path, root: tuple[str, ...], prefs: str, says: str
) -> None:
    profile = tmp_path.joinpath(*root, "abc.default")
    profile.mkdir(parents=True)
    (profile.parent / "profiles.ini").write_text("[Profile0]\nPath=abc.default\nIsRelative=1\n")
    (profile / "prefs.js").write_text(prefs + "\n")
    found = doctor.check_browsers(tmp_path)
    assert [c.status for c in found] == ["problem"] and says in found[0].detail
    assert found[0].fix
    # With the helper's locked policy in place, Firefox cannot use DoH: nothing to fix.
    policy = tmp_path / "etc" / "policies.json"
    policy.parent.mkdir()
    policy.write_bytes(firefox_with_ours(None, str(policy)))
    chromium = tmp_path / "etc" / "local-dns.json"
    chromium.write_text("{}")
    files = [PolicyFile(str(policy), "firefox"), PolicyFile(str(chromium), "chromium")]
    assert doctor.check_browsers(tmp_path, files) == []
    assert doctor.check_browsers(tmp_path / "empty") == []


def test_chromium_secure_dns_is_no_bypass(tmp_path: Path) -> None:
    chromium = tmp_path / ".config" / "chromium"
    chromium.mkdir(parents=True)
    (chromium / "Local State").write_text(json.dumps({"dns_over_https": {"mode": "secure"}}))
    assert doctor.check_browsers(tmp_path) == []
    missing = [PolicyFile(str(tmp_path / "nowhere.json"), "chromium")]
    assert [c.status for c in doctor.check_browsers(tmp_path, missing)] == ["warning"]


def test_report_and_text() -> None:
    data = doctor.report(
        [doctor.Check("a", "ok", "fine"), None, doctor.Check("b", "problem", "x", "do y")]
    )
    assert data["ok"] is False
    text = doctor.format_report(data)
    assert "✓ a: fine" in text
    assert "fix: do y" in text


def test_helper_run_arguments_pass_through() -> None:
    assert _helper_run_argv(["helper", "run", "--http-port", "8080"]) == ["--http-port", "8080"]
    assert _helper_run_argv(["--socket", "/s", "--data-dir", "/d", "helper", "run"]) == [
        "--socket",
        "/s",
    ]
    assert _helper_run_argv(["helper", "events"]) is None
    assert _helper_run_argv(["status"]) is None


@pytest.mark.parametrize(
    ("service", "words"),
    [
        ("failed", "journalctl -u nocontact-helper"),
        ("stopped", "installed but not running"),
        ("not installed", "turn blocking on: nocontact helper install"),
        ("unavailable: systemd is not running on this machine", "helper run --allow-uid"),
    ],
)
def test_helper_check_says_how_to_fix_what_the_service_manager_reports(
    tmp_path: Path, service: str, words: str
) -> None:
    check, _ = doctor.check_helper(HelperClient(tmp_path / "none.sock"), lambda: service)
    assert check.status == "problem" and service in check.detail
    assert check.fix is not None and words in check.fix
