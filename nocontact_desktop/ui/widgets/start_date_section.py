"""Settings → "Your count": when no contact began, and a way to correct it."""

from __future__ import annotations

from nocontact_desktop.core.streak.tracker import Tracker
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import QtWidgets, Signal
from nocontact_desktop.ui.widgets.moment_edit import MomentEdit


class CorrectStartDialog(QtWidgets.QDialog):
    """Type when no contact really began; the count is recomputed from it."""

    def __init__(self, tracker: Tracker, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("When did no contact begin?")
        calm_style.calm(self)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(
            calm_style.label(
                "Correct the moment your no contact began. Days you logged since stay in "
                "your history."
            )
        )
        summary = tracker.summary()
        self.when_edit = MomentEdit(tracker.clock, summary.started_at)
        layout.addWidget(self.when_edit)
        buttons = QtWidgets.QDialogButtonBox()
        self.save_button = buttons.addButton(
            "Save", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.addButton("Cancel", QtWidgets.QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.when_edit.changed.connect(
            lambda: self.save_button.setEnabled(self.when_edit.value() is not None)
        )


class StartDateSection(QtWidgets.QGroupBox):
    """Shows the start of the count; "Correct…" restarts it at the moment typed."""

    corrected = Signal()

    def __init__(self, tracker: Tracker, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("Your count", parent)
        self._tracker = tracker
        row = QtWidgets.QHBoxLayout(self)
        self.started_label = calm_style.label("")
        row.addWidget(self.started_label, 1)
        self.correct_button = QtWidgets.QPushButton("Correct the start…")
        calm_style.role(self.correct_button, "quiet")
        self.correct_button.clicked.connect(self.correct)
        row.addWidget(self.correct_button)
        self.refresh()

    def refresh(self) -> None:
        """Show the current start."""
        summary = self._tracker.summary()
        if not summary.started or summary.started_at is None:
            self.started_label.setText("The count has not started yet.")
            return
        local = summary.started_at.astimezone(self._tracker.clock.zone())
        self.started_label.setText(f"No contact began {local.strftime('%A %-d %B %Y, %H:%M')}.")

    def correct(self) -> None:
        """Ask for the real start and restart the count there."""
        dialog = CorrectStartDialog(self._tracker, self)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        at = dialog.when_edit.value()
        if at is None:
            return
        self._tracker.start(at)
        self.refresh()
        self.corrected.emit()
