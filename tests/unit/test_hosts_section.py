"""The managed hosts-file section (DESIGN §4): exact bytes, exact removal, repair."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nocontact_desktop.core.blocking.hosts_section import (
    BEGIN_MARKER,
    END_MARKER,
    LEGACY_BEGIN_MARKER,
    LEGACY_END_MARKER,
    apply_section,
    apply_to_file,
    looks_wide,
    read_section_names,
    remove_section,
    render_section,
    section_state,
    with_both_families,
)
from nocontact_desktop.core.errors import BadInput

BEGIN = BEGIN_MARKER.encode()
END = END_MARKER.encode()
BOM = b"\xef\xbb\xbf"


def section(names: list[str], nl: bytes = b"\n", final: bool = True) -> bytes:
    lines = [BEGIN]
    for name in sorted(set(names)):
        for spelling in (name, name + "."):
            lines += [f"127.0.0.1 {spelling}".encode(), f"::1 {spelling}".encode()]
    lines.append(END)
    return nl.join(lines) + (nl if final else b"")


_BEGINS = (b"# >>> local name overrides", b"# >>> No Contact")
_ENDS = (b"# <<< local name overrides", b"# <<< No Contact")


def count_markers(data: bytes) -> tuple[int, int]:
    lines = [line.strip() for line in data.removeprefix(BOM).split(b"\n")]
    return (
        sum(line.startswith(_BEGINS) for line in lines),
        sum(line.startswith(_ENDS) for line in lines),
    )


# --- rendering ----------------------------------------------------------------------------


def test_render_is_sorted_deduplicated_one_name_per_line() -> None:
    rendered = render_section(["www.b.com", "A.com", "a.com", "b.com."])
    assert rendered == (
        BEGIN + b"\n"
        b"127.0.0.1 a.com\n::1 a.com\n127.0.0.1 a.com.\n::1 a.com.\n"
        b"127.0.0.1 b.com\n::1 b.com\n127.0.0.1 b.com.\n::1 b.com.\n"
        b"127.0.0.1 www.b.com\n::1 www.b.com\n127.0.0.1 www.b.com.\n::1 www.b.com.\n"
        + END + b"\n"
    )
    assert render_section(["a.com"], ("127.0.0.2",), b"\r\n") == (
        BEGIN + b"\r\n127.0.0.2 a.com\r\n127.0.0.2 a.com.\r\n" + END + b"\r\n"
    )


def test_every_name_is_written_with_and_without_its_trailing_dot() -> None:
    """'www.a.com.' is another name to resolvers: without its own line it goes to DNS."""
    rendered = render_section(["www.a.com"])
    lines = rendered.splitlines()
    assert b"127.0.0.1 www.a.com." in lines and b"::1 www.a.com." in lines
    assert read_section_names(rendered) == frozenset({"www.a.com"})
    assert section_state(rendered) == "ok"
    assert apply_section(rendered, ["www.a.com"]) == rendered


def test_both_families_are_always_written() -> None:
    """Started with --listen-address 127.0.0.1, the section still has ::1 lines (issue 15)."""
    assert with_both_families(["127.0.0.1"]) == ("127.0.0.1", "::1")
    assert with_both_families(["::1"]) == ("::1", "127.0.0.1")
    assert with_both_families(["127.0.0.2", "::1"]) == ("127.0.0.2", "::1")
    rendered = render_section(["a.com"], with_both_families(["127.0.0.1"]))
    assert b"::1 a.com\n" in rendered and b"::1 a.com.\n" in rendered


def test_render_of_no_names_is_nothing() -> None:
    assert render_section([]) == b""


def test_render_canonicalises_addresses_and_drops_repeats() -> None:
    rendered = render_section(["a.com"], ("0:0:0:0:0:0:0:1", "::1", "127.0.0.1"))
    assert rendered == (
        BEGIN + b"\n::1 a.com\n127.0.0.1 a.com\n::1 a.com.\n127.0.0.1 a.com.\n" + END + b"\n"
    )


@pytest.mark.parametrize(
    "bad_name",
    ["a.com\n1.2.3.4 bank.com", "a.com 1.2.3.4", "*.a.com", "localhost", "10.0.0.1", "a", ""],
)
def test_render_refuses_names_that_could_break_or_abuse_the_file(bad_name: str) -> None:
    with pytest.raises(BadInput) as caught:
        render_section(["ok.com", bad_name])
    assert repr(bad_name) in str(caught.value)


@pytest.mark.parametrize(
    ("addresses", "reason"),
    [
        (("10.0.0.1",), "not loopback"),
        (("0.0.0.0",), "not loopback"),
        (("::ffff:127.0.0.1",), "not loopback"),
        (("::1%lo",), "zone id"),
        (("localhost",), "not an IP"),
        (("127.0.0.1 evil.com",), "not an IP"),
        ((), "at least one"),
        ("127.0.0.1", "sequence"),
    ],
)
def test_addresses_must_be_loopback_literals(addresses: tuple[str, ...], reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        render_section(["a.com"], addresses)
    with pytest.raises(BadInput, match=reason):
        apply_section(b"", ["a.com"], addresses)


def test_a_single_string_is_not_a_name_list() -> None:
    with pytest.raises(BadInput, match="collection of names"):
        apply_section(b"", "a.com")


def test_bad_newline_is_refused() -> None:
    with pytest.raises(BadInput, match="line ending"):
        render_section(["a.com"], newline=b"\r")


# --- applying and removing: exact bytes ---------------------------------------------------


def test_appends_after_a_file_that_ends_with_a_newline() -> None:
    original = b"127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n"
    applied = apply_section(original, ["b.com", "a.com"])
    assert applied == original + section(["a.com", "b.com"])
    assert remove_section(applied) == original


def test_file_without_final_newline_gets_one_before_and_none_after() -> None:
    original = b"127.0.0.1 localhost"
    applied = apply_section(original, ["a.com"])
    assert applied == original + b"\n" + section(["a.com"], final=False)
    assert remove_section(applied) == original
    assert apply_section(applied, ["a.com"]) == applied


def test_empty_file() -> None:
    assert apply_section(b"", ["a.com"]) == section(["a.com"])
    assert remove_section(section(["a.com"])) == b""


def test_crlf_file_gets_crlf_lines() -> None:
    original = b"127.0.0.1 localhost\r\n# comment\r\n"
    applied = apply_section(original, ["a.com"])
    assert applied == original + section(["a.com"], b"\r\n")
    assert remove_section(applied) == original


def test_crlf_file_without_final_newline() -> None:
    original = b"127.0.0.1 localhost\r\n# last"
    applied = apply_section(original, ["a.com"])
    assert applied == original + b"\r\n" + section(["a.com"], b"\r\n", final=False)
    assert remove_section(applied) == original


def test_dominant_line_ending_wins_and_a_tie_uses_the_default() -> None:
    mostly_crlf = b"a\r\nb\r\nc\n"
    assert apply_section(mostly_crlf, ["a.com"]).endswith(section(["a.com"], b"\r\n"))
    tie = b"a\r\nb\n"
    assert apply_section(tie, ["a.com"]).endswith(section(["a.com"], b"\n"))
    assert apply_section(tie, ["a.com"], default_newline=b"\r\n").endswith(
        section(["a.com"], b"\r\n")
    )
    assert apply_section(b"", ["a.com"], default_newline=b"\r\n") == section(["a.com"], b"\r\n")


def test_a_lone_carriage_return_at_the_end_is_kept() -> None:
    original = b"127.0.0.1 localhost\r"
    applied = apply_section(original, ["a.com"])
    assert remove_section(applied) == original


def test_utf8_bom_latin1_and_tabs_are_kept_byte_for_byte() -> None:
    original = BOM + b"127.0.0.1\tlocalhost\n# caf\xe9 \xff\xfe\n\t10.0.0.2   nas.lan  # box\n"
    applied = apply_section(original, ["a.com"])
    assert applied.startswith(original)
    assert remove_section(applied) == original


def test_bom_only_file() -> None:
    applied = apply_section(BOM, ["a.com"])
    assert applied == BOM + section(["a.com"])
    assert remove_section(applied) == BOM


@pytest.mark.parametrize(
    "bom", [b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"]
)
def test_utf16_and_utf32_files_are_refused(bom: bytes) -> None:
    original = bom + "127.0.0.1 localhost\n".encode("utf-16-le")
    with pytest.raises(BadInput, match="UTF-16 or UTF-32"):
        apply_section(original, ["a.com"])
    assert remove_section(original) == original
    assert section_state(original) == "absent"


@pytest.mark.parametrize(
    "encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]
)
def test_utf16_and_utf32_files_without_a_byte_order_mark_are_refused_too(
    tmp_path: Path, encoding: str
) -> None:
    # Issue 13, finding 9: without the mark, ASCII used to be appended to UTF-16 text.
    original = "127.0.0.1 localhost\n::1 localhost\n# comment\n".encode(encoding)
    assert not original.startswith((b"\xff\xfe", b"\xfe\xff"))
    with pytest.raises(BadInput, match="UTF-16 or UTF-32"):
        apply_section(original, ["a.com"])
    hosts = tmp_path / "hosts"
    hosts.write_bytes(original)
    with pytest.raises(BadInput, match="nothing was changed"):
        apply_to_file(hosts, ["a.com"])
    assert hosts.read_bytes() == original


def test_a_stray_nul_byte_in_a_utf8_file_is_not_taken_for_utf16() -> None:
    original = b"127.0.0.1 localhost\n# odd \x00 byte in a comment\n"
    assert not looks_wide(original)
    assert read_section_names(apply_section(original, ["a.com"])) == {"a.com"}


def test_replacing_keeps_the_section_where_it_is() -> None:
    before = b"127.0.0.1 localhost\n"
    after = b"# user line added later\n10.0.0.2 nas.lan\n"
    data = before + section(["a.com"]) + after
    assert apply_section(data, ["b.com", "c.com"]) == before + section(["b.com", "c.com"]) + after
    assert remove_section(data) == before + after


def test_empty_name_list_removes_the_section() -> None:
    original = b"127.0.0.1 localhost"
    applied = apply_section(original, ["a.com"])
    assert apply_section(applied, []) == original
    assert apply_section(original, []) == original


def test_state_and_names() -> None:
    original = b"127.0.0.1 localhost\n"
    assert section_state(original) == "absent"
    assert read_section_names(original) is None
    applied = apply_section(original, ["a.com", "b.com"])
    assert section_state(applied) == "ok"
    assert read_section_names(applied) == frozenset({"a.com", "b.com"})
    empty_section = original + BEGIN + b"\n" + END + b"\n"
    assert section_state(empty_section) == "ok"
    assert read_section_names(empty_section) == frozenset()


def test_user_loopback_lines_outside_the_section_are_never_ours() -> None:
    original = b"127.0.0.1 myapp.test\n::1 myapp.test\n"
    applied = apply_section(original, ["a.com"])
    assert read_section_names(applied) == frozenset({"a.com"})
    assert remove_section(applied) == original


# --- repair -------------------------------------------------------------------------------


def test_lost_end_marker_takes_only_our_entry_lines() -> None:
    damaged = (
        b"127.0.0.1 localhost\n" + BEGIN + b"\n127.0.0.1 x.com\n::1 x.com\n"
        b"# a user comment\n10.0.0.2 nas.lan\n127.0.0.1 y.com\n"
    )
    assert section_state(damaged) == "damaged"
    assert read_section_names(damaged) == frozenset({"x.com", "y.com"})
    assert apply_section(damaged, ["z.com"]) == (
        b"127.0.0.1 localhost\n" + section(["z.com"]) + b"# a user comment\n10.0.0.2 nas.lan\n"
    )
    assert remove_section(damaged) == b"127.0.0.1 localhost\n# a user comment\n10.0.0.2 nas.lan\n"


def test_lost_end_marker_at_the_very_end() -> None:
    # The last line is ours and has no line ending: as when we write a section after a file
    # without a final newline, the line ending before our first line counts as ours too.
    damaged = b"127.0.0.1 localhost\n" + BEGIN + b"\n127.0.0.1 x.com"
    assert remove_section(damaged) == b"127.0.0.1 localhost"
    assert apply_section(damaged, ["x.com"]) == (
        b"127.0.0.1 localhost\n" + section(["x.com"], final=False)
    )


def test_duplicated_begin_marker() -> None:
    damaged = b"a\n" + BEGIN + b"\n" + BEGIN + b"\n127.0.0.1 x.com\n::1 x.com\n" + END + b"\nb\n"
    assert section_state(damaged) == "damaged"
    assert apply_section(damaged, ["x.com"]) == b"a\n" + section(["x.com"]) + b"b\n"


def test_end_marker_before_begin_marker() -> None:
    damaged = b"a\n" + END + b"\nb\n" + BEGIN + b"\n127.0.0.1 x.com\n" + END + b"\nc\n"
    assert section_state(damaged) == "damaged"
    assert apply_section(damaged, ["x.com"]) == b"a\n" + section(["x.com"]) + b"b\nc\n"


def test_nested_sections() -> None:
    damaged = (
        b"a\n" + BEGIN + b"\n127.0.0.1 x.com\n" + BEGIN + b"\n127.0.0.1 y.com\n" + END
        + b"\n127.0.0.1 z.com\n" + END + b"\nb\n"
    )
    assert read_section_names(damaged) == frozenset({"x.com", "y.com", "z.com"})
    assert apply_section(damaged, ["x.com"]) == b"a\n" + section(["x.com"]) + b"b\n"


def test_lost_begin_marker() -> None:
    damaged = b"a\n127.0.0.1 x.com\n::1 x.com\n" + END + b"\nb\n"
    assert section_state(damaged) == "damaged"
    assert apply_section(damaged, ["x.com"]) == b"a\n" + section(["x.com"]) + b"b\n"


def test_two_whole_sections_become_one() -> None:
    damaged = section(["x.com"]) + b"middle\n" + section(["y.com"])
    repaired = apply_section(damaged, ["x.com", "y.com"])
    assert repaired == section(["x.com", "y.com"]) + b"middle\n"


def test_edited_section_is_damaged_and_rewritten() -> None:
    data = b"a\n" + BEGIN + b"\n127.0.0.1 x.com\n# someone wrote here\n" + END + b"\n"
    assert section_state(data) == "damaged"
    assert apply_section(data, ["x.com"]) == b"a\n" + section(["x.com"])


def test_markers_are_recognised_with_crlf_and_surrounding_spaces() -> None:
    data = b"a\r\n  " + BEGIN + b"  \r\n127.0.0.1 x.com\r\n\t" + END + b"\r\n"
    assert section_state(data) == "ok"
    assert apply_section(data, ["x.com"]) == b"a\r\n" + section(["x.com"], b"\r\n")


# --- neutral markers (issue 14) ------------------------------------------------------------


def legacy_section(names: list[str]) -> bytes:
    old = section(names)
    return old.replace(BEGIN, LEGACY_BEGIN_MARKER.encode()).replace(END, LEGACY_END_MARKER.encode())


def test_the_markers_name_no_app_and_no_purpose() -> None:
    from nocontact_desktop.core.privacy.discretion import revealing

    rendered = render_section(["jordanreyes.me"]).decode("ascii")
    markers = [line for line in rendered.splitlines() if line.startswith("#")]
    assert markers == [BEGIN_MARKER, END_MARKER]
    assert revealing(BEGIN_MARKER + "\n" + END_MARKER) == []


def test_a_section_with_the_old_markers_is_recognised_and_rewritten_neutrally() -> None:
    original = b"127.0.0.1 localhost\n"
    old = original + legacy_section(["x.com", "y.com"])
    assert section_state(old) == "ok"
    assert read_section_names(old) == {"x.com", "y.com"}
    assert apply_section(old, ["x.com", "y.com"]) == original + section(["x.com", "y.com"])
    assert remove_section(old) == original


def test_an_old_begin_with_a_new_end_is_repaired_into_one_neutral_section() -> None:
    mixed = (
        b"a\n" + LEGACY_BEGIN_MARKER.encode() + b"\n127.0.0.1 x.com\n::1 x.com\n" + END + b"\n"
        + b"b\n" + LEGACY_END_MARKER.encode() + b"\n"
    )
    repaired = apply_section(mixed, ["x.com"])
    assert count_markers(repaired) == (1, 1)
    assert LEGACY_BEGIN_MARKER.encode() not in repaired
    assert LEGACY_END_MARKER.encode() not in repaired
    assert b"b\n" in repaired


# --- properties ---------------------------------------------------------------------------

_TYPICAL_LINES = [
    b"127.0.0.1\tlocalhost",
    b"::1     localhost ip6-localhost ip6-loopback",
    b"127.0.1.1 myhost.example.org myhost",
    b"# The following lines are desirable for IPv6 capable hosts",
    b"ff02::1 ip6-allnodes",
    b"",
    b"   ",
    b"\t# indented comment",
    b"# caf\xe9 na\xefve \xa0",
    b"10.0.0.2 nas.lan # the box",
    b"127.0.0.1 myapp.test",
    b"::1 myapp.test",
    b"0.0.0.0 ads.example.com",
    b"\r",
    b"# No Contact is not a marker without the arrows",
]

_line = st.one_of(
    st.sampled_from(_TYPICAL_LINES),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b),
).filter(lambda b: not b.strip().startswith(_BEGINS + _ENDS))


@st.composite
def hosts_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(_line, max_size=12))
    newline = st.sampled_from([b"\n", b"\r\n"])
    endings = draw(st.lists(newline, min_size=len(lines), max_size=len(lines)))
    data = b"".join(line + ending for line, ending in zip(lines, endings, strict=True))
    if lines and draw(st.booleans()):
        data = data[: -len(endings[-1])]  # no final newline
    if draw(st.booleans()):
        data = BOM + data
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        data = b"#" + data
    if looks_wide(data):  # UTF-16 without a mark is refused, tested above
        data = data.replace(b"\x00", b"0")
    return data


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_name = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "co.uk", "de"]),
).filter(lambda name: not name.endswith("localhost"))
_names = st.lists(_name, max_size=15)

_PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_PROPERTY_SETTINGS
@given(hosts_files(), _names)
def test_apply_then_remove_gives_back_the_original(original: bytes, names: list[str]) -> None:
    assert remove_section(apply_section(original, names)) == original


@_PROPERTY_SETTINGS
@given(hosts_files(), _names, _names)
def test_apply_is_idempotent_and_replaces(
    original: bytes, first: list[str], second: list[str]
) -> None:
    once = apply_section(original, first)
    assert apply_section(once, first) == once
    assert apply_section(once, second) == apply_section(original, second)


@_PROPERTY_SETTINGS
@given(hosts_files(), _names.filter(bool))
def test_bytes_outside_the_section_are_untouched(original: bytes, names: list[str]) -> None:
    applied = apply_section(original, names)
    assert applied.startswith(original)
    added = applied[len(original) :]
    assert added.lstrip(b"\r\n").startswith(BEGIN)
    assert added.rstrip(b"\r\n").endswith(END)
    assert section_state(applied) == "ok"
    assert read_section_names(applied) == frozenset(names)
    assert count_markers(applied) == (1, 1)


_DAMAGE = st.sampled_from(
    [
        BEGIN,
        END,
        b"  " + BEGIN + b" ",
        END + b"\r",
        b"127.0.0.1 ours.com",
        b"::1 ours.com",
        b"127.0.0.1 other.org",
    ]
)


@st.composite
def damaged_files(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    user_lines = draw(st.lists(_line.filter(lambda b: b"\r" not in b), max_size=10))
    lines = list(user_lines)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        lines.insert(draw(st.integers(min_value=0, max_value=len(lines))), draw(_DAMAGE))
    if lines[0].startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        lines.insert(0, b"# not a UTF-16 file")  # those are refused, tested above
    data = b"".join(line + b"\n" for line in lines)
    if draw(st.booleans()):
        data = data[:-1]
    return data, lines


@_PROPERTY_SETTINGS
@given(damaged_files(), _names.filter(bool))
def test_damaged_sections_are_repaired_never_multiplied(
    damaged: tuple[bytes, list[bytes]], names: list[str]
) -> None:
    data, lines = damaged
    repaired = apply_section(data, names)
    assert count_markers(repaired) == (1, 1)
    assert section_state(repaired) == "ok"
    assert read_section_names(repaired) == frozenset(names)
    assert apply_section(repaired, names) == repaired
    cleaned = remove_section(repaired)
    assert count_markers(cleaned) == (0, 0)
    assert remove_section(cleaned) == cleaned

    # User lines before the first marker and after the last one survive, in order (entry-like
    # lines next to a marker can be taken as ours by the documented rule, so they are left out).
    marker_at = [i for i, line in enumerate(lines) if line.strip().startswith((b"# >>>", b"# <<<"))]
    if marker_at:
        outer = lines[: marker_at[0]] + lines[marker_at[-1] + 1 :]
        kept = [line for line in outer if line not in (b"127.0.0.1 ours.com", b"::1 ours.com",
                b"127.0.0.1 other.org", b"127.0.0.1 myapp.test", b"::1 myapp.test")]
        remaining = iter(cleaned.split(b"\n"))
        for line in kept:
            assert any(candidate == line for candidate in remaining), line


@_PROPERTY_SETTINGS
@given(st.one_of(damaged_files().map(lambda pair: pair[0]), hosts_files()), _names)
def test_the_fast_path_agrees_with_the_line_by_line_scan(data: bytes, names: list[str]) -> None:
    from nocontact_desktop.core.blocking import hosts_section

    for candidate in (data, apply_section(data, names)):
        _, body = hosts_section._split_bom(candidate)
        fast = hosts_section._cut_section(body)
        if fast is not None:
            assert fast == hosts_section._without_section(hosts_section._scan(candidate))


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
@pytest.mark.parametrize("layout", ["no section", "section on top", "section at the end", "no eol"])
def test_a_big_file_takes_the_one_copy_path_with_the_same_result(
    monkeypatch: pytest.MonkeyPatch, newline: bytes, layout: str
) -> None:
    # Issue 13, finding 8: a 100k-line community list is applied in one copy of its bytes.
    from nocontact_desktop.core.blocking import hosts_section

    lines = b"".join(b"0.0.0.0 ads%d.example.net%s" % (i, newline) for i in range(60_000))
    head = b"127.0.0.1 localhost" + newline
    old_section = render_section(["old.example.com"], newline=newline)
    original = {
        "no section": head + lines,
        "section on top": head + old_section + lines,
        "section at the end": head + lines + old_section,
        "no eol": head + lines + b"# last line without a line ending",
    }[layout]
    assert len(original) > hosts_section._BIG_FILE
    names = ["a.com", "www.a.com"]
    fast = apply_section(original, names)
    monkeypatch.setattr(hosts_section, "_BIG_FILE", 1 << 62)
    assert fast == apply_section(original, names)
