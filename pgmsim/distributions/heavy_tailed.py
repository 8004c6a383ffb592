"""Heavy-tailed distributions: weakly informative priors and robust likelihoods.

The Student t and the Cauchy (its case ``nu = 1``) with their halves on
``[0, inf)``, the usual weakly informative priors of scales (Gelman 2006), the
Laplace (double exponential) and the inverse gamma. Their tails fall as a
power of ``x`` (the Laplace: as ``exp(-|x|)``), so a few outlying data
points pull a robust likelihood much less than a Normal one.

Each defines the hooks ``_cdf(x, *params)`` and ``_ppf(q, *params)`` (the
inverse of the CDF), and ``_sf`` and ``_isf`` for the upper tail, on which
truncation builds. Moments that do not exist
(the Cauchy mean, a Student t variance for ``nu <= 2``) raise
:class:`~pgmsim.distributions.UndefinedQuantityError`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .base import Distribution
from .constraints import positive
from .moments import UndefinedQuantityError

__all__ = ["StudentT", "Cauchy", "HalfCauchy", "HalfStudentT", "Laplace", "InverseGamma"]

_LOG_2 = math.log(2.0)
_LOG_PI = math.log(math.pi)
# beyond this |t|, ln(1 + t**2) is 2 ln|t| to double precision; t * t itself
# overflows beyond 1e154
_SQUARE_NEGLIGIBLE = 1e100


def _log1p_square(t):
    """``ln(1 + t**2)``, finite for every finite ``t``.

    Examples
    --------
    >>> float(_log1p_square(1.0)), float(_log1p_square(1e200))   # 2 * 200 ln 10
    (0.6931471805599453, 921.0340371976183)
    """
    a = np.abs(t)
    big = a > _SQUARE_NEGLIGIBLE
    small = np.where(big, 0.0, a)
    return np.where(big, 2.0 * np.log(np.where(big, a, 1.0)), np.log1p(small * small))


def _log1p_square_scalar(t):
    """The one-point form of :func:`_log1p_square`, with :mod:`math`."""
    a = abs(t)
    return 2.0 * math.log(a) if a > _SQUARE_NEGLIGIBLE else math.log1p(a * a)


def _student_t(z, nu):
    """Log density of the standard Student t with ``nu`` degrees of freedom at ``z``.

    ``-ln B(nu/2, 1/2)`` rather than a difference of log-gammas: exact for large ``nu``.
    """
    return (-special.betaln(0.5 * nu, 0.5) - 0.5 * np.log(nu)
            - 0.5 * (nu + 1.0) * _log1p_square(z / np.sqrt(nu)))


def _student_t_scalar(z, nu):
    """The one-point form of :func:`_student_t`."""
    log_norm = math.lgamma(0.5 * (nu + 1.0)) - math.lgamma(0.5 * nu) - 0.5 * math.log(nu)
    return (log_norm - 0.5 * _LOG_PI
            - 0.5 * (nu + 1.0) * _log1p_square_scalar(z / math.sqrt(nu)))


def _draw_shape(size, *params):
    """The shape of the draws: ``size``, or that of the arguments broadcast."""
    return np.broadcast(*params).shape if size is None else size


def _require(dist, what, name, value, bound):
    """Raise UndefinedQuantityError unless every value of argument ``name`` is ``> bound``."""
    value = np.asarray(value)
    undefined = ~(value > bound)  # NaN too
    if np.any(undefined):
        raise UndefinedQuantityError(f"{type(dist).__name__} has no {what} for {name} <= "
                                     f"{bound:g}, got {name}={value[undefined].flat[0]:g}")


class StudentT(Distribution):
    r"""Student t distribution with ``nu`` degrees of freedom, location ``mu``, scale ``sigma``.

    A robust likelihood (outliers pull it little) and, with small ``nu``, a
    weakly informative prior; ``nu = 1`` is the Cauchy, and ``nu -> inf``
    the Normal. The mean ``mu`` exists for ``nu > 1``, the variance
    ``sigma**2 nu / (nu - 2)`` for ``nu > 2``.

    Parameters
    ----------
    nu : float or str
        Degrees of freedom, ``> 0``; a number or the name of a node.
    mu : float or str
        Location (the median); a number or the name of a node.
    sigma : float or str
        Scale, ``> 0``; a number or the name of a node.

    Examples
    --------
    >>> import pgmsim as pg
    >>> t = pg.StudentT(4, 0, 2)
    >>> t.latex(), round(float(t.logpdf(0.0)), 6), float(t.variance())
    ('\\mathrm{StudentT}(4, 0, 2)', -1.673976, 8.0)
    >>> pg.StudentT(2, 0, 1).variance()
    Traceback (most recent call last):
      ...
    pgmsim.distributions.moments.UndefinedQuantityError: StudentT has no finite variance for nu <= 2, got nu=2
    """

    arg_names = ("nu", "mu", "sigma")
    latex_name = r"\mathrm{StudentT}"
    checks_support = True
    arg_constraints = {"nu": positive, "sigma": positive}

    def _logpdf(self, x, nu, mu, sigma):
        out = _student_t((x - mu) / sigma, nu) - np.log(sigma)
        return np.where((nu > 0) & (sigma > 0) & np.isfinite(x), out, -np.inf)

    def _logpdf_scalar(self, x, nu, mu, sigma):
        if nu > 0 and sigma > 0 and math.isfinite(x):
            return _student_t_scalar((x - mu) / sigma, nu) - math.log(sigma)
        return -math.inf

    def _sample(self, rng, size, nu, mu, sigma):
        return mu + sigma * rng.standard_t(nu, _draw_shape(size, nu, mu, sigma))

    def _support(self, nu, mu, sigma):
        return (-np.inf, np.inf)

    def _cdf(self, x, nu, mu, sigma):
        return special.stdtr(nu, (x - mu) / sigma)

    def _ppf(self, q, nu, mu, sigma):
        return mu + sigma * special.stdtrit(nu, q)

    def _sf(self, x, nu, mu, sigma):
        return special.stdtr(nu, (mu - x) / sigma)

    def _isf(self, q, nu, mu, sigma):
        return mu - sigma * special.stdtrit(nu, q)

    def _typical(self, nu, mu, sigma):
        return mu + 0.0 * (nu + sigma)  # the median

    def _mean(self, nu, mu, sigma):
        _require(self, "mean", "nu", nu, 1.0)
        return self._typical(nu, mu, sigma)

    def _variance(self, nu, mu, sigma):
        _require(self, "finite variance", "nu", nu, 2.0)
        return sigma**2 * nu / (nu - 2.0) + 0.0 * mu


class HalfStudentT(Distribution):
    r"""Student t folded at 0: ``|t|`` with ``t ~ StudentT(nu, 0, sigma)``, on ``[0, inf)``.

    A weakly informative prior of a scale; ``nu = 1`` is the half-Cauchy.

    Parameters
    ----------
    nu : float or str
        Degrees of freedom, ``> 0``.
    sigma : float or str
        Scale, ``> 0``.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.HalfStudentT(3, 1.0).latex(), pg.HalfStudentT(3, 1.0).support()
    ('\\mathrm{StudentT}_{+}(3, 1)', (0.0, inf))
    """

    arg_names = ("nu", "sigma")
    latex_name = r"\mathrm{StudentT}_{+}"
    checks_support = True
    arg_constraints = {"nu": positive, "sigma": positive}

    def _logpdf(self, x, nu, sigma):
        out = _LOG_2 + _student_t(x / sigma, nu) - np.log(sigma)
        return np.where((x >= 0) & (nu > 0) & (sigma > 0) & np.isfinite(x), out, -np.inf)

    def _logpdf_scalar(self, x, nu, sigma):
        if x >= 0 and nu > 0 and sigma > 0 and math.isfinite(x):
            return _LOG_2 + _student_t_scalar(x / sigma, nu) - math.log(sigma)
        return -math.inf

    def _sample(self, rng, size, nu, sigma):
        return np.abs(sigma * rng.standard_t(nu, _draw_shape(size, nu, sigma)))

    def _support(self, nu, sigma):
        return (0.0, np.inf)

    # P(|t| <= z) is the incomplete beta function of z**2 / (nu + z**2): no
    # cancellation near 0 (as in 2 stdtr - 1), and its complement in the upper tail
    def _cdf(self, x, nu, sigma):
        u = np.square(np.maximum(x, 0.0) / sigma) / nu
        return special.betainc(0.5, 0.5 * nu, np.where(u < np.inf, u / (1.0 + u), 1.0))

    def _ppf(self, q, nu, sigma):
        w = special.betaincinv(0.5, 0.5 * nu, q)
        return sigma * np.sqrt(nu * w / (1.0 - w))

    def _sf(self, x, nu, sigma):
        u = np.square(np.maximum(x, 0.0) / sigma) / nu
        return special.betainc(0.5 * nu, 0.5, 1.0 / (1.0 + u))

    def _isf(self, q, nu, sigma):
        w = special.betaincinv(0.5 * nu, 0.5, q)
        return sigma * np.sqrt(nu * (1.0 - w) / w)

    def _typical(self, nu, sigma):
        return self._ppf(0.5, nu, sigma)  # the median

    def _mean(self, nu, sigma):
        _require(self, "mean", "nu", nu, 1.0)
        log_mean = (_LOG_2 + 0.5 * np.log(nu) - 0.5 * _LOG_PI + special.gammaln(0.5 * (nu + 1))
                    - special.gammaln(0.5 * nu) - np.log(nu - 1.0))
        return sigma * np.exp(log_mean)

    def _variance(self, nu, sigma):
        _require(self, "finite variance", "nu", nu, 2.0)
        return sigma**2 * nu / (nu - 2.0) - self._mean(nu, sigma) ** 2


class Cauchy(Distribution):
    r"""Cauchy (Lorentz) distribution with location ``mu`` and scale ``gamma``.

    The Student t with one degree of freedom: it has no mean and no variance
    (:meth:`mean` and :meth:`variance` raise).

    Parameters
    ----------
    mu : float or str
        Location (the median).
    gamma : float or str
        Scale (the half width at half maximum), ``> 0``.

    Examples
    --------
    >>> import pgmsim as pg
    >>> c = pg.Cauchy(0, 1)
    >>> c.text(), round(float(c.logpdf(0.0)), 6), float(c._ppf(0.75, 0.0, 1.0))
    ('Cauchy(0, 1)', -1.14473, 1.0)
    >>> c.mean()
    Traceback (most recent call last):
      ...
    pgmsim.distributions.moments.UndefinedQuantityError: Cauchy has no mean here: it defines no _mean
    """

    arg_names = ("mu", "gamma")
    latex_name = r"\mathrm{Cauchy}"
    checks_support = True
    arg_constraints = {"gamma": positive}

    def _logpdf(self, x, mu, gamma):
        out = -_LOG_PI - np.log(gamma) - _log1p_square((x - mu) / gamma)
        return np.where((gamma > 0) & np.isfinite(x), out, -np.inf)

    def _logpdf_scalar(self, x, mu, gamma):
        if gamma > 0 and math.isfinite(x):
            return -_LOG_PI - math.log(gamma) - _log1p_square_scalar((x - mu) / gamma)
        return -math.inf

    def _sample(self, rng, size, mu, gamma):
        return mu + gamma * rng.standard_cauchy(_draw_shape(size, mu, gamma))

    def _support(self, mu, gamma):
        return (-np.inf, np.inf)

    # arctan2(1, -z) / pi = 1/2 + arctan(z) / pi, without its cancellation in
    # the lower tail (and arctan2(1, z) / pi in the upper one)
    def _cdf(self, x, mu, gamma):
        return np.arctan2(1.0, (mu - x) / gamma) / np.pi

    def _ppf(self, q, mu, gamma):
        return mu - gamma / np.tan(np.pi * q)

    def _sf(self, x, mu, gamma):
        return np.arctan2(1.0, (x - mu) / gamma) / np.pi

    def _isf(self, q, mu, gamma):
        return mu + gamma / np.tan(np.pi * q)

    def _typical(self, mu, gamma):
        return mu + 0.0 * gamma  # the median


class HalfCauchy(Distribution):
    r"""Cauchy folded at 0, on ``[0, inf)``, with scale ``gamma``.

    The weakly informative prior of a group-level scale of Gelman (2006)
    (eight schools: ``tau ~ HalfCauchy(5)``). It has no mean.

    Parameters
    ----------
    gamma : float or str
        Scale, ``> 0``: the median.

    Examples
    --------
    >>> import pgmsim as pg
    >>> h = pg.HalfCauchy(5)
    >>> h.latex(), float(h._cdf(5.0, 5.0)), float(h._ppf(0.5, 5.0))
    ('\\mathrm{Cauchy}_{+}(5)', 0.5, 5.0)
    """

    arg_names = ("gamma",)
    latex_name = r"\mathrm{Cauchy}_{+}"
    checks_support = True
    arg_constraints = {"gamma": positive}

    def _logpdf(self, x, gamma):
        out = _LOG_2 - _LOG_PI - np.log(gamma) - _log1p_square(x / gamma)
        return np.where((x >= 0) & (gamma > 0) & np.isfinite(x), out, -np.inf)

    def _logpdf_scalar(self, x, gamma):
        if x >= 0 and gamma > 0 and math.isfinite(x):
            return _LOG_2 - _LOG_PI - math.log(gamma) - _log1p_square_scalar(x / gamma)
        return -math.inf

    def _sample(self, rng, size, gamma):
        return np.abs(gamma * rng.standard_cauchy(_draw_shape(size, gamma)))

    def _support(self, gamma):
        return (0.0, np.inf)

    def _cdf(self, x, gamma):
        return np.where(x > 0, 2.0 / np.pi * np.arctan(np.maximum(x, 0.0) / gamma), 0.0)

    def _ppf(self, q, gamma):
        return gamma * np.tan(0.5 * np.pi * q)

    def _sf(self, x, gamma):
        return 2.0 / np.pi * np.arctan2(gamma, np.maximum(x, 0.0))

    def _isf(self, q, gamma):
        return gamma / np.tan(0.5 * np.pi * q)

    def _typical(self, gamma):
        return gamma  # the median


def _log_tail_ratio(q):
    """The standard Laplace quantile: ``ln 2q`` below 1/2, ``-ln 2(1 - q)`` above.

    Examples
    --------
    >>> _log_tail_ratio(np.array([0.25, 0.5, 0.75]))
    array([-0.69314718,  0.        ,  0.69314718])
    """
    lower = q < 0.5
    return np.where(lower, np.log(2.0 * np.where(lower, q, 0.5)),
                    -np.log(2.0 * (1.0 - np.where(lower, 0.5, q))))


class Laplace(Distribution):
    r"""Laplace (double exponential) distribution with location ``mu`` and scale ``b``.

    The density is ``exp(-|x - mu| / b) / (2 b)``: the likelihood of a
    least-absolute-deviations fit, and the prior behind the lasso.

    Parameters
    ----------
    mu : float or str
        Location: mean and median.
    b : float or str
        Scale, ``> 0``; the variance is ``2 b**2``.

    Examples
    --------
    >>> import pgmsim as pg
    >>> lap = pg.Laplace(1.0, 2.0)
    >>> round(float(lap.logpdf(1.0)), 6), float(lap.variance()), float(lap._cdf(1.0, 1.0, 2.0))
    (-1.386294, 8.0, 0.5)
    """

    arg_names = ("mu", "b")
    latex_name = r"\mathrm{Laplace}"
    checks_support = True
    arg_constraints = {"b": positive}

    def _logpdf(self, x, mu, b):
        out = -np.abs(x - mu) / b - np.log(2.0 * b)
        return np.where((b > 0) & np.isfinite(x), out, -np.inf)

    def _logpdf_scalar(self, x, mu, b):
        if b > 0 and math.isfinite(x):
            return -abs(x - mu) / b - math.log(2.0 * b)
        return -math.inf

    def _sample(self, rng, size, mu, b):
        return rng.laplace(mu, b, size)

    def _support(self, mu, b):
        return (-np.inf, np.inf)

    def _cdf(self, x, mu, b):
        z = (x - mu) / b
        return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0.0)),
                        1.0 - 0.5 * np.exp(-np.maximum(z, 0.0)))

    def _ppf(self, q, mu, b):
        return mu + b * _log_tail_ratio(q)

    def _sf(self, x, mu, b):
        return self._cdf(2.0 * mu - x, mu, b)  # symmetric about mu

    def _isf(self, q, mu, b):
        return mu - b * _log_tail_ratio(q)

    def _mean(self, mu, b):
        return mu + 0.0 * b

    _typical = _mean

    def _variance(self, mu, b):
        return 2.0 * b**2 + 0.0 * mu


class InverseGamma(Distribution):
    r"""Inverse gamma distribution: ``1/x ~ Gamma(alpha, beta)`` (shape, rate).

    The conjugate prior of a Normal variance: with ``y_k ~ Normal(mu,
    sqrt(v))``, ``mu`` known, the posterior of ``v`` is ``InverseGamma(alpha
    + K/2, beta + sum (y - mu)**2 / 2)``. The mean ``beta / (alpha - 1)``
    exists for ``alpha > 1``, the variance for ``alpha > 2``.

    Parameters
    ----------
    alpha : float or str
        Shape, ``> 0``.
    beta : float or str
        Scale, ``> 0``.

    Examples
    --------
    >>> import pgmsim as pg
    >>> ig = pg.InverseGamma(3, 2)
    >>> ig.latex(), float(ig.mean()), float(ig.variance())
    ('\\Gamma^{-1}(3, 2)', 1.0, 1.0)
    """

    arg_names = ("alpha", "beta")
    latex_name = r"\Gamma^{-1}"
    checks_support = True
    arg_constraints = {"alpha": positive, "beta": positive}

    def _logpdf(self, x, alpha, beta):
        inside = (x > 0) & (alpha > 0) & (beta > 0) & np.isfinite(x)
        xs = np.where(inside, x, 1.0)
        out = alpha * np.log(beta) - (alpha + 1.0) * np.log(xs) - beta / xs
        return np.where(inside, out - special.gammaln(alpha), -np.inf)

    def _logpdf_scalar(self, x, alpha, beta):
        if x > 0 and alpha > 0 and beta > 0 and math.isfinite(x):
            return (alpha * math.log(beta) - (alpha + 1.0) * math.log(x) - beta / x
                    - math.lgamma(alpha))
        return -math.inf

    def _sample(self, rng, size, alpha, beta):
        return 1.0 / rng.gamma(alpha, 1.0 / np.asarray(beta), size)

    def _support(self, alpha, beta):
        return (0.0, np.inf)

    def _cdf(self, x, alpha, beta):
        return np.where(x > 0, special.gammaincc(alpha, beta / np.where(x > 0, x, 1.0)), 0.0)

    def _ppf(self, q, alpha, beta):
        return beta / special.gammainccinv(alpha, q)

    def _sf(self, x, alpha, beta):
        return np.where(x > 0, special.gammainc(alpha, beta / np.where(x > 0, x, 1.0)), 1.0)

    def _isf(self, q, alpha, beta):
        return beta / special.gammaincinv(alpha, q)

    def _typical(self, alpha, beta):
        return beta / (alpha + 1.0)  # the mode

    def _mean(self, alpha, beta):
        _require(self, "mean", "alpha", alpha, 1.0)
        return beta / (alpha - 1.0)

    def _variance(self, alpha, beta):
        _require(self, "finite variance", "alpha", alpha, 2.0)
        return beta**2 / ((alpha - 1.0) ** 2 * (alpha - 2.0))
