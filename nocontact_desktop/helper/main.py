"""``nocontact helper run``: start the privileged helper (also ``python -m ...helper.main``).

Exit codes (DESIGN §9): 0 stopped cleanly (SIGTERM/SIGINT), 2 bad arguments (one line on
stderr naming the input and why), 1 the helper could not start or failed.

Logs go to stderr as fixed messages with counts; domain names only at ``--debug``; request
bytes and free text never.

Test knobs (hidden from ``--help``): ``--pass-minute-seconds S`` makes one helper "minute" last
S seconds — of a pass, of the commitment delay, of the 24 hours that limit the number of
passes, and of the reflect countdown — so tests can watch them end; it only accepts
0 < S <= 60, so it can shorten them but never lengthen them. ``--ipc-read-timeout S``
(default 10) is how long a client may take to send a complete request. Only whoever starts
the (root) helper can set either.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from nocontact_desktop.core.blocking.browser_policies import PolicyFile
from nocontact_desktop.core.clock import SystemClock
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.helper.daemon import HelperConfig, HelperDaemon, HelperStartError
from nocontact_desktop.helper.ipc_server import SocketSetupError

log = logging.getLogger("nocontact_desktop.helper")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class _ArgumentError(Exception):
    """argparse refused the arguments (message already formatted)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _ArgumentError(message)


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``helper run`` to ``parser`` (the CLI can reuse this)."""
    parser.add_argument("--hosts-file", type=Path, metavar="P", help="hosts file to manage")
    parser.add_argument("--socket", type=Path, metavar="P", help="Unix socket for clients")
    parser.add_argument(
        "--listen-address",
        action="append",
        default=None,
        metavar="A",
        help="loopback address for the listener and the hosts file (repeatable)",
    )
    parser.add_argument(
        "--http-port", type=int, default=80, metavar="N", help="listener HTTP port (0: any)"
    )
    parser.add_argument(
        "--https-port", type=int, default=443, metavar="N", help="listener HTTPS port (0: any)"
    )
    parser.add_argument(
        "--allow-uid",
        action="append",
        type=int,
        default=[],
        metavar="UID",
        help="user id allowed to command the helper (repeatable); root always is",
    )
    parser.add_argument(
        "--state-dir", type=Path, metavar="P", help="folder for the helper's state file"
    )
    parser.add_argument(
        "--tamper-check-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how often the hosts file is checked for changes (default 1)",
    )
    parser.add_argument(
        "--no-listener", action="store_true", help="do not run the loopback listener"
    )
    parser.add_argument(
        "--browser-policies",
        choices=("auto", "on", "off"),
        default="auto",
        help="write the browsers' system policies (DNS over HTTPS off): auto = only when "
        "managing this machine's own hosts file (no --hosts-file given)",
    )
    parser.add_argument("--debug", action="store_true", help="verbose log (includes names)")
    # Test knobs, hidden from --help (see the module documentation).
    parser.add_argument("--pass-minute-seconds", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--ipc-read-timeout", type=float, default=10.0, help=argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``nocontact helper run``."""
    parser = _Parser(prog="nocontact helper run", description="Run the No Contact helper.")
    add_run_arguments(parser)
    return parser


def config_from_args(args: argparse.Namespace) -> HelperConfig:
    """The helper's configuration from parsed arguments and the platform's defaults.

    Raises :class:`BadInput` for a value the helper refuses.
    """
    addresses = tuple(args.listen_address) if args.listen_address else None
    return HelperConfig.platform_defaults(
        hosts_file=args.hosts_file,
        socket_path=args.socket,
        state_dir=args.state_dir,
        listen_addresses=addresses,
        http_port=args.http_port,
        https_port=args.https_port,
        allowed_uids=frozenset(args.allow_uid),
        tamper_check_interval=args.tamper_check_interval,
        listener_enabled=not args.no_listener,
        pass_minute_seconds=args.pass_minute_seconds,
        ipc_read_timeout=args.ipc_read_timeout,
    )


def notify_systemd(message: str = "READY=1", environ: dict[str, str] | None = None) -> bool:
    """Tell the service manager ``message`` (sd_notify) when it asked for it; True if sent.

    systemd sets ``$NOTIFY_SOCKET`` for a ``Type=notify`` unit: a datagram socket path, or an
    abstract one written with a leading ``@``. Without it (run by hand, tests) nothing is sent.
    """
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if address.startswith("@"):
        address = "\0" + address[1:]
    elif not address.startswith("/"):
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode("utf-8"))
    except OSError as error:
        log.warning("cannot notify the service manager: %s", error.strerror)
        return False
    return True


class ServiceDaemon(HelperDaemon):
    """The helper as a service: tells systemd it is ready once it answers and listens."""

    async def start(self) -> None:
        """Start, then send READY=1 (socket bound and serving, listener up)."""
        await super().start()
        notify_systemd("READY=1\nSTATUS=answering on its socket")

    async def stop(self) -> None:
        """Send STOPPING=1, then stop."""
        notify_systemd("STOPPING=1")
        await super().stop()


def _policy_files(choice: str, hosts_file: Path | None) -> list[PolicyFile]:
    """The browsers' system policy files the helper keeps (issue 15).

    ``auto``: only a helper that manages this machine's own hosts file (started without
    ``--hosts-file``, as the service is) writes them; one started on another file (tests,
    trial runs) must never change the browsers of the machine. ``on`` forces them (a test in
    a private mount namespace with throwaway policy folders), ``off`` never writes them.
    """
    if choice == "off" or (choice == "auto" and hosts_file is not None):
        return []
    from nocontact_desktop import platform  # noqa: PLC0415 - the composition root

    return list(platform.current().browser_policy_files())


def _configure_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("nocontact-helper %(levelname)s %(message)s"))
    root = logging.getLogger("nocontact_desktop")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    root.propagate = False


def run_helper(argv: Sequence[str] | None = None) -> int:
    """Run the helper until SIGTERM/SIGINT; return the exit code (0, 1 or 2)."""
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        config = config_from_args(args)
    except _ArgumentError as error:
        print(f"nocontact helper run: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadInput as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else EXIT_OK
    _configure_logging(args.debug)
    daemon = ServiceDaemon(
        config, SystemClock(), policy_files=_policy_files(args.browser_policies, args.hosts_file)
    )
    try:
        asyncio.run(daemon.run())
    except (HelperStartError, SocketSetupError) as error:
        log.error("cannot start: %s", error)
        return EXIT_FAILURE
    except Exception:
        log.exception("helper failed")
        return EXIT_FAILURE
    log.info("helper stopped")
    return EXIT_OK


def main() -> None:
    """Entry point of ``python -m nocontact_desktop.helper.main``."""
    raise SystemExit(run_helper())


if __name__ == "__main__":
    main()
