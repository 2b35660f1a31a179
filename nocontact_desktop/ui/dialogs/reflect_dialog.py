"""The delay-and-reflect dialog (DESIGN §5), shown before a blocked site or a gated app opens.

"Close — I'm staying strong" is the largest button and works at once. "Open anyway" unlocks
after a countdown that runs only while this dialog is the active window, then asks for how
long (5/15/30 minutes). The dialog only reports the choice; the controller acts on it.
"""

from __future__ import annotations

from nocontact_desktop.core.reflect.attempts import Attempt
from nocontact_desktop.core.reflect.coalescer import UNLISTED_SITE_KEY
from nocontact_desktop.core.settings import setting_named
from nocontact_desktop.core.streak.count import StreakSummary
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets, Signal

PASS_CHOICES = (5, 15, 30)
_COUNTDOWN = setting_named("countdown_seconds")
MIN_COUNTDOWN = int(_COUNTDOWN.minimum or 0)
MAX_COUNTDOWN = int(_COUNTDOWN.maximum or 0)
DEFAULT_COUNTDOWN = int(_COUNTDOWN.default or 0)
KEY_GUARD_MS = 500  # keys pressed this soon after the dialog appears are ignored
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
        self._guarding_keys = False
        self.setWindowTitle("Take a breath — No Contact")
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        calm_style.calm(self)
        self.setMinimumSize(620, 520)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(36, 28, 36, 28)
        layout.setSpacing(14)
        what = calm_style.label(f"{subject.name} — {subject.detail}", "heading")
        what.setObjectName("what")
        layout.addWidget(what)

        if summary.started:
            if summary.streak_days == 0:
                count = "Day 0 — a new beginning"
            else:
                count = f"You are on day {summary.streak_days} of no contact"
            layout.addWidget(
                calm_style.label(
                    f"{count} · longest streak {summary.longest_streak_days} days", "lead"
                )
            )
        if reason:
            frame, inner = calm_style.card()
            inner.addWidget(calm_style.label("You told yourself", "muted"))
            reason_label = calm_style.label(f"“{reason}”", "lead")
            reason_label.setObjectName("reason")
            inner.addWidget(reason_label)
            layout.addWidget(frame)

        layout.addWidget(calm_style.label(INTENTION_QUESTION))
        self.intention_edit = QtWidgets.QLineEdit()
        self.intention_edit.setPlaceholderText("Only for you; it helps to name it.")
        layout.addWidget(self.intention_edit)
        layout.addStretch(1)

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
        self.close_button = self._dismiss_button("Close — I'm staying strong")
        self.open_button = QtWidgets.QPushButton()
        calm_style.role(self.open_button, "quiet")
        self.open_button.setAutoDefault(False)
        self.open_button.clicked.connect(self._open_clicked)
        if self.subject.key == UNLISTED_SITE_KEY:
            self.open_button.hide()  # which listed site is unknown (ECH): nothing to open
        self.paused_label = calm_style.label(
            "Paused while you are in another window — the wait goes on when you come back.",
            "muted",
        )
        self.paused_label.setVisible(False)
        row.addWidget(self.close_button)
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.paused_label, 1)
        bottom.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignRight)
        row.addLayout(bottom)
        return page

    def _dismiss_button(self, text: str) -> QtWidgets.QPushButton:
        # The way out is always the largest button and the default one (DESIGN §5).
        button = QtWidgets.QPushButton(text)
        calm_style.role(button, "primary")
        button.setMinimumHeight(64)
        button.setDefault(True)
        button.setAutoDefault(True)
        button.clicked.connect(self.dismiss)
        return button

    def _open_clicked(self) -> None:
        # A site is opened for a chosen time (a pass); an app is simply let run.
        if self.remaining > 0:
            return
        if self.subject.kind in ("app", "change"):
            self._decide("opened", None)
        else:
            self.pages.setCurrentIndex(1)
            self.back_button.setFocus()

    def _pass_page(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        self.back_button = self._dismiss_button("Close — I'm staying strong")
        layout.addWidget(self.back_button)
        layout.addWidget(
            calm_style.label("Or open it for a short while; it is blocked again after:", "muted")
        )
        row = QtWidgets.QHBoxLayout()
        self.pass_buttons: dict[int, QtWidgets.QPushButton] = {}
        for minutes in self.pass_choices:
            button = QtWidgets.QPushButton(f"{minutes} minutes")
            calm_style.role(button, "quiet")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _c=False, m=minutes: self.open_anyway(m))
            row.addWidget(button)
            self.pass_buttons[minutes] = button
        row.addStretch(1)
        layout.addLayout(row)
        return page

    # -- countdown --------------------------------------------------------------------------

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        """Start the countdown timer while shown (no timer runs for a hidden dialog)."""
        super().showEvent(event)
        self._timer.start()
        self.close_button.setFocus()
        self._center_on_screen()
        # A key already held down (Return typed into the browser) must not decide unseen.
        app = QtWidgets.QApplication.instance()
        if app is not None and not self._guarding_keys:
            self._guarding_keys = True
            app.installEventFilter(self)
            QtCore.QTimer.singleShot(KEY_GUARD_MS, self._end_key_guard)

    def _end_key_guard(self) -> None:
        app = QtWidgets.QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._guarding_keys = False

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """During the first half second, key presses meant for this dialog are dropped."""
        keys = (
            QtCore.QEvent.Type.KeyPress,
            QtCore.QEvent.Type.KeyRelease,
            QtCore.QEvent.Type.ShortcutOverride,
        )
        if (
            self._guarding_keys
            and event.type() in keys
            and isinstance(watched, QtWidgets.QWidget)
            and (watched is self or self.isAncestorOf(watched))
        ):
            return True
        return super().eventFilter(watched, event)

    def _center_on_screen(self) -> None:
        screen = self.screen() or QtGui.QGuiApplication.primaryScreen()
        if screen is not None:
            frame = self.frameGeometry()
            frame.moveCenter(screen.availableGeometry().center())
            self.move(frame.topLeft())

    def hideEvent(self, event: QtGui.QHideEvent) -> None:
        """Stop the countdown timer."""
        self._timer.stop()
        if self._guarding_keys:
            self._end_key_guard()
        super().hideEvent(event)

    def tick(self) -> None:
        """One second passed: count down only while this dialog is the active window."""
        active = self.isActiveWindow()
        self.paused_label.setVisible(self.remaining > 0 and not active)
        if self.remaining > 0 and active:
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


class Acknowledgement(QtWidgets.QDialog):
    """"You turned away…": shown after a dismissal, closes by itself after a few seconds."""

    def __init__(self, text: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Well done")
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        calm_style.calm(self)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        self.text_label = calm_style.label(text, "heading")
        layout.addWidget(self.text_label)
        layout.addWidget(calm_style.label("This closes by itself.", "muted"))
        self.setMinimumWidth(460)
        QtCore.QTimer.singleShot(ACK_SECONDS * 1000, self.close)


ACK_SECONDS = 4
