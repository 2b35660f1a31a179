"""helper package."""
