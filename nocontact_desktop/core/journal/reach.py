"""How a support person can be reached, read from what the person typed ("+44 …", a link).

The emergency window offers one click per person: copy a number, or open a link. Only web
links and e-mail addresses are ever opened; anything else is copied, never handed to the
system to "open" (a ``file:`` or custom-scheme link could start a program).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

ReachKind = Literal["phone", "link", "email", "text"]

_PHONE: Final = re.compile(r"^\+?[\d\s().\-/]{5,}$")
_EMAIL: Final = re.compile(r"^[^@\s/:]+@[^@\s/:]+\.[^@\s/:]+$")
_BARE_WEB: Final = re.compile(r"^(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)+(/\S*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Reach:
    """What to do with a way of reaching someone.

    ``kind`` is phone, link, email or text; ``value`` is what to copy (the number, cleaned of
    decoration) or the URL to open (``https://…`` or ``mailto:…``).
    """

    kind: ReachKind
    value: str

    @property
    def opens(self) -> bool:
        """Whether a click opens it (link, e-mail) rather than copying it."""
        return self.kind in ("link", "email")


def classify_reach(text: str) -> Reach:
    """Read ``text`` as a phone number, a web link, an e-mail address or plain text."""
    stripped = text.strip()
    if stripped.lower().startswith("tel:"):
        stripped = stripped[4:].strip()
    if _PHONE.match(stripped) and sum(c.isdigit() for c in stripped) >= 5:
        cleaned = re.sub(r"[^\d+]", "", stripped)
        return Reach("phone", cleaned)
    if stripped.lower().startswith("mailto:"):
        address = stripped[len("mailto:") :]
        if _EMAIL.match(address):
            return Reach("email", "mailto:" + address)
    if _EMAIL.match(stripped):
        return Reach("email", "mailto:" + stripped)
    parts = urlsplit(stripped)
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return Reach("link", stripped)
    if not parts.scheme and _BARE_WEB.match(stripped):
        return Reach("link", "https://" + stripped)
    return Reach("text", stripped)
