"""app gate."""
