"""Whether this login has a display to show windows and a tray on.

A module of its own: the tray asks it before anything else is loaded, and importing a whole
OS module for it would delay the icon by tens of milliseconds (DESIGN §11).
"""

from __future__ import annotations

import os
import sys

# X11, Wayland, or a Qt platform chosen explicitly (offscreen, vnc, ...).
_DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def graphical_session() -> bool:
    """A display to connect to; on macOS and Windows, always (a logged-in user has one)."""
    if sys.platform == "darwin" or sys.platform == "win32":
        return True
    return any(os.environ.get(name) for name in _DISPLAY_VARIABLES)
