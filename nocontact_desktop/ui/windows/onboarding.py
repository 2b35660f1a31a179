"""First start: when did no contact begin, why, and who to call instead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.privacy.discretion import DEFAULT_FACE, FACES, QUICK_EXIT_SHORTCUT
from nocontact_desktop.core.settings import setting_named
from nocontact_desktop.core.storage.store import SupportPerson
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import QtWidgets
from nocontact_desktop.ui.widgets.moment_edit import MomentEdit

INTRO = (
    "This app keeps a quiet count of the days you keep no contact, and puts a little friction "
    "between an urge and the act. Everything stays on this computer."
)


@dataclass(frozen=True)
class OnboardingAnswers:
    """What the person told us on the first start."""

    started_at: datetime
    reasons: list[str]
    support_people: list[SupportPerson]
    start_at_login: bool
    commitment_delay: str = "none"  # a choice of the commitment_delay setting
    discreet: bool = False  # "Could the other person see this computer?" — yes
    face: str = DEFAULT_FACE


class OnboardingDialog(QtWidgets.QDialog):
    """A single calm page; everything except the start moment is optional."""

    def __init__(self, clock: Clock, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self.setWindowTitle("Welcome")
        calm_style.calm(self)
        self.setMinimumWidth(600)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 16)
        body = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(body)
        layout.setContentsMargins(28, 22, 28, 8)
        layout.setSpacing(10)
        layout.addWidget(calm_style.label("Welcome", "heading"))
        layout.addWidget(calm_style.label(INTRO, "lead"))

        form = QtWidgets.QFormLayout()
        # Typed text is read as typed (never rewritten); the line below says what it means.
        self.start_edit = MomentEdit(clock)
        form.addRow("No contact began:", self.start_edit)
        layout.addLayout(form)

        layout.addWidget(QtWidgets.QLabel("Your reasons for keeping it (one per line):"))
        self.reasons_edit = QtWidgets.QPlainTextEdit()
        self.reasons_edit.setPlaceholderText(
            "I deserve to feel safe.\nI want my peace back.\nI will not be pulled back in."
        )
        self.reasons_edit.setFixedHeight(90)
        layout.addWidget(self.reasons_edit)

        layout.addWidget(QtWidgets.QLabel("Someone to call instead (optional):"))
        self.people: list[tuple[QtWidgets.QLineEdit, QtWidgets.QLineEdit]] = []
        for _ in range(2):
            row = QtWidgets.QHBoxLayout()
            name = QtWidgets.QLineEdit()
            name.setPlaceholderText("Name")
            reach = QtWidgets.QLineEdit()
            reach.setPlaceholderText("Phone number or link")
            row.addWidget(name)
            row.addWidget(reach)
            layout.addLayout(row)
            self.people.append((name, reach))

        # The commitment (DESIGN §4a): how long anything that loosens protection waits.
        delay = setting_named("commitment_delay")
        layout.addWidget(QtWidgets.QLabel("When you want to unblock something later, wait:"))
        self.commitment_combo = QtWidgets.QComboBox()
        for choice, label in delay.choices:
            self.commitment_combo.addItem(label, choice)
        self.commitment_combo.setCurrentIndex(self.commitment_combo.findData("24h"))
        layout.addWidget(self.commitment_combo)
        why = QtWidgets.QLabel(delay.help)
        why.setWordWrap(True)
        why.setObjectName("muted")
        layout.addWidget(why)

        # Issue 14: someone else may share or reach this computer.
        layout.addWidget(QtWidgets.QLabel("Could the other person see this computer?"))
        self.discreet_no = QtWidgets.QRadioButton("No")
        self.discreet_yes = QtWidgets.QRadioButton(
            "Yes, or I am not sure — use a neutral name and icon"
        )
        self.discreet_no.setChecked(True)
        self.face_combo = QtWidgets.QComboBox()
        for look in FACES:
            self.face_combo.addItem(f"Look like “{look.name}”", look.key)
        self.face_combo.setEnabled(False)
        self.discreet_yes.toggled.connect(self.face_combo.setEnabled)
        # One choice per line: side by side they made the window wider than itself.
        layout.addWidget(self.discreet_no)
        layout.addWidget(self.discreet_yes)
        face_row = QtWidgets.QHBoxLayout()
        face_row.setContentsMargins(24, 0, 0, 0)  # under "Yes", which it belongs to
        face_row.addWidget(self.face_combo)
        face_row.addStretch(1)
        layout.addLayout(face_row)
        quick = QtWidgets.QLabel(
            f"Anytime: press Esc three times, or {QUICK_EXIT_SHORTCUT}, and every window hides "
            "at once. You can set a PIN in Settings."
        )
        quick.setWordWrap(True)
        quick.setObjectName("muted")
        layout.addWidget(quick)

        self.login_check = QtWidgets.QCheckBox("Start No Contact when I log in")
        self.login_check.setChecked(True)
        layout.addWidget(self.login_check)

        buttons = QtWidgets.QDialogButtonBox()
        self.begin_button = buttons.addButton(
            "Begin", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        calm_style.role(self.begin_button, "primary")
        buttons.addButton("Later", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        # The questions scroll on a small screen; Begin and Later always stay in view.
        outer.addWidget(calm_style.scrolling(body), 1)
        buttons.setContentsMargins(28, 0, 28, 0)
        outer.addWidget(buttons)
        self.start_edit.changed.connect(
            lambda: self.begin_button.setEnabled(self.start_edit.value() is not None)
        )
        calm_style.fit_to_screen(self, 640, 760)

    def answers(self) -> OnboardingAnswers:
        """The answers as typed, the start clamped to now (a future start is refused)."""
        started = self.start_edit.value()
        if started is None:  # Begin is disabled then; a last guard all the same
            started = self._clock.now()
        reasons = [r.strip() for r in self.reasons_edit.toPlainText().splitlines() if r.strip()]
        people = [
            SupportPerson(n.text().strip(), r.text().strip())
            for n, r in self.people
            if n.text().strip()
        ]
        return OnboardingAnswers(
            started,
            reasons,
            people,
            self.login_check.isChecked(),
            str(self.commitment_combo.currentData()),
            self.discreet_yes.isChecked(),
            str(self.face_combo.currentData()),
        )
