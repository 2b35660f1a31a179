"""'Open anyway' honours $BROWSER (issue 15)."""

from __future__ import annotations

from nocontact_desktop.ui.controllers.blocked_sites import browser_commands

URL = "https://www.instagram.com/"


def test_browser_entries_in_order_with_the_url_last_or_in_place_of_percent_s() -> None:
    assert browser_commands(URL, "firefox --new-tab:chromium %s") == [
        ["firefox", "--new-tab", URL],
        ["chromium", URL],
    ]


def test_no_browser_setting_means_the_desktop_default() -> None:
    assert browser_commands(URL, None) == []
    assert browser_commands(URL, "") == []
    assert browser_commands(URL, '"unclosed') == []
