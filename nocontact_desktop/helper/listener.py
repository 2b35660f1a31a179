"""The helper's loopback listener: notice connections to blocked names and report them.

Blocked names resolve to loopback (DESIGN §4), so a browser that tries one connects here. On the
HTTPS port the listener reads the TLS ClientHello, takes the SNI name and closes the connection
(no certificate, no TLS answer); a hello without a listed name (an Encrypted Client Hello's
outer name, no SNI) is reported too, as ``unlisted``. On the HTTP port it reads the request
head, takes the Host and answers with a fixed page. Each name the ``lookup`` says is blocked
becomes a :class:`BlockedHit` passed to ``on_hit`` in the event-loop thread.

Any local process can connect, so every connection is bounded: a short first-byte deadline (a
browser sends its ClientHello or request at once), a total read deadline (slow clients cannot
extend it), a cap on the bytes kept, and a cap on concurrent connections. At that cap a new
connection is still accepted and kept; to make room the *oldest connection that has sent
nothing yet* is dropped (or, when every open connection has sent something, the oldest one).
A connection whose first bytes are already waiting when it is accepted (a browser sends its
ClientHello right after connecting) never counts as silent. So another user holding a thousand
idle sockets, and reconnecting each one we drop, only ever pushes out its own sockets, and a
real ClientHello is read. The accept loop never stalls.
Request bytes are never logged; names only at debug level.

Passes (issue 15): during a pass the names stay on loopback. With :meth:`Listener.enable_splice`
a connection whose name is on a pass is handed through to the real site — the address comes
from the upstream resolvers, never the hosts file; the bytes read so far (the ClientHello or
request head) are sent on unchanged and nothing is decrypted — and kept under its pass, so
that :meth:`Listener.cut` ends every one of them the moment the pass ends.

Each accepted connection ends as exactly one of: ``rejected_overload``, ``hits``, ``ignored``,
``timeouts``, ``parse_failures``, ``errors`` or ``spliced`` (see :class:`ListenerStats`),
counted once, in :meth:`_Connection._finish` (or ``_splice``) only. A client closing or
resetting early is normal behaviour, never an ``error`` and never logged above debug.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import errno
import functools
import ipaddress
import logging
import socket
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.helper.client_hello import MAX_CLIENT_HELLO_BYTES, ParseStatus, parse_sni
from nocontact_desktop.helper.http_host import BLOCKED_PAGE, parse_host

log = logging.getLogger(__name__)

Protocol = Literal["https", "http"]
# How a connection ended; each is a counter of ListenerStats.
Outcome = Literal[
    "rejected_overload", "hits", "ignored", "timeouts", "parse_failures", "errors", "spliced"
]
# A pass's connection to the real site: how long its connect may take, and the most kept.
_UPSTREAM_CONNECT_SECONDS = 5.0
_MAX_SPLICED = 1024
_STANDARD_PORTS: dict[str, int] = {"https": 443, "http": 80}

# bind() errors that mean "this machine has no such address" (e.g. IPv6 switched off): the
# address is skipped with a warning. Any other error (port taken, no permission) is fatal.
_MISSING_ADDRESS_ERRNOS = frozenset(
    {errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT}
)
_BACKLOG = 1024
# After the page is sent the write side is shut and the client's leftovers are read and dropped
# for a short while, so that closing with unread bytes (an RST) cannot destroy the page before
# the browser has read it (the "lingering close" of HTTP servers).
_DRAIN_SECONDS = 2.0
_DRAIN_MAX_BYTES = 65536


@dataclass(frozen=True, slots=True)
class BlockedHit:
    """One connection attempt to a blocked name.

    ``domain`` is the name as requested (lower-case, no trailing dot); ``matched`` is the
    blocklist entry ``lookup`` matched it to; ``port`` is the local port it arrived on.

    ``unlisted``: a TLS hello that names no listed site (an Encrypted Client Hello's outer
    name, or no SNI at all). Only blocked names resolve to loopback, so it is still an attempt
    on "a site on your list" (DESIGN §4); ``domain`` and ``matched`` are then None.
    """

    domain: str | None
    matched: str | None
    port: int
    protocol: Protocol
    at_monotonic: float
    unlisted: bool = False
    path: str | None = None  # plain HTTP: the request path ("Open anyway" opens that page)


@dataclass(slots=True)
class ListenerStats:
    """Counters since start; every accepted connection ends in exactly one outcome.

    - ``accepted``: every connection taken from the accept queue;
    - ``rejected_overload``: dropped to make room for a newer one while ``max_connections``
      were open (the oldest silent connection goes first);
    - ``hits``: the name was blocked and ``on_hit`` was called;
    - ``ignored``: a well-formed HTTP request whose Host is not blocked or absent, or a client
      that closed without sending anything (a TLS hello without a listed name is a hit);
    - ``timeouts``: the read deadline passed before the ClientHello / request head was whole;
    - ``parse_failures``: bytes that are not a ClientHello / request head, too many bytes, or a
      client that closed or reset half-way;
    - ``errors``: ``lookup`` / ``on_hit`` or the listener's own code raised (a bug, logged);
    - ``spliced``: a name on a pass, handed through to the real site (see
      :meth:`Listener.enable_splice`).
    """

    accepted: int = 0
    hits: int = 0
    ignored: int = 0
    timeouts: int = 0
    rejected_overload: int = 0
    errors: int = 0
    parse_failures: int = 0
    spliced: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counters by name (for status replies and logs)."""
        return asdict(self)

    def finished(self) -> int:
        """Connections that have reached an outcome."""
        return (
            self.rejected_overload
            + self.hits
            + self.ignored
            + self.timeouts
            + self.parse_failures
            + self.errors
            + self.spliced
        )


def _check_address(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        raise BadInput(f"{address!r} is not a valid listen address: not an IP literal") from None


def _check_port(port: int, what: str) -> int:
    if not 0 <= port <= 65535:
        raise BadInput(f"{port!r} is not a valid {what}: outside 0-65535")
    return port


class _Connection(asyncio.Protocol):
    """One accepted connection: gather bytes until a name can be read, then decide and close."""

    __slots__ = ("_buffer", "_done", "_drained", "_extra", "_listener", "_next_parse_at",
                 "_protocol", "_splicing", "_started", "_timer", "_transport", "_upstream")

    def __init__(self, listener: Listener, protocol: Protocol) -> None:
        self._listener = listener
        self._protocol: Protocol = protocol
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._next_parse_at = 1
        self._done = False
        self._drained = 0
        self._timer: asyncio.TimerHandle | None = None
        self._started = 0.0
        self._extra = bytearray()  # bytes past the cap, kept for a splice
        self._splicing = False
        self._upstream: asyncio.Transport | None = None

    # asyncio.Protocol callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        loop = asyncio.get_running_loop()
        self._started = loop.time()
        listener = self._listener
        # A client whose first bytes are already waiting (a browser sends its ClientHello
        # right after connecting, so it has when we accept from a long queue) is not silent:
        # it must not be pushed out by the idle connections accepted after it.
        listener._admit(self, silent=not _bytes_waiting(transport))
        # Until the first byte only the short deadline applies; then the rest of the total.
        first = min(listener._first_byte_timeout, listener._read_timeout)
        self._timer = loop.call_later(first, self._on_deadline)

    def data_received(self, data: bytes) -> None:
        if self._splicing:
            if self._upstream is not None:
                self._upstream.write(data)
            else:
                self._extra += data
            return
        if self._done:
            # Decided already: what else the client sends is dropped, up to a limit.
            self._drained += len(data)
            if self._drained > _DRAIN_MAX_BYTES and self._transport is not None:
                self._transport.abort()
            return
        if not self._buffer and data:
            self._listener._spoke(self)
            if self._timer is not None:
                self._timer.cancel()
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(
                self._started + self._listener._read_timeout, self._on_deadline
            )
        try:
            self._take(data)
        except Exception as exc:  # one bad connection must not hurt the others
            if self._done:  # decided already; closing failed because the client went away
                log.debug("listener: closing failed: %s", type(exc).__name__)
                if self._transport is not None:
                    self._transport.abort()
                return
            log.error("listener: connection handling failed: %s", type(exc).__name__)
            log.debug("listener: traceback", exc_info=True)
            self._finish("errors", abort=True)

    def eof_received(self) -> bool:
        if not self._done:
            self._finish("ignored" if not self._buffer else "parse_failures")
        return False

    def pause_writing(self) -> None:
        if self._upstream is not None:
            self._upstream.pause_reading()

    def resume_writing(self) -> None:
        if self._upstream is not None and not self._upstream.is_closing():
            self._upstream.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._splicing:
            self._listener._spliced.pop(self, None)
            if self._upstream is not None:
                self._upstream.close()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._done:
            # Closed or reset by the client before a decision: normal, not an error.
            self._done = True
            self._listener._count("ignored" if not self._buffer else "parse_failures")
        self._listener._release(self)
        self._buffer = bytearray()

    # Decisions -------------------------------------------------------------------------------

    def _take(self, data: bytes) -> None:
        limit = self._listener._buffer_limit(self._protocol)
        before = len(self._buffer)
        # Keep at most the limit; a parse at the limit that still wants more is INVALID.
        self._buffer += data[: limit - before]
        self._extra += data[limit - before :]
        if self._protocol == "https":
            self._take_tls()
        elif before == 0 or len(self._buffer) >= limit or _may_end_head(self._buffer, before):
            # Parsing from the start is O(size): it runs on the first bytes (to refuse garbage
            # at once), at the cap, and when the new bytes may hold the blank line ending the
            # head, never once per line, so a client sending a line per packet costs O(size).
            self._take_http(limit)

    def _take_tls(self) -> None:
        # The parser tells how many more bytes it needs at least: until they are here, a
        # new parse could not get further (at most a few parses per TLS record).
        if len(self._buffer) < self._next_parse_at:
            return
        tls = parse_sni(self._buffer)
        if tls.status is ParseStatus.NEED_MORE:
            self._next_parse_at = len(self._buffer) + tls.wanted
            return
        if tls.status is ParseStatus.INVALID:
            log.debug("listener: not a usable ClientHello: %s", tls.reason)
            self._finish("parse_failures")
            return
        self._decide(tls.server_name)

    def _take_http(self, limit: int) -> None:
        http = parse_host(self._buffer, max_bytes=limit)
        if http.status is ParseStatus.NEED_MORE:
            return
        if http.status is ParseStatus.INVALID:
            log.debug("listener: not a usable HTTP request head: %s", http.reason)
            self._finish("parse_failures")
            return
        self._decide(http.host, http.path)

    def _decide(self, name: str | None, path: str | None = None) -> None:
        listener = self._listener
        try:
            matched = listener._lookup(name) if name is not None else None
        except Exception as exc:  # a caller's bug must not kill the listener
            log.error("listener: lookup raised %s", type(exc).__name__)
            self._finish("errors", abort=True)
            return
        if name is not None and matched is None and listener._passing is not None:
            try:
                on_pass = listener._passing(name)
            except Exception as exc:  # a caller's bug must not kill the listener
                log.error("listener: passing raised %s", type(exc).__name__)
                self._finish("errors", abort=True)
                return
            if on_pass is not None:
                self._splice(name, on_pass)
                return
        unlisted = matched is None
        if unlisted and self._protocol != "https":
            log.debug("listener: a name that is not blocked")
            self._finish("ignored")
            return
        port = self._local_port()
        # A TLS hello without a listed name (an ECH outer name, no SNI) still came here
        # because a blocked name resolved to loopback: it counts as an attempt (DESIGN §4).
        hit = BlockedHit(
            domain=None if unlisted else name,
            matched=matched,
            port=port,
            protocol=self._protocol,
            at_monotonic=listener._clock(),
            unlisted=unlisted,
            path=path,
        )
        # Never the names (here or anywhere in the helper's log): logs are not private.
        log.debug("listener: blocked name on port %d", port)
        answered = False
        if self._protocol == "http" and self._transport is not None:
            self._transport.write(BLOCKED_PAGE)
            answered = True
        try:
            listener._on_hit(hit)
        except Exception as exc:  # a caller's bug must not kill the listener
            log.error("listener: on_hit raised %s", type(exc).__name__)
            self._finish("errors", linger=answered)
            return
        self._finish("hits", linger=answered)

    def _splice(self, name: str, key: str) -> None:
        """A name on a pass: connect to the real site and hand the bytes through both ways.

        Nothing is decrypted: the ClientHello (or request head) read so far is sent on as it
        came. The connection is kept under ``key`` so that the pass's end cuts it.
        """
        listener = self._listener
        self._done = True
        self._splicing = True
        listener._count("spliced")
        listener._release(self)  # no longer a hello being read: out of the bounded pool
        while len(listener._spliced) >= _MAX_SPLICED:
            next(iter(listener._spliced)).cut()
        listener._spliced[self] = key
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        payload = bytes(self._buffer) + bytes(self._extra)
        self._buffer = bytearray()
        self._extra = bytearray()
        if self._transport is not None:
            self._transport.pause_reading()
        task = asyncio.ensure_future(self._connect_upstream(name, payload))
        listener._tasks.add(task)
        task.add_done_callback(listener._tasks.discard)

    async def _connect_upstream(self, name: str, payload: bytes) -> None:
        listener = self._listener
        loop = asyncio.get_running_loop()
        port = listener._upstream_ports[self._protocol]
        upstream: asyncio.Transport | None = None
        try:
            assert listener._resolve is not None
            addresses = await loop.run_in_executor(None, listener._resolve, name)
            for address in addresses:
                if self._transport is None or self._transport.is_closing():
                    return
                try:
                    made, _ = await asyncio.wait_for(
                        loop.create_connection(lambda: _Upstream(self), address, port),
                        _UPSTREAM_CONNECT_SECONDS,
                    )
                except (OSError, TimeoutError) as error:
                    log.debug("listener: a pass connection failed: %s", type(error).__name__)
                    continue
                upstream = made
                break
        except Exception as exc:  # resolving failed: the browser sees a closed connection
            log.warning("listener: pass connection failed: %s", type(exc).__name__)
        if upstream is None:
            log.debug("listener: no way to the real site")
            self.cut()
            return
        if self._transport is None or self._transport.is_closing():
            upstream.abort()
            return
        self._upstream = upstream
        upstream.write(payload + bytes(self._extra))
        self._extra = bytearray()
        self._transport.resume_reading()

    def cut(self) -> None:
        """End a spliced connection at once, both sides (the pass is over)."""
        self._listener._spliced.pop(self, None)
        if self._upstream is not None:
            self._upstream.abort()
        if self._transport is not None:
            self._transport.abort()

    def _upstream_data(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def _upstream_closed(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    def _local_port(self) -> int:
        if self._transport is None:
            return 0
        sockname = self._transport.get_extra_info("sockname")
        if isinstance(sockname, tuple) and len(sockname) >= 2 and isinstance(sockname[1], int):
            return sockname[1]
        return 0

    def _finish(self, outcome: Outcome, *, abort: bool = False, linger: bool = False) -> None:
        """Count the outcome and end the connection.

        ``abort`` resets it at once. ``linger`` (after the page was written) sends the page
        and a FIN, then waits a short, bounded time for the client to close its side.
        Otherwise close() sends FIN; the timer still aborts a close that never completes.
        Called more than once (a failure while closing), only the first outcome counts.
        """
        if self._done:
            return
        self._done = True
        self._listener._count(outcome)
        self._buffer = bytearray()
        self._listener._spoke(self)
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if abort:
            transport.abort()
        elif linger and transport.can_write_eof():
            try:
                transport.write_eof()
            except (OSError, RuntimeError):  # the client is gone already: nothing to linger for
                transport.abort()
                return
            if self._timer is not None:
                self._timer.cancel()
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(
                min(_DRAIN_SECONDS, self._listener._read_timeout), self._on_deadline
            )
        else:
            transport.close()

    def _on_deadline(self) -> None:
        self._timer = None
        if not self._done:
            self._done = True
            self._listener._count("timeouts")
        if self._transport is not None:
            self._transport.abort()

    def abort(self) -> None:
        """Drop the connection at once without counting an outcome (listener stopping)."""
        self._done = True
        if self._transport is not None:
            self._transport.abort()

    def evict(self) -> None:
        """Drop the connection to make room for a newer one (counted ``rejected_overload``)."""
        if not self._done:
            self._done = True
            self._listener._count("rejected_overload")
        self._listener._release(self)
        if self._transport is not None:
            self._transport.abort()


class _Upstream(asyncio.Protocol):
    """The pass's connection to the real site: bytes go back to the browser's connection."""

    def __init__(self, client: _Connection) -> None:
        self._client = client
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._client._upstream_data(data)

    def pause_writing(self) -> None:
        client = self._client._transport
        if client is not None and not client.is_closing():
            client.pause_reading()

    def resume_writing(self) -> None:
        client = self._client._transport
        if client is not None and not client.is_closing():
            client.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self._client._upstream_closed()


class Listener:
    """TCP listener on loopback for the HTTPS and HTTP ports; reports hits on blocked names.

    ``lookup`` maps a requested name to the blocklist entry it matches (or ``None``);
    ``on_hit`` is called in the event-loop thread for each hit. Ports may be 0 (tests): each
    address then gets its own ephemeral ports, listed by :attr:`bound`. ``read_timeout`` is a
    total deadline per connection; ``max_header_bytes`` caps an HTTP request head (a
    ClientHello has the parser's own cap, ``MAX_CLIENT_HELLO_BYTES``);
    ``first_byte_timeout`` is how long a connection may stay silent at first.
    """

    def __init__(
        self,
        *,
        addresses: Sequence[str] = ("127.0.0.1", "::1"),
        http_port: int = 80,
        https_port: int = 443,
        lookup: Callable[[str], str | None],
        on_hit: Callable[[BlockedHit], None],
        clock: Callable[[], float] = time.monotonic,
        read_timeout: float = 5.0,
        first_byte_timeout: float = 1.0,
        max_connections: int = 256,
        max_header_bytes: int = 16384,
    ) -> None:
        if isinstance(addresses, str):
            raise BadInput(f"{addresses!r} is not a valid address list: give a sequence")
        if not addresses:
            raise BadInput("[] is not a valid address list: empty")
        if not read_timeout > 0:
            raise BadInput(f"{read_timeout!r} is not a valid read timeout: must be > 0")
        if not first_byte_timeout > 0:
            raise BadInput(
                f"{first_byte_timeout!r} is not a valid first-byte timeout: must be > 0"
            )
        if max_connections < 1:
            raise BadInput(f"{max_connections!r} is not a valid max_connections: must be >= 1")
        if max_header_bytes < 64:
            raise BadInput(f"{max_header_bytes!r} is not a valid max_header_bytes: below 64")
        self._addresses = tuple(dict.fromkeys(_check_address(a) for a in addresses))
        self._http_port = _check_port(http_port, "HTTP port")
        self._https_port = _check_port(https_port, "HTTPS port")
        self._lookup = lookup
        self._on_hit = on_hit
        self._clock = clock
        self._read_timeout = read_timeout
        self._first_byte_timeout = first_byte_timeout
        self._max_connections = max_connections
        self._max_header_bytes = max_header_bytes
        self._servers: list[asyncio.Server] = []
        self._bound: list[tuple[str, int]] = []
        # Insertion-ordered: the oldest first. ``_silent`` holds those that sent nothing yet.
        self._active: dict[_Connection, None] = {}
        self._silent: dict[_Connection, None] = {}
        # Passes (off until enable_splice): name -> its pass key; spliced connections by age.
        self._passing: Callable[[str], str | None] | None = None
        self._resolve: Callable[[str], list[str]] | None = None
        self._spliced: dict[_Connection, str] = {}
        self._upstream_ports: dict[str, int] = dict(_STANDARD_PORTS)
        self._tasks: set[asyncio.Future[None]] = set()
        self.stats = ListenerStats()

    def enable_splice(
        self,
        passing: Callable[[str], str | None],
        resolve: Callable[[str], list[str]],
        *,
        upstream_ports: dict[str, int] | None = None,
    ) -> None:
        """Hand connections for names on a pass through to the real site (issue 15).

        ``passing(name)`` gives the pass key of a name on a pass (else None); ``resolve(name)``
        its real addresses, without the hosts file (run in a worker thread). Each spliced
        connection is kept under its key until :meth:`cut` ends it. ``upstream_ports``
        (tests): the real site's ports by protocol, else 443 and 80.
        """
        self._passing = passing
        self._resolve = resolve
        self._upstream_ports = dict(upstream_ports or _STANDARD_PORTS)

    def cut(self, keys: Iterable[str]) -> int:
        """End every spliced connection of these pass keys at once; how many were cut."""
        wanted = frozenset(keys)
        doomed = [conn for conn, key in self._spliced.items() if key in wanted]
        for conn in doomed:
            conn.cut()
        return len(doomed)

    @property
    def spliced_connections(self) -> int:
        """Connections handed through to real sites right now."""
        return len(self._spliced)

    @property
    def bound(self) -> list[tuple[str, int]]:
        """The (address, port) pairs actually listening, HTTPS then HTTP per address."""
        return list(self._bound)

    @property
    def active_connections(self) -> int:
        """Connections open right now (admitted, not yet closed)."""
        return len(self._active)

    async def start(self) -> None:
        """Bind every address on both ports and start accepting.

        An address the machine does not have (e.g. ``::1`` with IPv6 off) is skipped with a
        warning. Any other bind failure (port in use, no permission) closes what was bound and
        raises :class:`OSError` naming the address and port; so does having nothing to bind.
        """
        if self._servers:
            raise RuntimeError("listener already started")
        loop = asyncio.get_running_loop()
        for address in self._addresses:
            ports: tuple[tuple[Protocol, int], ...] = (
                ("https", self._https_port),
                ("http", self._http_port),
            )
            for protocol, port in ports:
                try:
                    server = await loop.create_server(
                        functools.partial(_Connection, self, protocol),
                        host=address,
                        port=port,
                        flags=socket.AI_PASSIVE | socket.AI_NUMERICHOST,
                        backlog=_BACKLOG,
                    )
                except OSError as exc:
                    first_bind_of_address = protocol == "https"
                    if first_bind_of_address and _is_missing_address(exc):
                        log.warning(
                            "listener: skipping %s: this machine has no such address (%s)",
                            address,
                            exc.strerror or type(exc).__name__,
                        )
                        break
                    await self._close_servers()
                    raise OSError(
                        exc.errno,
                        f"cannot listen on {_format(address, port)}: "
                        f"{exc.strerror or exc}",
                    ) from exc
                self._servers.append(server)
                for sock in server.sockets:
                    self._bound.append((address, int(sock.getsockname()[1])))
        if not self._servers:
            raise OSError(
                errno.EADDRNOTAVAIL,
                "cannot listen: none of the addresses "
                + ", ".join(self._addresses)
                + " exists on this machine",
            )
        log.info("listener: listening on %s", ", ".join(_format(a, p) for a, p in self._bound))

    async def stop(self) -> None:
        """Stop accepting and drop every open connection. Safe to call more than once."""
        await self._close_servers()

    async def _close_servers(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        for connection in list(self._active):
            connection.abort()
        for spliced in list(self._spliced):
            spliced.cut()
        for task in list(self._tasks):
            task.cancel()
        for server in servers:
            await server.wait_closed()
        self._bound = []

    # Called by _Connection ---------------------------------------------------------------

    def _admit(self, connection: _Connection, *, silent: bool = True) -> None:
        self.stats.accepted += 1
        while len(self._active) >= self._max_connections:
            # Make room: the oldest silent connection, else the oldest of all.
            victim = next(iter(self._silent or self._active))
            victim.evict()
        self._active[connection] = None
        if silent:
            self._silent[connection] = None

    def _spoke(self, connection: _Connection) -> None:
        self._silent.pop(connection, None)

    def _release(self, connection: _Connection) -> None:
        self._active.pop(connection, None)
        self._silent.pop(connection, None)

    def _count(self, outcome: Outcome) -> None:
        setattr(self.stats, outcome, getattr(self.stats, outcome) + 1)

    def _buffer_limit(self, protocol: Protocol) -> int:
        return MAX_CLIENT_HELLO_BYTES if protocol == "https" else self._max_header_bytes


def _bytes_waiting(transport: asyncio.BaseTransport) -> bool:
    """Whether the client's first bytes are already in the socket's receive queue."""
    if sys.platform == "win32":  # no FIONREAD ioctl through fcntl there
        return False
    import fcntl  # noqa: PLC0415 - POSIX only
    import termios  # noqa: PLC0415 - POSIX only

    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    waiting = array.array("i", [0])
    with contextlib.suppress(OSError, ValueError):
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, waiting, True)
    return waiting[0] > 0


def _may_end_head(buffer: bytearray, new_from: int) -> bool:
    """Whether the bytes from ``new_from`` on (with 2 bytes before them) hold a blank line."""
    tail = buffer[max(0, new_from - 2) :]
    return b"\n\n" in tail or b"\n\r\n" in tail


def _is_missing_address(exc: OSError) -> bool:
    return isinstance(exc, socket.gaierror) or exc.errno in _MISSING_ADDRESS_ERRNOS


def _format(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
