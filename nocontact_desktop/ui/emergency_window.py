"""The "I want to text them" window (DESIGN §6, issue 5): a calm flow for the weak moment.

Steps on the left, one at a time on the right, and the way out always at the bottom: "I rode
it out", "I contacted them", "They contacted me". The urge timer starts when the window
opens. Only while the window is visible does anything tick: 25 frames a second on the
breathing step, once a second elsewhere, nothing when hidden or minimised.

All logic is in core (urge, journal, tracker); this file only shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.events import EventKind
from nocontact_desktop.core.journal import Journal, UnsentMessage
from nocontact_desktop.core.reach import classify_reach
from nocontact_desktop.core.sealing import SealError
from nocontact_desktop.core.store import SupportPerson
from nocontact_desktop.core.tracker import Tracker
from nocontact_desktop.core.urge import (
    BREATH_PATTERNS,
    DEFAULT_INSTEAD,
    DEFAULT_URGE_MINUTES,
    HOOVER_LOGGED,
    INTENTIONS,
    LOGISTICS_ADVICE,
    LOGISTICS_TEMPLATES,
    MAX_URGE_MINUTES,
    MIN_URGE_MINUTES,
    SEAL_24_HOURS,
    SEAL_30_DAYS,
    UrgeTimer,
    breath_at,
    encouragement,
    format_remaining,
    logistics_hints,
    pattern_by_key,
)
from nocontact_desktop.core.vault import KeyUnavailable
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.breathing_pacer import BreathingPacer
from nocontact_desktop.ui.calm_style import card, label, role
from nocontact_desktop.ui.main_window import ReasonsDialog
from nocontact_desktop.ui.moment_dialogs import SLIP_AFTER, HooverDialog, SlipDialog
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets, Signal

STEPS: Final = (
    "Ride it out",
    "Write it here instead",
    "Remember why",
    "Reach out to someone",
    "Do something else",
    "What do I want?",
    "A practical matter",
)
RIDE, WRITE, REMEMBER, PEOPLE, INSTEAD, INTENTION, PRACTICAL = range(len(STEPS))
ROUTES: Final = {
    "timer": RIDE, "write": WRITE, "reasons": REMEMBER, "people": PEOPLE, "logistics": PRACTICAL
}

PACER_FRAME_MS: Final = 40  # 25 frames a second: smooth enough for a slow breath
COUNTDOWN_MS: Final = 1000
MAX_SHOWN_MESSAGES: Final = 100

URGE_MINUTES_SETTING: Final = "urge_minutes"
BREATHING_SETTING: Final = "breathing_pattern"

HEADLINE = "This urge will pass. You don’t have to act on it."
TIME_UP = (
    "The {minutes} minutes have passed. Notice how the wave feels now. If it has eased, you "
    "rode it out — tell yourself so below."
)
FREE_TEXT_ERRORS = (KeyUnavailable, SealError)


def _local(at: datetime, journal: Journal) -> str:
    return at.astimezone(journal.clock.zone()).strftime("%a %d %b %Y, %H:%M")


def _scrolling(inner: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    area = QtWidgets.QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    area.setWidget(inner)
    return area


def _page(title: str, lead: str | None = None) -> tuple[QtWidgets.QWidget, QtWidgets.QVBoxLayout]:
    page = QtWidgets.QWidget()
    layout = QtWidgets.QVBoxLayout(page)
    layout.setContentsMargins(8, 4, 8, 4)
    layout.setSpacing(12)
    layout.addWidget(label(title, "heading"))
    if lead:
        layout.addWidget(label(lead, "lead"))
    return page, layout


class EditableList(QtWidgets.QFrame):
    """A list the person wrote, shown large; "Edit" turns it into one line per item."""

    saved = Signal(list)

    def __init__(
        self,
        title: str,
        empty_text: str,
        suggestions: Sequence[str] = (),
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        role(self, "card")
        self._suggestions = tuple(suggestions)
        self._items: list[str] = []
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(label(title, "lead"), 1)
        self.edit_button = QtWidgets.QPushButton("Edit")
        role(self.edit_button, "quiet")
        self.edit_button.clicked.connect(self.start_editing)
        top.addWidget(self.edit_button)
        layout.addLayout(top)
        self.items_label = label("")
        self.items_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.items_label)
        self.empty_label = label(empty_text, "muted")
        layout.addWidget(self.empty_label)
        self.suggest_button = QtWidgets.QPushButton("Use these suggestions")
        self.suggest_button.clicked.connect(lambda: self.saved.emit(list(self._suggestions)))
        layout.addWidget(self.suggest_button, alignment=Qt.AlignmentFlag.AlignLeft)
        self.editor = QtWidgets.QPlainTextEdit()
        self.editor.setPlaceholderText("One per line")
        self.editor.setMinimumHeight(140)
        layout.addWidget(self.editor)
        row = QtWidgets.QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.stop_editing)
        self.save_button = QtWidgets.QPushButton("Save")
        role(self.save_button, "primary")
        self.save_button.clicked.connect(self._save)
        row.addWidget(self.cancel_button)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self._edit_row = (self.editor, self.cancel_button, self.save_button)
        self.set_items([])

    def set_items(self, items: Sequence[str]) -> None:
        """Show ``items`` (and leave editing)."""
        self._items = list(items)
        self.items_label.setText("\n".join(f"•  {item}" for item in self._items))
        self.stop_editing()

    def items(self) -> list[str]:
        """The items shown."""
        return list(self._items)

    def show_error(self, text: str) -> None:
        """Show why the list cannot be read or saved."""
        self.items_label.setText(text)
        self.items_label.setVisible(True)

    def start_editing(self) -> None:
        """Swap the list for an editor, one item per line."""
        self.editor.setPlainText("\n".join(self._items))
        for editing in self._edit_row:
            editing.setVisible(True)
        for showing in (self.items_label, self.empty_label, self.suggest_button, self.edit_button):
            showing.setVisible(False)
        self.editor.setFocus()

    def stop_editing(self) -> None:
        """Back to the list."""
        for widget in self._edit_row:
            widget.setVisible(False)
        self.edit_button.setVisible(True)
        self.items_label.setVisible(bool(self._items))
        self.empty_label.setVisible(not self._items)
        self.suggest_button.setVisible(not self._items and bool(self._suggestions))

    def _save(self) -> None:
        lines = [line.strip() for line in self.editor.toPlainText().splitlines()]
        self.saved.emit([line for line in lines if line])


class RideItOutPage(QtWidgets.QWidget):
    """The urge timer and the breathing pacer."""

    restart_requested = Signal()
    minutes_changed = Signal(int)
    pattern_changed = Signal(str)

    def __init__(self, minutes: int, pattern_key: str) -> None:
        super().__init__()
        page, layout = _page(
            "Ride it out",
            "Urges rise and fall like waves, usually within 15 to 20 minutes. Breathe with the "
            "circle while the timer runs.",
        )
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(page)
        body = QtWidgets.QHBoxLayout()
        self.pacer = BreathingPacer()
        body.addWidget(self.pacer, 3)
        side = QtWidgets.QVBoxLayout()
        side.addStretch(1)
        self.timer_label = label(format_remaining(minutes * 60), "timer", wrap=False)
        self.timer_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        side.addWidget(self.timer_label)
        self.timer_caption = label(f"left of {minutes} minutes", "muted")
        self.timer_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        side.addWidget(self.timer_caption)
        length = QtWidgets.QHBoxLayout()
        length.addWidget(label("Timer length", wrap=False))
        self.minutes_spin = QtWidgets.QSpinBox()
        self.minutes_spin.setRange(MIN_URGE_MINUTES, MAX_URGE_MINUTES)
        self.minutes_spin.setSuffix(" min")
        self.minutes_spin.setValue(minutes)
        self.minutes_spin.valueChanged.connect(self.minutes_changed)
        length.addWidget(self.minutes_spin)
        side.addLayout(length)
        self.restart_button = QtWidgets.QPushButton("Start the timer again")
        self.restart_button.clicked.connect(self.restart_requested)
        side.addWidget(self.restart_button)
        side.addSpacing(12)
        self.pattern_buttons: dict[str, QtWidgets.QRadioButton] = {}
        group = QtWidgets.QButtonGroup(self)
        for pattern in BREATH_PATTERNS:
            button = QtWidgets.QRadioButton(pattern.label)
            button.setChecked(pattern.key == pattern_key)
            button.toggled.connect(
                lambda on, key=pattern.key: self.pattern_changed.emit(key) if on else None
            )
            group.addButton(button)
            side.addWidget(button)
            self.pattern_buttons[pattern.key] = button
        side.addStretch(1)
        body.addLayout(side, 2)
        layout.addLayout(body, 1)


class WritePage(QtWidgets.QWidget):
    """Unsent messages: write, keep or seal, read (when open), delete."""

    def __init__(self, journal: Journal) -> None:
        super().__init__()
        self.journal = journal
        page, layout = _page(
            "Write it here instead",
            "Write everything you want to say to them. Nothing here is ever sent — it stays on "
            "this computer, encrypted.",
        )
        self.editor = QtWidgets.QPlainTextEdit()
        self.editor.setPlaceholderText("Dear …")
        self.editor.setMinimumHeight(150)
        layout.addWidget(self.editor)
        row = QtWidgets.QHBoxLayout()
        self.keep_button = QtWidgets.QPushButton("Keep it here")
        role(self.keep_button, "primary")
        self.seal_day_button = QtWidgets.QPushButton("Seal it for 24 hours")
        self.seal_month_button = QtWidgets.QPushButton("Seal it for 30 days")
        self.keep_button.clicked.connect(lambda: self.save(None))
        self.seal_day_button.clicked.connect(lambda: self.save(SEAL_24_HOURS))
        self.seal_month_button.clicked.connect(lambda: self.save(SEAL_30_DAYS))
        row.addWidget(self.keep_button)
        row.addWidget(self.seal_day_button)
        row.addWidget(self.seal_month_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status_label = label("", "muted")
        layout.addWidget(self.status_label)
        layout.addWidget(label("What you wrote before", "lead"))
        self.list_holder = QtWidgets.QWidget()
        self.list_layout = QtWidgets.QVBoxLayout(self.list_holder)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.list_layout.setSpacing(8)
        layout.addWidget(self.list_holder)
        layout.addStretch(1)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(_scrolling(page))
        self.cards: list[tuple[UnsentMessage, QtWidgets.QFrame]] = []

    def save(self, seal_for: timedelta | None) -> None:
        """Keep the draft, sealed for ``seal_for`` or not at all."""
        try:
            message = self.journal.add_unsent(self.editor.toPlainText(), seal_for)
        except BadInput as err:
            self.status_label.setText(str(err).capitalize())
            return
        except FREE_TEXT_ERRORS as err:
            self.status_label.setText(f"It could not be saved: {err}")
            return
        self.editor.clear()
        if message.sealed_until is None:
            self.status_label.setText("Kept. It stays here and is never sent.")
        else:
            when = _local(message.sealed_until, self.journal)
            self.status_label.setText(f"Sealed until {when}. You can read it again then.")
        self.reload()

    def reload(self) -> None:
        """Show the kept messages, newest first (sealed ones without their text)."""
        while self.list_layout.count():
            item = self.list_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.cards = []
        try:
            messages = self.journal.unsent_messages()[:MAX_SHOWN_MESSAGES]
        except FREE_TEXT_ERRORS as err:
            self.list_layout.addWidget(label(f"Your messages cannot be opened now: {err}"))
            return
        if not messages:
            self.list_layout.addWidget(label("Nothing yet.", "muted"))
        for message in messages:
            frame = self._card(message)
            self.list_layout.addWidget(frame)
            self.cards.append((message, frame))

    def _card(self, message: UnsentMessage) -> QtWidgets.QFrame:
        frame, layout = card()
        top = QtWidgets.QHBoxLayout()
        top.addWidget(label(f"Written {_local(message.created_at, self.journal)}", "muted"), 1)
        delete = QtWidgets.QPushButton("Delete")
        role(delete, "quiet")
        delete.setObjectName("delete")
        delete.clicked.connect(lambda: self.delete(message))
        top.addWidget(delete)
        layout.addLayout(top)
        if message.text is None:
            assert message.sealed_until is not None
            text = label(f"Sealed until {_local(message.sealed_until, self.journal)}", "muted")
        else:
            text = label(message.text)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setObjectName("body")
        layout.addWidget(text)
        return frame

    def delete(self, message: UnsentMessage) -> None:
        """Delete a message for good, after asking."""
        answer = QtWidgets.QMessageBox.question(
            self,
            "Delete this message?",
            "Delete this message for good? It cannot be brought back.",
            QtWidgets.QMessageBox.StandardButton.Yes | QtWidgets.QMessageBox.StandardButton.No,
            QtWidgets.QMessageBox.StandardButton.No,
        )
        if answer != QtWidgets.QMessageBox.StandardButton.Yes:
            return
        self.journal.delete_unsent(message.uid)
        self.status_label.setText("Deleted.")
        self.reload()


class PeoplePage(QtWidgets.QWidget):
    """Support people with one click each: copy the number, or open the link."""

    edit_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        page, layout = _page(
            "Reach out to someone",
            "Call or write to someone who is on your side. You don’t have to explain "
            "everything — “I’m having a hard moment” is enough.",
        )
        self.list_layout = QtWidgets.QVBoxLayout()
        self.list_layout.setSpacing(8)
        layout.addLayout(self.list_layout)
        self.status_label = label("", "muted")
        layout.addWidget(self.status_label)
        edit = QtWidgets.QPushButton("Edit my people…")
        edit.clicked.connect(self.edit_requested)
        layout.addWidget(edit, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        layout.addWidget(label("If you are not safe, call your local emergency number.", "muted"))
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(_scrolling(page))
        self.action_buttons: list[QtWidgets.QPushButton] = []

    def show_people(self, people: Sequence[SupportPerson]) -> None:
        """One card per person."""
        while self.list_layout.count():
            item = self.list_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.action_buttons = []
        if not people:
            self.list_layout.addWidget(
                label("You have not added anyone yet. Who could you call on a night like this?",
                      "muted")
            )
        for person in people:
            frame = QtWidgets.QFrame()
            role(frame, "card")
            row = QtWidgets.QHBoxLayout(frame)
            row.setContentsMargins(16, 10, 16, 10)
            names = QtWidgets.QVBoxLayout()
            names.addWidget(label(person.name, "lead"))
            if person.reach:
                names.addWidget(label(person.reach, "muted"))
            row.addLayout(names, 1)
            if person.reach:
                button = self._action(person.reach)
                row.addWidget(button)
                self.action_buttons.append(button)
            self.list_layout.addWidget(frame)

    def show_error(self, text: str) -> None:
        """Say why the people cannot be shown."""
        self.status_label.setText(text)

    def _action(self, reach_text: str) -> QtWidgets.QPushButton:
        reach = classify_reach(reach_text)
        caption = {
            "phone": "Copy number",
            "link": "Open link",
            "email": "Write an e-mail",
            "text": "Copy",
        }[reach.kind]
        button = QtWidgets.QPushButton(caption)
        role(button, "primary" if reach.kind == "phone" else "quiet")

        def act() -> None:
            if reach.opens:
                QtGui.QDesktopServices.openUrl(QtCore.QUrl(reach.value))
                self.status_label.setText("Opened in your browser or mail app.")
            else:
                clipboard = QtGui.QGuiApplication.clipboard()
                clipboard.setText(reach.value)
                self.status_label.setText(f"Copied {reach.value} — paste it into your phone.")

        button.clicked.connect(act)
        return button


class IntentionPage(QtWidgets.QWidget):
    """"What do you want this message to do?" and an honest reflection for each answer."""

    route_requested = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        page, layout = _page(
            "What do you want this message to do?",
            "Take a moment to be honest with yourself. There is no wrong answer.",
        )
        self._route = RIDE
        self.buttons: dict[str, QtWidgets.QRadioButton] = {}
        group = QtWidgets.QButtonGroup(self)
        for intention in INTENTIONS:
            button = QtWidgets.QRadioButton(intention.label)
            button.toggled.connect(
                lambda on, key=intention.key: self.choose(key) if on else None
            )
            group.addButton(button)
            layout.addWidget(button)
            self.buttons[intention.key] = button
        self.reflection_card, card_layout = card()
        self.reflection_label = label("", "lead")
        card_layout.addWidget(self.reflection_label)
        self.route_button = QtWidgets.QPushButton("")
        role(self.route_button, "primary")
        self.route_button.clicked.connect(lambda: self.route_requested.emit(self._route))
        card_layout.addWidget(self.route_button, alignment=Qt.AlignmentFlag.AlignLeft)
        self.reflection_card.setVisible(False)
        layout.addWidget(self.reflection_card)
        layout.addStretch(1)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(_scrolling(page))

    def choose(self, key: str) -> None:
        """Show the reflection an answer leads to."""
        intention = next(i for i in INTENTIONS if i.key == key)
        self.reflection_label.setText(intention.reflection)
        self.route_button.setText(intention.route_label)
        self._route = ROUTES[intention.route]
        self.reflection_card.setVisible(True)


class PracticalPage(QtWidgets.QWidget):
    """A brief, impersonal template for a practical matter, logged as ``logistics``."""

    log_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        page, layout = _page(
            "A practical matter",
            "Children, a lease, belongings: some contact is necessary. It does not reset your "
            "count.",
        )
        layout.addWidget(label(LOGISTICS_ADVICE, "muted"))
        self.template_combo = QtWidgets.QComboBox()
        for template in LOGISTICS_TEMPLATES:
            self.template_combo.addItem(template.title, template.key)
        self.template_combo.currentIndexChanged.connect(self._use_template)
        layout.addWidget(self.template_combo)
        self.editor = QtWidgets.QPlainTextEdit()
        self.editor.setMinimumHeight(110)
        self.editor.textChanged.connect(self._update_hints)
        layout.addWidget(self.editor)
        self.hints_label = label("", "muted")
        layout.addWidget(self.hints_label)
        row = QtWidgets.QHBoxLayout()
        self.copy_button = QtWidgets.QPushButton("Copy the text")
        self.copy_button.clicked.connect(self.copy)
        self.log_button = QtWidgets.QPushButton("Log it as practical contact")
        role(self.log_button, "primary")
        self.log_button.clicked.connect(
            lambda: self.log_requested.emit(self.editor.toPlainText().strip())
        )
        row.addWidget(self.copy_button)
        row.addWidget(self.log_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status_label = label(
            "No Contact never sends anything: copy the text and send it the way you agreed "
            "(for example a co-parenting app).",
            "muted",
        )
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(_scrolling(page))
        self._use_template(0)

    def _use_template(self, index: int) -> None:
        self.editor.setPlainText(LOGISTICS_TEMPLATES[max(0, index)].text)

    def _update_hints(self) -> None:
        hints = logistics_hints(self.editor.toPlainText())
        self.hints_label.setText("\n".join(hints) if hints else "Brief and factual. Good.")

    def copy(self) -> None:
        """Copy the message, to send it through the agreed channel."""
        QtGui.QGuiApplication.clipboard().setText(self.editor.toPlainText().strip())
        self.status_label.setText("Copied. Send it, then log it here.")


class EmergencyWindow(QtWidgets.QWidget):
    """The calm full flow. ``changed`` fires after anything was logged (the tray redraws)."""

    changed = Signal()

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
        self.resize(1000, 700)
        self.setMinimumSize(780, 560)
        minutes = self._setting_int(URGE_MINUTES_SETTING, DEFAULT_URGE_MINUTES)
        self.urge_timer = UrgeTimer(minutes)
        pattern_key = str(self.store.setting(BREATHING_SETTING, "box"))
        try:
            self.pattern = pattern_by_key(pattern_key)
        except BadInput:
            self.pattern = BREATH_PATTERNS[0]
        self._pacer_origin = self.clock.monotonic()
        self._time_up_shown = False
        self._tick = QtCore.QTimer(self)
        self._tick.timeout.connect(self.tick)
        self._build()

    # -- building ---------------------------------------------------------------------------

    def _setting_int(self, key: str, default: int) -> int:
        value = self.store.setting(key, default)
        return value if isinstance(value, int) and MIN_URGE_MINUTES <= value <= 60 else default

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
            self.ride, self.write, self.remember, self.people, self.instead, self.intention,
            self.practical,
        ):
            self.stack.addWidget(page)
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
        footer.addWidget(self.hoover_button)
        footer.addWidget(self.contacted_button)
        footer.addStretch(1)
        footer.addWidget(self.rode_button)
        root.addLayout(footer)

    def _remember_page(self) -> QtWidgets.QWidget:
        page, layout = _page(
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
        return _scrolling(page)

    def _instead_page(self) -> QtWidgets.QWidget:
        page, layout = _page(
            "Do something else",
            "Pick one thing and do it now. The urge will not follow you for long.",
        )
        self.instead_list = EditableList(
            "Things I can do instead", "Your list is empty. Here are some ideas:\n"
            + "\n".join(f"•  {item}" for item in DEFAULT_INSTEAD),
            suggestions=DEFAULT_INSTEAD,
        )
        self.instead_list.saved.connect(lambda items: self._save_list("instead", items))
        layout.addWidget(self.instead_list)
        layout.addStretch(1)
        return _scrolling(page)

    # -- showing ----------------------------------------------------------------------------

    def open(self) -> None:
        """Show the window in front, on the first step, with the timer running."""
        self.steps.setCurrentRow(RIDE)
        self.banner.setVisible(False)
        calm_style.bring_to_front(self)

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
        self.stack.setCurrentIndex(max(0, row))
        self._schedule_ticks()

    def go_to(self, step: int) -> None:
        """Show a step."""
        self.steps.setCurrentRow(step)

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

    def refresh(self) -> None:
        """Read the figures and the person's lists from the store."""
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
            "reasons": self.reasons_list, "remember": self.remember_list,
            "instead": self.instead_list,
        }[name]
        try:
            self.store.set_list_items(name, items)
        except FREE_TEXT_ERRORS as err:
            widget.show_error(f"It could not be saved: {err}")
            return
        self._load_list(widget, name)
        self.changed.emit()

    def show_banner(self, text: str) -> None:
        """A calm message above the buttons."""
        self.banner.setText(text)
        self.banner.setVisible(True)

    # -- the timer and the pacer ------------------------------------------------------------

    def restart_timer(self) -> None:
        """Start the urge timer from the full length."""
        self.urge_timer.start(self.clock.monotonic())
        self._time_up_shown = False
        self.banner.setVisible(False)
        self.tick()

    def set_minutes(self, minutes: int) -> None:
        """Change the timer's length (kept for next time)."""
        self.urge_timer.set_minutes(minutes)
        self._time_up_shown = False
        self.store.set_setting(URGE_MINUTES_SETTING, minutes)
        self.tick()

    def set_pattern(self, key: str) -> None:
        """Switch the breathing pattern (kept for next time); it begins with a breath in."""
        self.pattern = pattern_by_key(key)
        self._pacer_origin = self.clock.monotonic()
        self.store.set_setting(BREATHING_SETTING, key)
        self.tick()

    # -- outcomes ---------------------------------------------------------------------------

    def rode_it_out(self) -> None:
        """Log an ``urge`` ridden out and say a kind word."""
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
        dialog = SlipDialog(self.tracker.summary(), self)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        self._log(EventKind.CONTACT, dialog.note())
        summary = self.tracker.summary()
        self.show_banner(
            SLIP_AFTER.format(
                longest=summary.longest_streak_days, total=summary.total_no_contact_days
            )
        )
        self.refresh()
        self.changed.emit()

    def they_contacted_me(self) -> None:
        """Log a ``hoover`` with an optional note, and remind of the boundary."""
        dialog = HooverDialog(self)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        self._log(EventKind.HOOVER, dialog.note())
        self.show_banner(HOOVER_LOGGED)
        self.refresh()
        self.changed.emit()

    def log_logistics(self, text: str) -> None:
        """Log necessary practical contact; the count goes on."""
        self._log(EventKind.LOGISTICS, text or None)
        summary = self.tracker.summary()
        days = f" Day {summary.streak_days} goes on." if summary.started else ""
        self.show_banner(
            "Logged as practical contact. It does not reset your count." + days
            + " Keep any reply just as brief — you don’t have to answer anything else."
        )
        self.refresh()
        self.changed.emit()

    def _log(self, kind: EventKind, note: str | None) -> None:
        try:
            self.tracker.log(kind, note=note)
        except FREE_TEXT_ERRORS as err:
            # The moment matters more than the note: log it without, and say so.
            self.tracker.log(kind)
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
