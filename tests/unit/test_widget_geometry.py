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


def test_the_welcome_window_never_scrolls_sideways(qtbot: QtBot) -> None:
    """Its questions scroll down on a small screen; nothing is cut off at the side."""
    from nocontact_desktop.ui.windows.onboarding import OnboardingDialog
    from tests.helpers.fakes import clock_at

    dialog = OnboardingDialog(clock_at("2026-11-27T11:00:00+01:00", "Europe/Berlin"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    area = dialog.findChild(QtWidgets.QScrollArea)
    assert area is not None and area.widget() is not None
    needed = area.widget().minimumSizeHint().width()
    assert needed <= area.viewport().width(), (needed, area.viewport().width())
    bar = area.horizontalScrollBar()
    assert bar.maximum() == 0  # nothing to scroll to
