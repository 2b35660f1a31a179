"""The History window (issue 5): pictures, not tables.

A calendar heatmap of a year of days (kept, slips, check-in strength), the counts of what
the person withstood, their streaks as bars and the milestones as badges. Everything shown
is computed in :mod:`nocontact_desktop.core.streak.history`; this file draws it with QPainter.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.streak.count import Streak
from nocontact_desktop.core.streak.history import (
    DayCell,
    DayKind,
    GridCell,
    HistorySummary,
    load_cells,
    load_history,
    month_columns,
    week_grid,
    year_range,
)
from nocontact_desktop.core.streak.milestones import FIXED_MILESTONES, milestones_up_to
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.calm_style import card, label, role
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets, Signal

CELL: Final = 13
GAP: Final = 3
STEP: Final = CELL + GAP
LEFT: Final = 36  # weekday labels
TOP: Final = 20  # month labels
WEEKS: Final = 53

KEPT_FILL: Final = "#86bba9"
MAX_STREAK_ROWS: Final = 24


def _day_text(day: date) -> str:
    return day.strftime("%a %d %b %Y")


def cell_tooltip(cell: DayCell) -> str:
    """What hovering a day says."""
    parts = [_day_text(cell.day)]
    parts.append(
        {
            DayKind.KEPT: "no contact kept" + (" (today, still going)" if cell.today else ""),
            DayKind.SLIP: "a slip — and a new beginning",
            DayKind.UNTRACKED: "before your count began",
        }[cell.kind]
    )
    if cell.intensity is not None:
        parts.append(f"pull {cell.intensity}/10")
    if cell.urges:
        parts.append(f"{cell.urges} urge{'s' if cell.urges != 1 else ''} ridden out")
    if cell.hoovers:
        parts.append(f"{cell.hoovers} time{'s' if cell.hoovers != 1 else ''} they reached out")
    return " · ".join(parts)


def protection_gap_text(gaps: object, zone: ZoneInfo) -> str:
    """One small line per time blocking was off while the helper was stopped (no blame)."""
    if not isinstance(gaps, list):
        return ""
    lines = []
    for gap in gaps[-3:]:
        if not isinstance(gap, dict) or not gap.get("to"):
            continue
        to = datetime.fromisoformat(str(gap["to"])).astimezone(zone)
        start = gap.get("from")
        since = (
            datetime.fromisoformat(str(start)).astimezone(zone).strftime("%a %d %b %H:%M")
            if start
            else "an unknown time"
        )
        lines.append(
            f"Protection was off from {since} to {to:%a %d %b %H:%M} while the blocking "
            "service was stopped; it is back on."
        )
    return "\n".join(lines)


class HeatmapWidget(QtWidgets.QWidget):
    """A year of days in week columns, Monday (or the locale's first day) on top."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid: list[GridCell] = []
        self.first_weekday = QtCore.QLocale().firstDayOfWeek().value - 1  # Qt: Monday = 1
        self.paint_count = 0
        self.setMouseTracking(True)
        self.setMinimumSize(self.sizeHint())

    def sizeHint(self) -> QtCore.QSize:
        """Room for 53 weeks and the labels."""
        return QtCore.QSize(LEFT + WEEKS * STEP, TOP + 7 * STEP)

    def set_cells(self, cells: Sequence[DayCell]) -> None:
        """Show these days."""
        self.grid = week_grid(cells, self.first_weekday)
        self.update()

    def cell_rect(self, placed: GridCell) -> QtCore.QRectF:
        """Where a day is drawn."""
        return QtCore.QRectF(LEFT + placed.column * STEP, TOP + placed.row * STEP, CELL, CELL)

    def cell_at(self, point: QtCore.QPointF) -> DayCell | None:
        """The day under ``point``."""
        column = int((point.x() - LEFT) // STEP)
        row = int((point.y() - TOP) // STEP)
        for placed in self.grid:
            if placed.column == column and placed.row == row:
                return placed.cell
        return None

    def event(self, event: QtCore.QEvent) -> bool:
        """Tooltips name the day and what it held."""
        if event.type() == QtCore.QEvent.Type.ToolTip:
            assert isinstance(event, QtGui.QHelpEvent)
            found = self.cell_at(QtCore.QPointF(event.pos()))
            if found is None:
                QtWidgets.QToolTip.hideText()
            else:
                QtWidgets.QToolTip.showText(event.globalPos(), cell_tooltip(found), self)
            return True
        return super().event(event)

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:
        """Month names, weekday names, and a rounded square per day."""
        self.paint_count += 1
        painter = QtGui.QPainter(self)
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            font = QtGui.QFont(self.font())
            font.setPixelSize(11)
            painter.setFont(font)
            painter.setPen(calm_style.color(calm_style.MUTED))
            for column, first in month_columns(self.grid):
                painter.drawText(
                    QtCore.QPointF(LEFT + column * STEP, TOP - 6), calendar.month_abbr[first.month]
                )
            for row in (0, 2, 4):
                weekday = (self.first_weekday + row) % 7
                painter.drawText(
                    QtCore.QRectF(0, TOP + row * STEP, LEFT - 6, CELL),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    calendar.day_abbr[weekday],
                )
            fills = {
                DayKind.KEPT: calm_style.color(KEPT_FILL),
                DayKind.SLIP: calm_style.color(calm_style.SAND),
                DayKind.UNTRACKED: calm_style.color(calm_style.UNTRACKED),
            }
            pull = calm_style.color(calm_style.PULL)
            painter.setPen(Qt.PenStyle.NoPen)
            for placed in self.grid:
                rect = self.cell_rect(placed)
                painter.setBrush(fills[placed.cell.kind])
                painter.drawRoundedRect(rect, 3, 3)
                intensity = placed.cell.intensity
                if intensity is not None:
                    radius = 1.6 + 0.3 * intensity
                    if intensity == 0:  # checked in, no pull: a small hollow ring
                        painter.setBrush(Qt.BrushStyle.NoBrush)
                        painter.setPen(QtGui.QPen(pull, 1.2))
                    else:
                        painter.setBrush(pull)
                    painter.drawEllipse(rect.center(), radius, radius)
                    painter.setPen(Qt.PenStyle.NoPen)
            today = next((p for p in self.grid if p.cell.today), None)
            if today is not None:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QtGui.QPen(calm_style.color(calm_style.GREEN), 2))
                painter.drawRoundedRect(self.cell_rect(today).adjusted(-1.5, -1.5, 1.5, 1.5), 4, 4)
        finally:
            painter.end()


class LegendWidget(QtWidgets.QWidget):
    """What the colours and dots mean."""

    ITEMS: Final = (
        ("kept", "Kept"),
        ("slip", "A slip (a restart)"),
        ("untracked", "Before the count"),
        ("pull", "Pull at check-in (bigger = stronger)"),
        ("today", "Today"),
    )

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(22)

    def sizeHint(self) -> QtCore.QSize:
        """One line."""
        return QtCore.QSize(LEFT + WEEKS * STEP, 22)

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:
        """Swatches with their words."""
        painter = QtGui.QPainter(self)
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            font = QtGui.QFont(self.font())
            font.setPixelSize(12)
            painter.setFont(font)
            metrics = QtGui.QFontMetrics(font)
            x = float(LEFT)
            for key, text in self.ITEMS:
                rect = QtCore.QRectF(x, 4, CELL, CELL)
                painter.setPen(Qt.PenStyle.NoPen)
                if key == "pull":
                    painter.setBrush(calm_style.color(KEPT_FILL))
                    painter.drawRoundedRect(rect, 3, 3)
                    painter.setBrush(calm_style.color(calm_style.PULL))
                    painter.drawEllipse(rect.center(), 4.0, 4.0)
                elif key == "today":
                    painter.setBrush(calm_style.color(KEPT_FILL))
                    painter.drawRoundedRect(rect, 3, 3)
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    painter.setPen(QtGui.QPen(calm_style.color(calm_style.GREEN), 2))
                    painter.drawRoundedRect(rect.adjusted(-1.5, -1.5, 1.5, 1.5), 4, 4)
                else:
                    fill = {"kept": KEPT_FILL, "slip": calm_style.SAND,
                            "untracked": calm_style.UNTRACKED}[key]
                    painter.setBrush(calm_style.color(fill))
                    painter.drawRoundedRect(rect, 3, 3)
                painter.setPen(calm_style.color(calm_style.MUTED))
                painter.drawText(QtCore.QPointF(x + CELL + 6, 4 + CELL - 2), text)
                x += CELL + 6 + metrics.horizontalAdvance(text) + 20
        finally:
            painter.end()


class StreaksChart(QtWidgets.QWidget):
    """Each streak as a bar, newest first: the current one in the app's green."""

    ROW: Final = 28
    LABEL_WIDTH: Final = 200

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, int, bool, bool]] = []  # text, days, current, ended by slip
        self.hidden = 0

    def set_streaks(self, current: Streak | None, past: Sequence[Streak], zone: ZoneInfo) -> None:
        """Show the current streak (if any) and the past ones."""

        def span(streak: Streak) -> str:
            start = streak.started_at.astimezone(zone).strftime("%d %b %Y")
            if streak.ended_at is None:
                return f"Since {start}"
            return f"{start} – {streak.ended_at.astimezone(zone).strftime('%d %b %Y')}"

        rows = []
        if current is not None:
            rows.append((span(current), current.days, True, False))
        rows.extend((span(s), s.days, False, True) for s in reversed(past))
        self.hidden = max(0, len(rows) - MAX_STREAK_ROWS)
        self.rows = rows[:MAX_STREAK_ROWS]
        height = max(1, len(self.rows)) * self.ROW + (22 if self.hidden else 0)
        self.setMinimumHeight(height)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QtCore.QSize:
        """As tall as the rows."""
        return QtCore.QSize(420, max(1, len(self.rows)) * self.ROW + (22 if self.hidden else 0))

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:
        """Bars proportional to the days kept."""
        painter = QtGui.QPainter(self)
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            font = QtGui.QFont(self.font())
            font.setPixelSize(13)
            painter.setFont(font)
            if not self.rows:
                painter.setPen(calm_style.color(calm_style.MUTED))
                painter.drawText(QtCore.QPointF(0, 18), "Your streaks will appear here.")
                return
            longest = max(1, *(days for _t, days, _c, _s in self.rows))
            bar_space = max(40, self.width() - self.LABEL_WIDTH - 90)
            for index, (text, days, current, slip) in enumerate(self.rows):
                y = index * self.ROW
                painter.setPen(calm_style.color(calm_style.INK if current else calm_style.MUTED))
                painter.drawText(
                    QtCore.QRectF(0, y, self.LABEL_WIDTH - 10, self.ROW),
                    Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                    text,
                )
                width = max(4.0, bar_space * days / longest)
                bar = QtCore.QRectF(self.LABEL_WIDTH, y + 7, width, self.ROW - 14)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(
                    calm_style.color(calm_style.GREEN if current else calm_style.GREEN_MID)
                )
                painter.drawRoundedRect(bar, 5, 5)
                if slip:
                    painter.setBrush(calm_style.color(calm_style.SAND))
                    painter.drawEllipse(QtCore.QPointF(bar.right() + 7, bar.center().y()), 4, 4)
                painter.setPen(calm_style.color(calm_style.INK))
                painter.drawText(
                    QtCore.QPointF(bar.right() + 16, y + self.ROW / 2 + 5),
                    f"{days} day{'s' if days != 1 else ''}",
                )
            if self.hidden:
                painter.setPen(calm_style.color(calm_style.MUTED))
                painter.drawText(
                    QtCore.QPointF(0, len(self.rows) * self.ROW + 16),
                    f"… and {self.hidden} earlier streak{'s' if self.hidden != 1 else ''}",
                )
        finally:
            painter.end()


class MilestoneBadges(QtWidgets.QWidget):
    """A badge per milestone: solid when reached in this streak, soft when reached before."""

    SIZE: Final = 44
    GAP: Final = 10

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.badges: list[tuple[int, str, int]] = []  # days, state, times reached

    def set_milestones(
        self,
        current_days: int,
        longest_days: int,
        notified: Sequence[tuple[datetime, int, datetime]],
    ) -> None:
        """Reached now, reached before, or ahead."""
        times = Counter(days for _s, days, _n in notified)
        reached_before = set(milestones_up_to(longest_days)) | set(times)
        current = set(milestones_up_to(current_days))
        shown = sorted(set(FIXED_MILESTONES) | reached_before)
        self.badges = [
            (
                days,
                "current" if days in current else "before" if days in reached_before else "ahead",
                times.get(days, 0),
            )
            for days in shown
        ]
        per_row = max(1, (max(self.width(), 360)) // (self.SIZE + self.GAP))
        rows = -(-len(self.badges) // per_row)
        self.setMinimumHeight(rows * (self.SIZE + 26))
        self.update()

    def sizeHint(self) -> QtCore.QSize:
        """Wraps into rows."""
        return QtCore.QSize(420, 2 * (self.SIZE + 26))

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        """Re-wrap the rows."""
        super().resizeEvent(event)
        per_row = max(1, self.width() // (self.SIZE + self.GAP))
        rows = -(-max(1, len(self.badges)) // per_row)
        self.setMinimumHeight(rows * (self.SIZE + 26))

    def paintEvent(self, _event: QtGui.QPaintEvent) -> None:
        """Circles with the number of days inside."""
        painter = QtGui.QPainter(self)
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
            per_row = max(1, self.width() // (self.SIZE + self.GAP))
            font = QtGui.QFont(self.font())
            for index, (days, state, times) in enumerate(self.badges):
                x = (index % per_row) * (self.SIZE + self.GAP)
                y = (index // per_row) * (self.SIZE + 26)
                rect = QtCore.QRectF(x + 1, y + 1, self.SIZE - 2, self.SIZE - 2)
                if state == "current":
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(calm_style.color(calm_style.GREEN))
                    ink = QtGui.QColor("white")
                elif state == "before":
                    painter.setPen(QtGui.QPen(calm_style.color(calm_style.GREEN_MID), 1.5))
                    painter.setBrush(calm_style.color(calm_style.GREEN_SOFT))
                    ink = calm_style.color(calm_style.INK)
                else:
                    painter.setPen(QtGui.QPen(calm_style.color(calm_style.LINE), 1.5))
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    ink = calm_style.color(calm_style.MUTED)
                painter.drawEllipse(rect)
                text = str(days) if days < 365 else f"{days // 365}y"
                font.setPixelSize(15 if len(text) <= 2 else 13)
                font.setBold(state != "ahead")
                painter.setFont(font)
                painter.setPen(ink)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
                if times > 1:
                    font.setPixelSize(11)
                    font.setBold(False)
                    painter.setFont(font)
                    painter.setPen(calm_style.color(calm_style.MUTED))
                    painter.drawText(
                        QtCore.QRectF(x, y + self.SIZE + 2, self.SIZE, 16),
                        Qt.AlignmentFlag.AlignCenter,
                        f"×{times}",
                    )
        finally:
            painter.end()


class FigureCard(QtWidgets.QFrame):
    """A big number and what it counts."""

    def __init__(self, caption: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        role(self, "card")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        self.number = label("–", "bignumber", wrap=False)
        layout.addWidget(self.number)
        self.caption = label(caption, "muted")
        layout.addWidget(self.caption)

    def show_value(self, value: int) -> None:
        """Set the number."""
        self.number.setText(f"{value:,}")


class HistoryWindow(QtWidgets.QWidget):
    """The whole picture; ``check_in_requested`` opens today's check-in."""

    check_in_requested = Signal()

    def __init__(
        self, store: Store, clock: Clock, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.store = store
        self.clock = clock
        self.years_back = 0
        self.summary: HistorySummary | None = None
        self.cells: list[DayCell] = []
        calm_style.calm(self)
        self.setWindowTitle("My history — No Contact")
        self._build()
        calm_style.fit_to_screen(self, 1000, 760)
        calm_style.close_on_escape(self)

    def _build(self) -> None:
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        content = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(content)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(14)
        top = QtWidgets.QHBoxLayout()
        words = QtWidgets.QVBoxLayout()
        words.addWidget(label("My history", "heading"))
        words.addWidget(
            label("Every day you kept counts. A slip does not erase a single one of them.",
                  "muted")
        )
        top.addLayout(words, 1)
        self.check_in_button = QtWidgets.QPushButton("Check in for today")
        self.check_in_button.clicked.connect(self.check_in_requested)
        top.addWidget(self.check_in_button, alignment=Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)

        figures = QtWidgets.QGridLayout()
        figures.setSpacing(10)
        self.figure_cards = {
            "streak": FigureCard("days now"),
            "longest": FigureCard("longest streak"),
            "total": FigureCard("days kept in all"),
            "urges": FigureCard("urges ridden out"),
            "hoovers": FigureCard("times they reached out, unanswered"),
            "blocked": FigureCard("blocked attempts turned away"),
        }
        for index, widget in enumerate(self.figure_cards.values()):
            figures.addWidget(widget, 0, index)
            figures.setColumnStretch(index, 1)  # equal cards, whatever their captions
        layout.addLayout(figures)

        heat_card, heat_layout = card()
        nav = QtWidgets.QHBoxLayout()
        nav.addWidget(label("Your days", "lead", wrap=False))
        nav.addStretch(1)
        self.earlier_button = QtWidgets.QPushButton("‹ Earlier")
        role(self.earlier_button, "quiet")
        self.earlier_button.clicked.connect(lambda: self.show_year(self.years_back + 1))
        self.range_label = label("", "muted", wrap=False)
        self.later_button = QtWidgets.QPushButton("Later ›")
        role(self.later_button, "quiet")
        self.later_button.clicked.connect(lambda: self.show_year(self.years_back - 1))
        nav.addWidget(self.earlier_button)
        nav.addWidget(self.range_label)
        nav.addWidget(self.later_button)
        heat_layout.addLayout(nav)
        self.heatmap = HeatmapWidget()
        heat_layout.addWidget(self.heatmap, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.legend = LegendWidget()
        heat_layout.addWidget(self.legend)
        layout.addWidget(heat_card)

        lower = QtWidgets.QHBoxLayout()
        streak_card, streak_layout = card()
        streak_layout.addWidget(label("Streaks", "lead"))
        self.streaks = StreaksChart()
        streak_layout.addWidget(self.streaks)
        streak_layout.addStretch(1)
        lower.addWidget(streak_card, 3)
        badge_card, badge_layout = card()
        badge_layout.addWidget(label("Milestones", "lead"))
        self.badges = MilestoneBadges()
        badge_layout.addWidget(self.badges)
        self.badges_caption = label("", "muted")
        badge_layout.addWidget(self.badges_caption)
        badge_layout.addStretch(1)
        lower.addWidget(badge_card, 2)
        layout.addLayout(lower)
        # Honest limits (DESIGN §4a): when blocking was off because the helper was stopped.
        self.gaps_label = label("", "muted")
        self.gaps_label.setVisible(False)
        layout.addWidget(self.gaps_label)
        layout.addStretch(1)

        area = QtWidgets.QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        area.setWidget(content)
        outer.addWidget(area)

    def open(self) -> None:
        """Show the window in front with fresh figures on the latest year."""
        self.years_back = 0
        self.refresh()
        calm_style.bring_to_front(self)

    def refresh(self) -> None:
        """Read the store again (cheap: see bench/bench_history.py)."""
        now = self.clock.now()
        zone = self.clock.zone()
        summary = load_history(self.store, now, zone)
        self.summary = summary
        streak = summary.streak
        self.figure_cards["streak"].show_value(streak.streak_days)
        self.figure_cards["longest"].show_value(streak.longest_streak_days)
        self.figure_cards["total"].show_value(streak.total_no_contact_days)
        self.figure_cards["urges"].show_value(summary.urges_ridden_out)
        self.figure_cards["hoovers"].show_value(summary.hoovers_ignored)
        self.figure_cards["blocked"].show_value(summary.blocked_turned_away)
        current = None
        if streak.started and streak.started_at is not None:
            current = Streak(streak.started_at, None, streak.streak_days, None)
        self.streaks.set_streaks(current, streak.past_streaks, zone)
        self.badges.set_milestones(
            streak.streak_days, streak.longest_streak_days, summary.milestones
        )
        reached = len({d for _s, d, _n in summary.milestones})
        self.badges_caption.setText(
            "Solid: reached in this streak · soft: reached before · ×n: reached n times"
            if reached
            else "Your first milestone is one day away."
        )
        self.show_year(self.years_back, summary=summary)
        gaps = self.store.setting("protection_gaps", [])
        self.gaps_label.setText(protection_gap_text(gaps, zone))
        self.gaps_label.setVisible(bool(self.gaps_label.text()))

    def show_year(self, years_back: int, *, summary: HistorySummary | None = None) -> None:
        """Show the 12 months ending ``years_back`` years before today."""
        summary = summary or self.summary
        now = self.clock.now()
        zone = self.clock.zone()
        today = now.astimezone(zone).date()
        self.years_back = max(0, years_back)
        first, last = year_range(today, self.years_back)
        resets = summary.resets if summary is not None else None
        self.cells = load_cells(self.store, first, last, now=now, zone=zone, resets=resets)
        self.heatmap.set_cells(self.cells)
        self.range_label.setText(f"{first.strftime('%b %Y')} – {last.strftime('%b %Y')}")
        earliest = summary.first_day if summary is not None else None
        self.earlier_button.setEnabled(earliest is not None and earliest < first)
        self.later_button.setEnabled(self.years_back > 0)
