"""The managed section of the hosts file, as pure functions on bytes (DESIGN §4).

The section is a block of lines between two marker lines::

    # >>> local name overrides: managed section, do not edit >>>
    127.0.0.1 instagram.com
    ::1 instagram.com
    127.0.0.1 instagram.com.
    ::1 instagram.com.
    # <<< local name overrides: end of managed section <<<

The markers are neutral (issue 14): every user of the computer can read the hosts file, so
they name no app and no purpose. Sections written by earlier versions, marked
``# >>> No Contact …``, are still recognised: applying rewrites them with the neutral markers,
removing takes them out, repair treats both alike.

One name per line (Windows reads at most nine names per line; one is also the easiest to
check), names sorted, each name once per address in two spellings: as it is and with its
trailing dot (``instagram.com.``), which resolvers look up as a different name. Everything
outside the section is kept byte for byte: line endings, encoding, comments, a missing final
newline.

Placement and exact removal
    A new section is appended at the end of the file; an existing one is replaced where it is.
    Our lines use the file's dominant line ending (CRLF or LF; LF for a file without any, unless
    the caller says otherwise). When the file does not end with a newline, we add one line
    ending before the begin marker and write the end marker *without* a line ending. That
    unterminated end marker is what tells :func:`remove_section` to take the added line ending
    away again, so ``remove_section(apply_section(f, names)) == f`` for every file ``f`` without
    our markers. An empty name list removes the section: the file is then exactly as it was.

Encoding
    The file is treated as ASCII-compatible bytes (UTF-8, Latin-1, anything else that keeps
    ASCII as one byte per character) and never decoded. A leading UTF-8 byte-order mark is kept
    in front. UTF-16 and UTF-32 files (recognised by their byte-order mark, or without one by
    the NUL bytes every such file of ASCII text has) are refused with :class:`BadInput`:
    inserting ASCII lines would corrupt them, and no resolver we support reads them.

What counts as ours, and repair
    A *marker line* is a line whose text, stripped of surrounding whitespace, starts with
    ``# >>> local name overrides`` or the earlier ``# >>> No Contact`` (begin), or
    ``# <<< local name overrides`` or ``# <<< No Contact`` (end). An *entry line* is exactly
    ``<loopback IP> <valid name>`` with one space, as we write it. Scanning top to bottom:

    1. every marker line is ours;
    2. a begin marker opens a region; the next end marker closes it; every line in between is
       ours, whatever it is (the section says "do not edit"); a second begin inside an open
       region is just a duplicate marker;
    3. an end marker with no open region (lost or misplaced begin) also claims the entry lines
       directly above it, up to the first line that is not an entry line;
    4. a region still open at the end of the file (lost end marker) claims only the entry lines
       after its begin marker; comments, blank lines and any other user line there are kept.

    Applying to a damaged file drops every line that is ours and writes one well-formed section
    where the first of them was; applying again changes nothing. The one way a user line can be
    taken: a line written exactly like ours (``127.0.0.1 name``) placed right above a stray end
    marker or below a begin marker whose end marker was lost.

On disk
    :func:`apply_to_file` and :func:`remove_from_file` read the file, compute the new bytes
    with the functions above and write them with
    :func:`nocontact_desktop.core.atomic_file.write_atomic` only when they differ. Invalid
    names or addresses raise :class:`BadInput` before anything on disk is touched. After a
    change the caller flushes the OS DNS cache
    (``nocontact_desktop.platform.current().flush_dns_cache()``); this module stays free of OS
    specifics.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from nocontact_desktop.core.atomic_file import ConcurrentChangeError, write_atomic
from nocontact_desktop.core.blocking.domains import normalize_domain
from nocontact_desktop.core.blocking.hosts_safety import check_hosts_file
from nocontact_desktop.core.errors import BadInput

BEGIN_MARKER = "# >>> local name overrides: managed section, do not edit >>>"
END_MARKER = "# <<< local name overrides: end of managed section <<<"
# The markers of sections written before issue 14, recognised (and replaced) but never written.
LEGACY_BEGIN_MARKER = "# >>> No Contact: managed section, do not edit >>>"
LEGACY_END_MARKER = "# <<< No Contact: end of managed section <<<"
DEFAULT_ADDRESSES: tuple[str, ...] = ("127.0.0.1", "::1")


def with_both_families(addresses: Sequence[str]) -> tuple[str, ...]:
    """*addresses* plus ``127.0.0.1`` / ``::1`` for a family they lack (DESIGN §4).

    A blocked name must map to a loopback address of each family: with an IPv4 line only, an
    IPv6-only lookup (AAAA) finds no line and asks DNS, which answers with the real site.
    """
    result = list(dict.fromkeys(addresses))
    families = {":" in address for address in result}
    for default in DEFAULT_ADDRESSES:
        if (":" in default) not in families:
            result.append(default)
    return tuple(result)

SectionState = Literal["absent", "ok", "damaged"]

_BEGIN_PREFIXES = (b"# >>> local name overrides", b"# >>> No Contact")
_END_PREFIXES = (b"# <<< local name overrides", b"# <<< No Contact")
_UTF8_BOM = b"\xef\xbb\xbf"
# UTF-16 LE/BE and UTF-32 BE marks; UTF-32 LE starts with the UTF-16 LE mark.
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_NEWLINES = (b"\n", b"\r\n")

_BEGIN, _END, _OTHER = 0, 1, 2


def _line_kind(line: bytes) -> int:
    text = line.strip()
    if text.startswith(_BEGIN_PREFIXES):
        return _BEGIN
    if text.startswith(_END_PREFIXES):
        return _END
    return _OTHER


@lru_cache(maxsize=64)
def _is_our_address(address: bytes) -> bool:
    """A loopback IP literal in the canonical form we write (there are only a few)."""
    try:
        text = address.decode("ascii")
        ip = ipaddress.ip_address(text)
    except (ValueError, UnicodeDecodeError):
        return False
    return ip.is_loopback and "%" not in text and str(ip) == text


def _entry_name(line: bytes) -> str | None:
    """The name on an entry line written our way (``<loopback> <name>``), else None."""
    text = line.removesuffix(b"\n").removesuffix(b"\r")
    address, space, name = text.partition(b" ")
    if not space or not name or b" " in name or not _is_our_address(address):
        return None
    # Each name is written twice: as it is and with its trailing dot (the fully qualified
    # spelling, which would otherwise match no line and go to DNS).
    name = name.removesuffix(b".")
    try:
        name_text = name.decode("ascii")
    except UnicodeDecodeError:
        return None
    try:
        if normalize_domain(name_text) != name_text:
            return None
    except BadInput:
        return None
    return name_text


def _split_lines(body: bytes) -> list[bytes]:
    """Lines with their terminators; only ``\\n`` ends a line (a lone ``\\r`` is content)."""
    parts = body.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _dominant_newline(body: bytes, default: bytes) -> bytes:
    crlf = body.count(b"\r\n")
    lf = body.count(b"\n") - crlf
    if crlf > lf:
        return b"\r\n"
    if lf > crlf:
        return b"\n"
    return default


def _line_ending(line: bytes) -> bytes:
    if line.endswith(b"\r\n"):
        return b"\r\n"
    return b"\n" if line.endswith(b"\n") else b""


@dataclass(frozen=True)
class _Scan:
    """A hosts file read once: its lines, which of them are ours, and what they name."""

    bom: bytes
    lines: list[bytes]
    ours: frozenset[int]
    state: SectionState
    names: frozenset[str]


def _split_bom(data: bytes) -> tuple[bytes, bytes]:
    if data.startswith(_UTF8_BOM):
        return _UTF8_BOM, data[len(_UTF8_BOM) :]
    return b"", data


def _scan(data: bytes) -> _Scan:
    bom, body = _split_bom(data)
    lines = _split_lines(body)
    kinds = [_line_kind(line) for line in lines]
    ours: set[int] = set()
    open_at: int | None = None
    begins: list[int] = []
    ends: list[int] = []
    for index, kind in enumerate(kinds):
        if kind == _BEGIN:
            begins.append(index)
            ours.add(index)
            if open_at is None:
                open_at = index
        elif kind == _END:
            ends.append(index)
            ours.add(index)
            if open_at is not None:
                ours.update(range(open_at + 1, index))
                open_at = None
            else:
                above = index - 1
                while above >= 0 and above not in ours and _entry_name(lines[above]) is not None:
                    ours.add(above)
                    above -= 1
    if open_at is not None:
        for index in range(open_at + 1, len(lines)):
            if kinds[index] == _OTHER and _entry_name(lines[index]) is not None:
                ours.add(index)

    names: set[str] = set()
    all_entries = True
    for index in ours:
        if kinds[index] != _OTHER:
            continue
        name = _entry_name(lines[index])
        if name is None:
            all_entries = False
        else:
            names.add(name)

    state: SectionState
    if not begins and not ends:
        state = "absent"
    elif len(begins) == 1 and len(ends) == 1 and begins[0] < ends[0] and all_entries:
        state = "ok"
    else:
        state = "damaged"
    return _Scan(bom, lines, frozenset(ours), state, frozenset(names))


def _marker_lines(body: bytes) -> list[tuple[int, int, int]]:
    """(start, end, kind) of every marker line, by searching instead of splitting every line."""
    found: list[tuple[int, int, int]] = []
    prefixes = [(p, _BEGIN) for p in _BEGIN_PREFIXES] + [(p, _END) for p in _END_PREFIXES]
    for prefix, kind in prefixes:
        position = body.find(prefix)
        while position != -1:
            start = body.rfind(b"\n", 0, position) + 1
            # Same rule as _line_kind: only whitespace may stand before the marker text.
            if not body[start:position].strip():
                newline = body.find(b"\n", position)
                found.append((start, len(body) if newline == -1 else newline + 1, kind))
            position = body.find(prefix, position + 1)
    found.sort()
    return found


def _cut_section(body: bytes) -> tuple[bytes, int | None] | None:
    """Fast path for the usual file: no markers, or exactly one begin line then one end line.

    Gives the same result as the line-by-line scan for those files, without classifying every
    line; None means "look line by line" (stray, duplicated or missing markers).
    """
    markers = _marker_lines(body)
    if not markers:
        return body, None
    if len(markers) != 2 or markers[0][2] != _BEGIN or markers[1][2] != _END:
        return None
    start, begin_end, _ = markers[0]
    _, end, _ = markers[1]
    if end == len(body) and not body.endswith(b"\n"):
        # Unterminated end marker: the line ending before the begin marker was ours too.
        separator = b"\r\n" if body[begin_end - 2 : begin_end] == b"\r\n" else b"\n"
        before = body[:start]
        if before.endswith(separator):
            before = before[: -len(separator)]
        return before, len(before)
    return body[:start] + body[end:], start


def _without_section(scan: _Scan) -> tuple[bytes, int | None]:
    """The body with all our lines dropped, and the byte offset where the section was."""
    if not scan.ours:
        return b"".join(scan.lines), None
    first = min(scan.ours)
    kept_before = b"".join(scan.lines[:first])
    body = kept_before + b"".join(
        line for i, line in enumerate(scan.lines[first:], first) if i not in scan.ours
    )
    position = len(kept_before)
    last = len(scan.lines) - 1
    if last in scan.ours and _line_ending(scan.lines[last]) == b"":
        # We wrote the end marker without a line ending because the file had none at its end;
        # the line ending we put before the begin marker then goes too. Our own lines carry it.
        separator = next(
            (_line_ending(scan.lines[i]) for i in sorted(scan.ours) if _line_ending(scan.lines[i])),
            b"\n",
        )
        if body.endswith(separator) and position == len(body):
            body = body[: -len(separator)]
        position = min(position, len(body))
    return body, position


def _checked_addresses(addresses: Sequence[str]) -> list[str]:
    if isinstance(addresses, str | bytes):
        raise BadInput(f"{addresses!r} is not a valid address list: give a sequence of addresses")
    result: list[str] = []
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError as error:
            raise BadInput(f"{address!r} is not a valid loopback address: not an IP") from error
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id is not None:
            raise BadInput(f"{address!r} is not a valid loopback address: has a zone id")
        if not ip.is_loopback:
            raise BadInput(f"{address!r} is not a valid loopback address: not loopback")
        text = str(ip)
        if text not in result:
            result.append(text)
    if not result:
        raise BadInput("[] is not a valid address list: at least one loopback address is needed")
    return result


def _checked_names(names: Iterable[str]) -> list[str]:
    if isinstance(names, str | bytes):
        raise BadInput(f"{names!r} is not a valid name list: give a collection of names")
    # Defence in depth: the helper runs as root, so never trust names to be clean already.
    return sorted({normalize_domain(name) for name in names})


def _render(names: list[str], addresses: list[str], newline: bytes, final_newline: bool) -> bytes:
    nl = newline.decode("ascii")
    # One str built and encoded once: this runs on every write of a list of hundreds of names.
    lines = [BEGIN_MARKER]
    lines.extend(
        f"{address} {spelling}"
        for name in names
        for spelling in (name, name + ".")
        for address in addresses
    )
    lines.append(END_MARKER)
    return (nl.join(lines) + (nl if final_newline else "")).encode("ascii")


def _checked_newline(newline: bytes) -> bytes:
    if newline not in _NEWLINES:
        raise BadInput(f"{newline!r} is not a valid line ending: use b'\\n' or b'\\r\\n'")
    return newline


def render_section(
    names: Iterable[str],
    addresses: Sequence[str] = DEFAULT_ADDRESSES,
    newline: bytes = b"\n",
) -> bytes:
    """The section exactly as it would be written, markers included, ending with *newline*.

    Names are validated and normalized (:class:`BadInput` otherwise), deduplicated and sorted;
    each is mapped to every address, with and without its trailing dot, one line per pair.
    Addresses must be loopback IP literals.
    No names gives ``b""``: an empty blocklist means no section at all.
    """
    checked_names = _checked_names(names)
    checked_addresses = _checked_addresses(addresses)
    newline = _checked_newline(newline)
    if not checked_names:
        return b""
    return _render(checked_names, checked_addresses, newline, final_newline=True)


def apply_section(
    original: bytes,
    names: Iterable[str],
    addresses: Sequence[str] = DEFAULT_ADDRESSES,
    *,
    default_newline: bytes = b"\n",
) -> bytes:
    """*original* with its section set to block *names*; bytes outside the section untouched.

    Inserts the section at the end, or replaces the existing one in place; repairs a damaged
    section into exactly one (see the module documentation for the rule). An empty *names*
    removes the section. Idempotent. *default_newline* is used only for a file that has no
    line ending yet. Raises :class:`BadInput` for a bad name or address, or a UTF-16/32 file.
    """
    return _apply_checked(
        original,
        _checked_names(names),
        _checked_addresses(addresses),
        _checked_newline(default_newline),
    )


_WIDE_SAMPLE = 4096


def looks_wide(data: bytes) -> bool:
    """UTF-16 or UTF-32 text without a byte-order mark (ASCII text has a NUL per character).

    In the file's first 4 KiB, at least 90 % of the bytes at even or at odd offsets are NUL
    (UTF-16 BE / LE; UTF-32 has even more). One stray NUL in a UTF-8 file does not count.
    """
    sample = data[:_WIDE_SAMPLE]
    if len(sample) < 4 or b"\x00" not in sample:
        return False
    return any(half.count(0) * 10 >= len(half) * 9 for half in (sample[0::2], sample[1::2]))


def _apply_checked(
    original: bytes, checked_names: list[str], checked_addresses: list[str], default_newline: bytes
) -> bytes:
    if original.startswith(_WIDE_BOMS) or looks_wide(original):
        raise BadInput(
            "the hosts file is not a valid target for editing: it is UTF-16 or UTF-32 encoded; "
            "save it as UTF-8 or ANSI first; nothing was changed"
        )
    bom, body = _split_bom(original)
    if checked_names and len(body) >= _BIG_FILE:
        fast = _apply_big(bom, body, checked_names, checked_addresses, default_newline)
        if fast is not None:
            return fast
    cut = _cut_section(body)
    body, position = cut if cut is not None else _without_section(_scan(original))
    if not checked_names:
        return bom + body
    newline = _dominant_newline(body, default_newline)
    if position is None:
        position = len(body)
    before, after = body[:position], body[position:]
    if not after and before and not before.endswith(b"\n"):
        section = _render(checked_names, checked_addresses, newline, final_newline=False)
        return bom + before + newline + section
    section = _render(checked_names, checked_addresses, newline, final_newline=True)
    return bom + before + section + after


# Files at least this big (community block lists) take the one-copy path below.
_BIG_FILE = 1 << 20
_NEWLINE_SAMPLE = 1 << 16


def _apply_big(
    bom: bytes, body: bytes, names: list[str], addresses: list[str], default_newline: bytes
) -> bytes | None:
    """:func:`_apply_checked` for a big usual file in one copy; None: take the general path.

    Same result, except that the dominant line ending is judged on the first and last 64 KiB
    (a file mixing CRLF and LF differently in its middle may get the other one).
    """
    markers = _marker_lines(body)
    if not markers:
        start = end = len(body)
    elif len(markers) == 2 and markers[0][2] == _BEGIN and markers[1][2] == _END:
        start, end = markers[0][0], markers[1][1]
        if end == len(body) and not body.endswith(b"\n"):
            return None  # unterminated end marker: the general path restores the file's end
    else:
        return None
    newline = _dominant_newline(
        body[:_NEWLINE_SAMPLE] + body[-_NEWLINE_SAMPLE:], default_newline
    )
    view = memoryview(body)
    if not markers and not body.endswith(b"\n"):
        section = _render(names, addresses, newline, final_newline=False)
        return b"".join((bom, view, newline, section))
    section = _render(names, addresses, newline, final_newline=True)
    return b"".join((bom, view[:start], section, view[end:]))


def remove_section(data: bytes) -> bytes:
    """*data* without our section (and without any stray marker or entry of ours).

    For a file that had no section before, ``remove_section(apply_section(f, names)) == f``.
    A file without our markers is returned unchanged.
    """
    bom, body = _split_bom(data)
    cut = _cut_section(body)
    if cut is None:
        scan = _scan(data)
        cut = _without_section(scan)
    return bom + cut[0]


def _quick_look(data: bytes) -> tuple[SectionState, frozenset[str]] | None:
    """State and names for the usual file without splitting every line; None: scan it."""
    _, body = _split_bom(data)
    markers = _marker_lines(body)
    if not markers:
        return "absent", frozenset()
    if len(markers) != 2 or markers[0][2] != _BEGIN or markers[1][2] != _END:
        return None
    names: set[str] = set()
    for line in _split_lines(body[markers[0][1] : markers[1][0]]):
        name = _entry_name(line)
        if name is None:
            return None  # not only entry lines inside: the scan says what is ours
        names.add(name)
    return "ok", frozenset(names)


def read_section_names(data: bytes) -> frozenset[str] | None:
    """The names our section blocks, or None when the file has no section (nor stray markers).

    For a damaged section: the names on the entry lines that belong to us by the repair rule.
    """
    quick = _quick_look(data)
    if quick is not None:
        return None if quick[0] == "absent" else quick[1]
    scan = _scan(data)
    return None if scan.state == "absent" else scan.names


def section_state(data: bytes) -> SectionState:
    """``"absent"`` (no markers), ``"ok"`` (one well-formed section) or ``"damaged"``."""
    quick = _quick_look(data)
    return quick[0] if quick is not None else _scan(data).state


# --- on disk -------------------------------------------------------------------------------

# Someone else editing the file at the same moment is rare; try again a few times, then give up.
_WRITE_ATTEMPTS = 3


def _read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


@dataclass(frozen=True)
class FileSync:
    """What :func:`sync_file` found and did."""

    changed: bool
    found: SectionState


def _rewrite_file(
    path: Path,
    change: Callable[[bytes], bytes],
    journal: Path | None = None,
    *,
    want_found: bool = False,
) -> FileSync:
    check_hosts_file(path)  # before reading: never follow a path someone else can redirect
    found: SectionState = "absent"
    for attempt in range(1, _WRITE_ATTEMPTS + 1):
        try:
            seen = os.stat(path)
        except FileNotFoundError:
            seen = None
        current = _read_or_empty(path)
        new = change(current)
        if attempt == 1 and want_found:
            found = section_state(current)
        if new == current:
            return FileSync(False, found)
        try:
            write_atomic(path, new, expect_current=current, expect_stat=seen, journal=journal)
        except ConcurrentChangeError:
            if attempt == _WRITE_ATTEMPTS:
                raise
        else:
            return FileSync(True, found)
    return FileSync(False, found)  # not reached: the last attempt returns or raises


def sync_file(
    path: Path | str,
    names: Iterable[str],
    addresses: Sequence[str] = DEFAULT_ADDRESSES,
    *,
    journal: Path | None = None,
) -> FileSync:
    """:func:`apply_to_file` that also says what state the section was found in.

    *journal* (the helper's state folder) makes an in-place write crash-safe (see
    :mod:`nocontact_desktop.core.atomic_file`).
    """
    wanted = _checked_names(names)
    checked_addresses = _checked_addresses(addresses)
    return _rewrite_file(
        Path(path),
        lambda current: _apply_checked(current, wanted, checked_addresses, b"\n"),
        journal,
        want_found=True,
    )


def apply_to_file(
    path: Path | str,
    names: Iterable[str],
    addresses: Sequence[str] = DEFAULT_ADDRESSES,
    *,
    default_newline: bytes = b"\n",
) -> bool:
    """Make the section in *path* block exactly *names*; True if the file was changed.

    A missing file counts as empty (it is created, mode 0644, when there is something to
    write). An empty *names* removes the section. Nothing is written when nothing changes.
    """
    # Validate before reading or writing anything (this also reads a one-shot iterable once).
    wanted = _checked_names(names)
    checked_addresses = _checked_addresses(addresses)
    newline = _checked_newline(default_newline)
    return _rewrite_file(
        Path(path), lambda current: _apply_checked(current, wanted, checked_addresses, newline)
    ).changed


def remove_from_file(path: Path | str) -> bool:
    """Take our section out of *path*, restoring it byte for byte; True if it was changed.

    A missing file, or one without our markers, is left alone (False).
    """
    return _rewrite_file(Path(path), remove_section).changed
