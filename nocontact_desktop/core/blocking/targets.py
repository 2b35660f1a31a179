"""Targets: what the user types to block someone, and the names that blocks (DESIGN §4).

A target is one of

- a **preset** name: ``instagram``, ``Twitter`` (an alias of ``x``) → all of the platform's names;
- a **profile** address on a platform: ``https://www.instagram.com/name/``, ``x.com/name``,
  ``tiktok.com/@name``, ``facebook.com/profile.php?id=…`` → all of the platform's names (a
  hosts file blocks whole names, never one profile) plus the handle, kept for the dialog
  ("you listed @name on Instagram");
- a **domain** or any other address: ``their-blog.com``, ``https://blog.their-site.co.uk/about``
  → see below.

Canonical form (``Target.target``) is what is stored and shown. Parsing a canonical form again
gives the same target, so it can be stored as text and expanded later:

- preset: the preset key (``instagram``);
- profile: the platform's main site and profile path (``instagram.com/name``, ``x.com/name``
  for a twitter.com address, ``facebook.com/profile.php?id=4``); when the address used a name
  the preset does not list (``de-at.facebook.com/name``), that name is kept instead of the main
  site, and blocked too;
- domain: the host, lower-case and punycode, without leading ``www.``/``m.``.

Domains of a non-platform site: its registrable domain and that domain's ``www.`` and ``m.``
names; if the address named a deeper host (``blog.their-site.com``), that host and its ``www.``
name too. Registrable domains come from the small built-in suffix list in
``core.blocking.domains``, so ``their-name.github.io`` blocks only that person's
page, never all of github.io.

Handles are written the platform's usual way: ``@name`` for user names (lower-cased: every
platform here treats them case-insensitively), ``u/name`` on Reddit, ``id:<id>`` for numeric or
opaque ids (kept as written), ``+<digits>`` for a WhatsApp number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs, unquote, urlsplit

from nocontact_desktop.core.blocking.domains import (
    is_valid_domain,
    normalize_domain,
    registrable_domain,
)
from nocontact_desktop.core.blocking.presets import Preset, Presets, default_presets, load_presets
from nocontact_desktop.core.blocking.target import Target as Target  # noqa: PLC0414 - re-exported
from nocontact_desktop.core.errors import BadInput

__all__ = [
    "Target",
    "domains_for_platform",
    "expand_targets",
    "load_presets",
    "parse_target",
    "targets_for_domain",
]

_MAX_TARGET_LENGTH = 2048
_PRESET_WORD = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
# "mailto:…", "javascript:…" — but not "host:8080" (a port) and not "https://…".
_OTHER_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?!//)(?![0-9])")


# --- handle extraction ---------------------------------------------------------------------

# (canonical site, path after the site — may be "", handle)
_Profile = tuple[str, str, str]
_Extractor = Callable[[str, list[str], dict[str, list[str]]], _Profile | None]


def _plain_name(value: str, max_length: int = 100) -> str | None:
    """*value* as a user name (letters of any script, digits, ``._-``), lower-cased."""
    if not 0 < len(value) <= max_length:
        return None
    if not all(ch.isalnum() or ch in "._-" for ch in value):
        return None
    if value.strip("._-") == "":
        return None
    return value.lower()


def _matching(pattern: str, value: str) -> str | None:
    return value.lower() if re.fullmatch(pattern, value) else None


def _first_query(query: dict[str, list[str]], key: str) -> str:
    values = query.get(key, [])
    return values[0] if values else ""


_INSTAGRAM_RESERVED = frozenset(
    [
        "explore", "p", "reel", "reels", "tv", "stories", "accounts", "direct", "about", "legal",
        "developer", "web", "challenge", "emails", "session", "privacy", "terms", "directory",
        "ar", "api", "graphql", "static", "oauth", "s", "topics", "locations", "tags", "create",
        "lite", "download", "press", "blog", "help", "nametag", "your_activity", "archive", "qr",
        "invites", "igtv", "data", "embed", "_n", "sem", "threads",
    ]
)


def _instagram(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if not segments:
        return None
    if host == "ig.me" and segments[0] == "m" and len(segments) > 1:
        candidate = segments[1]
    elif segments[0] in ("stories", "_u") and len(segments) > 1:
        candidate = segments[1]
        if candidate == "highlights":
            return None
    elif segments[0].lower() in _INSTAGRAM_RESERVED:
        return None
    else:
        candidate = segments[0]
    name = _matching(r"[A-Za-z0-9._]{1,30}", candidate)
    return None if name is None else ("instagram.com", name, f"@{name}")


_X_RESERVED = frozenset(
    [
        "home", "explore", "search", "i", "settings", "notifications", "messages", "compose",
        "login", "logout", "signup", "tos", "privacy", "hashtag", "intent", "share", "account",
        "about", "jobs", "download", "lists", "communities", "premium", "verified-choose",
        "oauth", "oauth2", "search-advanced", "bookmarks", "help",
    ]
)


def _x(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if host == "t.co" or not segments:
        return None
    if segments[0] == "intent" and len(segments) > 1 and segments[1] in ("user", "follow"):
        candidate = _first_query(query, "screen_name")
    elif segments[0].lower() in _X_RESERVED:
        return None
    else:
        candidate = segments[0].removeprefix("@")
    name = _matching(r"[A-Za-z0-9_]{1,15}", candidate)
    return None if name is None else ("x.com", name, f"@{name}")


def _tiktok(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if not segments or not segments[0].startswith("@"):
        return None
    name = _matching(r"[A-Za-z0-9_.]{1,24}", segments[0][1:])
    return None if name is None else ("tiktok.com", f"@{name}", f"@{name}")


_FACEBOOK_RESERVED = frozenset(
    [
        "people", "groups", "pages", "pg", "events", "marketplace", "watch", "gaming", "messages",
        "notifications", "friends", "settings", "login", "login.php", "home.php", "help",
        "privacy", "policies", "policy.php", "legal", "photo", "photo.php", "photos", "story.php",
        "permalink.php", "share", "sharer", "sharer.php", "hashtag", "search", "bookmarks",
        "saved", "reel", "reels", "stories", "business", "ads", "l.php", "dialog", "plugins",
        "tr", "ajax", "video", "videos", "live", "fundraisers", "games", "memories", "media",
        "me", "fb", "recover", "checkpoint", "r.php", "reg", "signup", "public", "places",
        "notes", "about", "careers", "terms", "cookies", "lite", "mobile", "messenger",
        "campaign", "directory", "find-friends", "latest", "feeds", "composer", "posts",
        "watchparty", "developers",
    ]
)


def _facebook_id(number: str) -> _Profile | None:
    if not re.fullmatch(r"[0-9]{1,25}", number):
        return None
    return ("facebook.com", f"profile.php?id={number}", f"id:{number}")


def _facebook(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if host in ("fb.watch", "fb.me") or not segments:
        return None
    first = segments[0].lower()
    if first == "profile.php":
        return _facebook_id(_first_query(query, "id"))
    if first == "people" and len(segments) > 2:
        return _facebook_id(segments[2])
    if first in _FACEBOOK_RESERVED:
        return None
    if first.isdigit():
        return _facebook_id(first)
    name = _matching(r"[A-Za-z0-9.\-]{1,50}", segments[0])
    return None if name is None else ("facebook.com", name, f"@{name}")


def _messenger(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if host != "m.me" or not segments:
        return None
    name = _matching(r"[A-Za-z0-9.\-]{1,50}", segments[0])
    return None if name is None else ("m.me", name, f"@{name}")


def _threads(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if not segments or not segments[0].startswith("@"):
        return None
    name = _matching(r"[A-Za-z0-9._]{1,30}", segments[0][1:])
    return None if name is None else ("threads.com", f"@{name}", f"@{name}")


_BSKY_HANDLE = r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"


def _bluesky(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if host.endswith(".bsky.social") and not segments:
        # name.bsky.social is itself the person's handle.
        return ("bsky.app", "", f"@{host}")
    if len(segments) < 2 or segments[0] != "profile":
        return None
    candidate = segments[1]
    if re.fullmatch(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,200}", candidate):
        return ("bsky.app", f"profile/{candidate}", candidate)
    handle = _matching(_BSKY_HANDLE, candidate.removeprefix("@"))
    if handle is None or "." not in handle:
        return None
    return ("bsky.app", f"profile/{handle}", f"@{handle}")


def _reddit(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if len(segments) < 2 or segments[0].lower() not in ("u", "user"):
        return None
    name = _matching(r"[A-Za-z0-9_-]{1,30}", segments[1])
    return None if name is None else ("reddit.com", f"user/{name}", f"u/{name}")


def _youtube(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if host == "youtu.be" or not segments:
        return None
    first = segments[0]
    if first.startswith("@"):
        name = _plain_name(first[1:])
        return None if name is None else ("youtube.com", f"@{name}", f"@{name}")
    if len(segments) < 2:
        return None
    second = segments[1]
    if first == "channel" and re.fullmatch(r"UC[A-Za-z0-9_-]{22}", second):
        return ("youtube.com", f"channel/{second}", f"id:{second}")
    if first in ("c", "user"):
        name = _plain_name(second)
        return None if name is None else ("youtube.com", f"{first}/{name}", f"@{name}")
    return None


_PINTEREST_RESERVED = frozenset(
    [
        "pin", "search", "ideas", "today", "settings", "business", "explore", "categories",
        "topics", "login", "logout", "about", "_", "resource", "videos", "shopping", "signup",
        "password", "notifications", "inbox", "news_hub", "homefeed", "following", "discover",
        "offsite", "oauth", "trends", "help", "edit",
    ]
)


def _pinterest(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if host == "pin.it" or not segments or segments[0].lower() in _PINTEREST_RESERVED:
        return None
    name = _matching(r"[A-Za-z0-9_]{1,30}", segments[0])
    return None if name is None else ("pinterest.com", name, f"@{name}")


def _linkedin(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if len(segments) < 2 or segments[0].lower() not in ("in", "pub"):
        return None
    name = _plain_name(segments[1])
    return None if name is None else ("linkedin.com", f"in/{name}", f"@{name}")


def _snapchat(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if not segments:
        return None
    if segments[0] == "add" and len(segments) > 1:
        candidate = segments[1]
    elif segments[0].startswith("@"):
        candidate = segments[0][1:]
    else:
        return None
    name = _matching(r"[A-Za-z0-9._-]{1,30}", candidate)
    return None if name is None else ("snapchat.com", f"add/{name}", f"@{name}")


_TELEGRAM_RESERVED = frozenset(
    [
        "joinchat", "addstickers", "addemoji", "share", "proxy", "socks", "iv", "c",
        "setlanguage", "login", "bg", "addtheme", "addlist", "boost", "m", "contact",
        "confirmphone", "invoice",
    ]
)


def _telegram(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    short_hosts = ("t.me", "telegram.me")
    for short in short_hosts:
        if host.endswith(f".{short}") and host.count(".") == short.count(".") + 1:
            # name.t.me is another spelling of t.me/name.
            name = _matching(r"[a-z0-9_]{3,32}", host.split(".", 1)[0])
            return None if name is None else ("t.me", "", f"@{name}")
    if host not in short_hosts or not segments:
        return None
    first = segments[0]
    if first == "s" and len(segments) > 1:
        first = segments[1]
    elif first.lower() in _TELEGRAM_RESERVED or first.startswith("+"):
        return None
    name = _matching(r"[A-Za-z0-9_]{3,32}", first)
    return None if name is None else ("t.me", name, f"@{name}")


def _whatsapp(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if host == "wa.me" and segments:
        candidate = segments[0]
    elif host == "api.whatsapp.com" and segments == ["send"]:
        candidate = _first_query(query, "phone")
    else:
        return None
    digits = candidate.removeprefix("+")
    if not re.fullmatch(r"[0-9]{6,15}", digits):
        return None
    return ("wa.me", digits, f"+{digits}")


def _discord(host: str, segments: list[str], query: dict[str, list[str]]) -> _Profile | None:
    if len(segments) < 2 or segments[0] != "users" or not re.fullmatch(r"[0-9]{5,25}", segments[1]):
        return None
    return ("discord.com", f"users/{segments[1]}", f"id:{segments[1]}")


_EXTRACTORS: dict[str, _Extractor] = {
    "instagram": _instagram,
    "x": _x,
    "tiktok": _tiktok,
    "facebook": _facebook,
    "messenger": _messenger,
    "threads": _threads,
    "bluesky": _bluesky,
    "reddit": _reddit,
    "youtube": _youtube,
    "pinterest": _pinterest,
    "linkedin": _linkedin,
    "snapchat": _snapchat,
    "telegram": _telegram,
    "whatsapp": _whatsapp,
    "discord": _discord,
}


# --- parsing -------------------------------------------------------------------------------


def _refuse(text: str, reason: str) -> BadInput:
    return BadInput(f"{text!r} is not a valid target: {reason}")


def _check_text(text: str, cleaned: str) -> None:
    for char in cleaned:
        if char.isspace() or not char.isprintable():
            raise _refuse(text, f"contains whitespace or a control character ({char!r})")


def _split_address(text: str, cleaned: str) -> tuple[str, list[str], dict[str, list[str]]]:
    """Host (normalized), decoded path segments and query of a web address."""
    scheme = _OTHER_SCHEME.match(cleaned)
    if scheme and "." not in scheme.group(1):
        raise _refuse(text, "only web addresses (http or https) can be blocked")
    # Browsers read a backslash as a slash in web addresses; so do we.
    raw = cleaned.replace("\\", "/")
    if raw.startswith("//"):
        raw = "https:" + raw
    elif "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError as error:
        raise _refuse(text, f"not a readable web address ({error})") from error
    if parts.scheme.lower() not in ("http", "https"):
        raise _refuse(text, "only web addresses (http or https) can be blocked")
    host = parts.hostname
    if not host:
        raise _refuse(text, "no site name in it")
    try:
        normal = normalize_domain(host)
    except BadInput as error:
        raise _refuse(text, str(error)) from error
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    query = parse_qs(parts.query)
    return normal, segments, query


def _site_names(name: str) -> set[str]:
    """*name* and its ``www.``/``m.`` names (where those are still valid names)."""
    names = {name}
    for prefix in ("www.", "m."):
        if is_valid_domain(prefix + name):
            names.add(prefix + name)
    return names


def _strip_web_prefixes(host: str, site: str) -> str:
    """Drop leading ``www.``/``m.`` labels while what is left is still *site* or under it."""
    changed = True
    while changed:
        changed = False
        for prefix in ("www.", "m."):
            rest = host.removeprefix(prefix)
            if rest != host and (rest == site or rest.endswith("." + site)):
                host = rest
                changed = True
    return host


def _preset_target(preset: Preset) -> Target:
    return Target(preset.key, "preset", preset.key, None, preset.domains)


def _platform_target(
    preset: Preset, host: str, segments: list[str], query: dict[str, list[str]]
) -> Target:
    listed = host in preset.domains
    domains = set(preset.domains) if listed else {*preset.domains, host}
    extractor = _EXTRACTORS.get(preset.key)
    profile = extractor(host, segments, query) if extractor else None
    if profile is not None:
        site, path, handle = profile
        base = site if listed else host
        target = f"{base}/{path}" if path else base
        return Target(target, "profile", preset.key, handle, tuple(sorted(domains)))
    if listed:
        return _preset_target(preset)
    return Target(host, "domain", preset.key, None, tuple(sorted(domains)))


def _site_target(text: str, host: str, segments: list[str]) -> Target:
    site = registrable_domain(host)
    if site is None:
        raise _refuse(text, f"{host!r} is a suffix shared by many sites, not one site")
    canonical = _strip_web_prefixes(host, site)
    domains = _site_names(site)
    if canonical != site:
        domains |= {canonical} | {n for n in _site_names(canonical) if n.startswith("www.")}
    if segments and segments[0].startswith("@"):
        name = _plain_name(segments[0][1:])
        if name is not None:
            # A "/@name" page on any site (Mastodon and others) is a profile.
            handle = f"@{name}"
            return Target(f"{canonical}/{handle}", "profile", None, handle, tuple(sorted(domains)))
    return Target(canonical, "domain", None, None, tuple(sorted(domains)))


def parse_target(text: str, presets: Presets | None = None) -> Target:
    """Parse what the user typed into a :class:`Target`, or raise :class:`BadInput` saying why.

    *presets* defaults to the shipped presets. Leading and trailing whitespace is ignored;
    whitespace or control characters inside are refused.
    """
    if not isinstance(text, str):
        raise BadInput(f"{text!r} is not a valid target: not text")
    known = default_presets() if presets is None else presets
    cleaned = text.strip()
    if not cleaned:
        raise _refuse(text, "empty")
    if len(cleaned) > _MAX_TARGET_LENGTH:
        raise _refuse(text[:60] + "…", "far too long")
    _check_text(text, cleaned)

    lowered = cleaned.lower()
    if _PRESET_WORD.match(lowered):
        preset = known.get(lowered)
        if preset is not None:
            return _preset_target(preset)
        if "." not in lowered:
            names = ", ".join(known.keys())
            raise _refuse(
                text,
                f"not a known platform ({names}) and not a site name (a site name has a dot)",
            )
    if cleaned.startswith("@"):
        raise _refuse(
            text,
            "a handle alone does not say which platform; paste the profile address instead, "
            "e.g. https://www.instagram.com/name/",
        )

    host, segments, query = _split_address(text, cleaned)
    preset = known.for_host(host)
    if preset is not None:
        return _platform_target(preset, host, segments, query)
    return _site_target(text, host, segments)


def expand_targets(targets: Iterable[Target]) -> list[str]:
    """All names to block for *targets*: the sorted union of their domains."""
    names: set[str] = set()
    for target in targets:
        names.update(target.domains)
    return sorted(names)


def domains_for_platform(name: str, presets: Presets | None = None) -> tuple[str, ...]:
    """The names a platform preset blocks (*name* is a key or alias), or :class:`BadInput`."""
    known = default_presets() if presets is None else presets
    return known.require(name).domains


def targets_for_domain(domain: str, targets: Iterable[Target]) -> list[Target]:
    """The targets that block *domain* (for the dialog: which entry a listener hit belongs to)."""
    try:
        name = normalize_domain(domain)
    except BadInput:
        return []
    return [target for target in targets if name in target.domains]
