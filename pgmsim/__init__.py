"""pgmsim: probabilistic graphical models, declared once, then simulated,
written out, drawn and fitted.

One graph, four uses: :meth:`Model.simulate`, :meth:`Model.factorization`,
:meth:`Model.render` and :meth:`Model.posterior` with :func:`sample`.

The subpackages (:mod:`.graph`, :mod:`.distributions`, :mod:`.simulate`,
:mod:`.factorize`, :mod:`.draw`, :mod:`.fit`, :mod:`.validate`, :mod:`.astro`,
:mod:`.models`, :mod:`.cli`) are attributes of the package, loaded on first
use, so that ``import pgmsim`` stays quick: matplotlib, corner, daft and
astropy load only when a drawing, a plot, a table or FITS input is asked for.

Examples
--------
>>> import pgmsim as pg
>>> "astro" in dir(pg) and "astro" in pg.__all__
True
>>> pg.astro.io.__name__
'pgmsim.astro.io'
"""

from ._lazy import load_on_first_use
from . import distributions
from .distributions import (
    Bernoulli,
    BernoulliLogit,
    Beta,
    Binomial,
    Cauchy,
    Dirichlet,
    Distribution,
    Exponential,
    Flat,
    Gamma,
    HalfCauchy,
    HalfFlat,
    HalfNormal,
    ImproperPriorError,
    HalfStudentT,
    InverseGamma,
    JointDistribution,
    Laplace,
    LogNormal,
    LogUniform,
    MapPrior,
    Mixture,
    MultivariateDistribution,
    MultivariateNormal,
    NegativeBinomial,
    Normal,
    Poisson,
    StudentT,
    Truncated,
    UndefinedQuantityError,
    Uniform,
)
from .graph.model import Model, ModelError
from .graph.nodes import NodeKind
from .fit.optimize import MapResult
from .fit.posterior import Posterior
from .graph.checks import ModelWarning, NonFiniteError
from .fit.diagnostics import ConvergenceWarning
from .fit.results import SamplingResult
from .fit.sampling import sample

__version__ = "0.1.0"

__all__ = [
    "Model",
    "ModelError",
    "NodeKind",
    "Posterior",
    "MapResult",
    "NonFiniteError",
    "ModelWarning",
    "SamplingResult",
    "ConvergenceWarning",
    "sample",
    "sbc",
    "SBCResult",
    "fit_many",
    "nested",
    "NestedResult",
    "compare",
    *distributions.__all__,
]

#: subpackages and modules, imported on first attribute access (PEP 562)
_SUBMODULES = ("graph", "distributions", "simulate", "factorize", "draw", "fit", "validate",
              "astro", "models", "cli", "distributed")
__all__ += _SUBMODULES

#: public names imported on first access: calibration runs are not part of a
#: fit, and their module brings multiprocessing
_LAZY_NAMES = {"sbc": "validate.sbc", "SBCResult": "validate.sbc",
               "fit_many": "distributed", "nested": "fit.nested",
               "NestedResult": "fit.nested_result", "compare": "validate.compare"}

__getattr__ = load_on_first_use(__name__, _SUBMODULES, _LAZY_NAMES)


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | set(_LAZY_NAMES))
