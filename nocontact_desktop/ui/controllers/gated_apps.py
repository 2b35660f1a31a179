"""The app gate inside the tray app (DESIGN §7): the watcher ticks, the dialog decides.

The watcher ticks on a QTimer every 100 ms, but only while at least one app is gated and the
gate is not paused: with nothing to watch, no timer runs at all.
"""

from __future__ import annotations

import logging
from datetime import datetime

from nocontact_desktop.core.app_gate.gate_list import GateList
from nocontact_desktop.core.app_gate.rules import GatedApp
from nocontact_desktop.core.app_gate.watcher import (
    DEFAULT_TICK_INTERVAL,
    AppGate,
    GatedProcess,
    GateState,
)
from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.reflect.attempts import ReflectRules
from nocontact_desktop.core.settings import setting_named
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.streak.tracker import Tracker
from nocontact_desktop.platform.base import Platform
from nocontact_desktop.ui.controllers.reflect_flow import ReflectFlow
from nocontact_desktop.ui.qt import QtCore, Signal

log = logging.getLogger("nocontact.gate")

# Longer than the longest countdown, so a dialog on screen never loses its app; a frozen app
# whose dialog is gone (a crash) is still let go.
FREEZE_TIMEOUT = float(setting_named("countdown_seconds").maximum or 0) + 300.0


class AppGateController(QtCore.QObject):
    """Owns the watcher, its timer and one dialog per waiting app."""

    dialog_shown = Signal(str)

    def __init__(
        self,
        store: Store,
        clock: Clock,
        platform: Platform,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.tracker = Tracker(store, clock)
        self.gate_list = GateList(store, platform.name)
        self.presets = self.gate_list.presets
        self._apps: list[GatedApp] = self.gate_list.apps()
        self.gate = AppGate(
            lambda: self._apps,
            self._on_gated,
            process_source=platform,
            rules=platform.app_matches,
            clock=clock,
            freeze_timeout=FREEZE_TIMEOUT,
            on_settled=self._on_settled,
        )
        self.rules = ReflectRules(store, clock)
        self.flow = ReflectFlow(self.rules, self)
        self.flow.dialog_shown.connect(
            lambda key: self.dialog_shown.emit(str(key).removeprefix("app:"))
        )
        self.dialogs = self.flow.dialogs
        self._keys: dict[int, str] = {}  # gated pid -> its dialog's key
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(int(DEFAULT_TICK_INTERVAL * 1000))
        self._timer.timeout.connect(self.gate.tick)
        self._pause_timer = QtCore.QTimer(self)
        self._pause_timer.setSingleShot(True)
        self._pause_timer.timeout.connect(self._update_timer)

    def start(self) -> None:
        """Begin watching (if anything is gated)."""
        self._update_timer()

    def reload(self) -> None:
        """The list changed (Apps page or CLI): watch the new set."""
        self._apps = self.gate_list.apps()
        self._update_timer()

    @property
    def watching(self) -> bool:
        """Whether the watcher timer runs."""
        return self._timer.isActive()

    def _update_timer(self) -> None:
        if self.gate.paused:
            until = self.gate.paused_until
            if until is not None:
                ms = max(0, int((until - self.clock.now()).total_seconds() * 1000)) + 50
                self._pause_timer.start(min(ms, 2**31 - 1))
        should_run = bool(self._apps) and not self.gate.paused
        if should_run and not self._timer.isActive():
            self.gate.tick()  # the baseline: apps already running now are left alone
            self._timer.start()
        elif not should_run and self._timer.isActive():
            self._timer.stop()
            self.gate.tick()  # settle anything in flight before going quiet

    def pause_until(self, until: datetime | None) -> None:
        """Pause the gate until ``until`` (None: resume now)."""
        self.gate.pause_until(until)
        self._update_timer()

    def _on_gated(self, gp: GatedProcess) -> None:
        attempt = self.rules.app_attempt(gp.app.id, gp.app.display_name)
        self._keys[gp.pid] = attempt.key

        def decided(outcome: str, _minutes: int | None) -> None:
            self._decided(gp, outcome)

        self.flow.show(attempt, decided)
        log.info("gate dialog shown for pid %d", gp.pid)  # no app name in logs (issue 14)

    def _decided(self, gp: GatedProcess, outcome: str) -> None:
        self._keys.pop(gp.pid, None)
        if gp.state is not GateState.FROZEN:
            return  # the app went away or was released meanwhile; nothing to decide
        if outcome == "opened":
            self.gate.resume(gp)
        else:
            self.gate.end(gp)

    def _on_settled(self, gp: GatedProcess) -> None:
        # The app exited by itself or the safety net let it go: its dialog has nothing to do.
        if gp.state in (GateState.GONE, GateState.RELEASED):
            key = self._keys.pop(gp.pid, None)
            if key is not None:
                self.flow.settle(key)

    def close(self) -> None:
        """On quit: stop watching and let every waiting app go."""
        self._timer.stop()
        self._pause_timer.stop()
        self.gate.close()
