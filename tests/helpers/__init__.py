"""Small fakes and fixtures shared by the test folders (as in qutebrowser's tests/helpers)."""
