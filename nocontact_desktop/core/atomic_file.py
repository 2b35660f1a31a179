"""Atomic file writes: the one place that writes a temporary file and renames it over another.

:func:`write_private` is for the app's own files (an export, a login entry, the helper's unit
and state): a temporary file with an unpredictable name, created exclusively with its final
mode, never through a link. :func:`write_atomic` replaces the hosts file, keeping its owner,
mode and extended attributes.

Used for the hosts file (DESIGN §4): a reader — the resolver, a browser — sees either the old
content or the new one, never a half-written file, and a crash at any moment leaves one of the
two on disk.

The normal path: a temporary file in the same folder, written in full, given the original's
owner, mode and extended attributes (the SELinux label matters on Fedora, where a wrongly
labelled /etc/hosts cannot be read by confined resolvers), fsync'ed, renamed over the original,
then the folder fsync'ed so the rename itself is durable. Finally the file is read back and
compared.

The fallback: a file that is a mount point of its own (``/etc/hosts`` bind-mounted by a
container runtime or, in our tests, by ``unshare -m``) cannot be renamed over — rename(2) fails
with EBUSY (or EXDEV). Then the content is written in place into the same inode: first the
whole new content from offset 0, then truncate to its length, then fsync. That is *not* atomic.
What remains guaranteed: the file is never empty or shorter than both versions in between
(we never truncate first), and after the call returns it holds exactly the new bytes (verified).
A reader racing with the write may see the new head followed by the old tail for a moment; a
crash in that moment leaves such a mix, which the helper's tamper check repairs on its next
pass (the section markers and repair rule make that safe).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

DEFAULT_NEW_FILE_MODE = 0o644

# rename(2) over a mount point: EBUSY on Linux; EXDEV when the source is seen on another mount.
_IN_PLACE_ERRNOS = frozenset({errno.EBUSY, errno.EXDEV})


class VerifyError(OSError):
    """The file did not hold the written bytes when read back."""


class ConcurrentChangeError(OSError):
    """The file changed between reading it and replacing it."""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _copy_xattrs(source: Path, fd: int) -> None:
    """Copy extended attributes (SELinux label, ACLs) where the platform has them; best effort."""
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(source)
    except OSError:
        return
    for name in names:
        try:
            os.setxattr(fd, name, os.getxattr(source, name))
        except OSError:
            # Not allowed (e.g. security.* without privilege) or not supported on this fs.
            continue


def _fsync_directory(directory: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return  # Windows: directories cannot be opened for fsync; NTFS journals the rename.
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rewrite_in_place(path: Path, data: bytes) -> None:
    # Never O_TRUNC: a resolver reading now must not find an empty hosts file (no localhost).
    fd = os.open(path, os.O_WRONLY)
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        _write_all(fd, data)
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def _set_mode(fd: int, temp: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # pragma: no cover - Windows before Python 3.13
        os.chmod(temp, mode)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def write_atomic(path: Path, data: bytes, *, expect_current: bytes | None = None) -> None:
    """Replace the content of *path* with *data* (see the module documentation for how).

    A symlink is followed and its target replaced, so the link stays a link. A new file gets
    mode 0644 and the caller's owner. With *expect_current*, the current content is compared
    right before the replace and :class:`ConcurrentChangeError` raised if someone else changed
    the file meanwhile (pass ``b""`` for "did not exist"). Raises :class:`VerifyError` when the
    re-read content differs, and ``OSError`` for anything the system refuses.
    """
    target = Path(os.path.realpath(path))
    directory = target.parent
    try:
        original = os.stat(target)
    except FileNotFoundError:
        original = None

    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    temp = Path(temp_name)
    renamed = False
    try:
        try:
            _write_all(fd, data)
            if original is not None:
                created = os.fstat(fd)
                if (created.st_uid, created.st_gid) != (original.st_uid, original.st_gid):
                    # Owner first: chown clears set-id bits, chmod below restores the mode.
                    os.fchown(fd, original.st_uid, original.st_gid)
                _copy_xattrs(target, fd)
                mode = stat.S_IMODE(original.st_mode)
            else:
                mode = DEFAULT_NEW_FILE_MODE
            _set_mode(fd, temp, mode)
            os.fsync(fd)
        finally:
            os.close(fd)

        if expect_current is not None and (_read(target) or b"") != expect_current:
            raise ConcurrentChangeError(errno.EAGAIN, "changed while we were writing", str(target))
        try:
            os.replace(temp, target)
        except OSError as error:
            if error.errno not in _IN_PLACE_ERRNOS or original is None:
                raise
            _rewrite_in_place(target, data)
        else:
            renamed = True
            _fsync_directory(directory)
    finally:
        if not renamed:
            temp.unlink(missing_ok=True)

    if _read(target) != data:
        raise VerifyError(errno.EIO, "content read back differs from what was written", str(target))


def write_private(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` atomically with ``mode`` (default 0600 — only the owner).

    The temporary file is created in ``path``'s folder with an unpredictable name,
    ``O_CREAT|O_EXCL`` and ``O_NOFOLLOW`` (``mkstemp``) and mode 0600 from its first moment, so
    another user can neither pre-create nor read it; it is written, fsync'ed, given ``mode``
    and renamed over ``path`` (which replaces a link at ``path`` instead of following it); then
    the folder is fsync'ed. On any failure the temporary file is removed and ``path`` is as it
    was.
    """
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(temp_name)
    try:
        try:
            _write_all(fd, data)
            _set_mode(fd, temp, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
