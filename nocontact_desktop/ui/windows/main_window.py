"""The main window: a page list on the left; "Today" first. Features add their own pages."""

from __future__ import annotations

from nocontact_desktop.core.storage.store import SupportPerson
from nocontact_desktop.core.streak.count import StreakSummary
from nocontact_desktop.core.streak.milestones import milestone_text
from nocontact_desktop.ui.qt import Qt, QtGui, QtWidgets, Signal
from nocontact_desktop.ui.tray.icon import app_icon


class TodayPage(QtWidgets.QWidget):
    """The streak at a glance, the person's reasons, and the buttons for hard moments."""

    emergency_requested = Signal()
    hoover_requested = Signal()
    slip_requested = Signal()
    edit_reasons_requested = Signal()
    history_requested = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        self.days_label = QtWidgets.QLabel("–")
        font = QtGui.QFont()
        font.setPixelSize(64)
        font.setBold(True)
        self.days_label.setFont(font)
        self.days_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.days_label)
        self.caption_label = QtWidgets.QLabel("days of no contact")
        self.caption_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.caption_label)
        self.figures_label = QtWidgets.QLabel()
        self.figures_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.figures_label)
        self.milestone_label = QtWidgets.QLabel()
        self.milestone_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.milestone_label.setWordWrap(True)
        layout.addWidget(self.milestone_label)
        self.turned_away_label = QtWidgets.QLabel()
        self.turned_away_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.turned_away_label)

        self.emergency_button = QtWidgets.QPushButton("I want to text them")
        self.emergency_button.setMinimumHeight(44)
        self.emergency_button.clicked.connect(self.emergency_requested)
        layout.addWidget(self.emergency_button)
        row = QtWidgets.QHBoxLayout()
        self.hoover_button = QtWidgets.QPushButton("They contacted me")
        self.hoover_button.clicked.connect(self.hoover_requested)
        self.slip_button = QtWidgets.QPushButton("I slipped — I contacted them")
        self.slip_button.clicked.connect(self.slip_requested)
        row.addWidget(self.hoover_button)
        row.addWidget(self.slip_button)
        layout.addLayout(row)
        self.history_button = QtWidgets.QPushButton("My history")
        self.history_button.clicked.connect(self.history_requested)
        layout.addWidget(self.history_button)

        reasons_box = QtWidgets.QGroupBox("Why I keep no contact")
        reasons_layout = QtWidgets.QVBoxLayout(reasons_box)
        self.reasons_label = QtWidgets.QLabel()
        self.reasons_label.setWordWrap(True)
        self.reasons_label.setTextFormat(Qt.TextFormat.PlainText)
        reasons_layout.addWidget(self.reasons_label)
        edit = QtWidgets.QPushButton("Edit my reasons and people…")
        edit.clicked.connect(self.edit_reasons_requested)
        reasons_layout.addWidget(edit, alignment=Qt.AlignmentFlag.AlignRight)
        layout.addWidget(reasons_box)
        layout.addStretch(1)

    def show_summary(self, summary: StreakSummary) -> None:
        """Show the figures of ``summary``."""
        if not summary.started:
            self.days_label.setText("–")
            self.caption_label.setText("The count has not started yet")
            self.figures_label.setText("")
            self.milestone_label.setText("")
            return
        days = summary.streak_days
        self.days_label.setText(str(days))
        self.caption_label.setText("day of no contact" if days == 1 else "days of no contact")
        self.figures_label.setText(
            f"Longest streak: {summary.longest_streak_days} days · "
            f"Total kept: {summary.total_no_contact_days} days"
        )
        nxt = summary.next_milestone_days
        text = f"Next milestone: day {nxt} ({nxt - days} to go)" if nxt is not None else ""
        if days in (1, 3, 7, 14, 21, 30, 60, 90, 180) or (days >= 365 and days % 365 == 0):
            text = milestone_text(days) + "\n" + text
        self.milestone_label.setText(text)

    def show_turned_away(self, count: int) -> None:
        """Blocked attempts turned away in the last 7 days (nothing shown for none)."""
        if count <= 0:
            self.turned_away_label.setText("")
            return
        times = "once" if count == 1 else f"{count} times"
        self.turned_away_label.setText(f"You turned away {times} this week.")

    def show_reasons(self, reasons: list[str]) -> None:
        """Show the person's own reasons, as a list."""
        if reasons:
            self.reasons_label.setText("\n".join(f"• {r}" for r in reasons))
        else:
            self.reasons_label.setText("You have not written any reasons yet.")


class ReasonsDialog(QtWidgets.QDialog):
    """Edit reasons (one per line) and support people."""

    def __init__(
        self,
        reasons: list[str],
        people: list[SupportPerson],
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("My reasons and people")
        self.setMinimumWidth(480)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("My reasons (one per line):"))
        self.reasons_edit = QtWidgets.QPlainTextEdit("\n".join(reasons))
        layout.addWidget(self.reasons_edit)
        layout.addWidget(QtWidgets.QLabel("People I can call instead (name — how to reach):"))
        self.people_table = QtWidgets.QTableWidget(max(3, len(people) + 1), 2)
        self.people_table.setHorizontalHeaderLabels(["Name", "Phone or link"])
        self.people_table.horizontalHeader().setStretchLastSection(True)
        for row, person in enumerate(people):
            self.people_table.setItem(row, 0, QtWidgets.QTableWidgetItem(person.name))
            self.people_table.setItem(row, 1, QtWidgets.QTableWidgetItem(person.reach))
        layout.addWidget(self.people_table)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Save
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def reasons(self) -> list[str]:
        """The reasons as edited."""
        return [r.strip() for r in self.reasons_edit.toPlainText().splitlines() if r.strip()]

    def people(self) -> list[SupportPerson]:
        """The support people as edited (rows without a name are dropped)."""
        result = []
        for row in range(self.people_table.rowCount()):
            name = self.people_table.item(row, 0)
            reach = self.people_table.item(row, 1)
            if name is not None and name.text().strip():
                result.append(
                    SupportPerson(name.text().strip(), reach.text().strip() if reach else "")
                )
        return result


class SettingsPage(QtWidgets.QWidget):
    """App settings."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        self.privacy_label = QtWidgets.QLabel(
            "Everything you write stays on this computer, encrypted. Nothing is ever sent anywhere."
        )
        self.privacy_label.setWordWrap(True)
        layout.addWidget(self.privacy_label)
        layout.addStretch(1)

    def add_section(self, widget: QtWidgets.QWidget) -> None:
        """Add a feature's settings (a widget, usually a QGroupBox) above the free space."""
        layout = self.layout()
        assert isinstance(layout, QtWidgets.QVBoxLayout)
        layout.insertWidget(layout.count() - 1, widget)


class MainWindow(QtWidgets.QMainWindow):
    """Pages on the left, the chosen one on the right."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("No Contact")
        self.setWindowIcon(app_icon())
        self.resize(760, 560)
        central = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(central)
        self.nav = QtWidgets.QListWidget()
        self.nav.setFixedWidth(150)
        self.stack = QtWidgets.QStackedWidget()
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.today = TodayPage()
        self.settings = SettingsPage()
        self.add_page("Today", self.today)
        self.add_page("Settings", self.settings)
        self.nav.setCurrentRow(0)

    def add_page(self, title: str, page: QtWidgets.QWidget, *, before: str | None = None) -> None:
        """Add a page; ``before`` puts it ahead of an existing page title."""
        index = self.stack.count()
        if before is not None:
            for row in range(self.nav.count()):
                item = self.nav.item(row)
                if item is not None and item.text() == before:
                    index = row
                    break
        self.nav.insertItem(index, title)
        self.stack.insertWidget(index, page)

    def show_page(self, title: str) -> None:
        """Switch to the page called ``title``."""
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            if item is not None and item.text() == title:
                self.nav.setCurrentRow(row)
                return

    def bring_to_front(self) -> None:
        """Show, raise and focus the window."""
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()
