"""Keep the helper's list equal to the stored one, and say honestly whether blocking is on.

The helper reports the list it holds and whether the hosts file holds it. Whenever a client
(tray or CLI) finds the helper's list differs from the stored list — on every connect and
reconnect, after an install, after the helper restarted — it pushes the stored list. "Blocking
is on" means the hosts file holds the person's list now; anything else says what differs.
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

    @property
    def on(self) -> bool:
        """True when the hosts file holds the stored list now."""
        return self.state == "on"


def _holds(state: dict[str, Any]) -> bool:
    section = state.get("section")
    return isinstance(section, dict) and section.get("matches") is True


def reconcile(client: HelperClient, stored: Sequence[str]) -> Reconciled:
    """Compare the helper's list with ``stored``; push ``stored`` if they differ."""
    wanted = sorted(set(stored))
    try:
        state = client.get_state()
        pushed = False
        if sorted(state.get("blocklist", [])) != wanted:
            client.set_blocklist(wanted)
            state = client.get_state()
            pushed = True
    except HelperUnavailable as err:
        return Reconciled("off", f"blocking is off: {err}")
    except HelperError as err:
        return Reconciled("problem", f"the helper refused the list: {err}")
    if sorted(state.get("blocklist", [])) != wanted:
        return Reconciled("problem", "the helper holds a different list than yours", pushed)
    if not _holds(state):
        error = state.get("last_error") or "it has not written the hosts file yet"
        return Reconciled("pending", f"the hosts file does not hold your list yet: {error}", pushed)
    count = len(wanted)
    return Reconciled("on", f"blocking is on: {count} names blocked on this computer", pushed)


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
