"""Pure-Python core of No Contact: no Qt is imported anywhere below this package."""
