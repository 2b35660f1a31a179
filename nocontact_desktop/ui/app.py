"""The tray app: the icon with the day count, its menu, the windows, the daily rollover."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nocontact_desktop.core.paths import autostart_command as autostart_command  # noqa: PLC0414 - re-export
from nocontact_desktop.core.paths import ensure_private_dir
from nocontact_desktop.core.storage.vault import KeyUnavailable, key_source, open_data
from nocontact_desktop.core.streak.milestones import milestone_text
from nocontact_desktop.core.streak.tracker import Tracker
from nocontact_desktop.ui.dialogs.passphrase_dialog import TrayPassphrase
from nocontact_desktop.ui.privacy.discreet import Discretion, PrivacyFilter, hide_every_window
from nocontact_desktop.ui.qt import QtCore, QtWidgets, Signal
from nocontact_desktop.ui.single_instance import SingleInstance
from nocontact_desktop.ui.tray.icon import app_icon, day_icon, face_icon
from nocontact_desktop.ui.tray.menu import TrayMenu

if TYPE_CHECKING:
    from nocontact_desktop.core.app_gate.held_changes import GateChanges
    from nocontact_desktop.core.blocking.reconcile import Reconciled
    from nocontact_desktop.core.clock import Clock
    from nocontact_desktop.core.storage.store import Store
    from nocontact_desktop.core.streak.count import StreakSummary
    from nocontact_desktop.platform.base import Platform
    from nocontact_desktop.ui.privacy.lock import LockController

# Start-up shows the icon first (DESIGN §11: within 2× a bare tray icon); the windows, pages,
# controllers and scheduler, and the modules they need (APScheduler, psutil, the helper client,
# the keyring for erase-all), are imported and built once it is docked, in `TrayApp._build`.

log = logging.getLogger("nocontact.tray")

# How long to wait at login for a tray host (panel) to appear before giving up.
TRAY_WAIT_SECONDS = 600
TRAY_POLL_MS = 2000  # only while waiting for a tray host: well under one wake-up a second
# Watching the icon dock: every 20 ms for the first two seconds, then every half second.
DOCK_POLL_MS = 20
DOCK_POLL_SLOW_MS = 500
DOCK_FAST_CHECKS = 100
# If docking is not seen by then, the rest of start-up goes ahead anyway.
FINISH_START_AFTER_MS = 2000
PROTECTION_GAPS_KEY = "protection_gaps"  # outages the helper found at its start (History)
COMMITMENT_TO_SEND_KEY = "commitment_to_send"  # chosen while the helper was not running
HELPER_OFF_NOTE = (
    "Blocking is off: the helper is not running, so nothing holds this commitment yet. "
    "Turn blocking on from the Blocked page."
)


class TrayApp(QtCore.QObject):
    """Owns the tray icon, the main window and the scheduler; all logic is in core."""

    # Everything is built and running (after the icon, on an icon-first start).
    started = Signal()

    def __init__(
        self,
        store: Store,
        clock: Clock,
        *,
        explicit_data_dir: Path | None = None,
        socket_path: Path | None = None,
        platform: Platform | None = None,
        parent: QtCore.QObject | None = None,
        icon_first: bool = False,
        passphrase: TrayPassphrase | None = None,
    ) -> None:
        """With ``icon_first`` (the app's own start), only the icon and its menu are made now;
        :meth:`start` shows the icon and builds the rest once it is docked."""
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self._platform = platform
        self.tracker = Tracker(store, clock)
        self._explicit_data_dir = explicit_data_dir
        self._socket_path = socket_path
        self.passphrase = passphrase
        # Discreet mode (issue 14) is read before the icon is drawn: it never shows the plain
        # face first. The filter keeps window titles neutral and watches for the quick exit.
        self.discretion = Discretion(store, self)
        self.discretion.changed.connect(self.apply_discretion)
        self.privacy_filter = PrivacyFilter(self.discretion, clock.monotonic, self)
        self.privacy_filter.quick_exit.connect(self.quick_exit)
        self.privacy_filter.activity.connect(self._on_activity)
        # Installed with the first window (_build, unlock), not before the icon: every event
        # it sees crosses into Python, and PySide6 builds the enums of each event class the
        # first time one does (tens of ms of a start, DESIGN §11). Before that there are no
        # windows to retitle and no keys to watch.
        self.app_lock: LockController | None = None
        self.tray = QtWidgets.QSystemTrayIcon(self._idle_icon(), self)
        self.menu = TrayMenu(self.discretion.text)
        self._wire_menu()
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._on_tray_activated)
        self._tray_wait_started = 0.0
        self._tray_timer: QtCore.QTimer | None = None
        self._dock_checks = 0
        self._built = False
        self._started = False
        if not icon_first:
            self._build()

    def _build(self) -> None:
        """Everything beyond the icon and its menu: windows, pages, controllers, scheduler."""
        if self._built:
            return
        self._built = True
        self.privacy_filter.install()
        # Imported here, not with the module: the icon shows before any of this is loaded.
        from nocontact_desktop.core.helper_link.client import (  # noqa: PLC0415
            default_socket_path,
        )
        from nocontact_desktop.platform import current as current_platform  # noqa: PLC0415
        from nocontact_desktop.ui.tray.day_scheduler import DayScheduler  # noqa: PLC0415
        from nocontact_desktop.ui.windows.main_window import MainWindow  # noqa: PLC0415

        self.platform: Platform = (
            self._platform if self._platform is not None else current_platform()
        )
        self._setup_lock()
        self.window = MainWindow()
        self.scheduler = DayScheduler(self.clock, self.on_new_day)
        self._wire_window()
        self._setup_blocking(
            self._socket_path or default_socket_path(self.platform.helper_socket_path)
        )
        self._setup_app_gate()
        self._watch_database()
        self._setup_support()

    # -- building ---------------------------------------------------------------------------

    def _wire_menu(self) -> None:
        menu = self.menu
        # The app answers the menu; the names below are kept for the features and tests.
        self.title_action = menu.title_action
        self.emergency_action = menu.emergency_action
        self.hoover_action = menu.hoover_action
        self.slip_action = menu.slip_action
        self.open_action = menu.open_action
        self.unlock_action = menu.unlock_action
        self.quit_action = menu.quit_action
        menu.emergency_requested.connect(self.open_emergency)
        menu.hoover_requested.connect(self.log_hoover)
        menu.slip_requested.connect(self.log_slip)
        menu.open_requested.connect(self.open_main_window)
        menu.unlock_requested.connect(self.unlock)
        menu.quit_requested.connect(self.quit)

    # -- privacy (issue 14) -----------------------------------------------------------------

    def _setup_lock(self) -> None:
        from nocontact_desktop.core.privacy.app_lock import AppLock  # noqa: PLC0415 - see _build
        from nocontact_desktop.ui.privacy.lock import LockController  # noqa: PLC0415

        self.app_lock = LockController(AppLock(self.store, self.clock), self.store, self)
        self.app_lock.locked_changed.connect(self._on_locked)

    def guard(self, action: Callable[[], None]) -> None:
        """Run ``action`` (it opens personal content) now, or after the PIN when locked."""
        if self.app_lock is None:
            action()
            return
        self.app_lock.guard(action)

    def _on_activity(self) -> None:
        if self.app_lock is not None:
            self.app_lock.activity()

    def _on_locked(self, locked: bool) -> None:
        """Locked: every window with personal content goes; the breathing timer stays."""
        if not locked:
            if self._built and self.support.emergency is not None:
                self.support.emergency.set_locked(False)
            return
        emergency = self.support.emergency if self._built else None
        hide_every_window(keep=emergency)
        if emergency is not None:
            emergency.set_locked(True)

    def quick_exit(self) -> None:
        """Esc three times or the shortcut: every window hides at once, the tray goes neutral,
        and reopening needs the PIN (when one is set)."""
        hide_every_window()
        self.menu.hide()
        if self.app_lock is not None:
            self.app_lock.lock_now()
        self.discretion.set_hidden(True)
        log.info("quick exit")

    def _idle_icon(self) -> Any:
        if self.discretion.discreet:
            return face_icon(self.discretion.face_key)
        return app_icon()

    def apply_discretion(self) -> None:
        """Discreet mode changed (settings, a quick exit, reopening): everything follows now."""
        text = self.discretion.text
        self.menu.reword(text)
        self.discretion.apply_app_name()
        self.discretion.retitle_all()
        self._show_count(self.tracker.summary())
        if not self._built:
            return
        self.support.apply_texts(text)
        self.pause_menu.setTitle(text("menu.pause_gate"))
        self.show_pending_in_menu(self._pending)

    def _wire_window(self) -> None:
        today = self.window.today
        today.emergency_requested.connect(self.open_emergency)
        today.hoover_requested.connect(self.log_hoover)
        today.slip_requested.connect(self.log_slip)
        today.edit_reasons_requested.connect(self.edit_reasons)
        from nocontact_desktop.core.settings import Settings  # noqa: PLC0415 - see _build
        from nocontact_desktop.ui.widgets.data_section import DataSection  # noqa: PLC0415
        from nocontact_desktop.ui.widgets.settings_form import SettingsForm  # noqa: PLC0415
        from nocontact_desktop.ui.widgets.start_date_section import (  # noqa: PLC0415
            StartDateSection,
        )

        # The Settings page is drawn from core's typed table; side effects are applied here.
        self.settings = Settings(self.store)
        self.settings_form = SettingsForm(self.settings)
        self.settings_form.changed.connect(self._apply_setting)
        self.window.settings.add_section(self.settings_form)
        self.start_section = StartDateSection(self.tracker)
        self.start_section.corrected.connect(self.refresh)
        self.window.settings.add_section(self.start_section)
        self.data_section = DataSection(self.store, self.clock.now)
        self.data_section.imported.connect(self.refresh)
        self.window.settings.add_section(self.data_section)
        from nocontact_desktop.ui.privacy.lock import LockSection  # noqa: PLC0415 - see _build

        assert self.app_lock is not None
        self.lock_section = LockSection(self.app_lock)
        self.window.settings.add_section(self.lock_section)

    def _watch_database(self) -> None:
        # The CLI may log events while the tray runs: inotify on the WAL, no polling.
        self._db_watcher = QtCore.QFileSystemWatcher(self)
        if self.store.path is not None:
            for suffix in ("", "-wal"):
                path = str(self.store.path) + suffix
                if os.path.exists(path):
                    self._db_watcher.addPath(path)
        self._refresh_debounce = QtCore.QTimer(self)
        self._refresh_debounce.setSingleShot(True)
        self._refresh_debounce.setInterval(250)
        self._refresh_debounce.timeout.connect(self.refresh)
        self._db_watcher.fileChanged.connect(lambda _p: self._refresh_debounce.start())

    def _setup_support(self) -> None:
        from nocontact_desktop.ui.controllers.support import SupportController  # noqa: PLC0415

        # The support tools: the "I want to text them" flow, the daily check-in, History, erase-all.
        self.support = SupportController(
            self.tracker,
            self.scheduler,
            self.window,
            set_autostart=self.set_start_at_login,
            quit_app=QtWidgets.QApplication.quit,
            parent=self,
            guard=self.guard,
            release_system=self.release_system,
            is_locked=lambda: self.app_lock is not None and self.app_lock.locked,
        )
        self.support.changed.connect(self.refresh)
        self.support.erasing.connect(self.stop_using_store)
        self.support.add_menu_actions(self.menu, self.open_action)

    def stop_using_store(self) -> None:
        """Before erase-all (or a test closing the store): nothing may touch the store now."""
        self._started = True  # a start-up still pending must not go ahead
        self.privacy_filter.uninstall()
        if self.app_lock is not None:
            self.app_lock.stop()
        if not self._built:
            self.tray.hide()
            return
        self.support.close_windows()
        self._db_watcher.blockSignals(True)
        self._refresh_debounce.stop()
        self.site_attempts.stop()
        self.app_gate.close()
        self.tray.hide()
        self.window.hide()

    # -- lifecycle --------------------------------------------------------------------------

    def _setup_blocking(self, socket_path: Path) -> None:
        from nocontact_desktop.core.blocking.blocklist import push_to_helper  # noqa: PLC0415
        from nocontact_desktop.core.helper_link.client import HelperClient  # noqa: PLC0415 - see _build
        from nocontact_desktop.ui.controllers.blocked_sites import SiteAttempts  # noqa: PLC0415
        from nocontact_desktop.ui.pages.blocked_page import BlockedPage  # noqa: PLC0415

        # Listener hits → the delay dialog; the Blocked page shows and edits the list.
        self.socket_path = socket_path
        self.site_attempts = SiteAttempts(self.store, self.clock, socket_path, parent=self)
        self.blocked_page = BlockedPage(
            self.store,
            self.clock.now,
            lambda domains: push_to_helper(domains, socket_path),
            zone=self.clock.zone,
            reflect=self.reflect_unblock,
            cancel_pending=lambda pending_id: HelperClient(socket_path).cancel_pending(pending_id),
        )
        self.window.add_page("Blocked", self.blocked_page, before="Settings")
        self.site_attempts.helper_connected.connect(
            lambda up: None if up else self.blocked_page.set_helper_running(False)
        )
        self.site_attempts.blocking_changed.connect(self._on_blocking)
        self.blocked_page.changed.connect(self.site_attempts.reconcile)
        self.blocked_page.set_helper_running(False)
        # Pending changes in the tray menu, each with its one-click cancel.
        self._pending: list[dict[str, Any]] = []
        self.pending_menu = QtWidgets.QMenu("Waiting for your commitment", self.menu)
        self.menu.insertMenu(self.open_action, self.pending_menu)
        self.pending_menu.menuAction().setVisible(False)

    # -- the commitment (DESIGN §4a) ---------------------------------------------------------

    def _on_blocking(self, result: Reconciled) -> None:
        """What the helper holds: the list, pending changes, the commitment, outages."""
        pending = self._apply_ready_gate_changes(result.pending)
        self.blocked_page.show_blocking(result)
        self.blocked_page.show_pending(pending)
        self.blocked_page.reload()
        self.show_pending_in_menu(pending)
        if hasattr(self, "apps_page"):
            self.apps_page.show_pending(
                [
                    self.blocked_page.pending_text(entry)
                    for entry in pending
                    if entry.get("kind") in ("gate_remove", "gate_pause")
                ]
            )
        state = result.helper_state
        if state is None:
            return
        commitment = state.get("commitment")
        if isinstance(commitment, dict):
            self._sync_commitment_settings(commitment)
        gaps = [g for g in state.get("outages", []) if isinstance(g, dict)]
        if gaps and gaps != self.store.setting(PROTECTION_GAPS_KEY, []):
            self.store.set_setting(PROTECTION_GAPS_KEY, gaps[-20:])

    def show_pending_in_menu(self, pending: list[dict[str, Any]]) -> None:
        """List pending changes in the tray menu with "Keep it blocked"."""
        from nocontact_desktop.ui.pages.blocked_page import keep_label  # noqa: PLC0415 - see _build
        self._pending = list(pending)
        self.pending_menu.clear()
        discreet = self.discretion.discreet
        for entry in pending:
            what = self.blocked_page.pending_text(entry)
            text = self.discretion.text("menu.pending_item", what=what[0].upper() + what[1:])
            label_action = self.pending_menu.addAction(text)
            label_action.setEnabled(False)
            kind = str(entry.get("kind"))
            keep = self.pending_menu.addAction(
                f"   {keep_label('other' if discreet else kind)}"
            )
            pending_id = int(entry["id"])
            keep.triggered.connect(
                lambda _c=False, i=pending_id: self.guard(lambda: self.blocked_page.keep(i))
            )
        self.pending_menu.setTitle(self.discretion.text("menu.pending", count=len(pending)))
        self.pending_menu.menuAction().setVisible(bool(pending))

    def _delay_words(self) -> str:
        from nocontact_desktop.core.commitment.rules import format_duration  # noqa: PLC0415 - see _build
        state = self.site_attempts.last_state or {}
        commitment = state.get("commitment") or {}
        minutes = int(commitment.get("delay_minutes", 0)) if isinstance(commitment, dict) else 0
        if minutes <= 0:
            return "no commitment delay is set, so it happens at once"
        return f"it takes effect after your commitment delay ({format_duration(minutes)})"

    def reflect_unblock(self, targets: list[str], go: Callable[[], None]) -> None:
        """Unblocking is a loosening: the reflect moment first, then it waits for the delay."""
        from nocontact_desktop.core.reflect.attempts import ReflectRules  # noqa: PLC0415 - see _build
        attempt = ReflectRules.change_attempt(
            "unblock", f"Unblock {', '.join(targets)}", self._delay_words()
        )
        self.site_attempts.flow.show(
            attempt, lambda outcome, _m: go() if outcome == "opened" else None
        )

    def _sync_commitment_settings(self, commitment: dict[str, Any]) -> None:
        """Show the helper's values (it is the authority); send one chosen while it was off."""
        from nocontact_desktop.core.commitment.rules import direction  # noqa: PLC0415 - see _build
        from nocontact_desktop.core.settings import commitment_setting  # noqa: PLC0415 - see _build
        wanted = self.store.setting(COMMITMENT_TO_SEND_KEY, None)
        if isinstance(wanted, dict):
            self.store.set_setting(COMMITMENT_TO_SEND_KEY, None)
            tighter = {
                wire: value
                for wire, value in wanted.items()
                if isinstance(value, int)
                and direction(wire, int(commitment.get(wire, value)), value) == "tighten"
            }
            if tighter:
                self._send_commitment(tighter)
                return
        for wire in ("delay_minutes", "pass_max_minutes", "passes_per_day"):
            value = commitment.get(wire)
            shown = commitment_setting(wire, value) if isinstance(value, int) else None
            if shown is None:
                continue
            key, setting_value = shown
            if self.settings.get(key) == setting_value:
                continue
            if any(p.get("key") == wire for p in commitment.get("pending", [])):
                continue  # the person's choice is on its way; the note says when
            self.settings.set(key, setting_value)
            self.settings_form.show_value(key, setting_value)

    def _send_commitment(self, values: dict[str, int]) -> dict[str, Any] | None:
        from nocontact_desktop.core.helper_link.client import (  # noqa: PLC0415 - see _build
            HelperClient,
            HelperError,
            HelperUnavailable,
        )
        try:
            return HelperClient(self.socket_path).set_commitment(**values)
        except HelperUnavailable:
            return None
        except HelperError as err:
            log.warning("the helper refused the commitment: %s", err)
            return None

    def change_commitment(self, key: str, value: object) -> None:
        """A commitment setting changed: tighter applies now, looser goes through reflect."""
        from nocontact_desktop.core.commitment.rules import (  # noqa: PLC0415 - see _build
            describe_pending,
            direction,
            format_duration,
            when_text,
        )
        from nocontact_desktop.core.reflect.attempts import ReflectRules  # noqa: PLC0415 - see _build
        from nocontact_desktop.core.settings import commitment_setting, commitment_value  # noqa: PLC0415 - see _build
        wire, number = commitment_value(key, value)
        state = self.site_attempts.last_state or {}
        current = state.get("commitment") if isinstance(state.get("commitment"), dict) else None
        if current is None or not self.site_attempts.connected:
            self.settings_form.note(key, HELPER_OFF_NOTE)
            stored = self.store.setting(COMMITMENT_TO_SEND_KEY, None)
            pending = dict(stored) if isinstance(stored, dict) else {}
            pending[wire] = number
            self.store.set_setting(COMMITMENT_TO_SEND_KEY, pending)
            return
        way = direction(wire, int(current.get(wire, number)), number)

        def send() -> None:
            result = self._send_commitment({wire: number})
            if result is None:
                self.settings_form.note(key, HELPER_OFF_NOTE)
                return
            added = [e for e in result.get("added", []) if isinstance(e, dict)]
            if added:
                due = when_text(
                    datetime.fromisoformat(str(added[0]["due_at"])),
                    self.clock.zone(),
                    self.clock.now(),
                )
                self.settings_form.note(
                    key, f"This loosens your commitment, so it takes effect {due}."
                )
            else:
                self.settings_form.note(key, "")
            self.site_attempts.reconcile()

        if way != "loosen" or int(current.get("delay_minutes", 0)) <= 0:
            send()
            return
        what = describe_pending(
            {"delay_minutes": "delay", "pass_max_minutes": "pass_max"}.get(wire, wire),
            format_duration(number) if wire != "passes_per_day" else str(number),
        )
        attempt = ReflectRules.change_attempt(wire, what[0].upper() + what[1:],
                                              self._delay_words())

        def decided(outcome: str, _minutes: int | None) -> None:
            if outcome == "opened":
                send()
                return
            previous = commitment_setting(wire, int(current.get(wire, number)))
            if previous is not None:  # they stayed with it: show what holds
                self.settings.set(*previous)
                self.settings_form.show_value(*previous)

        self.site_attempts.flow.show(attempt, decided)

    def _setup_app_gate(self) -> None:
        from nocontact_desktop.ui.controllers.gated_apps import (  # noqa: PLC0415 - see _build
            AppGateController,
        )
        from nocontact_desktop.ui.pages.apps_page import AppsPage  # noqa: PLC0415

        # Gated apps freeze at launch and wait for the dialog; the Apps page edits the list.
        self.app_gate = AppGateController(self.store, self.clock, self.platform, parent=self)
        self.apps_page = AppsPage(
            self.app_gate.gate_list,
            self.app_gate.presets,
            self.clock.now,
            self.platform.installed_apps,
            remove=self.remove_gated_apps,
        )
        self.apps_page.changed.connect(self.app_gate.reload)
        self.window.add_page("Apps", self.apps_page, before="Settings")
        pause_menu = QtWidgets.QMenu(self.discretion.text("menu.pause_gate"), self.menu)
        for label, minutes in (("For 15 minutes", 15), ("For 1 hour", 60), ("For 4 hours", 240)):
            action = pause_menu.addAction(label)
            action.triggered.connect(lambda _c=False, m=minutes: self.pause_gate(m))
        pause_menu.addSeparator()
        resume = pause_menu.addAction("Resume now")
        resume.triggered.connect(lambda: self.pause_gate(0))
        self.menu.insertMenu(self.open_action, pause_menu)
        self.pause_menu = pause_menu

    def pause_gate(self, minutes: int) -> None:
        """Pause the app gate for ``minutes`` (0 resumes it); pausing is a loosening: the
        reflect moment first, then it waits for the commitment delay (DESIGN §4a)."""
        from nocontact_desktop.core.reflect.attempts import ReflectRules  # noqa: PLC0415 - see _build
        if minutes > 0:
            attempt = ReflectRules.change_attempt(
                "pause-gate",
                f"Pause the app gate for {minutes} minutes",
                f"your apps open freely; {self._delay_words()}",
            )
            self.site_attempts.flow.show(
                attempt,
                lambda outcome, _m: self._ask_gate(lambda c: c.pause(minutes))
                if outcome == "opened"
                else None,
            )
            return
        self._pause_gate_now(0)  # resuming tightens: at once

    def remove_gated_apps(self, app_ids: list[str]) -> None:
        """Stop gating apps: the reflect moment first, then the commitment delay."""
        from nocontact_desktop.core.errors import BadInput  # noqa: PLC0415 - see _build
        from nocontact_desktop.core.reflect.attempts import ReflectRules  # noqa: PLC0415
        try:
            names = [app.display_name for app in self.app_gate.gate_list.listed(app_ids)]
        except BadInput as err:  # changed from the command line meanwhile
            self.apps_page.error_label.setText(str(err))
            self.apps_page.reload()
            return
        attempt = ReflectRules.change_attempt(
            "remove-gated-app", f"Stop gating {', '.join(names)}", self._delay_words()
        )
        self.site_attempts.flow.show(
            attempt,
            lambda outcome, _m: self._ask_gate(lambda c: c.remove(app_ids))
            if outcome == "opened"
            else None,
        )

    def _gate_changes(self) -> GateChanges:
        from nocontact_desktop.core.app_gate.held_changes import GateChanges  # noqa: PLC0415 - see _build
        from nocontact_desktop.core.helper_link.client import HelperClient  # noqa: PLC0415
        return GateChanges(
            self.app_gate.gate_list, HelperClient(self.socket_path), pause=self._pause_gate_now
        )

    def _ask_gate(self, ask: Callable[[GateChanges], object]) -> None:
        """Ask for a gate loosening; the helper holds it, or it is done now (no delay)."""
        from nocontact_desktop.core.errors import BadInput, HelperServiceError  # noqa: PLC0415 - see _build
        from nocontact_desktop.core.helper_link.client import (  # noqa: PLC0415
            HelperError,
            HelperUnavailable,
        )
        try:
            ask(self._gate_changes())
        except (HelperError, HelperUnavailable, HelperServiceError, BadInput) as err:
            self.apps_page.error_label.setText(f"Could not change the gate: {err}")
            return
        self.apps_page.reload()
        self.app_gate.reload()
        self.site_attempts.reconcile()  # the pending change shows on the pages and the menu

    def _apply_ready_gate_changes(self, pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Gate changes whose delay has passed are applied here; the rest is still waiting."""
        from nocontact_desktop.core.helper_link.client import (  # noqa: PLC0415 - see _build
            HelperError,
            HelperUnavailable,
        )
        ready = [entry for entry in pending if entry.get("ready") is True]
        if ready and hasattr(self, "app_gate"):
            try:
                if self._gate_changes().apply_ready(ready):
                    self.apps_page.reload()
                    self.app_gate.reload()
            except (HelperError, HelperUnavailable) as err:  # the next reconcile tries again
                log.warning("a ready gate change could not be finished: %s", err)
        return [entry for entry in pending if entry.get("ready") is not True]

    def _pause_gate_now(self, minutes: int) -> None:
        until = self.clock.now() + timedelta(minutes=minutes) if minutes > 0 else None
        self.app_gate.pause_until(until)
        self.apps_page.show_pause(until)

    def start(self) -> None:
        """Onboard if needed, show the icon (waiting for a tray host), start the scheduler.

        When only the icon was made (``icon_first``) and no onboarding is due, the icon is shown
        with the day count first and the rest is built and started once it is docked.
        """
        if not self.store.setting("onboarded", False) and not self.tracker.summary().started:
            self._build()
            self.run_onboarding()
        if not self._built:
            self._show_count(self.tracker.summary())
            self._show_tray_when_possible()
            return
        self._started = True
        self.refresh()
        self.scheduler.start()
        self.site_attempts.connect_helper()
        self.app_gate.start()
        self._show_tray_when_possible()
        self.check_milestone()
        self.started.emit()

    def _finish_start(self) -> None:
        """The rest of an icon-first start: build, refresh, scheduler, helper, app gate."""
        if self._started:
            return
        self._started = True
        self._build()
        self.refresh()
        self.scheduler.start()
        self.site_attempts.connect_helper()
        self.app_gate.start()
        self.check_milestone()
        self.started.emit()

    def _show_tray_when_possible(self) -> None:
        if QtWidgets.QSystemTrayIcon.isSystemTrayAvailable():
            self._show_tray()
            return
        log.info("no system tray yet; waiting for a tray host to appear")
        self._finish_start()  # the day rollover, helper and app gate work without an icon
        self._tray_wait_started = time.monotonic()
        self._tray_timer = QtCore.QTimer(self)
        self._tray_timer.setInterval(TRAY_POLL_MS)
        self._tray_timer.timeout.connect(self._poll_tray)
        self._tray_timer.start()

    def _poll_tray(self) -> None:
        if QtWidgets.QSystemTrayIcon.isSystemTrayAvailable():
            assert self._tray_timer is not None
            self._tray_timer.stop()
            self._tray_timer = None
            self._show_tray()
        elif time.monotonic() - self._tray_wait_started > TRAY_WAIT_SECONDS:
            assert self._tray_timer is not None
            self._tray_timer.stop()
            log.warning("no tray host appeared; showing the main window instead")
            self.open_main_window()

    def _show_tray(self) -> None:
        self.tray.show()
        self._dock_checks = 0
        QtCore.QTimer.singleShot(DOCK_POLL_MS, self._report_docked)
        if not self._started:
            QtCore.QTimer.singleShot(FINISH_START_AFTER_MS, self._finish_start)

    def _report_docked(self) -> None:
        geometry = self.tray.geometry()
        if self.tray.isVisible() and geometry.width() > 0:
            log.info(
                "tray icon docked at %d,%d size %dx%d",
                geometry.x(),
                geometry.y(),
                geometry.width(),
                geometry.height(),
            )
            if not self._started:
                QtCore.QTimer.singleShot(0, self._finish_start)
        else:
            self._dock_checks += 1
            slow = self._dock_checks >= DOCK_FAST_CHECKS
            QtCore.QTimer.singleShot(
                DOCK_POLL_SLOW_MS if slow else DOCK_POLL_MS, self._report_docked
            )

    def quit(self) -> None:
        """Leave the app."""
        self.privacy_filter.uninstall()
        if not self._built:
            self.tray.hide()
            QtWidgets.QApplication.quit()
            return
        self.scheduler.shutdown()
        self.site_attempts.stop()
        self.app_gate.close()
        self.tray.hide()
        QtWidgets.QApplication.quit()

    # -- figures ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw everything from the store."""
        if self.discretion.reload():  # changed from the command line while we run
            self._apply_privacy()
        summary = self.tracker.summary()
        self._show_count(summary)
        self.window.today.show_summary(summary)
        self.window.today.show_turned_away(self.site_attempts.turned_away_this_week())
        # The lists may have been changed from the command line while we run.
        self.unlock_action.setVisible(self.locked)
        if self.locked:
            return  # the count is shown; nothing sealed is read until the notes are unlocked
        self.blocked_page.reload()
        self.apps_page.reload()
        self.app_gate.reload()
        try:
            self.window.today.show_reasons(self.store.list_items("reasons"))
        except KeyUnavailable as err:
            self.window.today.reasons_label.setText(str(err))
        self.support.refresh()

    def _show_count(self, summary: StreakSummary) -> None:
        """The day count on the icon, its tooltip and the menu's title."""
        days = summary.streak_days
        if self.discretion.discreet:
            shown = days if summary.started and self.discretion.show_day else None
            self.tray.setIcon(face_icon(self.discretion.face_key, shown))
            self.tray.setToolTip(self.discretion.text("tray.tooltip"))
            self.title_action.setText(self.discretion.text("menu.title"))
        elif summary.started:
            self.tray.setIcon(day_icon(days))
            self.tray.setToolTip(
                self.discretion.text(
                    "tray.tooltip", days=days, longest=summary.longest_streak_days
                )
            )
            self.title_action.setText(self.discretion.text("menu.title", days=days))
        else:
            self.tray.setIcon(app_icon())
            self.tray.setToolTip(self.discretion.text("tray.tooltip_unstarted"))
            self.title_action.setText(self.discretion.text("menu.title_unstarted"))

    def on_new_day(self) -> None:
        """Midnight: the number rolls over; a milestone may be reached."""
        log.info("new day")
        self.refresh()
        self.check_milestone()

    def check_milestone(self) -> None:
        """Show the milestone notification once, at the first moment it is seen reached."""
        reached = self.tracker.due_milestone()
        if reached is None:
            return
        self.notify(
            self.discretion.text("notify.milestone_title", days=reached),
            self.discretion.text("notify.milestone_body", text=milestone_text(reached)),
        )

    def notify(self, title: str, body: str) -> None:
        """A notification from the tray (texts already chosen for the mode)."""
        self.tray.showMessage(
            title, body, QtWidgets.QSystemTrayIcon.MessageIcon.Information, 10_000
        )

    # -- actions ----------------------------------------------------------------------------

    def _on_tray_activated(self, reason: QtWidgets.QSystemTrayIcon.ActivationReason) -> None:
        if reason == QtWidgets.QSystemTrayIcon.ActivationReason.Trigger:
            self.open_main_window()

    def _ensure_ready(self) -> None:
        """Before acting on a click that came in while an icon-first start is still pending."""
        if not self._built:
            self._finish_start()

    @property
    def locked(self) -> bool:
        """True while the notes are sealed with a passphrase not given yet (after "Not now")."""
        return self.passphrase is not None and self.passphrase.declined

    def unlock(self) -> bool:
        """Ask for the passphrase until it opens the notes or the person says "Not now".

        A wrong one never ends the app: the prompt says so and asks again, pausing calmly
        after several tries. Returns True when the notes are open.
        """
        if self.passphrase is None:
            return True
        self.privacy_filter.install()  # the prompt is a window: titles stay neutral
        self.passphrase.ask_again()
        while True:
            try:
                self.store.sealer()
            except KeyUnavailable as err:
                if self.passphrase.declined:
                    self.unlock_action.setVisible(True)
                    return False
                self.passphrase.wrong(str(err))
                continue
            self.passphrase.failures = 0
            self.unlock_action.setVisible(False)
            if self._built:
                self.refresh()
            return True

    def open_main_window(self) -> None:
        """Show the main window on the Today page (after the PIN, when locked)."""
        if self.locked and not self.unlock():
            # Neutral words: the notification may be seen by someone else (discreet mode).
            self.tray.showMessage(
                "Locked", "Your notes stay locked. The breathing exercise is always open."
            )
            return
        self._ensure_ready()
        self.guard(self._show_main_window)

    def _show_main_window(self) -> None:
        self.discretion.set_hidden(False)
        self.refresh()
        self.window.bring_to_front()

    def open_emergency(self) -> None:
        """'I want to text them': the calm full flow (ui/emergency_window.py). It opens without
        the PIN: locked, it shows the breathing timer only."""
        self._ensure_ready()
        self.support.open_emergency(locked=self.app_lock is not None and self.app_lock.locked)

    def log_hoover(self) -> None:
        """'They contacted me': log a hoover with an optional note."""
        from nocontact_desktop.ui.dialogs.moment_dialogs import log_hoover  # noqa: PLC0415

        self._ensure_ready()
        self.guard(lambda: self.refresh() if log_hoover(self.tracker, self.window) else None)

    def log_slip(self) -> None:
        """'I slipped': confirm kindly, log contact, show what stays."""
        from nocontact_desktop.ui.dialogs.moment_dialogs import log_slip  # noqa: PLC0415

        self._ensure_ready()

        def slip() -> None:
            text = log_slip(self.tracker, self.window)
            if text is None:
                return
            self.refresh()
            QtWidgets.QMessageBox.information(self.window, "A new beginning", text)

        self.guard(slip)

    def edit_reasons(self) -> None:
        """Edit the reasons and support people."""
        from nocontact_desktop.ui.windows.main_window import ReasonsDialog  # noqa: PLC0415

        self._ensure_ready()

        def edit() -> None:
            dialog = ReasonsDialog(
                self.store.list_items("reasons"), self.store.support_people(), self.window
            )
            if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
                self.store.set_list_items("reasons", dialog.reasons())
                self.store.set_support_people(dialog.people())
                self.refresh()

        self.guard(edit)

    def run_onboarding(self) -> None:
        """The first-start questions; "Later" leaves the count unstarted."""
        from nocontact_desktop.core.settings import commitment_value  # noqa: PLC0415 - see _build
        from nocontact_desktop.ui.windows.onboarding import OnboardingDialog  # noqa: PLC0415

        dialog = OnboardingDialog(self.clock, self.window)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return
        answers = dialog.answers()
        self.tracker.start(answers.started_at)
        if answers.reasons:
            self.store.set_list_items("reasons", answers.reasons)
        if answers.support_people:
            self.store.set_support_people(answers.support_people)
        login = self.settings_form.controls["start_at_login"]
        assert isinstance(login, QtWidgets.QCheckBox)
        login.setChecked(answers.start_at_login)
        self.set_start_at_login(answers.start_at_login)
        self.store.set_setting("onboarded", True)
        if answers.discreet:
            self.settings.set("discreet_face", answers.face)
            self.settings.set("discreet", True)
            for key in ("discreet", "discreet_face"):
                self.settings_form.show_value(key, self.settings.get(key))
            self._apply_privacy()
        # First run ends on Today, with a short word on what they can do (not in silence).
        self.window.today.show_welcome()
        self.window.show_page("Today")
        self.refresh()
        self.window.bring_to_front()
        if answers.commitment_delay != "none":
            # Choosing a delay tightens: sent as soon as the helper answers.
            self.settings.set("commitment_delay", answers.commitment_delay)
            self.settings_form.show_value("commitment_delay", answers.commitment_delay)
            wire, minutes = commitment_value("commitment_delay", answers.commitment_delay)
            if self._send_commitment({wire: minutes}) is None:
                self.store.set_setting(COMMITMENT_TO_SEND_KEY, {wire: minutes})

    def _apply_setting(self, key: str, value: object) -> None:
        from nocontact_desktop.core.settings import COMMITMENT_KEYS  # noqa: PLC0415 - see _build
        if key == "start_at_login":
            self.set_start_at_login(bool(value))
        elif key in ("discreet", "discreet_face", "discreet_show_day"):
            self._apply_privacy()
        elif key == "lock_after_minutes" and self.app_lock is not None:
            self.app_lock.schedule_idle()
        elif key == "daily_check_in":
            self.support.plan_check_in(value if isinstance(value, str) else None)
        elif key in COMMITMENT_KEYS:
            self.change_commitment(key, value)

    def set_start_at_login(self, enabled: bool) -> None:
        """Write or remove the desktop's own autostart entry (worded for the mode)."""
        try:
            self.platform.set_autostart(
                enabled, autostart_command(self._explicit_data_dir), self.discretion.entry()
            )
        except OSError as err:
            log.warning("could not change start at login: %s", err.strerror or err)
            return
        self.settings.set("start_at_login", enabled)

    def release_system(self) -> list[str]:
        """Before erase-all: take the blocked names out of the hosts file (through the
        helper) and the app-menu shadow away; says what became of them."""
        from nocontact_desktop.core.blocking.blocklist import release_helper  # noqa: PLC0415

        said = [release_helper(self.socket_path)]
        try:
            self.platform.set_menu_entry(None, [])
        except OSError as err:
            log.warning("could not remove the app-menu entry: %s", err.strerror or err)
        return said

    def _apply_privacy(self) -> None:
        """Discreet mode or its face changed: the tray, windows, login and menu entries."""
        self.discretion.reload()
        self.apply_discretion()
        command = autostart_command(self._explicit_data_dir)
        try:
            if self.settings.get("start_at_login"):
                self.platform.set_autostart(True, command, self.discretion.entry())
            self.platform.set_menu_entry(
                self.discretion.entry() if self.discretion.chosen else None, command
            )
        except OSError as err:
            log.warning("could not reword the login entry: %s", err.strerror or err)


def run_tray(
    data_dir: Path,
    clock: Clock,
    explicit_data_dir: bool = False,
    socket_path: Path | None = None,
) -> int:
    """Start the tray app (single instance per user and data folder); returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="nocontact: %(message)s", stream=sys.stderr)
    ensure_private_dir(data_dir)
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    assert isinstance(app, QtWidgets.QApplication)
    app.setApplicationName("No Contact")  # the tray app sets its neutral name when discreet
    app.setDesktopFileName("nocontact")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    instance = SingleInstance(data_dir)
    if not instance.claim():
        log.info("No Contact is already running; asked it to show its window")
        return 0
    passphrase = TrayPassphrase()
    store = open_data(data_dir, passphrase=passphrase)
    tray_app = TrayApp(
        store,
        clock,
        explicit_data_dir=data_dir if explicit_data_dir else None,
        socket_path=socket_path,
        icon_first=True,
        passphrase=passphrase,
    )
    if key_source(store) == "passphrase":
        tray_app.unlock()  # "Not now" leaves the tray running, locked
    tray_app.discretion.apply_app_name()
    instance.activated.connect(tray_app.open_main_window)
    tray_app.started.connect(instance.listen)
    tray_app.start()
    code = app.exec()
    instance.release()
    store.close()
    return int(code)
