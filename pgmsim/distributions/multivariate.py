r"""Distributions over a vector: :class:`MultivariateNormal` and :class:`Dirichlet`.

They are priors of a vector parameter declared with ``shape=D``,

>>> import numpy as np, pgmsim as pg
>>> m = pg.Model("regression")
>>> m.param("beta", pg.MultivariateNormal(np.zeros(2), cov=np.eye(2)), shape=2)
'beta'

and give one factor :math:`p(\boldsymbol{\beta})` of the joint density. Their
arguments are arrays or the names of nodes; the density of a batch of
vectors (shape ``(..., D)``) has the batch shape ``(...)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg, special

from ._format import format_number
from .base import Distribution

__all__ = ["MultivariateDistribution", "MultivariateNormal", "Dirichlet"]

_LOG_2PI = math.log(2.0 * math.pi)


class MultivariateDistribution(Distribution):
    r"""Base class of distributions over a vector of ``D`` entries.

    Arguments are arrays (a vector or a matrix, as ``_arg_ndims`` says) or
    node names. What makes constant arguments unusable is found once, when
    the distribution is made (:meth:`problem`), and raised when it is used
    or declared as a prior (:meth:`check`, which names the node).

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> prior = pg.MultivariateNormal([0.0, 1.0], cov=np.eye(2))
    >>> prior.dim, prior.event_ndim, prior.parents
    (2, 1, ())
    """

    #: number of trailing axes of one draw: a vector
    event_ndim = 1
    #: the densities are -inf off the support already
    checks_support = True
    #: expected number of dimensions of each array argument, by name
    _arg_ndims: dict = {}

    def __init__(self, **named):
        names, args = [], []
        for name, arg in named.items():
            names.append(name)
            if isinstance(arg, str):
                if not arg.isidentifier():
                    raise ValueError(f"{type(self).__name__} argument {name}={arg!r} is "
                                     "not a valid node name")
                args.append(arg)
                continue
            try:
                array = np.array(arg, dtype=float)
            except (TypeError, ValueError) as err:
                raise TypeError(f"{type(self).__name__} argument {name} must be an array "
                                f"of numbers or the name of a node, got {arg!r}") from err
            if array.ndim != self._arg_ndims[name] or array.size == 0:
                what = "a vector" if self._arg_ndims[name] == 1 else "a square matrix"
                raise ValueError(f"{type(self).__name__} argument {name} must be {what}, "
                                 f"got shape {array.shape}")
            if not np.all(np.isfinite(array)):
                raise ValueError(f"{type(self).__name__} argument {name} must be finite")
            array.flags.writeable = False
            args.append(array)
        self.arg_names, self.args = tuple(names), tuple(args)
        self._problem = self._find_problem(dict(zip(self.arg_names, self.args)))

    # -- structure -----------------------------------------------------------
    @property
    def dim(self):
        """The length ``D`` of the vector, or ``None`` when every argument names a node."""
        for arg in self.args:
            if not isinstance(arg, str):
                return arg.shape[0]
        return None

    def problem(self):
        """What makes the constant arguments unusable, as a sentence; ``None`` when valid.

        Returns
        -------
        str or None

        Examples
        --------
        >>> import pgmsim as pg
        >>> print(pg.Dirichlet([1.0, -2.0]).problem())
        alpha must be positive, got [1, -2]
        """
        return self._problem

    def check(self, names=None):
        """Raise if the constant arguments are unusable, naming the node.

        Parameters
        ----------
        names : sequence of str, optional
            The node(s) the distribution is declared for.

        Raises
        ------
        ValueError

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.MultivariateNormal([0, 0], cov=[[1, 2], [2, 1]]).check(["beta"])
        Traceback (most recent call last):
            ...
        ValueError: node 'beta': invalid MultivariateNormal: cov is not positive definite
        """
        if self._problem is None:
            return
        where = f"node {', '.join(map(repr, names))}: " if names else ""
        raise ValueError(f"{where}invalid {type(self).__name__}: {self._problem}")

    def check_arguments(self, known, node):
        """Check argument values known before fitting: finite numbers.

        Parameters
        ----------
        known : dict
            Values of some arguments, by argument name.
        node : str
            The node, named in messages.

        Raises
        ------
        ValueError

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> pg.Dirichlet("a").check_arguments({"alpha": np.array([1.0, np.nan])}, "p")
        Traceback (most recent call last):
            ...
        ValueError: node 'p': Dirichlet argument alpha has non-finite values
        """
        for name, value in known.items():
            if not np.all(np.isfinite(np.asarray(value, dtype=float))):
                raise ValueError(f"node {node!r}: {type(self).__name__} argument {name} "
                                 "has non-finite values")

    def logpdf(self, x, params=None):
        """Log density of vectors ``x`` (last axis ``D``), fully normalised.

        Parameters
        ----------
        x : array_like, shape (..., D)
        params : sequence of array_like, optional
            Values of the arguments that name nodes.

        Returns
        -------
        numpy.ndarray of shape (...) or float
            ``-inf`` off the support, never NaN.

        Raises
        ------
        ValueError
            If the constant arguments are unusable (see :meth:`check`).

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> pg.Dirichlet([1.0, 1.0, 1.0]).logpdf([[0.2, 0.3, 0.5], [0.5, 0.6, -0.1]])
        array([0.69314718,       -inf])
        """
        self.check()
        return super().logpdf(x, params)

    def sample(self, rng, size=None, params=None):
        """Draw vectors.

        Parameters
        ----------
        rng : numpy.random.Generator or int or None
        size : int or tuple of int, optional
            The number (or shape) of vectors: the result has shape ``size + (D,)``.
        params : sequence of array_like, optional
            Values of the arguments that name nodes.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Dirichlet([1.0, 2.0, 3.0]).sample(0, size=5).shape
        (5, 3)
        """
        self.check()
        size = () if size is None else (size,) if np.ndim(size) == 0 else tuple(size)
        return super().sample(rng, size, params)

    def _support(self, *params):
        return (-np.inf, np.inf)

    # -- written forms --------------------------------------------------------
    #: LaTeX symbol of each argument given as an array
    _symbols: dict = {}

    def latex(self, arg_labels=None):
        r"""LaTeX form: arrays by their symbol, node names by their labels.

        Parameters
        ----------
        arg_labels : dict, optional
            LaTeX label of each node named by an argument.

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> print(pg.MultivariateNormal(np.zeros(2), cov=np.eye(2)).latex())
        \mathcal{N}(\boldsymbol{\mu}, \Sigma)
        """
        labels = arg_labels or {}
        parts = [labels.get(a, a) if isinstance(a, str) else self._symbols[name]
                 for name, a in zip(self.arg_names, self.args)]
        return f"{self.latex_name}({', '.join(parts)})"

    def text(self):
        """Plain-text form, arrays written out.

        Returns
        -------
        str

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.MultivariateNormal("m", chol=[[1, 0], [0.5, 2]]).text()
        'MultivariateNormal(m, chol=[[1, 0], [0.5, 2]])'
        """
        parts = []
        for i, (name, arg) in enumerate(zip(self.arg_names, self.args)):
            value = arg if isinstance(arg, str) else _array_text(arg)
            parts.append(value if i == 0 else f"{name}={value}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __repr__(self):
        return self.text()

    def __eq__(self, other):
        return (type(self) is type(other) and self.arg_names == other.arg_names
                and all(np.array_equal(a, b) if not isinstance(a, str) else a == b
                        for a, b in zip(self.args, other.args)))

    __hash__ = None


def _array_text(array):
    if array.ndim == 1:
        return "[" + ", ".join(format_number(v) for v in array) + "]"
    return "[" + ", ".join(_array_text(row) for row in array) + "]"


class MultivariateNormal(MultivariateDistribution):
    r"""The multivariate normal distribution :math:`\mathcal{N}(\boldsymbol{\mu}, \Sigma)`.

    Parameters
    ----------
    mu : array_like of shape (D,) or str
        The mean vector, or the name of a node.
    cov : array_like of shape (D, D) or str, optional
        The covariance matrix (symmetric, positive definite).
    chol : array_like of shape (D, D) or str, optional
        Its lower Cholesky factor :math:`L` (:math:`\Sigma = L L^T`), instead of ``cov``.

    Raises
    ------
    TypeError
        If not exactly one of ``cov`` and ``chol`` is given.
    ValueError
        If an array has the wrong number of dimensions or non-finite values.
        Dimensions that disagree, or a covariance that is not symmetric
        positive definite, are raised when the distribution is used or
        declared (see :meth:`check`), naming the node.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from scipy import stats
    >>> cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> prior = pg.MultivariateNormal([1.0, -1.0], cov=cov)
    >>> x = np.array([[0.0, 0.0], [1.0, 2.0]])
    >>> bool(np.allclose(prior.logpdf(x), stats.multivariate_normal([1, -1], cov).logpdf(x)))
    True
    >>> prior.mean(), prior.variance()
    (array([ 1., -1.]), array([2., 1.]))
    >>> prior.sample(0, size=(4, 3)).shape
    (4, 3, 2)
    """

    latex_name = r"\mathcal{N}"
    checks_support = True
    _arg_ndims = {"mu": 1, "cov": 2, "chol": 2}
    _symbols = {"mu": r"\boldsymbol{\mu}", "cov": r"\Sigma", "chol": "L"}

    def __init__(self, mu, cov=None, chol=None):
        if (cov is None) == (chol is None):
            raise TypeError("MultivariateNormal takes exactly one of cov= and chol=")
        if cov is not None:
            super().__init__(mu=mu, cov=cov)
        else:
            super().__init__(mu=mu, chol=chol)
        scale = self.args[1]
        self._chol = self._whiten = None
        if self._problem is None and not isinstance(scale, str):
            self._chol = np.linalg.cholesky(scale) if self.arg_names[1] == "cov" else scale
            # the Cholesky solve, once: L^-1 (a small matrix product per call
            # is far cheaper than a LAPACK call on the sampler's hot path)
            self._whiten = linalg.solve_triangular(self._chol, np.eye(len(scale)), lower=True)

    def _find_problem(self, args):
        mu, form = args["mu"], "cov" if "cov" in args else "chol"
        scale = args[form]
        if isinstance(scale, str):
            return None
        if scale.shape[0] != scale.shape[1]:
            return f"{form} must be a square matrix, got shape {scale.shape}"
        if not isinstance(mu, str) and mu.shape[0] != scale.shape[0]:
            return (f"mu has {mu.shape[0]} entries but {form} is "
                    f"{scale.shape[0]}x{scale.shape[1]}")
        if form == "chol":
            if np.any(np.triu(scale, 1)) or np.any(np.diag(scale) <= 0):
                return "chol must be lower triangular with a positive diagonal"
            return None
        if not np.allclose(scale, scale.T, rtol=1e-10, atol=0.0):
            return "cov is not symmetric"
        try:
            np.linalg.cholesky(scale)
        except np.linalg.LinAlgError:
            return "cov is not positive definite"
        return None

    def _factor(self, scale):
        """Lower Cholesky factors of ``scale`` (batch allowed); NaN where not PD."""
        if self._chol is not None:
            return self._chol
        if self.arg_names[1] == "chol":
            good = np.all(np.diagonal(scale, axis1=-2, axis2=-1) > 0, axis=-1)
            return np.where(good[..., None, None], np.tril(scale), np.nan)
        try:
            return np.linalg.cholesky(scale)
        except np.linalg.LinAlgError:
            flat = scale.reshape((-1,) + scale.shape[-2:])
            out = np.full(flat.shape, np.nan)
            for i, one in enumerate(flat):
                try:
                    out[i] = np.linalg.cholesky(one)
                except np.linalg.LinAlgError:
                    pass
            return out.reshape(scale.shape)

    def _logpdf(self, x, mu, scale):
        chol = self._factor(scale)
        diff = x - mu
        dim = diff.shape[-1]
        if self._whiten is not None:
            maha = np.sum((diff @ self._whiten.T) ** 2, axis=-1)
        elif chol.ndim == 2:
            flat = diff.reshape(-1, dim)
            z = linalg.solve_triangular(chol, flat.T, lower=True, check_finite=False)
            maha = np.sum(z**2, axis=0).reshape(diff.shape[:-1])
        else:
            z = np.linalg.solve(chol, diff[..., None])[..., 0]
            maha = np.sum(z**2, axis=-1)
        logdet = 2.0 * np.sum(np.log(np.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
        return -0.5 * (dim * _LOG_2PI + logdet + maha)

    def _sample(self, rng, size, mu, scale):
        chol = self._factor(scale)
        dim = chol.shape[-1]
        z = rng.standard_normal(tuple(size) + (dim,))
        return mu + np.einsum("...ij,...j->...i", chol, z)

    def _mean(self, mu, scale):
        return np.broadcast_to(mu, np.shape(scale)[:-1]).copy()

    def _variance(self, mu, scale):
        chol = self._factor(scale)
        return np.sum(chol**2, axis=-1)


class Dirichlet(MultivariateDistribution):
    r"""The Dirichlet distribution on the simplex, :math:`\mathrm{Dir}(\boldsymbol{\alpha})`.

    A parameter with a Dirichlet prior takes ``D - 1`` entries of ``theta``
    (``p[0]`` ... ``p[D-2]``): its last entry is one minus the others.

    Parameters
    ----------
    alpha : array_like of shape (D,) or str
        Positive concentrations (``D >= 2``), or the name of a node.

    Raises
    ------
    ValueError
        If ``alpha`` is not a vector of finite numbers; non-positive values
        or fewer than two are raised when the distribution is used or
        declared (see :meth:`check`).

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from scipy import stats
    >>> prior = pg.Dirichlet([2.0, 3.0, 5.0])
    >>> x = np.array([0.2, 0.3, 0.5])
    >>> bool(np.isclose(prior.logpdf(x), stats.dirichlet([2, 3, 5]).logpdf(x)))
    True
    >>> prior.mean()
    array([0.2, 0.3, 0.5])
    >>> float(prior.logpdf([0.2, 0.3, 0.6]))      # off the simplex
    -inf
    """

    latex_name = r"\mathrm{Dir}"
    checks_support = True
    _arg_ndims = {"alpha": 1}
    _symbols = {"alpha": r"\boldsymbol{\alpha}"}
    #: its vectors sum to one: packed without their last entry
    simplex = True

    def __init__(self, alpha):
        super().__init__(alpha=alpha)

    def _find_problem(self, args):
        alpha = args["alpha"]
        if isinstance(alpha, str):
            return None
        if np.any(alpha <= 0):
            return f"alpha must be positive, got {_array_text(alpha)}"
        if alpha.shape[0] < 2:
            return "alpha needs at least two entries"
        return None

    def _logpdf(self, x, alpha):
        on_simplex = np.all(x >= 0, axis=-1) & (np.abs(np.sum(x, axis=-1) - 1.0) < 1e-9)
        log_norm = special.gammaln(np.sum(alpha, axis=-1)) - np.sum(special.gammaln(alpha),
                                                                    axis=-1)
        density = np.sum(special.xlogy(alpha - 1.0, x), axis=-1) + log_norm
        return np.where(on_simplex, density, -np.inf)

    def _sample(self, rng, size, alpha):
        if np.ndim(alpha) == 1:
            return rng.dirichlet(alpha, size)
        gamma = rng.standard_gamma(np.broadcast_to(alpha, tuple(size) + alpha.shape[-1:]))
        return gamma / np.sum(gamma, axis=-1, keepdims=True)

    def _support(self, alpha):
        return (0.0, 1.0)

    def _mean(self, alpha):
        return alpha / np.sum(alpha, axis=-1, keepdims=True)

    def _variance(self, alpha):
        total = np.sum(alpha, axis=-1, keepdims=True)
        return alpha * (total - alpha) / (total**2 * (total + 1.0))
