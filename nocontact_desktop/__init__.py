"""No Contact: a tray app that helps a person keep no contact after a relationship ends."""

__version__ = "0.1.0"
