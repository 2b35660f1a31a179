"""The daily check-in: how strong is the pull today (0-10), and a note if they want one."""

from __future__ import annotations

from typing import Final

from nocontact_desktop.core.journal.entries import (
    MAX_INTENSITY,
    MIN_INTENSITY,
    CheckIn,
)
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.calm_style import label, role
from nocontact_desktop.ui.qt import Qt, QtWidgets

STRONG_PULL: Final = 7  # from here on, offer the calm flow after saving

_WORDS: Final = {
    0: "no pull at all",
    1: "barely there",
    2: "faint",
    3: "faint",
    4: "noticeable",
    5: "noticeable",
    6: "strong",
    7: "strong",
    8: "very strong",
    9: "very strong",
    10: "overwhelming",
}


def pull_words(value: int) -> str:
    """A few words for a pull strength."""
    return _WORDS[value]


class CheckInDialog(QtWidgets.QDialog):
    """A small, calm question. ``wants_help`` is true when the person asked for the flow."""

    def __init__(self, existing: CheckIn | None, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        calm_style.calm(self)
        self.setWindowTitle("Check-in — No Contact")
        self.setMinimumWidth(480)
        self.wants_help = False
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 18)
        layout.setSpacing(12)
        layout.addWidget(label("How strong is the pull today?", "heading"))
        layout.addWidget(
            label("0 is no pull at all, 10 is overwhelming. Any answer is fine.", "muted")
        )
        self.value_label = label("", "lead", wrap=False)
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.value_label)
        self.slider = QtWidgets.QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(MIN_INTENSITY, MAX_INTENSITY)
        self.slider.setPageStep(1)
        self.slider.setTickInterval(1)
        self.slider.setTickPosition(QtWidgets.QSlider.TickPosition.TicksBelow)
        self.slider.setAccessibleName("Strength of the pull, 0 to 10")
        self.slider.valueChanged.connect(self._show_value)
        layout.addWidget(self.slider)
        ends = QtWidgets.QHBoxLayout()
        ends.addWidget(label("0", "muted", wrap=False))
        ends.addStretch(1)
        ends.addWidget(label("10", "muted", wrap=False))
        layout.addLayout(ends)
        layout.addWidget(label("A note for yourself (optional, kept private):"))
        self.note_edit = QtWidgets.QPlainTextEdit()
        self.note_edit.setFixedHeight(90)
        layout.addWidget(self.note_edit)
        self.strong_label = label(
            "That is a strong pull. You don’t have to sit with it alone: the calm flow is one "
            "click away.",
            "muted",
        )
        layout.addWidget(self.strong_label)
        buttons = QtWidgets.QHBoxLayout()
        self.later_button = QtWidgets.QPushButton("Not now")
        role(self.later_button, "quiet")
        self.later_button.clicked.connect(self.reject)
        self.help_button = QtWidgets.QPushButton("Save and ride it out")
        self.help_button.clicked.connect(self._save_and_help)
        self.save_button = QtWidgets.QPushButton("Save")
        role(self.save_button, "primary")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.accept)
        buttons.addWidget(self.later_button)
        buttons.addStretch(1)
        buttons.addWidget(self.help_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        if existing is not None:
            self.slider.setValue(existing.intensity)
            self.note_edit.setPlainText(existing.note or "")
        else:
            self.slider.setValue(5)
        self._show_value(self.slider.value())

    def _show_value(self, value: int) -> None:
        self.value_label.setText(f"{value} — {pull_words(value)}")
        strong = value >= STRONG_PULL
        self.strong_label.setVisible(strong)
        self.help_button.setVisible(strong)

    def _save_and_help(self) -> None:
        self.wants_help = True
        self.accept()

    def intensity(self) -> int:
        """The chosen strength."""
        return int(self.slider.value())

    def note(self) -> str | None:
        """The note, or None when left empty."""
        return self.note_edit.toPlainText().strip() or None
