"""The command line (DESIGN §9). Exit codes: 0 done, 2 bad input (one line on stderr), 1 other.

Every command goes through the same core as the tray app.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from nocontact_desktop import __version__
from nocontact_desktop.core.errors import BadInput, HelperServiceError, KeyUnavailable

if TYPE_CHECKING:
    from datetime import datetime

    from nocontact_desktop.core.app_gate.gate_list import GateList
    from nocontact_desktop.core.app_gate.held_changes import GateChanges
    from nocontact_desktop.core.blocking.blocklist import Blocklist, PushResult
    from nocontact_desktop.core.clock import Clock
    from nocontact_desktop.core.helper_link.client import HelperClient
    from nocontact_desktop.core.storage.store import Store

# Commands import what they need when they run: `nocontact --version` and `status` start
# within a few interpreter starts (DESIGN §11) instead of loading every feature up front.

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """argparse found bad input; reported as one line, exit code 2."""


def _terminal_columns() -> int:
    """The terminal's width as :func:`shutil.get_terminal_size` reads it (COLUMNS, then the
    terminal, then 80)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    stream = sys.__stdout__
    if stream is None:
        return 80
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class _Formatter(argparse.HelpFormatter):
    """argparse's help formatter, without importing :mod:`shutil`.

    argparse makes a formatter for every argument it adds, and the stock one imports shutil
    (with bz2, lzma and fnmatch) only to ask the terminal's width: 3 ms of every start
    (DESIGN §11). Help text looks the same.
    """

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = _terminal_columns() - 2  # the stock formatter's margin
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


class Context:
    """What every command gets: the parsed arguments and an injected clock."""

    def __init__(
        self, args: argparse.Namespace, clock: Clock, out: Callable[[str], None] = print
    ) -> None:
        self.args = args
        self.clock = clock
        self.out = out

    @property
    def data_dir(self) -> Path:
        """The data folder: --data-dir, NOCONTACT_DATA_DIR, or the platform's."""
        from nocontact_desktop.core.paths import resolve_data_dir
        return resolve_data_dir(getattr(self.args, "data_dir", None))

    def store(self) -> Store:
        """Open the store; free text is unsealed only when a command needs it."""
        from nocontact_desktop.core.storage.vault import open_data
        return open_data(self.data_dir, interactive=sys.stdin.isatty(), warn=_warn)


def _dumps(value: object, indent: int | None = None) -> str:
    import json  # only the commands that print JSON need it

    return json.dumps(value, indent=indent)


def _warn(message: str) -> None:
    print(f"nocontact: {message}", file=sys.stderr)


# -- commands ---------------------------------------------------------------------------------


def cmd_status(ctx: Context) -> int:
    from nocontact_desktop.core.streak.tracker import Tracker
    with ctx.store() as store:
        status = Tracker(store, ctx.clock).status()
        status["discreet"] = store.setting("discreet", False) is True  # no key needed
    if ctx.args.json:
        ctx.out(_dumps(status))
    elif not status["started"]:
        ctx.out("The count has not started yet. Start it with: nocontact start")
    else:
        next_days = status["next_milestone_days"]
        ctx.out(
            f"Day {status['streak_days']} of no contact (since {status['started_at']}).\n"
            f"Longest streak: {status['longest_streak_days']} days · "
            f"total: {status['total_no_contact_days']} days · next milestone: day {next_days}"
        )
    return EXIT_OK


def _at_option(ctx: Context) -> datetime | None:
    """``--at`` parsed and checked against now, so errors quote what was typed."""
    from nocontact_desktop.core.timeparse import parse_instant, require_not_future
    if ctx.args.at is None:
        return None
    at = parse_instant(ctx.args.at, ctx.clock.zone())
    require_not_future(at, ctx.clock.now(), label=f"--at {ctx.args.at!r}")
    return at


def cmd_start(ctx: Context) -> int:
    from nocontact_desktop.core.streak.tracker import Tracker
    at = _at_option(ctx)
    with ctx.store() as store:
        tracker = Tracker(store, ctx.clock)
        tracker.start(at)
        status = tracker.status()
    ctx.out(f"Counting from {status['started_at']}: day {status['streak_days']}.")
    return EXIT_OK


def cmd_log(ctx: Context) -> int:
    from nocontact_desktop.core.streak.events import LOGGABLE_KINDS, parse_kind
    from nocontact_desktop.core.streak.tracker import Tracker
    kind = parse_kind(ctx.args.kind, allowed=LOGGABLE_KINDS)
    at = _at_option(ctx)
    note = _note_option(ctx.args.note)
    with ctx.store() as store:
        tracker = Tracker(store, ctx.clock)
        tracker.log(kind, at, note)
        status = tracker.status()
    ctx.out(f"Logged {kind.value}. Day {status['streak_days']}.")
    return EXIT_OK


ASK_NOTE = object()  # `--note` given without text: ask for it
NOTE_VISIBLE = (
    "the note you typed on the command line can be seen by other users of this computer in "
    "the process list, and stays in your shell history; next time use --note alone (you are "
    "asked for it) or --note - (read from standard input)"
)


def _note_option(value: object) -> str | None:
    """The note of `--note`: `-` reads standard input, bare `--note` asks; text warns."""
    if value is None:
        return None
    if value is ASK_NOTE:
        if not sys.stdin.isatty():
            raise BadInput("--note without text: there is no terminal to ask in; use --note -")
        text = input("Note (kept encrypted; press Enter when done): ")
    elif value == "-":
        text = sys.stdin.read()
    else:
        _warn(NOTE_VISIBLE)
        text = str(value)
    return text.strip() or None


def cmd_export(ctx: Context) -> int:
    from nocontact_desktop.core.storage.export import write_export
    path = Path(ctx.args.path)
    if path.is_dir():
        raise BadInput(f"{str(path)!r}: is a folder; give a file name for the export")
    if not path.parent.is_dir():
        raise BadInput(f"{str(path)!r}: the folder {str(path.parent)!r} does not exist")
    with ctx.store() as store:
        count = write_export(store, path, ctx.clock.now())
    _warn(f"exported {count} events to {path}. This file is NOT encrypted: keep it somewhere safe.")
    return EXIT_OK


def cmd_import(ctx: Context) -> int:
    from nocontact_desktop.core.storage.export import import_data, read_export
    data = read_export(Path(ctx.args.path))  # validated in full before anything is opened
    with ctx.store() as store:
        added = import_data(store, data, ctx.clock.now())
    ctx.out(f"Imported {added['events']} new events.")
    return EXIT_OK


def cmd_settings_list(ctx: Context) -> int:
    from nocontact_desktop.core.settings import Settings
    with ctx.store() as store:
        items = list(Settings(store).items())
    if ctx.args.json:
        ctx.out(_dumps({setting.key: value for setting, value in items}))
    else:
        for setting, value in items:
            ctx.out(f"{setting.key} = {setting.show(value)}    # {setting.label}")
    return EXIT_OK


def cmd_settings_get(ctx: Context) -> int:
    from nocontact_desktop.core.settings import Settings, setting_named
    setting = setting_named(ctx.args.key)
    with ctx.store() as store:
        ctx.out(setting.show(Settings(store).get(setting.key)))
    return EXIT_OK


def cmd_settings_set(ctx: Context) -> int:
    from nocontact_desktop.core.settings import Settings, setting_named
    setting = setting_named(ctx.args.key)
    value = setting.parse(ctx.args.value)  # checked before the store is opened
    with ctx.store() as store:
        Settings(store).set(setting.key, value)
        if setting.key in ("discreet", "discreet_face"):
            _reword_entries(ctx, Settings(store))
    ctx.out(f"{setting.key} = {setting.show(value)}")
    from nocontact_desktop.core.settings import COMMITMENT_KEYS, commitment_value
    if setting.key in COMMITMENT_KEYS:  # the helper holds the commitment (DESIGN §4a)
        from nocontact_desktop.core.helper_link.client import (
            HelperClient,
            HelperError,
            HelperUnavailable,
        )
        wire, number = commitment_value(setting.key, value)
        try:
            result = HelperClient(_socket_path(ctx)).set_commitment(**{wire: number})
        except (HelperUnavailable, HelperError) as err:
            _warn(f"blocking is off, so nothing holds this commitment yet: {err}")
            return EXIT_OK
        for entry in result.get("added", []):
            ctx.out(f"This loosens your commitment: it takes effect "
                    f"{_when(ctx, str(entry['due_at']))} (pending change {entry['id']}).")
    return EXIT_OK


def _explicit_data_dir(ctx: Context) -> Path | None:
    explicit = getattr(ctx.args, "data_dir", None) or os.environ.get("NOCONTACT_DATA_DIR")
    return ctx.data_dir if explicit else None


def _reword_entries(ctx: Context, settings: Any) -> None:
    """Discreet mode switched from the command line: the login entry (if there is one) and the
    app-menu entry follow at once; a running tray app follows through the database."""
    from nocontact_desktop.core.paths import autostart_command
    from nocontact_desktop.core.privacy.discretion import entry_text
    from nocontact_desktop.platform import current as current_platform
    plat = current_platform()
    discreet = bool(settings.get("discreet"))
    entry = entry_text(discreet=discreet, face_key=str(settings.get("discreet_face")))
    command = autostart_command(_explicit_data_dir(ctx))
    try:
        if plat.autostart_enabled():
            plat.set_autostart(True, command, entry)
        plat.set_menu_entry(entry if discreet else None, command)
    except OSError as err:
        _warn(f"could not reword the login entry: {err.strerror or err}")


ERASE_WORD = "erase"


def cmd_erase(ctx: Context) -> int:
    """Erase the data and its key, the helper's list (its hosts-file section) and the login
    and app-menu entries: after a typed confirmation, or --yes."""
    from nocontact_desktop.core.blocking.blocklist import release_helper
    from nocontact_desktop.core.paths import DB_FILE_NAME
    from nocontact_desktop.core.storage.wipe import wipe_all
    from nocontact_desktop.platform import current as current_platform
    data_dir = ctx.data_dir
    if not ctx.args.yes:
        if not sys.stdin.isatty():
            raise BadInput(
                "erase asks you to type a word to confirm and there is no terminal to ask in: "
                "use --yes in scripts"
            )
        ctx.out(
            f"This erases everything this app keeps in {data_dir}: the count and its history, "
            "notes, messages, reasons, people, lists and settings, and the key that seals "
            "them. Blocked sites come out of the hosts file and the login entry goes. It "
            "cannot be undone."
        )
        typed = input(f"To confirm, type {ERASE_WORD}: ").strip().lower()
        if typed != ERASE_WORD:
            raise BadInput(f"{typed!r} is not {ERASE_WORD!r}: nothing was erased")
    said = [release_helper(_socket_path(ctx))]
    plat = current_platform()
    try:
        plat.set_autostart(False, [])
        plat.set_menu_entry(None, [])
        said.append("The login entry is gone.")
    except OSError as err:
        said.append(f"The login entry could not be removed: {err.strerror or err}.")
    problems: list[str] = []
    if (data_dir / DB_FILE_NAME).exists():
        result = wipe_all(ctx.store(), data_dir)
        problems = result.problems
        key = " and the key in the system keyring" if result.keyring_entry_removed else ""
        said.insert(0, f"Erased {len(result.removed)} files in {data_dir}{key}.")
    else:
        said.insert(0, f"There was no data in {data_dir}.")
    for line in said:
        ctx.out(line)
    for problem in problems:
        _warn(problem)
    return EXIT_FAILURE if problems else EXIT_OK


def _socket_path(ctx: Context) -> Path:
    from nocontact_desktop.core.helper_link.client import default_socket_path
    from nocontact_desktop.platform import current as current_platform
    explicit = getattr(ctx.args, "socket", None)
    if explicit:
        return Path(explicit)
    return default_socket_path(current_platform().helper_socket_path)


def push_blocklist(ctx: Context, blocklist: Blocklist) -> PushResult:
    """Send the wanted list to the helper if it is reachable; say plainly when blocking is off.

    What the helper answers is brought back into the store (pending removals, DESIGN §4a).
    """
    from nocontact_desktop.core.blocking.blocklist import push_to_helper
    result = push_to_helper(blocklist.domains(), _socket_path(ctx))
    if result.applied:
        if result.state is not None:
            blocklist.settle(result.state)
        ctx.out(result.message[0].upper() + result.message[1:] + ".")
    else:
        _warn(result.message)
    return result


def _when(ctx: Context, due_at: str) -> str:
    from datetime import datetime

    from nocontact_desktop.core.commitment.rules import when_text

    due = datetime.fromisoformat(due_at)
    return f"{when_text(due, ctx.clock.zone(), ctx.clock.now())} ({due_at})"


def cmd_block_add(ctx: Context) -> int:
    from nocontact_desktop.core.blocking.blocklist import Blocklist
    with ctx.store() as store:
        blocklist = Blocklist(store)
        new = blocklist.add(ctx.args.items, ctx.clock.now())
        for target in new:
            handle = f" ({target.handle})" if target.handle else ""
            ctx.out(f"Added {target.target}{handle}: {', '.join(target.domains)}")
        if any(t.kind == "profile" for t in new):
            _warn("the hosts file blocks whole sites, not single profiles: "
                  "the whole site is blocked")
        push_blocklist(ctx, blocklist)
    return EXIT_OK


def cmd_block_remove(ctx: Context) -> int:
    """Under a commitment the helper keeps the names until the delay is over (DESIGN §4a)."""
    from nocontact_desktop.core.blocking.blocklist import Blocklist, push_to_helper
    with ctx.store() as store:
        blocklist = Blocklist(store)
        blocklist.parse(ctx.args.items)  # bad input: exit 2 before anything changes
        asked = blocklist.request_removal(ctx.args.items, ctx.clock.now())
        result = push_to_helper(blocklist.domains(), _socket_path(ctx))
        if not result.applied:
            # No helper holds the names: blocking is off, nothing to wait for. A helper that
            # comes back still holds them and turns them into pending removals itself.
            blocklist.remove(ctx.args.items)
            for target in asked:
                ctx.out(f"Removed {target.target}")
            _warn(result.message)
            return EXIT_OK
        if result.state is not None:
            blocklist.settle(result.state)
        still = {t.target: row_id for row_id, t in blocklist.targets()}
        removals = blocklist.removals()
        for target in asked:
            removal = removals.get(still.get(target.target, -1))
            if removal is None:
                ctx.out(f"Removed {target.target}")
            elif removal.due_at is not None:
                ctx.out(
                    f"{target.target} unblocks {_when(ctx, removal.due_at.isoformat())}: "
                    "your commitment delay. Keep it blocked with: "
                    f"nocontact keep {target.target}"
                )
            else:
                ctx.out(f"{target.target} stays blocked: the helper keeps it for now")
        ctx.out(result.message[0].upper() + result.message[1:] + ".")
    return EXIT_OK


def cmd_block_list(ctx: Context) -> int:
    from nocontact_desktop.core.blocking.blocklist import Blocklist
    with ctx.store() as store:
        blocklist = Blocklist(store)
        if blocklist.removals():  # only then ask the helper: `block list` stays fast
            _settle_with_helper(ctx, blocklist)
        entries = blocklist.export()
    if ctx.args.json:
        ctx.out(_dumps(entries))
    elif not entries:
        ctx.out("Nothing is blocked yet. Add a profile address with: nocontact block add URL")
    else:
        for entry in entries:
            domains = entry["domains"]
            assert isinstance(domains, list)
            due = entry["pending_removal_at"]
            waiting = f"  (unblocks {_when(ctx, str(due))})" if due else ""
            ctx.out(f"{entry['target']}  [{entry['kind']}]  {', '.join(domains)}{waiting}")
    return EXIT_OK


def _settle_with_helper(ctx: Context, blocklist: Blocklist) -> None:
    """Drop targets the helper has let go; learn the due times of those it still holds."""
    from nocontact_desktop.core.helper_link.client import (
        HelperClient,
        HelperError,
        HelperUnavailable,
    )
    try:
        state = HelperClient(_socket_path(ctx)).get_state()
    except (HelperUnavailable, HelperError):
        return  # what the store last heard stays shown
    blocklist.settle(state)


def _blocked_domains(ctx: Context) -> list[str]:
    from nocontact_desktop.core.blocking.blocklist import Blocklist
    with ctx.store() as store:
        return Blocklist(store).enforced_domains()  # pending removals are still blocked


def _commitment_client(ctx: Context) -> tuple[HelperClient, dict[str, Any]] | None:
    """The helper and its commitment, or None after saying that blocking is off (exit 1)."""
    from nocontact_desktop.core.helper_link.client import (
        HelperClient,
        HelperError,
        HelperUnavailable,
    )
    client = HelperClient(_socket_path(ctx))
    try:
        return client, client.get_commitment()
    except HelperUnavailable as err:
        _warn(f"blocking is off, so there is no commitment to keep: {err} "
              "(turn it on with: nocontact helper install)")
    except HelperError as err:
        _warn(f"the helper could not tell its commitment: {err}")
    return None


def _pending_line(ctx: Context, entry: dict[str, Any]) -> str:
    from nocontact_desktop.core.commitment.rules import describe_pending
    what = describe_pending(str(entry["kind"]), str(entry["subject"]))
    if entry.get("ready") is True:  # a gate change that came due: the app applies it
        return f"[{entry['id']}] {what} now (the app or the next gate command does it)"
    return f"[{entry['id']}] {what} {_when(ctx, str(entry['due_at']))}"


def _pending_json(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: entry[key] for key in ("id", "kind", "subject", "due_at")} for entry in entries]


def cmd_commitment_show(ctx: Context) -> int:
    from nocontact_desktop.core.commitment.rules import format_duration
    found = _commitment_client(ctx)
    if found is None:
        return EXIT_FAILURE
    _client, commitment = found
    pending = list(commitment.get("pending", []))
    if ctx.args.json:
        keys = ("delay_minutes", "pass_max_minutes", "passes_per_day")
        shown: dict[str, Any] = {key: commitment[key] for key in keys}
        shown["pending"] = _pending_json(pending)
        ctx.out(_dumps(shown))
        return EXIT_OK
    ctx.out(
        f"Commitment delay: {format_duration(int(commitment['delay_minutes']))}\n"
        f"Passes: up to {commitment['pass_max_minutes']} minutes, "
        f"{commitment['passes_per_day']} a day ({commitment.get('passes_left', '?')} left)"
    )
    for entry in pending:
        ctx.out(_pending_line(ctx, entry))
    return EXIT_OK


def cmd_commitment_set(ctx: Context) -> int:
    from nocontact_desktop.core.commitment.rules import format_duration, parse_duration
    from nocontact_desktop.core.helper_link.client import HelperError, HelperUnavailable
    minutes = parse_duration(ctx.args.duration)  # exit 2 before the helper is asked
    found = _commitment_client(ctx)
    if found is None:
        return EXIT_FAILURE
    client, before = found
    try:
        result = client.set_commitment(delay_minutes=minutes)
    except (HelperUnavailable, HelperError) as err:
        _warn(f"the helper did not take the change: {err}")
        return EXIT_FAILURE
    added = [e for e in result.get("added", []) if e.get("kind") == "delay"]
    if added:
        entry = added[0]
        ctx.out(
            f"A shorter delay is a loosening, so it waits for your current delay "
            f"({format_duration(int(before['delay_minutes']))}): the delay becomes "
            f"{format_duration(minutes)} {_when(ctx, str(entry['due_at']))}. "
            f"Cancel it with: nocontact keep {entry['id']}"
        )
    elif "delay_minutes" in result.get("applied", []):
        ctx.out(f"Commitment delay is now {format_duration(minutes)}.")
    else:
        ctx.out(f"Commitment delay stays {format_duration(minutes)}.")
    return EXIT_OK


def cmd_pending(ctx: Context) -> int:
    found = _commitment_client(ctx)
    if found is None:
        return EXIT_FAILURE
    pending = list(found[1].get("pending", []))
    if ctx.args.json:
        ctx.out(_dumps(_pending_json(pending)))
    elif not pending:
        ctx.out("Nothing is waiting to be loosened.")
    else:
        for entry in pending:
            ctx.out(_pending_line(ctx, entry))
    return EXIT_OK


def cmd_keep(ctx: Context) -> int:
    """Cancel a pending change by its id, or put a target waiting to be unblocked back."""
    from nocontact_desktop.core.blocking.blocklist import Blocklist
    from nocontact_desktop.core.commitment.rules import describe_pending
    from nocontact_desktop.core.helper_link.client import HelperError
    what = ctx.args.what.strip()
    if what.isdigit():
        found = _commitment_client(ctx)
        if found is None:
            return EXIT_FAILURE
        client, _commitment = found
        try:
            cancelled = client.cancel_pending(int(what))["cancelled"]
        except HelperError as err:
            if err.code == "not_found":
                raise BadInput(f"{what!r} is not a pending change: see nocontact pending") from None
            raise
        if cancelled.get("kind") == "unblock":
            names = set(cancelled.get("domains", []))
            with ctx.store() as store:
                blocklist = Blocklist(store)
                texts = [t.target for _, t in blocklist.targets() if names & set(t.domains)]
                if texts:
                    blocklist.keep(texts)
        if cancelled.get("kind") == "unblock":
            ctx.out(f"Kept {cancelled['subject']} blocked (pending change {what} cancelled).")
        else:
            what_it_was = describe_pending(str(cancelled["kind"]), str(cancelled["subject"]))
            ctx.out(f"Cancelled pending change {what} ({what_it_was}): it stays as it is.")
        return EXIT_OK
    with ctx.store() as store:
        blocklist = Blocklist(store)
        back = blocklist.add([what], ctx.clock.now())  # a target: back on the list at once
        for target in back:
            ctx.out(f"Kept {target.target} blocked.")
        if not back:
            ctx.out(f"{what} is on your list and not waiting to be unblocked.")
        push_blocklist(ctx, blocklist)
    return EXIT_OK


def cmd_hosts_show(ctx: Context) -> int:
    from nocontact_desktop.core.blocking.hosts_section import render_section
    section = render_section(_blocked_domains(ctx))
    sys.stdout.buffer.write(section)
    sys.stdout.buffer.flush()
    return EXIT_OK


def _hosts_path(ctx: Context) -> Path:
    path = Path(ctx.args.hosts_file)
    if path.is_dir():
        raise BadInput(f"--hosts-file {str(path)!r}: is a folder, not a hosts file")
    if not path.parent.is_dir():
        raise BadInput(
            f"--hosts-file {str(path)!r}: the folder {str(path.parent)!r} does not exist"
        )
    return path


def cmd_hosts_apply(ctx: Context) -> int:
    from nocontact_desktop.core.blocking.hosts_section import apply_to_file
    from nocontact_desktop.platform import current as current_platform
    path = _hosts_path(ctx)
    changed = apply_to_file(path, _blocked_domains(ctx))
    if changed:
        current_platform().flush_dns_cache()
    ctx.out(f"{path}: {'updated' if changed else 'already up to date'}")
    return EXIT_OK


def cmd_hosts_remove(ctx: Context) -> int:
    from nocontact_desktop.core.blocking.hosts_section import remove_from_file
    from nocontact_desktop.platform import current as current_platform
    path = _hosts_path(ctx)
    if not path.exists():
        raise BadInput(f"--hosts-file {str(path)!r}: no such file")
    changed = remove_from_file(path)
    if changed:
        current_platform().flush_dns_cache()
    ctx.out(f"{path}: {'section removed' if changed else 'no No Contact section in it'}")
    here = current_platform()
    if path == Path(here.helper_hosts_path()):
        # This machine's blocks are gone: so are the browsers' policies the helper wrote.
        taken = _remove_browser_policies(here)
        if taken:
            ctx.out(f"browser policies removed: {', '.join(taken)}")
    return EXIT_OK


def _gate_list(store: Store) -> GateList:
    from nocontact_desktop.core.app_gate.gate_list import GateList
    from nocontact_desktop.platform import current as current_platform
    return GateList(store, current_platform().name)


def cmd_gate_add(ctx: Context) -> int:
    with ctx.store() as store:
        new = _gate_list(store).add(ctx.args.items, ctx.clock.now())
    for app in new:
        ctx.out(f"Gated {app.display_name} ({app.id})")
    return EXIT_OK


def _gate_changes(ctx: Context, store: Store) -> GateChanges:
    """Gate loosenings through the helper's commitment; ready ones are applied first."""
    from nocontact_desktop.core.app_gate.held_changes import GateChanges
    from nocontact_desktop.core.helper_link.client import (
        HelperClient,
        HelperError,
        HelperUnavailable,
    )
    client = HelperClient(_socket_path(ctx))
    changes = GateChanges(_gate_list(store), client)
    try:
        pending = client.get_commitment().get("pending", [])
    except HelperUnavailable:
        return GateChanges(_gate_list(store), None)  # blocking is off: no commitment
    except HelperError as err:
        _warn(f"the helper could not tell its commitment: {err}")
        return changes
    try:
        for done in changes.apply_ready(pending):
            _warn(f"your commitment delay has passed: {done}")  # stderr: --json stays clean
    except (HelperUnavailable, HelperError) as err:
        _warn(f"a change that came due could not be finished: {err}")
    return changes


def cmd_gate_remove(ctx: Context) -> int:
    from nocontact_desktop.core.helper_link.client import HelperError
    with ctx.store() as store:
        try:
            outcomes = _gate_changes(ctx, store).remove(ctx.args.items)
        except HelperError as err:
            _warn(f"the helper did not take the change, so nothing changed: {err}")
            return EXIT_FAILURE
    for outcome in outcomes:
        if outcome.entry is None:
            ctx.out(f"No longer gated: {outcome.label} ({outcome.app_id})")
        else:
            ctx.out(
                f"Stopping the gate for an app is a loosening, so it waits for your commitment "
                f"delay: {outcome.label} is no longer gated "
                f"{_when(ctx, str(outcome.entry['due_at']))}. "
                f"Keep it gated with: nocontact keep {outcome.entry['id']}"
            )
    return EXIT_OK


def cmd_gate_list(ctx: Context) -> int:
    with ctx.store() as store:
        _gate_changes(ctx, store)
        entries = _gate_list(store).export()
    if ctx.args.json:
        ctx.out(_dumps(entries))
    elif not entries:
        ctx.out("No app is gated yet. Add one with: nocontact gate add signal")
    else:
        for entry in entries:
            ctx.out(f"{entry['name']}  ({entry['app']})")
    return EXIT_OK


def _nocontact_program() -> str:
    """The `nocontact` program of this installation, as pkexec and the messages name it.

    The .deb's environment in /opt/nocontact is run through /usr/bin/nocontact, the path its
    polkit policy names; the helper's root-owned copy through its launcher.
    """
    if sys.platform.startswith("linux"):
        from nocontact_desktop.platform import linux
        if Path(sys.prefix).resolve().is_relative_to(linux.PACKAGED_PREFIX) and Path(
            linux.PACKAGED_PROGRAM
        ).exists():
            return linux.PACKAGED_PROGRAM
        if sys.argv and Path(sys.argv[0]).resolve() == linux.LOCAL_HELPER_DIR / linux.LAUNCHER_NAME:
            return str(linux.LOCAL_HELPER_DIR / linux.LAUNCHER_NAME)
    beside = Path(sys.executable).parent / "nocontact"
    if beside.exists():
        return str(beside)
    import shutil

    found = shutil.which("nocontact")
    if found:
        return str(Path(found).resolve())
    raise HelperServiceError("cannot find the `nocontact` program of this installation")


def cmd_helper_events(ctx: Context) -> int:
    from nocontact_desktop.core.helper_link.client import (
        HelperClient,
        HelperError,
        HelperUnavailable,
    )
    try:
        for event in HelperClient(_socket_path(ctx)).events():
            ctx.out(_dumps(event))
            sys.stdout.flush()
    except HelperUnavailable as err:
        _warn(f"the helper is not reachable at {_socket_path(ctx)}: {err}")
        return EXIT_FAILURE
    except HelperError as err:
        _warn(f"the helper refused: {err}")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


def cmd_helper_install(ctx: Context) -> int:
    import time

    from nocontact_desktop.core.blocking.blocklist import Blocklist
    from nocontact_desktop.core.blocking.reconcile import reconcile, wait_until_ready
    from nocontact_desktop.core.helper_link.client import HelperClient
    from nocontact_desktop.platform import current as current_platform
    plat = current_platform()
    try:
        plat.install_helper(plat.invoking_uid(), _nocontact_program())
    except HelperServiceError as err:
        _warn(str(err))
        return EXIT_FAILURE
    if os.environ.get("PKEXEC_UID") or os.environ.get("SUDO_UID"):
        ctx.out("The helper is installed.")
        return EXIT_OK  # the elevated re-run; the user's own run applies the user's list
    client = HelperClient(_socket_path(ctx))
    if not wait_until_ready(client, ctx.clock.monotonic, time.sleep):
        _warn(f"the helper was installed but does not answer at {_socket_path(ctx)}; "
              "see: nocontact doctor")
        return EXIT_FAILURE
    with ctx.store() as store:
        blocklist = Blocklist(store)
        result = reconcile(client, blocklist.domains())  # the list saved before the helper
        if result.helper_state is not None:
            blocklist.settle(result.helper_state)
    ctx.out(result.message[0].upper() + result.message[1:] + ".")
    return EXIT_OK if result.on else EXIT_FAILURE


def _remove_browser_policies(here: Any) -> list[str]:
    """As root: take the helper's browser policies out, each file back as it was."""
    if getattr(os, "geteuid", lambda: -1)() != 0:
        return []
    from nocontact_desktop.helper.browser_policies import remove_policies
    return remove_policies(here.browser_policy_files(), here.helper_state_dir())


def cmd_helper_uninstall(ctx: Context) -> int:
    from nocontact_desktop.platform import current as current_platform
    here = current_platform()
    # The browsers' policies go with the blocks (issue 15): taken out by the root process
    # (a user's run elevates and comes back here as root) while the originals the helper
    # kept are still in its state folder, and once more after it stopped, in case it wrote
    # them again meanwhile (then its own keys are taken out of what it finds).
    _remove_browser_policies(here)
    try:
        here.uninstall_helper(_nocontact_program())
    except HelperServiceError as err:
        _warn(str(err))
        return EXIT_FAILURE
    _remove_browser_policies(here)
    ctx.out("The helper is removed; the sites it blocked open again.")
    return EXIT_OK


def _service_status() -> str:
    from nocontact_desktop.platform import current as current_platform
    status = getattr(current_platform(), "helper_service_status", None)
    return status() if status else "unavailable: the helper is not available on this OS yet"


def cmd_helper_status(ctx: Context) -> int:
    from nocontact_desktop.core.helper_link.client import (
        HelperClient,
        HelperError,
        HelperUnavailable,
    )
    service = _service_status()
    try:
        state = HelperClient(_socket_path(ctx)).get_state()
    except (HelperUnavailable, HelperError) as err:
        ctx.out(f"service: {service}\nhelper: not reachable at {_socket_path(ctx)} ({err})")
        return EXIT_FAILURE
    ctx.out(f"service: {service}\nhelper: running\n{_dumps(state, indent=2)}")
    return EXIT_OK


def cmd_doctor(ctx: Context) -> int:
    from nocontact_desktop.core import doctor
    from nocontact_desktop.core.blocking.blocklist import Blocklist
    from nocontact_desktop.core.helper_link.client import HelperClient
    from nocontact_desktop.core.paths import DB_FILE_NAME
    from nocontact_desktop.core.storage.vault import key_source
    from nocontact_desktop.platform import current as current_platform
    plat = current_platform()
    data_dir = ctx.data_dir
    checks: list[doctor.Check | None] = [doctor.check_data(data_dir)]
    blocked: list[str] = []
    if (data_dir / DB_FILE_NAME).exists():
        with ctx.store() as store:
            checks.append(doctor.check_encryption(key_source(store), data_dir))
            blocked = Blocklist(store).domains()
    helper_check, state = doctor.check_helper(HelperClient(_socket_path(ctx)), _service_status)
    checks.append(helper_check)
    hosts_file = Path(state["hosts_file"]) if state and "hosts_file" in state else None
    passes = [d for p in (state or {}).get("passes", []) for d in p.get("domains", [])]
    checks.append(doctor.check_section(hosts_file or plat.helper_hosts_path(), blocked, passes))
    checks.append(doctor.check_hosts_safety(hosts_file or plat.helper_hosts_path()))
    if sys.platform.startswith("linux"):
        checks.append(doctor.check_nsswitch())
    checks.extend(doctor.check_browsers(Path.home(), plat.browser_policy_files()))
    result = doctor.report(checks)
    ctx.out(_dumps(result) if ctx.args.json else doctor.format_report(result))
    return EXIT_OK


NO_DISPLAY = (
    "no graphical display found; start it inside your desktop session, or use the command "
    "line: nocontact --help"
)


def cmd_key_move(ctx: Context) -> int:
    from nocontact_desktop.core.storage.vault import PASSPHRASE_ENV, move_key

    def new_passphrase(_purpose: str) -> str | None:
        # From the environment or the terminal, never from the command line.
        from_env = os.environ.get(PASSPHRASE_ENV)
        if from_env:
            return from_env
        if not sys.stdin.isatty():
            return None
        import getpass
        first = getpass.getpass("New passphrase for your No Contact notes: ")
        if first != getpass.getpass("The same passphrase again: "):
            raise BadInput("the two passphrases differ; nothing was changed")
        return first or None

    with ctx.store() as store:
        message = move_key(store, ctx.data_dir, ctx.args.to, new_passphrase)
    ctx.out(message[0].upper() + message[1:] + ".")
    return EXIT_OK


def cmd_tray(ctx: Context) -> int:
    # Not the whole OS module (platform.current()): it would delay the icon (DESIGN §11).
    from nocontact_desktop.platform.session import graphical_session

    if not graphical_session():
        # Qt would abort with a misleading message about a missing library (exit 134).
        _warn(NO_DISPLAY)
        return EXIT_FAILURE
    from nocontact_desktop.ui.app import run_tray  # Qt only for the tray

    explicit = bool(getattr(ctx.args, "data_dir", None) or os.environ.get("NOCONTACT_DATA_DIR"))
    socket = getattr(ctx.args, "socket", None)
    return run_tray(
        ctx.data_dir,
        ctx.clock,
        explicit_data_dir=explicit,
        socket_path=Path(socket) if socket else None,
    )


# -- parser -----------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # Accepted before or after the subcommand; only the top level sets the default.
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--data-dir", metavar="DIR", default=default, help="data folder")
    parser.add_argument(
        "--socket", metavar="PATH", default=default, help="the helper's socket path"
    )


Command = tuple[Callable[[Context], int], str]


def _list_commands(
    sub: argparse._SubParsersAction[_Parser],
    noun: str,
    help_text: str,
    item: str,
    *,
    add: Command,
    remove: Command,
    show: Command,
) -> None:
    """`NOUN add ITEM...`, `NOUN remove ITEM...` and `NOUN list [--json]` (block, gate)."""
    group = sub.add_parser(noun, help=help_text)
    group_sub = group.add_subparsers(dest=f"{noun}_command", required=True, parser_class=_Parser)
    for name, (func, text) in (("add", add), ("remove", remove)):
        command = group_sub.add_parser(name, help=text)
        _common(command, top=False)
        command.add_argument("items", nargs="+", metavar=item)
        command.set_defaults(func=func)
    listing = group_sub.add_parser("list", help=show[1])
    _common(listing, top=False)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=show[0])


def _add_top_commands(sub: argparse._SubParsersAction[_Parser], only: str | None) -> None:
    def add(name: str, func: Callable[[Context], int], help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text)
        _common(command, top=False)
        command.set_defaults(func=func)
        return command

    if only in (None, "tray"):
        add("tray", cmd_tray, "start the tray app (the default)")
    if only in (None, "status"):
        status = add("status", cmd_status, "show the day count")
        status.add_argument("--json", action="store_true", help="print JSON")
    if only in (None, "start"):
        start = add("start", cmd_start, "(re)start the count")
        start.add_argument("--at", metavar="ISO8601", help="when no contact began (default: now)")
    if only in (None, "log"):
        from nocontact_desktop.core.streak.events import LOGGABLE_KINDS

        log = add("log", cmd_log, "log an event")
        log.add_argument("kind", metavar="KIND", help=" ".join(k.value for k in LOGGABLE_KINDS))
        log.add_argument("--at", metavar="ISO8601", help="when it happened (default: now)")
        log.add_argument(
            "--note",
            nargs="?",
            const=ASK_NOTE,
            metavar="TEXT",
            help="a note, stored encrypted: alone to be asked, - to read standard input",
        )
    if only in (None, "export"):
        export = add("export", cmd_export, "export everything to a JSON file")
        export.add_argument("path", metavar="PATH")
    if only in (None, "import"):
        imp = add("import", cmd_import, "import an export file")
        imp.add_argument("path", metavar="PATH")
    if only in (None, "erase"):
        erase = add("erase", cmd_erase, "erase everything this app keeps (asks to confirm)")
        erase.add_argument("--yes", action="store_true", help="do not ask (for scripts)")


def _add_block(sub: argparse._SubParsersAction[_Parser]) -> None:
    _list_commands(
        sub,
        "block",
        "the sites to block",
        "TARGET",
        add=(cmd_block_add, "block profile addresses, sites or platforms"),
        remove=(cmd_block_remove, "unblock targets"),
        show=(cmd_block_list, "list the blocked targets"),
    )


def _add_hosts(sub: argparse._SubParsersAction[_Parser]) -> None:
    hosts = sub.add_parser("hosts", help="the hosts-file section")
    hosts_sub = hosts.add_subparsers(dest="hosts_command", required=True, parser_class=_Parser)
    show = hosts_sub.add_parser("show", help="print the section that would be written")
    _common(show, top=False)
    show.set_defaults(func=cmd_hosts_show)
    for name, func, text in (
        ("apply", cmd_hosts_apply, "write the section into a hosts file directly"),
        ("remove", cmd_hosts_remove, "remove the section, restoring the file byte for byte"),
    ):
        command = hosts_sub.add_parser(name, help=text)
        _common(command, top=False)
        command.add_argument("--hosts-file", metavar="PATH", required=True)
        command.set_defaults(func=func)


def _add_gate(sub: argparse._SubParsersAction[_Parser]) -> None:
    _list_commands(
        sub,
        "gate",
        "apps that wait for the delay dialog",
        "APP",
        add=(cmd_gate_add, "gate apps (preset, executable name or path)"),
        remove=(cmd_gate_remove, "stop gating apps"),
        show=(cmd_gate_list, "list the gated apps"),
    )


def _add_helper(sub: argparse._SubParsersAction[_Parser]) -> None:
    helper = sub.add_parser("helper", help="the privileged helper that blocks sites")
    helper_sub = helper.add_subparsers(dest="helper_command", required=True, parser_class=_Parser)
    helper_sub.add_parser(
        "run", help="run the helper (as root); see: nocontact helper run --help", add_help=False
    ).add_argument("rest", nargs=argparse.REMAINDER)
    for name, func, text in (
        ("events", cmd_helper_events, "print each helper event as one JSON line"),
        ("install", cmd_helper_install, "install and start the helper (asks for admin rights)"),
        ("uninstall", cmd_helper_uninstall, "stop and remove the helper"),
        ("status", cmd_helper_status, "is the helper installed and running?"),
    ):
        command = helper_sub.add_parser(name, help=text)
        _common(command, top=False)
        command.set_defaults(func=func)


def _add_settings(sub: argparse._SubParsersAction[_Parser]) -> None:
    settings = sub.add_parser("settings", help="typed settings (nocontact settings list)")
    settings_sub = settings.add_subparsers(
        dest="settings_command", required=True, parser_class=_Parser
    )
    listing = settings_sub.add_parser("list", help="every setting with its value")
    _common(listing, top=False)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_settings_list)
    getting = settings_sub.add_parser("get", help="print one setting")
    _common(getting, top=False)
    getting.add_argument("key", metavar="KEY")
    getting.set_defaults(func=cmd_settings_get)
    setting = settings_sub.add_parser("set", help="change one setting")
    _common(setting, top=False)
    setting.add_argument("key", metavar="KEY")
    setting.add_argument("value", metavar="VALUE")
    setting.set_defaults(func=cmd_settings_set)



def _add_commitment(sub: argparse._SubParsersAction[_Parser]) -> None:
    commitment = sub.add_parser("commitment", help="the delay before anything loosens")
    commitment_sub = commitment.add_subparsers(
        dest="commitment_command", required=True, parser_class=_Parser
    )
    showing = commitment_sub.add_parser("show", help="the commitment and pending changes")
    _common(showing, top=False)
    showing.add_argument("--json", action="store_true")
    showing.set_defaults(func=cmd_commitment_show)
    setting_delay = commitment_sub.add_parser(
        "set", help="the delay: 0, 2m, 90m, 24h, 3d (at most 30d); shorter waits"
    )
    _common(setting_delay, top=False)
    setting_delay.add_argument("duration", metavar="DURATION")
    setting_delay.set_defaults(func=cmd_commitment_set)


def _add_pending(sub: argparse._SubParsersAction[_Parser]) -> None:
    pending = sub.add_parser("pending", help="changes waiting for the commitment delay")
    _common(pending, top=False)
    pending.add_argument("--json", action="store_true")
    pending.set_defaults(func=cmd_pending)


def _add_keep(sub: argparse._SubParsersAction[_Parser]) -> None:
    keep = sub.add_parser("keep", help="cancel a pending change (ID) or keep a TARGET blocked")
    _common(keep, top=False)
    keep.add_argument("what", metavar="ID|TARGET")
    keep.set_defaults(func=cmd_keep)


def _add_key(sub: argparse._SubParsersAction[_Parser]) -> None:
    key = sub.add_parser("key", help="where the key that seals your notes is kept")
    key_sub = key.add_subparsers(dest="key_command", required=True, parser_class=_Parser)
    move = key_sub.add_parser("move", help="re-seal everything under a new key source")
    _common(move, top=False)
    move.add_argument("--to", required=True, choices=("keyring", "passphrase"))
    move.set_defaults(func=cmd_key_move)


def _add_doctor(sub: argparse._SubParsersAction[_Parser]) -> None:
    doc = sub.add_parser("doctor", help="what works, what does not, and how to fix it")
    _common(doc, top=False)
    doc.set_defaults(func=cmd_doctor)
    doc.add_argument("--json", action="store_true")


_TOP_COMMANDS = ("tray", "status", "start", "log", "export", "import", "erase")


def _top_command(name: str) -> Callable[[argparse._SubParsersAction[_Parser]], None]:
    def add(sub: argparse._SubParsersAction[_Parser]) -> None:
        _add_top_commands(sub, name)

    return add


# Each top-level command and what adds its sub-parser, in the order `--help` lists them.
_COMMANDS: dict[str, Callable[[argparse._SubParsersAction[_Parser]], None]] = {
    **{name: _top_command(name) for name in _TOP_COMMANDS},
    "block": _add_block,
    "hosts": _add_hosts,
    "gate": _add_gate,
    "helper": _add_helper,
    "settings": _add_settings,
    "commitment": _add_commitment,
    "pending": _add_pending,
    "keep": _add_keep,
    "key": _add_key,
    "doctor": _add_doctor,
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser for every command of DESIGN §9.

    With ``only``, just that command's sub-parser is built, none for ``""`` (the rest cost
    start-up time and are not reachable from the words given; see :func:`_command_word`).
    """
    parser = _Parser(prog="nocontact", description="No Contact — keep your no-contact promise.")
    parser.add_argument("--version", action="version", version=f"nocontact {__version__}")
    _common(parser, top=True)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    if only is not None:
        if only:
            _COMMANDS[only](sub)
        return parser
    _add_top_commands(sub, None)
    for name, add in _COMMANDS.items():
        if name not in _TOP_COMMANDS:
            add(sub)
    return parser


# What argparse takes for a negative number, hence a positional (here: an unknown command).
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


def _takes_value(word: str) -> bool:
    """Whether ``word`` is the top-level ``--data-dir`` or ``--socket`` (or an abbreviation
    argparse accepts) waiting for its value in the next word."""
    return len(word) > 2 and any(name.startswith(word) for name in ("--data-dir", "--socket"))


def _asks_help(word: str) -> bool:
    return word.startswith("-h") or (
        word.startswith("--") and "--help".startswith(word.split("=", 1)[0])
    )


def _command_word(words: Sequence[str]) -> str | None:
    """The command named in ``words``, when it can be told without the full parser.

    ``""`` when the words name no command (``--version``, or the tray by default): no
    sub-parser is needed. None when the whole parser must be built so that help and errors
    read as always: help asked for before the command, ``--``, or a first word that names no
    command. Only ``--data-dir``/``--socket`` take a value at the top level.
    """
    index = 0
    while index < len(words):
        word = words[index]
        if _takes_value(word):
            index += 2
        elif word == "--" or _asks_help(word) or _NEGATIVE_NUMBER.match(word):
            return None
        elif word.startswith("-"):
            index += 1
        else:
            return word if word in _COMMANDS else None
    return ""


def _helper_run_argv(argv: Sequence[str]) -> list[str] | None:
    """The arguments after `helper run`, if that is the command (it has its own parser)."""
    words = list(argv)
    index = 0
    passthrough: list[str] = []
    while index < len(words):
        word = words[index]
        if word in ("--data-dir", "--socket") and index + 1 < len(words):
            if word == "--socket":
                passthrough += [word, words[index + 1]]
            index += 2
            continue
        if word.startswith(("--data-dir=", "--socket=")):
            if word.startswith("--socket="):
                passthrough.append(word)
            index += 1
            continue
        break
    if words[index : index + 2] == ["helper", "run"]:
        return passthrough + words[index + 2 :]
    return None


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    """Run the command line; returns the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    helper_run = _helper_run_argv(words)
    if helper_run is not None:
        from nocontact_desktop.helper.main import run_helper

        return run_helper(helper_run)
    parser = build_parser(_command_word(words))
    try:
        args = parser.parse_args(words)
        if getattr(args, "func", None) is None:
            args.func = cmd_tray
        if clock is None:
            from nocontact_desktop.core.clock import SystemClock

            clock = SystemClock()
        return int(args.func(Context(args, clock)))
    except UsageError as err:
        print(_one_line(_name_dashed_value(str(err), words)), file=sys.stderr)
        return EXIT_BAD_INPUT
    except BadInput as err:
        print(_one_line(str(err)), file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyUnavailable, HelperServiceError) as err:
        print(f"nocontact: {_one_line(str(err))}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE
    except OSError as err:
        print(f"nocontact: {_one_line(str(err))}", file=sys.stderr)
        return EXIT_FAILURE


# A value with a minus sign in front ("-3m", "-2"): argparse takes it for an option.
_DASHED_VALUE = re.compile(r"^-\d")


def _name_dashed_value(message: str, words: Sequence[str]) -> str:
    """argparse's message, or one that names a negative value it took for an option.

    ``commitment set -3m`` would otherwise say only that DURATION is missing.
    """
    dashed = next((w for w in words if _DASHED_VALUE.match(w)), None)
    if dashed is None:
        return message
    command = message.split(":", 1)[0]
    return f"{command}: {dashed!r} is not accepted: no value here can be negative ({message})"


def _one_line(text: str) -> str:
    return " ".join(text.split())
