"""Everything that differs between operating systems lives in one module per OS here.

Callers use :func:`current` and never test ``sys.platform`` themselves.
"""

from __future__ import annotations

import sys
from types import ModuleType


def current() -> ModuleType:
    """The platform module for the running OS (``linux``, ``macos`` or ``windows``)."""
    if sys.platform.startswith("linux"):
        from nocontact_desktop.platform import linux  # noqa: PLC0415

        return linux
    if sys.platform == "darwin":
        from nocontact_desktop.platform import macos  # noqa: PLC0415

        return macos
    if sys.platform == "win32":
        from nocontact_desktop.platform import windows  # noqa: PLC0415

        return windows
    raise RuntimeError(f"unsupported platform: {sys.platform}")
