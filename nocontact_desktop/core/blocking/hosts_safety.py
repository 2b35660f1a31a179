"""Whether another user could redirect a write to the hosts file (issue 13, finding 5).

The helper runs as root. If anyone else can write to the folder that holds the hosts file
(or to any folder above it, unless that folder is sticky), they can swap the file for a
symlink to a root-only file between two of our writes, and root would write our section
into it. So the helper manages a hosts file only when every folder on the way to it — on the
path as given and on the path its symlinks resolve to — belongs to root (or the helper's own
uid) and nobody else can write there, and the file itself is a regular file that only its
root owner may write. ``nocontact doctor`` shows the same finding.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path


class UnsafeHostsFile(PermissionError):
    """The hosts file sits where another user could redirect a write; nothing was written."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unsafe hosts file"


def _trusted(extra: Iterable[int] | None) -> frozenset[int]:
    return frozenset({0, os.geteuid(), *(extra or ())})


def _folders(path: Path) -> list[Path]:
    """``path``'s folders from the top down, ``/`` first, its own folder last."""
    chain = [path.parent]
    while chain[-1].parent != chain[-1]:
        chain.append(chain[-1].parent)
    return list(reversed(chain))


def _folder_problem(folder: Path, trusted: frozenset[int], *, immediate: bool) -> str | None:
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        return None  # its parent is safe, so nobody else can create it; the write will fail
    except OSError as error:
        return f"the folder {folder} cannot be checked ({error.strerror})"
    if info.st_uid not in trusted:
        return f"the folder {folder} belongs to uid {info.st_uid}, not root"
    writable = info.st_mode & 0o022
    sticky = info.st_mode & stat.S_ISVTX
    if writable and (immediate or not sticky):
        return (
            f"other users can write to the folder {folder} "
            f"(mode {stat.S_IMODE(info.st_mode):04o}), so they could swap the file for a link"
        )
    return None


def hosts_file_problem(path: Path | str, trusted_uids: Iterable[int] | None = None) -> str | None:
    """Why writing ``path`` as root would be unsafe, or None when it is safe.

    Trusted owners are root, the calling process's uid and ``trusted_uids``. A file that does
    not exist yet is fine when its folders are (it is then created by us).
    """
    trusted = _trusted(trusted_uids)
    given = Path(os.path.abspath(path))
    real = Path(os.path.realpath(given))
    seen: set[tuple[Path, bool]] = set()
    for chain_end in (given, real):
        folders = _folders(chain_end)
        for index, folder in enumerate(folders):
            key = (folder, index == len(folders) - 1)
            if key in seen:
                continue
            seen.add(key)
            problem = _folder_problem(folder, trusted, immediate=key[1])
            if problem is not None:
                return problem
    try:
        info = os.lstat(real)
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"{real} cannot be checked ({error.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return f"{real} is not a regular file"
    if info.st_uid not in trusted:
        return f"{real} belongs to uid {info.st_uid}, not root"
    if info.st_mode & 0o022:
        return (
            f"other users can write to {real} (mode {stat.S_IMODE(info.st_mode):04o})"
        )
    return None


def check_hosts_file(path: Path | str, trusted_uids: Iterable[int] | None = None) -> None:
    """Raise :class:`UnsafeHostsFile` (naming the file and why) if ``path`` is unsafe."""
    problem = hosts_file_problem(path, trusted_uids)
    if problem is not None:
        raise UnsafeHostsFile(
            f"refusing to write {path}: {problem}; nothing was changed "
            "(make the folder and the file belong to root and writable only by root)"
        )
