"""Guard against a Qt binding that leaks references to ``None`` (PySide6 6.12.0 on Python 3.11).

PySide6 6.12.0 drops one reference to ``None`` on every call of a void method
(``QLabel.setText``, ``QWidget.update``, ``QPainter.setPen`` …). On Python 3.11, where ``None``
is not immortal, the process dies with "Fatal Python error: none_dealloc" once the count
reaches zero: the breathing pacer (25 frames a second) would crash the app within minutes.
6.11.3 is fine. This test fails fast if such a build is installed again.
"""

from __future__ import annotations

import sys

import pytest
from pytestqt.qtbot import QtBot

from nocontact_desktop.ui.qt import QtCore, QtGui, QtWidgets

CALLS = 2000


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_void_qt_calls_keep_the_refcount_of_none(qtbot: QtBot) -> None:
    label = QtWidgets.QLabel("x")
    qtbot.addWidget(label)
    image = QtGui.QImage(8, 8, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    before = sys.getrefcount(None)
    try:
        for _ in range(CALLS):
            label.setText("y")
            label.update()
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
    finally:
        painter.end()
    lost = before - sys.getrefcount(None)
    assert lost < CALLS // 10, (
        f"the Qt binding lost {lost} references to None in {3 * CALLS} calls: this build "
        f"(PySide6 {QtCore.qVersion()}) would crash the app; use PySide6-Essentials 6.11.x"
    )
