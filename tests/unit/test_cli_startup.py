"""The command line starts fast: a command loads only what it uses (DESIGN §11, issue 9).

The timing itself is measured by ``bench/bench_cli_start.py``; this test holds the cause: which
heavy modules a command imports.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nocontact_desktop import cli
from nocontact_desktop.core import clock
from nocontact_desktop.core.storage import key_store, vault
from tests.helpers.paths import repo_env

HEAVY = (
    "PySide6",
    "shiboken6",
    "keyring",
    "cryptography",
    "apscheduler",
    "asyncio",
    "psutil",
    # lighter, but each a few per cent of a start and not needed by these commands:
    "tzlocal",  # the zone comes from the /etc/localtime link where that is the setting
    "idna",  # only international names need it
    "platformdirs",  # only when no data folder is named
    "hashlib",  # the store opens no cipher until text is sealed or unsealed
    "uuid",  # event uids are made only when an event is recorded
)

PROBE = """
import json, sys
from nocontact_desktop.cli import main
code = main(sys.argv[1:])
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(%r))), file=sys.stderr)
sys.exit(code)
""".replace("%r", repr(HEAVY))


def heavy_modules(args: list[str], env: dict[str, str] | None = None) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=repo_env(env),
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
    found = heavy_modules([*command, "--data-dir", str(data_dir)])
    if "tzlocal" in found and not os.environ.get("TZ") and clock._linked_zone_name() is None:
        found.remove("tzlocal")  # this machine's zone setting is one only tzlocal reads
    assert found == []


def test_listing_targets_sealed_with_a_key_file_loads_the_cipher_but_no_keyring(
    data_dir: Path,
) -> None:
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # no keyring: a key file
        "NOCONTACT_HELPER_SOCKET": str(data_dir / "no-helper"),
    }
    env.pop("NOCONTACT_PASSPHRASE", None)
    subprocess.run(
        [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(data_dir), "block", "add",
         "their-blog.com"],
        env=repo_env(env),
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert (data_dir / vault.KEY_FILE_NAME).exists()
    listing = heavy_modules(["block", "list", "--data-dir", str(data_dir)], env)
    assert listing == ["cryptography"]  # the cipher; the key id's HMAC only for a bad blob


def test_the_keyring_service_name_is_the_key_stores() -> None:
    assert vault.KEYRING_SERVICE == key_store.DEFAULT_SERVICE


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--version"],
        ["status"],
        ["status", "--json", "--data-dir", "/x"],
        ["--data-dir", "/x", "block", "list", "--json"],
        ["--data", "status", "block", "list"],
        ["--data-dir=/x", "hosts", "show"],
        ["--socket", "/s", "log", "urge", "--note", "n"],
        ["settings", "set", "discreet", "true"],
        ["helper", "status"],
        ["tray"],
        ["frob"],
        ["-1"],
        ["--bogus"],
        ["status", "--bogus"],
        ["block"],
        ["block", "frob"],
        ["-h", "status"],
        ["--help"],
        ["status", "-h"],
        ["--", "status"],
    ],
)
def test_a_partly_built_parser_reads_the_words_as_the_whole_one(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the named command's sub-parser is built (start-up time); what argv means, and
    every help text and error, stay those of the whole parser."""

    def outcome(parser: argparse.ArgumentParser) -> tuple[object, str]:
        try:
            result: object = vars(parser.parse_args(argv))
        except (cli.UsageError, SystemExit) as err:
            result = repr(err)
        return result, capsys.readouterr().out

    assert outcome(cli.build_parser(cli._command_word(argv))) == outcome(cli.build_parser())


def test_the_tray_asks_for_a_display_without_loading_an_os_module(data_dir: Path) -> None:
    """The display check comes before the icon; the OS module loads after it (DESIGN §11)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    probe = (
        "import sys\n"
        "from nocontact_desktop.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(sorted(m for m in sys.modules if m.startswith('nocontact_desktop.platform.')))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "--data-dir", str(data_dir), "tray"],
        env=repo_env(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and "display" in done.stderr
    assert done.stdout.strip() == "['nocontact_desktop.platform.session']"
