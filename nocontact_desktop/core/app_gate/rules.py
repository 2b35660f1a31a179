"""Which apps the app gate watches, and how a running process is recognised as one of them.

Pure data and rules (DESIGN §7). An app is a :class:`GatedApp`: an id, a name to show, and
:class:`Matcher` rules. A rule is one of:

- ``name``     an executable name (``signal-desktop``; on Windows ``.exe`` is optional);
- ``path``     an absolute path of an executable (exact; case-insensitive on macOS/Windows);
- ``flatpak``  a Flatpak application id (``org.signal.Signal``) — Linux only;
- ``snap``     a Snap name (``signal-desktop``) — Linux only;
- ``bundle``   a macOS app bundle, by name (``Signal.app``) or absolute path — macOS only.

How a rule meets a process is an OS difference, so it lives in ``platform/`` as
``app_matches(identity, matcher)``; :func:`match` uses the running OS's rules unless given others.

Presets for the messengers' desktop apps are in ``resources/gate_presets.json``; anything else
the user names is turned into a :class:`GatedApp` by :func:`parse_app_spec`.
"""

from __future__ import annotations

import json
import ntpath
import os
import posixpath
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, get_args

from nocontact_desktop.core.errors import BadInput
from nocontact_desktop.core.resources import resource_path

MatcherKind = Literal["name", "path", "flatpak", "snap", "bundle"]
OsName = Literal["linux", "macos", "windows"]

MATCHER_KINDS: Final[frozenset[str]] = frozenset(get_args(MatcherKind))
OS_NAMES: Final[tuple[OsName, ...]] = ("linux", "macos", "windows")

# Longest executable name (NAME_MAX) and path (PATH_MAX; Windows long paths stay below it too).
MAX_NAME_CHARS: Final = 255
MAX_PATH_CHARS: Final = 4096

PRESETS_FILE: Final = resource_path("gate_presets.json")

# Preset file keys per OS -> matcher kind.
_PRESET_KEYS: Final[dict[str, MatcherKind]] = {
    "names": "name",
    "paths": "path",
    "flatpak": "flatpak",
    "snap": "snap",
    "bundles": "bundle",
}
# Characters Windows does not allow in a file name.
_WINDOWS_BAD_NAME_CHARS: Final = frozenset('<>:"/\\|?*')


@dataclass(frozen=True, slots=True)
class Matcher:
    """One rule that identifies an app's process (see the module docstring for the kinds)."""

    kind: MatcherKind
    value: str


@dataclass(frozen=True, slots=True)
class GatedApp:
    """An app the gate watches: ``id`` is stable (``signal``, ``name:foo``, ``path:/x/foo``)."""

    id: str
    display_name: str
    matchers: tuple[Matcher, ...]
    preset: bool = False


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """What the OS tells about a process, as far as it tells it.

    ``create_time`` is a start stamp that never changes for the life of a process (Linux:
    seconds since boot; elsewhere seconds since the epoch). It only serves to tell a reused
    pid from the process that had it before. ``exe`` is ``None`` when the OS does not say
    (another user's process, a zombie, a kernel thread); ``cmdline`` is then often empty.
    ``flatpak_app`` is the Flatpak application id of a sandboxed process (Linux only).
    """

    pid: int
    ppid: int
    create_time: float
    name: str
    exe: str | None = None
    cmdline: tuple[str, ...] = ()
    status: str = "running"
    flatpak_app: str | None = None

    @property
    def exe_name(self) -> str:
        """The executable's file name (for logs: it says which program, nothing personal)."""
        if self.exe:
            return ntpath.basename(self.exe) if "\\" in self.exe else posixpath.basename(self.exe)
        return self.name


MatchRule = Callable[[ProcessIdentity, Matcher], bool]


@dataclass(frozen=True)
class InstalledApp:
    """An app the desktop lists (a ``.desktop`` entry, an ``.app`` bundle), offered to gate."""

    name: str  # what the desktop calls it: "Signal"
    command: str  # what to gate: an executable path or name, as ``gate add`` takes it
    icon: str = ""  # a theme icon name or an icon file, for the chooser




def match(
    identity: ProcessIdentity, apps: Iterable[GatedApp], *, rules: MatchRule
) -> GatedApp | None:
    """The first app whose rules recognise the process, or ``None``.

    ``rules`` defaults to the running OS's ``app_matches``; tests pass another OS's.
    """
    for app in apps:
        for matcher in app.matchers:
            if rules(identity, matcher):
                return app
    return None


# --- presets -------------------------------------------------------------------------------


def load_presets(os_name: OsName, *, path: Path | None = None) -> tuple[GatedApp, ...]:
    """The preset apps with the rules for ``os_name``.

    Presets without rules for that OS are left out. A damaged file raises :class:`BadInput`
    naming the file and the fault.
    """
    target = os_name
    source = path or PRESETS_FILE
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(f"{str(source)!r} is not a valid preset file: {error}") from error
    return parse_presets(document, target, origin=str(source))


def parse_presets(
    document: Any, os_name: OsName, *, origin: str = "presets"
) -> tuple[GatedApp, ...]:
    """Preset apps for ``os_name`` from the decoded JSON ``document`` (see :func:`load_presets`)."""

    def fault(reason: str) -> BadInput:
        return BadInput(f"{origin!r} is not a valid preset file: {reason}")

    if not isinstance(document, dict) or document.get("version") != 1:
        raise fault("expected an object with version 1")
    entries = document.get("apps")
    if not isinstance(entries, list):
        raise fault("'apps' must be a list")
    apps: list[GatedApp] = []
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict):
            raise fault("each app must be an object")
        app_id, display = entry.get("id"), entry.get("display_name")
        if not isinstance(app_id, str) or not app_id or not isinstance(display, str) or not display:
            raise fault("each app needs a non-empty 'id' and 'display_name'")
        if app_id in seen:
            raise fault(f"app id {app_id!r} appears twice")
        seen.add(app_id)
        for key in entry:
            if key not in {"id", "display_name", "note", *OS_NAMES}:
                raise fault(f"app {app_id!r} has an unknown key {key!r}")
        rules = entry.get(os_name)
        if rules is None:
            continue
        if not isinstance(rules, dict):
            raise fault(f"app {app_id!r}: {os_name!r} must be an object")
        matchers: list[Matcher] = []
        for key, values in rules.items():
            kind = _PRESET_KEYS.get(key)
            if kind is None:
                raise fault(f"app {app_id!r}: unknown rule list {key!r}")
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                raise fault(f"app {app_id!r}: {key!r} must be a list of non-empty strings")
            matchers.extend(Matcher(kind, value) for value in values)
        if matchers:
            apps.append(GatedApp(app_id, display, tuple(matchers), preset=True))
    return tuple(apps)


def find_preset(text: str, presets: Sequence[GatedApp]) -> GatedApp | None:
    """The preset whose id or display name is ``text`` (any case), e.g. ``signal``, ``Signal``."""
    wanted = text.strip().casefold()
    for app in presets:
        if wanted in (app.id.casefold(), app.display_name.casefold()):
            return app
    return None


# --- what the user types ---------------------------------------------------------------------


def _shown(text: str) -> str:
    """The input as it appears in an error message: quoted, escaped, not endless."""
    return repr(text if len(text) <= 80 else text[:77] + "...")


def parse_app_spec(
    text: str,
    *,
    os_name: OsName,
    check_exists: bool = True,
    is_file: Callable[[str], bool] = os.path.isfile,
    is_dir: Callable[[str], bool] = os.path.isdir,
    realpath: Callable[[str], str] | None = None,
) -> GatedApp:
    """A :class:`GatedApp` for what the user typed: an executable name or an absolute path.

    - a name (``signal-desktop``, ``Signal.exe``; a ``.app`` name on macOS) is matched by name;
    - an absolute path must name an existing file (on macOS also an ``.app`` bundle folder);
      it is matched by that path and, if it is a link, by the file it points to.
      ``realpath`` resolves links (default: none; pass ``os.path.realpath`` for this machine).
      ``check_exists=False`` skips the file-system checks (for lists saved earlier, whose
      app may have been uninstalled since: a path that no longer exists just never matches).

    Refused (:class:`BadInput`, naming the input and the reason): empty text, control
    characters (NUL, newline, …), over-long names or paths, relative paths, ``.``/``..``,
    and characters the OS does not allow in a file name.
    """
    target = os_name
    spec = text.strip()
    if not spec:
        raise BadInput(f"{_shown(text)} is not a valid app: it is empty")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in spec):
        raise BadInput(f"{_shown(text)} is not a valid app: it contains a control character")
    if target == "windows":
        # C:\... or \\server\share\...; a path without a drive (\foo) is not absolute.
        is_abs = ntpath.isabs(spec) and bool(ntpath.splitdrive(spec)[0])
        has_sep = "/" in spec or "\\" in spec
    else:
        is_abs = spec.startswith("/")
        has_sep = "/" in spec
    if is_abs:
        return _path_app(
            text,
            spec,
            target,
            validate=check_exists,
            is_file=is_file,
            is_dir=is_dir,
            realpath=realpath or str,
        )
    if has_sep:
        raise BadInput(
            f"{_shown(text)} is not a valid app: give an executable name or an absolute path"
        )
    if len(spec) > MAX_NAME_CHARS:
        raise BadInput(
            f"{_shown(text)} is not a valid app: longer than {MAX_NAME_CHARS} characters"
        )
    if spec in {".", ".."}:
        raise BadInput(f"{_shown(text)} is not a valid app: not an executable name")
    if target == "windows" and (set(spec) & _WINDOWS_BAD_NAME_CHARS):
        raise BadInput(
            f'{_shown(text)} is not a valid app: Windows does not allow <>:"/\\|?* in names'
        )
    if target == "macos" and spec.casefold().endswith(".app") and len(spec) > 4:
        return GatedApp(f"bundle:{spec}", spec[:-4], (Matcher("bundle", spec),))
    display = spec[:-4] if target == "windows" and spec.casefold().endswith(".exe") else spec
    return GatedApp(f"name:{spec}", display or spec, (Matcher("name", spec),))


def _path_app(
    text: str,
    spec: str,
    target: OsName,
    *,
    validate: bool,
    is_file: Callable[[str], bool],
    is_dir: Callable[[str], bool],
    realpath: Callable[[str], str],
) -> GatedApp:
    """An app for an absolute path (checked to exist when ``validate``)."""
    if len(spec) > MAX_PATH_CHARS:
        raise BadInput(
            f"{_shown(text)} is not a valid app: longer than {MAX_PATH_CHARS} characters"
        )
    pathmod = ntpath if target == "windows" else posixpath
    path = pathmod.normpath(spec)
    base = pathmod.basename(path)
    if not base or base in {".", ".."}:
        raise BadInput(f"{_shown(text)} is not a valid app: the path names no file")
    bundle = target == "macos" and base.casefold().endswith(".app") and len(base) > 4
    if validate:
        if bundle:
            if not is_dir(path):
                raise BadInput(f"{_shown(text)} is not a valid app: no such app bundle")
        elif not is_file(path):
            reason = "it is a folder, not a program" if is_dir(path) else "no such file"
            raise BadInput(f"{_shown(text)} is not a valid app: {reason}")
    if bundle:
        return GatedApp(f"bundle:{path}", base[:-4], (Matcher("bundle", path),))
    matchers = [Matcher("path", path)]
    # A link (/usr/bin/signal-desktop -> /opt/Signal/signal-desktop): the OS reports the file
    # it points to as the process's executable. (A missing path resolves to itself.)
    resolved = realpath(path)
    if resolved != path:
        matchers.append(Matcher("path", resolved))
    display = base[:-4] if target == "windows" and base.casefold().endswith(".exe") else base
    return GatedApp(f"path:{path}", display, tuple(matchers))


def app_from_user_text(
    text: str,
    presets: Sequence[GatedApp],
    *,
    os_name: OsName,
    check_exists: bool = True,
    realpath: Callable[[str], str] | None = None,
) -> GatedApp:
    """A preset if ``text`` names one (``signal``, ``Telegram``), else :func:`parse_app_spec`."""
    preset = find_preset(text, presets)
    if preset is not None:
        return preset
    return parse_app_spec(text, os_name=os_name, check_exists=check_exists, realpath=realpath)


def app_from_id(
    app_id: str, presets: Sequence[GatedApp], *, os_name: OsName
) -> GatedApp:
    """The app a saved :attr:`GatedApp.id` stands for (``signal``, ``name:…``, ``path:…``).

    For loading a saved list: a saved path is not required to exist any more (it just
    never matches then). Unknown ids raise :class:`BadInput`.
    """
    for app in presets:
        if app.id == app_id:
            return app
    kind, sep, spec = app_id.partition(":")
    if sep and kind in {"name", "path", "bundle"} and spec:
        app = parse_app_spec(spec, os_name=os_name, check_exists=False)
        if app.id == app_id:
            return app
    raise BadInput(f"{_shown(app_id)} is not a known app: no preset and not a saved name or path")
