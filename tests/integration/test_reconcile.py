"""Reconcile against the real helper process: the stored list is always the applied list.

Issue 10: a list saved before the helper existed is applied once it answers; a helper that
restarted with another list gets the stored one back; "on" means the hosts file holds it.
"""

from __future__ import annotations

import time
from pathlib import Path

from nocontact_desktop.core.blocking.hosts_section import read_section_names
from nocontact_desktop.core.blocking.reconcile import reconcile, wait_until_ready
from nocontact_desktop.core.helper_link.client import HelperClient
from tests.helpers.helper_harness import RunningHelper

STORED = ["instagram.com", "www.instagram.com", "their-blog.com"]




def test_a_list_saved_before_the_helper_existed_is_applied_once_it_answers(root: Path) -> None:
    helper = RunningHelper(root)
    client = HelperClient(helper.socket, timeout=2.0)
    assert reconcile(client, STORED).state == "off"  # not running yet: says so, no exception
    try:
        helper.start()
        assert wait_until_ready(client, time.monotonic, time.sleep, timeout=10)
        result = reconcile(client, STORED)
        assert result.on and result.pushed
        assert read_section_names(helper.hosts.read_bytes()) == frozenset(STORED)
        again = reconcile(client, STORED)
        assert again.on and not again.pushed  # in sync: nothing is sent
    finally:
        helper.kill()


def test_a_helper_that_holds_another_list_gets_the_stored_one(root: Path) -> None:
    helper = RunningHelper(root).start()
    try:
        client = helper.client()
        client.set_blocklist(["old-site.example"])
        result = reconcile(client, STORED)
        assert result.on and result.pushed
        assert sorted(client.get_state()["blocklist"]) == sorted(STORED)
        assert read_section_names(helper.hosts.read_bytes()) == frozenset(STORED)
    finally:
        helper.kill()


def test_waiting_for_a_helper_that_never_comes_gives_up(root: Path) -> None:
    client = HelperClient(root / "run" / "nobody.sock", timeout=0.5)
    started = time.monotonic()
    assert not wait_until_ready(client, time.monotonic, time.sleep, timeout=0.5)
    assert time.monotonic() - started < 5
