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


def app_icon() -> QtGui.QIcon:
    """The neutral app icon (windows, notifications): a leaf-green square with a heart."""
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
