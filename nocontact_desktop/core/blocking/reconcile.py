"""Keep the helper's list equal to the stored one, and say honestly whether blocking is on.

The helper reports the list it holds and whether the hosts file holds it. Whenever a client
(tray or CLI) finds the helper's list differs from the stored list — on every connect and
reconnect, after an install, after the helper restarted — it pushes the stored list. "Blocking
is on" means the hosts file holds the person's list now; anything else says what differs.

Under a commitment the helper also holds names the person asked to unblock until they are due
(pending removals, DESIGN §4a). Those are not a difference: the list compared is the helper's
blocklist minus its pending removals. Pushing the same list again never restarts a wait.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from nocontact_desktop.core.helper_link.client import HelperClient, HelperError, HelperUnavailable

BlockingState = Literal["on", "off", "pending", "problem"]


@dataclass(frozen=True)
class Reconciled:
    """The outcome of one reconcile: ``state`` and the words for it."""

    state: BlockingState
    message: str
    pushed: bool = False
    helper_state: dict[str, Any] | None = None  # the helper's get_state, when it answered

    @property
    def pending(self) -> list[dict[str, Any]]:
        """The helper's pending changes (``{"id","kind","subject","due_at",...}``)."""
        return pending_changes(self.helper_state or {})

    @property
    def on(self) -> bool:
        """True when the hosts file holds the stored list now."""
        return self.state == "on"


def _holds(state: dict[str, Any]) -> bool:
    section = state.get("section")
    return isinstance(section, dict) and section.get("matches") is True


def pending_changes(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The pending changes in a ``get_state`` answer (older helpers have none)."""
    commitment = state.get("commitment")
    pending = commitment.get("pending", []) if isinstance(commitment, dict) else []
    return [entry for entry in pending if isinstance(entry, dict)]


def wanted_by_helper(state: dict[str, Any]) -> list[str]:
    """The helper's list without the names waiting to come off (pending removals)."""
    leaving = {
        str(name)
        for entry in pending_changes(state)
        if entry.get("kind") == "unblock"
        for name in entry.get("domains", [])
    }
    return sorted(set(state.get("blocklist", [])) - leaving)


def reconcile(client: HelperClient, stored: Sequence[str]) -> Reconciled:
    """Compare the helper's list with ``stored``; push ``stored`` if they differ."""
    wanted = sorted(set(stored))
    try:
        state = client.get_state()
        pushed = False
        if wanted_by_helper(state) != wanted:
            client.set_blocklist(wanted)
            state = client.get_state()
            pushed = True
    except HelperUnavailable as err:
        return Reconciled("off", f"blocking is off: {err}")
    except HelperError as err:
        return Reconciled("problem", f"the helper refused the list: {err}")
    if wanted_by_helper(state) != wanted:
        return Reconciled(
            "problem", "the helper holds a different list than yours", pushed, state
        )
    if not _holds(state):
        error = state.get("last_error") or "it has not written the hosts file yet"
        return Reconciled(
            "pending", f"the hosts file does not hold your list yet: {error}", pushed, state
        )
    count = len(state.get("blocklist", []))
    return Reconciled(
        "on", f"blocking is on: {count} names blocked on this computer", pushed, state
    )


def wait_until_ready(
    client: HelperClient,
    monotonic: Callable[[], float],
    sleep: Callable[[float], None],
    timeout: float = 20.0,
) -> bool:
    """Wait for a freshly started helper to answer (its socket appears a moment after start)."""
    deadline = monotonic() + timeout
    while True:
        try:
            if client.ping():
                return True
        except (HelperUnavailable, HelperError):
            pass
        if monotonic() >= deadline:
            return False
        sleep(0.1)
