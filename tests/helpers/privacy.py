"""Scans for issue 14: what a person at the screen could read, and what must not be in it."""

from __future__ import annotations

from nocontact_desktop.core.privacy.discretion import revealing
from nocontact_desktop.ui.qt import QtWidgets

# The person's business in the scenarios: their ex's handle and personal sites, the counts.
PERSONAL = ("jordanreyes", "jordan-reyes", "jordanreyes.me", "@jordan")
DAYS_NOW = 30  # a milestone, so a notification is due
LONGEST = 57


def menu_texts(menu: QtWidgets.QMenu) -> list[str]:
    """Every item's text in a menu and its submenus (titles of submenus too)."""
    texts = [menu.title()] if menu.title() else []
    for action in menu.actions():
        if action.text():
            texts.append(action.text())
        sub = action.menu()
        if isinstance(sub, QtWidgets.QMenu):
            texts.extend(menu_texts(sub))
    return texts


def window_titles() -> dict[str, str]:
    """Title of every visible top-level window, keyed by its class."""
    return {
        f"{type(w).__name__}#{i}": w.windowTitle()
        for i, w in enumerate(QtWidgets.QApplication.topLevelWidgets())
        if w.isVisible() and not isinstance(w, QtWidgets.QMenu)
    }


def findings(texts: dict[str, str]) -> dict[str, list[str]]:
    """Each text that reveals something, with what it reveals."""
    found = {
        where: revealing(text, PERSONAL, (DAYS_NOW, LONGEST)) for where, text in texts.items()
    }
    return {where: what for where, what in found.items() if what}
