"""The reflect moment's rules in core (core/reflect/attempts.py): one flow for sites and apps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nocontact_desktop.core.blocking.blocklist import Blocklist
from nocontact_desktop.core.clock import ManualClock
from nocontact_desktop.core.reflect.attempts import ReflectRules, SiteDirectory, acknowledgement
from nocontact_desktop.core.settings import Settings
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.streak.events import EventKind


def test_a_site_hit_names_the_list_entry_and_its_handle(store: Store, clock: ManualClock) -> None:
    Blocklist(store).add(["https://www.instagram.com/jordan.r/", "their-blog.com"], clock.now())
    rules = ReflectRules(store, clock)
    attempt = rules.site_attempt("m.instagram.com", "m.instagram.com")
    assert attempt.key == "instagram.com/jordan.r"
    assert attempt.detail == "you listed @jordan.r on Instagram"
    assert "instagram.com" in attempt.domains and attempt.url == "https://m.instagram.com/"
    blog = rules.site_attempt("www.their-blog.com")
    assert (blog.name, blog.detail, blog.kind) == ("their-blog.com", "on your list", "site")
    stranger = rules.site_attempt("unlisted.example")
    assert (stranger.key, stranger.domains) == ("unlisted.example", ("unlisted.example",))


def test_the_directory_follows_list_changes_but_unseals_only_when_it_changes(
    store: Store, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = SiteDirectory(store)
    Blocklist(store).add(["their-blog.com"], clock.now())
    assert directory.lookup("their-blog.com") is not None
    unsealed: list[str] = []
    original = store.unseal
    monkeypatch.setattr(
        store, "unseal", lambda blob, ctx: unsealed.append(ctx) or original(blob, ctx)
    )
    for _ in range(50):
        assert directory.lookup("www.their-blog.com") is not None
    assert unsealed == []  # 50 hits, no decryption
    Blocklist(store).remove(["their-blog.com"])
    clock.advance(timedelta(seconds=1))
    Blocklist(store).add(["other-site.org"], clock.now())  # may reuse the removed row's id
    assert directory.lookup("their-blog.com") is None
    assert directory.lookup("other-site.org") is not None


def test_reasons_rotate_and_the_countdown_comes_from_settings(
    store: Store, clock: ManualClock
) -> None:
    store.set_list_items("reasons", ["peace", "sleep", "me"])
    Settings(store).set("countdown_seconds", 12)
    rules = ReflectRules(store, clock)
    seen = [rules.context().reason for _ in range(4)]
    assert seen == ["peace", "sleep", "me", "peace"]
    assert rules.context().countdown_seconds == 12


def test_outcomes_are_logged_once_each_and_counted_this_week(
    store: Store, clock: ManualClock
) -> None:
    rules = ReflectRules(store, clock)
    site = rules.site_attempt("instagram.com")
    app = rules.app_attempt("signal", "Signal")
    rules.record(site, "dismissed", "just to look")
    rules.record(app, "dismissed", None)
    rules.record(app, "opened", None)
    counts = store.count_by_kind()
    assert counts[EventKind.BLOCKED_ATTEMPT] == 3 and counts[EventKind.PEEK] == 1
    assert rules.turned_away_this_week() == 2
    clock.advance(timedelta(days=8))
    assert rules.turned_away_this_week() == 0


def test_the_acknowledgement_counts_kindly() -> None:
    assert acknowledgement(1) == "You turned away. That took strength."
    assert acknowledgement(4) == "You turned away. That's the 4th time this week."
    assert acknowledgement(2).endswith("2nd time this week.")
    assert acknowledgement(11).endswith("11th time this week.")
    assert acknowledgement(23).endswith("23rd time this week.")


def test_a_hit_without_a_listed_name_is_a_site_on_the_list(
    store: Store, clock: ManualClock
) -> None:
    """An ECH outer name or no SNI (issue 15): a site attempt with nothing to pass or open."""
    attempt = ReflectRules(store, clock).unlisted_site_attempt()
    assert (attempt.kind, attempt.name, attempt.detail) == (
        "site", "a site on your list", "on your list"
    )
    assert attempt.domains == () and attempt.url is None


def test_open_anyway_opens_the_attempted_page() -> None:
    """Issue 15: HTTP hits carry the path the listener saw; HTTPS ones only the host."""
    from nocontact_desktop.core.reflect.attempts import attempted_url

    assert attempted_url("www.instagram.com", "/jordan.r/?hl=en") == (
        "http://www.instagram.com/jordan.r/?hl=en"
    )
    assert attempted_url("www.instagram.com") == "https://www.instagram.com/"
    assert attempted_url("x.com", "//evil.example/") == "https://x.com/"
    assert attempted_url("x.com", "/a b") == "https://x.com/"
