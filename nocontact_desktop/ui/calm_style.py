"""Colours and type for the windows of hard moments: calm, legible, large, never red."""

from __future__ import annotations

from nocontact_desktop.ui.qt import Qt, QtCore, QtGui, QtWidgets

PAPER = "#f5f2ec"  # warm off-white background
CARD = "#fffdf9"
INK = "#263238"  # dark slate text: high contrast without pure black
MUTED = "#5b676a"
LINE = "#ddd6ca"
GREEN = "#2f6f62"  # the app's green (tray icon)
GREEN_SOFT = "#d6e7e0"
GREEN_MID = "#7fb3a3"
SAND = "#d9a94f"  # slips: warm, not alarming
SAND_SOFT = "#f3e3c2"
UNTRACKED = "#e6e1d8"
PULL = "#5b5f97"  # check-in strength: a quiet indigo
PULL_SOFT = "#c9c8e4"

BASE_PX = 16
HEADING_PX = 24
TIMER_PX = 54


def color(name: str) -> QtGui.QColor:
    """A QColor of one of the names above."""
    return QtGui.QColor(name)


STYLE_SHEET = f"""
QWidget#calmRoot, QDialog#calmRoot {{ background: {PAPER}; color: {INK}; }}
#calmRoot QLabel {{ color: {INK}; font-size: {BASE_PX}px; }}
#calmRoot QLabel[role="heading"] {{ font-size: {HEADING_PX}px; font-weight: 600; }}
#calmRoot QLabel[role="lead"] {{ font-size: {BASE_PX + 2}px; }}
#calmRoot QLabel[role="muted"] {{ color: {MUTED}; font-size: {BASE_PX - 1}px; }}
#calmRoot QLabel[role="timer"] {{ font-size: {TIMER_PX}px; }}
#calmRoot QLabel[role="banner"] {{
    background: {GREEN_SOFT}; border-radius: 10px; padding: 12px 16px;
    font-size: {BASE_PX + 1}px;
}}
#calmRoot QLabel[role="bignumber"] {{ font-size: 34px; font-weight: 600; color: {GREEN}; }}
#calmRoot QLabel[role="hero"] {{ font-size: 88px; font-weight: 600; color: {GREEN}; }}
#calmRoot QToolButton {{
    background: {CARD}; border: 1px solid {LINE}; border-radius: 10px; padding: 8px;
    font-size: {BASE_PX - 1}px; color: {INK};
}}
#calmRoot QToolButton:checked {{ background: {GREEN_SOFT}; border: 2px solid {GREEN}; }}
#calmRoot QProgressBar {{ background: {UNTRACKED}; border: none; border-radius: 5px; }}
#calmRoot QProgressBar::chunk {{ background: {GREEN_MID}; border-radius: 5px; }}
#calmRoot QListWidget#nav {{
    background: {CARD}; border: none; border-right: 1px solid {LINE};
    font-size: {BASE_PX + 1}px; padding: 14px 8px; outline: none;
}}
#calmRoot QListWidget#nav::item {{ padding: 10px 14px; border-radius: 8px; color: {INK}; }}
#calmRoot QListWidget#nav::item:selected {{ background: {GREEN_SOFT}; color: {INK}; }}
#calmRoot QGroupBox {{
    font-size: {BASE_PX}px; font-weight: 600; color: {INK};
    border: 1px solid {LINE}; border-radius: 10px; margin-top: 14px; padding: 12px;
    background: {CARD};
}}
#calmRoot QGroupBox::title {{ subcontrol-origin: margin; left: 12px; padding: 0 4px; }}
#calmRoot QTreeWidget {{
    background: {CARD}; border: 1px solid {LINE}; border-radius: 8px; font-size: {BASE_PX}px;
}}
#calmRoot QFrame[role="card"] {{
    background: {CARD}; border: 1px solid {LINE}; border-radius: 10px;
}}
#calmRoot QListWidget#steps {{
    background: transparent; border: none; font-size: {BASE_PX + 1}px; outline: none;
}}
#calmRoot QListWidget#steps::item {{ padding: 10px 12px; border-radius: 8px; color: {INK}; }}
#calmRoot QListWidget#steps::item:selected {{ background: {GREEN_SOFT}; color: {INK}; }}
#calmRoot QPushButton {{
    font-size: {BASE_PX}px; padding: 8px 16px; border-radius: 8px;
    border: 1px solid {LINE}; background: {CARD}; color: {INK};
}}
#calmRoot QPushButton:hover {{ border-color: {GREEN_MID}; }}
#calmRoot QPushButton:disabled {{ color: {MUTED}; background: {PAPER}; }}
#calmRoot QPushButton[role="primary"] {{
    background: {GREEN}; color: white; border: none; font-weight: 600;
    padding: 12px 28px; font-size: {BASE_PX + 2}px;
}}
#calmRoot QPushButton[role="primary"]:hover {{ background: #285f54; }}
#calmRoot QPushButton[role="quiet"] {{ background: transparent; border: 1px solid {LINE}; }}
#calmRoot QPlainTextEdit, #calmRoot QLineEdit {{
    font-size: {BASE_PX}px; background: {CARD}; color: {INK};
    border: 1px solid {LINE}; border-radius: 8px; padding: 6px;
}}
#calmRoot QSpinBox, #calmRoot QComboBox, #calmRoot QTimeEdit {{
    font-size: {BASE_PX}px; min-height: 28px;
}}
#calmRoot QRadioButton, #calmRoot QCheckBox {{
    font-size: {BASE_PX}px; color: {INK}; spacing: 10px;
}}
#calmRoot QScrollArea {{ background: transparent; border: none; }}
#calmRoot QScrollArea > QWidget > QWidget {{ background: transparent; }}
#calmRoot QScrollBar:vertical {{ background: transparent; width: 10px; margin: 0; }}
#calmRoot QScrollBar::handle:vertical {{
    background: {LINE}; border-radius: 5px; min-height: 30px;
}}
#calmRoot QScrollBar::add-line, #calmRoot QScrollBar::sub-line {{ height: 0; width: 0; }}
#calmRoot QScrollBar::add-page, #calmRoot QScrollBar::sub-page {{ background: transparent; }}
"""


def calm(widget: QtWidgets.QWidget) -> None:
    """Give a top-level window the calm look (its children inherit it)."""
    widget.setObjectName("calmRoot")
    widget.setStyleSheet(STYLE_SHEET)


def role(widget: QtWidgets.QWidget, name: str) -> None:
    """Tag a widget with a style role (heading, muted, primary, card …)."""
    widget.setProperty("role", name)


def label(text: str, role_name: str | None = None, *, wrap: bool = True) -> QtWidgets.QLabel:
    """A plain-text label (never rich text: it may hold what the person wrote)."""
    widget = QtWidgets.QLabel(text)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    widget.setWordWrap(wrap)
    if role_name is not None:
        role(widget, role_name)
    return widget


def card() -> tuple[QtWidgets.QFrame, QtWidgets.QVBoxLayout]:
    """A rounded card and its layout."""
    frame = QtWidgets.QFrame()
    role(frame, "card")
    layout = QtWidgets.QVBoxLayout(frame)
    layout.setContentsMargins(16, 12, 16, 12)
    return frame, layout


def scrolling(inner: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """``inner`` in a frameless vertical scroll area (a small screen never hides a control)."""
    area = QtWidgets.QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    area.setWidget(inner)
    return area


def bring_to_front(window: QtWidgets.QWidget) -> None:
    """Show, un-minimise, raise and focus a top-level window."""
    window.show()
    window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    # Headless platforms (offscreen, minimal) have no stacking and warn on raise().
    if QtGui.QGuiApplication.platformName() not in ("offscreen", "minimal"):
        window.raise_()
        window.activateWindow()


def fit_to_screen(
    window: QtWidgets.QWidget, width: int, height: int, available: QtCore.QRect | None = None
) -> None:
    """Size ``window`` to ``width``×``height`` or less, so it fits the screen with its frame.

    On a 1280×720 laptop a 760-px window would put its buttons off-screen.
    """
    if available is None:
        screen = window.screen() or QtGui.QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
    if available is not None:
        width = min(width, available.width() - 40)
        height = min(height, available.height() - 60)  # title bar and panel
    window.resize(width, height)


class _EscapeCloses(QtCore.QObject):
    """Closes its window on an Esc that no child used (a key event travels up to the window)."""

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if (
            event.type() == QtCore.QEvent.Type.KeyPress
            and isinstance(event, QtGui.QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
            and isinstance(watched, QtWidgets.QWidget)
        ):
            watched.close()
            return True
        return False


def close_on_escape(window: QtWidgets.QWidget) -> None:
    """Esc closes this secondary window, as it closes a dialog."""
    closer = _EscapeCloses(window)
    window.installEventFilter(closer)
