"""End-to-end tests: the real tray under Xvfb with a tray host, real keyring, real browser."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder is an ``e2e`` test (``-m 'not e2e'`` leaves them out)."""
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)
