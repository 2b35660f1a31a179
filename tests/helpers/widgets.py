"""Geometry checks for windows a person sees: nothing overlaps, everything fits the screen."""

from __future__ import annotations

from nocontact_desktop.ui.qt import QtCore, QtWidgets

CONTROLS = (
    QtWidgets.QAbstractButton,
    QtWidgets.QLabel,
    QtWidgets.QLineEdit,
    QtWidgets.QPlainTextEdit,
    QtWidgets.QAbstractSpinBox,
    QtWidgets.QComboBox,
    QtWidgets.QListWidget,
)


def visible_rect(widget: QtWidgets.QWidget, top: QtWidgets.QWidget) -> QtCore.QRect:
    """The part of ``widget`` that can be seen in ``top``'s coordinates (clipped by parents)."""
    rect = QtCore.QRect(widget.mapTo(top, QtCore.QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        rect = rect.intersected(QtCore.QRect(parent.mapTo(top, QtCore.QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return rect.intersected(top.rect())


def _related(a: QtWidgets.QWidget, b: QtWidgets.QWidget) -> bool:
    return a.isAncestorOf(b) or b.isAncestorOf(a)


def overlapping_controls(top: QtWidgets.QWidget) -> list[tuple[str, str]]:
    """Pairs of visible controls whose visible parts overlap (one would hide the other)."""
    controls = [
        w
        for w in top.findChildren(QtWidgets.QWidget)
        if isinstance(w, CONTROLS) and w.isVisibleTo(top) and not visible_rect(w, top).isEmpty()
    ]
    found = []
    for index, first in enumerate(controls):
        for second in controls[index + 1 :]:
            if _related(first, second):
                continue
            if visible_rect(first, top).intersects(visible_rect(second, top)):
                found.append((_name(first), _name(second)))
    return found


def _name(widget: QtWidgets.QWidget) -> str:
    text = getattr(widget, "text", None)
    shown = text() if callable(text) else ""
    return f"{type(widget).__name__}({str(shown)[:30]!r})"
