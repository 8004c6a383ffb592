"""Use 4, posterior inference: the density (:mod:`.posterior`), where walkers
start (:mod:`.initialization`), MAP and grids (:mod:`.optimize`), emcee runs
(:mod:`.sampling`; batches on threads, :mod:`.parallel`, or processes,
:mod:`.pools`), checkpoints (:mod:`.backends`), their
results (:mod:`.results`; their plots, :mod:`pgmsim.fit.plots` choosing with :mod:`.selection`;
in ArviZ and pandas, :mod:`.convert`, the pointwise log-likelihood and pickling of a
posterior, :mod:`.interchange`), the results store of many fits (:mod:`.store`) and
convergence checks (:mod:`.diagnostics`); evidence by nested sampling
(:mod:`.nested`, its result :mod:`.nested_result`, from prior transforms
:mod:`.prior_transform`)."""

from .._lazy import load_on_first_use

__all__ = ["posterior", "initialization", "optimize", "sampling", "parallel", "pools",
           "backends", "results", "plots", "selection", "convert", "interchange",
           "diagnostics", "store", "prior_transform", "nested",
           "nested_result"]

__getattr__ = load_on_first_use(__name__, __all__)  # submodules load on first use
