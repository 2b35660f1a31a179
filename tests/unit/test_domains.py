"""Domain rules (DESIGN §4): what may go into the hosts file, and registrable domains."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nocontact_desktop.core.blocking.domains import (
    is_valid_domain,
    normalize_domain,
    public_suffix,
    registrable_domain,
)
from nocontact_desktop.core.errors import BadInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example.com", "example.com"),
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("WWW.Their-Blog.co.uk", "www.their-blog.co.uk"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.EXAMPLE", "xn--bcher-kva.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("XN--BCHER-KVA.example", "xn--bcher-kva.example"),
        # UTS #46, non-transitional: ß stays ß (IDNA 2008), it is not mapped to "ss".
        ("straße.de", "xn--strae-oqa.de"),
        # Full-width letters and the ideographic full stop are mapped as browsers do.
        ("Ｅｘａｍｐｌｅ．ｃｏｍ", "example.com"),
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        # Real host names that break IDNA 2008's "--" rule for U-labels are still host names.
        ("r3---sn-4g5e6nsz.googlevideo.com", "r3---sn-4g5e6nsz.googlevideo.com"),
        ("a" * 63 + ".com", "a" * 63 + ".com"),
        ("1password.com", "1password.com"),
        ("x.y.z.example.museum", "x.y.z.example.museum"),
    ],
)
def test_accepted_names_come_out_canonical(text: str, expected: str) -> None:
    assert normalize_domain(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (".", "empty"),
        ("*.example.com", "wildcard"),
        ("ex*ample.com", "wildcard"),
        ("１２７．０．０．１", "IP address"),
        ("127.0.0.1", "IP address"),
        ("127.0.0.1.", "IP address"),
        ("::1", "IP address"),
        ("[::1]", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("fe80::1%eth0", "IP address"),
        ("127.1", "IP address"),
        ("0x7f.1", "IP address"),
        ("example.123", "IP address"),
        ("example", "single-label"),
        ("com", "single-label"),
        ("localhost", "localhost"),
        ("LocalHost.", "localhost"),
        ("evil.localhost", "localhost"),
        ("a..b.com", "empty label"),
        (".example.com", "empty label"),
        ("example.com..", "empty label"),
        ("-bad.com", "hyphen"),
        ("bad-.com", "hyphen"),
        ("under_score.com", "'_'"),
        ("a b.com", "whitespace"),
        (" example.com", "whitespace"),
        ("example.com\n", "whitespace"),
        ("example.com\n127.0.0.1 evil.com", "whitespace"),
        ("exa\tmple.com", "whitespace"),
        ("ex\x00ample.com", "control"),
        ("ex\x7fample.com", "control"),
        ("ab\u200b.com", "invisible"),
        ("exa\u00admple.com", "invisible"),
        ("\u202eexample.com", "invisible"),
        ("example.com/path", "'/'"),
        ("example.com:80", "':'"),
        ("http://example.com", "':'"),
        ("#example.com", "'#'"),
        ("a" * 64 + ".com", "longer than 63"),
        (".".join(["a" * 63] * 4), "longer than 253"),
        ("xn--zz.example", "punycode"),
        ("x" * 2000, "too long"),
    ],
)
def test_refused_names_say_what_and_why(text: str, reason: str) -> None:
    with pytest.raises(BadInput) as caught:
        normalize_domain(text)
    message = str(caught.value)
    assert reason in message
    # The input is named with repr(), so a newline in it is visible as \n.
    if len(text) < 100:
        assert repr(text) in message
    assert "\n" not in message


def test_253_characters_is_the_limit() -> None:
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(name) == 253
    assert normalize_domain(name) == name
    with pytest.raises(BadInput, match="longer than 253"):
        normalize_domain("e." + name)


def test_zero_width_joiners_are_part_of_some_spellings() -> None:
    # Persian uses ZWNJ inside words; IDNA 2008 allows it in that context.
    assert normalize_domain("نامه\u200cای.com").startswith("xn--")


def test_is_valid_domain_means_already_canonical() -> None:
    assert is_valid_domain("example.com")
    assert not is_valid_domain("Example.com")
    assert not is_valid_domain("example..com")


@pytest.mark.parametrize(
    ("name", "registrable"),
    [
        ("example.com", "example.com"),
        ("www.example.com", "example.com"),
        ("a.b.c.example.com", "example.com"),
        ("www.their-blog.co.uk", "their-blog.co.uk"),
        ("their-blog.co.uk", "their-blog.co.uk"),
        ("shop.example.com.au", "example.com.au"),
        ("their-name.github.io", "their-name.github.io"),
        ("www.their-name.github.io", "their-name.github.io"),
        ("their-name.tumblr.com", "their-name.tumblr.com"),
        ("tumblr.com", "tumblr.com"),
        ("www.tumblr.com", "www.tumblr.com"),
        ("instagram.com", "instagram.com"),
        ("co.uk", None),
        ("com.au", None),
    ],
)
def test_registrable_domain(name: str, registrable: str | None) -> None:
    assert registrable_domain(name) == registrable


def test_public_suffix_prefers_the_longest_known() -> None:
    assert public_suffix("x.blogspot.co.uk") == "blogspot.co.uk"
    assert public_suffix("x.co.uk") == "co.uk"
    assert public_suffix("x.de") == "de"


_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LABEL, min_size=1, max_size=4), st.sampled_from(["com", "de", "co.uk", "org"]))
def test_canonical_names_are_fixed_points(labels: list[str], tld: str) -> None:
    name = ".".join([*labels, tld])
    if name.endswith(".localhost"):
        return
    assert normalize_domain(name) == name
    assert normalize_domain(name.upper() + ".") == name


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_any_text_is_either_refused_or_safe_for_a_hosts_file(text: str) -> None:
    try:
        name = normalize_domain(text)
    except BadInput as error:
        assert repr(text) in str(error) or len(text) > 100
        return
    assert name.isascii()
    assert all(ch.isalnum() or ch in ".-" for ch in name)
    assert name == name.lower()
    assert len(name) <= 253
    assert "." in name
    assert normalize_domain(name) == name
