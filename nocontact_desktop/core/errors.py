"""Errors the core raises; the CLI maps them to exit codes (DESIGN §9)."""

from __future__ import annotations


class BadInput(ValueError):
    """Input from the user or a file that we refuse; the message names the input and why.

    The CLI prints ``str(error)`` as its one line on stderr and exits with code 2.
    Raising it must always happen before anything is changed on disk.
    """


class KeyUnavailable(Exception):
    """The key for this data cannot be had right now; the message says why and what to do."""


class HelperServiceError(RuntimeError):
    """The helper service cannot be installed, removed or queried here (the message says why).

    Raised by the platforms' ``install_helper`` / ``uninstall_helper``; the CLI prints it and
    exits with code 1.
    """
