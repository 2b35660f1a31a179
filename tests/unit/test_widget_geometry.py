"""The overlap check used by window tests finds overlaps (it must be able to fail)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from nocontact_desktop.ui.qt import QtWidgets
from tests.helpers.widgets import overlapping_controls


def test_overlapping_buttons_are_found_and_clipped_ones_are_not(qtbot: QtBot) -> None:
    top = QtWidgets.QWidget()
    qtbot.addWidget(top)
    top.resize(300, 200)
    first = QtWidgets.QPushButton("first", top)
    first.setGeometry(10, 10, 100, 30)
    second = QtWidgets.QPushButton("second", top)
    second.setGeometry(50, 20, 100, 30)
    top.show()
    assert overlapping_controls(top) == [("QPushButton('first')", "QPushButton('second')")]
    second.move(10, 60)
    assert overlapping_controls(top) == []
    holder = QtWidgets.QWidget(top)
    holder.setGeometry(200, 0, 50, 50)
    hidden = QtWidgets.QPushButton("outside", holder)
    hidden.setGeometry(0, 100, 50, 30)  # clipped away by its parent: nothing to see
    hidden.show()
    holder.show()
    assert overlapping_controls(top) == []
