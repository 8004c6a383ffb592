"""Use 3, the PGM drawing: :mod:`.layout` places the nodes (plain data, in the
orders of :mod:`.ordering`, labels by :mod:`.labels`), :mod:`pgmsim.draw.checks` finds
its defects, :mod:`.repair` moves nodes until there are none,
:mod:`pgmsim.draw.fans` opens crowded fans of arrows, :mod:`.render` draws it
with daft and :mod:`.tikz` writes it as ``tikz-bayesnet`` source; :mod:`.gallery` declares classic PGMs to draw."""

from .._lazy import load_on_first_use

__all__ = ["checks", "fans", "gallery", "labels", "layout", "ordering", "render", "repair", "tikz"]

__getattr__ = load_on_first_use(__name__, __all__)  # submodules load on first use
