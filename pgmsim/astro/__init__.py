"""The astronomy toolbox beside the graph: FITS images and regions
(:mod:`.io`), the real data sets (:mod:`.datasets`), image statistics
(:mod:`.imagestats`), CCD calibration (:mod:`.calibration`), optimal
extraction (:mod:`.extraction`), radial profiles (:mod:`.profiles`) and
comparison figures (:mod:`pgmsim.astro.plots`)."""

from .._lazy import load_on_first_use

__all__ = ["io", "datasets", "imagestats", "calibration", "extraction", "profiles",
           "plots"]

__getattr__ = load_on_first_use(__name__, __all__)  # submodules load on first use
