"""The root helper never writes through a path another user can redirect (issue 13, finding 5).

Before: with the hosts file's folder writable by others, ``nobody`` swapped ``hosts`` for a
link to a root-only 0600 file and the helper appended its section there within a second.
Now the helper refuses to start on such a folder, and if the folder becomes writable while
it runs, it refuses to write (and keeps saying why) instead of following the link.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nocontact_desktop.core.helper_link.client import HelperError
from tests.helpers.helper_harness import HOSTS_ORIGINAL, RunningHelper, make_root

pytestmark = pytest.mark.root

SECRET = b"root-only secret, mode 0600\n"


@pytest.fixture
def root() -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("needs root to run the attacker as another user")
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is needed to run the attacker as nobody")
    folder = make_root()
    (folder / "etc").mkdir(mode=0o755)
    secret = folder / "secret"
    secret.write_bytes(SECRET)
    os.chmod(secret, 0o600)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_nobody(*argv: str) -> None:
    subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv],
        check=True,
        timeout=30,
    )


def test_the_helper_refuses_to_start_on_a_folder_others_can_write(root: Path) -> None:
    os.chmod(root / "etc", 0o777)  # noqa: S103 - the unsafe folder under test
    helper = RunningHelper(root, hosts_file=root / "etc" / "hosts")
    done = subprocess.run(
        [*helper.command(), "--no-listener"], capture_output=True, text=True, timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert f"other users can write to the folder {root / 'etc'}" in done.stderr
    assert helper.hosts.read_bytes() == HOSTS_ORIGINAL


def test_a_link_swapped_in_by_another_user_is_never_written_through(root: Path) -> None:
    helper = RunningHelper(root, hosts_file=root / "etc" / "hosts").start()
    try:
        client = helper.client()
        client.set_blocklist(["instagram.com"])
        # An administrator's mistake opens the folder; nobody swaps the file for a link.
        os.chmod(root / "etc", 0o777)  # noqa: S103 - the unsafe folder under test
        _as_nobody("mv", str(helper.hosts), str(root / "etc" / "hosts.moved"))
        _as_nobody("ln", "-s", str(root / "secret"), str(helper.hosts))
        with pytest.raises(HelperError) as caught:
            client.set_blocklist(["instagram.com", "facebook.com"])
        assert caught.value.code == "internal"
        time.sleep(2.0)  # ten tamper checks
        assert (root / "secret").read_bytes() == SECRET
        state = client.get_state()
        assert "other users can write to the folder" in str(state["last_error"])
        assert "refusing to write" in helper.log_text()
    finally:
        helper.kill()
