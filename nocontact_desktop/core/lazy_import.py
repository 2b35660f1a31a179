"""A module bound to a name now and imported at its first use.

The app gate needs psutil; the helper, which imports some of the same modules, does not, and it
runs on the system's Python, which may not have psutil at all (``nocontact helper install``
copies only the helper's own modules). ``psutil = lazy_module("psutil")`` keeps the name usable
in ``except psutil.Error:`` clauses and calls, and imports psutil the first time an attribute is
read (``importlib.import_module``, which holds the import lock, so threads are safe).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyModule(ModuleType):
    def __getattr__(self, attribute: str) -> Any:
        module = importlib.import_module(self.__name__)
        value = getattr(module, attribute)
        setattr(self, attribute, value)  # later reads skip __getattr__
        return value


def lazy_module(name: str) -> Any:
    """A stand-in for module ``name`` that imports it when an attribute is first read."""
    return _LazyModule(name)
