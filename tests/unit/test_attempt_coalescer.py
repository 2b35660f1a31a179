"""Coalescing of listener hits into one dialog per site, and the quiet period."""

from __future__ import annotations

from nocontact_desktop.core.reflect.coalescer import AttemptCoalescer


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
