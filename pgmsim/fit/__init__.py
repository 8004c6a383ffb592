"""Use 4, posterior inference: the density (:mod:`.posterior`), where walkers
start (:mod:`.initialization`), MAP and grids (:mod:`.optimize`), emcee runs
(:mod:`.sampling`; batches on threads, :mod:`.parallel`, or processes,
:mod:`.pools`), checkpoints (:mod:`.backends`), their
results (:mod:`.results`), the results store of many fits (:mod:`.store`) and
convergence checks (:mod:`.diagnostics`)."""

from .._lazy import load_on_first_use

__all__ = ["posterior", "initialization", "optimize", "sampling", "parallel", "pools",
           "backends", "results", "diagnostics", "store"]

__getattr__ = load_on_first_use(__name__, __all__)  # submodules load on first use
