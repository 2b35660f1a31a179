"""Integration tests: the real helper process, real sockets, real files, mount namespaces."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.helper_harness import make_root


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``root`` skip with a reason that says so when not run as root."""
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (mount namespaces, other users' processes)")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def root() -> Iterator[Path]:
    """A fresh folder for one real helper's hosts file, socket and state; removed after."""
    folder = make_root()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
