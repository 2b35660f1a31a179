"""The tray icon: the day count drawn on the icon itself, legible from 16 px up."""

from __future__ import annotations

from nocontact_desktop.ui.qt import Qt, QtCore, QtGui

ICON_SIZES = (16, 20, 22, 24, 32, 48, 64)
_BACKGROUND = QtGui.QColor("#2f6f62")  # calm deep green: visible on light and dark panels
_FOREGROUND = QtGui.QColor("#ffffff")


def _label(days: int) -> str:
    if days < 1000:
        return str(days)
    if days < 10_000:
        return f"{days // 365}y"  # four digits are unreadable at 16 px: show years instead
    return "∞"


def render_day_pixmap(days: int, size: int) -> QtGui.QPixmap:
    """A square pixmap with ``days`` in white on a rounded green square."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    try:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BACKGROUND)
        radius = size * 0.22
        painter.drawRoundedRect(QtCore.QRectF(0, 0, size, size), radius, radius)
        text = _label(days)
        font = QtGui.QFont()
        font.setBold(True)
        # Fill the square: fewer digits, bigger type. Pixel sizes keep it exact at any DPI.
        fill = {1: 0.78, 2: 0.70, 3: 0.52}.get(len(text), 0.45)
        font.setPixelSize(max(7, int(size * fill)))
        metrics = QtGui.QFontMetricsF(font)
        width = metrics.horizontalAdvance(text)
        if width > size * 0.94:  # condense rather than clip
            font.setStretch(max(50, int(100 * size * 0.94 / width)))
        painter.setFont(font)
        painter.setPen(_FOREGROUND)
        painter.drawText(QtCore.QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, text)
    finally:
        painter.end()
    return pixmap


def day_icon(days: int) -> QtGui.QIcon:
    """An icon with a pixmap per common tray size, so no size is ever scaled blurry."""
    icon = QtGui.QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(render_day_pixmap(days, size))
    return icon


_app_icon: QtGui.QIcon | None = None


def app_icon() -> QtGui.QIcon:
    """The neutral app icon (windows, notifications): a leaf-green square with a heart.

    Drawn once per process: the tray start asks for it twice before the icon shows.
    """
    global _app_icon
    if _app_icon is None:
        _app_icon = _draw_app_icon()
    return _app_icon


def _draw_app_icon() -> QtGui.QIcon:
    icon = QtGui.QIcon()
    for size in ICON_SIZES:
        pixmap = QtGui.QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QtGui.QPainter(pixmap)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_BACKGROUND)
        painter.drawRoundedRect(QtCore.QRectF(0, 0, size, size), size * 0.22, size * 0.22)
        font = QtGui.QFont()
        font.setPixelSize(max(7, int(size * 0.7)))
        painter.setFont(font)
        painter.setPen(_FOREGROUND)
        painter.drawText(QtCore.QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, "♡")
        painter.end()
        icon.addPixmap(pixmap)
    return icon


# -- neutral faces (discreet mode, issue 14) -------------------------------------------------
# Plain looks that say nothing about the app: a note pad, a weather glyph, a calendar page.
# The day number appears only when the person asked for it (on the planner it reads as a date).

_NOTE_PAPER = QtGui.QColor("#f6d86b")
_NOTE_LINES = QtGui.QColor("#a8893a")
_SKY = QtGui.QColor("#5b9bd5")
_SUN = QtGui.QColor("#ffcc33")
_CLOUD = QtGui.QColor("#ffffff")
_CAL_BODY = QtGui.QColor("#ffffff")
_CAL_TOP = QtGui.QColor("#4a74b5")
_CAL_INK = QtGui.QColor("#33414e")


def _number_font(text: str, size: float, box_width: float) -> QtGui.QFont:
    font = QtGui.QFont()
    font.setBold(True)
    fill = {1: 0.62, 2: 0.56, 3: 0.42}.get(len(text), 0.36)
    font.setPixelSize(max(6, int(size * fill)))
    width = QtGui.QFontMetricsF(font).horizontalAdvance(text)
    if width > box_width:
        font.setStretch(max(50, int(100 * box_width / width)))
    return font


def _draw_notes(painter: QtGui.QPainter, size: int, days: int | None) -> None:
    s = float(size)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(_NOTE_PAPER)
    painter.drawRoundedRect(QtCore.QRectF(s * 0.08, s * 0.04, s * 0.84, s * 0.92), s * 0.1, s * 0.1)
    if days is None:
        pen = QtGui.QPen(_NOTE_LINES)
        pen.setWidthF(max(1.0, s * 0.07))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        for row in (0.3, 0.5, 0.7):
            painter.drawLine(QtCore.QPointF(s * 0.24, s * row), QtCore.QPointF(s * 0.76, s * row))
        return
    text = _label(days)
    painter.setFont(_number_font(text, s, s * 0.78))
    painter.setPen(_CAL_INK)
    painter.drawText(QtCore.QRectF(0, 0, s, s), Qt.AlignmentFlag.AlignCenter, text)


def _draw_weather(painter: QtGui.QPainter, size: int, days: int | None) -> None:
    s = float(size)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(_SKY)
    painter.drawRoundedRect(QtCore.QRectF(0, 0, s, s), s * 0.22, s * 0.22)
    painter.setBrush(_SUN)
    painter.drawEllipse(QtCore.QRectF(s * 0.14, s * 0.12, s * 0.46, s * 0.46))
    painter.setBrush(_CLOUD)
    painter.drawEllipse(QtCore.QRectF(s * 0.3, s * 0.4, s * 0.36, s * 0.34))
    painter.drawEllipse(QtCore.QRectF(s * 0.5, s * 0.34, s * 0.36, s * 0.4))
    base = QtCore.QRectF(s * 0.2, s * 0.56, s * 0.68, s * 0.26)
    painter.drawRoundedRect(base, s * 0.13, s * 0.13)
    if days is not None:
        text = _label(days)
        painter.setFont(_number_font(text, s * 0.7, s * 0.6))
        painter.setPen(_CAL_INK)
        painter.drawText(QtCore.QRectF(s * 0.2, s * 0.44, s * 0.68, s * 0.4),
                         Qt.AlignmentFlag.AlignCenter, text)


def _draw_planner(painter: QtGui.QPainter, size: int, days: int | None) -> None:
    s = float(size)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(_CAL_BODY)
    body = QtCore.QRectF(s * 0.06, s * 0.1, s * 0.88, s * 0.86)
    painter.drawRoundedRect(body, s * 0.12, s * 0.12)
    painter.setBrush(_CAL_TOP)
    top = QtCore.QRectF(s * 0.06, s * 0.1, s * 0.88, s * 0.26)
    painter.drawRoundedRect(top, s * 0.12, s * 0.12)
    painter.drawRect(QtCore.QRectF(s * 0.06, s * 0.24, s * 0.88, s * 0.12))
    if days is None:
        painter.setBrush(_CAL_TOP)
        dot = max(1.5, s * 0.1)
        for row in (0.5, 0.72):
            for column in (0.24, 0.45, 0.66):
                painter.drawRect(QtCore.QRectF(s * column, s * row, dot, dot))
        return
    text = _label(days)
    painter.setFont(_number_font(text, s * 0.9, s * 0.8))
    painter.setPen(_CAL_INK)
    painter.drawText(QtCore.QRectF(s * 0.06, s * 0.36, s * 0.88, s * 0.6),
                     Qt.AlignmentFlag.AlignCenter, text)


_FACE_PAINTERS = {"notes": _draw_notes, "weather": _draw_weather, "planner": _draw_planner}


def render_face_pixmap(face_key: str, size: int, days: int | None = None) -> QtGui.QPixmap:
    """The neutral face ``face_key`` at ``size`` px; ``days`` drawn only when given."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    try:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
        _FACE_PAINTERS.get(face_key, _draw_notes)(painter, size, days)
    finally:
        painter.end()
    return pixmap


def face_icon(face_key: str, days: int | None = None) -> QtGui.QIcon:
    """The neutral face as an icon with a pixmap per tray size."""
    icon = QtGui.QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(render_face_pixmap(face_key, size, days))
    return icon
