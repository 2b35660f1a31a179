"""Error messages on a full disk name the real file and say nothing changed (issue 13, 10).

Before: ``[Errno 28] No space left on device`` with no file name, or the name of a temporary
file. A real full file system: a 64 KiB tmpfs inside ``unshare -m`` (root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import os, subprocess, sys
folder, data_dir = sys.argv[1], sys.argv[2]
subprocess.run(["mount", "--make-rprivate", "/"], check=True)
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=755", "tmpfs", folder], check=True)
hosts = os.path.join(folder, "hosts")
with open(hosts, "wb") as f:
    f.write(b"127.0.0.1 localhost\n" * 400)
os.chmod(hosts, 0o644)
# Fill what is left.
fd = os.open(os.path.join(folder, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
try:
    while True:
        os.write(fd, b"x" * 1024)
except OSError:
    pass
os.close(fd)
before = open(hosts, "rb").read()
done = subprocess.run(
    [sys.executable, "-m", "nocontact_desktop", "--data-dir", data_dir, "hosts", "apply",
     "--hosts-file", hosts],
    capture_output=True, text=True,
)
after = open(hosts, "rb").read()
left = sorted(name for name in os.listdir(folder) if name not in ("hosts", "filler"))
print(repr((done.returncode, done.stderr.strip(), before == after, left)))
"""


def test_hosts_apply_on_a_full_disk_names_the_file_and_changes_nothing(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: a small tmpfs in a private mount namespace")
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) for a private mount namespace")
    data_dir = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(REPO), "NOCONTACT_PASSPHRASE": "correct horse"}
    subprocess.run(
        [sys.executable, "-m", "nocontact_desktop", "--data-dir", str(data_dir), "block", "add",
         "instagram"],
        check=True, capture_output=True, env=env, cwd=REPO, timeout=60,
    )
    folder = tmp_path / "full"
    folder.mkdir()
    done = subprocess.run(
        ["unshare", "-m", sys.executable, "-c", SCRIPT, str(folder), str(data_dir)],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=True,
    )
    code, stderr, unchanged, leftovers = eval(done.stdout.strip())  # noqa: S307 - our own repr
    hosts = folder / "hosts"
    assert code == 1
    assert stderr == (
        f"nocontact: could not write {hosts}: the disk is full (no space left on device); "
        "nothing was changed"
    )
    assert unchanged and leftovers == []
