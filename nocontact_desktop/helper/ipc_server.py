"""The helper's IPC server: a Unix socket speaking the protocol of ``core.helper_link``.

Who may command the helper is decided by the kernel twice. First, the socket file itself:
mode 0600, owned by the helper (root), with a POSIX ACL entry (``user:UID:rw``) for each uid
given with ``--allow-uid``. Any other local user gets ``EACCES`` from ``connect()`` and never
reaches the listen backlog, so a connect/close loop from another account cannot crowd the
allowed user out. (Where the file system has no ACLs and one user is allowed, the socket is
given to that user instead, still mode 0600; only with several users and no ACLs does it
fall back to 0666, with a warning.) Second, every connection's peer uid is read with the
platform's peer-credential call (``SO_PEERCRED`` on Linux, ``getpeereid`` on macOS) before a
single byte is read. Only root, the helper's own uid and the allowed uids may talk; anyone
else gets one ``forbidden`` reply and is disconnected, and such refusals are logged at most
once a minute per uid (with a count), so a flood cannot fill the log.

Limits are per uid and separate for commands and subscriptions, so one uid can starve no
other, and subscribers can never take the slots commands need: at most
``max_connections`` command connections and ``max_subscribers`` event streams per uid.

The socket's directory must be a real directory (not a symlink) owned by the helper's uid and
not writable by group or others, so nobody else can swap the socket path; it is created 0755
when missing. A stale socket left by a crash is removed only if nothing answers on it; any
other file at that path is refused, never followed or deleted.

Per connection: one JSON line per request, one reply each; a read deadline; a size limit per
line. Any refused message gets an error reply and the connection is closed; it never changes
state. A ``subscribe`` connection then only receives events through a bounded queue: when
the client reads too slowly the oldest events are dropped and counted, so no client can
block the helper.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import logging
import os
import socket
import stat
import struct
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final, Protocol

from nocontact_desktop.core.helper_link.protocol import (
    MAX_MESSAGE_BYTES,
    ErrorCode,
    ProtocolError,
    Request,
    Subscribe,
    decode_request,
    encode_error,
    encode_event,
    encode_ok,
)

log = logging.getLogger(__name__)

SOCKET_MODE: Final = 0o600
SOCKET_FALLBACK_MODE: Final = 0o666  # several allowed users and no ACL support: see module doc
SOCKET_DIR_MODE: Final = 0o755
SOCKET_BACKLOG: Final = 1024  # the kernel caps it at net.core.somaxconn
DEFAULT_READ_TIMEOUT: Final = 10.0
DEFAULT_MAX_CONNECTIONS: Final = 64  # command connections per uid
DEFAULT_MAX_SUBSCRIBERS: Final = 16  # event streams per uid
REFUSAL_LOG_INTERVAL: Final = 60.0
DEFAULT_SUBSCRIBER_QUEUE: Final = 256
# A subscriber whose socket stays full this long is disconnected (it holds a slot otherwise).
SUBSCRIBER_STALL_TIMEOUT: Final = 30.0


class SocketSetupError(RuntimeError):
    """The socket path cannot be used safely (bad directory, foreign file, helper running)."""


class PeerSocket(Protocol):
    """What the peer-credential functions need from a connected socket."""

    def fileno(self) -> int:
        """The descriptor."""
        ...

    def getsockopt(self, level: int, optname: int, buflen: int, /) -> bytes:
        """Read a socket option as bytes."""
        ...


Dispatcher = Callable[[Request], Awaitable[Mapping[str, Any]]]
"""Runs one validated command; raises :class:`ProtocolError` to refuse it."""


class Subscriber:
    """One event-stream connection's queue: bounded, drops the oldest when full."""

    def __init__(self, capacity: int) -> None:
        self._queue: collections.deque[Mapping[str, Any]] = collections.deque(maxlen=capacity)
        self._ready = asyncio.Event()
        self.dropped = 0  # dropped since the last delivered event
        self.dropped_total = 0

    def offer(self, event: Mapping[str, Any]) -> None:
        """Queue ``event`` without ever waiting; the oldest queued event goes when full."""
        if self._queue.maxlen is not None and len(self._queue) == self._queue.maxlen:
            self.dropped += 1
            self.dropped_total += 1
        self._queue.append(event)
        self._ready.set()

    async def next_line(self) -> bytes:
        """Wait for the next event and encode it (with ``dropped`` when events were lost)."""
        while not self._queue:
            self._ready.clear()
            await self._ready.wait()
        event = self._queue.popleft()
        if self.dropped:
            event = {**event, "dropped": self.dropped}
            self.dropped = 0
        return encode_event(event)


class EventHub:
    """Fans events out to every subscriber; :meth:`publish` never blocks."""

    def __init__(self, queue_capacity: int = DEFAULT_SUBSCRIBER_QUEUE) -> None:
        self._capacity = queue_capacity
        self._subscribers: set[Subscriber] = set()
        self._dropped_closed = 0

    def publish(self, event: Mapping[str, Any]) -> None:
        """Offer ``event`` (a dict with an ``"event"`` name) to every subscriber."""
        for subscriber in self._subscribers:
            subscriber.offer(event)

    def add(self) -> Subscriber:
        """A new subscriber queue."""
        subscriber = Subscriber(self._capacity)
        self._subscribers.add(subscriber)
        return subscriber

    def remove(self, subscriber: Subscriber) -> None:
        """Forget a subscriber (its connection closed)."""
        if subscriber in self._subscribers:
            self._subscribers.discard(subscriber)
            self._dropped_closed += subscriber.dropped_total

    @property
    def subscriber_count(self) -> int:
        """Subscribers connected now."""
        return len(self._subscribers)

    @property
    def dropped_total(self) -> int:
        """Events dropped for slow subscribers since start."""
        return self._dropped_closed + sum(s.dropped_total for s in self._subscribers)


def prepare_socket_dir(directory: Path) -> None:
    """Create the socket directory (0755) or check that the existing one is safe to use.

    Refused: a symlink, a non-directory, a directory owned by another uid, or one that group
    or others may write to (they could replace the socket).
    """
    try:
        os.mkdir(directory, SOCKET_DIR_MODE)
        os.chmod(directory, SOCKET_DIR_MODE, follow_symlinks=False)  # umask may have narrowed it
    except FileExistsError:
        pass
    except OSError as error:
        raise SocketSetupError(
            f"cannot create socket directory {directory}: {error.strerror}"
        ) from None
    info = os.lstat(directory)
    if stat.S_ISLNK(info.st_mode):
        raise SocketSetupError(f"socket directory {directory} is a symlink; refusing to follow")
    if not stat.S_ISDIR(info.st_mode):
        raise SocketSetupError(f"socket directory {directory} is not a directory")
    if info.st_uid != os.geteuid():
        raise SocketSetupError(
            f"socket directory {directory} is owned by uid {info.st_uid}, not {os.geteuid()}"
        )
    if info.st_mode & 0o022:
        raise SocketSetupError(
            f"socket directory {directory} is writable by group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o})"
        )


def remove_stale_socket(path: Path) -> None:
    """Remove a socket left behind by a dead helper; refuse anything else at ``path``.

    Raises :class:`SocketSetupError` if a helper still answers there, or if the path is a
    symlink, a regular file or anything else that is not a socket.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a socket"
        raise SocketSetupError(f"{path} exists and is {kind}; refusing to replace it")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        pass  # nobody listens: stale
    except OSError as error:
        if error.errno not in (errno.ECONNREFUSED, errno.ENOENT):
            raise SocketSetupError(f"cannot probe {path}: {error.strerror}") from None
    else:
        raise SocketSetupError(f"another helper is already listening on {path}")
    finally:
        probe.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


_ACL_XATTR: Final = "system.posix_acl_access"
_ACL_VERSION: Final = 2
_ACL_USER_OBJ, _ACL_USER, _ACL_GROUP_OBJ, _ACL_MASK, _ACL_OTHER = 0x01, 0x02, 0x04, 0x10, 0x20
_ACL_UNDEFINED_ID: Final = 0xFFFFFFFF
_ACL_RW: Final = 0o6


def posix_acl(uids: Iterable[int]) -> bytes:
    """The ``system.posix_acl_access`` value: owner rw, ``user:UID:rw`` each, nobody else."""
    entries = [(_ACL_USER_OBJ, _ACL_RW, _ACL_UNDEFINED_ID)]
    entries += [(_ACL_USER, _ACL_RW, uid) for uid in sorted(set(uids))]
    entries += [
        (_ACL_GROUP_OBJ, 0, _ACL_UNDEFINED_ID),
        (_ACL_MASK, _ACL_RW, _ACL_UNDEFINED_ID),
        (_ACL_OTHER, 0, _ACL_UNDEFINED_ID),
    ]
    return struct.pack("<I", _ACL_VERSION) + b"".join(
        struct.pack("<HHI", tag, perm, ident) for tag, perm, ident in entries
    )


def restrict_socket(path: Path, allowed_uids: Iterable[int]) -> str:
    """Let only the helper and ``allowed_uids`` connect to the socket at ``path``; how.

    Returns ``"owner"`` (0600, nobody else), ``"acl"`` (0600 plus an ACL entry per uid),
    ``"chown"`` (no ACL support, the one allowed user owns the 0600 socket) or ``"open"``
    (0666: several users and no ACL support; only the credential check protects it).
    """
    me = os.geteuid()
    extra = sorted({uid for uid in allowed_uids if uid not in (0, me)})
    os.chmod(path, SOCKET_MODE)
    if not extra:
        return "owner"
    if hasattr(os, "setxattr"):
        try:
            os.setxattr(path, _ACL_XATTR, posix_acl(extra), follow_symlinks=False)
        except OSError as error:
            log.info("ipc: no ACL on %s (%s)", path, error.strerror)
        else:
            return "acl"
    if len(extra) == 1 and me == 0:
        os.chown(path, extra[0], -1, follow_symlinks=False)
        return "chown"
    os.chmod(path, SOCKET_FALLBACK_MODE)
    log.warning(
        "ipc: this file system has no ACLs, so %s is open to every local user "
        "(only the credential check keeps others out)",
        path,
    )
    return "open"


def bind_socket(path: Path, allowed_uids: Iterable[int] = ()) -> socket.socket:
    """Create, bind and return the listening socket at ``path`` (see module doc)."""
    prepare_socket_dir(path.parent)
    remove_stale_socket(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        # bind() never follows a symlink at the final component: it fails with EADDRINUSE.
        sock.bind(str(path))
        # Until restrict_socket the socket has the (narrower) umask mode, never a wider one;
        # nobody can connect before listen() anyway.
        restrict_socket(path, allowed_uids)
        sock.listen(SOCKET_BACKLOG)
        sock.setblocking(False)
    except OSError as error:
        sock.close()
        raise SocketSetupError(f"cannot listen on {path}: {error.strerror}") from None
    return sock


class RefusalLog:
    """Logs refused callers at most once per ``interval`` per uid, with how many were muted."""

    def __init__(self, interval: float = REFUSAL_LOG_INTERVAL) -> None:
        self._interval = interval
        self._last: dict[int, float] = {}
        self._muted: dict[int, int] = {}

    def refused(self, uid: int, now: float | None = None) -> bool:
        """Note one refusal of ``uid``; True when it was written to the log."""
        moment = time.monotonic() if now is None else now
        last = self._last.get(uid)
        if last is not None and moment - last < self._interval:
            self._muted[uid] = self._muted.get(uid, 0) + 1
            return False
        muted = self._muted.pop(uid, 0)
        self._last[uid] = moment
        if len(self._last) > 4096:  # bounded: forget the oldest uids
            for old in sorted(self._last, key=self._last.__getitem__)[:2048]:
                self._last.pop(old, None)
                self._muted.pop(old, None)
        if muted:
            log.warning(
                "ipc: refused a connection from uid %d (not allowed); %d more refused since",
                uid,
                muted,
            )
        else:
            log.warning("ipc: refused a connection from uid %d (not allowed)", uid)
        return True


class IpcServer:
    """Accepts connections on a Unix socket and runs the commands of allowed callers."""

    def __init__(
        self,
        socket_path: Path,
        *,
        dispatcher: Dispatcher,
        hub: EventHub,
        allowed_uids: frozenset[int],
        peer_uid: Callable[[PeerSocket], int],
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_subscribers: int = DEFAULT_MAX_SUBSCRIBERS,
    ) -> None:
        self._path = socket_path
        self._dispatch = dispatcher
        self._hub = hub
        # root and the helper's own uid can already do anything the helper can.
        self._allowed = frozenset(allowed_uids) | {0, os.geteuid()}
        self._peer_uid = peer_uid
        self._read_timeout = read_timeout
        self._max_connections = max_connections
        self._max_subscribers = max_subscribers
        self._commands: collections.Counter[int] = collections.Counter()
        self._subscribers: collections.Counter[int] = collections.Counter()
        self._refusal_log = RefusalLog()
        self._server: asyncio.Server | None = None
        self._sock: socket.socket | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.refused = 0

    @property
    def allowed_uids(self) -> frozenset[int]:
        """Uids that may command the helper."""
        return self._allowed

    @property
    def connection_count(self) -> int:
        """Connections open now."""
        return len(self._connections)

    def bind(self) -> None:
        """Bind the socket (:class:`SocketSetupError` if unsafe or another helper runs).

        Clients may connect from now on; they wait in the backlog until
        :meth:`start_serving`.
        """
        if self._sock is None:
            self._sock = bind_socket(self._path, self._allowed)

    async def start_serving(self) -> None:
        """Start answering connections (binds first if :meth:`bind` was not called)."""
        self.bind()
        self._server = await asyncio.start_unix_server(
            self._on_connection, sock=self._sock, limit=MAX_MESSAGE_BYTES + 1
        )
        log.info("ipc: listening on %s", self._path)

    async def close(self) -> None:
        """Stop accepting, close every connection and remove the socket file."""
        server, self._server = self._server, None
        sock, self._sock = self._sock, None
        if server is not None:
            server.close()
            for task in list(self._connections):
                task.cancel()
            if self._connections:
                await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()
        elif sock is not None:
            sock.close()
        if sock is not None:
            with contextlib.suppress(FileNotFoundError):
                info = os.lstat(self._path)
                if stat.S_ISSOCK(info.st_mode):
                    os.unlink(self._path)

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away
        except asyncio.CancelledError:
            pass  # the helper is stopping
        except Exception:  # one connection's failure must never stop the helper
            log.exception("ipc: connection failed")
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _refuse(self, writer: asyncio.StreamWriter, code: ErrorCode, message: str) -> None:
        writer.write(encode_error(code, message))
        with contextlib.suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(writer.drain(), self._read_timeout)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        try:
            uid = self._peer_uid(sock)
        except OSError as error:
            log.warning("ipc: cannot read peer credentials: %s", error.strerror)
            await self._refuse(writer, ErrorCode.FORBIDDEN, "cannot verify who is calling")
            return
        if uid not in self._allowed:
            self.refused += 1
            self._refusal_log.refused(uid)
            await self._refuse(writer, ErrorCode.FORBIDDEN, f"uid {uid} may not command the helper")
            return
        # Per uid: another uid's connections never count against this one.
        if self._commands[uid] >= self._max_connections:
            await self._refuse(
                writer, ErrorCode.BUSY, f"uid {uid} has too many connections open; try again"
            )
            return
        self._commands[uid] += 1
        try:
            await self._serve_commands(uid, reader, writer)
        finally:
            self._commands[uid] -= 1
            if not self._commands[uid]:
                del self._commands[uid]

    async def _serve_commands(
        self, uid: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while True:
            try:
                line = await asyncio.wait_for(reader.readuntil(b"\n"), self._read_timeout)
            except TimeoutError:
                await self._refuse(writer, ErrorCode.TIMEOUT, "no complete request in time")
                return
            except asyncio.LimitOverrunError:
                await self._refuse(
                    writer,
                    ErrorCode.TOO_LARGE,
                    f"request is longer than {MAX_MESSAGE_BYTES} bytes",
                )
                return
            except asyncio.IncompleteReadError as error:
                if error.partial:
                    await self._refuse(
                        writer, ErrorCode.BAD_REQUEST, "request does not end with a newline"
                    )
                return
            try:
                request = decode_request(line)
                if isinstance(request, Subscribe):
                    await self._subscribe(uid, reader, writer)
                    return
                result = await self._dispatch(request)
            except ProtocolError as error:
                log.info("ipc: refused a request: %s", error.code)
                await self._refuse(writer, error.code, error.message)
                return
            except Exception:
                log.exception("ipc: command failed")
                await self._refuse(writer, ErrorCode.INTERNAL, "the helper failed; see its log")
                return
            writer.write(encode_ok(result))
            await asyncio.wait_for(writer.drain(), self._read_timeout)

    async def _subscribe(
        self, uid: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # A stream leaves the command slots: subscribers have their own cap, per uid.
        if self._subscribers[uid] >= self._max_subscribers:
            await self._refuse(
                writer, ErrorCode.BUSY, f"uid {uid} has too many event streams open"
            )
            return
        self._commands[uid] -= 1
        self._subscribers[uid] += 1
        try:
            await self._stream_events(reader, writer)
        finally:
            self._subscribers[uid] -= 1
            if not self._subscribers[uid]:
                del self._subscribers[uid]
            self._commands[uid] += 1  # given back to the caller's bookkeeping

    async def _stream_events(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        subscriber = self._hub.add()
        try:
            writer.write(encode_ok({"subscribed": True}))
            await writer.drain()
            # The client may only listen now; any byte it sends (or EOF) ends the stream.
            closed = asyncio.ensure_future(reader.read(1))
            try:
                while True:
                    line_task = asyncio.ensure_future(subscriber.next_line())
                    done, _ = await asyncio.wait(
                        {closed, line_task}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if closed in done:
                        line_task.cancel()
                        return
                    writer.write(line_task.result())
                    try:
                        await asyncio.wait_for(writer.drain(), SUBSCRIBER_STALL_TIMEOUT)
                    except TimeoutError:
                        log.warning("ipc: dropping a subscriber that stopped reading")
                        return
            finally:
                closed.cancel()
        finally:
            self._hub.remove(subscriber)
