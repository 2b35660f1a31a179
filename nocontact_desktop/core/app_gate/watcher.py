"""The app gate's watcher (DESIGN §7): a gated app is frozen the moment it starts.

The tray app calls :meth:`AppGate.tick` from a timer every :data:`DEFAULT_TICK_INTERVAL`
seconds (the watcher starts no thread of its own). When a process of a gated app appears, the
tick freezes it and calls ``on_gated(gp)`` with a :class:`GatedProcess`; the tray shows the
delay-and-reflect dialog (§5) and then calls :meth:`AppGate.resume` ("Open anyway") or
:meth:`AppGate.end` ("Close — I'm staying strong").

**Cheap when nothing happens.** A tick first reads a spawn counter (Linux: the last pid handed
out, one ``pread`` of /proc/loadavg, ~1 µs); while it stands still no process has started and
the tick is done. Otherwise (and at least every :data:`FULL_SCAN_SECONDS`) it lists the pids,
takes the set difference with the previous list and examines only the new pids: name,
executable and command line, matched by the OS's rules (``platform.*.app_matches``).

**Trees.** A launch is frozen as a tree: the first matched process (the root) and its
descendants — those that exist when it is frozen and those that appear later while it waits —
are all stopped, and the decision applies to all of them (Electron apps start ``--type=zygote``,
``renderer`` and ``gpu`` helpers). A second launch of the same app while the first waits joins
the same :class:`GatedProcess`, so there is one dialog per app. After "Open anyway" the tree is
*allowed*: its new helpers run freely, but a fresh launch is gated again. Processes that were
already running when the watcher started (or while it was paused), and their descendants, are
left alone.

**Programs that turn into the app.** A shell or launcher may exec() the app in its own pid
(``sh -c 'sleep 5 && exec signal-desktop'``, the Flatpak and Snap launch chains), and a forked
child is briefly a copy of its parent before it execs. So new processes that did not match are
looked at again (their name only) on every tick for :data:`YOUNG_SECONDS`, and known launchers
every :data:`LAUNCHER_RECHECK_SECONDS` while they live.

**Never frozen forever.** A :class:`GatedProcess` without an outcome for ``freeze_timeout``
seconds is resumed with a log line (the dialog calls :meth:`AppGate.hold` while it is on screen,
e.g. during a long countdown). If ``on_gated`` raises, the app is resumed at once. Apps of a
gated kind found frozen when the watcher starts (left by a crashed tray) are resumed.
:meth:`AppGate.close` resumes whatever still waits. Processes that vanish, zombies, reused pids
(told apart by their create time, and every signal checks it) and processes the OS will not let
us read or stop are skipped, never fatal.

**Ending.** :meth:`AppGate.end` returns at once: it sends SIGTERM (then SIGCONT, so a frozen
process can act on it) and later ticks send SIGKILL to whatever is still alive after
``end_grace`` seconds.

Logs name the executable file and the pid only: never command lines or paths (they can hold a
user name or a contact's details).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Final, Protocol

from nocontact_desktop.core.app_gate.rules import (
    GatedApp,
    MatchRule,
    ProcessIdentity,
    match,
)
from nocontact_desktop.core.clock import Clock, SystemClock
from nocontact_desktop.core.lazy_import import lazy_module

if TYPE_CHECKING:
    import psutil
else:
    psutil = lazy_module("psutil")  # only the gate uses it; the helper imports this module too

DEFAULT_TICK_INTERVAL: Final = 0.1
"""Seconds between ticks: start → frozen is at most one interval plus the tick's own work."""
DEFAULT_FREEZE_TIMEOUT: Final = 120.0
DEFAULT_END_GRACE: Final = 1.0
FULL_SCAN_SECONDS: Final = 1.0
"""List pids at least this often even when the spawn counter says nothing started."""
YOUNG_SECONDS: Final = 1.0
LAUNCHER_RECHECK_SECONDS: Final = 1.0
KILL_GIVE_UP_SECONDS: Final = 10.0
"""After SIGKILL, stop waiting for a process that does not go (stuck in the kernel)."""
MAX_TREE: Final = 2000
"""Most processes one frozen launch may hold (a fork storm must not run away with us)."""
_MAX_DEPTH: Final = 64
_DEAD: Final = frozenset({"zombie", "dead"})  # psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD

log = logging.getLogger(__name__)


class ProcessSource(Protocol):
    """Where the watcher sees and touches processes: the platform module, or a fake in tests.

    Lookups raise ``psutil.NoSuchProcess`` (``ZombieProcess``) for a process that is gone and
    ``psutil.AccessDenied`` where the OS refuses. Every call that sends a signal takes the
    create time and must refuse (``NoSuchProcess``) if the pid now belongs to another process.
    """

    def list_pids(self) -> Set[int]:
        """All pids now."""
        ...

    def spawn_counter(self) -> int | None:
        """A number that changes whenever a process may have started, or None if unknown."""
        ...

    def process_identity(self, pid: int) -> ProcessIdentity:
        """What the OS tells about the process."""
        ...

    def process_exec_token(self, pid: int) -> str:
        """Cheap value that changes when the process execs another program (its name)."""
        ...

    def process_child_pids(self, pid: int) -> list[int]:
        """Direct children of the process."""
        ...

    def process_alive(self, pid: int, create_time: float) -> bool:
        """Whether that very process still runs (False for a zombie)."""
        ...

    def suspend_process(self, pid: int, create_time: float) -> None:
        """Freeze it."""
        ...

    def resume_process(self, pid: int, create_time: float) -> None:
        """Let it run again."""
        ...

    def terminate_process(self, pid: int, create_time: float) -> None:
        """Ask it to end (it may be frozen)."""
        ...

    def kill_process(self, pid: int, create_time: float) -> None:
        """End it now."""
        ...

    def gate_launcher_names(self) -> frozenset[str]:
        """Names of programs that may exec() another program later in the same pid."""
        ...




class GateState(StrEnum):
    """Where a gated launch stands."""

    FROZEN = "frozen"
    """Stopped, waiting for the user's decision."""
    RESUMED = "resumed"
    """"Open anyway": running again."""
    ENDING = "ending"
    """"Close": asked to end; what is still alive after the grace period is killed."""
    ENDED = "ended"
    GONE = "gone"
    """It exited (or was ended by someone else) while it waited."""
    RELEASED = "released"
    """No decision within the time limit (or the dialog failed): resumed by the safety net."""


@dataclass(eq=False)
class GatedProcess:
    """One gated launch of an app: the matched process (``pid``) and its frozen tree.

    ``frozen_at`` and ``deadline`` are on the gate clock's monotonic scale. Read-only for
    callers; the gate updates ``state``.
    """

    app: GatedApp
    pid: int
    create_time: float
    exe_name: str
    frozen_at: float
    deadline: float
    state: GateState = GateState.FROZEN
    members: dict[int, float] = field(default_factory=dict)
    killed: bool = False

    @property
    def pids(self) -> tuple[int, ...]:
        """The pids this launch holds (the matched process first)."""
        return tuple(sorted(self.members, key=lambda pid: (pid != self.pid, pid)))

    @property
    def waiting(self) -> bool:
        """Whether it is frozen and waiting for a decision."""
        return self.state is GateState.FROZEN


@dataclass
class GateStats:
    """Counters for benchmarks and diagnostics."""

    ticks: int = 0
    quiet_ticks: int = 0
    scans: int = 0
    examined: int = 0
    rechecked: int = 0
    frozen: int = 0
    released: int = 0
    denied: int = 0
    errors: int = 0


@dataclass(slots=True)
class _Watch:
    create_time: float
    token: str
    young_until: float
    launcher: bool
    next_check: float


class AppGate:
    """Freezes gated apps as they start; see the module docstring for the rules.

    ``apps_provider`` returns the apps to gate; it is called on every tick, so it should
    return a kept list (an empty list turns the watcher off). ``on_gated`` is called (from
    :meth:`tick`, outside the gate's lock) once per frozen launch; ``on_settled`` when a
    waiting launch stops waiting without :meth:`resume`/:meth:`end` (state ``GONE`` or
    ``RELEASED``) so that its dialog can close. Public methods may be called from any thread.
    """

    def __init__(
        self,
        apps_provider: Callable[[], Sequence[GatedApp]],
        on_gated: Callable[[GatedProcess], None],
        *,
        process_source: ProcessSource,
        rules: MatchRule,
        clock: Clock | None = None,
        freeze_timeout: float = DEFAULT_FREEZE_TIMEOUT,
        end_grace: float = DEFAULT_END_GRACE,
        on_settled: Callable[[GatedProcess], None] | None = None,
        release_leftovers: bool = True,
    ) -> None:
        if freeze_timeout <= 0 or end_grace < 0:
            raise ValueError("freeze_timeout must be positive and end_grace not negative")
        self._apps_provider = apps_provider
        self._on_gated = on_gated
        self._on_settled = on_settled
        self._source = process_source
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._rules = rules
        self.freeze_timeout = freeze_timeout
        self.end_grace = end_grace
        self.stats = GateStats()
        self._lock = threading.RLock()
        self._own_pid = os.getpid()
        self._launchers = self._source.gate_launcher_names()
        self._leftovers_pending = release_leftovers
        self._paused_until: datetime | None = None
        # Pids seen at the last listing; None = take a new baseline (start, after a pause).
        self._known: set[int] | None = None
        self._baseline: set[int] = set()
        self._last_counter: int | None = None
        self._counter_trusted = True
        self._next_full_scan = 0.0
        self._groups: list[GatedProcess] = []
        self._member_of: dict[int, GatedProcess] = {}
        self._allowed: dict[int, tuple[float, str]] = {}  # pid -> (create time, app id)
        self._ignored: dict[int, float] = {}  # could not be frozen (permission)
        self._watch: dict[int, _Watch] = {}
        self._failures: dict[str, int] = {}

    # --- public -------------------------------------------------------------------------

    def tick(self) -> None:
        """One scan: look after waiting launches, then find and freeze new gated processes."""
        notices: list[Callable[[], None]] = []
        with self._lock:
            now = self._clock.monotonic()
            self.stats.ticks += 1
            if self._groups:
                self._guard("look after frozen apps", self._look_after_groups, now, notices)
            if self._is_paused():
                self._forget_scan_state()
            else:
                self._guard("scan", self._scan, now, notices)
        for notice in notices:
            notice()

    def resume(self, gp: GatedProcess) -> bool:
        """ "Open anyway": let the launch run. False if it no longer waits (gone, released…)."""
        with self._lock:
            if gp.state is not GateState.FROZEN:
                return False
            self._continue(gp, GateState.RESUMED)
            log.info("app gate: pid %d opened anyway", gp.pid)
            return True

    def end(self, gp: GatedProcess) -> None:
        """ "Close": end the launch's processes (SIGTERM now, SIGKILL after ``end_grace``).

        Returns at once; later ticks finish the job. Also works after a resume or release.
        """
        with self._lock:
            if gp.state in (GateState.ENDING, GateState.ENDED, GateState.GONE):
                return
            if gp.state is not GateState.FROZEN:  # resumed or released: it was allowed
                for pid in gp.members:
                    self._allowed.pop(pid, None)
                self._groups.append(gp)
                for pid in gp.members:
                    self._member_of[pid] = gp
            gp.state = GateState.ENDING
            gp.deadline = self._clock.monotonic() + self.end_grace
            for pid, start in list(gp.members.items()):
                self._signal(gp, pid, start, self._source.terminate_process)
            log.info("app gate: pid %d closed", gp.pid)
            if not gp.members:
                self._finish(gp, GateState.ENDED)

    def hold(self, gp: GatedProcess) -> None:
        """The dialog for ``gp`` is still on screen: restart its safety-net timer."""
        with self._lock:
            if gp.state is GateState.FROZEN:
                gp.deadline = self._clock.monotonic() + self.freeze_timeout

    def pause_until(self, until: datetime | None) -> None:
        """Let apps start freely until ``until`` (aware datetime); ``None`` gates again now.

        Processes started during the pause count as already running afterwards. Launches that
        already wait for a decision keep waiting.
        """
        if until is not None and until.tzinfo is None:
            raise ValueError("pause_until needs an aware datetime")
        with self._lock:
            self._paused_until = until
            if until is not None:
                self._forget_scan_state()
                log.info("app gate: paused")
            else:
                log.info("app gate: on again")

    @property
    def paused(self) -> bool:
        """Whether the gate is paused now."""
        with self._lock:
            return self._is_paused()

    @property
    def paused_until(self) -> datetime | None:
        """When the current pause ends, or None."""
        with self._lock:
            return self._paused_until if self._is_paused() else None

    def waiting(self) -> list[GatedProcess]:
        """Launches that are frozen and wait for a decision."""
        with self._lock:
            return [gp for gp in self._groups if gp.state is GateState.FROZEN]

    def close(self) -> None:
        """Shut down: resume every launch still waiting and kill those being ended."""
        with self._lock:
            for gp in list(self._groups):
                if gp.state is GateState.FROZEN:
                    self._continue(gp, GateState.RELEASED)
                    log.info("app gate: pid %d resumed on shutdown", gp.pid)
                elif gp.state is GateState.ENDING:
                    for pid, start in list(gp.members.items()):
                        self._signal(gp, pid, start, self._source.kill_process)
                    self._finish(gp, GateState.ENDED)

    def run_in_thread(self, interval: float = DEFAULT_TICK_INTERVAL) -> GateThread:
        """Tick in a background thread (benchmarks, tools; the tray app uses a QTimer)."""
        return GateThread(self, interval)

    # --- scanning -----------------------------------------------------------------------

    def _scan(self, now: float, notices: list[Callable[[], None]]) -> None:
        apps = tuple(self._apps_provider())
        if not apps:
            self._forget_scan_state()
            return
        source = self._source
        counter = source.spawn_counter() if self._counter_trusted else None
        if self._known is None:
            self._take_baseline(source.list_pids(), apps, now)
            self._last_counter = counter
            return
        if self._watch:
            self._recheck(now, apps, notices)
        if counter is not None and counter == self._last_counter and now < self._next_full_scan:
            self.stats.quiet_ticks += 1
            return
        pids = set(source.list_pids())
        self.stats.scans += 1
        self._next_full_scan = now + FULL_SCAN_SECONDS
        new = pids - self._known
        gone = self._known - pids
        if (
            new
            and counter is not None
            and counter == self._last_counter
            and source.spawn_counter() == counter  # not a start between reading and listing
        ):
            # Processes started though the counter stood still (a /proc of another pid
            # namespace, a faked loadavg): list pids on every tick from now on.
            self._counter_trusted = False
            log.info("app gate: spawn counter unreliable here; listing processes every tick")
        self._known = pids
        self._last_counter = counter
        for pid in gone:
            self._forget(pid)
        if new:
            self._examine(new, now, apps, notices)

    def _take_baseline(self, pids: Iterable[int], apps: Sequence[GatedApp], now: float) -> None:
        """Note what runs now: it is left alone, except launchers, which are watched."""
        self._known = set(pids)
        self._baseline = set(self._known)
        self._watch.clear()
        self._next_full_scan = now + FULL_SCAN_SECONDS
        stopped: dict[int, ProcessIdentity] = {}
        for pid in self._known:
            if pid == self._own_pid:
                continue
            try:
                ident = self._source.process_identity(pid)
            except (psutil.Error, OSError, ValueError):
                continue
            if ident.name in self._launchers:
                self._watch[pid] = _Watch(
                    create_time=ident.create_time,
                    token=ident.name,
                    young_until=now,
                    launcher=True,
                    next_check=now + LAUNCHER_RECHECK_SECONDS,
                )
            if ident.status == "stopped":  # psutil.STATUS_STOPPED
                stopped[pid] = ident
        if self._leftovers_pending:
            self._leftovers_pending = False
            self._release_leftovers(stopped, apps)

    def _forget_scan_state(self) -> None:
        self._known = None
        self._watch.clear()

    def _examine(
        self,
        pids: Iterable[int],
        now: float,
        apps: Sequence[GatedApp],
        notices: list[Callable[[], None]],
    ) -> None:
        found: list[ProcessIdentity] = []
        for pid in pids:
            if pid == self._own_pid:
                continue
            ident = self._identify(pid)
            if ident is None:
                continue
            known_start = self._remembered_start(pid)
            if known_start is not None:
                if known_start == ident.create_time:
                    continue  # the same process as before, not a new one
                self._forget(pid)  # a reused pid: what we knew was about another process
            found.append(ident)
        if found:
            self._place(found, now, apps, notices)

    def _identify(self, pid: int) -> ProcessIdentity | None:
        self.stats.examined += 1
        try:
            ident = self._source.process_identity(pid)
        except psutil.NoSuchProcess:  # gone already (ZombieProcess is a NoSuchProcess)
            return None
        except psutil.AccessDenied:
            self.stats.denied += 1
            return None
        except (psutil.Error, OSError, ValueError):
            self.stats.errors += 1
            return None
        if ident.status in _DEAD:
            return None
        return ident

    def _remembered_start(self, pid: int) -> float | None:
        group = self._member_of.get(pid)
        if group is not None:
            return group.members.get(pid)
        if pid in self._allowed:
            return self._allowed[pid][0]
        if pid in self._ignored:
            return self._ignored[pid]
        watch = self._watch.get(pid)
        return watch.create_time if watch is not None else None

    def _forget(self, pid: int) -> None:
        self._baseline.discard(pid)
        self._allowed.pop(pid, None)
        self._ignored.pop(pid, None)
        self._watch.pop(pid, None)
        group = self._member_of.pop(pid, None)
        if group is not None:
            group.members.pop(pid, None)

    def _place(
        self,
        found: list[ProcessIdentity],
        now: float,
        apps: Sequence[GatedApp],
        notices: list[Callable[[], None]],
    ) -> None:
        """Decide about new processes, each parent before its children."""
        batch = {ident.pid: ident for ident in found}
        done: set[int] = set()
        for ident in sorted(found, key=lambda i: (i.create_time, i.pid)):
            chain = [ident]
            parent = batch.get(ident.ppid)
            while parent is not None and parent.pid not in done and len(chain) < _MAX_DEPTH:
                chain.append(parent)
                parent = batch.get(parent.ppid)
            for member in reversed(chain):
                if member.pid not in done:
                    done.add(member.pid)
                    self._consider(member, now, apps, notices)

    def _consider(
        self,
        ident: ProcessIdentity,
        now: float,
        apps: Sequence[GatedApp],
        notices: list[Callable[[], None]],
    ) -> None:
        parent_group = self._member_of.get(ident.ppid)
        if parent_group is not None:
            self._join(parent_group, ident)
            return
        app = match(ident, apps, rules=self._rules)
        allowed_parent = self._allowed.get(ident.ppid)
        if allowed_parent is not None and (app is None or app.id == allowed_parent[1]):
            self._allowed[ident.pid] = (ident.create_time, allowed_parent[1])
            return
        if app is None:
            self._watch_later(ident, now)
            return
        verdict, found = self._ancestry(ident, app)
        if verdict == "allowed":
            self._allowed[ident.pid] = (ident.create_time, app.id)
        elif verdict == "ignored":
            self._ignored[ident.pid] = ident.create_time
        elif isinstance(found, GatedProcess):
            self._join(found, ident)
        else:
            root = found if isinstance(found, ProcessIdentity) else ident
            group = self._gate(root, app, now, notices)
            if group is not None and root is not ident and ident.pid not in self._member_of:
                self._join(group, ident)

    def _ancestry(
        self, ident: ProcessIdentity, app: GatedApp
    ) -> tuple[str, GatedProcess | ProcessIdentity | None]:
        """Whether a matched process belongs to an instance of its app that we know of.

        ("allowed", None): a descendant of an allowed or already-running instance;
        ("ignored", None): a descendant of an instance we are not permitted to freeze;
        ("group", gp): a descendant of a frozen launch; ("root", ancestor): an ancestor is
        the app but started unnoticed (it exec'd the app after we looked), so it is the root;
        ("root", None): this process is the root.
        """
        pid, depth = ident.ppid, 0
        while pid > 1 and depth < _MAX_DEPTH:
            group = self._member_of.get(pid)
            if group is not None:
                return "group", group
            allowed = self._allowed.get(pid)
            if allowed is not None:
                return ("allowed", None) if allowed[1] == app.id else ("root", None)
            if pid in self._ignored:
                return "ignored", None
            ancestor = self._identify(pid)
            if ancestor is None:
                break
            if match(ancestor, (app,), rules=self._rules) is not None:
                if pid in self._baseline:
                    self._allowed[pid] = (ancestor.create_time, app.id)
                    return "allowed", None
                return "root", ancestor
            pid, depth = ancestor.ppid, depth + 1
        return "root", None

    def _gate(
        self,
        root: ProcessIdentity,
        app: GatedApp,
        now: float,
        notices: list[Callable[[], None]],
    ) -> GatedProcess | None:
        """Freeze a matched process and its existing descendants; tell the tray if new."""
        try:
            self._source.suspend_process(root.pid, root.create_time)
        except psutil.NoSuchProcess:
            return None
        except (psutil.AccessDenied, psutil.Error, OSError):
            self._ignored[root.pid] = root.create_time
            self.stats.denied += 1
            log.info("app gate: cannot freeze pid %d: not permitted", root.pid)
            return None
        frozen_at = self._clock.monotonic()
        self.stats.frozen += 1
        self._watch.pop(root.pid, None)
        group = next(
            (g for g in self._groups if g.app.id == app.id and g.state is GateState.FROZEN),
            None,
        )
        fresh = group is None
        if group is None:
            group = GatedProcess(
                app=app,
                pid=root.pid,
                create_time=root.create_time,
                exe_name=root.exe_name,
                frozen_at=frozen_at,
                deadline=frozen_at + self.freeze_timeout,
            )
            self._groups.append(group)
        group.members[root.pid] = root.create_time
        self._member_of[root.pid] = group
        self._freeze_descendants(group, root.pid)
        if fresh:
            log.info("app gate: froze pid %d", root.pid)
            notices.append(partial(self._notify_gated, group))
        else:
            log.info("app gate: pid %d joins a launch that waits", root.pid)
        return group

    def _freeze_descendants(self, group: GatedProcess, root_pid: int) -> None:
        queue = [root_pid]
        while queue and len(group.members) < MAX_TREE:
            parent = queue.pop()
            try:
                children = self._source.process_child_pids(parent)
            except (psutil.Error, OSError):
                continue
            for child in children:
                if child in self._member_of or child == self._own_pid:
                    continue
                ident = self._identify(child)
                if ident is not None and ident.ppid == parent and self._join(group, ident):
                    queue.append(child)

    def _join(self, group: GatedProcess, ident: ProcessIdentity) -> bool:
        """Add a process to a launch: frozen if it waits, asked to end if it is ending."""
        if len(group.members) >= MAX_TREE:
            return False
        action = (
            self._source.terminate_process
            if group.state is GateState.ENDING
            else self._source.suspend_process
        )
        try:
            action(ident.pid, ident.create_time)
        except psutil.NoSuchProcess:
            return False
        except (psutil.AccessDenied, psutil.Error, OSError):
            self._ignored[ident.pid] = ident.create_time
            self.stats.denied += 1
            return False
        self._watch.pop(ident.pid, None)
        group.members[ident.pid] = ident.create_time
        self._member_of[ident.pid] = group
        return True

    def _watch_later(self, ident: ProcessIdentity, now: float) -> None:
        """Look again at a process that may still exec() a gated app in its own pid."""
        if ident.exe is None and not ident.cmdline:
            return  # a kernel thread, or nothing we could read anyway
        self._watch[ident.pid] = _Watch(
            create_time=ident.create_time,
            token=ident.name,
            young_until=now + YOUNG_SECONDS,
            launcher=ident.name in self._launchers,
            next_check=now,
        )

    def _recheck(
        self, now: float, apps: Sequence[GatedApp], notices: list[Callable[[], None]]
    ) -> None:
        changed: list[ProcessIdentity] = []
        for pid, watch in list(self._watch.items()):
            if now < watch.next_check:
                continue
            self.stats.rechecked += 1
            try:
                token = self._source.process_exec_token(pid)
            except (psutil.Error, OSError, ValueError):
                del self._watch[pid]
                continue
            if token != watch.token:
                del self._watch[pid]
                ident = self._identify(pid)
                if ident is not None:
                    changed.append(ident)
            elif now >= watch.young_until and not watch.launcher:
                del self._watch[pid]
            else:
                young = now < watch.young_until
                watch.next_check = now if young else now + LAUNCHER_RECHECK_SECONDS
        if changed:
            self._place(changed, now, apps, notices)

    def _release_leftovers(
        self, stopped: dict[int, ProcessIdentity], apps: Sequence[GatedApp]
    ) -> None:
        """Resume gated apps (and their stopped descendants) that an earlier run left frozen."""
        roots = {
            pid
            for pid, ident in stopped.items()
            if match(ident, apps, rules=self._rules) is not None
        }
        for pid, ident in stopped.items():
            ancestor, depth = ident, 0
            while ancestor.pid not in roots and ancestor.ppid in stopped and depth < _MAX_DEPTH:
                ancestor, depth = stopped[ancestor.ppid], depth + 1
            if ancestor.pid not in roots:
                continue
            try:
                self._source.resume_process(pid, ident.create_time)
            except (psutil.Error, OSError):
                continue
            log.warning(
                "app gate: %s (pid %d) was left frozen by an earlier run; resumed it",
                ident.exe_name,
                pid,
            )

    # --- waiting launches ---------------------------------------------------------------

    def _look_after_groups(self, now: float, notices: list[Callable[[], None]]) -> None:
        for group in list(self._groups):
            for pid, start in list(group.members.items()):
                if not self._source.process_alive(pid, start):
                    group.members.pop(pid, None)
                    self._member_of.pop(pid, None)
            if group.state is GateState.FROZEN:
                if not group.members:
                    self._finish(group, GateState.GONE)
                    log.info("app gate: pid %d exited while frozen", group.pid)
                    notices.append(partial(self._notify_settled, group))
                elif now >= group.deadline:
                    self._continue(group, GateState.RELEASED)
                    log.warning(
                        "app gate: no decision for pid %d within %.0f s; resumed it",
                        group.pid,
                        self.freeze_timeout,
                    )
                    notices.append(partial(self._notify_settled, group))
            elif group.state is GateState.ENDING:
                if not group.members:
                    self._finish(group, GateState.ENDED)
                elif now >= group.deadline and not group.killed:
                    group.killed = True
                    group.deadline = now + KILL_GIVE_UP_SECONDS
                    for pid, start in list(group.members.items()):
                        self._signal(group, pid, start, self._source.kill_process)
                elif now >= group.deadline:
                    log.warning(
                        "app gate: %s (pid %d) does not end even when killed; giving up",
                        group.exe_name,
                        group.pid,
                    )
                    self._finish(group, GateState.ENDED)

    def _continue(self, group: GatedProcess, state: GateState) -> None:
        """Resume every process of a waiting launch and allow its tree from now on."""
        for pid, start in list(group.members.items()):
            self._signal(group, pid, start, self._source.resume_process)
        if state is GateState.RELEASED:
            self.stats.released += 1
        self._finish(group, state)
        for pid, start in group.members.items():
            self._allowed[pid] = (start, group.app.id)

    def _signal(
        self, group: GatedProcess, pid: int, start: float, action: Callable[[int, float], None]
    ) -> None:
        try:
            action(pid, start)
        except psutil.NoSuchProcess:
            group.members.pop(pid, None)
            self._member_of.pop(pid, None)
        except (psutil.Error, OSError) as error:
            log.warning("app gate: pid %d of pid %d: %s", pid, group.pid, type(error).__name__)

    def _finish(self, group: GatedProcess, state: GateState) -> None:
        group.state = state
        if group in self._groups:
            self._groups.remove(group)
        for pid in group.members:
            if self._member_of.get(pid) is group:
                del self._member_of[pid]

    def _notify_gated(self, group: GatedProcess) -> None:
        try:
            self._on_gated(group)
        except Exception as error:  # a failed dialog must not leave the app frozen
            with self._lock:
                if group.state is GateState.FROZEN:
                    self._continue(group, GateState.RELEASED)
            log.error(
                "app gate: showing the dialog for pid %d failed (%s); resumed it",
                group.pid,
                type(error).__name__,
            )

    def _notify_settled(self, group: GatedProcess) -> None:
        if self._on_settled is None:
            return
        try:
            self._on_settled(group)
        except Exception as error:  # the watcher must keep running
            log.error("app gate: on_settled failed (%s)", type(error).__name__)

    # --- helpers ------------------------------------------------------------------------

    def _is_paused(self) -> bool:
        until = self._paused_until
        if until is None:
            return False
        if self._clock.now() < until:
            return True
        self._paused_until = None
        log.info("app gate: pause over")
        return False

    def _guard(self, what: str, step: Callable[..., None], *args: object) -> None:
        """Run one step of a tick; a failure is logged (rarely) and never escapes."""
        try:
            step(*args)
        except Exception as error:  # a tick must never crash the tray app
            self.stats.errors += 1
            count = self._failures[what] = self._failures.get(what, 0) + 1
            if count in (1, 10, 100) or count % 1000 == 0:
                log.error(
                    "app gate: %s failed (%s), %d time(s)",
                    what,
                    type(error).__name__,
                    count,
                    exc_info=count == 1,
                )


class GateThread:
    """Ticks an :class:`AppGate` every ``interval`` seconds in a daemon thread until stopped."""

    def __init__(self, gate: AppGate, interval: float) -> None:
        self.gate = gate
        self.interval = interval
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="app-gate", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        # time.sleep wakes up for about half the CPU of Event.wait(timeout) (measured); the
        # price is that stop() may wait up to one interval.
        due = time.monotonic()
        while not self._stop.is_set():
            due += self.interval
            time.sleep(max(0.0, due - time.monotonic()))
            if self._stop.is_set():
                break
            self.gate.tick()
            if time.monotonic() - due > self.interval:
                due = time.monotonic()  # fell behind (suspended laptop): do not catch up

    def stop(self) -> None:
        """Stop ticking and wait (at most about one interval) for the thread to finish."""
        self._stop.set()
        self.thread.join()
