"""The person's list of blocked targets, kept in the store (DESIGN §4).

Targets name a person (a profile address), so the target text, the handle and the domain
names are all sealed (issue 14: a personal site such as ``jordanreyes.me`` names a person as
plainly as a profile address). Reading the names therefore needs the key; counting targets and
:meth:`Blocklist.revision` do not. Rows from before schema 5 kept the names in plain text: the
first read with the key seals them and scrubs the plain copies (:func:`seal_plain_domains`).

Under a commitment (DESIGN §4a) removing a target is a request: the row stays, marked with
``removal_requested_us``, while the helper still blocks its names (a pending removal), and is
deleted once the helper no longer holds them (:meth:`Blocklist.settle`). :meth:`domains` is the
list the person *wants* (what is pushed to the helper); :meth:`enforced_domains` also holds the
names still waiting to come off.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nocontact_desktop.core.blocking.target import Target
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.storage.store import Store, from_us, to_us


@dataclass(frozen=True)
class Removal:
    """A target the person asked to unblock that the helper still blocks."""

    requested_at: datetime
    due_at: datetime | None  # as the helper last said; None: not known (yet)

if TYPE_CHECKING:

    from nocontact_desktop.core.blocking.presets import Presets

# The target parser (presets, suffix list, URL handling) and the helper client load when a
# target is parsed or the list is pushed: listing needs neither (DESIGN §11).

DOMAINS_PURPOSE = "block.domains"


def seal_plain_domains(store: Store) -> int:
    """Seal the domain names still kept in plain text (rows from before schema 5).

    The plain column is emptied in the same transaction, with SQLite's secure delete on so the
    old text is overwritten rather than left in free pages; the write-ahead log is then
    truncated and migration backups next to the database are scrubbed of the plain names (the
    sealed target texts there still say what was listed). Returns how many rows were sealed.
    """
    conn = store.connection
    rows = conn.execute(
        "SELECT id, domains FROM block_targets WHERE sealed_domains IS NULL"
    ).fetchall()
    if not rows:
        return 0
    sealed = [
        (store.seal(json.dumps(json.loads(domains or "[]")), DOMAINS_PURPOSE), int(row_id))
        for row_id, domains in rows
    ]
    conn.execute("PRAGMA secure_delete = ON")
    with store.transaction() as tx:
        tx.executemany(
            "UPDATE block_targets SET sealed_domains = ?, domains = '' "
            "WHERE id = ? AND sealed_domains IS NULL",
            sealed,
        )
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if store.path is not None:
        _scrub_backups(store.path)
    return len(rows)


def _scrub_backups(db_path: Path) -> None:
    for backup in sorted(db_path.parent.glob(f"{db_path.name}.v*-backup")):
        try:
            conn = sqlite3.connect(backup, isolation_level=None)
        except sqlite3.Error:
            continue
        try:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(block_targets)")}
            if "domains" in columns:
                conn.execute("PRAGMA secure_delete = ON")
                conn.execute("UPDATE block_targets SET domains = '[]'")
                conn.execute("VACUUM")
        except sqlite3.Error:
            pass
        finally:
            conn.close()


class Blocklist:
    """Add, remove and list targets; every input is parsed before anything is written."""

    def __init__(self, store: Store, presets: Presets | None = None) -> None:
        self._store = store
        self._presets = presets
        self._sealed_checked = False

    def targets(self) -> list[tuple[int, Target]]:
        """(row id, target) in the order they were added."""
        self._seal_plain()
        rows = self._store.connection.execute(
            "SELECT id, target, kind, platform, handle, sealed_domains FROM block_targets "
            "ORDER BY id"
        ).fetchall()
        return [
            (
                int(row_id),
                Target(
                    target=self._store.unseal(target, "block.target"),
                    kind=kind,
                    platform=platform,
                    handle=self._store.unseal(handle, "block.handle") if handle else None,
                    domains=tuple(self._open_domains(domains)),
                ),
            )
            for row_id, target, kind, platform, handle, domains in rows
        ]

    def _seal_plain(self) -> None:
        if not self._sealed_checked:
            seal_plain_domains(self._store)
            self._sealed_checked = True

    def _open_domains(self, blob: bytes) -> list[str]:
        return [str(name) for name in json.loads(self._store.unseal(blob, DOMAINS_PURPOSE))]

    def _domains_where(self, where: str) -> list[str]:
        self._seal_plain()
        names: set[str] = set()
        sql = f"SELECT sealed_domains FROM block_targets {where}"  # noqa: S608 - fixed text
        for (blob,) in self._store.connection.execute(sql):
            names.update(self._open_domains(blob))
        return sorted(names)

    def revision(self) -> str:
        """Changes whenever the list does; cheap, nothing unsealed.

        Row ids alone can be reused after the newest row is removed; with the time each row
        was added, a reused id still reads differently.
        """
        sql = (
            "SELECT group_concat(id || ':' || added_us) "
            "FROM (SELECT id, added_us FROM block_targets ORDER BY id)"
        )
        row = self._store.connection.execute(sql).fetchone()
        return str(row[0] or "")

    def domains(self) -> list[str]:
        """Every name the person wants blocked: the sorted union over the targets not asked
        to be removed (unsealed: this needs the key). This is the list pushed to the helper."""
        return self._domains_where("WHERE removal_requested_us IS NULL")

    def enforced_domains(self) -> list[str]:
        """Every listed name, including those waiting for their commitment delay."""
        return self._domains_where("")

    def removals(self) -> dict[int, Removal]:
        """Row id → its pending removal, for the targets the person asked to unblock."""
        sql = (
            "SELECT id, removal_requested_us, removal_due_us FROM block_targets "
            "WHERE removal_requested_us IS NOT NULL"
        )
        return {
            int(row_id): Removal(from_us(requested), from_us(due) if due is not None else None)
            for row_id, requested, due in self._store.connection.execute(sql)
        }

    def parse(self, texts: Sequence[str]) -> list[Target]:
        """Parse every text (BadInput for the first bad one); duplicates collapse."""
        from nocontact_desktop.core.blocking.targets import parse_target  # noqa: PLC0415

        if not texts:
            raise BadInput("no target given: name a profile address, a site or a platform")
        parsed: dict[str, Target] = {}
        for text in texts:
            target = parse_target(text, self._presets)
            parsed.setdefault(target.target, target)
        return list(parsed.values())

    def add(self, texts: Sequence[str], now: datetime) -> list[Target]:
        """Add targets; returns those that were new or taken back from a removal request.

        Targets already listed are left as they are; one waiting to be unblocked is wanted
        again at once (adding tightens, so it is immediate).
        """
        wanted = self.parse(texts)
        rows = self.targets()
        existing = {t.target for _, t in rows}
        removals = self.removals()
        back = [
            (row_id, t)
            for row_id, t in rows
            if row_id in removals and t.target in {w.target for w in wanted}
        ]
        if back:
            with self._store.transaction() as conn:
                conn.executemany(
                    "UPDATE block_targets SET removal_requested_us = NULL, removal_due_us = NULL "
                    "WHERE id = ?",
                    [(row_id,) for row_id, _ in back],
                )
        new = [t for t in wanted if t.target not in existing]
        sealed = [
            (
                self._store.seal(t.target, "block.target"),
                t.kind,
                t.platform,
                self._store.seal(t.handle, "block.handle") if t.handle else None,
                self._store.seal(json.dumps(list(t.domains)), DOMAINS_PURPOSE),
                to_us(now),
            )
            for t in new
        ]
        with self._store.transaction() as conn:
            conn.executemany(
                "INSERT INTO block_targets"
                " (target, kind, platform, handle, domains, sealed_domains, added_us)"
                " VALUES (?, ?, ?, ?, '', ?, ?)",
                sealed,
            )
        return [t for _, t in back] + new

    def _listed(self, texts: Sequence[str]) -> tuple[dict[str, Target], dict[str, int]]:
        from nocontact_desktop.core.blocking.targets import parse_target  # noqa: PLC0415

        if not texts:
            raise BadInput("no target given: name a target from `nocontact block list`")
        pairs = [(text, parse_target(text, self._presets)) for text in texts]
        by_text = {t.target: row_id for row_id, t in self.targets()}
        for text, target in pairs:
            if target.target not in by_text:
                raise BadInput(f"{text!r} is not on your block list")
        return {target.target: target for _, target in pairs}, by_text

    def remove(self, texts: Sequence[str]) -> list[Target]:
        """Remove targets now; BadInput (nothing removed) if one of them is not on the list.

        Used when no helper holds the names (blocking is off); with a helper, see
        :meth:`request_removal`.
        """
        removed, by_text = self._listed(texts)
        with self._store.transaction() as conn:
            conn.executemany(
                "DELETE FROM block_targets WHERE id = ?", [(by_text[t],) for t in removed]
            )
        return list(removed.values())

    def request_removal(self, texts: Sequence[str], now: datetime) -> list[Target]:
        """Mark targets as asked to be unblocked (the helper decides when); BadInput first."""
        removed, by_text = self._listed(texts)
        with self._store.transaction() as conn:
            conn.executemany(
                "UPDATE block_targets SET removal_requested_us = ? "
                "WHERE id = ? AND removal_requested_us IS NULL",
                [(to_us(now), by_text[t]) for t in removed],
            )
        return list(removed.values())

    def keep(self, texts: Sequence[str]) -> list[Target]:
        """Take back a removal request ("Keep it blocked"); returns the targets it applied to."""
        wanted, by_text = self._listed(texts)
        with self._store.transaction() as conn:
            conn.executemany(
                "UPDATE block_targets SET removal_requested_us = NULL, removal_due_us = NULL "
                "WHERE id = ?",
                [(by_text[t],) for t in wanted],
            )
        return list(wanted.values())

    def settle(self, helper_state: dict[str, Any]) -> tuple[list[Target], list[Target]]:
        """Bring removal requests in line with what the helper holds (it is the authority).

        A requested target whose names the helper no longer blocks is deleted; one whose
        names it holds under a pending removal gets that due time; one whose names it holds
        with nothing pending (the removal was cancelled elsewhere) is kept. Returns
        (deleted, kept).
        """
        held = set(helper_state.get("blocklist", []))
        commitment = helper_state.get("commitment")
        pending = commitment.get("pending", []) if isinstance(commitment, dict) else []
        due_by_name: dict[str, str] = {}
        for entry in pending:
            if isinstance(entry, dict) and entry.get("kind") == "unblock":
                for name in entry.get("domains", []):
                    due_by_name[str(name)] = str(entry.get("due_at"))
        wanted = set(self.domains())
        removals = self.removals()
        deleted: list[Target] = []
        kept: list[Target] = []
        updates: list[tuple[int | None, int | None, int]] = []
        drop: list[int] = []
        for row_id, target in self.targets():
            removal = removals.get(row_id)
            if removal is None:
                continue
            leaving = set(target.domains) - wanted
            still = leaving & held
            if not still:
                drop.append(row_id)
                deleted.append(target)
                continue
            dues = [due_by_name[name] for name in still if name in due_by_name]
            if not dues:
                updates.append((None, None, row_id))
                kept.append(target)
                continue
            due = max(datetime.fromisoformat(text) for text in dues)
            updates.append((to_us(removal.requested_at), to_us(due), row_id))
        with self._store.transaction() as conn:
            conn.executemany("DELETE FROM block_targets WHERE id = ?", [(i,) for i in drop])
            conn.executemany(
                "UPDATE block_targets SET removal_requested_us = ?, removal_due_us = ? "
                "WHERE id = ?",
                updates,
            )
        return deleted, kept

    def export(self) -> list[dict[str, object]]:
        """JSON-ready entries: ``{target, kind, platform, handle, domains, pending_removal_at}``.

        ``pending_removal_at`` is when the helper lets the target go (ISO 8601), else null.
        """
        removals = self.removals()
        entries: list[dict[str, object]] = []
        for row_id, t in self.targets():
            removal = removals.get(row_id)
            due = removal.due_at if removal is not None else None
            entries.append(
                {
                    "target": t.target,
                    "kind": t.kind,
                    "platform": t.platform,
                    "handle": t.handle,
                    "domains": list(t.domains),
                    "pending_removal_at": due.isoformat() if due is not None else None,
                }
            )
        return entries



@dataclass(frozen=True)
class PushResult:
    """What became of sending the list to the helper."""

    applied: bool
    message: str
    state: dict[str, Any] | None = None  # the helper's get_state after the push
    added: tuple[dict[str, Any], ...] = ()  # pending removals this push created


BLOCKING_OFF = (
    "blocking is off: the helper is not running, so the list is saved but not applied "
    "(turn it on with: nocontact helper install)"
)


def push_to_helper(domains: Sequence[str], socket_path: Path) -> PushResult:
    """Send the whole list to the helper if it is reachable (DESIGN §9: after every change)."""
    from nocontact_desktop.core.helper_link.client import (  # noqa: PLC0415
        HelperClient,
        HelperError,
        HelperUnavailable,
    )

    client = HelperClient(socket_path)
    try:
        result = client.set_blocklist(domains)
        state = client.get_state()
    except HelperUnavailable as err:
        if err.reason == "not_running":
            return PushResult(False, BLOCKING_OFF)
        # Running but not reachable (another user's helper, flooded): say what happened.
        return PushResult(False, f"the list is saved but not applied: {err}")
    except HelperError as err:
        return PushResult(False, f"the helper refused the list: {err}")
    added = tuple(entry for entry in result.get("pending", []) if isinstance(entry, dict))
    count = len(state.get("blocklist", domains))
    return PushResult(True, f"blocking {count} names on this computer", state, added)


def release_helper(socket_path: Path) -> str:
    """Erase-all (issue 14): ask the helper to hold no names, so its hosts-file section goes.

    The helper still honours the commitment (DESIGN §4a): names under a delay stay until it is
    over and then go by themselves. Returns one sentence saying what happened.
    """
    result = push_to_helper([], socket_path)
    if not result.applied:
        return (
            "The helper did not answer, so any sites it blocked stay in the hosts file until "
            "it runs again or is removed (nocontact helper uninstall)."
        )
    dues = sorted(str(entry.get("due_at")) for entry in result.added if entry.get("due_at"))
    held = (result.state or {}).get("blocklist", [])
    if dues or held:
        when = f" (until {dues[-1]})" if dues else ""
        return (
            f"Your commitment delay keeps the blocked sites in the hosts file for now{when}; "
            "the helper takes them out by itself when it is over."
        )
    return "The blocked sites are out of the hosts file."
