"""The breathing pacer: a circle that grows and shrinks with the breath, drawn with QPainter.

It holds no timer of its own: the emergency window hands it a state from
:func:`nocontact_desktop.core.journal.urge.breath_at` on each tick, and only ticks while visible.
Around it a thin ring fills as the urge timer runs.
"""

from __future__ import annotations

import math

from nocontact_desktop.core.journal.urge import BreathState
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets

_START = BreathState("in", "Breathe in", 0.0, 4.0, 0.0, 0)


class BreathingPacer(QtWidgets.QWidget):
    """Draws a :class:`BreathState` and the urge timer's progress."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = _START
        self.timer_progress = 0.0
        self.setMinimumSize(220, 220)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding
        )
        self.setAccessibleName("Breathing pacer")

    def sizeHint(self) -> QtCore.QSize:
        """Square, comfortable on a laptop screen."""
        return QtCore.QSize(320, 320)

    def show_state(self, state: BreathState, timer_progress: float) -> None:
        """Show ``state``; ``timer_progress`` (0..1) is how much of the urge timer has passed."""
        self.state = state
        self.timer_progress = min(1.0, max(0.0, timer_progress))
        self.setAccessibleDescription(state.name)
        self.update()

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:
        """The ring, the breathing circle, the phase's words and seconds left."""
        side = min(self.width(), self.height()) - 8
        center = QtCore.QPointF(self.width() / 2, self.height() / 2)
        ring_radius = side / 2 - 4
        painter = QtGui.QPainter(self)
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            ring = QtCore.QRectF(
                center.x() - ring_radius, center.y() - ring_radius, 2 * ring_radius,
                2 * ring_radius,
            )
            pen = QtGui.QPen(calm_style.color(calm_style.LINE), 6)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.drawEllipse(ring)
            if self.timer_progress > 0:
                pen.setColor(calm_style.color(calm_style.GREEN_MID))
                painter.setPen(pen)
                # Qt angles: 1/16 degree, counter-clockwise from 3 o'clock; start at 12.
                painter.drawArc(ring, 90 * 16, -int(self.timer_progress * 360 * 16))

            smallest = ring_radius * 0.38
            largest = ring_radius * 0.86
            radius = smallest + (largest - smallest) * self.state.fullness
            painter.setPen(QtGui.QPen(calm_style.color(calm_style.GREEN_MID), 2))
            painter.setBrush(calm_style.color(calm_style.GREEN_SOFT))
            painter.drawEllipse(center, radius, radius)

            painter.setPen(calm_style.color(calm_style.INK))
            font = QtGui.QFont(self.font())
            font.setPixelSize(max(16, int(side * 0.08)))
            painter.setFont(font)
            words = QtCore.QRectF(
                center.x() - ring_radius, center.y() - side * 0.09, 2 * ring_radius, side * 0.1
            )
            painter.drawText(words, Qt.AlignmentFlag.AlignCenter, self.state.name)
            font.setPixelSize(max(14, int(side * 0.06)))
            painter.setFont(font)
            painter.setPen(calm_style.color(calm_style.MUTED))
            count = QtCore.QRectF(
                center.x() - ring_radius, center.y() + side * 0.02, 2 * ring_radius, side * 0.08
            )
            painter.drawText(
                count, Qt.AlignmentFlag.AlignCenter, str(max(1, math.ceil(self.state.seconds_left)))
            )
        finally:
            painter.end()
