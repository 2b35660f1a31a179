"""The IPC server's own defences, without a helper process (issue 13, findings 1 and 2)."""

from __future__ import annotations

import logging
import struct

import pytest

from nocontact_desktop.helper.ipc_server import RefusalLog, posix_acl


def test_refusals_are_logged_at_most_once_a_minute_per_uid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    refusals = RefusalLog(interval=60.0)
    with caplog.at_level(logging.WARNING, logger="nocontact_desktop.helper.ipc_server"):
        written = [refusals.refused(65534, now=100.0 + i * 0.001) for i in range(13_598)]
        written.append(refusals.refused(1001, now=101.0))  # another uid is logged on its own
        written.append(refusals.refused(65534, now=161.0))
    assert sum(written) == 3
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "ipc: refused a connection from uid 65534 (not allowed)",
        "ipc: refused a connection from uid 1001 (not allowed)",
        "ipc: refused a connection from uid 65534 (not allowed); 13597 more refused since",
    ]


def test_the_socket_acl_grants_exactly_the_allowed_uids() -> None:
    value = posix_acl([1000, 4242, 1000])
    version, rest = struct.unpack("<I", value[:4])[0], value[4:]
    entries = [struct.unpack("<HHI", rest[i : i + 8]) for i in range(0, len(rest), 8)]
    assert version == 2
    assert entries == [
        (0x01, 6, 0xFFFFFFFF),  # owner rw
        (0x02, 6, 1000),
        (0x02, 6, 4242),
        (0x04, 0, 0xFFFFFFFF),  # group: nothing
        (0x10, 6, 0xFFFFFFFF),  # mask rw
        (0x20, 0, 0xFFFFFFFF),  # others: nothing
    ]
