"""Write and remove the browsers' system policies (root; the pure rules are in core).

Each file the helper changes is remembered as it was before (a root-only copy in the helper's
state folder), so that removing the policies gives the administrator's file back byte for
byte, or removes the file when it did not exist.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from nocontact_desktop.core.atomic_file import write_private
from nocontact_desktop.core.blocking import browser_policies as rules
from nocontact_desktop.core.blocking.browser_policies import PolicyFile
from nocontact_desktop.core.errors import BadInput

log = logging.getLogger("nocontact.helper.policies")

POLICY_FILE_MODE = 0o644  # browsers run as the users: they must read it
_ABSENT = b""  # marker content of a backup whose file did not exist (an empty file is kept
_ABSENT_SUFFIX = ".absent"  # as ".orig" with no bytes, so the two stay apart)


def _backup_path(state_dir: Path, target: Path) -> Path:
    digest = hashlib.sha256(str(target).encode()).hexdigest()[:16]
    return state_dir / "browser-policies" / digest


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _remember_original(state_dir: Path, target: Path, current: bytes | None) -> None:
    base = _backup_path(state_dir, target)
    if base.with_suffix(".orig").exists() or base.with_suffix(_ABSENT_SUFFIX).exists():
        return  # the first original is the one to give back
    base.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if current is None:
        write_private(base.with_suffix(_ABSENT_SUFFIX), _ABSENT)
    else:
        write_private(base.with_suffix(".orig"), current)


def _original(state_dir: Path, target: Path) -> tuple[bool, bytes | None]:
    """(known, bytes): whether an original was remembered, and its bytes (None: absent)."""
    base = _backup_path(state_dir, target)
    if base.with_suffix(_ABSENT_SUFFIX).exists():
        return True, None
    saved = _read(base.with_suffix(".orig"))
    return (saved is not None), saved


def _forget(state_dir: Path, target: Path) -> None:
    base = _backup_path(state_dir, target)
    for suffix in (".orig", _ABSENT_SUFFIX):
        base.with_suffix(suffix).unlink(missing_ok=True)


def _holds_ours(policy: PolicyFile, current: bytes) -> bool:
    if policy.kind == "firefox":
        try:
            return rules.firefox_holds_ours(current)
        except BadInput:
            return False
    return current == rules.chromium_policy()


def apply_policies(files: Iterable[PolicyFile], state_dir: Path) -> list[str]:
    """Make every file carry our policies; returns the paths changed. Never raises for one
    file: a folder that cannot be written is logged and the others are still done."""
    changed: list[str] = []
    for policy in files:
        target = Path(policy.path)
        current = _read(target)
        try:
            if policy.kind == "firefox":
                if rules.firefox_holds_ours(current):
                    continue
                wanted = rules.firefox_with_ours(current, policy.path)
            else:
                wanted = rules.chromium_policy()
                if current == wanted:
                    continue
            _remember_original(state_dir, target, current)
            target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            write_private(target, wanted, mode=POLICY_FILE_MODE)
        except (OSError, BadInput) as error:
            log.warning("browser policy %s not written: %s", policy.path, error)
            continue
        changed.append(policy.path)
    return changed


def remove_policies(files: Iterable[PolicyFile], state_dir: Path) -> list[str]:
    """Take our policies out again; each file ends as it was before we first wrote it."""
    changed: list[str] = []
    for policy in files:
        target = Path(policy.path)
        current = _read(target)
        known, original = _original(state_dir, target)
        try:
            if current is None:
                _forget(state_dir, target)
                continue
            if not known and not _holds_ours(policy, current):
                continue  # never written by us (or already given back): not ours to touch
            if policy.kind == "firefox":
                result = rules.firefox_without_ours(current, original, policy.path)
            else:
                result = original if known else None
            if result is None:
                target.unlink()
            elif result != current:
                write_private(target, result, mode=POLICY_FILE_MODE)
            _forget(state_dir, target)
        except (OSError, BadInput) as error:
            log.warning("browser policy %s not removed: %s", policy.path, error)
            continue
        changed.append(policy.path)
    return changed
