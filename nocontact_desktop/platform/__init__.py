"""Everything that differs between operating systems lives in one module per OS here.

Callers use :func:`current` and never test ``sys.platform`` themselves. What an OS must
provide is declared in :mod:`nocontact_desktop.platform.base`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nocontact_desktop.platform.base import Platform


def current() -> Platform:
    """The platform of the running OS (the ``linux``, ``macos`` or ``windows`` module)."""
    # mypy checks only the branch of the platform it runs for; all_platforms() checks the rest.
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


def all_platforms() -> tuple[Platform, ...]:
    """Every OS module (tests and mypy check each against :class:`Platform`)."""
    from nocontact_desktop.platform import linux, macos, windows  # noqa: PLC0415

    on_linux: Platform = linux
    on_macos: Platform = macos
    on_windows: Platform = windows
    return (on_linux, on_macos, on_windows)
