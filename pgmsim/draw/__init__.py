"""Use 3, the PGM drawing: :mod:`.layout` places the nodes (plain data),
:mod:`.render` draws them with daft."""

import importlib

__all__ = ["layout", "render"]


def __getattr__(name):
    if name in __all__:  # PEP 562: a submodule loads on first use
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
