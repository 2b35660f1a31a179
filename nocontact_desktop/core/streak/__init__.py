"""streak."""
