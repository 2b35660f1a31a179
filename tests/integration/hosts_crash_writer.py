"""Harness for the in-place write crash test (issue 13, finding 6); run inside ``unshare -m``.

``python hosts_crash_writer.py DIR SECONDS MAX_TRIALS SEED [--no-journal]`` bind-mounts a hosts
file onto ``DIR/hosts`` (so rename(2) over it fails with EBUSY and every write goes in place),
then repeats until SECONDS or MAX_TRIALS: fork a child that writes the section with
``sync_file`` (the helper's own call, journal in ``DIR/state``), kill it with SIGKILL at a
random moment — every other trial anywhere in the whole call, the others aimed at the
in-place write itself (at once or a random 0-1 ms after the file's mtime moves, which is when the
rewrite begins) — run ``recover_interrupted_write`` (what the helper runs at start)
and check the file is exactly the old or the new content. The two blocklists differ in length,
so the file grows and shrinks and a cut-off write would leave the old tail behind; the section
sits near the top, above 5,000 lines of a community block list, so every byte after it
moves. Prints one JSON line: trials, how many kills landed mid-write (the file was neither
before repair), bad files after repair, and timings.

In the child every write goes out in 4 KiB pieces (as a slow or busy disk would take it), so
the moments between the first and the last byte of a rewrite, and before the truncate, are
long enough for a kill to land in them often; everything else is the real code.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from nocontact_desktop.core import atomic_file
from nocontact_desktop.core.atomic_file import recover_interrupted_write
from nocontact_desktop.core.blocking.hosts_section import apply_section, sync_file

USER_LINES = b"".join(
    f"10.{i // 250}.{i % 250}.7 community-block-{i}.example.net  # list entry {i}\n".encode()
    for i in range(5000)
)
SHORT = [f"site-{i}.example.com" for i in range(50)]
LONG = [f"their-site-{i}.example.org" for i in range(1500)]


def _write_in_pieces(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[:4096])
        view = view[written:]


def main() -> int:
    folder = Path(sys.argv[1])
    seconds, max_trials = float(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(int(sys.argv[4]))
    use_journal = "--no-journal" not in sys.argv
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    # A kill -9 stops a process, not the disk: what matters is the order of the steps, not
    # fsync's speed, so the files live on a tmpfs (seen only in this namespace).
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=700", "tmpfs", str(folder)],
                   check=True)
    source, hosts = folder / "hosts-source", folder / "hosts"
    # The section near the top, a long community list below it: a new section length shifts
    # every byte after it, so a cut-off rewrite differs from both versions.
    source.write_bytes(apply_section(b"127.0.0.1\tlocalhost\n", SHORT) + USER_LINES)
    hosts.write_bytes(b"")
    subprocess.run(["mount", "--bind", str(source), str(hosts)], check=True)
    state = folder / "state"
    state.mkdir(mode=0o700, exist_ok=True)
    journal = state / "hosts-write.journal" if use_journal else None
    real_write_all = atomic_file._write_all

    # How long one write takes (in pieces, as in the child): the kill window.
    atomic_file._write_all = _write_in_pieces  # type: ignore[assignment]
    started = time.perf_counter()
    sync_file(hosts, LONG, journal=journal)
    sync_file(hosts, SHORT, journal=journal)
    write_s = (time.perf_counter() - started) / 2
    atomic_file._write_all = real_write_all  # type: ignore[assignment]

    trials = mid_write = bad = 0
    examples: list[str] = []
    deadline = time.monotonic() + seconds
    while trials < max_trials and time.monotonic() < deadline:
        old = hosts.read_bytes()
        names = LONG if trials % 2 == 0 else SHORT
        new = apply_section(old, names)
        pid = os.fork()
        if pid == 0:  # child: one write, then wait to be killed
            try:
                atomic_file._write_all = _write_in_pieces  # type: ignore[assignment]
                sync_file(hosts, names, journal=journal)
            finally:
                os._exit(0)
        if trials % 2 == 0:
            time.sleep(rng.uniform(0.0, write_s * 1.2))
        else:
            before = os.stat(hosts).st_mtime_ns
            limit = time.monotonic() + write_s * 3
            while os.stat(hosts).st_mtime_ns == before and time.monotonic() < limit:
                pass
            if rng.random() < 0.5:
                time.sleep(rng.uniform(0.0, 0.001))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        trials += 1
        if hosts.read_bytes() not in (old, new):
            mid_write += 1
        if journal is not None:
            recover_interrupted_write(hosts, journal)
        after = hosts.read_bytes()
        if after not in (old, new):
            bad += 1
            if len(examples) < 3:
                tail = after[-60:].decode("latin-1")
                examples.append(f"trial {trials}: {len(after)} bytes, tail {tail!r}")
            # Start the next trial from a known file (the broken one stays counted).
            hosts.write_bytes(old)
    subprocess.run(["umount", str(hosts)], check=False)
    subprocess.run(["umount", str(folder)], check=False)
    print(
        json.dumps(
            {
                "trials": trials,
                "journal": use_journal,
                "mid_write_kills": mid_write,
                "bad_after_repair": bad,
                "write_ms": round(write_s * 1000, 2),
                "examples": examples,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
