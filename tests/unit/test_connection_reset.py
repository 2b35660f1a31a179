"""Ending kept-alive connections to newly blocked sites (issue 15): the ss command."""

from __future__ import annotations

from nocontact_desktop.helper.connection_reset import destroy_connections, ss_command


def test_the_command_names_each_real_address_and_both_web_ports() -> None:
    command = ss_command(["198.51.100.10", "2001:db8::10", "127.0.0.1", "::1"])
    assert command == [
        "ss", "-K", "-t", "-n", "state", "established",
        "( dst 198.51.100.10 or dst [2001:db8::10] ) and ( dport = :443 or dport = :80 )",
    ]  # fmt: skip


def test_loopback_only_or_nothing_means_nothing_to_do() -> None:
    assert ss_command(["127.0.0.1", "::1"]) is None
    assert ss_command([]) is None
    assert destroy_connections([]) == 0
