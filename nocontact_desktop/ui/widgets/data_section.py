"""Settings → "Your data": export everything to one file, and import it back (DESIGN §8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from nocontact_desktop.core.errors import BadInput, KeyUnavailable
from nocontact_desktop.core.storage.export import import_data, read_export, write_export
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import QtCore, QtWidgets, Signal

EXPORT_WARNING = (
    "The export file is NOT encrypted: anyone who opens it can read your notes. Keep it "
    "somewhere only you can reach, and delete it when you no longer need it."
)


class DataSection(QtWidgets.QGroupBox):
    """Export and Import buttons; the result (or the reason it failed) is said below them."""

    imported = Signal()

    def __init__(
        self, store: Store, now: Callable[[], datetime], parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__("Your data", parent)
        self._store = store
        self._now = now
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(
            calm_style.label(
                "Everything in one file: to keep a copy, or to move to another computer."
            )
        )
        row = QtWidgets.QHBoxLayout()
        self.export_button = QtWidgets.QPushButton("Export…")
        self.export_button.clicked.connect(self.choose_export)
        self.import_button = QtWidgets.QPushButton("Import…")
        self.import_button.clicked.connect(self.choose_import)
        for button in (self.export_button, self.import_button):
            calm_style.role(button, "quiet")
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.result_label = calm_style.label("", "muted")
        layout.addWidget(self.result_label)

    def choose_export(self) -> None:
        """Ask where, warn that the file is not encrypted, then write it."""
        start = QtCore.QStandardPaths.writableLocation(
            QtCore.QStandardPaths.StandardLocation.DocumentsLocation
        )
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export everything", str(Path(start) / "my-data.json"), "JSON (*.json)"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> bool:
        """Write the export; says how many events and that the file is not encrypted."""
        try:
            count = write_export(self._store, path, self._now())
        except (OSError, BadInput, KeyUnavailable) as err:
            self.result_label.setText(f"Nothing was exported: {err}")
            return False
        self.result_label.setText(f"Exported {count} events to {path}. {EXPORT_WARNING}")
        return True

    def choose_import(self) -> None:
        """Pick an export file and merge it in."""
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Import an export file", "", "JSON (*.json)"
        )
        if path:
            self.import_from(Path(path))

    def import_from(self, path: Path) -> bool:
        """Validate the whole file first; merge it in one transaction; say what came in."""
        try:
            data = read_export(path)
            added = import_data(self._store, data, self._now())
        except (OSError, BadInput, KeyUnavailable) as err:
            self.result_label.setText(f"Nothing was imported: {err}")
            return False
        self.result_label.setText(f"Imported {added['events']} new events from {path}.")
        self.imported.emit()
        return True
