"""Continuous distributions: priors and sampling distributions of real values."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .base import _LOG_2PI, Distribution, _overflowed
from .constraints import greater_than, positive

__all__ = ["Uniform", "LogUniform", "Normal", "LogNormal", "HalfNormal", "Exponential",
           "Gamma", "Beta"]


def _log_ratio(high, low):
    """``ln(high / low)`` for ``0 < low < high``, finite even where the ratio overflows.

    The ratio keeps bounds close together exact; where it overflows, the
    difference of the logs is far from zero and loses nothing.

    Examples
    --------
    >>> round(float(_log_ratio(1e300, 1e-300)), 6)      # 600 ln 10
    1381.551056
    """
    log_ratio = np.log(high / low)
    if log_ratio.sum() < np.inf:  # the cheapest test on the batch path: no overflow
        return log_ratio
    return np.where(log_ratio < np.inf, log_ratio, np.log(high) - np.log(low))


class Uniform(Distribution):
    r"""Uniform distribution on ``[low, high]``, LaTeX ``\mathcal{U}(low, high)``.

    Parameters
    ----------
    low, high : float or str
        Bounds of the support, ``low < high``; numbers or names of nodes.
        Constant bounds whose width ``high - low`` overflows float64 are
        refused: the density would be zero everywhere.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Uniform(0, 40).latex()
    '\\mathcal{U}(0, 40)'
    """

    arg_names = ("low", "high")
    latex_name = r"\mathcal{U}"
    checks_support = True
    arg_constraints = {"high": greater_than("low")}

    def _logpdf(self, x, low, high):
        inside = (x >= low) & (x <= high)
        return np.where(inside, -np.log(high - low), -np.inf)

    def _logpdf_scalar(self, x, low, high):
        if low <= x <= high and low < high:
            return -math.log(high - low)
        return -math.inf

    def _sample(self, rng, size, low, high):
        return rng.uniform(low, high, size)

    def _support(self, low, high):
        return (low, high)

    def _cdf(self, x, low, high):
        return (x - low) / (high - low)

    def _ppf(self, q, low, high):
        return low + q * (high - low)

    def _sf(self, x, low, high):
        return (high - x) / (high - low)

    def _isf(self, q, low, high):
        return high - q * (high - low)

    def _mean(self, low, high):
        return 0.5 * low + 0.5 * high  # low + high may overflow

    _typical = _mean

    def _variance(self, low, high):
        return (high - low) ** 2 / 12.0


class LogUniform(Distribution):
    r"""Log-uniform (scale-invariant) distribution on ``[low, high]``, ``low > 0``.

    The density is ``1 / (x ln(high/low))``, with ``ln(high/low)`` computed
    as ``ln high - ln low`` where the ratio overflows: every ``0 < low <
    high`` of float64 is represented (``LogUniform(1e-300, 1e300)``).

    Parameters
    ----------
    low, high : float or str
        Bounds of the support, ``0 < low < high``; numbers or names of nodes.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.LogUniform(1e-3, 1).support()
    (0.001, 1.0)
    """

    arg_names = ("low", "high")
    latex_name = r"\log\mathcal{U}"
    checks_support = True
    arg_constraints = {"low": positive, "high": greater_than("low")}

    def _logpdf(self, x, low, high):
        inside = (x >= low) & (x <= high)
        return np.where(inside, -np.log(x) - np.log(_log_ratio(high, low)), -np.inf)

    def _logpdf_scalar(self, x, low, high):
        if low <= x <= high and 0 < low < high:
            ratio = high / low  # as _log_ratio, inline: the hot path of one point
            log_ratio = math.log(ratio) if ratio < math.inf else math.log(high) - math.log(low)
            return -math.log(x) - math.log(log_ratio)
        return -math.inf

    def _sample(self, rng, size, low, high):
        return np.exp(rng.uniform(np.log(low), np.log(high), size))

    def _support(self, low, high):
        return (low, high)

    def _cdf(self, x, low, high):
        return np.log(x / low) / _log_ratio(high, low)

    def _ppf(self, q, low, high):
        return low * np.exp(q * _log_ratio(high, low))

    def _sf(self, x, low, high):
        return np.log1p((high - x) / x) / _log_ratio(high, low)  # exact next to high

    def _isf(self, q, low, high):
        return high * np.exp(-q * _log_ratio(high, low))

    def _mean(self, low, high):
        return (high - low) / _log_ratio(high, low)

    def _variance(self, low, high):
        return (high**2 - low**2) / (2.0 * _log_ratio(high, low)) - self._mean(low, high) ** 2

    def _typical(self, low, high):
        return np.exp(0.5 * (np.log(low) + np.log(high)))  # the median


class Normal(Distribution):
    r"""Normal distribution with mean ``mu`` and standard deviation ``sigma``.

    Used as a prior and as a sampling distribution (e.g. CCD read noise).

    Parameters
    ----------
    mu : float or str
        Mean; a number or the name of a node.
    sigma : float or str
        Standard deviation, ``> 0``; a number or the name of a node.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Normal("mu_pop", "sigma_pop").parents
    ('mu_pop', 'sigma_pop')
    """

    arg_names = ("mu", "sigma")
    latex_name = r"\mathcal{N}"
    checks_support = True

    arg_constraints = {"sigma": positive}

    def _logpdf(self, x, mu, sigma):
        out = self._log_kernel(x, mu, sigma) - np.log(sigma) - 0.5 * _LOG_2PI
        return np.where((sigma > 0) & np.isfinite(x), out, -np.inf)

    def _logpdf_scalar(self, x, mu, sigma):
        if sigma > 0 and math.isfinite(x):
            z = (x - mu) / sigma
            return -0.5 * z * z - math.log(sigma) - 0.5 * _LOG_2PI
        return -math.inf

    def _sample(self, rng, size, mu, sigma):
        return rng.normal(mu, sigma, size)

    def _support(self, mu, sigma):
        return (-np.inf, np.inf)

    def _cdf(self, x, mu, sigma):
        return special.ndtr((x - mu) / sigma)

    def _ppf(self, q, mu, sigma):
        return mu + sigma * special.ndtri(q)

    def _sf(self, x, mu, sigma):
        return special.ndtr((mu - x) / sigma)

    def _isf(self, q, mu, sigma):
        return mu - sigma * special.ndtri(q)

    def _mean(self, mu, sigma):
        return mu + 0.0 * sigma

    _typical = _mean

    def _variance(self, mu, sigma):
        return sigma**2 + 0.0 * mu

    def _saturated(self, x, mu, sigma):
        return x, sigma

    def _log_kernel(self, x, mu, sigma):
        z = (x - mu) / sigma
        return -0.5 * z * z

    def loglike(self, x):
        """A function of ``(mu, sigma)`` returning ``sum(logpdf(x))``, fast.

        A ``sigma`` that is one value per walker is taken out of the sum.

        Parameters
        ----------
        x : numpy.ndarray
            The observed values.

        Returns
        -------
        callable
            ``total(mu, sigma)``, summed over the last axis.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> total = pg.Normal("mu", "sigma").loglike(np.array([0.5, -0.2]))
        >>> total(np.array([[0.0]]), np.array([[1.0]]))
        array([-1.98287707])
        """
        n = np.shape(x)[-1] if np.ndim(x) else 1

        def total(mu, sigma):
            sigma = np.asarray(sigma)
            if sigma.ndim and sigma.shape[-1] > 1:
                bad = np.any(sigma <= 0, axis=-1)
                sigma = np.where(sigma <= 0, 1.0, sigma)  # NaN stays NaN
                z = (x - mu) / sigma
                out = -0.5 * np.sum(z * z, axis=-1) - np.sum(np.log(sigma), axis=-1)
                out = out - 0.5 * n * _LOG_2PI
            else:
                s = sigma[..., 0] if sigma.ndim else sigma
                bad = s <= 0
                s = np.where(bad, 1.0, s)
                r = x - mu
                out = -0.5 * np.sum(r * r, axis=-1) / s**2 - n * np.log(s)
                out = out - 0.5 * n * _LOG_2PI
            if np.isnan(out).any():
                out = _overflowed(out, mu, sigma)
            return np.where(bad, -np.inf, out)

        return total


class LogNormal(Distribution):
    r"""Log-normal distribution: ``ln x ~ Normal(mu, sigma)``.

    Parameters
    ----------
    mu : float or str
        Mean of ``ln x``; a number or the name of a node.
    sigma : float or str
        Standard deviation of ``ln x``, ``> 0``; a number or the name of a node.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.LogNormal(0, 1).support()
    (0.0, inf)
    """

    arg_names = ("mu", "sigma")
    latex_name = r"\log\mathcal{N}"
    checks_support = True

    arg_constraints = {"sigma": positive}

    def _logpdf(self, x, mu, sigma):
        inside = (x > 0) & (sigma > 0) & np.isfinite(x)
        lx = np.log(np.where(inside, x, 1.0))
        z = (lx - mu) / sigma
        out = -0.5 * z * z - lx - np.log(sigma) - 0.5 * _LOG_2PI
        return np.where(inside, out, -np.inf)

    def _logpdf_scalar(self, x, mu, sigma):
        if x > 0 and sigma > 0 and math.isfinite(x):
            lx = math.log(x)
            z = (lx - mu) / sigma
            return -0.5 * z * z - lx - math.log(sigma) - 0.5 * _LOG_2PI
        return -math.inf

    def _sample(self, rng, size, mu, sigma):
        return rng.lognormal(mu, sigma, size)

    def _support(self, mu, sigma):
        return (0.0, np.inf)

    def _cdf(self, x, mu, sigma):
        return special.ndtr((np.log(x) - mu) / sigma)

    def _ppf(self, q, mu, sigma):
        return np.exp(mu + sigma * special.ndtri(q))

    def _sf(self, x, mu, sigma):
        return special.ndtr((mu - np.log(x)) / sigma)

    def _isf(self, q, mu, sigma):
        return np.exp(mu - sigma * special.ndtri(q))

    def _mean(self, mu, sigma):
        return np.exp(mu + 0.5 * sigma**2)

    def _typical(self, mu, sigma):
        return np.exp(mu) + 0.0 * sigma  # the median

    def _variance(self, mu, sigma):
        return np.expm1(sigma**2) * np.exp(2.0 * mu + sigma**2)


class HalfNormal(Distribution):
    r"""Half-normal distribution on ``[0, inf)`` with scale ``sigma``.

    Parameters
    ----------
    sigma : float or str
        Scale, ``> 0``: the standard deviation of the Normal folded at 0.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.HalfNormal(2.0).latex()
    '\\mathcal{N}_{+}(2)'
    """

    arg_names = ("sigma",)
    latex_name = r"\mathcal{N}_{+}"
    checks_support = True

    arg_constraints = {"sigma": positive}

    def _logpdf(self, x, sigma):
        z = x / sigma
        out = -0.5 * z * z - np.log(sigma) + 0.5 * math.log(2.0 / math.pi)
        return np.where((x >= 0) & (sigma > 0) & np.isfinite(x), out, -np.inf)

    def _logpdf_scalar(self, x, sigma):
        if x >= 0 and sigma > 0 and math.isfinite(x):
            z = x / sigma
            return -0.5 * z * z - math.log(sigma) + 0.5 * math.log(2.0 / math.pi)
        return -math.inf

    def _sample(self, rng, size, sigma):
        return np.abs(rng.normal(0.0, sigma, size))

    def _support(self, sigma):
        return (0.0, np.inf)

    def _cdf(self, x, sigma):
        return special.erf(x / (sigma * math.sqrt(2.0)))

    def _ppf(self, q, sigma):
        return sigma * math.sqrt(2.0) * special.erfinv(q)

    def _sf(self, x, sigma):
        return special.erfc(x / (sigma * math.sqrt(2.0)))

    def _isf(self, q, sigma):
        return sigma * math.sqrt(2.0) * special.erfcinv(q)

    def _mean(self, sigma):
        return sigma * math.sqrt(2.0 / math.pi)

    _typical = _mean

    def _variance(self, sigma):
        return sigma**2 * (1.0 - 2.0 / math.pi)


class Exponential(Distribution):
    r"""Exponential distribution with rate ``rate`` (mean ``1/rate``).

    Parameters
    ----------
    rate : float or str
        Rate, ``> 0`` (the mean is ``1/rate``); a number or the name of a node.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Exponential(0.5).latex()
    '\\mathrm{Exp}(0.5)'
    """

    arg_names = ("rate",)
    latex_name = r"\mathrm{Exp}"
    checks_support = True

    arg_constraints = {"rate": positive}

    def _logpdf(self, x, rate):
        out = np.log(rate) - rate * x
        return np.where((x >= 0) & (rate > 0) & np.isfinite(x), out, -np.inf)

    def _logpdf_scalar(self, x, rate):
        if x >= 0 and rate > 0 and math.isfinite(x):
            return math.log(rate) - rate * x
        return -math.inf

    def _sample(self, rng, size, rate):
        return rng.exponential(1.0 / np.asarray(rate), size)

    def _support(self, rate):
        return (0.0, np.inf)

    def _cdf(self, x, rate):
        return -np.expm1(-rate * x)

    def _ppf(self, q, rate):
        return -np.log1p(-q) / rate

    def _sf(self, x, rate):
        return np.exp(-rate * x)

    def _isf(self, q, rate):
        return -np.log(q) / rate

    def _mean(self, rate):
        return 1.0 / rate

    _typical = _mean

    def _variance(self, rate):
        return 1.0 / rate**2


class Gamma(Distribution):
    r"""Gamma distribution with shape ``alpha`` and rate ``beta``.

    The conjugate prior of a Poisson rate: with ``N_k ~ Poisson(lam)``, the
    posterior is ``Gamma(alpha + sum N, beta + K)``.

    Parameters
    ----------
    alpha : float or str
        Shape, ``> 0``; a number or the name of a node.
    beta : float or str
        Rate, ``> 0`` (the mean is ``alpha/beta``); a number or the name of a node.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Gamma(2, 1).latex()
    '\\Gamma(2, 1)'
    """

    arg_names = ("alpha", "beta")
    latex_name = r"\Gamma"
    checks_support = True

    arg_constraints = {"alpha": positive, "beta": positive}

    def _logpdf(self, x, alpha, beta):
        inside = (x > 0) & (alpha > 0) & (beta > 0) & np.isfinite(x)
        xs = np.where(inside, x, 1.0)
        out = alpha * np.log(beta) + (alpha - 1) * np.log(xs) - beta * xs
        out = out - special.gammaln(alpha)
        return np.where(inside, out, -np.inf)

    def _logpdf_scalar(self, x, alpha, beta):
        if x > 0 and alpha > 0 and beta > 0 and math.isfinite(x):
            return (alpha * math.log(beta) + (alpha - 1) * math.log(x) - beta * x
                    - math.lgamma(alpha))
        return -math.inf

    def _sample(self, rng, size, alpha, beta):
        return rng.gamma(alpha, 1.0 / np.asarray(beta), size)

    def _support(self, alpha, beta):
        return (0.0, np.inf)

    def _cdf(self, x, alpha, beta):
        return special.gammainc(alpha, beta * x)

    def _ppf(self, q, alpha, beta):
        return special.gammaincinv(alpha, q) / beta

    def _sf(self, x, alpha, beta):
        return special.gammaincc(alpha, beta * x)

    def _isf(self, q, alpha, beta):
        return special.gammainccinv(alpha, q) / beta

    def _mean(self, alpha, beta):
        return alpha / beta

    _typical = _mean

    def _variance(self, alpha, beta):
        return alpha / beta**2


class Beta(Distribution):
    r"""Beta distribution on ``[0, 1]`` with shapes ``a`` and ``b``.

    Parameters
    ----------
    a, b : float or str
        Shapes, ``> 0`` (the mean is ``a/(a+b)``); numbers or names of nodes.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Beta(2, 5).support()
    (0.0, 1.0)
    """

    arg_names = ("a", "b")
    latex_name = r"\mathrm{Beta}"
    checks_support = True

    arg_constraints = {"a": positive, "b": positive}

    def _logpdf(self, x, a, b):
        inside = (x > 0) & (x < 1) & (a > 0) & (b > 0)
        xs = np.where(inside, x, 0.5)
        out = (a - 1) * np.log(xs) + (b - 1) * np.log1p(-xs) - special.betaln(a, b)
        return np.where(inside, out, -np.inf)

    def _sample(self, rng, size, a, b):
        return rng.beta(a, b, size)

    def _support(self, a, b):
        return (0.0, 1.0)

    def _cdf(self, x, a, b):
        return special.betainc(a, b, x)

    def _ppf(self, q, a, b):
        return special.betaincinv(a, b, q)

    def _sf(self, x, a, b):
        return special.betainc(b, a, 1.0 - x)

    def _isf(self, q, a, b):
        return 1.0 - special.betaincinv(b, a, q)

    def _mean(self, a, b):
        return a / (a + b)

    _typical = _mean

    def _variance(self, a, b):
        return a * b / ((a + b) ** 2 * (a + b + 1.0))
