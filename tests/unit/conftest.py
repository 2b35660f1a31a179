"""Unit tests: core logic with fakes, and widgets offscreen (pytest-qt)."""

from __future__ import annotations

import pytest

from nocontact_desktop.core.clock import ManualClock
from tests.helpers.fakes import clock_at


@pytest.fixture
def clock() -> ManualClock:
    """2:10 a.m. in Berlin, the night DST began: the hour this app is for, and a hard one."""
    return clock_at("2026-03-08T02:10:00+01:00", "Europe/Berlin")
