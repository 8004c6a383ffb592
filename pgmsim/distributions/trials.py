"""Outcomes of trials: successes out of ``n`` (binomial) and yes/no (Bernoulli).

Detections out of a number of attempts, members of a class, outcomes of a
classifier. The data are counts from 0 to ``n`` (0 or 1 for the Bernoulli),
checked, naming the node, when a posterior is built.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from .base import Distribution, _overflowed
from .constraints import Constraint
from .discrete import CountDistribution, refuse_data

__all__ = ["Binomial", "Bernoulli", "BernoulliLogit", "probability", "trials",
           "log_binomial_coefficient"]


#: a probability: 0 <= p <= 1
probability = Constraint("0 <= {name} <= 1", lambda v: (v >= 0) & (v <= 1))
#: a number of trials: a non-negative integer
trials = Constraint("{name} to be a non-negative integer",
                    lambda v: (v >= 0) & (v == np.floor(v)))


def log_binomial_coefficient(n, k):
    """``ln (n choose k)`` for ``0 <= k <= n``, exact for large ``n`` (no log-gamma difference).

    Parameters
    ----------
    n, k : array_like
        Broadcast together.

    Returns
    -------
    numpy.ndarray or float

    Examples
    --------
    >>> round(float(np.exp(log_binomial_coefficient(10, 3))), 9)
    120.0
    """
    return -np.log1p(n) - special.betaln(n - k + 1.0, k + 1.0)


class Binomial(CountDistribution):
    r"""Binomial distribution: successes in ``n`` trials of probability ``p`` each.

    Detections out of ``n`` attempts, sources of one class among ``n``. The
    data must be integers from 0 to ``n``; a constant ``n`` is checked against
    them when the posterior is built.

    Parameters
    ----------
    n : float or str
        Number of trials, a non-negative integer: a number, or the name of a
        fixed input (one per plate element).
    p : float or str
        Probability of success, ``0 <= p <= 1``; usually the name of a node.

    Examples
    --------
    >>> import pgmsim as pg
    >>> b = pg.Binomial(10, "p")
    >>> b.latex({"p": r"\theta"}), round(float(b.logpdf(3, params=(10, 0.3))), 6)
    ('\\mathrm{Binomial}(10, \\theta)', -1.321151)
    """

    arg_names = ("n", "p")
    latex_name = r"\mathrm{Binomial}"
    checks_support = True
    arg_constraints = {"n": trials, "p": probability}

    def _logpdf(self, x, n, p):
        valid = (n >= 0) & (n == np.floor(n)) & np.isfinite(n) & (p >= 0) & (p <= 1)
        inside = valid & (x >= 0) & (x <= n) & (x == np.floor(x))
        xs, ns, ps = np.where(inside, x, 0.0), np.where(inside, n, 0.0), np.where(valid, p, 0.5)
        out = (log_binomial_coefficient(ns, xs) + special.xlogy(xs, ps)
               + special.xlog1py(ns - xs, -ps))
        return np.where(inside, out, -np.inf)

    def _sample(self, rng, size, n, p):
        return rng.binomial(np.asarray(n).astype(np.int64), p, size)

    def _support(self, n, p):
        return (0.0, n)

    def _cdf(self, x, n, p):
        return stats.binom.cdf(x, n, p)

    def _ppf(self, q, n, p):
        return stats.binom.ppf(q, n, p)

    def _mean(self, n, p):
        return n * p

    def _typical(self, n, p):
        return np.floor(n * p)  # a count next to the mean

    def _variance(self, n, p):
        return n * p * (1.0 - p)

    def _saturated(self, x, n, p):
        return n, np.where(n > 0, x / np.where(n > 0, n, 1.0), 0.0)

    def validate_data(self, x, node):
        """Check that the data are integer counts from 0 to ``n``.

        A constant ``n`` is checked here; ``n`` a fixed input makes the
        density ``-inf`` where a count exceeds it.

        Parameters
        ----------
        x, node
            As for :meth:`CountDistribution.validate_data`.

        Returns
        -------
        numpy.ndarray
            ``x``, checked, as floats.

        Raises
        ------
        ValueError
            As :meth:`CountDistribution.validate_data`, and for a count above
            a constant ``n``.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Binomial(3, "p").validate_data([0, 3, 4], "k")
        Traceback (most recent call last):
          ...
        ValueError: Binomial data for node 'k' must be at most n = 3 (the number of trials); 1 value(s) are above, first 4 at index 2
        """
        x = super().validate_data(x, node)
        n = self.args[0]
        if not isinstance(n, str):
            refuse_data(self, x, x > n, node, f"at most n = {n:g} (the number of trials)",
                        "are above")
        return x

    def loglike(self, x):
        """A function of ``(n, p)`` returning ``sum(logpdf(x))``, fast.

        The binomial coefficients are computed once for a constant ``n``,
        once per call (not per walker) for ``n`` a node.

        Parameters
        ----------
        x : numpy.ndarray
            The observed successes, as :meth:`validate_data` returns them.

        Returns
        -------
        callable
            ``total(n, p)``: for ``p`` of shape ``(nwalkers, K)`` or
            ``(nwalkers, 1)``, shape ``(nwalkers,)``.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> total = pg.Binomial(10, "p").loglike(np.array([3.0, 5.0]))
        >>> np.round(total(10.0, np.array([[0.3], [0.5]])), 6)
        array([-3.594961, -3.546023])
        """
        x = np.asarray(x, dtype=float)
        n = self.args[0]
        constant = None if isinstance(n, str) else self._coefficients(x, n)

        def total(n, p):
            coefficients = constant if constant is not None else self._coefficients(x, n)
            p = np.asarray(p)
            out = np.sum(special.xlogy(x, p) + special.xlog1py(n - x, -p), axis=-1)
            out = out + coefficients
            if np.isnan(out).any():
                out = _overflowed(out, p)
            bad = (p < 0) | (p > 1)
            return np.where(bad.any(axis=-1) if bad.ndim else bad, -np.inf, out)

        return total

    @staticmethod
    def _coefficients(x, n):
        """The summed log binomial coefficients; ``-inf`` if ``n`` is no count or below ``x``."""
        n = np.asarray(n, dtype=float)
        fits = (x <= n) & (n == np.floor(n))
        out = np.sum(log_binomial_coefficient(np.where(fits, n, x), x), axis=-1)
        return np.where(np.all(fits, axis=-1), out, -np.inf)


class Bernoulli(Distribution):
    r"""Bernoulli distribution: 1 with probability ``p``, else 0.

    Detected or not, of one class or the other. :class:`BernoulliLogit` takes
    the log-odds instead (logistic regression).

    Parameters
    ----------
    p : float or str
        Probability of a 1, ``0 <= p <= 1``.

    Examples
    --------
    >>> import pgmsim as pg
    >>> b = pg.Bernoulli(0.25)
    >>> b.latex(), float(b.logpdf(1)), b.support()
    ('\\mathrm{Bernoulli}(0.25)', -1.3862943611198906, (0.0, 1.0))
    """

    arg_names = ("p",)
    latex_name = r"\mathrm{Bernoulli}"
    discrete = True
    checks_support = True
    arg_constraints = {"p": probability}

    def _probability(self, arg):
        """The probability of a 1, from the argument."""
        return arg

    def _logpdf(self, x, p):
        valid = (p >= 0) & (p <= 1)
        ps = np.where(valid, p, 0.5)
        out = np.where(x == 1, np.log(ps), np.log1p(-ps))
        return np.where(valid & ((x == 0) | (x == 1)), out, -np.inf)

    def _sample(self, rng, size, arg):
        return rng.binomial(1, self._probability(arg), size)

    def _support(self, arg):
        return (0.0, 1.0)

    def _cdf(self, x, arg):
        p = self._probability(arg)
        return np.where(x < 0, 0.0, np.where(x < 1, 1.0 - p, 1.0))

    def _ppf(self, q, arg):
        return stats.bernoulli.ppf(q, self._probability(arg))

    def _mean(self, arg):
        return self._probability(arg)

    def _typical(self, arg):
        return np.where(self._probability(arg) >= 0.5, 1.0, 0.0)  # the mode

    def _variance(self, arg):
        p = self._probability(arg)
        return p * (1.0 - p)

    def _saturated(self, x, arg):
        return (x,)  # p = x: a density of 1

    def validate_data(self, x, node):
        """Check that the data are 0 or 1.

        Parameters
        ----------
        x, node
            As for :meth:`Distribution.validate_data`.

        Returns
        -------
        numpy.ndarray
            The values as floats.

        Raises
        ------
        ValueError
            If a value is neither 0 nor 1.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Bernoulli("p").validate_data([True, False], "seen")
        array([1., 0.])
        >>> pg.Bernoulli("p").validate_data([0, 2], "seen")
        Traceback (most recent call last):
          ...
        ValueError: Bernoulli data for node 'seen' must be 0 or 1; 1 value(s) are not, first 2 at index 1
        """
        x = super().validate_data(np.asarray(x, dtype=float), node)
        refuse_data(self, x, (x != 0) & (x != 1), node, "0 or 1", "are not")
        return x


class BernoulliLogit(Bernoulli):
    r"""Bernoulli distribution of log-odds ``eta``: 1 with probability ``1 / (1 + exp(-eta))``.

    The likelihood of a logistic regression, ``eta`` a linear function of
    the predictors; stable for any ``eta`` (no probability of exactly 0 or 1
    is formed).

    Parameters
    ----------
    eta : float or str
        Log-odds ``ln(p / (1 - p))``, any real number.

    Examples
    --------
    >>> import pgmsim as pg
    >>> b = pg.BernoulliLogit("eta")
    >>> b.latex(), round(float(b.logpdf(1, params=(0.0,))), 6)
    ('\\mathrm{Bernoulli}_{\\mathrm{logit}}(eta)', -0.693147)
    >>> float(pg.BernoulliLogit(-800.0).logpdf(1))   # p = exp(-800) underflows; its log does not
    -800.0
    """

    arg_names = ("eta",)
    latex_name = r"\mathrm{Bernoulli}_{\mathrm{logit}}"
    arg_constraints = {}

    def _probability(self, arg):
        return special.expit(arg)

    def _logpdf(self, x, eta):
        # ln p = -ln(1 + exp(-eta)) and ln(1 - p) = -ln(1 + exp(eta))
        out = -np.logaddexp(0.0, np.where(x == 1, -eta, eta))
        return np.where((x == 0) | (x == 1), out, -np.inf)

    def _saturated(self, x, eta):
        return (np.where(x == 1, np.inf, -np.inf),)

