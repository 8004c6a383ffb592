"""Priors and sampling distributions.

Each distribution holds its arguments, which are numbers or the names of other
nodes (``pg.Poisson("mu")``, ``pg.Normal("mu_pop", "sigma_pop")``). Densities are
written in plain numpy, fully normalised, vectorised by broadcasting, and return
``-inf`` (never NaN) outside the support.

:mod:`.base` holds the base class, :mod:`.moments` its mean, variance and
deviance, :mod:`.constraints` what arguments must satisfy (declared once per
class, checked for constants and for values known when a posterior is built),
:mod:`.continuous` and :mod:`.discrete` the distributions of one variable
(:mod:`.heavy_tailed` the weakly informative and robust ones, :mod:`.trials`
the binomial and Bernoulli),
:mod:`.joint` those of several variables (:class:`MapPrior`), :mod:`.multivariate`
those of vectors (:class:`MultivariateNormal`, :class:`Dirichlet`).
:mod:`.quantiles` gives the CDF and quantile function of a distribution of one
variable, on which :mod:`.truncated` builds (:class:`Truncated`);
:mod:`.mixture` holds :class:`Mixture`, :mod:`.improper` the improper
:class:`Flat` and :class:`HalfFlat` priors.
"""

from .base import Distribution, UndefinedQuantityError
from .continuous import Beta, Exponential, Gamma, HalfNormal, LogNormal, LogUniform, Normal, Uniform
from .discrete import NegativeBinomial, Poisson
from .heavy_tailed import Cauchy, HalfCauchy, HalfStudentT, InverseGamma, Laplace, StudentT
from .improper import Flat, HalfFlat, ImproperPriorError
from .joint import JointDistribution, MapPrior
from .mixture import Mixture
from .truncated import Truncated
from .trials import Bernoulli, BernoulliLogit, Binomial
from .multivariate import Dirichlet, MultivariateDistribution, MultivariateNormal

__all__ = [
    "Distribution",
    "UndefinedQuantityError",
    "Uniform",
    "LogUniform",
    "Normal",
    "LogNormal",
    "HalfNormal",
    "Exponential",
    "Gamma",
    "Beta",
    "InverseGamma",
    "StudentT",
    "Cauchy",
    "HalfCauchy",
    "HalfStudentT",
    "Laplace",
    "Poisson",
    "Binomial",
    "Bernoulli",
    "BernoulliLogit",
    "NegativeBinomial",
    "JointDistribution",
    "MapPrior",
    "MultivariateDistribution",
    "MultivariateNormal",
    "Dirichlet",
    "Truncated",
    "Mixture",
    "Flat",
    "HalfFlat",
    "ImproperPriorError",
]
