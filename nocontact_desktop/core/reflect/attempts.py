"""The rules of the delay-and-reflect moment (DESIGN §5), for blocked sites and gated apps alike.

What an attempt is called and how it is described, which of the person's reasons to show,
how long the countdown lasts, what is logged for each outcome and how many times they turned
away this week. The UI shows a dialog and reports the outcome; everything else is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal

from nocontact_desktop.core.blocking.blocklist import Blocklist
from nocontact_desktop.core.blocking.targets import Target
from nocontact_desktop.core.clock import Clock
from nocontact_desktop.core.errors import KeyUnavailable
from nocontact_desktop.core.reflect.coalescer import UNLISTED_SITE_KEY
from nocontact_desktop.core.settings import Settings
from nocontact_desktop.core.storage.store import Store
from nocontact_desktop.core.streak.count import StreakSummary
from nocontact_desktop.core.streak.events import EventKind
from nocontact_desktop.core.streak.tracker import Tracker

AttemptKind = Literal["site", "app", "change"]
Outcome = Literal["dismissed", "opened"]

REASON_ROTATION_KEY: Final = "reason_rotation"


@dataclass(frozen=True)
class Attempt:
    """What was attempted: a blocked site (a listener hit), a gated app, or a loosening
    change (unblocking, a shorter commitment, pausing the gate — DESIGN §4a)."""

    key: str  # one dialog per key at a time
    name: str  # "instagram.com", "Signal"
    detail: str  # "on your list", "you listed @name on Instagram"
    kind: AttemptKind = "site"
    domains: tuple[str, ...] = ()  # what a pass unblocks (sites only)
    url: str | None = None  # what "Open anyway" opens (sites only)


@dataclass(frozen=True)
class ReflectContext:
    """What the dialog shows beside the attempt."""

    summary: StreakSummary
    reason: str | None
    countdown_seconds: int


class SiteDirectory:
    """Blocked name → the list entry it came from, rebuilt only when the list changes.

    Unsealing every target on each hit would cost a decryption per row per hit (a page load
    brings dozens of hits); the map is rebuilt when the store's list revision differs.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._revision: str | None = None
        self._by_name: dict[str, Target] = {}

    def lookup(self, name: str) -> Target | None:
        """The target that blocks ``name``, or ``None``."""
        revision = Blocklist(self._store).revision()
        if revision != self._revision:
            by_name: dict[str, Target] = {}
            try:
                listed = Blocklist(self._store).targets()
            except KeyUnavailable:
                return None  # notes locked: the moment still comes, naming just the site
            for _row, target in listed:
                for domain in target.domains:
                    by_name.setdefault(domain, target)
            self._by_name = by_name
            self._revision = revision
        return self._by_name.get(name)


def attempted_url(domain: str, path: str | None = None) -> str:
    """What "Open anyway" opens: ``http://host/path`` when the path is known (plain HTTP),
    else ``https://host/``. A path that is not a plain origin-form path is not used."""
    if path is not None and _is_plain_path(path):
        return f"http://{domain}{path}"
    return f"https://{domain}/"


def _is_plain_path(path: str) -> bool:
    return (
        path.startswith("/")
        and not path.startswith("//")
        and len(path) <= 2048
        and all(33 <= ord(ch) < 127 for ch in path)
    )


def site_name(name: str) -> str:
    """How a site is named to the person: ``www.`` dropped."""
    return name[4:] if name.startswith("www.") else name


def _detail(target: Target | None) -> str:
    if target is not None and target.handle and target.platform:
        return f"you listed {target.handle} on {target.platform.capitalize()}"
    return "on your list"


class ReflectRules:
    """The reflect moment's rules over one store and clock."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.tracker = Tracker(store, clock)
        self.sites = SiteDirectory(store)

    def site_attempt(
        self, domain: str, matched: str | None = None, path: str | None = None
    ) -> Attempt:
        """The attempt for a listener hit on ``domain`` (``matched``: the listed name).

        ``path``: the request path the listener saw on plain HTTP; "Open anyway" then opens
        that very page. Over HTTPS only the name is known: the attempted host is opened.
        """
        name = matched or domain
        target = self.sites.lookup(name)
        return Attempt(
            key=target.target if target is not None else name,
            name=site_name(name),
            detail=_detail(target),
            kind="site",
            domains=tuple(target.domains) if target is not None else (name,),
            url=attempted_url(domain, path),
        )

    @staticmethod
    def unlisted_site_attempt() -> Attempt:
        """A hit whose name the listener could not read (an ECH outer name, no SNI).

        Only blocked names resolve to the listener, so it is "a site on your list"; which one
        is unknown, so there is nothing to open or pass (``domains`` empty, no ``url``).
        """
        return Attempt(
            key=UNLISTED_SITE_KEY, name="a site on your list", detail="on your list", kind="site"
        )

    @staticmethod
    def app_attempt(app_id: str, display_name: str) -> Attempt:
        """The attempt for a gated app that was started."""
        return Attempt(
            key=f"app:{app_id}", name=display_name, detail="an app on your list", kind="app"
        )

    @staticmethod
    def change_attempt(key: str, what: str, detail: str) -> Attempt:
        """A loosening the person asked for: it goes through the reflect moment first."""
        return Attempt(key=f"change:{key}", name=what, detail=detail, kind="change")

    def context(self) -> ReflectContext:
        """The day count, the next of the person's own reasons, and the countdown."""
        return ReflectContext(
            summary=self.tracker.summary(),
            reason=self.next_reason(),
            countdown_seconds=int(Settings(self.store).get("countdown_seconds")),
        )

    def next_reason(self) -> str | None:
        """One of the person's own reasons, a different one each time (rotating)."""
        try:
            reasons = self.store.list_items("reasons")
        except KeyUnavailable:
            return None  # notes locked: no reason shown, the moment itself still holds
        if not reasons:
            return None
        stored = self.store.setting(REASON_ROTATION_KEY, 0)
        index = (stored if isinstance(stored, int) else 0) % len(reasons)
        self.store.set_setting(REASON_ROTATION_KEY, index + 1)
        return reasons[index]

    def record(self, attempt: Attempt, outcome: Outcome, intention: str | None) -> None:
        """Log the outcome once: a ``blocked_attempt``, and a ``peek`` when it was opened.

        For a loosening change only turning away is logged: asking for the change is not a
        peek, and the change itself shows as pending until it is due.
        """
        if attempt.kind == "change" and outcome != "dismissed":
            return
        self.tracker.log(
            EventKind.BLOCKED_ATTEMPT, note=intention, outcome=outcome, subject=attempt.name
        )
        if outcome == "opened":
            self.tracker.log(EventKind.PEEK, subject=attempt.name)

    def turned_away_this_week(self) -> int:
        """Attempts dismissed in the last 7 days (Today page, acknowledgement)."""
        since = self.clock.now() - timedelta(days=7)
        return self.store.count_outcomes(EventKind.BLOCKED_ATTEMPT, since).get("dismissed", 0)


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def acknowledgement(turned_away_this_week: int) -> str:
    """The words after a dismissal: what they did, counted kindly (never a reproach)."""
    if turned_away_this_week <= 1:
        return "You turned away. That took strength."
    return f"You turned away. That's the {_ordinal(turned_away_this_week)} time this week."
