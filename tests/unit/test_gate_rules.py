"""App gate rules: presets, what the user may type, and how each OS recognises an app."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nocontact_desktop.core.app_gate.rules import (
    MAX_NAME_CHARS,
    OS_NAMES,
    PRESETS_FILE,
    GatedApp,
    Matcher,
    MatcherKind,
    OsName,
    ProcessIdentity,
    app_from_id,
    app_from_user_text,
    find_preset,
    load_presets,
    match,
    parse_app_spec,
    parse_presets,
)
from nocontact_desktop.core.app_gate.watcher import ProcessSource
from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.platform import all_platforms, linux, macos, windows
from nocontact_desktop.platform import current as current_platform


def ident(
    name: str,
    exe: str | None = None,
    cmdline: tuple[str, ...] = (),
    *,
    flatpak: str | None = None,
    pid: int = 4242,
) -> ProcessIdentity:
    return ProcessIdentity(pid, 1, 100.0, name, exe, cmdline, "running", flatpak)


def linux_matches(identity: ProcessIdentity, kind: MatcherKind, value: str) -> bool:
    return linux.app_matches(identity, Matcher(kind, value))


# --- presets ---------------------------------------------------------------------------


@pytest.mark.parametrize("os_name", OS_NAMES)
def test_presets_cover_the_messengers_on_every_os(os_name: OsName) -> None:
    apps = load_presets(os_name)
    ids = {app.id for app in apps}
    assert {
        "signal",
        "whatsapp",
        "telegram",
        "discord",
        "messenger",
        "slack",
        "teams",
        "skype",
    } <= ids
    for app in apps:
        assert app.preset and app.display_name and app.matchers
        for matcher in app.matchers:
            assert matcher.value == matcher.value.strip() and matcher.value


def test_linux_presets_know_the_packagings() -> None:
    signal = next(app for app in load_presets("linux") if app.id == "signal")
    assert Matcher("name", "signal-desktop") in signal.matchers
    assert Matcher("path", "/opt/Signal/signal-desktop") in signal.matchers
    assert Matcher("flatpak", "org.signal.Signal") in signal.matchers
    assert Matcher("snap", "signal-desktop") in signal.matchers
    kinds = {m.kind for app in load_presets("linux") for m in app.matchers}
    assert "bundle" not in kinds


def test_presets_per_os_use_only_that_os_kinds() -> None:
    assert {m.kind for a in load_presets("windows") for m in a.matchers} <= {"name", "path"}
    assert {m.kind for a in load_presets("macos") for m in a.matchers} <= {"name", "path", "bundle"}


def test_preset_file_is_the_packaged_one() -> None:
    assert PRESETS_FILE.is_file()
    assert load_presets("linux", path=PRESETS_FILE) == load_presets("linux")


def test_every_platform_module_provides_the_whole_platform_interface() -> None:
    assert [p.name for p in all_platforms()] == ["linux", "macos", "windows"]
    assert current_platform().name in {"linux", "macos", "windows"}


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "version 1"),
        ({"version": 2, "apps": []}, "version 1"),
        ({"version": 1, "apps": {}}, "must be a list"),
        ({"version": 1, "apps": [{"id": "x"}]}, "display_name"),
        ({"version": 1, "apps": [{"id": "x", "display_name": "X", "linux": []}]}, "object"),
        (
            {"version": 1, "apps": [{"id": "x", "display_name": "X", "linux": {"globs": ["a"]}}]},
            "unknown rule list",
        ),
        (
            {"version": 1, "apps": [{"id": "x", "display_name": "X", "linux": {"names": [""]}}]},
            "non-empty strings",
        ),
        (
            {"version": 1, "apps": [{"id": "x", "display_name": "X", "haiku": {}}]},
            "unknown key",
        ),
        (
            {
                "version": 1,
                "apps": [{"id": "x", "display_name": "X"}, {"id": "x", "display_name": "Y"}],
            },
            "twice",
        ),
    ],
)
def test_a_damaged_preset_file_is_refused(document: object, reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        parse_presets(document, "linux")


def test_an_unreadable_preset_file_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "presets.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(BadInput, match=r"presets\.json"):
        load_presets("linux", path=broken)
    broken.write_text(json.dumps({"version": 1, "apps": []}), encoding="utf-8")
    assert load_presets("linux", path=broken) == ()


def test_find_preset_by_id_or_display_name() -> None:
    presets = load_presets("linux")
    assert find_preset("signal", presets) is find_preset(" Signal ", presets)
    assert find_preset("microsoft teams", presets) is not None
    assert find_preset("signal-desktop", presets) is None


# --- what the user types -------------------------------------------------------------------


def test_a_name_becomes_a_name_rule() -> None:
    app = parse_app_spec("  signal-desktop ", os_name="linux")
    assert app == GatedApp(
        "name:signal-desktop", "signal-desktop", (Matcher("name", "signal-desktop"),)
    )


def test_an_existing_path_becomes_path_rules_for_the_link_and_its_target(tmp_path: Path) -> None:
    target = tmp_path / "Signal" / "signal-desktop"
    target.parent.mkdir()
    target.write_bytes(b"#!/bin/sh\n")
    link = tmp_path / "sig"
    link.symlink_to(target)
    app = parse_app_spec(str(link), os_name="linux", realpath=os.path.realpath)
    assert app.id == f"path:{link}" and app.display_name == "sig"
    assert app.matchers == (Matcher("path", str(link)), Matcher("path", str(target)))
    assert parse_app_spec(str(target), os_name="linux").matchers == (Matcher("path", str(target)),)


def test_a_missing_path_is_bad_input_unless_checks_are_off(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope" / "signal-desktop")
    with pytest.raises(BadInput, match="no such file"):
        parse_app_spec(missing, os_name="linux")
    assert parse_app_spec(missing, os_name="linux", check_exists=False).matchers == (
        Matcher("path", missing),
    )
    with pytest.raises(BadInput, match="folder"):
        parse_app_spec(str(tmp_path), os_name="linux")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("sig\0nal", "control character"),
        ("signal\ndesktop", "control character"),
        ("sig\x7fnal", "control character"),
        ("bin/signal", "absolute path"),
        ("./signal", "absolute path"),
        (".", "not an executable name"),
        ("..", "not an executable name"),
        ("x" * (MAX_NAME_CHARS + 1), "longer than"),
        ("/" + "x/" * 2100 + "y", "longer than"),
        ("/", "names no file"),
    ],
)
def test_refused_input_names_the_input_and_the_reason(text: str, reason: str) -> None:
    with pytest.raises(BadInput, match=reason) as caught:
        parse_app_spec(text, os_name="linux")
    message = str(caught.value)
    assert message.startswith(repr(text[:77] + "..." if len(text) > 80 else text))
    assert "\n" not in message


def test_windows_specs() -> None:
    app = parse_app_spec("Signal.exe", os_name="windows")
    assert app.display_name == "Signal" and app.matchers == (Matcher("name", "Signal.exe"),)
    path = r"C:\Users\me\AppData\Local\Programs\signal-desktop\Signal.exe"
    app = parse_app_spec(path, os_name="windows", is_file=lambda p: p == path, realpath=lambda p: p)
    assert app.display_name == "Signal" and app.matchers == (Matcher("path", path),)
    with pytest.raises(BadInput, match="no such file"):
        parse_app_spec(path, os_name="windows", is_file=lambda p: False, is_dir=lambda p: False)
    for bad in (r"\Programs\Signal.exe", r"Programs\Signal.exe", "Sig|nal.exe", "C:Signal.exe"):
        with pytest.raises(BadInput):
            parse_app_spec(bad, os_name="windows")


def test_macos_specs() -> None:
    app = parse_app_spec("/Applications/Signal.app/", os_name="macos", is_dir=lambda p: True)
    assert app.display_name == "Signal"
    assert app.matchers == (Matcher("bundle", "/Applications/Signal.app"),)
    assert parse_app_spec("Signal.app", os_name="macos").matchers == (
        Matcher("bundle", "Signal.app"),
    )
    with pytest.raises(BadInput, match="no such app bundle"):
        parse_app_spec("/Applications/Gone.app", os_name="macos", is_dir=lambda p: False)


def test_saved_ids_load_back(tmp_path: Path) -> None:
    presets = load_presets("linux")
    assert app_from_id("signal", presets, os_name="linux") is find_preset("signal", presets)
    exe = tmp_path / "caprine"
    exe.write_bytes(b"")
    link = tmp_path / "link"
    link.symlink_to(exe)
    for app in (
        parse_app_spec("caprine", os_name="linux"),
        parse_app_spec(str(link), os_name="linux"),
    ):
        assert app_from_id(app.id, presets, os_name="linux") == app
    gone = app_from_id(f"path:{tmp_path}/uninstalled", presets, os_name="linux")
    assert gone.matchers == (Matcher("path", f"{tmp_path}/uninstalled"),)
    mac_app = app_from_id("bundle:/Applications/Signal.app", (), os_name="macos")
    assert mac_app.matchers == (Matcher("bundle", "/Applications/Signal.app"),)
    for bad in (
        "",
        "nosuchpreset",
        "name:",
        "path:relative/x",
        "name:a/b",
        "exe:foo",
        "path:/a/../b",
    ):
        with pytest.raises(BadInput):
            app_from_id(bad, presets, os_name="linux")


def test_user_text_prefers_a_preset() -> None:
    presets = load_presets("linux")
    assert app_from_user_text("Telegram", presets, os_name="linux").id == "telegram"
    assert app_from_user_text("caprine", presets, os_name="linux").id == "name:caprine"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(OS_NAMES))
def test_any_text_is_an_app_or_bad_input(text: str, os_name: OsName) -> None:
    try:
        app = parse_app_spec(
            text,
            os_name=os_name,
            is_file=lambda p: True,
            is_dir=lambda p: False,
        )
    except BadInput as error:
        assert "\n" not in str(error)
        return
    assert app.matchers and app.display_name and app.id
    assert all("\0" not in m.value and "\n" not in m.value for m in app.matchers)


# --- Linux rules ---------------------------------------------------------------------------


def test_linux_name_rules() -> None:
    signal = ident("signal-desktop", "/opt/Signal/signal-desktop", ("/opt/Signal/signal-desktop",))
    assert linux_matches(signal, "name", "signal-desktop")
    assert not linux_matches(signal, "name", "Signal-Desktop")  # Linux names have case
    # Electron helpers carry the same executable: they match too (the gate treats them as
    # descendants of the launch, see core/app_gate.py).
    renderer = ident(
        "signal-desktop",
        "/opt/Signal/signal-desktop",
        ("/opt/Signal/signal-desktop", "--type=renderer"),
    )
    assert linux_matches(renderer, "name", "signal-desktop")
    # The kernel keeps 15 bytes of the name; a longer one is confirmed by the executable.
    beta = ident("signal-desktop-", "/opt/Signal Beta/signal-desktop-beta")
    assert linux_matches(beta, "name", "signal-desktop-beta")
    assert not linux_matches(
        ident("signal-desktop-", "/usr/bin/other"), "name", "signal-desktop-beta"
    )
    via_link = ident("teams-for-linux", "/opt/teams-for-linux/teams-for-linux")
    assert linux_matches(via_link, "name", "teams-for-linux")
    # A renamed process is still found by its executable's file name.
    assert linux_matches(ident("Main", "/usr/share/discord/Discord"), "name", "Discord")
    # An executable replaced by an update reads "... (deleted)" on Linux.
    assert linux.process_identity(os.getpid()).exe is not None
    assert not linux_matches(ident("sleep", "/usr/bin/sleep"), "name", "signal-desktop")


def test_linux_path_rules() -> None:
    assert linux_matches(
        ident("signal-desktop", "/opt/Signal/signal-desktop"), "path", "/opt/Signal/signal-desktop"
    )
    assert not linux_matches(
        ident("signal-desktop", "/opt/Other/signal-desktop"), "path", "/opt/Signal/signal-desktop"
    )
    # A #! script: the kernel names the process after the script and runs the interpreter.
    script = ident("zapzap", "/usr/bin/python3.11", ("/usr/bin/python3", "/usr/bin/zapzap"))
    assert linux_matches(script, "path", "/usr/bin/zapzap")
    editor = ident("vim", "/usr/bin/vim.basic", ("vim", "/usr/bin/zapzap"))
    assert not linux_matches(editor, "path", "/usr/bin/zapzap")


def test_linux_flatpak_rules() -> None:
    sandboxed = ident(
        "signal-desktop",
        "/app/Signal/signal-desktop",
        ("/app/Signal/signal-desktop",),
        flatpak="org.signal.Signal",
    )
    assert linux_matches(sandboxed, "flatpak", "org.signal.Signal")
    assert not linux_matches(sandboxed, "flatpak", "org.telegram.desktop")
    launcher = ident(
        "flatpak",
        "/usr/bin/flatpak",
        (
            "/usr/bin/flatpak",
            "run",
            "--branch=stable",
            "--command=signal-desktop",
            "org.signal.Signal",
            "--no-sandbox",
        ),
    )
    assert linux_matches(launcher, "flatpak", "org.signal.Signal")
    ref = ident("flatpak", "/usr/bin/flatpak", ("flatpak", "run", "org.signal.Signal//beta"))
    assert linux_matches(ref, "flatpak", "org.signal.Signal")
    update = ident("flatpak", "/usr/bin/flatpak", ("flatpak", "update", "org.signal.Signal"))
    assert not linux_matches(update, "flatpak", "org.signal.Signal")
    host_view = ident(
        "signal-desktop",
        "/var/lib/flatpak/app/org.signal.Signal/x86_64/stable/abc/files/Signal/signal-desktop",
    )
    assert linux_matches(host_view, "flatpak", "org.signal.Signal")


def test_linux_snap_rules() -> None:
    app = ident("signal-desktop", "/snap/signal-desktop/612/opt/Signal/signal-desktop")
    assert linux_matches(app, "snap", "signal-desktop")
    assert not linux_matches(app, "snap", "signal")
    wrapper = ident("signal-desktop", "/usr/bin/snap", ("/snap/bin/signal-desktop",))
    assert linux_matches(wrapper, "snap", "signal-desktop")
    confine = ident(
        "snap-confine",
        "/usr/lib/snapd/snap-confine",
        (
            "/usr/lib/snapd/snap-confine",
            "--base",
            "core22",
            "snap.signal-desktop.signal-desktop",
            "/usr/lib/snapd/snap-exec",
            "signal-desktop",
        ),
    )
    assert linux_matches(confine, "snap", "signal-desktop")
    assert not linux_matches(confine, "snap", "slack")
    snap_exec = ident(
        "snap-exec", "/usr/lib/snapd/snap-exec", ("/usr/lib/snapd/snap-exec", "slack")
    )
    assert linux_matches(snap_exec, "snap", "slack")
    assert not linux_matches(ident("snap", "/usr/bin/snap", ("snap", "refresh")), "snap", "slack")


def test_linux_never_matches_bundles() -> None:
    assert not linux_matches(
        ident("Signal", "/Applications/Signal.app/Contents/MacOS/Signal"), "bundle", "Signal.app"
    )


def test_match_takes_the_first_app_and_the_current_os_rules() -> None:
    apps = load_presets("linux")
    found = match(
        ident("telegram-desktop", "/usr/bin/telegram-desktop"), apps, rules=linux.app_matches
    )
    assert found is not None and found.id == "telegram"
    assert match(ident("bash", "/usr/bin/bash"), apps, rules=linux.app_matches) is None
    here = current_platform()
    if here.name == "linux":
        assert match(ident("caprine", "/opt/Caprine/caprine"), apps, rules=here.app_matches)


# --- macOS rules (plain data) ----------------------------------------------------------------


def mac(identity: ProcessIdentity, kind: MatcherKind, value: str) -> bool:
    return macos.app_matches(identity, Matcher(kind, value))


def test_macos_bundle_rules() -> None:
    main = ident("Signal", "/Applications/Signal.app/Contents/MacOS/Signal")
    helper = ident(
        "Signal Helper (Renderer)",
        "/Applications/Signal.app/Contents/Frameworks/Signal Helper (Renderer).app"
        "/Contents/MacOS/Signal Helper (Renderer)",
    )
    assert mac(main, "bundle", "Signal.app")
    assert mac(main, "bundle", "signal.APP")  # the default volume ignores case
    assert mac(main, "bundle", "/Applications/Signal.app")
    assert not mac(main, "bundle", "/Users/me/Applications/Signal.app")
    assert not mac(helper, "bundle", "Signal.app")  # a helper: caught as a descendant instead
    teams = ident("MSTeams", "/Applications/Microsoft Teams.app/Contents/MacOS/MSTeams")
    assert mac(teams, "bundle", "Microsoft Teams.app")
    assert not mac(ident("Signal", None), "bundle", "Signal.app")


def test_macos_name_and_path_rules() -> None:
    main = ident("Telegram", "/Applications/Telegram.app/Contents/MacOS/Telegram")
    assert mac(main, "name", "telegram")
    assert mac(main, "path", "/applications/telegram.app/contents/macos/Telegram")
    assert not mac(main, "name", "Signal")
    assert not mac(main, "flatpak", "org.telegram.desktop")
    assert not mac(main, "snap", "telegram-desktop")


# --- Windows rules (plain data) --------------------------------------------------------------


def win(identity: ProcessIdentity, kind: MatcherKind, value: str) -> bool:
    return windows.app_matches(identity, Matcher(kind, value))


def test_windows_rules() -> None:
    signal = ident("Signal.exe", r"C:\Users\me\AppData\Local\Programs\signal-desktop\Signal.exe")
    assert win(signal, "name", "Signal.exe")
    assert win(signal, "name", "signal")  # .exe optional, case ignored
    assert win(signal, "name", "SIGNAL.EXE")
    assert not win(signal, "name", "Signal Beta.exe")
    assert win(signal, "path", "c:/users/me/appdata/local/programs/signal-desktop/signal.exe")
    assert not win(signal, "path", r"C:\Program Files\Signal\Signal.exe")
    kinds: tuple[MatcherKind, ...] = ("flatpak", "snap", "bundle")
    for kind in kinds:
        assert not win(signal, kind, "Signal.exe")
    teams = ident("ms-teams.exe", None)  # AccessDenied on exe: the name still works
    assert match(teams, load_presets("windows"), rules=windows.app_matches) is not None
    whatsapp = ident(
        "WhatsApp.Root.exe",
        r"C:\Program Files\WindowsApps\5319275A.WhatsAppDesktop_2.2\WhatsApp.Root.exe",
    )
    found = match(whatsapp, load_presets("windows"), rules=windows.app_matches)
    assert found is not None and found.id == "whatsapp"


# --- every platform module offers the same gate functions -----------------------------------


@pytest.mark.parametrize("module", [linux, macos, windows], ids=["linux", "macos", "windows"])
def test_platform_modules_implement_the_process_source(module: object) -> None:
    names = [n for n in dir(ProcessSource) if not n.startswith("_")]
    assert "suspend_process" in names and "app_matches" not in names
    for name in [*names, "app_matches"]:
        assert callable(getattr(module, name)), name
    source: ProcessSource = linux  # mypy checks the module against the protocol
    assert source.spawn_counter() is None or isinstance(source.spawn_counter(), int)
