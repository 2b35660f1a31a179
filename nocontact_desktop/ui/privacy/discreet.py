"""Discreet mode in the UI: the neutral face, window titles, and one app-wide event filter.

:class:`Discretion` reads the person's choice from the store (raw values, no settings module:
the tray icon is drawn with it before anything else loads) and answers every revealing text
through :func:`nocontact_desktop.core.privacy.discretion.text`. While discreet — chosen, or
for a while after a quick exit — every top-level window is titled with the face's name,
whatever it was titled by its own code; leaving discreet mode gives each window its own title
back.

:class:`PrivacyFilter` is the one event filter on the application: it keeps titles neutral as
windows appear, counts Esc presses for the quick exit, and notes activity for the idle lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol

from nocontact_desktop.core.privacy.discretion import (
    DEFAULT_FACE,
    DISCREET_KEY,
    FACE_KEY,
    FACES,
    QUICK_EXIT_PRESSES,
    QUICK_EXIT_SECONDS,
    QUICK_EXIT_SHORTCUT,
    SHOW_DAY_KEY,
    EntryText,
    entry_text,
    face,
    text,
)
from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets, Signal

PLAIN_TITLE_PROPERTY: Final = "ncPlainTitle"


class RawSettings(Protocol):
    """The store's settings table (read without the typed table: it loads at start-up)."""

    def setting(self, key: str, default: Any = None) -> Any:
        """A stored JSON value, or ``default``."""
        ...


class Discretion(QtCore.QObject):
    """Whether the app shows its neutral face now, and every text it shows either way."""

    changed = Signal()

    def __init__(self, settings: RawSettings, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self.hidden = False  # after a quick exit, until the person opens a window again
        self._retitling = False
        self._chosen = False
        self._face_key = DEFAULT_FACE
        self._show_day = False
        self.reload()

    # -- what the person chose --------------------------------------------------------------

    def reload(self) -> bool:
        """Read the choice again (the Settings page or the command line changed it); True if
        anything changed. The values are kept in memory: the event filter never reads the
        store (which may be closed by then, after erase-all)."""
        face_key = self._settings.setting(FACE_KEY, DEFAULT_FACE)
        values = (
            self._settings.setting(DISCREET_KEY, False) is True,
            face_key if face_key in {f.key for f in FACES} else DEFAULT_FACE,
            self._settings.setting(SHOW_DAY_KEY, False) is True,
        )
        changed = values != (self._chosen, self._face_key, self._show_day)
        self._chosen, self._face_key, self._show_day = values
        return changed

    @property
    def chosen(self) -> bool:
        """Discreet mode as set (``nocontact settings set discreet true``)."""
        return self._chosen

    @property
    def discreet(self) -> bool:
        """Whether the neutral face shows now: chosen, or after a quick exit."""
        return self.chosen or self.hidden

    @property
    def face_key(self) -> str:
        """The neutral face picked (notes, weather, planner)."""
        return self._face_key

    @property
    def face_name(self) -> str:
        """The neutral name (“Notes”)."""
        return face(self.face_key).name

    @property
    def show_day(self) -> bool:
        """Whether the neutral icon carries the day number (off unless asked for)."""
        return self._show_day

    def text(self, key: str, **fields: object) -> str:
        """The text for ``key`` in the current mode."""
        return text(key, discreet=self.discreet, face_key=self.face_key, **fields)

    def entry(self) -> EntryText:
        """The login entry's text as *chosen* (a quick exit does not rewrite files)."""
        return entry_text(discreet=self.chosen, face_key=self.face_key)

    def set_hidden(self, hidden: bool) -> None:
        """A quick exit (True) or the person opening the app again (False)."""
        if hidden != self.hidden:
            self.hidden = hidden
            self.changed.emit()

    # -- windows ----------------------------------------------------------------------------

    def retitle(self, window: QtWidgets.QWidget) -> None:
        """Give a top-level window the title this mode wants."""
        if self._retitling or not window.isWindow() or is_tray_icon(window):
            return
        self._retitling = True
        try:
            current = window.windowTitle()
            if self.discreet:
                if current != self.face_name:
                    window.setProperty(PLAIN_TITLE_PROPERTY, current)
                    window.setWindowTitle(self.face_name)
            else:
                plain = window.property(PLAIN_TITLE_PROPERTY)
                if isinstance(plain, str):
                    window.setProperty(PLAIN_TITLE_PROPERTY, None)
                    if current in {f.name for f in FACES}:
                        window.setWindowTitle(plain)
        finally:
            self._retitling = False

    def retitle_all(self) -> None:
        """Every top-level window, after the mode changed."""
        for window in QtWidgets.QApplication.topLevelWidgets():
            self.retitle(window)

    def apply_app_name(self) -> None:
        """The application's name (notifications and the window class use it)."""
        QtCore.QCoreApplication.setApplicationName(self.text("app.name"))


_TRAY_ICON_CLASSES: Final = frozenset({"QSystemTrayIconSys"})


def is_tray_icon(widget: QtWidgets.QWidget) -> bool:
    """Whether ``widget`` is the tray icon itself (an embedded window on X11): it stays."""
    return widget.metaObject().className() in _TRAY_ICON_CLASSES


def hide_every_window(keep: QtWidgets.QWidget | None = None) -> list[QtWidgets.QWidget]:
    """Hide every visible top-level window (dialogs, menus, notification balloons too) but
    the tray icon and ``keep``; returns them."""
    hidden = []
    for window in QtWidgets.QApplication.topLevelWidgets():
        if window.isVisible() and window is not keep and not is_tray_icon(window):
            window.hide()
            hidden.append(window)
    QtWidgets.QToolTip.hideText()
    return hidden


class EscapeCounter:
    """Esc pressed :data:`QUICK_EXIT_PRESSES` times within :data:`QUICK_EXIT_SECONDS`."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self._monotonic = monotonic
        self._presses: list[float] = []

    def press(self) -> bool:
        """One Esc; True when it completes the quick exit (the count starts over then)."""
        now = self._monotonic()
        self._presses = [t for t in self._presses if now - t <= QUICK_EXIT_SECONDS]
        self._presses.append(now)
        if len(self._presses) >= QUICK_EXIT_PRESSES:
            self._presses.clear()
            return True
        return False


_ACTIVITY_EVENTS: Final = frozenset(
    {
        QtCore.QEvent.Type.KeyPress,
        QtCore.QEvent.Type.MouseButtonPress,
        QtCore.QEvent.Type.Wheel,
    }
)
_TITLE_EVENTS: Final = frozenset({QtCore.QEvent.Type.Show, QtCore.QEvent.Type.WindowTitleChange})


class PrivacyFilter(QtCore.QObject):
    """The app-wide event filter: neutral titles, the quick exit, activity for the idle lock.

    A key press reaches the filter once on its way to the window (a ``QWindow``) and again
    for each widget it passes; only the first is counted.
    """

    quick_exit = Signal()
    activity = Signal()

    def __init__(
        self,
        discretion: Discretion,
        monotonic: Callable[[], float],
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._discretion = discretion
        self._escapes = EscapeCounter(monotonic)
        self._shortcut = QtGui.QKeySequence(QUICK_EXIT_SHORTCUT)
        self._installed = False

    def install(self) -> None:
        """Watch every event of the application (once; again after :meth:`uninstall`)."""
        app = QtCore.QCoreApplication.instance()
        if app is not None and not self._installed:
            app.installEventFilter(self)
            self._installed = True

    def uninstall(self) -> None:
        """Stop watching (the tray app stops using its store)."""
        app = QtCore.QCoreApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self._installed = False

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        kind = event.type()
        if kind in _TITLE_EVENTS:
            if isinstance(watched, QtWidgets.QWidget) and watched.isWindow():
                self._discretion.retitle(watched)
            return False
        if kind not in _ACTIVITY_EVENTS or not isinstance(watched, QtGui.QWindow):
            return False
        self.activity.emit()
        if kind == QtCore.QEvent.Type.KeyPress and isinstance(event, QtGui.QKeyEvent):
            return self._key(event)
        return False

    def _key(self, event: QtGui.QKeyEvent) -> bool:
        if event.isAutoRepeat():
            return False
        combination = QtGui.QKeySequence(event.keyCombination())
        if combination.matches(self._shortcut) == QtGui.QKeySequence.SequenceMatch.ExactMatch:
            self.quick_exit.emit()
            return True
        if event.key() == Qt.Key.Key_Escape and event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ) and self._escapes.press():
            self.quick_exit.emit()
            return True
        return False
