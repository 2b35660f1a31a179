"""Real Firefox ESR and real Chromium against a blocked site on a stand-in internet (issue 15).

Each case runs in a private mount+network namespace whose only internet is the stand-in one
(DNS, DNS over HTTPS and an HTTPS "Instagram" on documentation addresses, a throwaway CA the
browsers trust), with the real helper managing a throwaway /etc/hosts and listening on
loopback :443/:80. See conftest.py, standin_world.py and browser_case.py.

Every case asserts that the stand-in site did not load outside a pass and that the listener
reported at least one ``blocked_hit`` for the navigation. Cases that are known ways around
the block today are marked ``xfail(strict=True)`` with what goes wrong: they turn red the day
the fix lands, and the marks go then.

The table of results (issue 15's "before"/"after" table) is written to
``tests/artifacts/browsers/table.md``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest

RunCase = Callable[[dict[str, Any]], dict[str, Any]]
# A change (block added, pass ended) must bite within this many seconds (issue 15).
GRACE_SECONDS = 5.0

pytestmark = [pytest.mark.e2e, pytest.mark.root, pytest.mark.slow]

TRAILING_DOT_URL = "https://www.instagram.com./someone/"


def bypass(what: str) -> pytest.MarkDecorator:
    """A known way around the block today (issue 15).

    Only a failed assertion counts as the expected failure: a case the harness could not run
    (``pytest.fail``) stays a failure.
    """
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"issue 15: {what}")


def case(name: str, *marks: pytest.MarkDecorator, **spec: Any) -> Any:
    return pytest.param({"name": name, "grace": GRACE_SECONDS, **spec}, id=name, marks=marks)


NOT_READ = bypass(
    "Debian's firefox-esr reads /etc/firefox/policies and its distribution folder, not "
    "/etc/firefox-esr/policies (written too, for builds that do); alone, it changes nothing"
)

BLOCKED = [
    case("firefox-system-dns", browser="firefox", flow="blocked"),
    case("chromium-system-dns", browser="chromium", flow="blocked"),
    case("firefox-trr2-exclude", browser="firefox", flow="blocked", trr_mode=2,
         exclude_etc_hosts=True),
    case("firefox-trr2-noexclude", browser="firefox", flow="blocked",
         trr_mode=2, exclude_etc_hosts=False),
    case("firefox-trr3-exclude", browser="firefox", flow="blocked", trr_mode=3,
         exclude_etc_hosts=True),
    case("firefox-trr3-noexclude", browser="firefox", flow="blocked",
         trr_mode=3, exclude_etc_hosts=False),
    case("chromium-doh-secure", browser="chromium", flow="blocked", chromium_doh="secure"),
    case("chromium-doh-automatic", browser="chromium", flow="blocked",
         chromium_doh="automatic"),
    case("firefox-trailing-dot", browser="firefox", flow="blocked", url=TRAILING_DOT_URL),
    case("chromium-trailing-dot", browser="chromium", flow="blocked",
         url=TRAILING_DOT_URL),
    case("firefox-ech-trr2", browser="firefox", flow="blocked", ech=True, trr_mode=2),
    case("chromium-ech-doh-secure", browser="chromium", flow="blocked", ech=True,
         chromium_doh="secure"),
    # Browsers skip the HTTPS record for names in the hosts file when they start; a block
    # added later is a name they still ask the record for, and so send an ECH hello.
    case("firefox-ech-block-after-start", browser="firefox",
         flow="block-after-start", ech=True),
    case("firefox-trr2-ech-block-after-start", browser="firefox",
         flow="block-after-start", ech=True, trr_mode=2),
    case("chromium-doh-ech-block-after-start", browser="chromium", flow="block-after-start",
         ech=True, chromium_doh="secure"),
    # Which policy file Debian's firefox-esr reads: only that one left before it starts.
    case("firefox-trr2-noexclude-policy-etc-firefox", browser="firefox", flow="blocked",
         trr_mode=2, exclude_etc_hosts=False,
         policy_only="/etc/firefox/policies/policies.json"),
    case("firefox-trr2-noexclude-policy-etc-firefox-esr", NOT_READ, browser="firefox",
         flow="blocked",
         trr_mode=2, exclude_etc_hosts=False,
         policy_only="/etc/firefox-esr/policies/policies.json"),
    case("firefox-trr2-noexclude-policy-distribution", browser="firefox", flow="blocked",
         trr_mode=2, exclude_etc_hosts=False,
         policy_only="/usr/lib/firefox-esr/distribution/policies.json"),
    # Nothing listed when Firefox started: the helper's policy was in place all the same.
    case("firefox-trr2-first-block-after-start", browser="firefox",
         flow="block-after-start", trr_mode=2, listed_before=False),
    case("firefox-ipv6-only", browser="firefox", flow="blocked",
         ipv6_only=True, listen=["127.0.0.1"]),
    case("chromium-ipv6-only", browser="chromium", flow="blocked", ipv6_only=True,
         listen=["127.0.0.1"]),
]  # fmt: skip

# (name, spec) of the block-while-running cases; each is run once and judged three times.
WHILE_RUNNING_SPECS: dict[str, dict[str, Any]] = {
    "firefox-block-while-running": {"browser": "firefox"},
    "firefox-trr2-block-while-running": {"browser": "firefox", "trr_mode": 2},
    "chromium-block-while-running": {"browser": "chromium"},
    "chromium-doh-block-while-running": {"browser": "chromium", "chromium_doh": "secure"},
}


def while_running(marks: dict[str, pytest.MarkDecorator]) -> list[Any]:
    return [
        case(name, *([marks[name]] if name in marks else []), flow="block-while-running",
             **spec)
        for name, spec in WHILE_RUNNING_SPECS.items()
    ]  # fmt: skip


# The helper destroys established sockets to the real addresses of newly blocked names.
WHILE_RUNNING_KEPT_ALIVE = while_running({})
# The helper's Firefox policy (DoH off and locked, network.dnsCacheExpiration 1 s locked)
# takes the DoH read-at-start-up and the 60 s DNS cache away (issue 15).
WHILE_RUNNING_NEW_CONNECTION = while_running({})
WHILE_RUNNING_NAME_NEVER_USED = while_running({})

PASSES = [
    case("firefox-pass-ends", browser="firefox", flow="pass", pass_seconds=8),
    case("chromium-pass-ends", browser="chromium", flow="pass", pass_seconds=8),
]


def _assert_blocked(report: dict[str, Any], nav: dict[str, Any]) -> None:
    blocked_at = report.get("blocked_at_wall")
    opened = {
        conn: round(at - blocked_at, 2) if blocked_at else at
        for conn, at in nav.get("connections_opened_at", {}).items()
    }
    assert not nav["loaded"], (
        f"the stand-in site loaded: {nav}; connections opened (s after the block) {opened}; "
        f"DNS seen {report['dns']}; helper {report.get('helper_reset_log')}"
    )
    assert nav["hits"] >= 1, (
        f"no blocked_hit for the navigation: {nav}; listener {report.get('listener_stats')}"
    )


@pytest.mark.parametrize("spec", BLOCKED)
def test_blocked_site_does_not_load(standin: RunCase, spec: dict[str, Any]) -> None:
    report = standin(spec)
    _assert_blocked(report, report["navigation"])
    assert report["site_requests"] == [], "the stand-in site served the page"
    if spec.get("ech"):
        # Only blocked names resolve to loopback: any hello there is an attempt (DESIGN §4).
        ignored = report["navigation"]["listener"].get("ignored", 0)
        assert ignored == 0, f"the listener dropped {ignored} hellos without a report"


def _while_running(spec: dict[str, Any], standin: RunCase) -> dict[str, Any]:
    report = standin(spec)
    assert report["before_block"]["loaded"], (
        f"harness: the site did not load before the block: {report['before_block']}"
    )
    return report


@pytest.mark.parametrize("spec", WHILE_RUNNING_KEPT_ALIVE)
def test_block_while_running_kept_alive_connection(standin: RunCase, spec: dict[str, Any]) -> None:
    """The connection the browser kept alive from before the block serves the site no more."""
    report = _while_running(spec, standin)
    kept = report["kept_alive"]
    closed = report["before_block_closed_after_block"]
    assert closed, f"harness: no connection served the page before the block: {report}"
    # The helper ends them (SOCK_DESTROY) at once, and once more 2.5 s later.
    late = {conn: after for conn, after in closed.items() if after is None or after > 4.0}
    assert not late, f"kept-alive connections not ended after the block (s): {closed}"
    reused = set(kept["served_on_connections"]) & {int(conn) for conn in closed}
    assert not reused, f"a connection from before the block served the page again: {kept}"
    if kept["loaded"] and spec["browser"] == "firefox":
        # Firefox keeps every DNS answer usable for at least 60 s (nsHostRecord::SetExpiration
        # raises the grace period to 60 s minus the lifetime; no pref or policy lowers it). The
        # first load within that minute uses the old answer while Firefox asks again in the
        # background, and may win the race on a new connection. The next load is the
        # "cached name" case, which must be blocked.
        blocked_at = report["blocked_at_wall"]
        assert all(at > blocked_at for at in kept["connections_opened_at"].values()), kept
        return
    _assert_blocked(report, kept)


@pytest.mark.parametrize("spec", WHILE_RUNNING_NEW_CONNECTION)
def test_block_while_running_new_connection(standin: RunCase, spec: dict[str, Any]) -> None:
    """Once the site closed the old connection, the browser's DNS cache does not bypass."""
    report = _while_running(spec, standin)
    _assert_blocked(report, report["cached_name"])


@pytest.mark.parametrize("spec", WHILE_RUNNING_NAME_NEVER_USED)
def test_block_while_running_name_never_used(standin: RunCase, spec: dict[str, Any]) -> None:
    """A blocked name the running browser never looked up resolves to the listener."""
    report = _while_running(spec, standin)
    _assert_blocked(report, report["fresh_name"])


@pytest.mark.parametrize("spec", PASSES)
def test_pass_opens_at_once_and_ends_on_time(standin: RunCase, spec: dict[str, Any]) -> None:
    report = standin(spec)
    _assert_blocked(report, report["before_pass"])
    assert report["at_pass_start"]["loaded"], (
        f"the first load of the pass failed: {report['at_pass_start']}"
    )
    assert report["pass_expired_seen"], "the helper never reported the pass's end"
    stopped = report["ping_stopped_after"]
    assert stopped is not None and stopped <= GRACE_SECONDS, (
        f"the kept-alive connection still served the site after the pass: "
        f"{report['pings_after_expiry']}"
    )
    _assert_blocked(report, report["navigation"])


def test_glibc_clients_on_an_ipv6_only_network(standin: RunCase) -> None:
    for tool in ("curl", "wget"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (Debian package; installed by ./run tests as root)")
    report = standin(
        {"name": "curl-wget-ipv6-only", "flow": "clients", "ipv6_only": True,
         "listen": ["127.0.0.1"]}
    )  # fmt: skip
    loaded = {k: v["loaded"] for k, v in report["other_clients"].items()}
    assert not any(loaded.values()), f"the stand-in site loaded: {report['other_clients']}"
