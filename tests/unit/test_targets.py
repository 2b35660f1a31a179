"""Targets (DESIGN §4): what the user types → canonical target, handle and names to block."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nocontact_desktop.core.blocking.domains import normalize_domain, registrable_domain
from nocontact_desktop.core.blocking.presets import DEFAULT_PRESETS_PATH, Presets, load_presets
from nocontact_desktop.core.blocking.targets import (
    Target,
    domains_for_platform,
    expand_targets,
    parse_target,
    targets_for_domain,
)
from nocontact_desktop.core.errors import BadInput

REQUIRED_PRESETS = [
    "instagram", "facebook", "x", "tiktok", "snapchat", "linkedin", "threads", "bluesky",
    "reddit", "youtube", "pinterest", "whatsapp", "telegram", "messenger", "discord",
]


@pytest.fixture(scope="module")
def presets() -> Presets:
    return load_presets()


def parse(text: str, presets: Presets) -> Target:
    return parse_target(text, presets)


# --- presets file -------------------------------------------------------------------------


def test_shipped_presets_cover_the_required_platforms(presets: Presets) -> None:
    for key in REQUIRED_PRESETS:
        preset = presets.require(key)
        assert preset.display_name
        assert preset.sources, key
        assert all(source.url.startswith("https://") for source in preset.sources)
        assert preset.domains == tuple(sorted(preset.domains))
        for site in preset.sites:
            assert site in preset.domains


def test_every_preset_name_is_canonical_and_under_its_sites(presets: Presets) -> None:
    owners: dict[str, str] = {}
    for preset in presets:
        for name in preset.domains:
            assert normalize_domain(name) == name
            assert registrable_domain(name) in preset.sites
            assert name not in owners, f"{name} in {owners.get(name)} and {preset.key}"
            owners[name] = preset.key


@pytest.mark.parametrize(
    ("key", "must_block"),
    [
        ("instagram", ["instagram.com", "www.instagram.com", "m.instagram.com", "l.instagram.com",
                       "i.instagram.com", "help.instagram.com", "about.instagram.com"]),
        ("x", ["x.com", "www.x.com", "mobile.x.com", "twitter.com", "www.twitter.com",
               "mobile.twitter.com", "t.co", "abs.twimg.com", "pbs.twimg.com"]),
        ("facebook", ["facebook.com", "www.facebook.com", "m.facebook.com", "mbasic.facebook.com",
                      "fb.com", "fb.me", "fb.watch"]),
        ("tiktok", ["tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com"]),
        ("whatsapp", ["web.whatsapp.com", "wa.me"]),
        ("telegram", ["web.telegram.org", "t.me", "telegram.me"]),
        ("messenger", ["messenger.com", "www.messenger.com", "m.me"]),
        ("threads", ["threads.net", "www.threads.net", "threads.com"]),
        ("bluesky", ["bsky.app"]),
        ("reddit", ["reddit.com", "www.reddit.com", "old.reddit.com", "redd.it"]),
        ("youtube", ["youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be"]),
        ("linkedin", ["linkedin.com", "www.linkedin.com", "lnkd.in"]),
        ("snapchat", ["snapchat.com", "web.snapchat.com"]),
        ("pinterest", ["pinterest.com", "www.pinterest.com", "pin.it"]),
        ("discord", ["discord.com", "discord.gg", "gateway.discord.gg"]),
    ],
)
def test_presets_block_the_web_and_mobile_web_names(
    presets: Presets, key: str, must_block: list[str]
) -> None:
    assert set(must_block) <= set(domains_for_platform(key, presets))


def test_aliases_and_case_find_presets(presets: Presets) -> None:
    assert presets.require("Twitter").key == "x"
    assert presets.require("INSTA").key == "instagram"
    assert domains_for_platform("twitter", presets) == domains_for_platform("x", presets)
    with pytest.raises(BadInput, match="'myspace' is not a known platform"):
        domains_for_platform("myspace", presets)


def test_default_presets_are_the_shipped_file() -> None:
    assert domains_for_platform("instagram") == load_presets(DEFAULT_PRESETS_PATH).require(
        "instagram"
    ).domains


def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_PRESETS_PATH.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "presets.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _broken(change: str) -> dict[str, Any]:
    data = copy.deepcopy(_shipped())
    insta = data["presets"]["instagram"]
    if change == "invalid name":
        insta["domains"].append("bad_name.instagram.com")
    elif change == "not canonical":
        insta["domains"].append("WWW2.instagram.com")
    elif change == "wildcard":
        insta["domains"].append("*.instagram.com")
    elif change == "duplicate":
        insta["domains"].append("instagram.com")
    elif change == "shared with another preset":
        insta["sites"].append("fbcdn.net")
        insta["domains"].append("fbcdn.net")
    elif change == "not under its sites":
        insta["domains"].append("example.com")
    elif change == "site not blocked":
        insta["sites"].append("instagram.de")
    elif change == "unknown field":
        insta["domain"] = []
    elif change == "alias taken":
        insta["aliases"].append("twitter")
    elif change == "no sources":
        insta["sources"] = []
    elif change == "wrong schema":
        data["schema_version"] = 99
    return data


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("invalid name", "'_' is not allowed"),
        ("not canonical", "must be written as 'www2.instagram.com'"),
        ("wildcard", "wildcards"),
        ("duplicate", "listed twice"),
        ("shared with another preset", "belongs to both"),
        ("not under its sites", "not under one of its sites"),
        ("site not blocked", "must also be in domains"),
        ("unknown field", "unknown field"),
        ("alias taken", "'twitter' is used by"),
        ("no sources", "non-empty list"),
        ("wrong schema", "schema_version"),
    ],
)
def test_a_broken_presets_file_is_refused_at_load(tmp_path: Path, change: str, reason: str) -> None:
    path = _write(tmp_path, _broken(change))
    with pytest.raises(BadInput) as caught:
        load_presets(path)
    assert reason in str(caught.value)
    assert str(path) in str(caught.value)


def test_presets_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "presets.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(BadInput, match="JSON"):
        load_presets(path)


# --- parsing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "target", "platform", "handle"),
    [
        ("https://www.instagram.com/name/", "instagram.com/name", "instagram", "@name"),
        ("instagram.com/Some.Name?igsh=abc", "instagram.com/some.name", "instagram", "@some.name"),
        ("HTTPS://WWW.INSTAGRAM.COM./NAME", "instagram.com/name", "instagram", "@name"),
        ("https://m.instagram.com:443/name/#top", "instagram.com/name", "instagram", "@name"),
        ("instagram.com/stories/name/3141/", "instagram.com/name", "instagram", "@name"),
        ("instagr.am/name", "instagram.com/name", "instagram", "@name"),
        ("ig.me/m/name", "instagram.com/name", "instagram", "@name"),
        ("facebook.com/profile.php?id=100004567", "facebook.com/profile.php?id=100004567",
         "facebook", "id:100004567"),
        ("https://m.facebook.com/jane.doe?ref=bookmarks", "facebook.com/jane.doe", "facebook",
         "@jane.doe"),
        ("www.facebook.com/people/Jane-Doe/100004567/", "facebook.com/profile.php?id=100004567",
         "facebook", "id:100004567"),
        ("x.com/name", "x.com/name", "x", "@name"),
        ("https://twitter.com/Name/status/123", "x.com/name", "x", "@name"),
        ("mobile.twitter.com/name", "x.com/name", "x", "@name"),
        ("x.com/intent/user?screen_name=Name", "x.com/name", "x", "@name"),
        ("tiktok.com/@name", "tiktok.com/@name", "tiktok", "@name"),
        ("https://www.tiktok.com/@na.me/video/7", "tiktok.com/@na.me", "tiktok", "@na.me"),
        ("threads.net/@name", "threads.com/@name", "threads", "@name"),
        ("bsky.app/profile/name.bsky.social", "bsky.app/profile/name.bsky.social", "bluesky",
         "@name.bsky.social"),
        ("bsky.app/profile/did:plc:abc234", "bsky.app/profile/did:plc:abc234", "bluesky",
         "did:plc:abc234"),
        ("name.bsky.social", "name.bsky.social", "bluesky", "@name.bsky.social"),
        ("reddit.com/u/Name", "reddit.com/user/name", "reddit", "u/name"),
        ("old.reddit.com/user/name/comments", "reddit.com/user/name", "reddit", "u/name"),
        ("youtube.com/@Name", "youtube.com/@name", "youtube", "@name"),
        ("youtube.com/channel/UCabcdefghijklmnopqrstuv",
         "youtube.com/channel/UCabcdefghijklmnopqrstuv", "youtube", "id:UCabcdefghijklmnopqrstuv"),
        ("m.youtube.com/c/Name/videos", "youtube.com/c/name", "youtube", "@name"),
        ("youtube.com/@%E6%97%A5%E6%9C%AC", "youtube.com/@日本", "youtube", "@日本"),
        ("pinterest.com/name/", "pinterest.com/name", "pinterest", "@name"),
        ("https://www.pinterest.co.uk/name/board/", "pinterest.com/name", "pinterest", "@name"),
        ("linkedin.com/in/jane-doe-123/", "linkedin.com/in/jane-doe-123", "linkedin",
         "@jane-doe-123"),
        ("uk.linkedin.com/in/jane", "linkedin.com/in/jane", "linkedin", "@jane"),
        ("snapchat.com/add/name", "snapchat.com/add/name", "snapchat", "@name"),
        ("www.snapchat.com/@name", "snapchat.com/add/name", "snapchat", "@name"),
        ("t.me/name_1", "t.me/name_1", "telegram", "@name_1"),
        ("t.me/s/channel", "t.me/channel", "telegram", "@channel"),
        ("name.t.me", "name.t.me", "telegram", "@name"),
        ("wa.me/15551234567", "wa.me/15551234567", "whatsapp", "+15551234567"),
        ("api.whatsapp.com/send?phone=15551234567", "wa.me/15551234567", "whatsapp",
         "+15551234567"),
        ("m.me/name", "m.me/name", "messenger", "@name"),
        ("discord.com/users/80351110224678912", "discord.com/users/80351110224678912", "discord",
         "id:80351110224678912"),
        ("instagram.com\\name", "instagram.com/name", "instagram", "@name"),
    ],
)
def test_profile_addresses(
    presets: Presets, text: str, target: str, platform: str, handle: str
) -> None:
    parsed = parse(text, presets)
    assert parsed == Target(
        target=target,
        kind="profile",
        platform=platform,
        handle=handle,
        domains=parsed.domains,
    )
    # A profile blocks the whole platform (a hosts file cannot block one profile).
    assert set(presets.require(platform).domains) <= set(parsed.domains)


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("instagram", "instagram"),
        ("Instagram", "instagram"),
        ("  twitter  ", "x"),
        ("instagram.com", "instagram"),
        ("https://www.instagram.com/", "instagram"),
        ("instagram.com/explore/", "instagram"),
        ("instagram.com/p/Cabc123/", "instagram"),
        ("instagram.com/reel/Cabc123/", "instagram"),
        ("instagram.com/accounts/login/", "instagram"),
        ("x.com/home", "x"),
        ("x.com/i/lists/1", "x"),
        ("t.co/abc", "x"),
        ("facebook.com/groups/123", "facebook"),
        ("facebook.com/me", "facebook"),
        ("facebook.com/watch/?v=1", "facebook"),
        ("fb.watch/abc", "facebook"),
        ("tiktok.com/explore", "tiktok"),
        ("vm.tiktok.com/ZMabc/", "tiktok"),
        ("youtube.com/watch?v=abc", "youtube"),
        ("youtu.be/abc", "youtube"),
        ("reddit.com/r/aww", "reddit"),
        ("t.me/joinchat/abc", "telegram"),
        ("t.me/+abcdef", "telegram"),
        ("web.whatsapp.com", "whatsapp"),
        ("discord.gg/abc", "discord"),
        ("pinterest.com/pin/123/", "pinterest"),
        ("pin.it/abc", "pinterest"),
    ],
)
def test_platform_addresses_without_a_profile_are_the_preset(
    presets: Presets, text: str, platform: str
) -> None:
    parsed = parse(text, presets)
    preset = presets.require(platform)
    assert parsed == Target(platform, "preset", platform, None, preset.domains)


def test_an_unlisted_name_of_a_platform_is_blocked_too(presets: Presets) -> None:
    parsed = parse("https://de-at.facebook.com/jane", presets)
    assert parsed.target == "de-at.facebook.com/jane"
    assert parsed.handle == "@jane"
    assert "de-at.facebook.com" in parsed.domains
    assert set(presets.require("facebook").domains) < set(parsed.domains)

    bare = parse("scontent-fra5-1.cdninstagram.com", presets)
    assert (bare.kind, bare.platform, bare.target) == (
        "domain",
        "instagram",
        "scontent-fra5-1.cdninstagram.com",
    )
    assert "scontent-fra5-1.cdninstagram.com" in bare.domains


@pytest.mark.parametrize(
    ("text", "target", "domains"),
    [
        ("their-blog.com", "their-blog.com",
         ["m.their-blog.com", "their-blog.com", "www.their-blog.com"]),
        ("https://www.Their-Blog.com:8080/about?x=1#y", "their-blog.com",
         ["m.their-blog.com", "their-blog.com", "www.their-blog.com"]),
        ("m.their-blog.com", "their-blog.com",
         ["m.their-blog.com", "their-blog.com", "www.their-blog.com"]),
        ("www.www.their-blog.com", "their-blog.com",
         ["m.their-blog.com", "their-blog.com", "www.their-blog.com"]),
        ("blog.their-site.co.uk/post", "blog.their-site.co.uk",
         ["blog.their-site.co.uk", "m.their-site.co.uk", "their-site.co.uk",
          "www.blog.their-site.co.uk", "www.their-site.co.uk"]),
        ("their-name.github.io", "their-name.github.io",
         ["m.their-name.github.io", "their-name.github.io", "www.their-name.github.io"]),
        ("their-name.tumblr.com", "their-name.tumblr.com",
         ["m.their-name.tumblr.com", "their-name.tumblr.com", "www.their-name.tumblr.com"]),
        ("bücher.example", "xn--bcher-kva.example",
         ["m.xn--bcher-kva.example", "www.xn--bcher-kva.example", "xn--bcher-kva.example"]),
        ("http://their-blog.com.", "their-blog.com",
         ["m.their-blog.com", "their-blog.com", "www.their-blog.com"]),
    ],
)
def test_other_sites_block_their_registrable_domain(
    presets: Presets, text: str, target: str, domains: list[str]
) -> None:
    assert parse(text, presets) == Target(target, "domain", None, None, tuple(domains))


def test_a_slash_at_page_on_another_site_is_a_profile(presets: Presets) -> None:
    parsed = parse("https://mastodon.social/@Jane", presets)
    assert (parsed.target, parsed.kind, parsed.platform, parsed.handle) == (
        "mastodon.social/@jane",
        "profile",
        None,
        "@jane",
    )
    assert parsed.domains == ("m.mastodon.social", "mastodon.social", "www.mastodon.social")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("@name", "a handle alone"),
        ("myspace", "not a known platform"),
        ("their-blog", "not a known platform"),
        ("ftp://their-blog.com", "only web addresses"),
        ("mailto:jane@example.com", "only web addresses"),
        ("javascript:alert(1)", "only web addresses"),
        ("https://127.0.0.1/", "IP addresses"),
        ("http://[::1]:8080/", "IP addresses"),
        ("192.168.1.1", "IP addresses"),
        ("localhost:8080", "localhost"),
        ("https://*.example.com/", "wildcards"),
        ("co.uk", "a suffix shared by many sites"),
        ("instagram.com/na me", "whitespace"),
        ("instagram.com/name\n127.0.0.1 evil.com", "whitespace"),
        ("https://x.com:99999/", "not a readable web address"),
        ("https://exa_mple.com/", "'_' is not allowed"),
        ("https:///path-only", "no site name"),
        ("https://" + "a" * 3000 + ".com", "far too long"),
    ],
)
def test_refused_targets_say_what_and_why(presets: Presets, text: str, reason: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse(text, presets)
    message = str(caught.value)
    assert reason in message
    assert repr(text)[:50] in message or len(text) > 2048
    assert "\n" not in message


_EXAMPLES = [
    "instagram", "x", "their-blog.com", "https://www.instagram.com/name/",
    "facebook.com/profile.php?id=4", "de-at.facebook.com/jane", "name.t.me",
    "bsky.app/profile/did:plc:abc234", "youtube.com/@日本", "blog.their-site.co.uk",
    "mastodon.social/@jane", "wa.me/15551234567", "scontent-fra5-1.cdninstagram.com",
    "name.bsky.social", "their-name.github.io",
]


@pytest.mark.parametrize("text", _EXAMPLES)
def test_canonical_form_parses_to_the_same_target(presets: Presets, text: str) -> None:
    first = parse(text, presets)
    assert parse(first.target, presets) == first


_PATH_PART = st.text(alphabet="abcXYZ019._-@", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(
        ["instagram.com", "www.x.com", "twitter.com", "tiktok.com", "facebook.com",
         "reddit.com", "youtube.com", "t.me", "their-blog.com", "sub.their-site.co.uk",
         "threads.net", "bsky.app", "linkedin.com", "pinterest.de"]
    ),
    st.lists(_PATH_PART, max_size=3),
)
def test_canonical_form_is_stable_for_any_path(host: str, segments: list[str]) -> None:
    presets = _module_presets()
    text = "https://" + host + "/" + "/".join(segments)
    try:
        first = parse_target(text, presets)
    except BadInput:
        return
    assert parse_target(first.target, presets) == first
    assert first.domains == tuple(sorted(set(first.domains)))
    assert all(normalize_domain(name) == name for name in first.domains)


_PRESETS_CACHE: list[Presets] = []


def _module_presets() -> Presets:
    if not _PRESETS_CACHE:
        _PRESETS_CACHE.append(load_presets())
    return _PRESETS_CACHE[0]


def test_expand_targets_is_the_sorted_union(presets: Presets) -> None:
    targets = [parse("their-blog.com", presets), parse("threads", presets),
               parse("threads.net/@name", presets)]
    names = expand_targets(targets)
    assert names == sorted(set(names))
    assert set(names) == {
        "their-blog.com", "www.their-blog.com", "m.their-blog.com",
        "threads.net", "www.threads.net", "threads.com", "www.threads.com",
    }
    assert expand_targets([]) == []


def test_targets_for_domain_finds_what_a_hit_belongs_to(presets: Presets) -> None:
    profile = parse("instagram.com/name", presets)
    blog = parse("their-blog.com", presets)
    assert targets_for_domain("WWW.Instagram.com", [profile, blog]) == [profile]
    assert targets_for_domain("m.their-blog.com", [profile, blog]) == [blog]
    assert targets_for_domain("example.org", [profile, blog]) == []
    assert targets_for_domain("not a name", [profile, blog]) == []
