"""Platform presets: which names to block for Instagram, X, TikTok … (DESIGN §4).

The data lives in ``resources/blocklist_presets.json``; this module loads it and checks it
strictly, so a typo in that file fails at start-up instead of writing a bad hosts file:

- every name is a valid domain in normal form (:func:`normalize_domain` returns it unchanged);
- ``sites`` are registrable domains, each also blocked itself; every blocked name lies under
  one of its preset's sites, so a hit on any blocked name maps back to exactly one platform;
- no site, name, key or alias belongs to two presets (a pass for one platform must not
  unblock another).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nocontact_desktop.core.blocking.domains import normalize_domain, registrable_domain
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.resources import resource_path

DEFAULT_PRESETS_PATH = resource_path("blocklist_presets.json")
SCHEMA_VERSION = 1

_KEY = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?\Z")
_TOP_KEYS = frozenset({"schema_version", "reviewed", "about", "presets"})
_PRESET_KEYS = frozenset({"display_name", "aliases", "sites", "domains", "notes", "sources"})
_SOURCE_KEYS = frozenset({"url", "used_for"})


@dataclass(frozen=True)
class PresetSource:
    """Where a preset's list came from."""

    url: str
    used_for: str


@dataclass(frozen=True)
class Preset:
    """One platform: its names to block and the sites that identify it."""

    key: str
    display_name: str
    aliases: tuple[str, ...]
    sites: tuple[str, ...]
    domains: tuple[str, ...]
    notes: str
    sources: tuple[PresetSource, ...]


class Presets:
    """All presets, looked up by key or alias (any case) or by a host name."""

    def __init__(self, presets: Iterable[Preset]) -> None:
        self._by_key: dict[str, Preset] = {}
        self._by_name: dict[str, Preset] = {}
        self._by_site: dict[str, Preset] = {}
        self._owner_of_domain: dict[str, Preset] = {}
        for preset in presets:
            self._add(preset)

    def _add(self, preset: Preset) -> None:
        if preset.key in self._by_key:
            raise BadInput(f"preset {preset.key!r} is defined twice")
        for name in (preset.key, *preset.aliases):
            if name in self._by_name:
                other = self._by_name[name].key
                raise BadInput(f"preset name {name!r} is used by {other!r} and {preset.key!r}")
            self._by_name[name] = preset
        for site in preset.sites:
            if site in self._by_site:
                other = self._by_site[site].key
                raise BadInput(f"site {site!r} belongs to both {other!r} and {preset.key!r}")
            self._by_site[site] = preset
        for domain in preset.domains:
            if domain in self._owner_of_domain:
                other = self._owner_of_domain[domain].key
                raise BadInput(f"{domain!r} is listed by both {other!r} and {preset.key!r}")
            self._owner_of_domain[domain] = preset
        self._by_key[preset.key] = preset

    def __iter__(self) -> Iterator[Preset]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def keys(self) -> tuple[str, ...]:
        """Preset keys in file order."""
        return tuple(self._by_key)

    def get(self, name: str) -> Preset | None:
        """The preset called *name* (key or alias, any case), or None."""
        return self._by_name.get(name.strip().lower())

    def require(self, name: str) -> Preset:
        """Like :meth:`get`, but an unknown name is :class:`BadInput`."""
        preset = self.get(name)
        if preset is None:
            known = ", ".join(self.keys())
            raise BadInput(f"{name!r} is not a known platform (known: {known})")
        return preset

    def for_host(self, host: str) -> Preset | None:
        """The preset whose sites include the registrable domain of normalized *host*."""
        site = registrable_domain(host)
        return None if site is None else self._by_site.get(site)

    def owner_of(self, domain: str) -> Preset | None:
        """The preset that lists *domain* itself, or None."""
        return self._owner_of_domain.get(domain)


def _fail(path: Path, where: str, reason: str) -> BadInput:
    return BadInput(f"{str(path)!r} is not a valid presets file: {where}: {reason}")


def _string(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, "must be a non-empty string")
    return value


def _string_list(path: Path, where: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _fail(path, where, "must be a list of strings")
    return [_string(path, f"{where}[{i}]", item) for i, item in enumerate(value)]


def _name_list(path: Path, where: str, value: Any) -> tuple[str, ...]:
    names = _string_list(path, where, value)
    seen: set[str] = set()
    for name in names:
        try:
            normal = normalize_domain(name)
        except BadInput as error:
            raise _fail(path, where, str(error)) from error
        if normal != name:
            raise _fail(path, where, f"{name!r} must be written as {normal!r}")
        if name in seen:
            raise _fail(path, where, f"{name!r} is listed twice")
        seen.add(name)
    return tuple(names)


def _check_keys(path: Path, where: str, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _fail(path, where, f"unknown field(s) {', '.join(map(repr, unknown))}")
    missing = sorted(allowed - set(data) - {"reviewed", "about", "notes"})
    if missing:
        raise _fail(path, where, f"missing field(s) {', '.join(map(repr, missing))}")


def _parse_preset(path: Path, key: str, data: Any) -> Preset:
    where = f"presets.{key}"
    if not _KEY.match(key):
        raise _fail(path, where, "a preset key is lower-case letters, digits and hyphens")
    if not isinstance(data, dict):
        raise _fail(path, where, "must be an object")
    _check_keys(path, where, data, _PRESET_KEYS)
    aliases = tuple(_string_list(path, f"{where}.aliases", data["aliases"]))
    for alias in aliases:
        if not _KEY.match(alias):
            raise _fail(path, f"{where}.aliases", f"{alias!r}: lower-case letters, digits, hyphens")
    sites = _name_list(path, f"{where}.sites", data["sites"])
    domains = _name_list(path, f"{where}.domains", data["domains"])
    if not sites or not domains:
        raise _fail(path, where, "needs at least one site and one domain")
    for site in sites:
        if registrable_domain(site) != site:
            raise _fail(path, f"{where}.sites", f"{site!r} is not a registrable domain")
        if site not in domains:
            raise _fail(path, f"{where}.sites", f"{site!r} must also be in domains")
    for domain in domains:
        if registrable_domain(domain) not in sites:
            raise _fail(path, f"{where}.domains", f"{domain!r} is not under one of its sites")
    sources_raw = data["sources"]
    if not isinstance(sources_raw, list) or not sources_raw:
        raise _fail(path, f"{where}.sources", "must be a non-empty list")
    sources: list[PresetSource] = []
    for i, source in enumerate(sources_raw):
        source_where = f"{where}.sources[{i}]"
        if not isinstance(source, dict):
            raise _fail(path, source_where, "must be an object")
        _check_keys(path, source_where, source, _SOURCE_KEYS)
        url = _string(path, f"{source_where}.url", source["url"])
        if not url.startswith("https://"):
            raise _fail(path, f"{source_where}.url", "must be an https:// address")
        used_for = _string(path, f"{source_where}.used_for", source["used_for"])
        sources.append(PresetSource(url, used_for))
    notes = data.get("notes", "")
    if not isinstance(notes, str):
        raise _fail(path, f"{where}.notes", "must be a string")
    return Preset(
        key=key,
        display_name=_string(path, f"{where}.display_name", data["display_name"]),
        aliases=aliases,
        sites=sites,
        domains=tuple(sorted(domains)),
        notes=notes,
        sources=tuple(sources),
    )


def load_presets(path: Path | None = None) -> Presets:
    """Read and validate the presets file (default: ``resources/blocklist_presets.json``).

    Any problem — unreadable JSON, an unknown field, an invalid or shared name — is
    :class:`BadInput` naming the file, the place and the reason.
    """
    source = DEFAULT_PRESETS_PATH if path is None else Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise _fail(source, "JSON", str(error)) from error
    if not isinstance(data, dict):
        raise _fail(source, "top level", "must be an object")
    _check_keys(source, "top level", data, _TOP_KEYS)
    if data["schema_version"] != SCHEMA_VERSION:
        raise _fail(source, "schema_version", f"expected {SCHEMA_VERSION}")
    presets_raw = data["presets"]
    if not isinstance(presets_raw, dict) or not presets_raw:
        raise _fail(source, "presets", "must be a non-empty object")
    try:
        return Presets(_parse_preset(source, key, value) for key, value in presets_raw.items())
    except BadInput as error:
        if str(error).startswith(repr(str(source))):
            raise
        raise _fail(source, "presets", str(error)) from error


@lru_cache(maxsize=1)
def default_presets() -> Presets:
    """The shipped presets, loaded once per process."""
    return load_presets()
