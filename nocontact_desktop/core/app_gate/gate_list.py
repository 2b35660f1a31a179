"""The apps the gate watches (DESIGN §7), kept in the store by their stable id.

A preset is kept as its id (``signal``); an app the person added as ``name:…``,
``path:…`` or ``bundle:…``. Reading the list back does not require a saved path to exist, so
an app uninstalled since simply never matches.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime

from nocontact_desktop.core.app_gate.rules import (
    GatedApp,
    OsName,
    app_from_id,
    app_from_user_text,
    load_presets,
)
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.storage.store import Store, to_us


class GateList:
    """Add, remove and list gated apps; every input is validated before anything is written."""

    def __init__(
        self, store: Store, os_name: OsName, presets: Sequence[GatedApp] | None = None
    ) -> None:
        self._store = store
        self.os_name: OsName = os_name
        self.presets = tuple(load_presets(os_name) if presets is None else presets)

    def apps(self) -> list[GatedApp]:
        """The gated apps, in the order they were added."""
        rows = self._store.connection.execute("SELECT spec FROM gate_apps ORDER BY id").fetchall()
        return [app for (spec,) in rows if (app := self._from_id(str(spec))) is not None]

    def _from_id(self, app_id: str) -> GatedApp | None:
        try:
            return app_from_id(app_id, self.presets, os_name=self.os_name)
        except BadInput:
            return None  # a saved id this version no longer understands is skipped

    def parse(self, texts: Sequence[str]) -> list[GatedApp]:
        """Parse every text (BadInput for the first bad one); duplicates collapse."""
        if not texts:
            raise BadInput("no app given: name a preset (e.g. signal), an executable or a path")
        found: dict[str, GatedApp] = {}
        for text in texts:
            app = app_from_user_text(
                text, self.presets, os_name=self.os_name, realpath=os.path.realpath
            )
            found.setdefault(app.id, app)
        return list(found.values())

    def add(self, texts: Sequence[str], now: datetime) -> list[GatedApp]:
        """Add apps; returns those that were new."""
        wanted = self.parse(texts)
        existing = {app.id for app in self.apps()}
        new = [app for app in wanted if app.id not in existing]
        with self._store.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO gate_apps (spec, added_us) VALUES (?, ?)",
                [(app.id, to_us(now)) for app in new],
            )
        return new

    def listed(self, texts: Sequence[str]) -> list[GatedApp]:
        """The listed apps ``texts`` name; BadInput if one of them is not on the list."""
        if not texts:
            raise BadInput("no app given: name one from `nocontact gate list`")
        listed = {app.id for app in self.apps()}
        found: dict[str, GatedApp] = {}
        for text in texts:
            app = self._listed_match(text, listed)
            if app is None:
                raise BadInput(f"{text!r} is not on your list of gated apps")
            found.setdefault(app.id, app)
        return list(found.values())

    def remove(self, texts: Sequence[str]) -> list[GatedApp]:
        """Remove apps; BadInput (nothing removed) if one of them is not on the list."""
        apps = self.listed(texts)
        self.remove_ids([app.id for app in apps])
        return apps

    def remove_ids(self, app_ids: Sequence[str]) -> None:
        """Remove apps by id (ids no longer listed are ignored)."""
        with self._store.transaction() as conn:
            conn.executemany("DELETE FROM gate_apps WHERE spec = ?", [(i,) for i in app_ids])

    def _listed_match(self, text: str, listed: set[str]) -> GatedApp | None:
        if text.strip() in listed:  # the id as `gate list` prints it
            return self._from_id(text.strip())
        app = app_from_user_text(text, self.presets, os_name=self.os_name, check_exists=False)
        return app if app.id in listed else None

    def export(self) -> list[dict[str, object]]:
        """JSON-ready entries: ``{app, name, preset, matchers}``."""
        return [
            {
                "app": app.id,
                "name": app.display_name,
                "preset": app.preset,
                "matchers": [{"kind": m.kind, "value": m.value} for m in app.matchers],
            }
            for app in self.apps()
        ]
