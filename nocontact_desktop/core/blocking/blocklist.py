"""The person's list of blocked targets, kept in the store (DESIGN §4).

Targets name a person (a profile address), so the target text and handle are sealed; the
domain names are not, since they end up in the hosts file in the clear anyway.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nocontact_desktop.core.blocking.presets import Presets
from nocontact_desktop.core.blocking.targets import Target, parse_target
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.helper_link.client import HelperClient, HelperError, HelperUnavailable
from nocontact_desktop.core.storage.store import Store, to_us


class Blocklist:
    """Add, remove and list targets; every input is parsed before anything is written."""

    def __init__(self, store: Store, presets: Presets | None = None) -> None:
        self._store = store
        self._presets = presets

    def targets(self) -> list[tuple[int, Target]]:
        """(row id, target) in the order they were added."""
        rows = self._store.connection.execute(
            "SELECT id, target, kind, platform, handle, domains FROM block_targets ORDER BY id"
        ).fetchall()
        return [
            (
                int(row_id),
                Target(
                    target=self._store.unseal(target, "block.target"),
                    kind=kind,
                    platform=platform,
                    handle=self._store.unseal(handle, "block.handle") if handle else None,
                    domains=tuple(json.loads(domains)),
                ),
            )
            for row_id, target, kind, platform, handle, domains in rows
        ]

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
        """Every name to block: the sorted union over all targets (no unsealing needed)."""
        names: set[str] = set()
        for (domains,) in self._store.connection.execute("SELECT domains FROM block_targets"):
            names.update(json.loads(domains))
        return sorted(names)

    def parse(self, texts: Sequence[str]) -> list[Target]:
        """Parse every text (BadInput for the first bad one); duplicates collapse."""
        if not texts:
            raise BadInput("no target given: name a profile address, a site or a platform")
        parsed: dict[str, Target] = {}
        for text in texts:
            target = parse_target(text, self._presets)
            parsed.setdefault(target.target, target)
        return list(parsed.values())

    def add(self, texts: Sequence[str], now: datetime) -> list[Target]:
        """Add targets; returns those that were new (already listed ones are left as they are)."""
        wanted = self.parse(texts)
        existing = {t.target for _, t in self.targets()}
        new = [t for t in wanted if t.target not in existing]
        sealed = [
            (
                self._store.seal(t.target, "block.target"),
                t.kind,
                t.platform,
                self._store.seal(t.handle, "block.handle") if t.handle else None,
                json.dumps(list(t.domains)),
                to_us(now),
            )
            for t in new
        ]
        with self._store.transaction() as conn:
            conn.executemany(
                "INSERT INTO block_targets (target, kind, platform, handle, domains, added_us)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                sealed,
            )
        return new

    def remove(self, texts: Sequence[str]) -> list[Target]:
        """Remove targets; BadInput (nothing removed) if one of them is not on the list."""
        if not texts:
            raise BadInput("no target given: name a target from `nocontact block list`")
        pairs = [(text, parse_target(text, self._presets)) for text in texts]
        by_text = {t.target: row_id for row_id, t in self.targets()}
        for text, target in pairs:
            if target.target not in by_text:
                raise BadInput(f"{text!r} is not on your block list")
        removed = {target.target: target for _, target in pairs}
        with self._store.transaction() as conn:
            conn.executemany(
                "DELETE FROM block_targets WHERE id = ?", [(by_text[t],) for t in removed]
            )
        return list(removed.values())

    def export(self) -> list[dict[str, object]]:
        """JSON-ready entries: ``{target, kind, platform, handle, domains}``."""
        return [
            {
                "target": t.target,
                "kind": t.kind,
                "platform": t.platform,
                "handle": t.handle,
                "domains": list(t.domains),
            }
            for _, t in self.targets()
        ]



@dataclass(frozen=True)
class PushResult:
    """What became of sending the list to the helper."""

    applied: bool
    message: str


BLOCKING_OFF = (
    "blocking is off: the helper is not running, so the list is saved but not applied "
    "(turn it on with: nocontact helper install)"
)


def push_to_helper(domains: Sequence[str], socket_path: Path) -> PushResult:
    """Send the whole list to the helper if it is reachable (DESIGN §9: after every change)."""
    try:
        HelperClient(socket_path).set_blocklist(domains)
    except HelperUnavailable as err:
        if err.reason == "not_running":
            return PushResult(False, BLOCKING_OFF)
        # Running but not reachable (another user's helper, flooded): say what happened.
        return PushResult(False, f"the list is saved but not applied: {err}")
    except HelperError as err:
        return PushResult(False, f"the helper refused the list: {err}")
    return PushResult(True, f"blocking {len(domains)} names on this computer")
