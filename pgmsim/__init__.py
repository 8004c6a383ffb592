"""pgmsim: probabilistic graphical models, declared once, then simulated,
written out, drawn and fitted.

One graph, four uses: :meth:`Model.simulate`, :meth:`Model.factorization`,
:meth:`Model.render` and :meth:`Model.posterior` with :func:`sample`.
"""

from .distributions import (
    Beta,
    Distribution,
    Exponential,
    Gamma,
    HalfNormal,
    LogNormal,
    LogUniform,
    Normal,
    Poisson,
    Uniform,
)
from .distributions.joint import JointDistribution, MapPrior
from .graph.model import Model, ModelError
from .graph.nodes import NodeKind
from .fit.posterior import MapResult, NonFiniteError, Posterior
from .fit.results import SamplingResult
from .fit.sampling import sample
from .validate.sbc import SBCResult, sbc

__version__ = "0.1.0"

__all__ = [
    "Model",
    "ModelError",
    "NodeKind",
    "Posterior",
    "MapResult",
    "NonFiniteError",
    "SamplingResult",
    "sample",
    "sbc",
    "SBCResult",
    "Distribution",
    "Uniform",
    "LogUniform",
    "Normal",
    "LogNormal",
    "HalfNormal",
    "Exponential",
    "Gamma",
    "Beta",
    "Poisson",
    "JointDistribution",
    "MapPrior",
]
