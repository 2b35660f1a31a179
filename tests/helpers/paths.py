"""Where the repository is, and the environment a script started by a test needs."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def repo_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the repository on PYTHONPATH.

    Scripts that tests start as separate processes import ``tests.helpers`` and the app from
    the checkout this way, never by editing ``sys.path`` themselves.
    """
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env
