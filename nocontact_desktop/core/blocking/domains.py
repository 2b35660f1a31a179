"""Domain-name rules for blocking (DESIGN §4).

A name we block must be something a hosts file can hold and a browser can ask for: lower-case,
IDNA-encoded (punycode), labels of 1–63 letters/digits/hyphens, at most 253 characters, at least
two labels. Wildcards, IP literals, ``localhost`` and anything with whitespace or control
characters are refused with a :class:`BadInput` that names the input and the reason.

Internationalised names go through the ``idna`` package (IDNA 2008 with the UTS #46 mapping,
non-transitional, STD3 rules), so ``BÜCHER.example`` and ``bücher.example`` both become
``xn--bcher-kva.example``. Plain ASCII labels are checked here directly and not by ``idna``: real
host names such as ``r3---sn-4g5e6nsz.googlevideo.com`` break IDNA 2008's hyphen rule for
U-labels, yet they are valid host names.

This module also knows which part of a name is its *registrable* domain (``their-blog.co.uk``
for ``www.their-blog.co.uk``). There is no public-suffix download at run time: a short built-in
list of common multi-label suffixes is used instead (see :func:`registrable_domain`).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import lru_cache

from nocontact_desktop.core.errors import BadInput

MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63
# Refuse absurd input before doing any work on it (a name is at most 253 octets).
_MAX_INPUT_LENGTH = 1024

_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_ASCII_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
_PLAIN_ASCII = re.compile(r"[A-Za-z0-9.-]+\Z")
_DIGITS_AND_DOTS = re.compile(r"[0-9.]+\Z")
# Zero-width (non-)joiner are part of correct spelling in some scripts; IDNA 2008 checks them.
_JOINERS = frozenset("\u200c\u200d")


def _refuse(text: str, reason: str) -> BadInput:
    return BadInput(f"{text!r} is not a valid domain: {reason}")


def _looks_like_ip(text: str) -> bool:
    candidate = text
    if candidate.startswith("[") and candidate.endswith("]"):
        return True
    candidate = candidate.rstrip(".")
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def _check_characters(text: str) -> None:
    for char in text:
        if char.isspace():
            raise _refuse(text, f"contains whitespace ({char!r})")
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp"):
            raise _refuse(text, f"contains a control or unassigned character ({char!r})")
        if category == "Cf" and char not in _JOINERS:
            # Invisible characters (zero-width space, soft hyphen, bidi marks) make two
            # different-looking inputs block the same name, or hide what is blocked.
            raise _refuse(text, f"contains an invisible formatting character ({char!r})")


def _to_ascii_label(text: str, label: str) -> str:
    """One label in its ASCII (A-label) form, or BadInput."""
    if label.isascii():
        if label.startswith("xn--"):
            import idna  # noqa: PLC0415 - loaded for punycode and international names only

            # An A-label must decode to a valid U-label that encodes back to the same label.
            try:
                round_trip = idna.alabel(idna.ulabel(label)).decode("ascii")
            except (idna.IDNAError, UnicodeError) as error:
                raise _refuse(text, f"label {label!r} is not valid punycode") from error
            if round_trip != label:
                raise _refuse(text, f"label {label!r} is not valid punycode")
        return label
    import idna  # noqa: PLC0415 - loaded for international names only

    try:
        return idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise _refuse(text, f"label {label!r} is not a valid international name") from error


@lru_cache(maxsize=8192)
def normalize_domain(text: str) -> str:
    """The canonical form of a domain name to block, or :class:`BadInput` saying why not.

    Lower-cases, applies the UTS #46 mapping and IDNA encoding, strips one trailing dot, and
    checks every rule of DESIGN §4. The result is pure ASCII and safe to write into a hosts
    file.
    """
    if not isinstance(text, str):
        raise BadInput(f"{text!r} is not a valid domain: not text")
    if not text:
        raise BadInput("'' is not a valid domain: empty")
    if len(text) > _MAX_INPUT_LENGTH:
        raise _refuse(text[:40] + "…", "far too long")
    if _PLAIN_ASCII.match(text):
        # The common case (every preset name, most typed names): only letters, digits, dots
        # and hyphens, so no character checks, no wildcard, no IDNA; IPv4-like text still
        # gets its own message.
        if _DIGITS_AND_DOTS.match(text) and _looks_like_ip(text):
            raise _refuse(text, "IP addresses are not allowed, only names")
        mapped = text.lower()
    elif text.isascii():
        _check_characters(text)
        if "*" in text:
            raise _refuse(text, "wildcards are not allowed (a hosts file blocks exact names only)")
        if _looks_like_ip(text):
            raise _refuse(text, "IP addresses are not allowed, only names")
        mapped = text.lower()
        for char in mapped:
            if char not in _ASCII_ALLOWED:
                raise _refuse(text, f"character {char!r} is not allowed in a domain name")
    else:
        _check_characters(text)
        if "*" in text:
            raise _refuse(text, "wildcards are not allowed (a hosts file blocks exact names only)")
        import idna  # noqa: PLC0415 - loaded for international names only

        try:
            mapped = idna.uts46_remap(text, std3_rules=True, transitional=False)
        except (idna.IDNAError, UnicodeError) as error:
            raise _refuse(text, f"not a valid international name ({error})") from error
        # The mapping can turn exotic characters into ASCII ones; check those again.
        _check_characters(mapped)
        if "*" in mapped:
            raise _refuse(text, "wildcards are not allowed (a hosts file blocks exact names only)")
        if _looks_like_ip(mapped):
            raise _refuse(text, "IP addresses are not allowed, only names")

    if mapped.endswith("."):
        mapped = mapped[:-1]
    if not mapped:
        raise _refuse(text, "empty")
    labels = mapped.split(".")
    ascii_labels: list[str] = []
    for label in labels:
        if not label:
            raise _refuse(text, "empty label (two dots in a row, or a leading dot)")
        ascii_label = _to_ascii_label(text, label)
        if len(ascii_label) > MAX_LABEL_LENGTH:
            raise _refuse(text, f"label {ascii_label[:20]!r}… is longer than 63 characters")
        if not _LDH_LABEL.match(ascii_label):
            if ascii_label.startswith("-") or ascii_label.endswith("-"):
                raise _refuse(text, f"label {ascii_label!r} starts or ends with a hyphen")
            raise _refuse(text, f"label {ascii_label!r} has characters other than a-z, 0-9, -")
        ascii_labels.append(ascii_label)

    name = ".".join(ascii_labels)
    if len(name) > MAX_NAME_LENGTH:
        raise _refuse(text, f"longer than {MAX_NAME_LENGTH} characters")
    if name == "localhost" or name.endswith(".localhost"):
        raise _refuse(text, "localhost names are this computer itself")
    if len(ascii_labels) < 2:
        raise _refuse(text, "a single-label name is not a site (it needs a dot, like example.com)")
    if ascii_labels[-1][0].isdigit():
        # No top-level domain starts with a digit; such names are IP-like (127.1, 0x7f.1 …).
        raise _refuse(text, "looks like an IP address (the last label starts with a digit)")
    return name


def is_valid_domain(text: str) -> bool:
    """True when :func:`normalize_domain` accepts *text* and returns it unchanged."""
    try:
        return normalize_domain(text) == text
    except BadInput:
        return False


# --- registrable domain ------------------------------------------------------------------
#
# A small, built-in stand-in for the Public Suffix List: the multi-label suffixes that people
# meet most often. Names under a suffix not listed here are treated as "last two labels", which
# is right for .com/.net/.org/.de/.fr/… and for any country without second-level registries.

# Suffixes run by registries: typing one alone is refused (it is not a site).
ICANN_MULTI_LABEL_SUFFIXES: frozenset[str] = frozenset(
    [
        "co.uk", "org.uk", "me.uk", "ltd.uk", "plc.uk", "net.uk", "ac.uk", "gov.uk", "sch.uk",
        "nhs.uk", "police.uk", "com.au", "net.au", "org.au", "edu.au", "gov.au", "asn.au",
        "id.au", "co.nz", "net.nz", "org.nz", "ac.nz", "govt.nz", "geek.nz", "gen.nz", "kiwi.nz",
        "school.nz", "co.jp", "ne.jp", "or.jp", "ac.jp", "go.jp", "gr.jp", "ad.jp", "ed.jp",
        "lg.jp", "co.kr", "or.kr", "ne.kr", "re.kr", "go.kr", "ac.kr", "com.cn", "net.cn",
        "org.cn", "gov.cn", "edu.cn", "com.hk", "org.hk", "net.hk", "edu.hk", "gov.hk", "com.tw",
        "org.tw", "net.tw", "edu.tw", "gov.tw", "idv.tw", "com.sg", "org.sg", "net.sg", "edu.sg",
        "gov.sg", "com.my", "org.my", "net.my", "edu.my", "gov.my", "co.in", "net.in", "org.in",
        "firm.in", "gen.in", "ind.in", "ac.in", "edu.in", "gov.in", "co.za", "org.za", "net.za",
        "web.za", "gov.za", "ac.za", "com.br", "net.br", "org.br", "art.br", "blog.br", "edu.br",
        "gov.br", "com.ar", "org.ar", "net.ar", "gob.ar", "edu.ar", "com.mx", "org.mx", "net.mx",
        "gob.mx", "edu.mx", "com.co", "org.co", "net.co", "edu.co", "gov.co", "com.tr", "org.tr",
        "net.tr", "gen.tr", "web.tr", "edu.tr", "gov.tr", "co.il", "org.il", "net.il", "ac.il",
        "gov.il", "co.id", "or.id", "web.id", "my.id", "ac.id", "go.id", "net.id", "biz.id",
        "co.th", "in.th", "or.th", "ac.th", "go.th", "com.ph", "net.ph", "org.ph", "edu.ph",
        "gov.ph", "com.vn", "net.vn", "org.vn", "edu.vn", "gov.vn", "com.pk", "net.pk", "org.pk",
        "edu.pk", "gov.pk", "com.ng", "org.ng", "net.ng", "edu.ng", "gov.ng", "co.ke", "or.ke",
        "ne.ke", "ac.ke", "go.ke", "com.eg", "org.eg", "net.eg", "edu.eg", "gov.eg", "com.sa",
        "net.sa", "org.sa", "edu.sa", "gov.sa", "co.ae", "net.ae", "org.ae", "ac.ae", "gov.ae",
        "com.ua", "net.ua", "org.ua", "in.ua", "com.ru", "net.ru", "org.ru", "com.pl", "net.pl",
        "org.pl", "com.es", "org.es", "nom.es", "com.pe", "org.pe", "net.pe", "gob.pe", "com.ve",
        "com.ec", "com.uy", "com.gr", "com.cy", "com.mt", "com.np", "com.bd", "com.lk", "com.qa",
        "com.kw", "com.gh", "com.jm", "com.do", "co.ma", "co.tz", "co.ug", "co.zw",
    ]
)

# Hosting platforms where every subdomain belongs to someone else (their-name.tumblr.com):
# blocking one person's page must not block the whole platform. Typing the platform's own
# name (tumblr.com) is allowed and means the platform's own site.
HOSTED_SITE_SUFFIXES: frozenset[str] = frozenset(
    [
        "blogspot.com", "blogspot.co.uk", "blogspot.de", "blogspot.fr", "blogspot.com.au",
        "blogspot.com.br", "wordpress.com", "tumblr.com", "substack.com", "livejournal.com",
        "bandcamp.com", "itch.io", "github.io", "gitlab.io", "netlify.app", "vercel.app",
        "pages.dev", "herokuapp.com", "appspot.com", "web.app", "firebaseapp.com", "carrd.co",
        "neocities.org", "wixsite.com", "weebly.com", "webflow.io", "glitch.me", "onrender.com",
        "fly.dev", "mystrikingly.com", "jimdosite.com", "square.site", "godaddysites.com",
    ]
)

_ALL_SUFFIXES = ICANN_MULTI_LABEL_SUFFIXES | HOSTED_SITE_SUFFIXES


def public_suffix(name: str) -> str:
    """The longest known suffix of a normalized *name* (``co.uk``, ``github.io`` or the TLD)."""
    labels = name.split(".")
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in _ALL_SUFFIXES:
            return candidate
    return labels[-1]


def registrable_domain(name: str) -> str | None:
    """The registrable domain of a normalized *name*: its public suffix plus one label.

    ``www.their-blog.co.uk`` → ``their-blog.co.uk``; ``name.github.io`` → ``name.github.io``;
    ``tumblr.com`` → ``tumblr.com`` (a hosting platform's own site). ``None`` when *name* is
    itself a registry suffix such as ``co.uk``, which is never one site.
    """
    suffix = public_suffix(name)
    if name == suffix:
        return name if suffix in HOSTED_SITE_SUFFIXES else None
    head = name[: -len(suffix) - 1]
    return f"{head.rsplit('.', 1)[-1]}.{suffix}"
