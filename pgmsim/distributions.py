"""Priors and sampling distributions.

Each distribution holds its arguments, which are numbers or the names of other
nodes (``pg.Poisson("mu")``, ``pg.Normal("mu_pop", "sigma_pop")``). Densities are
written in plain numpy, fully normalised, vectorised by broadcasting, and return
``-inf`` (never NaN) outside the support.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
from scipy import special

__all__ = [
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
]

_LOG_2PI = math.log(2.0 * math.pi)


def _overflowed(out, *args):
    """A log-likelihood with ``-inf`` where it is NaN although no argument is.

    Such a NaN comes from an argument that overflowed to infinity (``exp`` of a
    large parameter: ``inf - inf``); finite data have zero density there. A NaN
    argument keeps its NaN, so that the posterior can name the node at fault.
    Called only when ``out`` holds a NaN: off the hot path.
    """
    nan_arg = False
    for arg in args:
        arg = np.asarray(arg)
        nan_arg = nan_arg | (np.isnan(arg).any(axis=-1) if arg.ndim else np.isnan(arg))
    return np.where(np.isnan(out) & ~nan_arg, -np.inf, out)


def _format_number(value):
    """Short LaTeX/plain form of a number: 40, 0.5, 10^{-3}."""
    value = float(value)
    if value == int(value) and abs(value) < 1e5:
        return str(int(value))
    exponent = math.floor(math.log10(abs(value))) if value != 0 else 0
    mantissa = value / 10.0**exponent
    if abs(exponent) >= 3 and math.isclose(mantissa, round(mantissa)):
        sign = "-" if value < 0 else ""
        if abs(round(mantissa)) == 1:
            return f"{sign}10^{{{exponent}}}"
        return f"{round(mantissa)} \\times 10^{{{exponent}}}"
    return f"{value:g}"


class Distribution:
    r"""Base class of priors and sampling distributions.

    Subclasses set ``arg_names``, ``latex_name`` and implement ``_logpdf``,
    ``_sample`` and ``_support``, each taking the argument values explicitly.

    Parameters
    ----------
    *args : float or str
        The distribution's arguments, in the order of ``arg_names``: a number, or
        the name of a node of the model whose value is used.

    Raises
    ------
    TypeError
        If the number of arguments differs from ``len(arg_names)``, or an
        argument is neither a number nor a string.
    ValueError
        If a string argument is not a valid node name, a number is not
        finite, or constant arguments are invalid (e.g. ``low >= high``).

    Examples
    --------
    A new distribution sets ``arg_names`` and ``latex_name`` and writes its
    density, sampler and support in numpy:

    >>> import numpy as np
    >>> from pgmsim.distributions import Distribution
    >>> class Laplace(Distribution):
    ...     arg_names = ("mu", "b")
    ...     latex_name = r"\mathrm{Laplace}"
    ...     def _logpdf(self, x, mu, b):
    ...         return -np.abs(x - mu) / b - np.log(2 * b)
    ...     def _sample(self, rng, size, mu, b):
    ...         return rng.laplace(mu, b, size)
    ...     def _support(self, mu, b):
    ...         return (-np.inf, np.inf)
    >>> prior = Laplace(0, 2)
    >>> float(prior.logpdf(0.0)), prior.text()
    (-1.3862943611198906, 'Laplace(0, 2)')
    """

    arg_names: tuple = ()
    latex_name: str = ""
    #: whether the variable takes integer values only (counts)
    discrete: bool = False

    def __init__(self, *args):
        if len(args) != len(self.arg_names):
            raise TypeError(
                f"{type(self).__name__} takes {len(self.arg_names)} arguments "
                f"({', '.join(self.arg_names)}), got {len(args)}: {args!r}"
            )
        for name, arg in zip(self.arg_names, args):
            if isinstance(arg, str):
                if not arg.isidentifier():
                    raise ValueError(
                        f"{type(self).__name__} argument {name}={arg!r} is not a valid "
                        "node name"
                    )
            elif isinstance(arg, (Real, np.number)) and not isinstance(arg, bool):
                if not np.isfinite(arg):
                    raise ValueError(
                        f"{type(self).__name__} argument {name}={arg!r} must be finite"
                    )
            else:
                raise TypeError(
                    f"{type(self).__name__} argument {name} must be a number or the "
                    f"name of a node, got {type(arg).__name__} {arg!r}"
                )
        self.args = tuple(float(a) if not isinstance(a, str) else a for a in args)
        if not self.parents:
            self._check_args(*self.args)

    # -- structure -------------------------------------------------------
    @property
    def parents(self):
        """Names of the nodes the arguments refer to, in argument order."""
        return tuple(a for a in self.args if isinstance(a, str))

    def _check_args(self, *params):
        """Raise ValueError if constant arguments are invalid (e.g. low >= high)."""

    def _resolve(self, params):
        if params is None:
            if self.parents:
                raise ValueError(
                    f"{self!r} refers to node(s) {', '.join(self.parents)}: "
                    "pass their values with params=(...)"
                )
            return self.args
        if len(params) != len(self.arg_names):
            raise TypeError(
                f"{type(self).__name__} needs {len(self.arg_names)} parameter values "
                f"({', '.join(self.arg_names)}), got {len(params)}"
            )
        return tuple(params)

    # -- public API -------------------------------------------------------
    def logpdf(self, x, params=None):
        """Log density (or log mass) at ``x``, fully normalised.

        Parameters
        ----------
        x : array_like
            Points at which to evaluate.
        params : sequence of array_like, optional
            Values of the arguments, needed when some of them name nodes;
            broadcast against ``x``.

        Returns
        -------
        numpy.ndarray or float
            ``-inf`` outside the support, never NaN.

        Examples
        --------
        >>> import pgmsim as pg
        >>> float(pg.Uniform(0, 4).logpdf(1.0))
        -1.3862943611198906
        """
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # arrays, so that invalid arguments give inf or NaN, never a Python
            # ZeroDivisionError (0.0 / 0.0 between floats)
            args = [np.asarray(a, dtype=float) for a in self._resolve(params)]
            out = self._logpdf(x, *args)
        out = np.where(np.isnan(out), -np.inf, out)
        return out[()] if out.ndim == 0 else out

    def sample(self, rng, size=None, params=None):
        """Draw random values.

        Parameters
        ----------
        rng : numpy.random.Generator or int or None
            Random generator, or a seed for ``numpy.random.default_rng``.
        size : int or tuple of int, optional
            Output shape (broadcast with the parameters).
        params : sequence of array_like, optional
            Values of the arguments that name nodes.

        Returns
        -------
        numpy.ndarray or float

        Examples
        --------
        >>> import pgmsim as pg
        >>> x = pg.Normal(0, 1).sample(1, size=1000)
        >>> x.shape
        (1000,)
        """
        rng = np.random.default_rng(rng)
        return self._sample(rng, size, *self._resolve(params))

    def support(self, params=None):
        """The interval ``(low, high)`` outside which the density is zero.

        Parameters
        ----------
        params : sequence of float, optional
            Values of the arguments, needed when some of them name nodes.

        Returns
        -------
        tuple of float
            ``(low, high)``; infinite for unbounded supports.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Uniform(0, 40).support()
        (0.0, 40.0)
        >>> pg.Uniform("lo", "hi").support(params=(1.0, 3.0))
        (1.0, 3.0)
        """
        return self._support(*self._resolve(params))

    def latex(self, arg_labels=None):
        r"""LaTeX form, e.g. ``\mathcal{U}(0, 40)``.

        Parameters
        ----------
        arg_labels : dict, optional
            LaTeX label of each node named by an argument; the node name by
            default.

        Returns
        -------
        str
            LaTeX without math delimiters.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Uniform(0, 40).latex()
        '\\mathcal{U}(0, 40)'
        >>> print(pg.Normal("mu_pop", 2.5).latex({"mu_pop": r"\mu_{\mathrm{pop}}"}))
        \mathcal{N}(\mu_{\mathrm{pop}}, 2.5)
        """
        labels = arg_labels or {}
        parts = [
            labels.get(a, a) if isinstance(a, str) else _format_number(a)
            for a in self.args
        ]
        return f"{self.latex_name}({', '.join(parts)})"

    def text(self):
        """Plain-text form, e.g. ``Uniform(0, 40)``.

        Returns
        -------
        str
            The class name and the arguments, node names as they are.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Normal("mu", 2.5).text()
        'Normal(mu, 2.5)'
        """
        parts = [a if isinstance(a, str) else f"{a:g}" for a in self.args]
        return f"{type(self).__name__}({', '.join(parts)})"

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(repr(a) for a in self.args)})"

    def __eq__(self, other):
        return type(self) is type(other) and self.args == other.args

    __hash__ = None

    # -- hot path of one-point evaluation -------------------------------
    def _logpdf_scalar(self, x, *params):
        """Log density at one point, as a Python float.

        ``x`` and ``params`` are floats. Subclasses override this with
        :mod:`math` for speed (a numpy call on a scalar costs about a
        microsecond, ten times the arithmetic); this default calls
        :meth:`_logpdf`. Outside the support the result is ``-inf``; it may
        be NaN for invalid arguments, which callers treat as ``-inf``.
        """
        return float(self._logpdf(np.float64(x), *params))

    # -- hooks for the log-likelihood of observed data ---------------------
    def validate_data(self, x, node):
        """Check observed values; raise ValueError naming ``node`` if invalid.

        Called once when a posterior is built, for the data of each data node.

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
        TypeError
            If the values are not numeric.
        ValueError
            If some values are NaN or infinite.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Normal("mu", 1.0).validate_data([0.5, 2], "y")
        array([0.5, 2. ])
        """
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise TypeError(
                f"data for node {node!r} must be numeric, got dtype {x.dtype}"
            )
        if not np.all(np.isfinite(x)):
            bad = np.flatnonzero(~np.isfinite(x))
            raise ValueError(
                f"data for node {node!r} contain {bad.size} non-finite value(s) "
                f"(NaN or inf), first at index {bad[0]}"
            )
        return x.astype(float)

    def loglike(self, x):
        """A function of the argument values returning ``sum(logpdf(x))``.

        The sum runs over the last axis, so argument values of shape
        ``(nwalkers, K)`` give ``(nwalkers,)``. Data-only terms are computed
        once here, not at every call.

        Parameters
        ----------
        x : numpy.ndarray
            The observed values, as returned by :meth:`validate_data`.

        Returns
        -------
        callable
            ``total(*params)``: the log-likelihood of ``x`` for the argument
            values ``params``, summed over the last axis.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> total = pg.Uniform("lo", "hi").loglike(np.array([0.5, 1.5]))
        >>> float(total(0.0, 2.0))
        -1.3862943611198906
        """

        def total(*params):
            out = np.sum(self._logpdf(x, *params), axis=-1)
            if np.isnan(out).any():
                out = _overflowed(out, *params)
            return out

        return total


# --------------------------------------------------------------------------
# continuous priors


class Uniform(Distribution):
    r"""Uniform distribution on ``[low, high]``, LaTeX ``\mathcal{U}(low, high)``.

    Parameters
    ----------
    low, high : float or str
        Bounds of the support, ``low < high``; numbers or names of nodes.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Uniform(0, 40).latex()
    '\\mathcal{U}(0, 40)'
    """

    arg_names = ("low", "high")
    latex_name = r"\mathcal{U}"

    def _check_args(self, low, high):
        if not low < high:
            raise ValueError(f"Uniform needs low < high, got low={low}, high={high}")

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


class LogUniform(Distribution):
    r"""Log-uniform (scale-invariant) distribution on ``[low, high]``, ``low > 0``.

    The density is ``1 / (x ln(high/low))``.

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

    def _check_args(self, low, high):
        if not 0 < low < high:
            raise ValueError(
                f"LogUniform needs 0 < low < high, got low={low}, high={high}"
            )

    def _logpdf(self, x, low, high):
        inside = (x >= low) & (x <= high)
        return np.where(inside, -np.log(x) - np.log(np.log(high / low)), -np.inf)

    def _logpdf_scalar(self, x, low, high):
        if low <= x <= high and 0 < low < high:
            return -math.log(x) - math.log(math.log(high / low))
        return -math.inf

    def _sample(self, rng, size, low, high):
        return np.exp(rng.uniform(np.log(low), np.log(high), size))

    def _support(self, low, high):
        return (low, high)


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

    def _check_args(self, mu, sigma):
        if not sigma > 0:
            raise ValueError(f"Normal needs sigma > 0, got sigma={sigma}")

    def _logpdf(self, x, mu, sigma):
        z = (x - mu) / sigma
        out = -0.5 * z * z - np.log(sigma) - 0.5 * _LOG_2PI
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

    def _check_args(self, mu, sigma):
        if not sigma > 0:
            raise ValueError(f"LogNormal needs sigma > 0, got sigma={sigma}")

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

    def _check_args(self, sigma):
        if not sigma > 0:
            raise ValueError(f"HalfNormal needs sigma > 0, got sigma={sigma}")

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

    def _check_args(self, rate):
        if not rate > 0:
            raise ValueError(f"Exponential needs rate > 0, got rate={rate}")

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

    def _check_args(self, alpha, beta):
        if not (alpha > 0 and beta > 0):
            raise ValueError(
                f"Gamma needs alpha > 0 and beta > 0, got alpha={alpha}, beta={beta}"
            )

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

    def _check_args(self, a, b):
        if not (a > 0 and b > 0):
            raise ValueError(f"Beta needs a > 0 and b > 0, got a={a}, b={b}")

    def _logpdf(self, x, a, b):
        inside = (x > 0) & (x < 1) & (a > 0) & (b > 0)
        xs = np.where(inside, x, 0.5)
        out = (a - 1) * np.log(xs) + (b - 1) * np.log1p(-xs) - special.betaln(a, b)
        return np.where(inside, out, -np.inf)

    def _sample(self, rng, size, a, b):
        return rng.beta(a, b, size)

    def _support(self, a, b):
        return (0.0, 1.0)


# --------------------------------------------------------------------------
# counts


class Poisson(Distribution):
    r"""Poisson distribution with mean ``mu``, for photon counts.

    The log-mass includes ``-log N!``. With ``mu = 0`` only ``N = 0`` is possible.

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
    discrete = True

    def _check_args(self, mu):
        if not mu >= 0:
            raise ValueError(f"Poisson needs mu >= 0, got mu={mu}")

    def _logpdf(self, x, mu):
        integer = (x >= 0) & (x == np.floor(x)) & np.isfinite(x)
        xs = np.where(integer, x, 0.0)
        out = special.xlogy(xs, mu) - mu - special.gammaln(xs + 1.0)
        return np.where(integer & (mu >= 0) & np.isfinite(mu), out, -np.inf)

    def _sample(self, rng, size, mu):
        return rng.poisson(mu, size)

    def _support(self, mu):
        return (0.0, np.inf)

    def validate_data(self, x, node):
        """Check that the observed counts are non-negative integers.

        Parameters
        ----------
        x : array_like
            The observed counts.
        node : str
            The data node, named in error messages.

        Returns
        -------
        numpy.ndarray
            ``x`` as floats.

        Raises
        ------
        ValueError
            If a value is negative, not an integer, NaN or infinite; the
            message gives the first one and its index.

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
        if np.any(x < 0):
            bad = np.flatnonzero(x < 0)
            raise ValueError(
                f"Poisson data for node {node!r} must be non-negative counts; "
                f"{bad.size} value(s) are negative, first {x.flat[bad[0]]:g} at "
                f"index {bad[0]}"
            )
        if np.any(x != np.floor(x)):
            bad = np.flatnonzero(x != np.floor(x))
            raise ValueError(
                f"Poisson data for node {node!r} must be integer counts; "
                f"{bad.size} value(s) are not, first {x.flat[bad[0]]:g} at "
                f"index {bad[0]}"
            )
        return x

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
        # log N! is a data-only constant, and N log mu vanishes where N = 0:
        # X-ray images are mostly empty pixels, so take the log only where N > 0.
        x = np.asarray(x, dtype=float)
        const = float(np.sum(special.gammaln(x + 1.0)))
        nonzero = np.flatnonzero(x.reshape(-1) > 0) if x.ndim else None
        if x.ndim == 0:
            counts = x

            def total(mu):
                mu = np.asarray(mu)[..., 0] if np.ndim(mu) else mu
                out = special.xlogy(counts, mu) - mu - const
                if np.isnan(out).any():
                    out = np.where(np.isnan(out) & ~np.isnan(mu), -np.inf, out)
                return np.where(mu < 0, -np.inf, out)

            return total
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
