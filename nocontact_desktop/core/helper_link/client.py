"""Talk to the privileged helper over its Unix socket (no Qt; used by the CLI and the tray).

Blocking calls (one short connection per call)::

    client = HelperClient(default_socket_path(platform.helper_socket_path))
    client.set_blocklist(["instagram.com", "www.instagram.com"])
    for event in client.events():  # blocks; for ``nocontact helper events``
        ...

For an event loop (a ``QSocketNotifier`` on :meth:`EventStream.fileno`, or a thread)::

    stream = EventStream.open(path)          # connects and subscribes (blocking, short)
    ...on readable: for event in stream.read_available(): ...

:class:`HelperUnavailable` means the helper could not be reached; its ``reason`` says why and
its message says it plainly: ``not_running`` (no socket, nobody listening), ``forbidden``
(this user may not reach the socket: the helper was installed for someone else), ``busy``
(the socket's queue stayed full for the whole timeout: the helper runs, but something floods
it), ``timeout`` (connected, no answer in time) or ``unreachable`` (anything else).
:class:`HelperError` is a refusal or failure reported by the helper (``code`` is one of
:class:`~nocontact_desktop.core.helper_link.protocol.ErrorCode`).

A full listen backlog makes a non-blocking ``connect()`` on a Unix socket fail at once with
``EAGAIN``; :func:`_connect` retries it with a short back-off until the timeout runs out.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Final

from nocontact_desktop.core.errors import HelperServiceError as HelperServiceError  # noqa: PLC0414
from nocontact_desktop.core.helper_link.protocol import (
    MAX_MESSAGE_BYTES,
    BeginReflect,
    CancelPending,
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
    decode_event,
    decode_reply,
    encode_request,
)

SOCKET_ENV: Final = "NOCONTACT_HELPER_SOCKET"
_RECV_CHUNK: Final = 65536


class HelperUnavailable(ConnectionError):
    """The helper cannot be reached; ``reason`` is one of the module doc's reasons."""

    def __init__(self, message: str, reason: str = "unreachable") -> None:
        super().__init__(message)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class HelperError(RuntimeError):
    """The helper answered with an error (or with something that is not the protocol)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message


def default_socket_path(platform_default: Callable[[], Path]) -> Path:
    """Where the helper listens: env ``NOCONTACT_HELPER_SOCKET``, else ``platform_default()``.

    The composition roots pass their platform's ``helper_socket_path``; on an OS without a
    helper it raises :class:`HelperUnavailable`.
    """
    configured = os.environ.get(SOCKET_ENV)
    if configured:
        return Path(configured)
    return platform_default()


_RETRY_FIRST: Final = 0.005
_RETRY_MAX: Final = 0.1


def _connect(path: Path, timeout: float | None) -> socket.socket:
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = _RETRY_FIRST
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        remaining = None if deadline is None else max(0.001, deadline - time.monotonic())
        sock.settimeout(remaining)
        try:
            sock.connect(str(path))
        except (BlockingIOError, InterruptedError):
            sock.close()  # the backlog is full: wait a little and try again
        except FileNotFoundError:
            sock.close()
            raise HelperUnavailable(
                f"the helper is not running (no socket at {path})", "not_running"
            ) from None
        except ConnectionRefusedError:
            sock.close()
            raise HelperUnavailable(
                f"the helper is not running (nobody listens at {path})", "not_running"
            ) from None
        except PermissionError:
            sock.close()
            raise HelperUnavailable(
                f"this user (uid {os.getuid()}) is not allowed to reach the helper at {path}; "
                "it only answers the users it was installed for (nocontact helper install "
                "as this user adds it)",
                "forbidden",
            ) from None
        except TimeoutError:
            sock.close()
            raise HelperUnavailable(
                f"the helper at {path} did not answer in time", "timeout"
            ) from None
        except OSError as error:
            sock.close()
            if error.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise HelperUnavailable(
                    f"cannot reach the helper at {path}: {error.strerror}"
                ) from None
        else:
            sock.settimeout(timeout)
            return sock
        if deadline is not None and time.monotonic() + delay > deadline:
            raise HelperUnavailable(
                f"the helper at {path} is running but accepted no connection within "
                f"{timeout:g} s: its queue stayed full (another program may be flooding it); "
                "nothing was changed, try again",
                "busy",
            )
        time.sleep(delay)
        delay = min(delay * 2, _RETRY_MAX)


class _LineReader:
    """Splits a byte stream into lines, refusing lines longer than the protocol allows."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._lines: collections.deque[bytes] = collections.deque()

    def feed(self, data: bytes) -> None:
        self._buffer += data
        while (end := self._buffer.find(b"\n")) >= 0:
            self._lines.append(bytes(self._buffer[: end + 1]))
            del self._buffer[: end + 1]
        if len(self._buffer) > MAX_MESSAGE_BYTES:
            raise HelperError("too_large", "the helper sent a line longer than the protocol allows")

    def pop(self) -> bytes | None:
        return self._lines.popleft() if self._lines else None

    def drain(self) -> list[bytes]:
        lines = list(self._lines)
        self._lines.clear()
        return lines


def _recv_line(sock: socket.socket, reader: _LineReader, path: Path) -> bytes:
    """The next line from ``sock``; bytes after it stay in ``reader``."""
    while (line := reader.pop()) is None:
        try:
            data = sock.recv(_RECV_CHUNK)
        except TimeoutError:
            raise HelperUnavailable(
                f"the helper at {path} did not answer in time", "timeout"
            ) from None
        except OSError as error:
            raise HelperUnavailable(
                f"lost the connection to the helper: {error.strerror}"
            ) from None
        if not data:
            raise HelperUnavailable("the helper closed the connection without an answer")
        reader.feed(data)
    return line


def _result(line: bytes) -> dict[str, Any]:
    try:
        reply = decode_reply(line)
    except ProtocolError as error:
        raise HelperError("bad_reply", f"the helper's answer is not understood: {error}") from None
    if not reply.ok:
        raise HelperError(reply.code, reply.message)
    return reply.result


class HelperClient:
    """Blocking client: each call opens a connection, sends one request, reads one reply."""

    def __init__(self, socket_path: Path | str, timeout: float = 2.0) -> None:
        self.socket_path = Path(socket_path)
        self.timeout = timeout

    def _call(self, request: Request, timeout: float | None = None) -> dict[str, Any]:
        payload = encode_request(request)
        if len(payload) > MAX_MESSAGE_BYTES:
            raise HelperError("too_large", "the request is larger than the helper accepts")
        sock = _connect(self.socket_path, self.timeout if timeout is None else timeout)
        try:
            try:
                sock.sendall(payload)
            except OSError as error:
                # The helper may refuse (e.g. forbidden) and close before reading: prefer its
                # answer over the broken pipe.
                with contextlib.suppress(HelperUnavailable):
                    return _result(_recv_line(sock, _LineReader(), self.socket_path))
                raise HelperUnavailable(f"lost the connection to the helper: {error}") from None
            return _result(_recv_line(sock, _LineReader(), self.socket_path))
        finally:
            sock.close()

    def ping(self) -> bool:
        """True when the helper answers."""
        return bool(self._call(Ping()).get("pong"))

    def hello(self) -> dict[str, Any]:
        """``{"version", "pid", "state": {"blocked", "active", "passes", "listener_running"}}``."""
        return self._call(Hello())

    def get_state(self) -> dict[str, Any]:
        """Blocklist, passes, section on disk, listener and counters (see the helper)."""
        return self._call(GetState())

    def set_blocklist(self, domains: Iterable[str]) -> dict[str, Any]:
        """Replace the helper's blocklist: ``{"count", "active", "changed"}``.

        Names are validated by the helper; a refused name raises :class:`HelperError` with
        code ``bad_input`` and nothing is changed.
        """
        # Writing the hosts file can take longer than a status call on a slow disk.
        return self._call(SetBlocklist(tuple(domains)), timeout=max(self.timeout, 10.0))

    def grant_pass(self, domains: Iterable[str], minutes: int) -> dict[str, Any]:
        """Unblock ``domains`` for ``minutes`` (1..240); returns ``domains``, ``expires_at``."""
        return self._call(GrantPass(tuple(domains), minutes), timeout=max(self.timeout, 10.0))

    def revoke_pass(self, domains: Iterable[str]) -> dict[str, Any]:
        """End passes now: ``{"revoked": [...]}``."""
        return self._call(RevokePass(tuple(domains)), timeout=max(self.timeout, 10.0))

    def get_commitment(self) -> dict[str, Any]:
        """``{"delay_minutes", "pass_max_minutes", "passes_per_day", "pending": [...]}``."""
        return self._call(GetCommitment())

    def set_commitment(
        self,
        *,
        delay_minutes: int | None = None,
        pass_max_minutes: int | None = None,
        passes_per_day: int | None = None,
    ) -> dict[str, Any]:
        """Tighter values apply now, looser ones become pending (``added``) — DESIGN §4a."""
        request = SetCommitment(delay_minutes, pass_max_minutes, passes_per_day)
        return self._call(request, timeout=max(self.timeout, 10.0))

    def cancel_pending(self, pending_id: int) -> dict[str, Any]:
        """Cancel a pending change now: ``{"cancelled": {...}}``."""
        return self._call(CancelPending(pending_id), timeout=max(self.timeout, 10.0))

    def hold_gate_remove(self, app_id: str, label: str) -> dict[str, Any]:
        """Ask to stop gating ``app_id``: ``{"hold": False}`` means apply it now (no delay);
        else ``added`` holds the pending change, ready when the delay has passed."""
        request = HoldGateChange("gate_remove", app_id, label, 0)
        return self._call(request, timeout=max(self.timeout, 10.0))

    def hold_gate_pause(self, minutes: int) -> dict[str, Any]:
        """Ask to pause the app gate for ``minutes`` (as :meth:`hold_gate_remove`)."""
        request = HoldGateChange("gate_pause", "", "", minutes)
        return self._call(request, timeout=max(self.timeout, 10.0))

    def finish_pending(self, pending_id: int) -> dict[str, Any]:
        """The ready gate change ``pending_id`` was applied: ``{"finished": {...}}``."""
        return self._call(FinishPending(pending_id), timeout=max(self.timeout, 10.0))

    def begin_reflect(self, domains: Iterable[str], countdown_seconds: int) -> dict[str, Any]:
        """The reflect dialog for ``domains`` appeared (a pass needs its countdown first)."""
        return self._call(BeginReflect(tuple(domains), countdown_seconds))

    def events(self) -> Iterator[dict[str, Any]]:
        """Subscribe and yield each event as a dict (``{"event": "blocked_hit", ...}``).

        Blocks until the next event; ends by raising :class:`HelperUnavailable` when the helper
        goes away. Close the generator to disconnect.
        """
        stream = EventStream.open(self.socket_path, self.timeout)
        try:
            stream.set_blocking(True)
            while True:
                yield from stream.read_available()
        finally:
            stream.close()


class EventStream:
    """A subscribed connection that an event loop can drive without blocking.

    Register :meth:`fileno` with a ``QSocketNotifier`` (read) or a selector, and call
    :meth:`read_available` when it is readable; it returns the complete events received so
    far. :meth:`feed` parses bytes obtained elsewhere. After the helper goes away
    :meth:`read_available` raises :class:`HelperUnavailable` and :attr:`closed` is true.
    """

    def __init__(self, sock: socket.socket | None = None) -> None:
        self._sock = sock
        self._lines = _LineReader()
        self.closed = sock is None

    @classmethod
    def open(cls, socket_path: Path | str, timeout: float = 2.0) -> EventStream:
        """Connect, subscribe and wait for the helper's acknowledgement; then non-blocking."""
        path = Path(socket_path)
        sock = _connect(path, timeout)
        try:
            lines = _LineReader()
            try:
                sock.sendall(encode_request(Subscribe()))
            except OSError as error:
                # Refused (e.g. forbidden) and closed before our request was read: the
                # helper's answer is there to read; raise it rather than the broken pipe.
                with contextlib.suppress(HelperUnavailable):
                    _result(_recv_line(sock, lines, path))
                raise HelperUnavailable(f"lost the connection to the helper: {error}") from None
            _result(_recv_line(sock, lines, path))
        except BaseException:
            sock.close()
            raise
        stream = cls(sock)
        stream._lines = lines  # events may have arrived right behind the acknowledgement
        sock.setblocking(False)
        return stream

    def fileno(self) -> int:
        """The socket's descriptor (-1 once closed)."""
        return self._sock.fileno() if self._sock is not None else -1

    def set_blocking(self, blocking: bool) -> None:
        """Switch the socket between blocking reads (a thread) and non-blocking (a loop)."""
        if self._sock is not None:
            self._sock.settimeout(None if blocking else 0.0)

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Parse ``data`` (bytes read from the stream) into complete events."""
        events: list[dict[str, Any]] = []
        self._lines.feed(data)
        for line in self._lines.drain():
            try:
                events.append(decode_event(line))
            except ProtocolError as error:
                raise HelperError(
                    "bad_event", f"the helper sent an invalid event: {error}"
                ) from None
        return events

    def read_available(self) -> list[dict[str, Any]]:
        """Read what the socket has now (blocking mode: at least one chunk) and parse it."""
        sock = self._sock  # another thread may close the stream meanwhile
        if sock is None:
            raise HelperUnavailable("the event stream is closed")
        events = self.feed(b"")  # lines that arrived with the acknowledgement
        if events and sock.gettimeout() != 0.0:
            return events  # blocking mode: do not wait for more while holding these
        while True:
            try:
                data = sock.recv(_RECV_CHUNK)
            except (BlockingIOError, InterruptedError):
                return events
            except OSError as error:
                if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    return events
                self.close()
                raise HelperUnavailable(f"lost the helper: {error.strerror}") from None
            if not data:
                self.close()
                if events:
                    return events
                raise HelperUnavailable("the helper closed the event stream")
            events.extend(self.feed(data))
            if sock.gettimeout() != 0.0:
                return events  # blocking mode: hand over what one read produced

    def close(self) -> None:
        """Disconnect (also wakes a thread blocked in :meth:`read_available`)."""
        sock, self._sock = self._sock, None
        self.closed = True
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
