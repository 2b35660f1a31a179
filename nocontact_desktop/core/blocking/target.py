"""The parsed target record (DESIGN §4), apart from its parser in :mod:`.targets`.

Listing the stored targets (``nocontact block list``) needs only this record, not the parser
with its presets, suffix list and URL handling, so it loads without them (DESIGN §11).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """One parsed target: what to store and show, and which names it blocks."""

    target: str
    kind: str  # "profile" | "domain" | "preset"
    platform: str | None
    handle: str | None
    domains: tuple[str, ...]
