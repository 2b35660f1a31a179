"""Where the data lives: ``--data-dir``, else ``NOCONTACT_DATA_DIR``, else the platform's dir."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "nocontact"
DB_FILE_NAME = "nocontact.db"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data folder to use, by precedence: the argument, the environment, platformdirs."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("NOCONTACT_DATA_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs  # noqa: PLC0415 - only when no folder is named

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (mode 0700) if missing; an existing folder keeps its mode."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def autostart_command(data_dir: Path | None) -> list[str]:
    """The command the login entry runs: this interpreter, this package, the same data dir."""
    import sys  # noqa: PLC0415

    command = [sys.executable, "-m", "nocontact_desktop"]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    return [*command, "tray"]
