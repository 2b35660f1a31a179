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
A reader racing with the write may see the new head followed by the old tail for a moment. A
crash in that moment would leave such a mix for good (the old tail then looks like user lines
after the section), so the in-place path takes a *journal*: before touching the file, one
root-only file (mode 0600, written atomically into the helper's state folder) records the
target, the last good content and the intended one, with checksums; it is removed once the new
content is durable. :func:`recover_interrupted_write` runs when the helper starts: if the file
holds neither of the two contents, the last good one is written back (through the same
journal, so a crash during the repair is repaired the next time). After a ``kill -9`` at any
moment the next start leaves exactly the old or the new file.

Errors name the real file and the reason, and say whether anything was changed
(:class:`WriteFailed`); never a temporary file's name or a bare ``[Errno 28]``.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

DEFAULT_NEW_FILE_MODE = 0o644

# rename(2) over a mount point: EBUSY on Linux; EXDEV when the source is seen on another mount.
_IN_PLACE_ERRNOS = frozenset({errno.EBUSY, errno.EXDEV})


class VerifyError(OSError):
    """The file did not hold the written bytes when read back."""


class ConcurrentChangeError(OSError):
    """The file changed between reading it and replacing it."""


class WriteFailed(OSError):
    """Writing a file failed; the message names the file, the reason and what was changed."""

    def __str__(self) -> str:
        return str(self.strerror)


def _mkstemp(prefix: str, suffix: str, dir: Path) -> tuple[int, str]:
    """:func:`tempfile.mkstemp`: an unpredictable name, O_EXCL|O_NOFOLLOW, mode 0600.

    Imported on first use: ``hosts show`` and ``block list`` read files and never write one
    (tempfile brings random and its seeding with it; DESIGN §11).
    """
    import tempfile  # noqa: PLC0415

    return tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=dir)


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "the disk is full (no space left on device)"
    if error.errno == errno.EDQUOT:
        return "the disk quota is used up"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if error.errno == errno.EROFS:
        return "the file system is read-only"
    text = error.strerror or type(error).__name__
    return text[0].lower() + text[1:] if text else "unknown error"


def _failed(path: Path, error: OSError, outcome: str = "nothing was changed") -> WriteFailed:
    message = f"could not write {path}: {_reason(error)}; {outcome}"
    return WriteFailed(error.errno or errno.EIO, message)


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
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
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


JOURNAL_MAGIC = b"nocontact-write-journal 1\n"


def _digest(data: bytes) -> str:
    import hashlib  # noqa: PLC0415 - only for in-place writes; `hosts show` never needs it

    return hashlib.sha256(data).hexdigest()


def _write_journal(journal: Path, target: Path, old: bytes, new: bytes) -> None:
    header = {
        "target": str(target),
        "old_size": len(old),
        "new_size": len(new),
        "old_sha256": _digest(old),
        "new_sha256": _digest(new),
    }
    blob = JOURNAL_MAGIC + json.dumps(header).encode("ascii") + b"\n" + old + new
    write_private(journal, blob, mode=0o600)


def _read_journal(journal: Path) -> tuple[Path, bytes, bytes] | None:
    """(target, old, new) from a complete, intact journal; None if absent or damaged."""
    try:
        blob = journal.read_bytes()
    except FileNotFoundError:
        return None
    if not blob.startswith(JOURNAL_MAGIC):
        return None
    end = blob.find(b"\n", len(JOURNAL_MAGIC))
    try:
        header = json.loads(blob[len(JOURNAL_MAGIC) : end])
        old_size, new_size = int(header["old_size"]), int(header["new_size"])
        target = Path(str(header["target"]))
    except (ValueError, KeyError, TypeError):
        return None
    body = blob[end + 1 :]
    if end < 0 or len(body) != old_size + new_size:
        return None
    old, new = body[:old_size], body[old_size:]
    if _digest(old) != header.get("old_sha256") or _digest(new) != header.get("new_sha256"):
        return None
    return target, old, new


def recover_interrupted_write(path: Path, journal: Path) -> str | None:
    """Finish or undo an in-place write of ``path`` that a crash interrupted; what was done.

    Returns None when there was nothing to do, ``"completed"`` when the file already held
    the new or the old content (the journal is just removed), ``"restored"`` when the file
    held a mix and the last good content was written back, ``"discarded"`` for a journal
    that is damaged or names another file (it is removed; the file is not touched).
    """
    entry = _read_journal(journal)
    if entry is None:
        if not journal.exists():
            return None
        journal.unlink(missing_ok=True)
        return "discarded"
    target, old, new = entry
    if target != Path(os.path.realpath(path)):
        journal.unlink(missing_ok=True)
        return "discarded"
    current = _read(target)
    if current in (old, new):
        journal.unlink(missing_ok=True)
        _fsync_directory(journal.parent)
        return "completed"
    # The journal stays until the old content is durable again: a crash now repeats this.
    try:
        os.replace(_temp_copy(target, old), target)
    except OSError as error:
        if error.errno not in _IN_PLACE_ERRNOS:
            raise
        _rewrite_in_place(target, old)
    else:
        _fsync_directory(target.parent)
    _cleanup_temps(target)
    journal.unlink(missing_ok=True)
    _fsync_directory(journal.parent)
    return "restored"


def _temp_copy(target: Path, data: bytes) -> Path:
    """A fsync'ed temporary file next to ``target`` with ``data`` and its owner and mode."""
    original = os.stat(target)
    fd, temp_name = _mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        _write_all(fd, data)
        os.fchown(fd, original.st_uid, original.st_gid)
        os.fchmod(fd, stat.S_IMODE(original.st_mode))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        Path(temp_name).unlink(missing_ok=True)
        raise
    os.close(fd)
    return Path(temp_name)


def _cleanup_temps(target: Path) -> None:
    for entry in target.parent.glob(f".{target.name}.*.tmp"):
        try:
            info = os.lstat(entry)
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
                entry.unlink()
        except OSError:
            continue


def write_atomic(
    path: Path,
    data: bytes,
    *,
    expect_current: bytes | None = None,
    expect_stat: os.stat_result | None = None,
    journal: Path | None = None,
) -> None:
    """Replace the content of *path* with *data* (see the module documentation for how).

    A symlink is followed and its target replaced, so the link stays a link. A new file gets
    mode 0644 and the caller's owner. With *expect_current*, the current content is compared
    right before the replace and :class:`ConcurrentChangeError` raised if someone else changed
    the file meanwhile (pass ``b""`` for "did not exist"); with *expect_stat* too (taken
    before reading *expect_current*), an unchanged inode, size, mtime and ctime spare that
    re-read of a big file. *journal* is where the in-place
    fallback records the old and the new content first (see the module documentation).
    Raises :class:`VerifyError` when the re-read content differs, and :class:`WriteFailed`
    (naming *path*, the reason and whether anything changed) for anything the system refuses.
    """
    target = Path(os.path.realpath(path))
    try:
        _write_atomic(target, data, expect_current, expect_stat, journal)
    except (ConcurrentChangeError, VerifyError, WriteFailed):
        raise
    except OSError as error:
        raise _failed(target, error) from error


def _unchanged_since(target: Path, seen: os.stat_result | None) -> bool:
    if seen is None:
        return False
    try:
        now = os.stat(target)
    except FileNotFoundError:
        return False
    return (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns, now.st_ctime_ns) == (
        seen.st_dev,
        seen.st_ino,
        seen.st_size,
        seen.st_mtime_ns,
        seen.st_ctime_ns,
    )


def _write_atomic(
    target: Path,
    data: bytes,
    expect_current: bytes | None,
    expect_stat: os.stat_result | None,
    journal: Path | None,
) -> None:
    directory = target.parent
    try:
        original = os.stat(target)
    except FileNotFoundError:
        original = None

    fd, temp_name = _mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
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

        current: bytes | None
        if expect_current is not None and _unchanged_since(target, expect_stat):
            current = expect_current
        else:
            current = _read(target)
            if expect_current is not None and (current or b"") != expect_current:
                raise ConcurrentChangeError(
                    errno.EAGAIN, "changed while we were writing", str(target)
                )
        try:
            os.replace(temp, target)
        except OSError as error:
            if error.errno not in _IN_PLACE_ERRNOS or original is None:
                raise
            temp.unlink(missing_ok=True)  # the disk space goes back before the big write
            _in_place(target, current or b"", data, journal)
        else:
            renamed = True
            _fsync_directory(directory)
    finally:
        if not renamed:
            temp.unlink(missing_ok=True)

    if _read(target) != data:
        raise VerifyError(errno.EIO, "content read back differs from what was written", str(target))


def _in_place(target: Path, old: bytes, new: bytes, journal: Path | None) -> None:
    if journal is not None:
        try:
            _write_journal(journal, target, old, new)
        except OSError as error:
            raise _failed(
                target, error, "nothing was changed (could not keep a safe copy first)"
            ) from error
    try:
        _rewrite_in_place(target, new)
    except OSError as error:
        # Put the old content back (it fits: the file never shrank below it).
        try:
            _rewrite_in_place(target, old)
        except OSError:
            outcome = "the file may be damaged" + (
                "; the helper restores it from its safe copy when it starts"
                if journal is not None
                else ""
            )
            raise _failed(target, error, outcome) from error
        if journal is not None:
            journal.unlink(missing_ok=True)
        raise _failed(target, error) from error
    if journal is not None:
        journal.unlink(missing_ok=True)
        _fsync_directory(journal.parent)


def write_private(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` atomically with ``mode`` (default 0600 — only the owner).

    The temporary file is created in ``path``'s folder with an unpredictable name,
    ``O_CREAT|O_EXCL`` and ``O_NOFOLLOW`` (``mkstemp``) and mode 0600 from its first moment, so
    another user can neither pre-create nor read it; it is written, fsync'ed, given ``mode``
    and renamed over ``path`` (which replaces a link at ``path`` instead of following it); then
    the folder is fsync'ed. On any failure the temporary file is removed and ``path`` is as it
    was.
    """
    try:
        fd, temp_name = _mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _failed(path, error) from error
    temp = Path(temp_name)
    try:
        try:
            _write_all(fd, data)
            _set_mode(fd, temp, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise _failed(path, error) from error
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
