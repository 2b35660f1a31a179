"""The delay-and-reflect dialog (DESIGN §5), shown before a blocked site or a gated app opens.

"Close — I'm staying strong" is the largest button and works at once. "Open anyway" unlocks
after a countdown that runs only while this dialog is the active window, then asks for how
long (5/15/30 minutes). The dialog only reports the choice; the controller acts on it.
"""

from __future__ import annotations

from nocontact_desktop.core.reflect.attempts import Attempt
from nocontact_desktop.core.settings import setting_named
from nocontact_desktop.core.streak.count import StreakSummary
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets, Signal

PASS_CHOICES = (5, 15, 30)
_COUNTDOWN = setting_named("countdown_seconds")
MIN_COUNTDOWN = int(_COUNTDOWN.minimum or 0)
MAX_COUNTDOWN = int(_COUNTDOWN.maximum or 0)
DEFAULT_COUNTDOWN = int(_COUNTDOWN.default or 0)
INTENTION_QUESTION = "What are you hoping to find?"


def clamp_countdown(seconds: int) -> int:
    """The countdown the settings table allows (a stale stored value never breaks the dialog)."""
    return max(MIN_COUNTDOWN, min(MAX_COUNTDOWN, int(seconds)))


class ReflectDialog(QtWidgets.QDialog):
    """Emits :attr:`decided` once with ("dismissed", None) or ("opened", minutes)."""

    decided = Signal(str, object)

    def __init__(
        self,
        subject: Attempt,
        summary: StreakSummary,
        reason: str | None,
        countdown_seconds: int = DEFAULT_COUNTDOWN,
        parent: QtWidgets.QWidget | None = None,
        *,
        pass_max_minutes: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.subject = subject
        # The helper refuses longer passes (the person's commitment); offer only those it allows.
        limit = pass_max_minutes if pass_max_minutes is not None else max(PASS_CHOICES)
        self.pass_choices = tuple(m for m in PASS_CHOICES if m <= limit) or (max(1, limit),)
        self.remaining = clamp_countdown(countdown_seconds)
        self.outcome: str | None = None
        self.setWindowTitle("Take a breath — No Contact")
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setMinimumWidth(460)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setSpacing(10)
        what = QtWidgets.QLabel(f"{subject.name} — {subject.detail}")
        what.setObjectName("what")
        what.setTextFormat(Qt.TextFormat.PlainText)
        what.setWordWrap(True)
        font = QtGui.QFont()
        font.setPixelSize(20)
        font.setBold(True)
        what.setFont(font)
        layout.addWidget(what)

        if summary.started:
            streak = QtWidgets.QLabel(
                f"You are on day {summary.streak_days} of no contact · "
                f"longest streak {summary.longest_streak_days} days"
            )
            layout.addWidget(streak)
        if reason:
            box = QtWidgets.QGroupBox("You told yourself")
            inner = QtWidgets.QVBoxLayout(box)
            reason_label = QtWidgets.QLabel(f"“{reason}”")
            reason_label.setObjectName("reason")
            reason_label.setTextFormat(Qt.TextFormat.PlainText)
            reason_label.setWordWrap(True)
            inner.addWidget(reason_label)
            layout.addWidget(box)

        layout.addWidget(QtWidgets.QLabel(INTENTION_QUESTION))
        self.intention_edit = QtWidgets.QLineEdit()
        self.intention_edit.setPlaceholderText("Only for you; it helps to name it.")
        layout.addWidget(self.intention_edit)

        self.pages = QtWidgets.QStackedWidget()
        layout.addWidget(self.pages)
        self.pages.addWidget(self._choice_page())
        self.pages.addWidget(self._pass_page())

        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self._update_open_button()

    def _choice_page(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        row = QtWidgets.QVBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        self.close_button = QtWidgets.QPushButton("Close — I'm staying strong")
        self.close_button.setMinimumHeight(56)
        font = self.close_button.font()
        font.setPixelSize(18)
        font.setBold(True)
        self.close_button.setFont(font)
        self.close_button.setDefault(True)
        self.close_button.setAutoDefault(True)
        self.close_button.clicked.connect(self.dismiss)
        self.open_button = QtWidgets.QPushButton()
        self.open_button.setFlat(True)
        self.open_button.setAutoDefault(False)
        self.open_button.clicked.connect(self._open_clicked)
        row.addWidget(self.close_button)
        row.addWidget(self.open_button, alignment=Qt.AlignmentFlag.AlignRight)
        return page

    def _open_clicked(self) -> None:
        # A site is opened for a chosen time (a pass); an app is simply let run.
        if self.remaining > 0:
            return
        if self.subject.kind in ("app", "change"):
            self._decide("opened", None)
        else:
            self.pages.setCurrentIndex(1)

    def _pass_page(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QtWidgets.QLabel("Open it for how long? It is blocked again after."))
        row = QtWidgets.QHBoxLayout()
        self.pass_buttons: dict[int, QtWidgets.QPushButton] = {}
        for minutes in self.pass_choices:
            button = QtWidgets.QPushButton(f"{minutes} minutes")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, m=minutes: self.open_anyway(m))
            row.addWidget(button)
            self.pass_buttons[minutes] = button
        layout.addLayout(row)
        back = QtWidgets.QPushButton("Go back — I'll stay strong")
        back.setAutoDefault(False)
        back.clicked.connect(self.dismiss)
        layout.addWidget(back)
        return page

    # -- countdown --------------------------------------------------------------------------

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        """Start the countdown timer while shown (no timer runs for a hidden dialog)."""
        super().showEvent(event)
        self._timer.start()
        self.close_button.setFocus()

    def hideEvent(self, event: QtGui.QHideEvent) -> None:
        """Stop the countdown timer."""
        self._timer.stop()
        super().hideEvent(event)

    def tick(self) -> None:
        """One second passed: count down only while this dialog is the active window."""
        if self.remaining > 0 and self.isActiveWindow():
            self.remaining -= 1
            self._update_open_button()

    def _update_open_button(self) -> None:
        verb = "Ask for it anyway" if self.subject.kind == "change" else "Open anyway"
        if self.remaining > 0:
            self.open_button.setEnabled(False)
            self.open_button.setText(f"{verb} (in {self.remaining} s)")
        else:
            self.open_button.setEnabled(True)
            self.open_button.setText(f"{verb}…")
            self._timer.stop()

    # -- outcomes ---------------------------------------------------------------------------

    def intention(self) -> str | None:
        """What the person wrote under the intention question, if anything."""
        return self.intention_edit.text().strip() or None

    def dismiss(self) -> None:
        """Close — I'm staying strong: works at once."""
        self._decide("dismissed", None)

    def open_anyway(self, minutes: int) -> None:
        """Open for ``minutes`` (only after the countdown)."""
        if self.remaining > 0 or minutes not in self.pass_choices:
            return
        self._decide("opened", minutes)

    def _decide(self, outcome: str, minutes: int | None) -> None:
        if self.outcome is not None:
            return
        self.outcome = outcome
        self.decided.emit(outcome, minutes)
        self.close()

    def reject(self) -> None:
        """Escape or the window's close button count as "staying strong"."""
        if self.outcome is None:
            self._decide("dismissed", None)
        else:
            super().reject()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        """Closing the window is a dismissal, never a silent "open"."""
        if self.outcome is None:
            self.outcome = "dismissed"
            self.decided.emit("dismissed", None)
        super().closeEvent(event)
