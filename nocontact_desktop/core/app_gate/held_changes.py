"""Loosening the app gate waits for the commitment delay, held by the helper (DESIGN §4a).

Removing a gated app or pausing the gate is a loosening. The gate runs as the person, so the
helper cannot change it; it holds the change on its trusted clock like any other pending
change (shown by ``nocontact pending``, cancelled by "Keep it"), and marks it ``ready`` when it
is due. Whichever client sees a ready change first applies it and tells the helper it is done.

Without a helper there is no commitment (it lives in the helper), so changes apply at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from nocontact_desktop.core.errors import HelperServiceError

if TYPE_CHECKING:
    from nocontact_desktop.core.app_gate.gate_list import GateList
    from nocontact_desktop.core.helper_link.client import HelperClient

GATE_KINDS = frozenset({"gate_remove", "gate_pause"})


class HeldChange:
    """What became of one asked-for change: applied now, or pending with its entry."""

    __slots__ = ("app_id", "applied", "entry", "label")

    def __init__(self, label: str, entry: dict[str, Any] | None, app_id: str = "") -> None:
        self.label = label
        self.app_id = app_id  # a removal's app (``signal``, ``path:…``)
        self.entry = entry
        self.applied = entry is None

    def __repr__(self) -> str:
        return f"HeldChange({self.label!r}, pending={self.entry is not None})"


class GateChanges:
    """Ask for gate loosenings through the helper; apply them when they are ready."""

    def __init__(
        self,
        gate_list: GateList,
        client: HelperClient | None,
        pause: Callable[[int], None] | None = None,
    ) -> None:
        """``client``: None when no helper is installed. ``pause``: pauses the running gate for
        the given minutes (only the tray runs the gate; elsewhere a ready pause waits for it).
        """
        self._gate_list = gate_list
        self._client = client
        self._pause = pause

    def remove(self, texts: Sequence[str]) -> list[HeldChange]:
        """Stop gating the apps ``texts`` name (BadInput, nothing asked, if one is not listed)."""
        apps = self._gate_list.listed(texts)
        outcomes: list[HeldChange] = []
        for app in apps:
            app_id, label = app.id, app.display_name
            entry = self._hold(lambda c: c.hold_gate_remove(app_id, label))  # noqa: B023 - called now
            if entry is None:
                self._gate_list.remove_ids([app.id])
            outcomes.append(HeldChange(app.display_name, entry, app.id))
        return outcomes

    def pause(self, minutes: int) -> HeldChange:
        """Pause the gate for ``minutes`` now, or once the delay has passed."""
        entry = self._hold(lambda c: c.hold_gate_pause(minutes))
        if entry is None and self._pause is not None:
            self._pause(minutes)
        return HeldChange(f"{minutes} minutes", entry)

    def _hold(self, ask: Callable[[HelperClient], dict[str, Any]]) -> dict[str, Any] | None:
        """The pending entry the helper holds, or None: apply now (no helper, no delay)."""
        if self._client is None:
            return None
        from nocontact_desktop.core.helper_link.client import HelperUnavailable  # noqa: PLC0415

        try:
            result = ask(self._client)
        except HelperUnavailable:
            return None  # blocking is off: there is no commitment to keep
        if not result.get("hold"):
            return None
        added = result.get("added") or []
        if not added or not isinstance(added[0], dict):
            raise HelperServiceError("the helper held the change but did not say how")
        return dict(added[0])

    def apply_ready(self, pending: Iterable[dict[str, Any]]) -> list[str]:
        """Apply the gate changes that came due; what was applied, in words.

        A ready pause is left for the tray when this client cannot pause the gate.
        """
        done: list[str] = []
        if self._client is None:
            return done
        for entry in pending:
            if entry.get("kind") not in GATE_KINDS or entry.get("ready") is not True:
                continue
            if entry["kind"] == "gate_remove":
                self._gate_list.remove_ids([str(entry.get("app", ""))])
                done.append(f"{entry.get('subject')} is no longer gated")
            elif self._pause is not None:
                self._pause(int(entry.get("value") or 0))
                done.append(f"the app gate is paused for {entry.get('subject')}")
            else:
                continue
            self._client.finish_pending(int(entry["id"]))
        return done
