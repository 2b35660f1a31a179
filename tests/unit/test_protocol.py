"""The helper's wire protocol refuses every malformed or dangerous request (DESIGN §2, §4)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.helper_link.protocol import (
    EVENT_NAMES,
    MAX_DOMAINS,
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    ErrorCode,
    FinishPending,
    GetState,
    GrantPass,
    Hello,
    HoldGateChange,
    Ping,
    ProtocolError,
    RevokePass,
    SetBlocklist,
    Subscribe,
    decode_event,
    decode_reply,
    decode_request,
    encode_error,
    encode_event,
    encode_ok,
    encode_request,
)


def line(message: Any) -> bytes:
    return (json.dumps(message) + "\n").encode()


def refused(raw: bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        decode_request(raw)
    assert isinstance(caught.value, BadInput)  # the CLI maps BadInput to exit code 2
    assert caught.value.message
    return caught.value


# --- accepted requests ---------------------------------------------------------------------


def test_every_command_round_trips_through_encode_and_decode() -> None:
    requests = [
        Hello(),
        Ping(),
        GetState(),
        Subscribe(),
        SetBlocklist(("example.com", "www.example.com")),
        SetBlocklist(()),
        GrantPass(("example.com",), 15),
        RevokePass(("example.com",)),
        HoldGateChange("gate_remove", "path:/usr/bin/signal-desktop", "Signal", 0),
        HoldGateChange("gate_pause", "", "", 60),
        FinishPending(7),
    ]
    for request in requests:
        encoded = encode_request(request)
        assert encoded.endswith(b"\n") and encoded.count(b"\n") == 1
        assert decode_request(encoded) == request


def test_domains_are_normalised_deduplicated_and_sorted() -> None:
    request = decode_request(
        line({"v": 1, "cmd": "set_blocklist", "domains": ["WWW.Example.COM.", "b.org", "b.org"]})
    )
    assert request == SetBlocklist(("b.org", "www.example.com"))


def test_international_names_are_punycoded() -> None:
    request = decode_request(line({"v": 1, "cmd": "set_blocklist", "domains": ["bücher.de"]}))
    assert request == SetBlocklist(("xn--bcher-kva.de",))


def test_a_line_without_trailing_newline_is_accepted() -> None:
    assert decode_request(b'{"v":1,"cmd":"ping"}') == Ping()


def test_a_2000_name_blocklist_of_maximum_length_names_fits_in_one_message() -> None:
    # 2,000 distinct names, each exactly 253 characters (the longest a name can be).
    label = "a" * 63
    names = [f"{label}.{label}.{label}.{i:05d}{'b' * 52}.com" for i in range(2000)]
    assert all(len(n) == 253 for n in names)
    raw = encode_request(SetBlocklist(tuple(names)))
    assert len(raw) <= MAX_MESSAGE_BYTES
    request = decode_request(raw)
    assert isinstance(request, SetBlocklist) and len(request.domains) == 2000


def test_pass_minutes_bounds_are_inclusive() -> None:
    for minutes in (1, 240):
        request = decode_request(
            line({"v": 1, "cmd": "grant_pass", "domains": ["a.com"], "minutes": minutes})
        )
        assert request == GrantPass(("a.com",), minutes)


# --- malformed messages --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\n",
        b"{",
        b"not json\n",
        b'{"v":1,"cmd":"ping"',
        b"{'v':1,'cmd':'ping'}",
        b'{"v":1,"cmd":"ping"}{"v":1}',
        b'{"v":1,"cmd":"ping",}',
        b"\xff\xfe{}\n",
        b'{"v":1,"cmd":"ping","x":NaN}',
        b'{"v":1,"cmd":"ping","x":Infinity}',
        b'{"v":1,"cmd":"ping","cmd":"hello"}',
        b'{"v":1,"cmd":"ping"}\n{"v":1,"cmd":"ping"}\n',
        b'{"v":1,"cmd":"grant_pass","domains":["a.com"],"minutes":' + b"9" * 5000 + b"}",
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_json_is_a_bad_request(raw: bytes) -> None:
    assert refused(raw).code == ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("value", [[], [1, 2], "ping", 1, None, True, 1.5])
def test_a_message_that_is_not_an_object_is_refused(value: object) -> None:
    assert refused(line(value)).code == ErrorCode.BAD_REQUEST


def test_oversized_messages_are_refused_before_parsing() -> None:
    raw = b'{"v":1,"cmd":"ping","pad":"' + b"x" * MAX_MESSAGE_BYTES + b'"}\n'
    assert refused(raw).code == ErrorCode.TOO_LARGE


def test_more_than_the_maximum_number_of_names_is_refused() -> None:
    names = [f"n{i}.com" for i in range(MAX_DOMAINS + 1)]
    error = refused(line({"v": 1, "cmd": "set_blocklist", "domains": names}))
    assert error.code == ErrorCode.TOO_LARGE
    assert str(MAX_DOMAINS) in error.message


# --- version -------------------------------------------------------------------------------


def test_missing_version_is_refused() -> None:
    assert refused(line({"cmd": "ping"})).code == ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("version", [0, 2, 99, -1])
def test_wrong_version_is_refused(version: int) -> None:
    error = refused(line({"v": version, "cmd": "ping"}))
    assert error.code == ErrorCode.UNSUPPORTED_VERSION
    assert str(PROTOCOL_VERSION) in error.message


@pytest.mark.parametrize("version", ["1", 1.0, True, None, [1]])
def test_version_of_the_wrong_type_is_refused(version: object) -> None:
    assert refused(line({"v": version, "cmd": "ping"})).code == ErrorCode.BAD_REQUEST


# --- commands and arguments ----------------------------------------------------------------


def test_missing_command_is_refused() -> None:
    assert refused(line({"v": 1})).code == ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("cmd", ["shutdown", "exec", "set_addresses", "PING", "", "hello "])
def test_unknown_commands_are_refused(cmd: str) -> None:
    assert refused(line({"v": 1, "cmd": cmd})).code == ErrorCode.UNKNOWN_COMMAND


@pytest.mark.parametrize("cmd", [1, None, ["ping"], {"name": "ping"}])
def test_command_of_the_wrong_type_is_refused(cmd: object) -> None:
    assert refused(line({"v": 1, "cmd": cmd})).code == ErrorCode.BAD_REQUEST


@pytest.mark.parametrize(
    "message",
    [
        {"v": 1, "cmd": "ping", "extra": 1},
        {"v": 1, "cmd": "hello", "domains": []},
        {"v": 1, "cmd": "set_blocklist", "domains": [], "addresses": ["10.0.0.1"]},
        {"v": 1, "cmd": "set_blocklist", "domains": [], "hosts_file": "/etc/passwd"},
        {"v": 1, "cmd": "grant_pass", "domains": ["a.com"], "minutes": 5, "id": 1},
        {"v": 1, "cmd": "subscribe", "filter": "x"},
    ],
)
def test_extra_unknown_keys_are_refused(message: dict[str, Any]) -> None:
    assert refused(line(message)).code == ErrorCode.BAD_REQUEST


@pytest.mark.parametrize(
    "message",
    [
        {"v": 1, "cmd": "set_blocklist"},
        {"v": 1, "cmd": "grant_pass", "domains": ["a.com"]},
        {"v": 1, "cmd": "grant_pass", "minutes": 5},
        {"v": 1, "cmd": "revoke_pass"},
    ],
)
def test_missing_arguments_are_refused(message: dict[str, Any]) -> None:
    assert refused(line(message)).code == ErrorCode.BAD_REQUEST


@pytest.mark.parametrize(
    "domains",
    ["example.com", {"example.com": True}, None, 5, [1], [None], [["a.com"]], [{"d": "a.com"}]],
)
def test_domains_of_the_wrong_type_are_refused(domains: object) -> None:
    error = refused(line({"v": 1, "cmd": "set_blocklist", "domains": domains}))
    assert error.code == ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("minutes", ["5", 5.0, 5.5, True, None, [5]])
def test_minutes_of_the_wrong_type_are_refused(minutes: object) -> None:
    error = refused(line({"v": 1, "cmd": "grant_pass", "domains": ["a.com"], "minutes": minutes}))
    assert error.code == ErrorCode.BAD_REQUEST


@pytest.mark.parametrize("minutes", [0, -1, 241, 10**9])
def test_minutes_out_of_range_are_refused(minutes: int) -> None:
    error = refused(line({"v": 1, "cmd": "grant_pass", "domains": ["a.com"], "minutes": minutes}))
    assert error.code == ErrorCode.BAD_INPUT
    assert "240" in error.message


@pytest.mark.parametrize("cmd", ["grant_pass", "revoke_pass"])
def test_pass_commands_need_at_least_one_name(cmd: str) -> None:
    message: dict[str, Any] = {"v": 1, "cmd": cmd, "domains": []}
    if cmd == "grant_pass":
        message["minutes"] = 5
    assert refused(line(message)).code == ErrorCode.BAD_INPUT


# --- dangerous names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "evil.com\n1.2.3.4 bank.com",  # hosts-file injection through a newline
        "evil.com\r\n1.2.3.4 bank.com",
        "evil.com 1.2.3.4",
        "evil.com\tbank.com",
        " evil.com",
        "evil.com\x00",
        "evil.com#comment",
        "*.evil.com",
        "*",
        "evil.*",
        "1.2.3.4",
        "127.0.0.1",
        "::1",
        "[::1]",
        "fe80::1",
        "localhost",
        "www.localhost",
        "LOCALHOST.",
        "evil",
        "",
        ".",
        "evil..com",
        ".evil.com",
        "-evil.com",
        "evil-.com",
        "evil_com.com",
        "evil.com/path",
        "https://evil.com",
        "a" * 64 + ".com",
        ("a" * 60 + ".") * 5 + "com",
        "x" * 5000,
    ],
)
def test_names_the_hosts_file_cannot_safely_hold_are_refused(name: str) -> None:
    for cmd in ("set_blocklist", "grant_pass", "revoke_pass"):
        message: dict[str, Any] = {"v": 1, "cmd": cmd, "domains": ["good.com", name]}
        if cmd == "grant_pass":
            message["minutes"] = 5
        error = refused(line(message))
        assert error.code == ErrorCode.BAD_INPUT
        assert "not a valid domain" in error.message


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=30), min_size=1, max_size=5))
def test_whatever_is_accepted_is_a_plain_hosts_file_name(names: list[str]) -> None:
    raw = line({"v": 1, "cmd": "set_blocklist", "domains": names})
    try:
        request = decode_request(raw)
    except ProtocolError as error:
        assert error.code in (ErrorCode.BAD_INPUT, ErrorCode.BAD_REQUEST)
        return
    assert isinstance(request, SetBlocklist)
    for name in request.domains:
        assert name.isascii() and name == name.lower()
        assert all(c.isalnum() or c in ".-" for c in name)
        assert "." in name and name != "localhost"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_escape_as_anything_but_a_protocol_error(raw: bytes) -> None:
    try:
        decode_request(raw)
    except ProtocolError as error:
        assert error.code in set(ErrorCode)


# --- replies and events --------------------------------------------------------------------


def test_replies_round_trip() -> None:
    ok = decode_reply(encode_ok({"count": 3}))
    assert ok.ok and ok.result == {"count": 3}
    error = decode_reply(encode_error(ErrorCode.BAD_INPUT, "'x' is not a valid domain: y"))
    assert not error.ok and error.code == "bad_input" and "not a valid" in error.message


def test_a_reply_line_is_one_ascii_line_even_with_newlines_in_the_message() -> None:
    raw = encode_error(ErrorCode.BAD_INPUT, "'evil.com\n1.2.3.4 bank.com' is not valid: ü")
    assert raw.count(b"\n") == 1 and raw.endswith(b"\n")
    assert raw.isascii()


@pytest.mark.parametrize(
    "raw", [b"{}", b'{"v":1}', b'{"v":1,"ok":"yes"}', b'{"v":1,"ok":true}', b'{"v":1,"ok":false}']
)
def test_invalid_replies_are_refused(raw: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_reply(raw)


def test_events_round_trip_without_the_version_key() -> None:
    for name in EVENT_NAMES:
        assert decode_event(encode_event({"event": name, "at": "x"})) == {"event": name, "at": "x"}


def test_only_known_events_are_encoded_or_decoded() -> None:
    with pytest.raises(ValueError, match="unknown event"):
        encode_event({"event": "something_else"})
    with pytest.raises(ProtocolError):
        decode_event(b'{"v":1,"event":"nope"}\n')
    with pytest.raises(ProtocolError):
        decode_event(b'{"v":1,"ok":true,"result":{}}\n')


# --- gate changes the helper holds (DESIGN §4a) ----------------------------------------------


def gate(**changes: Any) -> bytes:
    message = {"v": PROTOCOL_VERSION, "cmd": "hold_gate_change", "kind": "gate_remove",
               "app": "signal", "label": "Signal", "minutes": 0}  # fmt: skip
    message.update(changes)
    return line(message)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"kind": "gate_add"}, "'kind' must be one of gate_remove, gate_pause"),
        ({"app": ""}, "'app' is not valid"),
        ({"app": "x" * 513}, "'app' is not valid"),
        ({"label": "Sig\nnal"}, "'label' is not valid"),
        ({"app": 3}, "'app' must be a string"),
        ({"minutes": 5}, "'minutes'"),
        ({"kind": "gate_pause", "minutes": 60}, "empty 'app' and 'label'"),
        ({"kind": "gate_pause", "app": "", "label": "", "minutes": 0}, "'minutes'"),
        ({"kind": "gate_pause", "app": "", "label": "", "minutes": 24 * 60 + 1}, "'minutes'"),
    ],
)
def test_gate_changes_are_checked(changes: dict[str, Any], named: str) -> None:
    assert named in refused(gate(**changes)).message


def test_a_finished_change_needs_a_whole_positive_id() -> None:
    for bad in (0, -1, "3", 1.5, True):
        refused(line({"v": PROTOCOL_VERSION, "cmd": "finish_pending", "id": bad}))
