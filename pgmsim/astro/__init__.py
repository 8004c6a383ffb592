"""The astronomy toolbox beside the graph: FITS images and regions
(:mod:`.io`), the real data sets (:mod:`.datasets`), image statistics
(:mod:`.imagestats`), CCD calibration (:mod:`.calibration`), optimal
extraction (:mod:`.extraction`), radial profiles (:mod:`.profiles`) and
comparison figures (:mod:`.plots`)."""

import importlib

__all__ = ["io", "datasets", "imagestats", "calibration", "extraction", "profiles",
           "plots"]


def __getattr__(name):
    if name in __all__:  # PEP 562: a submodule loads on first use
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
