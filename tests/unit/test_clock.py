"""The local zone's fast path agrees with tzlocal where it answers, and leaves the rest to it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nocontact_desktop.core import clock


def _system(tmp_path: Path, zone: str, timezone_file: str | None) -> str:
    zoneinfo = tmp_path / "usr/share/zoneinfo"
    (zoneinfo / zone).parent.mkdir(parents=True, exist_ok=True)
    (zoneinfo / zone).write_bytes(b"TZif")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/localtime").symlink_to(zoneinfo / zone)
    if timezone_file is not None:
        (tmp_path / "etc/timezone").write_text(timezone_file)
    return str(tmp_path)


@pytest.mark.parametrize("timezone_file", [None, "Europe/Paris\n"])
def test_a_link_into_zoneinfo_names_the_zone(tmp_path: Path, timezone_file: str | None) -> None:
    assert clock._linked_zone_name(_system(tmp_path, "Europe/Paris", timezone_file)) == (
        "Europe/Paris"
    )


@pytest.mark.parametrize(
    "timezone_file", ["Europe/Berlin\n", "Europe/Paris # here\n", "", "Europe/Paris\nUTC\n"]
)
def test_anything_else_is_left_to_tzlocal(tmp_path: Path, timezone_file: str) -> None:
    assert clock._linked_zone_name(_system(tmp_path, "Europe/Paris", timezone_file)) is None


def test_other_setting_files_or_no_link_are_left_to_tzlocal(tmp_path: Path) -> None:
    root = _system(tmp_path, "Europe/Paris", None)
    (tmp_path / "etc/conf.d").mkdir()
    (tmp_path / "etc/conf.d/clock").write_text('TIMEZONE="Europe/Paris"\n')
    assert clock._linked_zone_name(root) is None
    assert clock._linked_zone_name(str(tmp_path / "elsewhere")) is None


def test_the_fast_path_agrees_with_tzlocal_on_this_machine() -> None:
    tzlocal = pytest.importorskip("tzlocal")
    if os.environ.get("TZ"):
        pytest.skip("TZ is set: tzlocal would name that zone instead")
    linked = clock._linked_zone_name()
    if linked is None:
        pytest.skip("this machine's zone setting is left to tzlocal")
    assert linked == tzlocal.get_localzone_name()
