"""Coalescing of listener hits into one dialog per site, and the quiet period."""

from __future__ import annotations

from nocontact_desktop.core.reflect.coalescer import UNLISTED_SITE_KEY, AttemptCoalescer


def test_burst_of_hits_opens_one_dialog() -> None:
    c = AttemptCoalescer(quiet_seconds=60)
    assert c.hit("instagram", 0.0)
    assert not any(c.hit("instagram", 0.01 * i) for i in range(1, 200))
    assert c.is_open("instagram")
    assert c.hit("x", 0.5)  # another site gets its own dialog
    assert c.closed("instagram", 10.0) == 200


def test_quiet_period_after_dismissal_counts_but_does_not_reopen() -> None:
    c = AttemptCoalescer(quiet_seconds=60)
    c.hit("instagram", 0.0)
    c.closed("instagram", 5.0)
    assert not c.hit("instagram", 30.0)
    assert not c.hit("instagram", 64.9)
    assert c.quiet_hits("instagram") == 2
    assert c.hit("instagram", 65.0)


def test_expired_sites_are_forgotten() -> None:
    c = AttemptCoalescer(quiet_seconds=1)
    c.hit("a", 0.0)
    c.closed("a", 0.0)
    c.hit("b", 0.0)
    assert c.tracked() == {"a", "b"}
    c.forget_expired(0.5)  # "a" is still in its quiet period
    assert c.tracked() == {"a", "b"}
    c.forget_expired(2.0)
    assert c.tracked() == {"b"}  # an open dialog is never forgotten
    assert c.is_open("b")


def test_hits_forget_expired_sites_so_memory_stays_bounded() -> None:
    c = AttemptCoalescer(quiet_seconds=1)
    for i in range(1000):
        c.hit(f"site-{i}", float(i * 2))
        c.closed(f"site-{i}", float(i * 2))
    assert len(c.tracked()) <= 1


def test_a_hit_without_a_listed_name_joins_the_named_dialog_of_the_same_load() -> None:
    """ECH outer name / no SNI beside named hits: one attempt, one dialog (issue 15)."""
    c = AttemptCoalescer(quiet_seconds=60)
    assert c.hit("instagram", 0.0)
    assert not c.hit(UNLISTED_SITE_KEY, 0.1)
    assert c.closed("instagram", 1.0) == 2
    assert not c.hit(UNLISTED_SITE_KEY, 30.0)  # quiet period of the named site
    assert c.hit("app:signal", 30.0)  # apps are never folded into sites


def test_an_unlisted_dialog_absorbs_named_hits_and_stands_alone_otherwise() -> None:
    c = AttemptCoalescer(quiet_seconds=60)
    assert c.hit(UNLISTED_SITE_KEY, 0.0)
    assert not any(c.hit(UNLISTED_SITE_KEY, 0.01 * i) for i in range(1, 10))
    assert not c.hit("instagram", 0.2)
    assert c.hit("change:unblock", 0.3)
    assert c.closed(UNLISTED_SITE_KEY, 1.0) == 11
    assert not c.hit(UNLISTED_SITE_KEY, 2.0)
    assert c.hit(UNLISTED_SITE_KEY, 61.0)
