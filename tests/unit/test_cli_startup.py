"""The command line starts fast: a command loads only what it uses (DESIGN §11, issue 9).

The timing itself is measured by ``bench/bench_cli_start.py``; this test holds the cause: which
heavy modules a command imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nocontact_desktop.core.storage import key_store, vault
from tests.helpers.paths import repo_env

HEAVY = ("PySide6", "shiboken6", "keyring", "cryptography", "apscheduler", "asyncio", "psutil")

PROBE = """
import json, sys
from nocontact_desktop.cli import main
code = main(sys.argv[1:])
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(%r))), file=sys.stderr)
sys.exit(code)
""".replace("%r", repr(HEAVY))


def heavy_modules(args: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=repo_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "command",
    [["--version"], ["status"], ["status", "--json"], ["block", "list"], ["hosts", "show"]],
)
def test_everyday_commands_load_no_heavy_module(command: list[str], data_dir: Path) -> None:
    if command == ["--version"]:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, "--version"],
            env=repo_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0 and done.stdout.startswith("nocontact ")
        return
    assert heavy_modules([*command, "--data-dir", str(data_dir)]) == []


def test_the_keyring_service_name_is_the_key_stores() -> None:
    assert vault.KEYRING_SERVICE == key_store.DEFAULT_SERVICE
