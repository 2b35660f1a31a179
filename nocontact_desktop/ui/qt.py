"""The one module through which every Qt import passes (as in qutebrowser).

Widgets import ``from nocontact_desktop.ui.qt import QtCore, QtGui, QtWidgets``; swapping
bindings or adding a shim happens here and nowhere else.

QtNetwork and QtDBus load on first use (``qt.QtNetwork`` inside a function): nothing needs
them before the tray icon shows, and together they are a few per cent of the start (DESIGN §11).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import Qt, Signal, Slot

if TYPE_CHECKING:
    from PySide6 import QtDBus, QtNetwork

__all__ = ["Qt", "QtCore", "QtDBus", "QtGui", "QtNetwork", "QtWidgets", "Signal", "Slot"]

_ON_FIRST_USE = frozenset({"QtDBus", "QtNetwork"})


def __getattr__(name: str) -> ModuleType:
    if name in _ON_FIRST_USE:
        module = importlib.import_module(f"PySide6.{name}")
        globals()[name] = module  # later reads find it directly
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
