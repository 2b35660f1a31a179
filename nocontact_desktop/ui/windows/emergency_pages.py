"""The steps of the "I want to text them" window (ui/emergency_window.py), one widget each.

Each page only shows and collects; the window and core do the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.journal.entries import Journal, UnsentMessage
from nocontact_desktop.core.journal.reach import classify_reach
from nocontact_desktop.core.journal.urge import (
    BREATH_PATTERNS,
    INTENTIONS,
    LOGISTICS_ADVICE,
    LOGISTICS_TEMPLATES,
    MAX_URGE_MINUTES,
    MIN_URGE_MINUTES,
    SEAL_24_HOURS,
    SEAL_30_DAYS,
    format_remaining,
    logistics_hints,
)
from nocontact_desktop.core.storage.sealing import SealError
from nocontact_desktop.core.storage.store import SupportPerson
from nocontact_desktop.core.storage.vault import KeyUnavailable
from nocontact_desktop.ui.calm_style import card, label, role, scrolling
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets, Signal
from nocontact_desktop.ui.widgets.breathing_pacer import BreathingPacer

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

MAX_SHOWN_MESSAGES: Final = 100
FREE_TEXT_ERRORS = (KeyUnavailable, SealError)  # the key is unavailable, or a blob is damaged


def local_time(at: datetime, journal: Journal) -> str:
    """An instant as the person reads it, in their zone."""
    return at.astimezone(journal.clock.zone()).strftime("%a %d %b %Y, %H:%M")



def page_with_title(
    title: str, lead: str | None = None
) -> tuple[QtWidgets.QWidget, QtWidgets.QVBoxLayout]:
    """A page with a heading and, if given, a lead paragraph."""
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
        self.editing = False
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
        """Show ``items``. An edit in progress is left alone: a refresh (the tray redraws
        after any write) must never throw away what the person is typing."""
        self._items = list(items)
        self.items_label.setText("\n".join(f"•  {item}" for item in self._items))
        if not self.editing:
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
        self.editing = True
        self.editor.setPlainText("\n".join(self._items))
        for editing in self._edit_row:
            editing.setVisible(True)
        for showing in (self.items_label, self.empty_label, self.suggest_button, self.edit_button):
            showing.setVisible(False)
        self.editor.setFocus()

    def stop_editing(self) -> None:
        """Back to the list."""
        self.editing = False
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
        page, layout = page_with_title(
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
        page, layout = page_with_title(
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
        outer.addWidget(scrolling(page))
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
            when = local_time(message.sealed_until, self.journal)
            self.status_label.setText(f"Sealed until {when}. You can read it again then.")
        self.reload()

    def clear_shown(self) -> None:
        """Take the kept messages off the page (the app locked); the draft stays."""
        while self.list_layout.count():
            item = self.list_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.cards = []

    def reload(self) -> None:
        """Show the kept messages, newest first (sealed ones without their text)."""
        self.clear_shown()
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
        top.addWidget(label(f"Written {local_time(message.created_at, self.journal)}", "muted"), 1)
        delete = QtWidgets.QPushButton("Delete")
        role(delete, "quiet")
        delete.setObjectName("delete")
        delete.clicked.connect(lambda: self.delete(message))
        top.addWidget(delete)
        layout.addLayout(top)
        if message.text is None:
            assert message.sealed_until is not None
            text = label(f"Sealed until {local_time(message.sealed_until, self.journal)}", "muted")
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
        page, layout = page_with_title(
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
        outer.addWidget(scrolling(page))
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
        page, layout = page_with_title(
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
        outer.addWidget(scrolling(page))

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
        page, layout = page_with_title(
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
        outer.addWidget(scrolling(page))
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
