""" "Other app…": the apps installed on this computer by name and icon, or any program file."""

from __future__ import annotations

from collections.abc import Sequence

from nocontact_desktop.core.app_gate.rules import InstalledApp
from nocontact_desktop.ui import calm_style
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets


def app_icon_for(icon: str, *fallback_names: str, label: str = "") -> QtGui.QIcon:
    """The app's icon from the desktop theme or a file, else its initial on a calm tile."""
    if icon.startswith("/"):
        from_file = QtGui.QIcon(icon)
        if not from_file.isNull():
            return from_file
    for name in (icon, *fallback_names):
        if name and QtGui.QIcon.hasThemeIcon(name):
            return QtGui.QIcon.fromTheme(name)
    return initial_icon(label or next((n for n in fallback_names if n), "?"))


def initial_icon(name: str, size: int = 64) -> QtGui.QIcon:
    """A rounded tile with the name's first letter, in the calm palette."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(calm_style.color(calm_style.GREEN_SOFT))
    painter.drawRoundedRect(QtCore.QRectF(2, 2, size - 4, size - 4), size / 5, size / 5)
    font = QtGui.QFont()
    font.setPixelSize(int(size * 0.5))
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(calm_style.color(calm_style.GREEN))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, (name.strip()[:1] or "?").upper())
    painter.end()
    return QtGui.QIcon(pixmap)


class AppChooser(QtWidgets.QDialog):
    """Pick an installed app (searchable list), or a program file as a last resort."""

    def __init__(
        self, apps: Sequence[InstalledApp], parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose an app")
        calm_style.calm(self)
        self.chosen: str | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(calm_style.label("Which app should wait for the reflect moment?", "lead"))
        self.search = QtWidgets.QLineEdit()
        self.search.setPlaceholderText("Search")
        self.search.textChanged.connect(self._filter)
        layout.addWidget(self.search)
        self.list = QtWidgets.QListWidget()
        self.list.setIconSize(QtCore.QSize(28, 28))
        for app in apps:
            item = QtWidgets.QListWidgetItem(app_icon_for(app.icon, label=app.name), app.name)
            item.setData(Qt.ItemDataRole.UserRole, app.command)
            item.setToolTip(app.command)
            self.list.addItem(item)
        self.list.itemDoubleClicked.connect(lambda _item: self._accept_selected())
        layout.addWidget(self.list, 1)
        if not apps:
            layout.addWidget(
                calm_style.label(
                    "No installed apps could be listed here; choose the program file instead.",
                    "muted",
                )
            )
        row = QtWidgets.QHBoxLayout()
        self.file_button = QtWidgets.QPushButton("Choose a program file…")
        calm_style.role(self.file_button, "quiet")
        self.file_button.clicked.connect(self._choose_file)
        row.addWidget(self.file_button)
        row.addStretch(1)
        cancel = QtWidgets.QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.add_button = QtWidgets.QPushButton("Gate this app")
        calm_style.role(self.add_button, "primary")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self._accept_selected)
        row.addWidget(cancel)
        row.addWidget(self.add_button)
        layout.addLayout(row)
        calm_style.fit_to_screen(self, 520, 560)

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item is not None:
                item.setHidden(bool(needle) and needle not in item.text().casefold())

    def _accept_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self.chosen = str(item.data(Qt.ItemDataRole.UserRole))
            self.accept()

    def _choose_file(self) -> None:
        start = QtCore.QStandardPaths.writableLocation(
            QtCore.QStandardPaths.StandardLocation.ApplicationsLocation
        )
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Choose the app's program", start)
        if path:
            self.chosen = path
            self.accept()
