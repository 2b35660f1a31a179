"""kill -9 a writer at random points, hundreds of times: no committed event is ever lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.paths import repo_env

HARNESS = Path(__file__).with_name("crash_writer.py")


@pytest.mark.skipif(sys.platform == "win32", reason="uses fork and SIGKILL")
def test_kill_minus_nine_loses_no_committed_event(data_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(HARNESS), str(data_dir), "300", "20261121"],
        env=repo_env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["trials"] == 300
    assert summary["committed"] > 300  # the writers really were killed mid-stream
    assert summary["failures"] == []
