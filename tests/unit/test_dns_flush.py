"""flush_dns_cache per OS (DESIGN §4): the right commands, and never an exception.

macOS and Windows run here over a recorded ``subprocess.run``; Linux also runs for real once.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from nocontact_desktop.platform import linux, macos, windows


class Recorder:
    """Stands in for subprocess.run: records argv, answers with a return code or raises."""

    def __init__(self, answer: Callable[[list[str]], int] = lambda argv: 0) -> None:
        self.calls: list[list[str]] = []
        self.kwargs: list[dict[str, Any]] = []
        self._answer = answer

    def __call__(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        self.calls.append(list(argv))
        self.kwargs.append(kwargs)
        return subprocess.CompletedProcess(argv, self._answer(argv))


def fake_which(available: dict[str, str]) -> Callable[..., str | None]:
    def which(name: str, mode: int = 0, path: str | None = None) -> str | None:
        assert path is not None, "tools must be looked up on a fixed system PATH"
        return available.get(name)

    return which


def install(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, recorder: Recorder, tools: dict[str, str]
) -> None:
    monkeypatch.setattr(module.subprocess, "run", recorder)
    if hasattr(module, "shutil"):
        monkeypatch.setattr(module.shutil, "which", fake_which(tools))


# --- macOS --------------------------------------------------------------------------------


def test_macos_flushes_directory_services_and_mdnsresponder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder()
    install(monkeypatch, macos, recorder, {
        "dscacheutil": "/usr/bin/dscacheutil", "killall": "/usr/bin/killall"})
    macos.flush_dns_cache()
    assert recorder.calls == [
        ["/usr/bin/dscacheutil", "-flushcache"],
        ["/usr/bin/killall", "-HUP", "mDNSResponder"],
    ]
    assert all(kwargs.get("timeout") for kwargs in recorder.kwargs)
    assert all("shell" not in kwargs for kwargs in recorder.kwargs)


def test_macos_missing_tool_or_failure_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(argv: list[str]) -> int:
        raise subprocess.TimeoutExpired(argv, 5)

    recorder = Recorder(boom)
    install(monkeypatch, macos, recorder, {"killall": "/usr/bin/killall"})
    macos.flush_dns_cache()
    assert recorder.calls == [["/usr/bin/killall", "-HUP", "mDNSResponder"]]


# --- Windows ------------------------------------------------------------------------------


def test_windows_runs_ipconfig_flushdns_from_system32(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    install(monkeypatch, windows, recorder, {})
    monkeypatch.setenv("SYSTEMROOT", r"D:\Win")
    windows.flush_dns_cache()
    assert recorder.calls == [[r"D:\Win\System32\ipconfig.exe", "/flushdns"]]
    assert recorder.kwargs[0]["creationflags"] == 0x08000000  # no console window
    assert recorder.kwargs[0]["timeout"]


def test_windows_without_systemroot_uses_the_default_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder()
    install(monkeypatch, windows, recorder, {})
    monkeypatch.delenv("SYSTEMROOT", raising=False)
    monkeypatch.delenv("SystemRoot", raising=False)
    windows.flush_dns_cache()
    assert recorder.calls == [[r"C:\Windows\System32\ipconfig.exe", "/flushdns"]]


@pytest.mark.parametrize(
    "error", [FileNotFoundError(2, "no ipconfig"), subprocess.TimeoutExpired("ipconfig", 10)]
)
def test_windows_failures_never_raise(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    def fail(argv: list[str]) -> int:
        raise error

    recorder = Recorder(fail)
    install(monkeypatch, windows, recorder, {})
    windows.flush_dns_cache()  # must not raise
    assert len(recorder.calls) == 1


def test_windows_nonzero_exit_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(lambda argv: 1)
    install(monkeypatch, windows, recorder, {})
    windows.flush_dns_cache()
    assert len(recorder.calls) == 1


# --- Linux --------------------------------------------------------------------------------


def test_linux_uses_resolvectl_when_systemd_resolved_is_active(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder()
    install(monkeypatch, linux, recorder, {
        "systemctl": "/usr/bin/systemctl", "resolvectl": "/usr/bin/resolvectl",
        "nscd": "/usr/sbin/nscd"})
    linux.flush_dns_cache()
    assert recorder.calls == [
        ["/usr/bin/systemctl", "is-active", "--quiet", "systemd-resolved.service"],
        ["/usr/bin/resolvectl", "flush-caches"],
    ]


def test_linux_uses_nscd_when_resolved_is_not_running(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(lambda argv: 3 if "is-active" in argv else 0)
    install(monkeypatch, linux, recorder, {
        "systemctl": "/usr/bin/systemctl", "resolvectl": "/usr/bin/resolvectl",
        "nscd": "/usr/sbin/nscd"})
    monkeypatch.setattr(os.path, "exists", lambda path: path == "/run/nscd/socket")
    linux.flush_dns_cache()
    assert recorder.calls[-1] == ["/usr/sbin/nscd", "-i", "hosts"]


def test_linux_without_a_caching_resolver_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(lambda argv: 3)
    install(monkeypatch, linux, recorder, {"systemctl": "/usr/bin/systemctl"})
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    linux.flush_dns_cache()
    assert recorder.calls == [
        ["/usr/bin/systemctl", "is-active", "--quiet", "systemd-resolved.service"]
    ]


def test_linux_older_systemd_uses_systemd_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    install(monkeypatch, linux, recorder, {
        "systemctl": "/bin/systemctl", "systemd-resolve": "/usr/bin/systemd-resolve"})
    linux.flush_dns_cache()
    assert recorder.calls[-1] == ["/usr/bin/systemd-resolve", "--flush-caches"]


def test_linux_tool_errors_never_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(argv: list[str]) -> int:
        raise PermissionError(13, "denied")

    recorder = Recorder(fail)
    install(monkeypatch, linux, recorder, {
        "systemctl": "/usr/bin/systemctl", "resolvectl": "/usr/bin/resolvectl"})
    monkeypatch.setattr(os.path, "exists", lambda path: False)
    linux.flush_dns_cache()  # must not raise
    assert recorder.calls == [
        ["/usr/bin/systemctl", "is-active", "--quiet", "systemd-resolved.service"]
    ]


def test_linux_without_systemctl_looks_for_resolved_run_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = Recorder()
    install(monkeypatch, linux, recorder, {"resolvectl": "/usr/bin/resolvectl"})
    monkeypatch.setattr(os.path, "isdir", lambda path: path == "/run/systemd/resolve")
    linux.flush_dns_cache()
    assert recorder.calls == [["/usr/bin/resolvectl", "flush-caches"]]
