"""Shared test setup: Qt offscreen for widget tests, strict warnings (pyproject), a store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nocontact_desktop.core.storage.store import Store
from tests.helpers.fakes import make_store

# Widget tests draw offscreen; the e2e tests start their own X server and pass DISPLAY on.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("NOCONTACT_DATA_DIR", None)
os.environ.pop("NOCONTACT_PASSPHRASE", None)


ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture
def artifacts() -> Path:
    """A folder for screenshots and logs a person can look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh, private data folder."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    yield folder


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    """A fresh store in ``data_dir``, sealing with a fixed test key; closed afterwards."""
    with make_store(data_dir) as opened:
        yield opened
