"""Build ``dist/nocontact_<version>_<arch>.deb`` (``./run package``, DESIGN §9).

The package's files are laid out under ``installers/linux/`` like their install paths
(``DEBIAN/``, ``usr/``, ``lib/``); this script copies them (following symlinks), fills in
``DEBIAN/control``, and adds what is made at build time:

- ``usr/lib/nocontact/wheelhouse/``: the project's wheel and the wheels of all its Python
  dependencies, for every Python the package may meet (3.11 on Debian 12, 3.12 on Ubuntu
  24.04, 3.13 on Debian 13). PySide6 is not in Debian 12, so ``postinst`` makes a root-owned
  environment in ``/opt/nocontact`` from these wheels, offline. The dependency wheels are
  the versions installed in the environment that runs this script (the tested ones), kept in
  a cache (``$XDG_CACHE_HOME/nocontact-build/wheelhouse``) so that later builds need no
  network.
- the icons: ``resources/icons/nocontact.svg`` as the scalable icon, and PNGs rendered from it
  with QtSvg for the fixed hicolor sizes.
- ``usr/share/doc/nocontact/changelog.gz``, the man page gzipped, ``DEBIAN/md5sums``.

Run it with the project's environment (``.venv/bin/python``: it needs PySide6 and pip).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYOUT = Path(__file__).resolve().parent
LAYOUT_DIRS = ("DEBIAN", "etc", "lib", "usr")
PACKAGE = "nocontact"
WHEELHOUSE = "usr/lib/nocontact/wheelhouse"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
PYTHONS = ("3.11", "3.12", "3.13")
REQUIRED_PYTHON = "3.11"  # Debian 12's; the others are best effort
DPKG_TO_WHEEL_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}
MANYLINUX_GLIBC_MINORS = range(17, 37)  # up to glibc 2.36, Debian 12's


def say(message: str) -> None:
    print(f"package: {message}", file=sys.stderr, flush=True)


def run(
    argv: list[str], *, env: dict[str, str] | None = None, quiet: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``argv``; its output is captured (``quiet``: thrown away), a failure raises."""
    if quiet:
        return subprocess.run(argv, check=True, text=True, env=env, stdout=subprocess.DEVNULL)
    return subprocess.run(argv, check=True, text=True, env=env, capture_output=True)


def project_metadata() -> tuple[str, list[str], list[str]]:
    """The project's version, runtime requirements and build requirements (pyproject.toml)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    return (
        str(project["version"]),
        [str(item) for item in project["dependencies"]],
        [str(item) for item in data["build-system"]["requires"]],
    )


def dpkg_arch() -> str:
    return run(["dpkg", "--print-architecture"]).stdout.strip()


def source_date_epoch() -> int:
    """The last commit's time (reproducible timestamps), or now outside git."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        out = run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"])
        return int(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError, ValueError):
        return int(time.time())


def git_commit() -> str:
    try:
        out = run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"])
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --- Wheels ---


def frozen_constraints() -> list[str]:
    """``name==version`` of every distribution in this environment, except the project."""
    out = run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"]
    ).stdout
    lines = [line.strip() for line in out.splitlines()]
    return sorted(line for line in lines if "==" in line and not line.startswith("#"))


def pip_version() -> str:
    out = run([sys.executable, "-m", "pip", "--version"]).stdout
    return out.split()[1]


def platform_tags(arch: str) -> list[str]:
    machine = DPKG_TO_WHEEL_ARCH.get(arch)
    if machine is None:
        raise SystemExit(f"package: no wheels known for the {arch} architecture")
    tags = [f"manylinux_2_{minor}_{machine}" for minor in MANYLINUX_GLIBC_MINORS]
    return [*tags, f"manylinux2014_{machine}", f"manylinux2010_{machine}", f"manylinux1_{machine}"]


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nocontact-build" / "wheelhouse"


def dependency_wheels(arch: str, requirements: list[str], build_requires: list[str]) -> Path:
    """A folder with the wheels of ``requirements`` (pinned to this environment) and pip,
    and in ``build/`` the build backend's wheels (for an offline build of the project's).

    Cached under a key of everything that decides its contents; a complete folder is reused
    without asking any index.
    """
    constraints = frozen_constraints()
    pip_pin = f"pip=={pip_version()}"
    key_text = "\n".join(
        [arch, *PYTHONS, *platform_tags(arch), *requirements, *constraints, pip_pin,
         "build:", *build_requires]
    )
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    folder = cache_root() / f"{arch}-{key}"
    if (folder / ".complete").exists():
        say(f"dependency wheels from the cache: {folder}")
        return folder
    say(f"downloading the dependency wheels into {folder}")
    if folder.exists():
        shutil.rmtree(folder)
    partial = folder.with_name(folder.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        constraints_file = Path(tmp) / "constraints.txt"
        constraints_file.write_text("\n".join(constraints) + "\n", encoding="utf-8")
        for python in PYTHONS:
            argv = [
                sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                "--only-binary=:all:", "--dest", str(partial), "--python-version", python,
                "--implementation", "cp", "--constraint", str(constraints_file),
            ]
            for tag in platform_tags(arch):
                argv += ["--platform", tag]
            result = subprocess.run(
                [*argv, *requirements, pip_pin], check=False, text=True, capture_output=True
            )
            if result.returncode != 0:
                detail = [
                    line for line in result.stderr.splitlines() if "is ignored" not in line
                ]
                if python == REQUIRED_PYTHON:
                    raise SystemExit(
                        f"package: pip download for Python {python} failed:\n" + "\n".join(detail)
                    )
                say(f"no complete set of wheels for Python {python}; the package will not "
                    f"install there ({detail[-1] if detail else 'pip failed'})")
    run(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--only-binary=:all:", "--dest", str(partial / "build"), *build_requires,
        ]
    )
    (partial / ".complete").write_text(key_text + "\n", encoding="utf-8")
    partial.rename(folder)
    return folder


def project_wheel(dest: Path, backend: Path) -> Path:
    """Build the project's own wheel (pure Python, resources included) into ``dest``, with
    the build backend's wheels from ``backend`` only (no index)."""
    with tempfile.TemporaryDirectory() as tmp:
        run(
            [
                sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                "--no-deps", "--no-index", "--find-links", str(backend), "--wheel-dir", tmp,
                str(ROOT),
            ]
        )
        (built,) = Path(tmp).glob("nocontact_desktop-*.whl")
        target = dest / built.name
        shutil.copy2(built, target)
    return target


# --- Icons ---


def render_icons(stage: Path) -> None:
    """The SVG as the scalable icon, and PNGs rendered from it for the fixed sizes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtGui, QtSvg  # noqa: PLC0415 - only the build needs Qt

    svg = ROOT / "resources" / "icons" / "nocontact.svg"
    hicolor = stage / "usr/share/icons/hicolor"
    scalable = hicolor / "scalable/apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg, scalable / "nocontact.svg")
    renderer = QtSvg.QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"package: {svg} is not a valid SVG")
    for size in ICON_SIZES:
        image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32)
        image.fill(0)
        painter = QtGui.QPainter(image)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QtCore.QRectF(0, 0, size, size))
        painter.end()
        folder = hicolor / f"{size}x{size}/apps"
        folder.mkdir(parents=True, exist_ok=True)
        if not image.save(str(folder / "nocontact.png")):  # format from the suffix
            raise SystemExit(f"package: could not write the {size}px icon")


# --- The tree and the package ---


def gzip_bytes(data: bytes, mtime: int) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buffer, mtime=mtime) as out:
        out.write(data)
    return buffer.getvalue()


def copy_layout(stage: Path) -> None:
    for name in LAYOUT_DIRS:
        source = LAYOUT / name
        if source.is_dir():
            shutil.copytree(source, stage / name, symlinks=False)


def write_docs(stage: Path, version: str, epoch: int) -> None:
    doc = stage / "usr/share/doc" / PACKAGE
    doc.mkdir(parents=True, exist_ok=True)
    changelog = (
        f"{PACKAGE} ({version}) unstable; urgency=medium\n\n"
        f"  * Built from the No Contact source tree, commit {git_commit()}.\n\n"
        f" -- No Contact developers <nocontact@users.noreply.github.com>  "
        f"{formatdate(epoch, localtime=False)}\n"
    )
    (doc / "changelog.gz").write_bytes(gzip_bytes(changelog.encode(), epoch))
    man = stage / "usr/share/man/man1/nocontact.1"
    if man.exists():
        man.with_name(man.name + ".gz").write_bytes(gzip_bytes(man.read_bytes(), epoch))
        man.unlink()


def normalize_modes(stage: Path) -> None:
    """Folders 0755; files 0755 if executable in the layout (programs, maintainer scripts),
    else 0644."""
    for path in [stage, *stage.rglob("*")]:
        if path.is_dir() or path.stat().st_mode & 0o111:
            path.chmod(0o755)
        else:
            path.chmod(0o644)


def installed_size_kib(stage: Path) -> int:
    """The package's files plus the environment postinst makes from its wheels (about their
    unpacked size, one wheel per project), so apt tells the real disk space needed."""
    total = 0
    for path in stage.rglob("*"):
        if path.relative_to(stage).parts[0] == "DEBIAN":
            continue
        total += 1 if path.is_dir() else -(-path.stat().st_size // 1024)
    seen: set[str] = set()
    for wheel in sorted((stage / WHEELHOUSE).glob("*.whl")):
        project = wheel.name.split("-")[0].lower()
        if project in seen or project == "pip":
            continue
        seen.add(project)
        with zipfile.ZipFile(wheel) as archive:
            total += sum(-(-item.file_size // 1024) for item in archive.infolist())
    return total


def write_control(stage: Path, version: str, arch: str) -> None:
    control = stage / "DEBIAN/control"
    text = control.read_text(encoding="utf-8")
    text = (
        text.replace("@VERSION@", version)
        .replace("@ARCH@", arch)
        .replace("@INSTALLED_SIZE@", str(installed_size_kib(stage)))
    )
    if re.search(r"@[A-Z_]+@", text):
        raise SystemExit("package: DEBIAN/control has a placeholder left")
    control.write_text(text, encoding="utf-8")
    lines = []
    for path in sorted(stage.rglob("*")):
        relative = path.relative_to(stage)
        if path.is_file() and relative.parts[0] != "DEBIAN":
            digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
            lines.append(f"{digest}  {relative.as_posix()}\n")
    (stage / "DEBIAN/md5sums").write_text("".join(lines), encoding="utf-8")


def set_mtimes(stage: Path, epoch: int) -> None:
    for path in [*stage.rglob("*"), stage]:
        os.utime(path, (epoch, epoch), follow_symlinks=False)


def build(out_dir: Path, version_suffix: str, lint: bool) -> Path:
    version, requirements, build_requires = project_metadata()
    deb_version = version + version_suffix
    arch = dpkg_arch()
    epoch = source_date_epoch()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nocontact-deb-") as tmp:
        stage = Path(tmp) / f"{PACKAGE}_{deb_version}_{arch}"
        stage.mkdir()
        copy_layout(stage)
        wheelhouse = stage / WHEELHOUSE
        wheelhouse.mkdir(parents=True)
        wheels = dependency_wheels(arch, requirements, build_requires)
        for wheel in sorted(wheels.glob("*.whl")):
            shutil.copy2(wheel, wheelhouse / wheel.name)
        say(f"project wheel: {project_wheel(wheelhouse, wheels / 'build').name}")
        render_icons(stage)
        write_docs(stage, deb_version, epoch)
        normalize_modes(stage)
        write_control(stage, deb_version, arch)
        set_mtimes(stage, epoch)
        target = out_dir / f"{PACKAGE}_{deb_version}_{arch}.deb"
        partial = target.with_name(target.name + ".partial")
        run(
            ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(stage), str(partial)],
            env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)},
            quiet=True,
        )
        partial.replace(target)
    say(f"built {target} ({target.stat().st_size / 1e6:.1f} MB)")
    if lint:
        lintian(target)
    return target


def lintian(deb: Path) -> None:
    if shutil.which("lintian") is None:
        say("lintian is not installed; skipping the check")
        return
    result = subprocess.run(
        ["lintian", "--display-info", str(deb)], check=False, text=True,
        capture_output=True,
    )
    say("lintian:\n" + (result.stdout + result.stderr).rstrip() or "lintian: (no remarks)")
    if any(line.startswith("E:") for line in result.stdout.splitlines()):
        raise SystemExit("package: lintian reports errors")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument(
        "--version-suffix",
        default="",
        help="appended to the package version, e.g. +t2 for a newer test build",
    )
    parser.add_argument("--lintian", action="store_true", help="run lintian on the result")
    args = parser.parse_args(argv)
    if args.version_suffix and not all(c.isalnum() or c in "+.~" for c in args.version_suffix):
        parser.error(f"{args.version_suffix!r}: only letters, digits and + . ~ are allowed")
    print(build(args.out, args.version_suffix, args.lintian))
    return 0


if __name__ == "__main__":
    sys.exit(main())
