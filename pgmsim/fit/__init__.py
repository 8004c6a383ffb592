"""Use 4, posterior inference: the density (:mod:`.posterior`), where walkers
start (:mod:`.initialization`), MAP and grids (:mod:`.optimize`), emcee runs
(:mod:`.sampling`, :mod:`.parallel`), checkpoints (:mod:`.backends`) and their
results (:mod:`.results`)."""

import importlib

__all__ = ["posterior", "initialization", "optimize", "sampling", "parallel", "backends",
           "results"]


def __getattr__(name):
    if name in __all__:  # PEP 562: a submodule loads on first use
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
