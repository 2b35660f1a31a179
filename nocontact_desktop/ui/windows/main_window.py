"""The main window: a sidebar of pages on the left, "Today" first. Features add their own pages."""

from __future__ import annotations

from nocontact_desktop.core.storage.store import SupportPerson
from nocontact_desktop.core.streak.count import StreakSummary
from nocontact_desktop.core.streak.milestones import (
    is_milestone,
    milestone_text,
    milestones_up_to,
)
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import Qt, QtWidgets, Signal
from nocontact_desktop.ui.tray.icon import app_icon

WELCOME = (
    "•  When the urge comes, “I want to text them” (here, or in the tray menu) walks you "
    "through it — a timer, your breathing, your reasons.\n"
    "•  Blocked: paste their profile links, and those sites pause for a moment before they "
    "open.\n"
    "•  Apps: messaging apps can wait for the same moment.\n"
    "•  Your count lives in the tray. Everything stays on this computer."
)


class TodayPage(QtWidgets.QWidget):
    """The count celebrated, the next milestone as progress, one prominent way through an urge,
    and the person's own reasons. After a slip: "Day 0 — a new beginning", with what stays."""

    emergency_requested = Signal()
    hoover_requested = Signal()
    slip_requested = Signal()
    edit_reasons_requested = Signal()
    history_requested = Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(28, 20, 28, 20)
        layout.setSpacing(12)

        self.welcome, welcome_layout = calm_style.card()
        welcome_layout.addWidget(calm_style.label("Welcome. Here is what you can do:", "lead"))
        welcome_layout.addWidget(calm_style.label(WELCOME))
        got_it = QtWidgets.QPushButton("Got it")
        calm_style.role(got_it, "quiet")
        got_it.clicked.connect(lambda: self.welcome.setVisible(False))
        welcome_layout.addWidget(got_it, alignment=Qt.AlignmentFlag.AlignRight)
        self.welcome.setVisible(False)
        layout.addWidget(self.welcome)

        hero, hero_layout = calm_style.card()
        hero_layout.setContentsMargins(24, 18, 24, 18)
        self.days_label = calm_style.label("–", "hero", wrap=False)
        self.days_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hero_layout.addWidget(self.days_label)
        self.caption_label = calm_style.label("days of no contact", "lead")
        self.caption_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hero_layout.addWidget(self.caption_label)
        self.figures_label = calm_style.label("", "muted")
        self.figures_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hero_layout.addWidget(self.figures_label)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(10)
        hero_layout.addWidget(self.progress)
        self.milestone_label = calm_style.label("", "muted")
        self.milestone_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hero_layout.addWidget(self.milestone_label)
        layout.addWidget(hero)

        self.turned_away_label = calm_style.label("", "muted")
        self.turned_away_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.turned_away_label)

        self.emergency_button = QtWidgets.QPushButton("I want to text them")
        calm_style.role(self.emergency_button, "primary")
        self.emergency_button.setMinimumHeight(56)
        self.emergency_button.clicked.connect(self.emergency_requested)
        layout.addWidget(self.emergency_button)
        row = QtWidgets.QHBoxLayout()
        self.hoover_button = QtWidgets.QPushButton("They contacted me")
        self.slip_button = QtWidgets.QPushButton("I slipped — I contacted them")
        self.history_button = QtWidgets.QPushButton("My history")
        for button, signal in (
            (self.hoover_button, self.hoover_requested),
            (self.slip_button, self.slip_requested),
            (self.history_button, self.history_requested),
        ):
            calm_style.role(button, "quiet")
            button.clicked.connect(signal)
            row.addWidget(button)
        layout.addLayout(row)

        reasons, reasons_layout = calm_style.card()
        reasons_layout.addWidget(calm_style.label("Why I keep no contact", "lead"))
        self.reasons_label = calm_style.label("")
        reasons_layout.addWidget(self.reasons_label)
        edit = QtWidgets.QPushButton("Edit my reasons and people…")
        calm_style.role(edit, "quiet")
        edit.clicked.connect(self.edit_reasons_requested)
        reasons_layout.addWidget(edit, alignment=Qt.AlignmentFlag.AlignRight)
        layout.addWidget(reasons)
        layout.addStretch(1)

    def show_summary(self, summary: StreakSummary) -> None:
        """Show the figures of ``summary``."""
        if not summary.started:
            self.days_label.setText("–")
            self.caption_label.setText("The count has not started yet")
            self.figures_label.setText("")
            self.milestone_label.setText("")
            self.progress.setVisible(False)
            return
        days = summary.streak_days
        self.days_label.setText(str(days))
        if days == 0:
            self.caption_label.setText("Day 0 — a new beginning")
        else:
            self.caption_label.setText("day of no contact" if days == 1 else "days of no contact")
        self.figures_label.setText(
            f"Longest streak {summary.longest_streak_days} days · "
            f"{summary.total_no_contact_days} days kept in all"
        )
        nxt = summary.next_milestone_days
        previous = max(milestones_up_to(days), default=0)
        if nxt is not None:
            self.progress.setVisible(True)
            self.progress.setRange(0, max(1, nxt - previous))
            self.progress.setValue(days - previous)
            text = f"Next milestone: day {nxt} — {nxt - days} to go"
        else:
            self.progress.setVisible(False)
            text = ""
        if is_milestone(days):
            text = milestone_text(days) + "\n" + text
        self.milestone_label.setText(text)

    def show_welcome(self) -> None:
        """After the first start: a short word on what the app can do for them."""
        self.welcome.setVisible(True)

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
        central = QtWidgets.QWidget()
        calm_style.calm(central)
        layout = QtWidgets.QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.nav = QtWidgets.QListWidget()
        self.nav.setObjectName("nav")  # a sidebar of pages, styled in calm_style
        self.nav.setFixedWidth(180)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QtWidgets.QStackedWidget()
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        calm_style.fit_to_screen(self, 900, 640)
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
        self.stack.insertWidget(index, calm_style.scrolling(page))

    def show_page(self, title: str) -> None:
        """Switch to the page called ``title``."""
        for row in range(self.nav.count()):
            item = self.nav.item(row)
            if item is not None and item.text() == title:
                self.nav.setCurrentRow(row)
                return

    def bring_to_front(self) -> None:
        """Show, raise and focus the window."""
        calm_style.bring_to_front(self)
