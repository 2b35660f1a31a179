"""The privileged helper: one asyncio loop that keeps the hosts-file section honest.

It does exactly what DESIGN §2 allows:

- keeps the managed section of the hosts file equal to *blocklist minus active passes*
  (written atomically by :mod:`nocontact_desktop.core.blocking.hosts_section` /
  :mod:`nocontact_desktop.core.atomic_file`, then the OS DNS cache is flushed);
- notices when the file is changed behind its back (a cheap ``stat`` every
  ``tamper_check_interval`` seconds; device, inode, size, mtime and ctime — ctime no user can
  set back — so the content is read only when the file changed, plus a safety-net read every
  ten minutes) and puts the section back, announcing ``tamper_restored``. A 100k-line
  community block list as the hosts file then costs one ``stat`` a second when idle;
- refuses to write a hosts file that another user could redirect (a folder or file others
  may write, see :mod:`nocontact_desktop.core.blocking.hosts_safety`);
- keeps in-place writes (a bind-mounted hosts file cannot be renamed over) crash-safe with a
  journal in its state folder (the last good and the intended content), and repairs from it
  at start, so a ``kill -9`` at any moment leaves exactly the old or the new file;
- runs the loopback :class:`~nocontact_desktop.helper.listener.Listener` and turns each hit
  on a name in the section into a ``blocked_hit`` event;
- expires passes on time: a ``loop.call_at`` timer on the monotonic clock, plus a wall-clock
  check on every tick, because the monotonic clock stops while the machine sleeps.

It also holds the person's **commitment** (DESIGN §4a): the delay that every loosening waits
for, the pass limits, and the pending changes. Due times are counted on a trusted elapsed
counter that only a clock including suspend advances (``core/commitment/elapsed.py``), so
setting the wall clock forward never makes a pending change due. Passes need a finished
reflect countdown (``begin_reflect``), a length within the limit and one of the day's passes.

State (blocklist, passes with absolute UTC expiry) lives in ``state_dir/state.json``
(0600, written atomically), so blocks survive a restart and a pass that ran out while the
helper was down is blocked again at once. If the state file is missing or unreadable the
names already in the hosts-file section are kept (fail closed).

On a clean stop (SIGTERM/SIGINT) the section is left in place and names on a pass are put
back: nothing can expire a pass while the helper is not running, so it must not leave a
hole. Unexpired passes are remembered and resume if the helper starts again before they end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import ipaddress
import json
import logging
import os
import re
import signal
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol

from nocontact_desktop.core.atomic_file import recover_interrupted_write, write_private
from nocontact_desktop.core.blocking import hosts_section
from nocontact_desktop.core.blocking.browser_policies import PolicyFile
from nocontact_desktop.core.blocking.domains import normalize_domain
from nocontact_desktop.core.clock import BootClock, Clock, SystemClock
from nocontact_desktop.core.commitment.elapsed import ElapsedMark, resume_elapsed
from nocontact_desktop.core.commitment.rules import (
    PASS_WINDOW_MINUTES,
    PENDING_KINDS,
    REFLECT_VALID_SECONDS,
    Commitment,
    format_duration,
    split_change,
    subject_for,
)
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.helper_link.protocol import (
    GATE_CHANGE_KINDS,
    MAX_DOMAINS,
    MAX_PASS_MINUTES,
    PROTOCOL_VERSION,
    BeginReflect,
    CancelPending,
    ErrorCode,
    FinishPending,
    GetCommitment,
    GetState,
    GrantPass,
    Hello,
    HoldGateChange,
    Ping,
    ProtocolError,
    Request,
    RevokePass,
    SetBlocklist,
    SetCommitment,
    Subscribe,
)
from nocontact_desktop.helper.browser_policies import apply_policies, remove_policies
from nocontact_desktop.helper.connection_reset import destroy_connections
from nocontact_desktop.helper.ipc_server import EventHub, IpcServer, PeerSocket
from nocontact_desktop.helper.listener import BlockedHit, Listener
from nocontact_desktop.helper.upstream_dns import UpstreamResolver

log = logging.getLogger(__name__)

STATE_FILE_NAME: Final = "state.json"
STATE_VERSION: Final = 2
READABLE_STATE_VERSIONS: Final = frozenset({1, 2})
HEARTBEAT_SECONDS: Final = 60.0  # how often the trusted clock reading is saved while idle
MAX_OUTAGES: Final = 20
MAX_PASS_GRANTS_KEPT: Final = 1000
STATE_DIR_MODE: Final = 0o700
STATE_FILE_MODE: Final = 0o600
HOSTS_JOURNAL_NAME: Final = "hosts-write.journal"
# The stat signature (with ctime) catches every change; this full read is only a safety net.
FULL_CHECK_EVERY_TICKS: Final = 600


# Newly blocked names whose real addresses are looked up to end kept-alive connections.
MAX_RESET_NAMES = 64
# The second round of ending them, after browsers' DNS caches let go of the real address.
RESET_AGAIN_SECONDS = 2.5


class HelperStartError(RuntimeError):
    """The helper cannot start (state dir unsafe, hosts file unwritable, socket busy)."""


@dataclass(frozen=True)
class HelperConfig:
    """Everything the helper is told at start; never changed by a client.

    ``listen_addresses`` are both where the listener binds and what every blocked name maps
    to in the hosts file, so they must be loopback addresses. ``pass_minute_seconds`` is a
    test knob (see ``--pass-minute-seconds`` in :mod:`nocontact_desktop.helper.main`): how
    many seconds one helper "minute" lasts — of a pass, of the commitment delay and of the
    day that limits the number of passes. It may only shorten them (0 < value <= 60).
    """

    hosts_file: Path
    socket_path: Path
    state_dir: Path
    listen_addresses: tuple[str, ...] = ("127.0.0.1", "::1")
    http_port: int = 80
    https_port: int = 443
    allowed_uids: frozenset[int] = frozenset()
    tamper_check_interval: float = 1.0
    listener_enabled: bool = True
    ipc_read_timeout: float = 10.0
    pass_minute_seconds: float = 60.0

    @classmethod
    def platform_defaults(cls, **overrides: Any) -> HelperConfig:
        """This OS's hosts file, socket and state folder, with ``overrides`` applied."""
        from nocontact_desktop import platform  # noqa: PLC0415 - OS code only when asked

        here = platform.current()
        values: dict[str, Any] = {
            "hosts_file": here.helper_hosts_path(),
            "socket_path": here.helper_socket_path(),
            "state_dir": here.helper_state_dir(),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        if not self.listen_addresses:
            raise BadInput("[] is not a valid listen address list: empty")
        for address in self.listen_addresses:
            try:
                parsed = ipaddress.ip_address(address)
            except ValueError:
                raise BadInput(f"{address!r} is not a valid listen address: not an IP") from None
            if not parsed.is_loopback:
                raise BadInput(f"{address!r} is not a valid listen address: not loopback")
        for port, what in ((self.http_port, "HTTP port"), (self.https_port, "HTTPS port")):
            if not 0 <= port <= 65535:
                raise BadInput(f"{port!r} is not a valid {what}: outside 0-65535")
        for uid in self.allowed_uids:
            if not 0 <= uid < 2**32 - 1:
                raise BadInput(f"{uid!r} is not a valid uid: outside 0-4294967294")
        if not 0.05 <= self.tamper_check_interval <= 60:
            raise BadInput(
                f"{self.tamper_check_interval!r} is not a valid tamper check interval: "
                "outside 0.05-60 seconds"
            )
        if not 0 < self.pass_minute_seconds <= 60:
            raise BadInput(
                f"{self.pass_minute_seconds!r} is not a valid pass minute: outside (0, 60] "
                "seconds (the knob may only shorten passes)"
            )
        if not 0 < self.ipc_read_timeout <= 300:
            raise BadInput(f"{self.ipc_read_timeout!r} is not a valid read timeout")


class ListenerLike(Protocol):
    """What the daemon needs from a listener (the real one or a test double)."""

    async def start(self) -> None:
        """Bind and accept."""
        ...

    async def stop(self) -> None:
        """Stop accepting."""
        ...

    @property
    def bound(self) -> list[tuple[str, int]]:
        """Bound (address, port) pairs."""
        ...


ListenerFactory = Callable[
    [HelperConfig, Callable[[str], str | None], Callable[[BlockedHit], None], Callable[[], float]],
    ListenerLike,
]


def default_listener_factory(
    config: HelperConfig,
    lookup: Callable[[str], str | None],
    on_hit: Callable[[BlockedHit], None],
    monotonic: Callable[[], float],
) -> ListenerLike:
    """The real loopback listener on the configured addresses and ports."""
    return Listener(
        # Both families always: the hosts file maps every name to both (DESIGN §4); an
        # address this machine lacks is skipped by the listener.
        addresses=hosts_section.with_both_families(config.listen_addresses),
        http_port=config.http_port,
        https_port=config.https_port,
        lookup=lookup,
        on_hit=on_hit,
        clock=monotonic,
    )


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, e.g. ``2026-03-07T09:00:00.000+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass
class _Pass:
    expires_at: datetime  # wall clock, UTC, persisted
    deadline: float  # loop.time() at which it ends (monotonic)


@dataclass
class _Stat:
    signature: tuple[int, int, int, int, int] | None = None


@dataclass(frozen=True)
class SyncResult:
    """What a hosts-file sync found and did."""

    changed: bool
    found_state: str
    signature: tuple[int, int, int, int, int] | None = None


@dataclass
class _Pending:
    """A loosening change waiting for its due time (``due``: trusted elapsed seconds)."""

    id: int
    kind: str  # one of PENDING_KINDS
    subject: str
    due: float
    domains: tuple[str, ...] = ()  # unblock: the names that come off the list
    key: str | None = None  # a commitment value: its wire name...
    value: int | None = None  # ...and the value it becomes (gate_pause: its minutes)
    app: str | None = None  # gate_remove: the gated app's id
    ready: bool = False  # a gate change that came due: the client applies it, then finishes


@dataclass
class _Reflect:
    started: float  # trusted elapsed seconds
    countdown: float


@dataclass
class _LoadedState:
    blocklist: frozenset[str] = frozenset()
    passes: dict[str, datetime] = field(default_factory=dict)
    source: str = "empty"
    commitment: Commitment = field(default_factory=Commitment)
    pending: list[_Pending] = field(default_factory=list)
    next_pending_id: int = 1
    mark: ElapsedMark | None = None
    pass_grants: list[float] = field(default_factory=list)
    outages: list[dict[str, str | None]] = field(default_factory=list)


def _unblock_subject(domains: Iterable[str]) -> str:
    """The name people know a batch by: the one most others are under (``instagram.com``,
    not ``m.instagram.com`` or a sister domain like ``ig.me``), then the shortest."""
    batch = list(domains)

    def under(name: str) -> int:
        return sum(1 for other in batch if other.endswith("." + name))

    names = sorted(batch, key=lambda name: (-under(name), name.count("."), len(name), name))
    if not names:
        return ""
    return names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1} names)"


def _file_signature(path: Path) -> tuple[int, int, int, int, int] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _state_name(value: object) -> str:
    """A section state from hosts_section as a plain string (enum value or str)."""
    inner = getattr(value, "value", value)
    return str(inner)


class HelperDaemon:
    """The helper's state and behaviour; :meth:`run` serves until SIGTERM/SIGINT."""

    def __init__(
        self,
        config: HelperConfig,
        clock: Clock,
        *,
        peer_uid: Callable[[PeerSocket], int] | None = None,
        flush_dns: Callable[[], object] | None = None,
        listener_factory: ListenerFactory | None = default_listener_factory,
        boot_clock: BootClock | None = None,
        policy_files: Iterable[PolicyFile] = (),
    ) -> None:
        self.config = config
        # The browsers' system policy files (from the composition root, helper/main.py):
        # written while anything is blocked and the commitment keeps them on (issue 15).
        self._policy_files: tuple[PolicyFile, ...] = tuple(policy_files)
        self._policies_on: bool | None = None
        self._clock = clock
        if boot_clock is None:
            boot_clock = clock if isinstance(clock, BootClock) else SystemClock()
        self._boot = boot_clock
        if peer_uid is None or flush_dns is None:
            from nocontact_desktop import platform  # noqa: PLC0415 - only when not injected

            here = platform.current()
            peer_uid = peer_uid or here.peer_uid
            flush_dns = flush_dns or here.flush_dns_cache
        self._flush_dns = flush_dns
        self._listener_factory = listener_factory if config.listener_enabled else None
        self.hub = EventHub()
        self._ipc = IpcServer(
            config.socket_path,
            dispatcher=self.execute,
            hub=self.hub,
            allowed_uids=config.allowed_uids,
            peer_uid=peer_uid,
            read_timeout=config.ipc_read_timeout,
        )
        self._blocklist: frozenset[str] = frozenset()
        self._passes: dict[str, _Pass] = {}
        self._active: frozenset[str] = frozenset()
        self._lock = asyncio.Lock()
        # One worker thread: file writes are serialised and never block the loop.
        self._io = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="helper-io")
        self._last_stat = _Stat()
        self._ticks_since_full_check = 0
        self._expiry_timer: asyncio.TimerHandle | None = None
        self._tick_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._listener: ListenerLike | None = None
        self._listener_error: str | None = None
        self._last_error: str | None = None
        self._started = False
        # The commitment (DESIGN §4a); see the module text.
        self._commitment = Commitment()
        self._pending: list[_Pending] = []
        self._next_pending_id = 1
        self._elapsed_base = 0.0
        self._boot_base = 0.0
        self._last_heartbeat = 0.0
        self._pass_grants: list[float] = []
        self._reflects: dict[str, _Reflect] = {}
        self._outages: list[dict[str, str | None]] = []
        self._pending_timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------------ life cycle

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Start, serve until ``stop`` is set (or SIGTERM/SIGINT when ``stop`` is None), stop."""
        stop_event = stop if stop is not None else asyncio.Event()
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        if stop is None:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop_event.set)
                installed.append(signum)
        try:
            await self.start()
            await stop_event.wait()
            log.info("helper: stopping")
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)
            await self.stop()

    async def start(self) -> None:
        """Load state, bind the socket, write the section, then serve and listen."""
        loop = asyncio.get_running_loop()
        self._prepare_state_dir()
        try:
            repaired = await loop.run_in_executor(
                self._io, recover_interrupted_write, self.config.hosts_file, self._journal
            )
        except OSError as error:
            raise HelperStartError(
                f"cannot repair {self.config.hosts_file} after an interrupted write: {error}"
            ) from error
        if repaired is not None:
            log.warning("helper: interrupted write of the hosts file found: %s", repaired)
        removed = await loop.run_in_executor(
            self._io, _remove_stale_temp_files, self.config.hosts_file
        )
        removed += await loop.run_in_executor(
            self._io, _remove_stale_temp_files, self._state_file
        )
        removed += await loop.run_in_executor(self._io, _remove_stale_temp_files, self._journal)
        if removed:
            log.info("helper: removed %d temporary files left by an interrupted write", removed)
        loaded = await loop.run_in_executor(self._io, self._load_state)
        self._blocklist = loaded.blocklist
        await self._resume_commitment(loaded)
        now = self._clock.now()
        cap = timedelta(seconds=MAX_PASS_MINUTES * self.config.pass_minute_seconds)
        for name, expires_at in loaded.passes.items():
            if name not in self._blocklist or expires_at <= now:
                continue  # ran out while the helper was down: blocked again now
            # A wall clock set back while we were down must not stretch a pass.
            remaining = min(expires_at - now, cap)
            self._passes[name] = _Pass(now + remaining, loop.time() + remaining.total_seconds())
        self._recompute_active()
        log.info(
            "helper: state loaded from %s: %d names, %d on a pass",
            loaded.source,
            len(self._blocklist),
            len(self._passes),
        )
        self._ipc.bind()  # first: it also proves no other helper is running
        try:
            async with self._lock:
                await self._save_state()
                result = await self._sync()
                await self._sync_policies()
        except Exception as error:
            await self._ipc.close()
            raise HelperStartError(f"cannot write {self.config.hosts_file}: {error}") from error
        log.info(
            "helper: hosts file %s (%s)",
            "updated" if result.changed else "already up to date",
            result.found_state,
        )
        self._schedule_expiry()
        self._schedule_pending()
        await self._start_listener()
        await self._ipc.start_serving()
        self._tick_task = asyncio.create_task(self._tick_forever(), name="helper-tick")
        self._started = True

    async def stop(self) -> None:
        """Stop serving; leave the section in place with every listed name blocked."""
        if self._tick_task is not None:
            self._tick_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick_task
            self._tick_task = None
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
            self._expiry_timer = None
        if self._pending_timer is not None:
            self._pending_timer.cancel()
            self._pending_timer = None
        await self._ipc.close()
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.stop()
            self._listener = None
        for task in list(self._background):
            task.cancel()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        if self._started:
            async with self._lock:
                self._active = self._blocklist  # no pass may outlive the helper
                try:
                    await self._save_state()  # the trusted clock reading, as late as possible
                    await self._sync()
                except Exception as error:  # keep stopping; the error is what matters
                    log.error("helper: could not restore blocks on stop: %s", error)
            self._started = False
        self._io.shutdown(wait=True)

    async def _start_listener(self) -> None:
        if self._listener_factory is None:
            return
        listener = self._listener_factory(
            self.config, self.lookup, self._on_hit, self._clock.monotonic
        )
        enable_splice = getattr(listener, "enable_splice", None)
        if enable_splice is not None:
            # Passes: names stay on loopback and the listener hands their connections through
            # to the real site, so that the pass's end can cut them all (issue 15).
            enable_splice(self.passing, UpstreamResolver().resolve)
        try:
            await listener.start()
        except OSError as error:
            # Blocking through the hosts file still works; only the dialog will not appear.
            self._listener_error = str(error)
            log.error("helper: listener not running: %s", error)
            async with self._lock:  # passes go back to taking names out of the section
                await self._sync()
            return
        self._listener = listener

    # ------------------------------------------------------------------ commands

    async def execute(self, request: Request) -> Mapping[str, Any]:
        """Run one validated command (the IPC dispatcher); :class:`ProtocolError` refuses it."""
        match request:
            case Ping():
                return {"pong": True}
            case Hello():
                return {"version": PROTOCOL_VERSION, "pid": os.getpid(), "state": self._summary()}
            case GetState():
                return await self._full_state()
            case SetBlocklist(domains):
                return await self._set_blocklist(frozenset(domains))
            case GrantPass(domains, minutes):
                return await self._grant_pass(domains, minutes)
            case RevokePass(domains):
                return await self._revoke_pass(domains)
            case GetCommitment():
                return self._commitment_view()
            case SetCommitment():
                return await self._set_commitment(request.values())
            case CancelPending(pending_id):
                return await self._cancel_pending(pending_id)
            case HoldGateChange():
                return await self._hold_gate_change(request)
            case FinishPending(pending_id):
                return await self._finish_pending(pending_id)
            case BeginReflect(domains, seconds):
                return self._begin_reflect(domains, seconds)
            case Subscribe():  # handled by the IPC server itself
                raise ProtocolError(ErrorCode.BAD_REQUEST, "subscribe is handled by the server")
        raise ProtocolError(ErrorCode.UNKNOWN_COMMAND, "unknown command")

    async def _set_blocklist(self, names: frozenset[str]) -> Mapping[str, Any]:
        """Adding is immediate; names dropped under a commitment stay until they are due."""
        cancelled: list[_Pending] = []
        added: _Pending | None = None
        async with self._lock:
            # A name asked for again cancels its pending removal (tightening is immediate).
            for entry in [p for p in self._pending if p.kind == "unblock"]:
                keep = tuple(name for name in entry.domains if name not in names)
                if not keep:
                    self._pending.remove(entry)
                    cancelled.append(entry)
                elif keep != entry.domains:
                    entry.domains = keep
                    entry.subject = _unblock_subject(keep)
            held = self._pending_unblock_names()
            newly = names - self._blocklist
            dropped = self._blocklist - names - held
            if dropped and self._delay_seconds() > 0:
                added = self._new_pending(
                    "unblock", _unblock_subject(dropped), domains=tuple(sorted(dropped))
                )
                held |= dropped
            self._blocklist = names | held
            for name in [n for n in self._passes if n not in self._blocklist]:
                del self._passes[name]  # no longer listed: nothing left to pass
                self._cut([name])
            self._recompute_active()
            await self._save_state()
            result = await self._sync_or_fail()
            await self._sync_policies()
            self._schedule_expiry()
            self._schedule_pending()
        if newly:
            self._end_kept_alive(newly)
        count = len(self._blocklist)
        log.info("helper: blocklist set: %d names (%d blocked now)", count, len(self._active))
        self._publish({"event": "blocklist_applied", "count": count, "active": len(self._active)})
        for entry in cancelled:
            self._publish({"event": "pending_cancelled", **self._public(entry)})
        if added is not None:
            self._publish({"event": "pending_added", **self._public(added)})
        return {
            "count": count,
            "active": len(self._active),
            "changed": result.changed,
            "pending": [self._public(added)] if added is not None else [],
            "held": sorted(self._pending_unblock_names()),
        }

    # ------------------------------------------------------------------ commitment

    def _minute(self) -> float:
        return self.config.pass_minute_seconds

    def _delay_seconds(self) -> float:
        return self._commitment.delay_minutes * self._minute()

    def elapsed(self) -> float:
        """Trusted elapsed seconds: advanced only by the boot-time clock (see the module)."""
        return self._elapsed_base + max(0.0, self._boot.boottime() - self._boot_base)

    def _pending_unblock_names(self) -> frozenset[str]:
        return frozenset(name for p in self._pending if p.kind == "unblock" for name in p.domains)

    def _new_pending(
        self,
        kind: str,
        subject: str,
        *,
        domains: tuple[str, ...] = (),
        key: str | None = None,
        value: int | None = None,
        app: str | None = None,
    ) -> _Pending:
        entry = _Pending(
            self._next_pending_id,
            kind,
            subject,
            self.elapsed() + self._delay_seconds(),
            domains,
            key,
            value,
            app,
        )
        self._next_pending_id += 1
        self._pending.append(entry)
        return entry

    def _public(self, entry: _Pending) -> dict[str, Any]:
        remaining = max(0.0, entry.due - self.elapsed())
        view: dict[str, Any] = {
            "id": entry.id,
            "kind": entry.kind,
            "subject": entry.subject,
            # Shown to people: wall now + what is left on the trusted clock.
            "due_at": iso_utc(self._clock.now() + timedelta(seconds=remaining)),
            "remaining_seconds": round(remaining, 1),
            "ready": entry.ready,
        }
        if entry.kind == "unblock":
            view["domains"] = list(entry.domains)
        else:
            view["value"] = entry.value
        if entry.app is not None:
            view["app"] = entry.app
        return view

    def _commitment_view(self) -> dict[str, Any]:
        used = self._passes_used()
        return {
            **self._commitment.as_dict(),
            "pending": [self._public(p) for p in sorted(self._pending, key=lambda p: p.due)],
            "passes_used": used,
            "passes_left": max(0, self._commitment.passes_per_day - used),
        }

    def _passes_used(self) -> int:
        since = self.elapsed() - PASS_WINDOW_MINUTES * self._minute()
        self._pass_grants = [at for at in self._pass_grants if at > since]
        return len(self._pass_grants)

    async def _set_commitment(self, values: Mapping[str, int]) -> Mapping[str, Any]:
        """Tighter values apply now; looser ones wait for the delay in force (DESIGN §4a)."""
        added: list[_Pending] = []
        cancelled: list[_Pending] = []
        async with self._lock:
            now_values, later, _same = split_change(self._commitment, values)
            for key, value in now_values.items():
                self._commitment = self._commitment.with_value(key, value)
                # The newest wish wins: a pending loosening of the same value is void.
                for entry in [p for p in self._pending if p.key == key]:
                    self._pending.remove(entry)
                    cancelled.append(entry)
            applied = dict(now_values)
            for key, value in later.items():
                for entry in [p for p in self._pending if p.key == key]:
                    self._pending.remove(entry)  # replaced by this request (and its own wait)
                    cancelled.append(entry)
                if self._delay_seconds() <= 0:
                    self._commitment = self._commitment.with_value(key, value)
                    applied[key] = value
                    continue
                kind = {"delay_minutes": "delay", "pass_max_minutes": "pass_max"}.get(key, key)
                added.append(
                    self._new_pending(kind, subject_for(key, value), key=key, value=value)
                )
            await self._save_state()
            await self._sync_policies()
            self._schedule_pending()
        if applied:
            log.info("helper: commitment tightened or set: %s", ", ".join(sorted(applied)))
            self._publish({"event": "commitment_changed", **self._commitment.as_dict()})
        for entry in cancelled:
            self._publish({"event": "pending_cancelled", **self._public(entry)})
        for entry in added:
            self._publish({"event": "pending_added", **self._public(entry)})
        return {
            **self._commitment_view(),
            "applied": sorted(applied),
            "added": [self._public(p) for p in added],
        }

    async def _hold_gate_change(self, request: HoldGateChange) -> Mapping[str, Any]:
        """Hold a loosening of the app gate for the delay; with none, the client goes ahead."""
        added: _Pending | None = None
        replaced: list[_Pending] = []
        async with self._lock:
            if self._delay_seconds() <= 0:
                return {**self._commitment_view(), "hold": False, "added": []}
            if request.kind == "gate_remove":
                added = next(
                    (p for p in self._pending if p.kind == "gate_remove" and p.app == request.app),
                    None,
                )  # asked before: it keeps its own, earlier, due time
                if added is None:
                    added = self._new_pending("gate_remove", request.label, app=request.app)
            else:
                # The newest wish wins: an earlier pause that has not come due is replaced.
                replaced = [p for p in self._pending if p.kind == "gate_pause" and not p.ready]
                for entry in replaced:
                    self._pending.remove(entry)
                subject = format_duration(request.minutes)
                added = self._new_pending("gate_pause", subject, value=request.minutes)
            await self._save_state()
            self._schedule_pending()
        log.info("helper: gate change %d (%s) held for the delay", added.id, added.kind)
        for entry in replaced:
            self._publish({"event": "pending_cancelled", **self._public(entry)})
        self._publish({"event": "pending_added", **self._public(added)})
        return {**self._commitment_view(), "hold": True, "added": [self._public(added)]}

    async def _finish_pending(self, pending_id: int) -> Mapping[str, Any]:
        """The client applied a ready gate change: it is done."""
        async with self._lock:
            entry = next((p for p in self._pending if p.id == pending_id), None)
            if entry is None or not entry.ready:
                raise ProtocolError(
                    ErrorCode.NOT_FOUND,
                    f"no ready gate change {pending_id}: only a gate change that came due "
                    "can be finished (see get_commitment)",
                )
            view = self._public(entry)
            self._pending.remove(entry)
            await self._save_state()
            self._schedule_pending()
        log.info("helper: gate change %d applied by the client", pending_id)
        return {"finished": view}

    async def _cancel_pending(self, pending_id: int) -> Mapping[str, Any]:
        async with self._lock:
            entry = next((p for p in self._pending if p.id == pending_id), None)
            if entry is None:
                raise ProtocolError(
                    ErrorCode.NOT_FOUND, f"no pending change {pending_id}: see get_commitment"
                )
            view = self._public(entry)
            self._pending.remove(entry)  # its names simply stay blocked
            await self._save_state()
            self._schedule_pending()
        log.info("helper: pending change %d cancelled", pending_id)
        self._publish({"event": "pending_cancelled", **view})
        return {"cancelled": view}

    def _begin_reflect(self, domains: tuple[str, ...], seconds: int) -> Mapping[str, Any]:
        now = self.elapsed()
        stale = now - seconds - REFLECT_VALID_SECONDS
        for name in [n for n, r in self._reflects.items() if r.started + r.countdown < stale]:
            del self._reflects[name]
        if len(self._reflects) + len(domains) > MAX_DOMAINS:  # bounded, oldest go first
            for name, _r in sorted(self._reflects.items(), key=lambda item: item[1].started)[
                : len(domains)
            ]:
                del self._reflects[name]
        countdown = seconds * self._minute() / 60.0  # the test knob shortens it too
        for name in domains:
            self._reflects[name] = _Reflect(now, countdown)
        ready = self._clock.now() + timedelta(seconds=countdown)
        return {"domains": list(domains), "countdown_seconds": seconds, "ready_at": iso_utc(ready)}

    def _check_pass_allowed(self, domains: tuple[str, ...], minutes: int) -> None:
        """Refuse a pass over the limit, over the day's number, or before the countdown."""
        limit = self._commitment.pass_max_minutes
        if minutes > limit:
            raise ProtocolError(
                ErrorCode.PASS_TOO_LONG,
                f"a pass of {minutes} minutes is longer than your commitment allows "
                f"({limit} minutes); raising the limit waits for your commitment delay",
            )
        used = self._passes_used()
        if used >= self._commitment.passes_per_day:
            if self._pass_grants:
                wait = min(self._pass_grants) + PASS_WINDOW_MINUTES * self._minute()
                at = self._clock.now() + timedelta(seconds=max(0.0, wait - self.elapsed()))
                when = f"; the next one is possible at {iso_utc(at)}"
            else:
                when = ""
            raise ProtocolError(
                ErrorCode.NO_PASSES_LEFT,
                f"no passes left: your commitment allows {self._commitment.passes_per_day} "
                f"a day and {used} were used in the last 24 hours{when}",
            )
        now = self.elapsed()
        for name in domains:
            reflect = self._reflects.get(name)
            ready = reflect.started + reflect.countdown if reflect is not None else None
            if reflect is None or ready is None or now - ready > REFLECT_VALID_SECONDS:
                raise ProtocolError(
                    ErrorCode.REFLECT_FIRST,
                    f"a pass starts only after the reflect countdown: {name} has none "
                    "(send begin_reflect and wait for its countdown)",
                )
            if now < ready:
                raise ProtocolError(
                    ErrorCode.REFLECT_FIRST,
                    f"a pass starts only after the reflect countdown: {name} needs "
                    f"{ready - now:.0f} more seconds",
                )

    async def _resume_commitment(self, loaded: _LoadedState) -> None:
        """Continue the trusted clock, and notice protection that was off while we were down."""
        self._commitment = loaded.commitment
        self._pending = loaded.pending
        self._next_pending_id = loaded.next_pending_id
        self._pass_grants = loaded.pass_grants[-MAX_PASS_GRANTS_KEPT:]
        self._outages = loaded.outages[-MAX_OUTAGES:]
        saved = loaded.mark
        longest = max(
            [self._delay_seconds()]
            + [p.due - saved.elapsed for p in self._pending if saved is not None]
        )
        resumed = resume_elapsed(
            saved,
            boottime=self._boot.boottime(),
            boot_id=self._boot.boot_id(),
            wall=self._clock.now(),
            cap_seconds=longest,
        )
        self._elapsed_base = resumed.elapsed
        self._boot_base = self._boot.boottime()
        self._last_heartbeat = self._boot_base
        if resumed.how != "fresh":
            log.info("helper: trusted clock resumed (%s, %.0f s credited)", resumed.how,
                     resumed.credited)
        if loaded.source != "state file":
            return
        # Names that must be in the section: at our last stop every listed name was put
        # back (passes end with the helper), so a missing one means someone removed it.
        expected = loaded.blocklist - loaded.passes.keys()
        if not expected:
            return
        loop = asyncio.get_running_loop()
        data = await loop.run_in_executor(self._io, self._read_hosts)
        on_disk = hosts_section.read_section_names(data)
        if on_disk is not None and expected <= on_disk:
            return
        outage: dict[str, str | None] = {
            "from": iso_utc(saved.wall) if saved is not None else None,
            "to": iso_utc(self._clock.now()),
            "found": _state_name(hosts_section.section_state(data)),
        }
        self._outages = [*self._outages, outage][-MAX_OUTAGES:]
        log.warning("helper: the section was removed while the helper was stopped; restoring it")

    def _schedule_pending(self) -> None:
        if self._pending_timer is not None:
            self._pending_timer.cancel()
            self._pending_timer = None
        waiting = [p.due for p in self._pending if not p.ready]
        if waiting:
            remaining = max(0.0, min(waiting) - self.elapsed())
            loop = asyncio.get_running_loop()
            # The loop's clock stops in suspend; the tick checks the trusted clock as well.
            self._pending_timer = loop.call_later(remaining + 0.001, self._on_pending_timer)

    def _on_pending_timer(self) -> None:
        self._pending_timer = None
        task = asyncio.ensure_future(self._apply_due_or_note())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _apply_due_or_note(self) -> None:
        try:
            await self._apply_due_pending()
        except Exception as error:  # the tick retries
            self._note_error("pending change", error)

    def _due_pending(self) -> list[_Pending]:
        now = self.elapsed()
        return [p for p in self._pending if p.due <= now and not p.ready]

    async def _commitment_tick(self) -> None:
        """Each tick: apply pending changes that came due; now and then save the clock."""
        if self._due_pending():
            await self._apply_due_pending()
        beat_due = self._boot.boottime() - self._last_heartbeat >= HEARTBEAT_SECONDS
        if beat_due and not self._lock.locked():
            async with self._lock:
                await self._save_state()

    async def _apply_due_pending(self) -> None:
        async with self._lock:
            due = self._due_pending()
            for entry in due:
                if entry.kind in GATE_CHANGE_KINDS:
                    entry.ready = True  # the client applies it, then finishes it
                    continue
                self._pending.remove(entry)
                if entry.kind == "unblock":
                    self._blocklist = self._blocklist - frozenset(entry.domains)
                    for name in entry.domains:
                        self._passes.pop(name, None)
                    self._cut(entry.domains)  # unblocked now: direct connections from here on
                elif entry.key is not None and entry.value is not None:
                    self._commitment = self._commitment.with_value(entry.key, entry.value)
            if due:
                self._recompute_active()
                await self._save_state()
                try:
                    await self._sync()
                except Exception as error:
                    self._note_error("hosts file", error)  # the tick retries
                await self._sync_policies()
                self._schedule_expiry()
            self._schedule_pending()
        for entry in due:
            log.info("helper: pending change %d (%s) took effect", entry.id, entry.kind)
            view = self._public(entry)
            self._publish({"event": "pending_applied", **view})

    async def _grant_pass(self, domains: tuple[str, ...], minutes: int) -> Mapping[str, Any]:
        seconds = minutes * self.config.pass_minute_seconds
        loop = asyncio.get_running_loop()
        async with self._lock:
            missing = [name for name in domains if name not in self._blocklist]
            if missing:
                shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
                raise ProtocolError(
                    ErrorCode.NOT_ON_BLOCKLIST,
                    f"not on the blocklist, so no pass is needed: {shown}",
                )
            self._check_pass_allowed(domains, minutes)
            for name in domains:
                self._reflects.pop(name, None)  # one pass per reflect moment
            self._pass_grants.append(self.elapsed())
            expires_at = self._clock.now() + timedelta(seconds=seconds)
            deadline = loop.time() + seconds
            for name in domains:
                self._passes[name] = _Pass(expires_at, deadline)
            self._recompute_active()
            await self._save_state()
            await self._sync_or_fail()
            self._schedule_expiry()
        log.info("helper: pass granted for %d names, %d minutes", len(domains), minutes)
        self._publish(
            {
                "event": "pass_started",
                "domains": list(domains),
                "minutes": minutes,
                "expires_at": iso_utc(expires_at),
            }
        )
        return {"domains": list(domains), "minutes": minutes, "expires_at": iso_utc(expires_at)}

    async def _revoke_pass(self, domains: tuple[str, ...]) -> Mapping[str, Any]:
        async with self._lock:
            ended = [name for name in domains if name in self._passes]
            for name in ended:
                del self._passes[name]
            if ended:
                self._recompute_active()
                self._cut(ended)
                await self._save_state()
                await self._sync_or_fail()
                self._schedule_expiry()
        if ended:
            log.info("helper: %d passes revoked", len(ended))
            self._publish({"event": "pass_expired", "domains": ended, "reason": "revoked"})
        return {"revoked": ended}

    def _summary(self) -> dict[str, Any]:
        return {
            "blocked": len(self._blocklist),
            "active": len(self._active),
            "passes": len(self._passes),
            "listener_running": self._listener is not None,
        }

    async def _full_state(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        data = await loop.run_in_executor(self._io, self._read_hosts)
        on_disk = hosts_section.read_section_names(data)
        now = self._clock.now()
        listener: dict[str, Any] = {
            "enabled": self.config.listener_enabled,
            "running": self._listener is not None,
            "bound": _label_bound(self._listener.bound) if self._listener else [],
            "error": self._listener_error,
        }
        stats = getattr(self._listener, "stats", None)
        if stats is not None and hasattr(stats, "as_dict"):
            listener["stats"] = stats.as_dict()
        return {
            "version": PROTOCOL_VERSION,
            "pid": os.getpid(),
            "hosts_file": str(self.config.hosts_file),
            "blocklist": sorted(self._blocklist),
            "passes": [
                {
                    "domain": name,
                    "expires_at": iso_utc(p.expires_at),
                    "remaining_seconds": max(0.0, round((p.expires_at - now).total_seconds(), 1)),
                }
                for name, p in sorted(self._passes.items())
            ],
            "section": {
                "state": _state_name(hosts_section.section_state(data)),
                "names": len(on_disk) if on_disk is not None else None,
                "matches": (on_disk or frozenset()) == self._section_names(),
            },
            "listener": listener,
            "subscribers": self.hub.subscriber_count,
            "events_dropped": self.hub.dropped_total,
            "refused_connections": self._ipc.refused,
            "last_error": self._last_error,
            "commitment": self._commitment_view(),
            "outages": list(self._outages),
        }

    # ------------------------------------------------------------------ listener

    def lookup(self, name: str) -> str | None:
        """The section entry ``name`` is (exact name; case and a trailing dot ignored)."""
        key = name.lower().rstrip(".")
        return key if key in self._active else None

    def passing(self, name: str) -> str | None:
        """The pass ``name`` is on (its listed name), or None."""
        key = name.lower().rstrip(".")
        return key if key in self._passes else None

    def _splices(self) -> bool:
        """Whether names on a pass stay in the section (the listener hands them through)."""
        return self._listener_factory is not None and self._listener_error is None

    def _section_names(self) -> frozenset[str]:
        return self._blocklist if self._splices() else self._active

    def _end_kept_alive(self, names: Iterable[str]) -> None:
        """In the background: end connections browsers kept open to newly blocked names."""
        if not self._splices():
            return  # tests without a listener, or none running: nothing to catch them
        task = asyncio.ensure_future(self._reset_connections(sorted(names)))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _reset_connections(self, names: list[str]) -> None:
        loop = asyncio.get_running_loop()
        resolver = UpstreamResolver()

        addresses: list[str] = []

        def work() -> tuple[int, int]:
            for name in names[:MAX_RESET_NAMES]:
                addresses.extend(a for a in resolver.resolve(name) if a not in addresses)
            return len(addresses), destroy_connections(addresses)

        try:
            # Not the io worker: DNS questions may take seconds and must not delay writes.
            found, destroyed = await loop.run_in_executor(None, work)
            # Once more when browsers' own DNS caches (Firefox: 1 s under our policy) can no
            # longer hold the real address: a connection opened in between ends too.
            await asyncio.sleep(RESET_AGAIN_SECONDS)
            again = await loop.run_in_executor(None, destroy_connections, addresses)
            destroyed += max(0, again)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a second line of defence: never fatal
            log.warning("helper: kept-alive connections not ended: %s", type(error).__name__)
            return
        if destroyed > 0:
            log.info("helper: %d kept-alive connections to newly blocked sites ended", destroyed)
        log.debug("helper: %d real addresses of newly blocked names looked at", found)

    def _cut(self, names: Iterable[str]) -> None:
        """End every connection handed through for these names (their pass is over)."""
        cut = getattr(self._listener, "cut", None)
        if cut is not None:
            count = cut(names)
            if count:
                log.info("helper: %d connections of ended passes cut", count)

    def _on_hit(self, hit: BlockedHit) -> None:
        age = max(0.0, self._clock.monotonic() - hit.at_monotonic)
        at = self._clock.now() - timedelta(seconds=age)
        log.debug("helper: hit (%s)", hit.protocol)  # never the name: logs are not private
        event: dict[str, Any] = {
            "event": "blocked_hit",
            "domain": hit.domain,
            "matched": hit.matched,
            "port": hit.port,
            "protocol": hit.protocol,
            "at": iso_utc(at),
        }
        if hit.path is not None:
            event["path"] = hit.path  # plain HTTP: the page that was attempted
        if hit.unlisted:
            # An ECH outer name or no SNI: "a site on your list", name unknown (DESIGN §4).
            event["unlisted"] = True
        self._publish(event)

    def _publish(self, event: dict[str, Any]) -> None:
        event.setdefault("at", iso_utc(self._clock.now()))
        self.hub.publish(event)

    # ------------------------------------------------------------------ passes

    def _recompute_active(self) -> None:
        self._active = self._blocklist - self._passes.keys()

    def _schedule_expiry(self) -> None:
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
            self._expiry_timer = None
        if self._passes:
            loop = asyncio.get_running_loop()
            deadline = min(p.deadline for p in self._passes.values())
            self._expiry_timer = loop.call_at(deadline, self._on_expiry_timer)

    def _on_expiry_timer(self) -> None:
        self._expiry_timer = None
        task = asyncio.ensure_future(self._expire_due_or_note())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _expire_due_or_note(self) -> None:
        try:
            await self._expire_due()
        except Exception as error:  # the tick retries; never lose the error silently
            self._note_error("pass expiry", error)

    def _due_passes(self) -> list[str]:
        now_mono = asyncio.get_running_loop().time()
        now = self._clock.now()
        # Whichever clock says "over" first wins: monotonic cannot be set back by a user,
        # wall clock keeps running while the machine sleeps.
        return sorted(
            name
            for name, p in self._passes.items()
            if p.deadline <= now_mono + 0.001 or p.expires_at <= now
        )

    async def _expire_due(self) -> None:
        async with self._lock:
            due = self._due_passes()
            if due:
                for name in due:
                    del self._passes[name]
                self._recompute_active()
                self._cut(due)  # at once: the hosts file is not what ends a pass
                await self._save_state()
                try:
                    await self._sync()
                except Exception as error:
                    self._note_error("hosts file", error)  # the tick retries
            self._schedule_expiry()
        if due:
            log.info("helper: %d passes expired", len(due))
            self._publish({"event": "pass_expired", "domains": due, "reason": "expired"})

    # ------------------------------------------------------------------ tamper watch

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.tamper_check_interval)
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # keep watching whatever happens
                self._note_error("tick", error)

    async def _tick(self) -> None:
        if self._due_passes():
            await self._expire_due()
        await self._commitment_tick()
        if self._lock.locked():
            return  # a command is writing right now; look again next tick
        self._ticks_since_full_check += 1
        signature = _file_signature(self.config.hosts_file)
        # The stat is enough almost always; a full compare now and then also catches an edit
        # that slipped in between our own write and our stat of it.
        full_check = self._ticks_since_full_check >= FULL_CHECK_EVERY_TICKS
        if signature == self._last_stat.signature and self._last_error is None and not full_check:
            return
        self._ticks_since_full_check = 0
        retrying = self._last_error is not None
        async with self._lock:
            result = await self._sync()
        self._last_error = None
        if retrying:
            log.info("helper: hosts file in order again after an earlier failure")
        elif result.changed:
            log.warning("helper: hosts file section was %s; restored", result.found_state)
            self._publish({"event": "tamper_restored", "found": result.found_state})

    def _note_error(self, what: str, error: BaseException) -> None:
        text = f"{what}: {error}"
        if text != self._last_error:  # log each distinct failure once, not every tick
            log.error("helper: %s", text)
        self._last_error = text

    # ------------------------------------------------------------------ hosts file

    def _read_hosts(self) -> bytes:
        try:
            return self.config.hosts_file.read_bytes()
        except FileNotFoundError:
            return b""

    async def _sync(self) -> SyncResult:
        """Make the section equal the active names (caller holds the lock)."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._io, self._sync_blocking, self._section_names())
        self._last_stat.signature = result.signature
        return result

    async def _sync_or_fail(self) -> SyncResult:
        try:
            return await self._sync()
        except Exception as error:
            self._note_error("hosts file", error)
            raise ProtocolError(
                ErrorCode.INTERNAL,
                f"could not write {self.config.hosts_file}; the helper keeps retrying",
            ) from error

    def _sync_blocking(self, names: frozenset[str]) -> SyncResult:
        path = self.config.hosts_file
        # One read per attempt; writes only on a difference (atomically, owner and mode kept,
        # verified by reading back, journaled when in place) and retries if someone edits
        # the file meanwhile. Refuses a path another user could redirect.
        outcome = hosts_section.sync_file(
            path,
            sorted(names),
            hosts_section.with_both_families(self.config.listen_addresses),
            journal=self._journal,
        )
        changed, found = outcome.changed, outcome.found
        signature = _file_signature(path)
        if changed:
            try:
                self._flush_dns()
            except Exception as error:  # a stale cache is no reason to fail the write
                log.warning("helper: DNS cache flush failed: %s", type(error).__name__)
        return SyncResult(changed, found, signature)

    # ------------------------------------------------------------------ browser policies

    def policies_wanted(self) -> bool:
        """Policies stay in place unless the commitment turned them off (``helper uninstall``
        takes them out too).

        Not only while something is listed: browsers read their policies only at start-up,
        so a browser started while the list was empty would go on routing around a block
        added later (Firefox's DNS over HTTPS) until it restarts.
        """
        return self._commitment.browser_policies == 1

    async def _sync_policies(self) -> None:
        """Write or take out the browsers' policies (caller holds the lock); never raises.

        Writing is idempotent and cheap (each file is compared first); a file that cannot be
        written is logged by :mod:`nocontact_desktop.helper.browser_policies`.
        """
        if not self._policy_files:
            return
        wanted = self.policies_wanted()
        change = apply_policies if wanted else remove_policies
        loop = asyncio.get_running_loop()
        try:
            changed = await loop.run_in_executor(
                self._io, change, self._policy_files, self.config.state_dir
            )
        except Exception as error:  # policies are a second line: blocking goes on
            self._note_error("browser policies", error)
            return
        if changed or wanted != self._policies_on:
            log.info(
                "helper: browser policies %s (%d files changed)",
                "in place" if wanted else "removed",
                len(changed),
            )
        self._policies_on = wanted

    # ------------------------------------------------------------------ state file

    @property
    def _state_file(self) -> Path:
        return self.config.state_dir / STATE_FILE_NAME

    @property
    def _journal(self) -> Path:
        return self.config.state_dir / HOSTS_JOURNAL_NAME

    def _prepare_state_dir(self) -> None:
        directory = self.config.state_dir
        try:
            os.makedirs(directory, STATE_DIR_MODE, exist_ok=True)
        except OSError as error:
            raise HelperStartError(f"cannot create state directory {directory}: {error}") from None
        info = os.lstat(directory)
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise HelperStartError(f"state directory {directory} is not a plain directory")
        if info.st_uid != os.geteuid():
            raise HelperStartError(f"state directory {directory} is owned by uid {info.st_uid}")
        if info.st_mode & 0o022:
            raise HelperStartError(f"state directory {directory} is writable by group or others")

    def _load_state(self) -> _LoadedState:
        try:
            raw = self._state_file.read_bytes()
        except FileNotFoundError:
            return self._state_from_hosts("no state file")
        try:
            return _parse_state(raw)
        except (ValueError, TypeError, KeyError, BadInput) as error:
            log.error(
                "helper: state file unreadable (%s); keeping the hosts-file section",
                type(error).__name__,
            )
            return self._state_from_hosts("unreadable state file")

    def _state_from_hosts(self, why: str) -> _LoadedState:
        names = hosts_section.read_section_names(self._read_hosts()) or frozenset()
        valid: set[str] = set()
        for name in names:
            with contextlib.suppress(BadInput):
                valid.add(normalize_domain(name))
        return _LoadedState(frozenset(valid), {}, f"hosts-file section ({why})")

    async def _save_state(self) -> None:
        loop = asyncio.get_running_loop()
        boottime = self._boot.boottime()
        self._last_heartbeat = boottime
        extra = {
            "commitment": self._commitment.as_dict(),
            "pending": [_pending_document(p) for p in self._pending],
            "next_pending_id": self._next_pending_id,
            "clock": {
                "elapsed": self.elapsed(),
                "boottime": boottime,
                "boot_id": self._boot.boot_id(),
                "wall": iso_utc(self._clock.now()),
            },
            "pass_grants": self._pass_grants[-MAX_PASS_GRANTS_KEPT:],
            "outages": self._outages[-MAX_OUTAGES:],
        }
        data = _render_state(
            self._blocklist, {n: p.expires_at for n, p in self._passes.items()}, extra
        )
        await loop.run_in_executor(
            self._io, functools.partial(write_private, mode=STATE_FILE_MODE), self._state_file, data
        )


def _remove_stale_temp_files(hosts_file: Path) -> int:
    """Delete temp files an interrupted write left next to the hosts file; how many.

    Only files named like :func:`~nocontact_desktop.core.atomic_file.write_atomic`'s
    ``mkstemp`` names them (``.hosts.XXXXXXXX.tmp``), regular (not symlinks) and owned by
    us. Called at start, when no write of ours can be running (the socket is our lock).
    """
    target = Path(os.path.realpath(hosts_file))
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp\Z")
    removed = 0
    try:
        entries = os.listdir(target.parent)
    except OSError:
        return 0
    for entry in entries:
        if not pattern.match(entry):
            continue
        path = target.parent / entry
        with contextlib.suppress(OSError):
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
                os.unlink(path)
                removed += 1
    return removed


def _label_bound(bound: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """The listener's sockets with their protocol: it binds HTTPS then HTTP per address."""
    return [
        {"address": address, "port": port, "protocol": "https" if index % 2 == 0 else "http"}
        for index, (address, port) in enumerate(bound)
    ]


def _render_state(
    blocklist: Iterable[str],
    passes: Mapping[str, datetime],
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    document = {
        "version": STATE_VERSION,
        "blocklist": sorted(blocklist),
        "passes": {name: iso_utc(at) for name, at in sorted(passes.items())},
        **(extra or {}),
    }
    return (json.dumps(document, indent=1) + "\n").encode("ascii")


def _pending_document(entry: _Pending) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "subject": entry.subject,
        "due_elapsed": entry.due,
        "domains": list(entry.domains),
        "key": entry.key,
        "value": entry.value,
        "app": entry.app,
        "ready": entry.ready,
    }


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} is not a number")
    return float(value)


def _parse_commitment_parts(document: Mapping[str, Any], loaded: _LoadedState) -> None:
    """The version 2 parts: commitment, pending changes, trusted clock, passes, outages."""
    values = document["commitment"]
    if not isinstance(values, dict):
        raise TypeError("commitment is not an object")
    # A state written before browser policies were part of the commitment: they are on.
    defaults = Commitment().as_dict()
    loaded.commitment = Commitment(**{key: values.get(key, defaults[key]) for key in defaults})
    pending: list[_Pending] = []
    raw_pending = document["pending"]
    if not isinstance(raw_pending, list):
        raise TypeError("pending is not a list")
    for item in raw_pending:
        if not isinstance(item, dict) or item.get("kind") not in PENDING_KINDS:
            raise TypeError("pending change has the wrong shape")
        key, value, app = item.get("key"), item.get("value"), item.get("app")
        if item["kind"] == "gate_remove":
            if not isinstance(app, str) or not app:
                raise TypeError("pending gate change has no app")
        elif item["kind"] == "gate_pause":
            if type(value) is not int or value < 1:
                raise TypeError("pending gate pause has no minutes")
        elif item["kind"] != "unblock":
            if not isinstance(key, str) or type(value) is not int:
                raise TypeError("pending commitment change has no value")
            Commitment().with_value(key, value)  # validated
        domains = tuple(normalize_domain(str(name)) for name in item.get("domains", []))
        pending.append(
            _Pending(
                int(item["id"]),
                str(item["kind"]),
                str(item["subject"]),
                _number(item["due_elapsed"], "due"),
                domains,
                key if isinstance(key, str) else None,
                value if type(value) is int else None,
                app if isinstance(app, str) else None,
                item.get("ready") is True,
            )
        )
    loaded.pending = pending
    loaded.next_pending_id = max([int(document["next_pending_id"]), *(p.id + 1 for p in pending)])
    clock = document["clock"]
    if not isinstance(clock, dict):
        raise TypeError("clock is not an object")
    wall = datetime.fromisoformat(str(clock["wall"]))
    if wall.tzinfo is None:
        raise ValueError("clock reading has no time zone")
    boot_id = clock.get("boot_id")
    loaded.mark = ElapsedMark(
        _number(clock["elapsed"], "elapsed"),
        _number(clock["boottime"], "boottime"),
        boot_id if isinstance(boot_id, str) else None,
        wall.astimezone(UTC),
    )
    grants = document.get("pass_grants", [])
    if not isinstance(grants, list):
        raise TypeError("pass_grants is not a list")
    loaded.pass_grants = [_number(at, "pass grant") for at in grants]
    outages = document.get("outages", [])
    if not isinstance(outages, list):
        raise TypeError("outages is not a list")
    loaded.outages = [
        {key: (str(o[key]) if o.get(key) is not None else None) for key in ("from", "to", "found")}
        for o in outages
        if isinstance(o, dict)
    ]


def _parse_state(raw: bytes) -> _LoadedState:
    document = json.loads(raw.decode("utf-8"))
    if not isinstance(document, dict) or document.get("version") not in READABLE_STATE_VERSIONS:
        raise ValueError("unknown state file version")
    blocklist = document["blocklist"]
    passes = document["passes"]
    if not isinstance(blocklist, list) or not isinstance(passes, dict):
        raise TypeError("state file has the wrong shape")
    if len(blocklist) > MAX_DOMAINS:
        raise ValueError("state file lists too many names")
    names = frozenset(normalize_domain(str(item)) for item in blocklist if isinstance(item, str))
    if len(names) != len(set(blocklist)):
        raise ValueError("state file has names that are not normalised")
    loaded: dict[str, datetime] = {}
    for name, value in passes.items():
        if not isinstance(value, str):
            raise TypeError("pass expiry is not a string")
        expires_at = datetime.fromisoformat(value)
        if expires_at.tzinfo is None:
            raise ValueError("pass expiry has no time zone")
        loaded[normalize_domain(name)] = expires_at.astimezone(UTC)
    result = _LoadedState(names, loaded, "state file")
    if document["version"] >= 2:
        _parse_commitment_parts(document, result)
        held = frozenset(name for p in result.pending if p.kind == "unblock" for name in p.domains)
        if not held <= names:
            raise ValueError("a pending removal names a name that is not listed")
    return result


