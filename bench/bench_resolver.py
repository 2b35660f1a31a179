"""Extra resolver cost per lookup of an unrelated name with a 50-target blocklist (DESIGN §11).

    .venv/bin/python bench/bench_resolver.py [--lookups N]      (root: uses unshare -m)

Inside a private mount namespace a throwaway hosts file is bind-mounted over /etc/hosts (and
``hosts: files`` over /etc/nsswitch.conf, so nothing leaves the machine). The real helper
manages it; ``socket.getaddrinfo`` is timed for an unrelated name with an empty section and
with a 50-target section (500 names, 1,000 lines), both for a name that is in the file (found
after scanning it) and one that is not (the whole file is scanned, as for every DNS name).
Budget: extra cost ≤ 0.1 ms per lookup. Prints figures; never fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parents[1] / "tests" / "integration"
SCENARIOS /= "helper_namespace_scenarios.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("skipped: needs root and unshare (util-linux) for a private mount namespace")
        return
    root = Path(tempfile.mkdtemp(prefix="nc-bench-", dir="/tmp"))
    os.chmod(root, 0o755)  # noqa: S103 - the helper and its clients must enter it
    try:
        result = subprocess.run(
            ["unshare", "-m", sys.executable, str(SCENARIOS), "bench-resolver", str(root),
             str(args.lookups)],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if result.returncode != 0:
        print(f"failed to run: {result.stderr.strip()}")
        return
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"getaddrinfo, median of {report['lookups']} lookups x 3 interleaved rounds "
        f"(section: {report['names']} names, hosts file {report['hosts_bytes']} bytes)"
    )
    for kind, label in (("present", "name in the file"), ("missing", "name not in the file")):
        empty = report[f"empty_{kind}_ms"]
        full = report[f"full_{kind}_ms"]
        extra = full - empty
        verdict = "met" if extra <= 0.1 else "MISSED"
        print(
            f"  {label:20s}: empty section {empty:.4f} ms, 50 targets {full:.4f} ms, "
            f"extra {extra:+.4f} ms per lookup (budget <= 0.1 ms: {verdict})"
        )


if __name__ == "__main__":
    main()
