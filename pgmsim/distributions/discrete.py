"""Discrete distributions: sampling distributions of counts.

The Poisson and its over-dispersed form, the negative binomial; counts out of
a known number of trials are in :mod:`.trials`.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from .base import Distribution, _overflowed
from .constraints import nonnegative, positive

__all__ = ["Poisson", "poisson_log_kernel"]


def poisson_log_kernel(counts, mu):
    """``n ln mu - mu``: the Poisson log-mass less its data-only term ``-ln n!``.

    Elementwise, with ``0 ln 0 = 0``; ``counts`` need not be integers.

    Parameters
    ----------
    counts, mu : array_like
        Counts ``n >= 0`` and means ``mu >= 0``, broadcast together.

    Returns
    -------
    numpy.ndarray or float

    Examples
    --------
    >>> float(poisson_log_kernel(2, 1.0)), float(poisson_log_kernel(0, 0.0))
    (-1.0, 0.0)
    """
    return special.xlogy(counts, mu) - mu


def refuse_data(dist, x, bad, node, needs, are):
    """Raise, naming the node, where ``bad``: ``x`` must be ``needs`` and some ``are`` not.

    Parameters
    ----------
    dist : Distribution
        The data node's distribution, named in the message.
    x : numpy.ndarray
        The observed values.
    bad : numpy.ndarray of bool
        Where they break the rule.
    node : str
        The data node.
    needs, are : str
        What the values must be, and what the bad ones are, in words.

    Raises
    ------
    ValueError
        If any value is bad: the message gives their number, the first and its index.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> x = np.array([0.0, 3.0])
    >>> refuse_data(pg.Poisson("mu"), x, x > 2, "N", "below 3", "are not")
    Traceback (most recent call last):
      ...
    ValueError: Poisson data for node 'N' must be below 3; 1 value(s) are not, first 3 at index 1
    """
    if np.any(bad):
        where = np.flatnonzero(bad)
        raise ValueError(f"{type(dist).__name__} data for node {node!r} must be {needs}; "
                         f"{where.size} value(s) {are}, first {x.flat[where[0]]:g} at "
                         f"index {where[0]}")


class CountDistribution(Distribution):
    """Base of the distributions of counts, whose data must be non-negative integers.

    Examples
    --------
    >>> import pgmsim as pg
    >>> isinstance(pg.Poisson("mu"), CountDistribution), pg.NegativeBinomial(1, 2).discrete
    (True, True)
    """

    discrete = True

    def validate_data(self, x, node):
        """Check that the observed counts are non-negative integers.

        Parameters
        ----------
        x, node
            The observed counts and their node, as for
            :meth:`Distribution.validate_data`.

        Returns
        -------
        numpy.ndarray
            The counts as floats.

        Raises
        ------
        ValueError
            If a count is negative, not an integer, not below 2**53, NaN or
            infinite; the message gives the first one and its index.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Poisson("mu").validate_data([3, 0, 1], "N")
        array([3., 0., 1.])
        >>> pg.Poisson("mu").validate_data([3, -1], "N")
        Traceback (most recent call last):
          ...
        ValueError: Poisson data for node 'N' must be non-negative counts; 1 value(s) are negative, first -1 at index 1
        """
        x = super().validate_data(x, node)
        refuse_data(self, x, x < 0, node, "non-negative counts", "are negative")
        refuse_data(self, x, x != np.floor(x), node, "integer counts", "are not")
        return x



class Poisson(CountDistribution):
    r"""Poisson distribution with mean ``mu``, for photon counts.

    The log-mass includes ``-log N!``. With ``mu = 0`` only ``N = 0`` is possible.

    Observed counts must be below 2**53, beyond which float64 rounds
    integers, and so must a constant mean (counts near it would be rounded).

    Parameters
    ----------
    mu : float or str
        Mean, ``>= 0``; usually the name of a deterministic node of expected
        counts.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Poisson("mu").latex({"mu": r"\mu_k"})
    '\\mathrm{Poisson}(\\mu_k)'
    """

    arg_names = ("mu",)
    latex_name = r"\mathrm{Poisson}"
    checks_support = True
    arg_constraints = {"mu": nonnegative}

    def _logpdf(self, x, mu):
        integer = (x >= 0) & (x == np.floor(x)) & np.isfinite(x)
        xs = np.where(integer, x, 0.0)
        out = poisson_log_kernel(xs, mu) - special.gammaln(xs + 1.0)
        return np.where(integer & (mu >= 0) & np.isfinite(mu), out, -np.inf)

    _log_kernel = staticmethod(poisson_log_kernel)

    def _sample(self, rng, size, mu):
        return rng.poisson(mu, size)

    def _support(self, mu):
        return (0.0, np.inf)

    def _cdf(self, x, mu):
        return special.pdtr(np.floor(x), mu)

    def _ppf(self, q, mu):
        return stats.poisson.ppf(q, mu)

    def _mean(self, mu):
        return mu

    _variance = _mean

    def _typical(self, mu):
        return np.floor(mu)  # a count next to the mean

    def _saturated(self, x, mu):
        return (x,)

    def loglike(self, x):
        """A function of ``mu`` returning ``sum(logpdf(x))``, fast.

        ``log N!`` is computed once, and ``N log mu`` only where ``N > 0``.

        Parameters
        ----------
        x : numpy.ndarray
            The observed counts.

        Returns
        -------
        callable
            ``total(mu)``: for ``mu`` of shape ``(nwalkers, K)``, shape
            ``(nwalkers,)``.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> total = pg.Poisson("mu").loglike(np.array([3, 0, 1]))
        >>> total(np.array([[2.0, 1.0, 1.0]]))
        array([-3.71231793])
        """
        # poisson_log_kernel summed, in a fast form: log N! is a data-only
        # constant, and N log mu vanishes where N = 0: X-ray images are mostly
        # empty pixels, so take the log only where N > 0.
        x = np.atleast_1d(np.asarray(x, dtype=float))
        const = float(np.sum(special.gammaln(x + 1.0)))
        nonzero = np.flatnonzero(x.reshape(-1) > 0)
        counts = x.reshape(-1)[nonzero]
        size = x.shape[-1]
        dense = nonzero.size == x.size

        def total(mu):
            # (nwalkers, K) in, (nwalkers,) out: two passes over mu (sum, min)
            # and temporaries the size of the nonzero pixels only. Row sums,
            # not a matrix product, so that each walker's value does not
            # depend on the other walkers of the batch (BLAS kernels group rows).
            mu = np.asarray(mu)
            if mu.ndim == 0 or mu.shape[-1] != size:
                mu = np.broadcast_to(mu, mu.shape[:-1] + x.shape)
            logs = np.log(mu if dense else mu.take(nonzero, axis=-1))
            logs *= counts
            out = logs.sum(axis=-1) - mu.sum(axis=-1) - const
            # an infinite mean: -inf; a NaN one stays NaN (so that the caller
            # can name its source); one point: a float compare, not np.isnan
            if (out != out) if mu.ndim == 1 else np.isnan(out).any():
                out = _overflowed(out, mu)
            if mu.min() >= 0:  # the common case: one reduction over all walkers
                return out
            if mu.ndim == 1:
                return -np.inf if mu.min() < 0 else out
            return np.where(mu.min(axis=-1) < 0, -np.inf, out)

        return total


class NegativeBinomial(CountDistribution):
    r"""Negative binomial distribution of mean ``mu`` and dispersion ``alpha``.

    Over-dispersed counts: the variance is ``mu + mu**2 / alpha``; a Poisson
    whose mean is Gamma distributed (shape ``alpha``, mean ``mu``), and the
    Poisson itself as ``alpha -> inf``. SciPy's ``nbinom(n, p)`` with
    ``n = alpha`` and ``p = alpha / (alpha + mu)``.

    Parameters
    ----------
    mu : float or str
        Mean, ``>= 0``.
    alpha : float or str
        Dispersion, ``> 0`` (smaller: more over-dispersed).

    Examples
    --------
    >>> import pgmsim as pg
    >>> nb = pg.NegativeBinomial(4.0, 2.0)
    >>> nb.latex(), float(nb.mean()), float(nb.variance())
    ('\\mathrm{NegBinomial}(4, 2)', 4.0, 12.0)
    """

    arg_names = ("mu", "alpha")
    latex_name = r"\mathrm{NegBinomial}"
    checks_support = True
    arg_constraints = {"mu": nonnegative, "alpha": positive}

    def _logpdf(self, x, mu, alpha):
        valid = (mu >= 0) & np.isfinite(mu) & (alpha > 0) & np.isfinite(alpha)
        inside = valid & (x >= 0) & (x == np.floor(x)) & np.isfinite(x)
        xs, ms, a = np.where(inside, x, 0.0), np.where(valid, mu, 1.0), np.where(valid, alpha, 1.0)
        # ln Gamma(x + a) - ln Gamma(a) - ln x! as -ln x - ln B(x, a): no cancellation
        positive_x = xs > 0
        log_coefficient = np.where(positive_x, -np.log(np.where(positive_x, xs, 1.0))
                                   - special.betaln(np.where(positive_x, xs, 1.0), a), 0.0)
        out = (log_coefficient - a * np.log1p(ms / a)
               + special.xlogy(xs, ms) - xs * np.log(ms + a))
        return np.where(inside, out, -np.inf)

    def _sample(self, rng, size, mu, alpha):
        return rng.negative_binomial(alpha, alpha / (alpha + np.asarray(mu)), size)

    def _support(self, mu, alpha):
        return (0.0, np.inf)

    def _cdf(self, x, mu, alpha):
        return stats.nbinom.cdf(x, alpha, alpha / (alpha + mu))

    def _ppf(self, q, mu, alpha):
        return stats.nbinom.ppf(q, alpha, alpha / (alpha + mu))

    def _mean(self, mu, alpha):
        return mu + 0.0 * alpha

    def _typical(self, mu, alpha):
        return np.floor(mu) + 0.0 * alpha  # a count next to the mean

    def _variance(self, mu, alpha):
        return mu + mu**2 / alpha

    def _saturated(self, x, mu, alpha):
        return x, alpha
