"""Use 3, the PGM drawing: :mod:`.layout` places the nodes (plain data),
:mod:`.render` draws them with daft."""

from .._lazy import load_on_first_use

__all__ = ["layout", "render"]

__getattr__ = load_on_first_use(__name__, __all__)  # submodules load on first use
