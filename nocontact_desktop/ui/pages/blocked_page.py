"""The "Blocked" page: paste profile links or sites, see what each blocks, turn blocking on."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime

from nocontact_desktop.core.blocking.blocklist import Blocklist, PushResult
from nocontact_desktop.core.blocking.presets import default_presets
from nocontact_desktop.core.blocking.reconcile import Reconciled
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.ui.qt import Qt, QtCore, QtWidgets, Signal

HONEST_LINE = (
    "The hosts file can only block whole sites, not single profiles: adding someone's "
    "Instagram blocks all of Instagram on this computer, in every browser."
)
BLOCKING_ON = "Blocking is on: these sites do not open on this computer."
BLOCKING_OFF = (
    "Blocking is off: the helper that edits the hosts file is not running. Your list is "
    "kept and applied as soon as it runs."
)


class BlockedPage(QtWidgets.QWidget):
    """Thin view over :class:`Blocklist`; pushing to the helper is injected."""

    changed = Signal()

    def __init__(
        self,
        store: Store,
        now: Callable[[], datetime],
        push: Callable[[list[str]], PushResult],
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._blocklist = Blocklist(store)
        self._now = now
        self._push = push
        layout = QtWidgets.QVBoxLayout(self)

        self.status_label = QtWidgets.QLabel(BLOCKING_OFF)
        self.status_label.setWordWrap(True)
        self.turn_on_button = QtWidgets.QPushButton("Turn on blocking…")
        self.turn_on_button.clicked.connect(self.turn_on_blocking)
        status_row = QtWidgets.QHBoxLayout()
        status_row.addWidget(self.status_label, 1)
        status_row.addWidget(self.turn_on_button)
        layout.addLayout(status_row)

        add_row = QtWidgets.QHBoxLayout()
        self.input = QtWidgets.QLineEdit()
        self.input.setPlaceholderText(
            "Paste a profile link (https://www.instagram.com/name/), a site, or a platform"
        )
        self.input.returnPressed.connect(self.add_from_input)
        self.add_button = QtWidgets.QPushButton("Block")
        self.add_button.clicked.connect(self.add_from_input)
        add_row.addWidget(self.input, 1)
        add_row.addWidget(self.add_button)
        layout.addLayout(add_row)
        presets = ", ".join(p.display_name for p in default_presets())
        hint = QtWidgets.QLabel(f"Platforms you can name: {presets}.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.error_label = QtWidgets.QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet("color: #8a4b00;")
        layout.addWidget(self.error_label)

        self.list = QtWidgets.QTreeWidget()
        self.list.setHeaderLabels(["Blocked", "Names it blocks"])
        self.list.setColumnWidth(0, 240)
        self.list.setRootIsDecorated(False)
        self.list.setWordWrap(True)
        layout.addWidget(self.list, 1)
        self.remove_button = QtWidgets.QPushButton("Unblock selected")
        self.remove_button.clicked.connect(self.remove_selected)
        layout.addWidget(self.remove_button, alignment=Qt.AlignmentFlag.AlignRight)
        honest = QtWidgets.QLabel(HONEST_LINE)
        honest.setWordWrap(True)
        layout.addWidget(honest)
        self.reload()

    def set_helper_running(self, running: bool) -> None:
        """Say whether blocking is on; offer to turn it on when it is not."""
        self.status_label.setText(BLOCKING_ON if running else BLOCKING_OFF)
        self.turn_on_button.setVisible(not running)

    def show_blocking(self, result: Reconciled) -> None:
        """What the helper and the hosts file really hold: "on" only when the file has the list."""
        if result.on:
            self.set_helper_running(True)
        elif result.state == "off":
            self.set_helper_running(False)
        else:
            self.status_label.setText(result.message[0].upper() + result.message[1:] + ".")
            self.turn_on_button.setVisible(False)

    def reload(self) -> None:
        """Show the list as stored."""
        self.list.clear()
        for _, target in self._blocklist.targets():
            label = target.target if not target.handle else f"{target.target}"
            item = QtWidgets.QTreeWidgetItem([label, ", ".join(target.domains)])
            item.setData(0, Qt.ItemDataRole.UserRole, target.target)
            item.setToolTip(1, "\n".join(target.domains))
            self.list.addTopLevelItem(item)

    def add_from_input(self) -> None:
        """Block what was typed (several entries may be separated by spaces or new lines)."""
        texts = self.input.text().split()
        if not texts:
            return
        try:
            self._blocklist.add(texts, self._now())
        except BadInput as err:
            self.error_label.setText(str(err))
            return
        self.error_label.setText("")
        self.input.clear()
        self._after_change()

    def remove_selected(self) -> None:
        """Unblock the selected entries."""
        keys = [
            str(item.data(0, Qt.ItemDataRole.UserRole)) for item in self.list.selectedItems()
        ]
        if not keys:
            return
        self._blocklist.remove(keys)
        self._after_change()

    def _after_change(self) -> None:
        self.reload()
        result = self._push(self._blocklist.domains())
        self.set_helper_running(result.applied)
        self.changed.emit()

    def turn_on_blocking(self) -> None:
        """Install and start the helper with the OS's own administrator prompt."""
        self.turn_on_button.setEnabled(False)
        self.status_label.setText("Asking for administrator rights to turn blocking on…")
        process = QtCore.QProcess(self)
        process.setProcessChannelMode(QtCore.QProcess.ProcessChannelMode.MergedChannels)
        process.finished.connect(lambda code, _s, p=process: self._installed(p, code))
        process.start(sys.executable, ["-m", "nocontact_desktop", "helper", "install"])

    def _installed(self, process: QtCore.QProcess, code: int) -> None:
        self.turn_on_button.setEnabled(True)
        output = bytes(process.readAll().data()).decode(errors="replace").strip()
        process.deleteLater()
        if code == 0:
            self._after_change()
        else:
            self.set_helper_running(False)
            self.error_label.setText(output.splitlines()[-1] if output else "Could not turn it on.")
