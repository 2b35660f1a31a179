"""The "I want to text them" window (DESIGN §6, issue 5): a calm flow for the weak moment.

Steps on the left, one at a time on the right, and the way out always at the bottom: "I rode
it out", "I contacted them", "They contacted me". The urge timer starts when the window
opens. Only while the window is visible does anything tick: 25 frames a second on the
breathing step, once a second elsewhere, nothing when hidden or minimised.

All logic is in core (urge, journal, tracker); this file only shows it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.journal.entries import Journal
from nocontact_desktop.core.journal.urge import (
    BREATH_PATTERNS,
    DEFAULT_INSTEAD,
    HOOVER_LOGGED,
    UrgeTimer,
    breath_at,
    encouragement,
    format_remaining,
    pattern_by_key,
)
from nocontact_desktop.core.settings import Settings
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.core.streak.tracker import Tracker
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.calm_style import label, role, scrolling
from nocontact_desktop.ui.dialogs.moment_dialogs import log_hoover, log_slip
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets, Signal
from nocontact_desktop.ui.windows.emergency_pages import (
    FREE_TEXT_ERRORS,
    INSTEAD,
    INTENTION,
    PEOPLE,
    PRACTICAL,
    REMEMBER,
    RIDE,
    STEPS,
    WRITE,
    EditableList,
    IntentionPage,
    PeoplePage,
    PracticalPage,
    RideItOutPage,
    WritePage,
    page_with_title,
)
from nocontact_desktop.ui.windows.main_window import ReasonsDialog

__all__ = [
    "INSTEAD",
    "INTENTION",
    "PEOPLE",
    "PRACTICAL",
    "REMEMBER",
    "RIDE",
    "STEPS",
    "WRITE",
    "EmergencyWindow",
]

PACER_FRAME_MS: Final = 40  # 25 frames a second: smooth enough for a slow breath
COUNTDOWN_MS: Final = 1000
URGE_MINUTES_SETTING: Final = "urge_minutes"
BREATHING_SETTING: Final = "breathing_pattern"

HEADLINE = "This urge will pass. You don’t have to act on it."
TIME_UP = (
    "The {minutes} minutes have passed. Notice how the wave feels now. If it has eased, you "
    "rode it out — tell yourself so below."
)


LOCKED_NOTE = "The breathing timer is open to anyone. The rest of this window needs your PIN."
# The steps that show what the person wrote (issue 14): behind the app lock when it is set.
PERSONAL_STEPS: Final = (WRITE, REMEMBER, PEOPLE, INSTEAD)


class EmergencyWindow(QtWidgets.QWidget):
    """The calm full flow. ``changed`` fires after anything was logged (the tray redraws);
    ``unlock_requested`` when the person asks to open the personal steps while locked."""

    changed = Signal()
    unlock_requested = Signal()

    def __init__(
        self,
        tracker: Tracker,
        journal: Journal,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.tracker = tracker
        self.journal = journal
        self.store = tracker.store
        self.clock = tracker.clock
        calm_style.calm(self)
        self.setWindowTitle("Breathe — No Contact")
        self.setMinimumSize(720, 520)
        self.settings = Settings(self.store)
        minutes = int(self.settings.get(URGE_MINUTES_SETTING))
        self.urge_timer = UrgeTimer(minutes)
        pattern_key = str(self.settings.get(BREATHING_SETTING))
        try:
            self.pattern = pattern_by_key(pattern_key)
        except BadInput:
            self.pattern = BREATH_PATTERNS[0]
        self._pacer_origin = self.clock.monotonic()
        self._time_up_shown = False
        self.locked = False
        self._tick = QtCore.QTimer(self)
        self._tick.timeout.connect(self.tick)
        self._build()
        calm_style.fit_to_screen(self, 1000, 700)
        calm_style.close_on_escape(self)

    # -- building ---------------------------------------------------------------------------

    def _build(self) -> None:
        root = QtWidgets.QVBoxLayout(self)
        root.setContentsMargins(24, 18, 24, 18)
        root.setSpacing(12)
        header = QtWidgets.QHBoxLayout()
        words = QtWidgets.QVBoxLayout()
        self.headline_label = label(HEADLINE, "heading")
        words.addWidget(self.headline_label)
        self.streak_label = label("", "muted")
        words.addWidget(self.streak_label)
        header.addLayout(words, 1)
        self.countdown_label = label("", "lead", wrap=False)
        self.countdown_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        header.addWidget(self.countdown_label)
        root.addLayout(header)
        locked_row = QtWidgets.QHBoxLayout()
        self.locked_label = label(LOCKED_NOTE, "muted")
        self.unlock_button = QtWidgets.QPushButton("Open the rest…")
        role(self.unlock_button, "quiet")
        self.unlock_button.clicked.connect(self.unlock_requested)
        locked_row.addWidget(self.locked_label, 1)
        locked_row.addWidget(self.unlock_button)
        self.locked_label.setVisible(False)
        self.unlock_button.setVisible(False)
        root.addLayout(locked_row)

        body = QtWidgets.QHBoxLayout()
        self.steps = QtWidgets.QListWidget()
        self.steps.setObjectName("steps")
        self.steps.setFixedWidth(250)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for number, title in enumerate(STEPS, start=1):
            self.steps.addItem(f"{number}   {title}")
        body.addWidget(self.steps)
        self.stack = QtWidgets.QStackedWidget()
        body.addWidget(self.stack, 1)
        root.addLayout(body, 1)

        self.ride = RideItOutPage(self.urge_timer.minutes, self.pattern.key)
        self.ride.restart_requested.connect(self.restart_timer)
        self.ride.minutes_changed.connect(self.set_minutes)
        self.ride.pattern_changed.connect(self.set_pattern)
        self.write = WritePage(self.journal)
        self.remember = self._remember_page()
        self.people = PeoplePage()
        self.people.edit_requested.connect(self.edit_people)
        self.instead = self._instead_page()
        self.intention = IntentionPage()
        self.intention.route_requested.connect(self.go_to)
        self.practical = PracticalPage()
        self.practical.log_requested.connect(self.log_logistics)
        for page in (
            self.ride,
            self.write,
            self.remember,
            self.people,
            self.instead,
            self.intention,
            self.practical,
        ):
            # Each step scrolls inside its own area: a banner below never squeezes its buttons.
            self.stack.addWidget(
                page if isinstance(page, QtWidgets.QScrollArea) else scrolling(page)
            )
        self.steps.currentRowChanged.connect(self._step_changed)
        self.steps.setCurrentRow(RIDE)

        self.banner = label("", "banner")
        self.banner.setVisible(False)
        root.addWidget(self.banner)
        footer = QtWidgets.QHBoxLayout()
        self.hoover_button = QtWidgets.QPushButton("They contacted me")
        role(self.hoover_button, "quiet")
        self.hoover_button.clicked.connect(self.they_contacted_me)
        self.contacted_button = QtWidgets.QPushButton("I contacted them")
        role(self.contacted_button, "quiet")
        self.contacted_button.clicked.connect(self.i_contacted_them)
        self.rode_button = QtWidgets.QPushButton("I rode it out")
        role(self.rode_button, "primary")
        self.rode_button.setMinimumHeight(50)
        self.rode_button.setMinimumWidth(220)
        self.rode_button.clicked.connect(self.rode_it_out)
        self._rode_logged = False
        footer.addWidget(self.hoover_button)
        footer.addWidget(self.contacted_button)
        footer.addStretch(1)
        footer.addWidget(self.rode_button)
        root.addLayout(footer)

    def _remember_page(self) -> QtWidgets.QWidget:
        page, layout = page_with_title(
            "Remember why",
            "In a weak moment the mind remembers the good times. Here is what you wrote when "
            "you saw clearly.",
        )
        self.reasons_list = EditableList(
            "My reasons", "You have not written your reasons yet. Why did you choose this?"
        )
        self.reasons_list.saved.connect(lambda items: self._save_list("reasons", items))
        self.remember_list = EditableList(
            "Remember what really happened",
            "Write down what really happened — the moments you never want to go back to. "
            "You can read them here when you start to miss them.",
        )
        self.remember_list.saved.connect(lambda items: self._save_list("remember", items))
        layout.addWidget(self.reasons_list)
        layout.addWidget(self.remember_list)
        layout.addStretch(1)
        return scrolling(page)

    def _instead_page(self) -> QtWidgets.QWidget:
        page, layout = page_with_title(
            "Do something else",
            "Pick one thing and do it now. The urge will not follow you for long.",
        )
        self.instead_list = EditableList(
            "Things I can do instead",
            "Your list is empty. Here are some ideas:\n"
            + "\n".join(f"•  {item}" for item in DEFAULT_INSTEAD),
            suggestions=DEFAULT_INSTEAD,
        )
        self.instead_list.saved.connect(lambda items: self._save_list("instead", items))
        layout.addWidget(self.instead_list)
        layout.addStretch(1)
        return scrolling(page)

    # -- showing ----------------------------------------------------------------------------

    def open(self) -> None:
        """Show the window in front, on the first step, with the timer running."""
        self.steps.setCurrentRow(RIDE)
        self.banner.setVisible(False)
        self._reset_outcome()
        calm_style.bring_to_front(self)

    def _reset_outcome(self) -> None:
        self._rode_logged = False
        self.rode_button.setEnabled(True)
        self.rode_button.setText("I rode it out")

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        """Fresh figures; the urge timer starts (again) unless it is still running."""
        super().showEvent(event)
        mono = self.clock.monotonic()
        if not self.urge_timer.running or self.urge_timer.finished(mono):
            self.urge_timer.start(mono)
            self._time_up_shown = False
        self._pacer_origin = mono
        self.refresh()
        self._schedule_ticks()
        self.tick()

    def hideEvent(self, event: QtGui.QHideEvent) -> None:
        """Nothing ticks while the window is away."""
        super().hideEvent(event)
        self._tick.stop()

    def changeEvent(self, event: QtCore.QEvent) -> None:
        """Minimised counts as away."""
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.WindowStateChange:
            self._schedule_ticks()

    def ticking_interval(self) -> int | None:
        """The tick interval in ms now, or None when nothing ticks (for tests and the bench)."""
        return self._tick.interval() if self._tick.isActive() else None

    def _schedule_ticks(self) -> None:
        if not self.isVisible() or self.isMinimized():
            self._tick.stop()
            return
        interval = PACER_FRAME_MS if self.stack.currentIndex() == RIDE else COUNTDOWN_MS
        if not self._tick.isActive() or self._tick.interval() != interval:
            self._tick.start(interval)

    def _step_changed(self, row: int) -> None:
        if not self._step_allowed(row):
            self.steps.setCurrentRow(RIDE)
            return
        self.stack.setCurrentIndex(max(0, row))
        self._schedule_ticks()

    def go_to(self, step: int) -> None:
        """Show a step (a personal one only when unlocked)."""
        self.steps.setCurrentRow(step if self._step_allowed(step) else RIDE)

    def tick(self) -> None:
        """Advance the countdown and the pacer to the clock's time."""
        mono = self.clock.monotonic()
        remaining = self.urge_timer.remaining(mono)
        text = format_remaining(remaining)
        self.ride.timer_label.setText(text)
        if self.urge_timer.running:
            self.ride.timer_caption.setText(f"left of {self.urge_timer.minutes} minutes")
            self.countdown_label.setText(f"{text} left")
        else:
            self.ride.timer_caption.setText("ready when you need it")
            self.countdown_label.setText("")
        if self.stack.currentIndex() == RIDE:
            state = breath_at(self.pattern, mono - self._pacer_origin)
            self.ride.pacer.show_state(state, self.urge_timer.progress(mono))
        if self.urge_timer.finished(mono) and not self._time_up_shown:
            self._time_up_shown = True
            self.countdown_label.setText("Time is up")
            self.show_banner(TIME_UP.format(minutes=self.urge_timer.minutes))

    def set_locked(self, locked: bool) -> None:
        """Locked: only the breathing timer (and the steps that hold nothing personal) show;
        what the person wrote is cleared from the window, the outcomes wait for the PIN."""
        self.locked = locked
        for step in range(self.steps.count()):
            item = self.steps.item(step)
            if item is None:
                continue
            flags = item.flags()
            if locked and step in PERSONAL_STEPS:
                item.setFlags(flags & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable)
            else:
                item.setFlags(flags | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        if locked and self.steps.currentRow() in PERSONAL_STEPS:
            self.steps.setCurrentRow(RIDE)
        for button in (self.hoover_button, self.contacted_button, self.rode_button):
            button.setEnabled(not locked and not (button is self.rode_button and self._rode_logged))
        self.locked_label.setVisible(locked)
        self.unlock_button.setVisible(locked)
        if self.isVisible() or locked:
            self.refresh()

    def _step_allowed(self, row: int) -> bool:
        return not (self.locked and row in PERSONAL_STEPS)

    def refresh(self) -> None:
        """Read the figures and the person's lists from the store."""
        if self.locked:
            self.streak_label.setText("")
            for widget in (self.reasons_list, self.remember_list, self.instead_list):
                widget.set_items([])
            self.people.show_people([])
            self.write.clear_shown()
            return
        summary = self.tracker.summary()
        if summary.started:
            self.streak_label.setText(
                f"Day {summary.streak_days} of no contact · longest "
                f"{summary.longest_streak_days} days · {summary.total_no_contact_days} days "
                "kept in all"
            )
        else:
            self.streak_label.setText("Your count has not started yet.")
        self._load_list(self.reasons_list, "reasons")
        self._load_list(self.remember_list, "remember")
        self._load_list(self.instead_list, "instead")
        try:
            self.people.show_people(self.store.support_people())
        except FREE_TEXT_ERRORS as err:
            self.people.show_error(f"Your people cannot be shown now: {err}")
        self.write.reload()

    def _load_list(self, widget: EditableList, name: str) -> None:
        try:
            widget.set_items(self.store.list_items(name))
        except FREE_TEXT_ERRORS as err:
            widget.show_error(f"This list cannot be opened now: {err}")

    def _save_list(self, name: str, items: list[str]) -> None:
        widget = {
            "reasons": self.reasons_list,
            "remember": self.remember_list,
            "instead": self.instead_list,
        }[name]
        try:
            self.store.set_list_items(name, items)
        except FREE_TEXT_ERRORS as err:
            widget.show_error(f"It could not be saved: {err}")
            return
        widget.stop_editing()
        self._load_list(widget, name)
        self.changed.emit()

    def show_banner(self, text: str) -> None:
        """A calm message above the buttons."""
        self.banner.setText(text)
        self.banner.setVisible(True)

    # -- the timer and the pacer ------------------------------------------------------------

    def restart_timer(self) -> None:
        """Start the urge timer from the full length (a new urge: its outcome is open again)."""
        self._reset_outcome()
        self.urge_timer.start(self.clock.monotonic())
        self._time_up_shown = False
        self.banner.setVisible(False)
        self.tick()

    def set_minutes(self, minutes: int) -> None:
        """Change the timer's length (kept for next time)."""
        self.urge_timer.set_minutes(minutes)
        self._time_up_shown = False
        self.settings.set(URGE_MINUTES_SETTING, minutes)
        self.tick()

    def set_pattern(self, key: str) -> None:
        """Switch the breathing pattern (kept for next time); it begins with a breath in."""
        self.pattern = pattern_by_key(key)
        self._pacer_origin = self.clock.monotonic()
        self.settings.set(BREATHING_SETTING, key)
        self.tick()

    # -- outcomes ---------------------------------------------------------------------------

    def rode_it_out(self) -> None:
        """Log an ``urge`` ridden out and say a kind word — once per urge."""
        if self._rode_logged:
            return
        self._rode_logged = True
        self.rode_button.setEnabled(False)
        self.rode_button.setText("Logged — you rode it out")
        self.tracker.log(EventKind.URGE)
        summary = self.tracker.summary()
        count = self.store.count_by_kind()[EventKind.URGE]
        self.urge_timer.stop()
        self._time_up_shown = True
        self.countdown_label.setText("")
        self.show_banner(encouragement(count, summary.streak_days))
        self.refresh()
        self.changed.emit()

    def i_contacted_them(self) -> None:
        """Confirm kindly, log ``contact``, and show what stays: longest and total."""
        text = log_slip(self.tracker, self, self._log)
        if text is None:
            return
        self.show_banner(text)
        self.refresh()
        self.changed.emit()

    def they_contacted_me(self) -> None:
        """Log a ``hoover`` with an optional note, and remind of the boundary."""
        if not log_hoover(self.tracker, self, self._log):
            return
        self.show_banner(HOOVER_LOGGED)
        self.refresh()
        self.changed.emit()

    def log_logistics(self, text: str) -> None:
        """Log necessary practical contact; the count goes on."""
        self._log(EventKind.LOGISTICS, text or None)
        summary = self.tracker.summary()
        days = f" Day {summary.streak_days} goes on." if summary.started else ""
        self.show_banner(
            "Logged as practical contact. It does not reset your count."
            + days
            + " Keep any reply just as brief — you don’t have to answer anything else."
        )
        self.refresh()
        self.changed.emit()

    def _log(self, kind: EventKind, note: str | None, at: datetime | None = None) -> None:
        try:
            self.tracker.log(kind, at, note)
        except FREE_TEXT_ERRORS as err:
            # The moment matters more than the note: log it without, and say so.
            self.tracker.log(kind, at)
            self.show_banner(f"Logged, but your note could not be saved: {err}")

    def edit_people(self) -> None:
        """Edit reasons and support people (the main window's dialog)."""
        try:
            dialog = ReasonsDialog(
                self.store.list_items("reasons"), self.store.support_people(), self
            )
        except FREE_TEXT_ERRORS as err:
            self.people.show_error(f"Your people cannot be edited now: {err}")
            return
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            self.store.set_list_items("reasons", dialog.reasons())
            self.store.set_support_people(dialog.people())
            self.refresh()
            self.changed.emit()
