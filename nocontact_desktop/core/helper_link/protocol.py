"""The helper's wire protocol: newline-delimited JSON, one closed set of commands.

Every message is one JSON object on one line (UTF-8, ``\\n``-terminated, at most
:data:`MAX_MESSAGE_BYTES` including the newline).

Request::

    {"v": 1, "cmd": "set_blocklist", "domains": ["instagram.com", "www.instagram.com"]}

Reply (exactly one per request, in order)::

    {"v": 1, "ok": true, "result": {...}}
    {"v": 1, "ok": false, "error": {"code": "bad_input", "message": "..."}}

Event (only on a connection that sent ``subscribe``)::

    {"v": 1, "event": "blocked_hit", "domain": "www.instagram.com", ...}

Commands and their arguments (no other key is accepted):

- ``hello``: -> ``{"version", "pid", "state": {...summary}}``
- ``ping``: -> ``{"pong": true}``
- ``get_state``: -> blocklist, passes, section state on disk, listener
- ``set_blocklist`` ``{"domains": [str, ...]}`` (may be empty: removes the section)
- ``grant_pass`` ``{"domains": [str, ...], "minutes": int 1..240}`` (all on the blocklist)
- ``revoke_pass`` ``{"domains": [str, ...]}``
- ``subscribe``: the connection then only receives events.
- ``get_commitment``: -> ``{"delay_minutes", "pass_max_minutes", "passes_per_day",
  "pending": [{"id", "kind", "subject", "due_at", ...}], ...}``
- ``set_commitment`` ``{"delay_minutes"?: int, "pass_max_minutes"?: int,
  "passes_per_day"?: int}`` (at least one; tighter values apply now, looser ones become
  pending changes — DESIGN §4a)
- ``cancel_pending`` ``{"id": int}`` (immediate: cancelling tightens)
- ``begin_reflect`` ``{"domains": [str, ...], "countdown_seconds": int 5..300}``: the reflect
  dialog appeared; ``grant_pass`` for these names is refused until the countdown has passed.

The loopback addresses written to the hosts file are the helper's own configuration and
are never taken from a client. Every domain is normalised with
:func:`nocontact_desktop.core.blocking.domains.normalize_domain` here, while decoding, so that
nothing invalid ever reaches the code that writes the hosts file.

This module is pure (no I/O) and is shared by the helper and by the client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from nocontact_desktop.core.blocking.domains import normalize_domain
from nocontact_desktop.core.commitment.rules import (
    MAX_COUNTDOWN_SECONDS,
    MIN_COUNTDOWN_SECONDS,
    check_value,
)
from nocontact_desktop.core.errors import BadInput

PROTOCOL_VERSION: Final = 1

# 512 KiB holds a set_blocklist of 2,000 names even if every one is 253 characters long
# (2,000 x (253 + 4) bytes of JSON ~ 502 KiB); realistic names are far shorter, so the
# 5,000-name cap below fits too. Anything longer is refused before it is parsed.
MAX_MESSAGE_BYTES: Final = 512 * 1024
MAX_DOMAINS: Final = 5000
MIN_PASS_MINUTES: Final = 1
MAX_PASS_MINUTES: Final = 240
# Gate changes the helper holds (DESIGN §4a): an app's id may be a saved program path.
GATE_CHANGE_KINDS: Final = ("gate_remove", "gate_pause")
MAX_APP_CHARS: Final = 512
MAX_LABEL_CHARS: Final = 120
MAX_GATE_PAUSE_MINUTES: Final = 24 * 60

EVENT_NAMES: Final = frozenset(
    {
        "blocked_hit",
        "pass_started",
        "pass_expired",
        "tamper_restored",
        "blocklist_applied",
        "pending_added",
        "pending_applied",
        "pending_cancelled",
        "commitment_changed",
    }
)
MAX_PENDING_ID: Final = 2**53


class ErrorCode(StrEnum):
    """Machine-readable reason in an error reply."""

    BAD_REQUEST = "bad_request"  # not JSON, not an object, wrong keys or types
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_COMMAND = "unknown_command"
    BAD_INPUT = "bad_input"  # a domain or a number was refused
    TOO_LARGE = "too_large"
    NOT_ON_BLOCKLIST = "not_on_blocklist"
    FORBIDDEN = "forbidden"  # the caller's uid may not command the helper
    TIMEOUT = "timeout"
    BUSY = "busy"  # too many connections
    INTERNAL = "internal"  # the helper failed (e.g. could not write the hosts file)
    PASS_TOO_LONG = "pass_too_long"  # noqa: S105 - longer than the commitment's pass limit
    NO_PASSES_LEFT = "no_passes_left"  # the day's number of passes is used up
    REFLECT_FIRST = "reflect_first"  # no finished reflect countdown for these names
    NOT_FOUND = "not_found"  # no pending change with that id


class ProtocolError(BadInput):
    """A refused message or argument; becomes an error reply and the connection is closed."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Hello:
    """Greeting: version, pid and a state summary."""


@dataclass(frozen=True)
class Ping:
    """Liveness check."""


@dataclass(frozen=True)
class GetState:
    """The full state: blocklist, passes, section on disk, listener."""


@dataclass(frozen=True)
class Subscribe:
    """Turn this connection into an event stream."""


@dataclass(frozen=True)
class SetBlocklist:
    """Replace the blocklist; ``domains`` are normalised, unique and sorted."""

    domains: tuple[str, ...]


@dataclass(frozen=True)
class GrantPass:
    """Unblock ``domains`` (all on the blocklist) for ``minutes``."""

    domains: tuple[str, ...]
    minutes: int


@dataclass(frozen=True)
class RevokePass:
    """End the passes of ``domains`` now (names without a pass are ignored)."""

    domains: tuple[str, ...]


@dataclass(frozen=True)
class GetCommitment:
    """The commitment and every pending change."""


@dataclass(frozen=True)
class SetCommitment:
    """Change the commitment; ``None`` leaves a value as it is."""

    delay_minutes: int | None = None
    pass_max_minutes: int | None = None
    passes_per_day: int | None = None
    browser_policies: int | None = None

    def values(self) -> dict[str, int]:
        """The given values by wire name."""
        given = {
            "delay_minutes": self.delay_minutes,
            "pass_max_minutes": self.pass_max_minutes,
            "passes_per_day": self.passes_per_day,
            "browser_policies": self.browser_policies,
        }
        return {key: value for key, value in given.items() if value is not None}


@dataclass(frozen=True)
class CancelPending:
    """Cancel the pending change ``id`` (immediate)."""

    id: int


@dataclass(frozen=True)
class HoldGateChange:
    """Hold a loosening of the app gate for the commitment delay (DESIGN §4a).

    The gate runs as the person, so the helper cannot apply it: it keeps the due time on its
    trusted clock, marks the change ``ready`` when it is due, and the client applies it and
    calls :class:`FinishPending`. ``kind`` is ``gate_remove`` (``app``: the gated app's id,
    ``label``: its name as shown) or ``gate_pause`` (``minutes`` of pause once due).
    """

    kind: str
    app: str
    label: str
    minutes: int


@dataclass(frozen=True)
class FinishPending:
    """The client applied the ready gate change ``id``: forget it."""

    id: int


@dataclass(frozen=True)
class BeginReflect:
    """The reflect moment for ``domains`` began; its countdown lasts ``countdown_seconds``."""

    domains: tuple[str, ...]
    countdown_seconds: int


Request = (
    Hello
    | Ping
    | GetState
    | Subscribe
    | SetBlocklist
    | GrantPass
    | RevokePass
    | GetCommitment
    | SetCommitment
    | CancelPending
    | HoldGateChange
    | FinishPending
    | BeginReflect
)

_NO_ARGS: Final[dict[str, type[Hello | Ping | GetState | Subscribe | GetCommitment]]] = {
    "hello": Hello,
    "ping": Ping,
    "get_state": GetState,
    "subscribe": Subscribe,
    "get_commitment": GetCommitment,
}
# Argument keys of each command besides "v" and "cmd".
_ARGUMENTS: Final[dict[str, frozenset[str]]] = {
    "hello": frozenset(),
    "ping": frozenset(),
    "get_state": frozenset(),
    "subscribe": frozenset(),
    "set_blocklist": frozenset({"domains"}),
    "grant_pass": frozenset({"domains", "minutes"}),
    "revoke_pass": frozenset({"domains"}),
    "get_commitment": frozenset(),
    "set_commitment": frozenset(
        {"delay_minutes", "pass_max_minutes", "passes_per_day", "browser_policies"}
    ),
    "cancel_pending": frozenset({"id"}),
    "hold_gate_change": frozenset({"kind", "app", "label", "minutes"}),
    "finish_pending": frozenset({"id"}),
    "begin_reflect": frozenset({"domains", "countdown_seconds"}),
}
# Arguments a command may leave out (set_commitment: any, but at least one).
_OPTIONAL: Final[dict[str, frozenset[str]]] = {
    "set_commitment": frozenset(
        {"delay_minutes", "pass_max_minutes", "passes_per_day", "browser_policies"}
    ),
}
COMMANDS: Final = frozenset(_ARGUMENTS)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _parse_json_object(line: bytes, what: str) -> dict[str, Any]:
    """Parse one line as a JSON object, strictly (no NaN, no duplicate keys)."""
    if len(line) > MAX_MESSAGE_BYTES:
        raise ProtocolError(
            ErrorCode.TOO_LARGE, f"{what} is {len(line)} bytes; the limit is {MAX_MESSAGE_BYTES}"
        )
    if line.endswith(b"\n"):
        line = line[:-1]
    if b"\n" in line:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{what} spans more than one line")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{what} is not UTF-8") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_object)
    except RecursionError:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{what} is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, duplicate keys, NaN, huge integers
        reason = str(error).splitlines()[0][:200]
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{what} is not valid JSON: {reason}") from None
    if not isinstance(value, dict):
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{what} is not a JSON object")
    return value


def _check_version(message: Mapping[str, Any], what: str) -> None:
    if "v" not in message:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{what} has no protocol version 'v'")
    version = message["v"]
    if type(version) is not int:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{what} has a 'v' that is not an integer")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"protocol version {version} is not supported; this helper speaks {PROTOCOL_VERSION}",
        )


def _domains(value: object, *, allow_empty: bool) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "'domains' must be a list of strings")
    if len(value) > MAX_DOMAINS:
        raise ProtocolError(
            ErrorCode.TOO_LARGE, f"'domains' has {len(value)} names; the limit is {MAX_DOMAINS}"
        )
    if not value and not allow_empty:
        raise ProtocolError(ErrorCode.BAD_INPUT, "'domains' must name at least one domain")
    names: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            raise ProtocolError(ErrorCode.BAD_REQUEST, "'domains' must be a list of strings")
        try:
            names.add(normalize_domain(item))
        except BadInput as error:
            raise ProtocolError(ErrorCode.BAD_INPUT, str(error)) from None
    return tuple(sorted(names))


def _minutes(value: object) -> int:
    # bool is an int in Python; JSON true is not a number of minutes.
    if type(value) is not int:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "'minutes' must be an integer")
    if not MIN_PASS_MINUTES <= value <= MAX_PASS_MINUTES:
        raise ProtocolError(
            ErrorCode.BAD_INPUT,
            f"'minutes' {value} is out of range: a pass lasts "
            f"{MIN_PASS_MINUTES} to {MAX_PASS_MINUTES} minutes",
        )
    return value


def decode_request(line: bytes) -> Request:
    """Parse and validate one request line; raise :class:`ProtocolError` if it is refused.

    Refused: over :data:`MAX_MESSAGE_BYTES`, not UTF-8, not JSON, not an object, duplicate
    keys, missing or wrong ``v``, missing or unknown ``cmd``, unknown or missing arguments,
    arguments of the wrong type, more than :data:`MAX_DOMAINS` names, any name that
    :func:`normalize_domain` refuses, minutes outside 1..240.
    """
    message = _parse_json_object(line, "request")
    _check_version(message, "request")
    cmd = message.get("cmd")
    if cmd is None:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "request has no 'cmd'")
    if not isinstance(cmd, str):
        raise ProtocolError(ErrorCode.BAD_REQUEST, "'cmd' must be a string")
    if cmd not in _ARGUMENTS:
        shown = cmd if len(cmd) <= 40 and cmd.isprintable() else cmd[:40].encode("unicode_escape")
        raise ProtocolError(ErrorCode.UNKNOWN_COMMAND, f"unknown command {shown!r}")
    given = set(message) - {"v", "cmd"}
    expected = _ARGUMENTS[cmd]
    extra = sorted(given - expected)
    if extra:
        listed = ", ".join(repr(key[:40]) for key in extra[:5])
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"'{cmd}' does not take {listed}")
    missing = sorted(expected - given - _OPTIONAL.get(cmd, frozenset()))
    if missing:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST, f"'{cmd}' needs {', '.join(repr(k) for k in missing)}"
        )
    if cmd in _NO_ARGS:
        return _NO_ARGS[cmd]()
    if cmd == "set_blocklist":
        return SetBlocklist(_domains(message["domains"], allow_empty=True))
    if cmd == "grant_pass":
        domains = _domains(message["domains"], allow_empty=False)
        return GrantPass(domains, _minutes(message["minutes"]))
    if cmd == "set_commitment":
        return _set_commitment(message)
    if cmd == "cancel_pending":
        return CancelPending(_whole(message["id"], "id", 1, MAX_PENDING_ID))
    if cmd == "finish_pending":
        return FinishPending(_whole(message["id"], "id", 1, MAX_PENDING_ID))
    if cmd == "hold_gate_change":
        return _hold_gate_change(message)
    if cmd == "begin_reflect":
        domains = _domains(message["domains"], allow_empty=False)
        seconds = _whole(
            message["countdown_seconds"],
            "countdown_seconds",
            MIN_COUNTDOWN_SECONDS,
            MAX_COUNTDOWN_SECONDS,
        )
        return BeginReflect(domains, seconds)
    return RevokePass(_domains(message["domains"], allow_empty=False))


def _printable(value: object, key: str, longest: int, *, allow_empty: bool) -> str:
    if not isinstance(value, str):
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"{key!r} must be a string")
    if (not value and not allow_empty) or len(value) > longest or not value.isprintable():
        raise ProtocolError(
            ErrorCode.BAD_INPUT,
            f"{key!r} is not valid: 1 to {longest} printable characters",
        )
    return value


def _hold_gate_change(message: Mapping[str, Any]) -> HoldGateChange:
    kind = message["kind"]
    if kind not in GATE_CHANGE_KINDS:
        raise ProtocolError(
            ErrorCode.BAD_INPUT,
            f"'kind' must be one of {', '.join(GATE_CHANGE_KINDS)}",
        )
    if kind == "gate_remove":
        app = _printable(message["app"], "app", MAX_APP_CHARS, allow_empty=False)
        label = _printable(message["label"], "label", MAX_LABEL_CHARS, allow_empty=False)
        _whole(message["minutes"], "minutes", 0, 0)
        return HoldGateChange(kind, app, label, 0)
    if message["app"] != "" or message["label"] != "":
        raise ProtocolError(ErrorCode.BAD_INPUT, "'gate_pause' takes an empty 'app' and 'label'")
    minutes = _whole(message["minutes"], "minutes", 1, MAX_GATE_PAUSE_MINUTES)
    return HoldGateChange(kind, "", "", minutes)


def _whole(value: object, key: str, low: int, high: int) -> int:
    if type(value) is not int:
        raise ProtocolError(ErrorCode.BAD_REQUEST, f"'{key}' must be an integer")
    if not low <= value <= high:
        raise ProtocolError(
            ErrorCode.BAD_INPUT, f"'{key}' {value} is out of range: from {low} to {high}"
        )
    return value


def _set_commitment(message: Mapping[str, Any]) -> SetCommitment:
    values: dict[str, int] = {}
    for key in _ARGUMENTS["set_commitment"]:
        if key not in message:
            continue
        value = message[key]
        if type(value) is not int:
            raise ProtocolError(
                ErrorCode.BAD_REQUEST, f"'{key}' must be an integer (whole minutes or a count)"
            )
        try:
            values[key] = check_value(key, value)
        except BadInput as error:
            raise ProtocolError(ErrorCode.BAD_INPUT, str(error)) from None
    if not values:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            "'set_commitment' needs at least one of 'delay_minutes', 'pass_max_minutes', "
            "'passes_per_day', 'browser_policies'",
        )
    return SetCommitment(**values)


def _dump(message: Mapping[str, Any]) -> bytes:
    # ensure_ascii keeps every line pure ASCII; allow_nan=False keeps it strict JSON.
    text = json.dumps(message, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return (text + "\n").encode("ascii")


def encode_request(request: Request) -> bytes:
    """The wire line for ``request`` (used by the client)."""
    message: dict[str, Any] = {"v": PROTOCOL_VERSION}
    match request:
        case Hello():
            message["cmd"] = "hello"
        case Ping():
            message["cmd"] = "ping"
        case GetState():
            message["cmd"] = "get_state"
        case Subscribe():
            message["cmd"] = "subscribe"
        case SetBlocklist(domains):
            message.update(cmd="set_blocklist", domains=list(domains))
        case GrantPass(domains, minutes):
            message.update(cmd="grant_pass", domains=list(domains), minutes=minutes)
        case RevokePass(domains):
            message.update(cmd="revoke_pass", domains=list(domains))
        case GetCommitment():
            message["cmd"] = "get_commitment"
        case SetCommitment():
            message.update(cmd="set_commitment", **request.values())
        case CancelPending(pending_id):
            message.update(cmd="cancel_pending", id=pending_id)
        case HoldGateChange(kind, app, label, minutes):
            message.update(cmd="hold_gate_change", kind=kind, app=app, label=label,
                           minutes=minutes)  # fmt: skip
        case FinishPending(pending_id):
            message.update(cmd="finish_pending", id=pending_id)
        case BeginReflect(domains, seconds):
            message.update(cmd="begin_reflect", domains=list(domains), countdown_seconds=seconds)
    return _dump(message)


def encode_ok(result: Mapping[str, Any]) -> bytes:
    """A success reply line."""
    return _dump({"v": PROTOCOL_VERSION, "ok": True, "result": dict(result)})


def encode_error(code: ErrorCode, message: str) -> bytes:
    """An error reply line."""
    return _dump(
        {"v": PROTOCOL_VERSION, "ok": False, "error": {"code": str(code), "message": message}}
    )


def encode_event(event: Mapping[str, Any]) -> bytes:
    """An event line; ``event["event"]`` must be one of :data:`EVENT_NAMES`."""
    if event.get("event") not in EVENT_NAMES:
        raise ValueError(f"unknown event {event.get('event')!r}")
    return _dump({"v": PROTOCOL_VERSION, **event})


@dataclass(frozen=True)
class Reply:
    """A decoded reply: either ``ok`` with ``result`` or an error ``code`` and ``message``."""

    ok: bool
    result: dict[str, Any]
    code: str = ""
    message: str = ""


def decode_reply(line: bytes) -> Reply:
    """Parse a reply line (client side); :class:`ProtocolError` if it is not a valid reply."""
    message = _parse_json_object(line, "reply")
    _check_version(message, "reply")
    ok = message.get("ok")
    if ok is True:
        result = message.get("result")
        if not isinstance(result, dict):
            raise ProtocolError(ErrorCode.BAD_REQUEST, "reply has no 'result' object")
        return Reply(True, result)
    if ok is False:
        error = message.get("error")
        if not isinstance(error, dict):
            raise ProtocolError(ErrorCode.BAD_REQUEST, "error reply has no 'error' object")
        code, text = error.get("code"), error.get("message")
        if not isinstance(code, str) or not isinstance(text, str):
            raise ProtocolError(ErrorCode.BAD_REQUEST, "error reply lacks 'code' or 'message'")
        return Reply(False, {}, code, text)
    raise ProtocolError(ErrorCode.BAD_REQUEST, "reply has no boolean 'ok'")


def decode_event(line: bytes) -> dict[str, Any]:
    """Parse an event line (client side); :class:`ProtocolError` if it is not an event."""
    message = _parse_json_object(line, "event")
    _check_version(message, "event")
    if message.get("event") not in EVENT_NAMES:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "message is not a known event")
    del message["v"]
    return message
