"""helper link."""
