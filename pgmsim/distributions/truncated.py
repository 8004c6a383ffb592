r"""Truncation of a distribution of one variable to a range, with bounds that may name nodes.

``Truncated(Normal(0, 10), low="mu1")`` is the Normal restricted to ``x >=
mu1``, renormalised: its log-density is the inner one less the log of the
probability mass between the bounds, ``ln(F(high) - F(low))`` with the CDF
``F`` of the inner distribution (the survival function in the upper tail,
where ``1 - F`` would lose the digits). Draws are exact, by inverse CDF.
For a distribution of counts both bounds are included: ``low <= x <= high``.
"""

from __future__ import annotations

import numpy as np
from ._format import format_number
from .base import Distribution
from .constraints import check_constants, check_representable, greater_than
from .moments import UndefinedQuantityError

__all__ = ["Truncated", "node_or_number", "unique_parents"]

# Gauss-Legendre nodes on (0, 1) for the mean and variance as integrals of the
# quantile function over the truncated probability range
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(256)
_NODES, _WEIGHTS = 0.5 * (_NODES + 1.0), 0.5 * _WEIGHTS


def node_or_number(owner, name, value):
    """``value`` as a float, or as a node name; refused otherwise.

    Parameters
    ----------
    owner : str
        The distribution class, named in messages.
    name : str
        The argument, named in messages.
    value : float or str
        A finite number, or the name of a node.

    Returns
    -------
    float or str

    Raises
    ------
    TypeError
        If ``value`` is neither a number nor a string.
    ValueError
        If it is not finite, or not a valid node name.

    Examples
    --------
    >>> node_or_number("Truncated", "low", 0), node_or_number("Truncated", "low", "mu1")
    (0.0, 'mu1')
    """
    if isinstance(value, str):
        if not value.isidentifier():
            raise ValueError(f"{owner} argument {name}={value!r} is not a valid node name")
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{owner} argument {name} must be a number or the name of a node, "
                        f"got {type(value).__name__} {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{owner} argument {name}={value!r} must be finite (leave it out "
                         "for no bound)")
    return float(value)


def unique_parents(args):
    """The node names among ``args``, each once, in order.

    Parameters
    ----------
    args : sequence of float or str
        A distribution's arguments.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> unique_parents(("mu", 1.0, "mu", "s"))
    ('mu', 's')
    """
    return tuple(dict.fromkeys(a for a in args if isinstance(a, str)))


class Truncated(Distribution):
    r"""A distribution of one variable restricted to ``[low, high]`` and renormalised.

    Parameters
    ----------
    dist : Distribution
        The distribution to truncate: of one variable, with the ``_cdf`` and
        ``_ppf`` hooks (every built-in of one variable has them).
    low, high : float or str, optional
        The bounds, numbers or names of nodes; ``None`` for no bound. For a
        distribution of counts both are included.

    Raises
    ------
    TypeError
        If ``dist`` is not a distribution of one variable with a CDF, is
        itself truncated, or a bound is neither a number nor a name.
    ValueError
        If no bound is given, constant bounds have ``low >= high``, or all
        arguments are numbers and the range holds no probability mass of
        ``dist`` (e.g. a bound outside its support).

    Notes
    -----
    The mean and variance are computed numerically, as integrals of the
    quantile function over the truncated probability range (256-point
    Gauss-Legendre), to about 1e-4 relative; for counts they are undefined.

    Examples
    --------
    A positive flux, and an ordered pair of means in one line:

    >>> import pgmsim as pg
    >>> flux = pg.Truncated(pg.Normal(1.0, 2.0), low=0)
    >>> flux.latex(), flux.support()
    ('\\mathcal{N}(1, 2)\\big|_{[0, \\infty)}', (0.0, inf))
    >>> m = pg.Model("ordered")
    >>> m.param("mu1", pg.Normal(0, 10))
    'mu1'
    >>> m.param("mu2", pg.Truncated(pg.Normal(0, 10), low="mu1"))
    'mu2'
    >>> m.node("mu2").parents
    ('mu1',)
    """

    checks_support = True

    def __init__(self, dist, low=None, high=None):
        if not isinstance(dist, Distribution) or dist.nvars != 1:
            raise TypeError(f"Truncated needs a distribution of one variable, got {dist!r}")
        if isinstance(dist, Truncated):
            raise TypeError(f"{dist.text()} is truncated already: give both bounds at once")
        if dist._cdf is None or dist._ppf is None:
            raise TypeError(f"Truncated needs the CDF of {dist.text()}: "
                            f"{type(dist).__name__} defines no _cdf and _ppf")
        if low is None and high is None:
            raise ValueError(f"Truncated({dist.text()}) needs a bound: low=, high= or both")
        self.inner = dist
        self.low = None if low is None else node_or_number("Truncated", "low", low)
        self.high = None if high is None else node_or_number("Truncated", "high", high)
        bounds = [(n, b) for n, b in (("lower", self.low), ("upper", self.high)) if b is not None]
        self.arg_names = dist.arg_names + tuple(n for n, _ in bounds)
        self.args = dist.args + tuple(b for _, b in bounds)
        self.discrete = dist.discrete
        self.arg_constraints = dict(dist.arg_constraints)
        if len(bounds) == 2:
            self.arg_constraints["upper"] = greater_than("lower")
        check_constants(self, {n: a for n, a in zip(self.arg_names, self.args)
                               if not isinstance(a, str)})
        if not self.parents:
            if not self._log_mass(*self._split(self.args)) > -np.inf:
                raise ValueError(f"{self.text()} holds no probability: the range of the "
                                 f"bounds is outside the support {dist.support()} of "
                                 f"{dist.text()}, or in a tail of zero mass in float64")
            check_representable(self)

    @property
    def parents(self):
        """Nodes named by the inner distribution's arguments and by the bounds, each once."""
        return unique_parents(self.args)

    # -- the arguments: the inner distribution's, then the bounds ---------
    def _split(self, params):
        n = len(self.inner.args)
        rest = list(params[n:])
        low = rest.pop(0) if self.low is not None else -np.inf
        high = rest.pop(0) if self.high is not None else np.inf
        return tuple(params[:n]), low, high

    def _edges(self, low, high, inner):
        """``P(X < low)``, ``P(X > low)`` (``>=`` for counts), ``P(X <= high)``, ``P(X > high)``."""
        if self.discrete:            # low is included: the mass below is F(ceil(low) - 1)
            low = np.ceil(low) - 1.0
        dist = self.inner
        return (dist._cdf_within(low, *inner), dist._sf_within(low, *inner),
                dist._cdf_within(high, *inner), dist._sf_within(high, *inner))

    def _log_mass(self, inner, low, high):
        """``ln P(low <= X <= high)``, from the tail where it keeps its digits."""
        with np.errstate(divide="ignore", invalid="ignore"):
            cdf_low, sf_low, cdf_high, sf_high = self._edges(low, high, inner)
            mass = np.where(cdf_low > 0.5, sf_low - sf_high, cdf_high - cdf_low)
            return np.log(np.where(mass > 0, mass, 0.0))

    # -- the distribution hooks --------------------------------------------
    def _logpdf(self, x, *params):
        inner, low, high = self._split(params)
        log_mass = self._log_mass(inner, low, high)
        inside = (x >= low) & (x <= high) & (log_mass > -np.inf)
        with np.errstate(invalid="ignore"):
            out = self.inner._logpdf(x, *inner) - log_mass
        return np.where(inside, out, -np.inf)

    def _support(self, *params):
        inner, low, high = self._split(params)
        inner_low, inner_high = self.inner._support(*inner)
        if self.discrete:
            low, high = np.ceil(low), np.floor(high)
        support = np.maximum(inner_low, low), np.minimum(inner_high, high)
        return tuple(float(s) if np.ndim(s) == 0 else s for s in support)

    def _sample(self, rng, size, *params):
        shape = np.broadcast_shapes(() if size is None else np.atleast_1d(size),
                                    *(np.shape(p) for p in params))
        out = self._ppf(1.0 - rng.random(shape), *params)   # q in (0, 1]
        return out if size is not None or np.ndim(out) else float(out)

    def _cdf(self, x, *params):
        inner, low, high = self._split(params)
        cdf_low, sf_low, cdf_high, sf_high = self._edges(low, high, inner)
        with np.errstate(divide="ignore", invalid="ignore"):
            from_below = (self.inner._cdf_within(x, *inner) - cdf_low) / (cdf_high - cdf_low)
            from_above = (sf_low - self.inner._sf_within(x, *inner)) / (sf_low - sf_high)
        return np.clip(np.where(cdf_low > 0.5, from_above, from_below), 0.0, 1.0)

    def _ppf(self, q, *params):
        inner, low, high = self._split(params)
        with np.errstate(divide="ignore", invalid="ignore"):
            cdf_low, sf_low, cdf_high, sf_high = self._edges(low, high, inner)
            # q in (0, 1] maps to (F(low), F(high)]: never the count below a discrete low
            from_below = self.inner._ppf(cdf_low + q * (cdf_high - cdf_low), *inner)
            # in the upper tail, to [S(high), S(low)) by the inverse survival function
            from_above = self.inner._isf_exact(sf_low - q * (sf_low - sf_high), *inner)
            x = np.where(cdf_low > 0.5, from_above, from_below)
        return np.clip(x, *self._support(*params))   # rounding at a bound

    def _typical(self, *params):
        return self._ppf(np.asarray(0.5), *params)  # the median

    def _moment_integrand(self, params):
        if self.discrete:
            raise UndefinedQuantityError(f"{self.text()} has no mean or variance here: "
                                         "they are not computed for truncated counts")
        expanded = [np.expand_dims(p, -1) for p in params]
        return self._ppf(_NODES, *expanded)

    def _mean(self, *params):
        return self._moment_integrand(params) @ _WEIGHTS

    def _variance(self, *params):
        x = self._moment_integrand(params)
        return (x * x) @ _WEIGHTS - (x @ _WEIGHTS) ** 2

    # -- forms --------------------------------------------------------------
    def validate_data(self, x, node):
        """Check observed values as the inner distribution does, and against constant bounds.

        Parameters
        ----------
        x : array_like
            The observed values.
        node : str
            The data node, named in error messages.

        Returns
        -------
        numpy.ndarray
            ``x`` as floats.

        Raises
        ------
        ValueError
            If the inner distribution refuses them, or a value is outside
            constant bounds (its likelihood would be zero at every parameter).

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Truncated(pg.Normal("mu", 1.0), low=0).validate_data([-0.5, 1.0], "y")
        Traceback (most recent call last):
          ...
        ValueError: data for node 'y': 1 value(s) are outside the truncation [0, inf) of Truncated(Normal(mu, 1), low=0), first -0.5 at index 0
        """
        x = self.inner.validate_data(x, node)
        low = self.low if isinstance(self.low, float) else -np.inf
        high = self.high if isinstance(self.high, float) else np.inf
        bad = np.flatnonzero((x < low) | (x > high))
        if bad.size:
            raise ValueError(f"data for node {node!r}: {bad.size} value(s) are outside the "
                             f"truncation [{low:g}, {high:g}{']' if high < np.inf else ')'} "
                             f"of {self.text()}, first {x.flat[bad[0]]:g} at index {bad[0]}")
        return x

    def _bound_forms(self, labels, number):
        return [r"-\infty" if self.low is None else
                labels.get(self.low, self.low) if isinstance(self.low, str) else number(self.low),
                r"\infty" if self.high is None else
                labels.get(self.high, self.high) if isinstance(self.high, str)
                else number(self.high)]

    def latex(self, arg_labels=None):
        r"""LaTeX form: the inner distribution restricted to the range of the bounds.

        Parameters
        ----------
        arg_labels : dict, optional
            LaTeX label of each node named by an argument.

        Returns
        -------
        str

        Examples
        --------
        >>> import pgmsim as pg
        >>> print(pg.Truncated(pg.Normal(0, 10), low="mu1").latex({"mu1": r"\mu_1"}))
        \mathcal{N}(0, 10)\big|_{[\mu_1, \infty)}
        """
        labels = arg_labels or {}
        low, high = self._bound_forms(labels, format_number)
        close = ")" if self.high is None else "]"
        return (f"{self.inner.latex(labels)}\\big|_{{{'(' if self.low is None else '['}"
                f"{low}, {high}{close}}}")

    def text(self):
        """Plain-text form, e.g. ``Truncated(Normal(0, 10), low=mu1)``.

        Returns
        -------
        str

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Truncated(pg.Gamma(2, 1), high=5).text()
        'Truncated(Gamma(2, 1), high=5)'
        """
        bounds = [f"{n}={b if isinstance(b, str) else format(b, 'g')}"
                  for n, b in (("low", self.low), ("high", self.high)) if b is not None]
        return f"Truncated({self.inner.text()}, {', '.join(bounds)})"

    def __repr__(self):
        return f"Truncated({self.inner!r}, low={self.low!r}, high={self.high!r})"

    def __eq__(self, other):
        return (type(other) is Truncated and self.inner == other.inner
                and (self.low, self.high) == (other.low, other.high))

    __hash__ = None

