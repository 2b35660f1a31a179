"""No Contact's tests: unit/, integration/, e2e/, and shared helpers/."""
