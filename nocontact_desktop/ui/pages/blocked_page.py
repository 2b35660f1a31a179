"""The "Blocked" page: paste profile links or sites, see what each blocks, turn blocking on."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from nocontact_desktop.core.blocking.blocklist import Blocklist, PushResult
from nocontact_desktop.core.blocking.presets import default_presets
from nocontact_desktop.core.blocking.reconcile import Reconciled, pending_changes
from nocontact_desktop.core.commitment.rules import describe_pending, when_text
from nocontact_desktop.core.errors import BadInput, KeyUnavailable
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.ui.qt import Qt, QtCore, QtWidgets, Signal

HONEST_LINE = (
    "The hosts file can only block whole sites, not single profiles: adding someone's "
    "Instagram blocks all of Instagram on this computer, in every browser."
)
# Issue 14: a limit that cannot be engineered away, said plainly where the list is made.
READABLE_LINE = (
    "Names in the hosts file can be read by anyone using this computer. A whole platform "
    "(“instagram”, “facebook”) reveals nothing personal; a personal site (their own name .com) "
    "does — block the platform instead where that matters."
)
BLOCKING_ON = "Blocking is on: these sites do not open on this computer."
BLOCKING_OFF = (
    "Blocking is off: the helper that edits the hosts file is not running. Your list is "
    "kept and applied as soon as it runs."
)
PENDING_TITLE = "Waiting for your commitment delay"

Reflect = Callable[[list[str], Callable[[], None]], None]
"""Show the reflect moment for unblocking these targets; call the second argument to go on."""
CancelPending = Callable[[int], dict[str, Any]]


def keep_label(kind: str) -> str:
    """The one-click cancel of a pending change."""
    return {
        "unblock": "Keep it blocked",
        "gate_remove": "Keep it gated",
        "gate_pause": "Keep the gate on",
    }.get(kind, "Keep it as it is")


class BlockedPage(QtWidgets.QWidget):
    """Thin view over :class:`Blocklist`; pushing to the helper is injected."""

    changed = Signal()

    def __init__(
        self,
        store: Store,
        now: Callable[[], datetime],
        push: Callable[[list[str]], PushResult],
        parent: QtWidgets.QWidget | None = None,
        *,
        zone: Callable[[], tzinfo] = lambda: UTC,
        reflect: Reflect | None = None,
        cancel_pending: CancelPending | None = None,
    ) -> None:
        super().__init__(parent)
        self._blocklist = Blocklist(store)
        self._now = now
        self._zone = zone
        self._push = push
        self._reflect = reflect
        self._cancel_pending = cancel_pending
        self.pending: list[dict[str, Any]] = []
        self.keep_buttons: dict[int, QtWidgets.QPushButton] = {}
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
        self.readable_label = QtWidgets.QLabel(READABLE_LINE)
        self.readable_label.setWordWrap(True)
        self.readable_label.setObjectName("muted")
        layout.addWidget(self.readable_label)
        self.personal_label = QtWidgets.QLabel()
        self.personal_label.setWordWrap(True)
        self.personal_label.setTextFormat(Qt.TextFormat.PlainText)
        self.personal_label.setVisible(False)
        layout.addWidget(self.personal_label)
        self.error_label = QtWidgets.QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet("color: #8a4b00;")
        layout.addWidget(self.error_label)

        self.list = QtWidgets.QTreeWidget()
        self.list.setHeaderLabels(["Blocked", "Names it blocks"])
        self.list.setColumnWidth(0, 360)
        self.list.setRootIsDecorated(False)
        self.list.setWordWrap(True)
        layout.addWidget(self.list, 1)

        # Pending changes (DESIGN §4a): each with its time and a one-click cancel.
        self.pending_box = QtWidgets.QGroupBox(PENDING_TITLE)
        self.pending_layout = QtWidgets.QVBoxLayout(self.pending_box)
        self.pending_box.setVisible(False)
        layout.addWidget(self.pending_box)

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

    def show_pending(self, entries: list[dict[str, Any]]) -> None:
        """The helper's pending changes: "instagram.com unblocks Saturday 03:12 · Keep it"."""
        self.pending = [dict(e) for e in entries]
        while self.pending_layout.count():
            item = self.pending_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.keep_buttons = {}
        for entry in self.pending:
            row = QtWidgets.QWidget()
            line = QtWidgets.QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            text = QtWidgets.QLabel(self.pending_text(entry))
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setWordWrap(True)
            line.addWidget(text, 1)
            button = QtWidgets.QPushButton(keep_label(str(entry.get("kind"))))
            pending_id = int(entry["id"])
            button.clicked.connect(lambda _c=False, i=pending_id: self.keep(i))
            line.addWidget(button)
            self.keep_buttons[pending_id] = button
            self.pending_layout.addWidget(row)
        self.pending_box.setVisible(bool(self.pending))

    def pending_text(self, entry: dict[str, Any]) -> str:
        """``instagram.com unblocks Saturday 03:12``."""
        due = datetime.fromisoformat(str(entry["due_at"]))
        subject = str(entry.get("subject"))
        if entry.get("kind") == "unblock":  # named as the person listed it, when we know
            names = set(entry.get("domains", []))
            removals = self._blocklist.removals()
            listed = [
                t.target
                for row_id, t in self._blocklist.targets()
                if row_id in removals and names & set(t.domains)
            ]
            subject = ", ".join(listed) or subject
        what = describe_pending(str(entry.get("kind")), subject)
        return f"{what} {when_text(due, self._zone(), self._now())}"

    def keep(self, pending_id: int) -> None:
        """Cancel a pending change (immediate: it tightens)."""
        if self._cancel_pending is None:
            return
        try:
            cancelled = self._cancel_pending(pending_id).get("cancelled", {})
        except Exception as err:  # the helper went away or refused: say so, change nothing
            self.error_label.setText(f"Could not keep it: {err}")
            return
        names = set(cancelled.get("domains", []))
        if names:
            back = [t.target for _, t in self._blocklist.targets() if names & set(t.domains)]
            if back:
                self._blocklist.keep(back)
        self.show_pending([e for e in self.pending if int(e["id"]) != pending_id])
        self._after_change()

    def reload(self) -> None:
        """Show the list as stored (targets waiting for their delay say when they go)."""
        self.list.clear()
        removals = self._blocklist.removals()
        try:
            listed = self._blocklist.targets()
        except KeyUnavailable:
            # The notes are locked: the list stays sealed (the blocks still hold).
            self.list.addTopLevelItem(
                QtWidgets.QTreeWidgetItem(["Your list is locked — unlock your notes to see it", ""])
            )
            return
        for row_id, target in listed:
            label = target.target
            removal = removals.get(row_id)
            if removal is not None:
                when = (
                    when_text(removal.due_at, self._zone(), self._now())
                    if removal.due_at is not None
                    else "after your commitment delay"
                )
                label = f"{target.target} — unblocks {when}"
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
            added = self._blocklist.add(texts, self._now())
        except BadInput as err:
            self.error_label.setText(str(err))
            return
        self.error_label.setText("")
        self.input.clear()
        personal = [t.target for t in added if t.kind == "domain"]
        if personal:
            presets = ", ".join(f"“{p.key}”" for p in list(default_presets())[:4])
            self.personal_label.setText(
                f"{', '.join(personal)}: anyone using this computer can read "
                f"{'this name' if len(personal) == 1 else 'these names'} in the hosts file. "
                f"If that could give you away, unblock it and block a platform instead "
                f"({presets} …): a platform names nobody."
            )
        self.personal_label.setVisible(bool(personal))
        self._after_change()

    def remove_selected(self) -> None:
        """Unblock the selected entries — after the reflect moment, when one is wired."""
        keys = [
            str(item.data(0, Qt.ItemDataRole.UserRole)) for item in self.list.selectedItems()
        ]
        if not keys:
            return
        if self._reflect is not None:
            self._reflect(keys, lambda: self.unblock(keys))
        else:
            self.unblock(keys)

    def unblock(self, keys: list[str]) -> None:
        """Ask to unblock: under a commitment the helper keeps them until the delay is over."""
        self._blocklist.request_removal(keys, self._now())
        result = self._push(self._blocklist.domains())
        if not result.applied:
            self._blocklist.remove(keys)  # no helper holds them: nothing to wait for
        self._apply_push(result)
        self.changed.emit()

    def _after_change(self) -> None:
        result = self._push(self._blocklist.domains())
        self._apply_push(result)
        self.changed.emit()

    def _apply_push(self, result: PushResult) -> None:
        if result.applied and result.state is not None:
            self._blocklist.settle(result.state)
            self.show_pending(pending_changes(result.state))
        self.reload()
        self.set_helper_running(result.applied)

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
