"""The one module through which every Qt import passes (as in qutebrowser).

Widgets import ``from nocontact_desktop.ui.qt import QtCore, QtGui, QtWidgets``; swapping
bindings or adding a shim happens here and nowhere else.
"""

from __future__ import annotations

from PySide6 import QtCore, QtDBus, QtGui, QtNetwork, QtWidgets
from PySide6.QtCore import Qt, Signal, Slot

__all__ = ["Qt", "QtCore", "QtDBus", "QtGui", "QtNetwork", "QtWidgets", "Signal", "Slot"]
