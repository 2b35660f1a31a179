"""One dialog per site at a time (DESIGN §5).

Browsers retry and pages load many resources, so one attempt arrives as a burst of listener
hits. Hits for a site whose dialog is open are folded into it; after the dialog closes, hits
within a quiet period are counted but raise no new dialog.

A hit whose site is unknown (:data:`UNLISTED_SITE_KEY`: an Encrypted Client Hello's outer name,
no SNI) comes with the named hits of the same page load, or alone: while any site's dialog is
open or quiet it is folded into that one, and while its own dialog is open, named hits are
folded into it — one attempt, one dialog.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_QUIET_SECONDS = 60.0
UNLISTED_SITE_KEY = "site:unlisted"


@dataclass
class _Site:
    dialog_open: bool = False
    quiet_until: float = 0.0
    hits: int = 0  # hits since the dialog opened (or since the quiet period began)


class AttemptCoalescer:
    """Decides, per site key, whether a hit raises a dialog; time is passed in (monotonic)."""

    def __init__(self, quiet_seconds: float = DEFAULT_QUIET_SECONDS) -> None:
        self.quiet_seconds = quiet_seconds
        self._sites: dict[str, _Site] = {}

    def hit(self, key: str, now: float) -> bool:
        """Record a hit; True when it should open a new dialog for ``key``."""
        self.forget_expired(now)  # keeps memory bounded over months of hits
        if key == UNLISTED_SITE_KEY:
            busy = next((k for k in self._sites if _is_site(k) and k != key), None)
            if busy is not None:  # the named dialog of this attempt is open or quiet
                self._sites[busy].hits += 1
                return False
        elif _is_site(key) and self.is_open(UNLISTED_SITE_KEY):
            self._sites[UNLISTED_SITE_KEY].hits += 1
            return False
        site = self._sites.setdefault(key, _Site())
        site.hits += 1
        if site.dialog_open or now < site.quiet_until:
            return False
        site.dialog_open = True
        site.hits = 1
        return True

    def closed(self, key: str, now: float) -> int:
        """The dialog for ``key`` closed; start the quiet period. Returns the hits it absorbed."""
        site = self._sites.setdefault(key, _Site())
        absorbed = site.hits
        site.dialog_open = False
        site.quiet_until = now + self.quiet_seconds
        site.hits = 0
        return absorbed

    def is_open(self, key: str) -> bool:
        """Whether a dialog for ``key`` is on screen."""
        site = self._sites.get(key)
        return site is not None and site.dialog_open

    def quiet_hits(self, key: str) -> int:
        """Hits counted since the last dialog closed (shown nowhere but kept for statistics)."""
        site = self._sites.get(key)
        return 0 if site is None or site.dialog_open else site.hits

    def tracked(self) -> frozenset[str]:
        """The site keys remembered now (open dialogs and quiet periods)."""
        return frozenset(self._sites)

    def forget_expired(self, now: float) -> None:
        """Drop sites with no dialog and no quiet period left (bounded memory over months)."""
        for key in [
            k for k, s in self._sites.items() if not s.dialog_open and now >= s.quiet_until
        ]:
            del self._sites[key]


def _is_site(key: str) -> bool:
    """Site keys (target names); apps and loosening changes have prefixed keys."""
    return not key.startswith(("app:", "change:"))
