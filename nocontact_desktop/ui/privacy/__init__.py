"""Discreet mode, quick exit and the app lock, as the windows and the tray see them (issue 14)."""
