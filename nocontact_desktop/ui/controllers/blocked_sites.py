"""Listener hits from the helper → the delay-and-reflect dialog → outcome, pass, browser.

The helper's event stream is read with a QSocketNotifier (no polling). When the helper is not
running, the controller tries again every :data:`RECONNECT_MS` — well under one wake-up a
second — and the Blocked page says that blocking is off.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nocontact_desktop.core.blocking.blocklist import Blocklist
from nocontact_desktop.core.blocking.reconcile import Reconciled, reconcile
from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.helper_link.client import (
    EventStream,
    HelperClient,
    HelperError,
    HelperUnavailable,
)
from nocontact_desktop.core.reflect.attempts import Attempt, ReflectRules
from nocontact_desktop.core.reflect.coalescer import AttemptCoalescer
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.ui.controllers.reflect_flow import ReflectFlow
from nocontact_desktop.ui.qt import QtCore, QtGui, QtWidgets, Signal

log = logging.getLogger("nocontact.sites")

RECONNECT_MS = 15_000
PENDING_EVENTS = frozenset(
    {"pending_added", "pending_applied", "pending_cancelled", "commitment_changed"}
)

OpenUrl = Callable[[str], None]


def browser_commands(url: str, browser_env: str | None) -> list[list[str]]:
    """The commands ``$BROWSER`` names for ``url``, in order (``:``-separated; ``%s`` is the
    URL, else it goes last), as the convention of xdg-open and Python's webbrowser has it."""
    commands: list[list[str]] = []
    for entry in (browser_env or "").split(os.pathsep):
        try:
            words = shlex.split(entry)
        except ValueError:
            continue
        if not words:
            continue
        if any("%s" in word for word in words):
            commands.append([word.replace("%s", url) for word in words])
        else:
            commands.append([*words, url])
    return commands


def _open_in_browser(url: str) -> None:
    """The person's default browser: ``$BROWSER`` when set, else the desktop's default."""
    for command in browser_commands(url, os.environ.get("BROWSER")):
        try:
            subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as err:
            log.debug("$BROWSER entry could not start: %s", err.strerror)
            continue
        return
    QtGui.QDesktopServices.openUrl(QtCore.QUrl(url))



class SiteAttempts(QtCore.QObject):
    """Shows one dialog per blocked site, records outcomes, asks the helper for passes."""

    helper_connected = Signal(bool)
    blocking_changed = Signal(object)  # a Reconciled: what the hosts file really holds
    dialog_shown = Signal(str)  # the site key, when a dialog becomes visible

    def __init__(
        self,
        store: Store,
        clock: Clock,
        socket_path: Path,
        *,
        open_url: OpenUrl = _open_in_browser,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.rules = ReflectRules(store, clock)
        self.flow = ReflectFlow(self.rules, self)
        self.flow.dialog_shown.connect(self.dialog_shown)
        self.flow.on_begin = self._begin_reflect
        self.last_state: dict[str, Any] | None = None  # the helper's, at the last reconcile
        self.dialogs = self.flow.dialogs
        self.socket_path = socket_path
        self.open_url = open_url
        self.coalescer = AttemptCoalescer()
        self._stream: EventStream | None = None
        self._notifier: QtCore.QSocketNotifier | None = None
        self._retry = QtCore.QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(RECONNECT_MS)
        self._retry.timeout.connect(self.connect_helper)
        self.connected = False

    # -- the helper's event stream ----------------------------------------------------------

    def connect_helper(self) -> bool:
        """Subscribe to the helper's events; on failure try again later."""
        try:
            self._stream = EventStream.open(self.socket_path, timeout=1.0)
        except (HelperUnavailable, HelperError) as err:
            log.debug("helper not reachable: %s", err)
            self._set_connected(False)
            self._retry.start()
            return False
        self._notifier = QtCore.QSocketNotifier(
            self._stream.fileno(), QtCore.QSocketNotifier.Type.Read, self
        )
        self._notifier.activated.connect(self._on_readable)
        self._set_connected(True)
        self.reconcile()
        return True

    def reconcile(self) -> Reconciled:
        """Push the stored list if the helper holds another (every connect and reconnect).

        The helper is the authority on pending removals: the store learns what it holds.
        """
        blocklist = Blocklist(self.store)
        result = reconcile(HelperClient(self.socket_path), blocklist.domains())
        if result.pushed:
            log.info("helper held another list: the stored list was pushed")
        if result.helper_state is not None:
            blocklist.settle(result.helper_state)
            self.last_state = result.helper_state
            commitment = result.helper_state.get("commitment")
            if isinstance(commitment, dict):
                limit = commitment.get("pass_max_minutes")
                self.flow.pass_max_minutes = limit if isinstance(limit, int) else None
        self.blocking_changed.emit(result)
        return result

    def _begin_reflect(self, attempt: Attempt, countdown_seconds: int) -> None:
        """The dialog appeared: the helper starts the same countdown (no pass before it ends)."""
        if not attempt.domains:
            return  # which site is unknown: there is no pass to prepare
        try:
            HelperClient(self.socket_path, timeout=1.0).begin_reflect(
                list(attempt.domains), countdown_seconds
            )
        except (HelperUnavailable, HelperError) as err:
            log.debug("could not tell the helper about the reflect moment: %s", err)

    def _set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            log.info("helper %s", "connected" if connected else "not connected")
            self.helper_connected.emit(connected)

    def _on_readable(self) -> None:
        assert self._stream is not None
        try:
            events = self._stream.read_available()
        except (HelperUnavailable, HelperError):
            self._drop_stream()
            return
        for event in events:
            self.handle_event(event)

    def _drop_stream(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._set_connected(False)
        self._retry.start()

    def stop(self) -> None:
        """Disconnect and stop retrying."""
        self._retry.stop()
        if self._stream is not None:
            self._drop_stream()
            self._retry.stop()

    # -- hits and dialogs -------------------------------------------------------------------

    def handle_event(self, event: dict[str, Any]) -> None:
        """React to one helper event (only hits raise a dialog)."""
        name = event.get("event")
        if name == "blocked_hit" and isinstance(event.get("domain"), str):
            path = event.get("path")
            self.handle_hit(
                event["domain"], event.get("matched"), path if isinstance(path, str) else None
            )
        elif name == "blocked_hit" and event.get("unlisted") is True:
            self.handle_hit(None)  # an ECH outer name or no SNI: a site on the list
        elif name in PENDING_EVENTS:
            self.reconcile()  # a pending change came, went or took effect: show it

    def handle_hit(
        self, domain: str | None, matched: object = None, path: str | None = None
    ) -> None:
        """A blocked name was attempted: one dialog per list entry, coalesced.

        ``domain`` None: the listener could not read which listed site (ECH, no SNI).
        """
        if domain is None:
            attempt = self.rules.unlisted_site_attempt()
        else:
            attempt = self.rules.site_attempt(
                domain, matched if isinstance(matched, str) else None, path
            )
        if not self.coalescer.hit(attempt.key, self.clock.monotonic()):
            return
        self.flow.show(attempt, lambda outcome, minutes: self._decided(attempt, outcome, minutes))

    def _decided(self, attempt: Attempt, outcome: str, minutes: int | None) -> None:
        self.coalescer.closed(attempt.key, self.clock.monotonic())
        if outcome != "opened" or minutes is None or not attempt.domains:
            return
        try:
            HelperClient(self.socket_path).grant_pass(list(attempt.domains), minutes)
        except (HelperUnavailable, HelperError) as err:
            QtWidgets.QMessageBox.warning(
                None, "No Contact", f"The site could not be unlocked: {err}"
            )
            return
        if attempt.url is not None:
            self.open_url(attempt.url)

    def turned_away_this_week(self) -> int:
        """Blocked attempts dismissed in the last 7 days (shown on the Today page)."""
        return self.rules.turned_away_this_week()
