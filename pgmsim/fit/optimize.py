"""The best point of a posterior, and its map over two parameters.

:func:`find_map` maximises the log-posterior with ``scipy.optimize`` from
several starts (the best prior draws, and a given point) and keeps the best
end point. It says when that point cannot be trusted: an optimum on the edge
of a prior, or starts that end at optima far apart in log-density, give a
:class:`MapWarning` and ``success=False``. For two parameters (a source
position, say) the posterior can be looked at directly: evaluate the
log-likelihood and the log-prior on a grid and add them. The grid points go
through :meth:`Posterior.log_likelihood` and :meth:`Posterior.log_prior` as
batches of walkers, in chunks, so a grid costs a few vectorised calls rather
than a Python loop over points.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize
from scipy.special import logsumexp

from .bounds import on_boundary, prior_spread
from .initialization import prior_draws

__all__ = ["MapWarning", "MapResult", "find_map", "GridResult", "grid", "DISAGREEMENT"]

#: Starts disagree when the best end point beats every other by more than
#: this log-density: a factor e in density. Below it, two end points are the
#: same optimum or optima of comparable weight, both found; above it, only
#: one start reached the best optimum, and from other seeds none may.
DISAGREEMENT = 1.0


class MapWarning(UserWarning):
    """A MAP that cannot be trusted: on a prior bound, or starts disagree.

    Examples
    --------
    >>> import warnings, pgmsim as pg
    >>> from pgmsim.fit.optimize import MapWarning
    >>> m = pg.Model("rate")
    >>> _ = m.param("lam", pg.Uniform(0.0, 10.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     best = m.posterior(data={"N": [0, 0, 0]}).find_map(seed=0)
    >>> best.success, best.at_boundary, caught[0].category is MapWarning
    (False, ('lam',), True)
    """


@dataclass
class MapResult:
    """The maximum a posteriori point found by :func:`find_map`.

    Attributes
    ----------
    theta : numpy.ndarray
        Packed parameter vector, shape ``(ndim,)``.
    params : dict
        Parameter values by name.
    log_prob : float
        Log-posterior at ``theta``.
    success : bool
        True only for a converged interior optimum: the optimiser reported
        convergence, no parameter is on a bound of its prior and the starts
        agree (see :func:`find_map`).
    message : str
        The optimiser's message, and what is wrong when ``success`` is False.
    at_boundary : tuple of str
        Entries of ``theta`` on a finite bound of their prior.
    starts : numpy.ndarray
        Log-posterior at the end of each start, in the order of the starts
        (``initial`` first); ``-inf`` for a start that found no point of
        non-zero density. Starts that agree end at the same value.

    Examples
    --------
    A Gamma(2, 1) prior and three Poisson counts give a Gamma(14, 4)
    posterior, whose mode is 13 / 4:

    >>> import numpy as np, pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": [3, 5, 4]})
    >>> best = post.find_map(seed=0)
    >>> round(float(best.params["lam"]), 4), best.success, best.at_boundary
    (3.25, True, ())
    >>> best.theta.shape, bool(np.isclose(best.log_prob, post.log_prob(best.theta)))
    ((1,), True)
    >>> len(best.starts), bool(np.ptp(best.starts) < 1e-6)
    (4, True)
    """

    theta: np.ndarray
    params: dict
    log_prob: float
    success: bool
    message: str
    at_boundary: tuple = ()
    starts: np.ndarray = field(default_factory=lambda: np.empty(0))


def find_map(post, initial=None, n_starts=4, seed=None, maxiter=None):
    """Maximise the log-posterior with ``scipy.optimize`` from several starts.

    Starts from ``initial`` (if given) and from the ``n_starts`` best of
    many prior draws, runs Powell's method from each in coordinates scaled
    by the prior widths, and keeps the best end point. The result is checked:
    a parameter on a finite bound of its prior (within
    :data:`~pgmsim.fit.bounds.BOUNDARY_FRACTION` of its prior spread), or a
    best end point that beats every other start by more than
    :data:`DISAGREEMENT` in log-density, gives a :class:`MapWarning` that
    names the parameters (and the gap) and ``success=False``.

    Parameters
    ----------
    post : Posterior
    initial : dict or array_like of shape (ndim,), optional
        A starting point: parameter values by name, or a packed vector.
    n_starts : int
        Number of starting points taken from the best prior draws.
    seed : int or numpy.random.Generator, optional
        Seed of the prior draws.
    maxiter : int, optional
        Iteration limit of each optimisation.

    Returns
    -------
    MapResult
        The best end point, its parameter values and log-posterior, the
        parameters on a prior bound and the end log-posterior of each start.

    Raises
    ------
    ValueError
        If ``initial`` has the wrong shape or zero posterior density, or no
        point found has a non-zero posterior density.

    Warns
    -----
    MapWarning
        If the best end point is on a prior bound, or the starts disagree.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.fit.optimize import find_map
    >>> m = pg.Model("two")
    >>> _ = m.param("a", pg.Uniform(-10, 10)); _ = m.param("b", pg.Uniform(-10, 10))
    >>> _ = m.data("z", pg.Normal("a", 1.0)); _ = m.data("w", pg.Normal("b", 2.0))
    >>> post = m.posterior(data={"z": 1.0, "w": -1.0})
    >>> best = find_map(post, initial={"a": 0.0, "b": 0.0}, seed=0)
    >>> np.round(best.theta, 4), best.success
    (array([ 1., -1.]), True)
    """
    rng = np.random.default_rng(seed)
    start = None
    if initial is not None:
        start = post.pack(initial) if isinstance(initial, dict) else np.asarray(initial, float)
        post._as_theta(start)
        if not np.isfinite(post.log_prob(start)):
            raise ValueError(f"the initial point {initial} has zero posterior density")
    # improper priors (no draws) are held at the initial point
    draws = prior_draws(post, rng, max(256, 8 * n_starts), start=start)
    lp = post.log_prob(draws)
    starts = list(draws[np.argsort(-lp)[:n_starts]])
    if start is not None:
        starts.insert(0, start)
    centre = np.median(draws, axis=0)
    scale = prior_spread(draws)

    def objective(u):
        value = post.log_prob(centre + scale * u)
        return -value if np.isfinite(value) else 1e300

    ends = [optimize.minimize(objective, (start - centre) / scale, method="Powell",
                              options={"maxiter": maxiter, "xtol": 1e-6, "ftol": 1e-10})
            for start in starts]
    end_lp = np.array([-res.fun if res.fun < 1e300 else -np.inf for res in ends])
    best = ends[int(np.argmax(end_lp))]
    theta = centre + scale * best.x
    if not np.isfinite(post.log_prob(theta)):
        raise ValueError(
            f"find_map found no point of non-zero posterior density: the {len(starts)} "
            f"starting points, the best of {len(draws)} prior draws, and where Powell's "
            "method went from them all have zero posterior density. Check the data "
            "against the support of their sampling distributions, or give initial=")
    at_boundary = tuple(on_boundary(post, theta, scale))
    problems = _problems(at_boundary, end_lp)
    for problem in problems:
        warnings.warn(f"find_map: {problem}", MapWarning, stacklevel=2)
    return MapResult(theta=theta, params=post.unpack(theta), log_prob=post.log_prob(theta),
                     success=bool(best.success) and not problems,
                     message="; ".join([str(best.message), *problems]),
                     at_boundary=at_boundary, starts=end_lp)


def _problems(at_boundary, end_lp):
    """What makes a best end point untrustworthy, in words."""
    problems = []
    if at_boundary:
        problems.append(
            f"the optimum is on the bound of the prior of {', '.join(at_boundary)}: "
            "the density rises towards the edge of the prior, so this is not an interior "
            "maximum (a start far from the mode, or a prior that cuts the posterior); try "
            "more starts (n_starts=), a start near the expected answer (initial=), or "
            "check the prior range")
    ordered = np.sort(end_lp)[::-1]
    if len(ordered) > 1 and ordered[0] - ordered[1] > DISAGREEMENT:
        problems.append(
            f"the starts disagree: only one of {len(ordered)} reached the best "
            f"log-density {ordered[0]:.6g}; the next best end point is "
            f"{ordered[0] - ordered[1]:.3g} lower, so the best optimum may be missed "
            "from other starts; try more starts (n_starts=)")
    return problems


@dataclass
class GridResult:
    """Log-likelihood, log-prior and log-posterior maps on a 2-D grid.

    Maps are indexed ``[i, j]`` with ``i`` along :attr:`y_values` and ``j``
    along :attr:`x_values` (rows along ``y``, as images).

    Attributes
    ----------
    x, y : str
        The two parameters of the grid.
    x_values, y_values : numpy.ndarray
        Grid values, shapes ``(nx,)`` and ``(ny,)``.
    log_likelihood : numpy.ndarray, shape (ny, nx)
        Log-likelihood of the data.
    log_prior : numpy.ndarray, shape (ny, nx)
        Log-prior of the full parameter vector (``-inf`` where it is zero).
    log_posterior : numpy.ndarray, shape (ny, nx)
        ``log_likelihood + log_prior - log_norm``: the log of the conditional
        posterior density of ``(x, y)``, normalised on the grid.
    log_norm : float
        Log of the sum of ``exp(log_likelihood + log_prior)`` times the cell
        areas: the normalisation on the grid.
    at : dict
        Values of the other parameters, held fixed (packed names).

    Examples
    --------
    Independent Gaussian likelihoods in ``a`` (width 1) and ``b`` (width 2):
    the posterior means on the grid are the data.

    >>> import numpy as np, pgmsim as pg
    >>> m = pg.Model("two")
    >>> _ = m.param("a", pg.Uniform(-10, 10)); _ = m.param("b", pg.Uniform(-10, 10))
    >>> _ = m.data("z", pg.Normal("a", 1.0)); _ = m.data("w", pg.Normal("b", 2.0))
    >>> post = m.posterior(data={"z": 1.0, "w": -1.0})
    >>> g = post.grid("a", "b", np.linspace(-4, 6, 101), np.linspace(-9, 7, 81))
    >>> g.x, g.y, g.log_likelihood.shape, g.at
    ('a', 'b', (81, 101), {})
    >>> p = np.exp(g.log_posterior) * g.cell_areas()
    >>> mean_b = np.sum(p * g.y_values[:, np.newaxis])
    >>> round(float(mean_b), 3)
    -1.0
    """

    x: str
    y: str
    x_values: np.ndarray
    y_values: np.ndarray
    log_likelihood: np.ndarray
    log_prior: np.ndarray
    log_posterior: np.ndarray
    log_norm: float
    at: dict = field(default_factory=dict)

    def cell_areas(self):
        """Area of each grid cell (cell widths by ``numpy.gradient``).

        Returns
        -------
        numpy.ndarray, shape (ny, nx)
            Width along ``x`` times width along ``y`` of each cell; the
            weights that turn :attr:`log_posterior` into probabilities.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("two")
        >>> _ = m.param("a", pg.Uniform(-10, 10)); _ = m.param("b", pg.Uniform(-10, 10))
        >>> _ = m.data("z", pg.Normal("a", 1.0)); _ = m.data("w", pg.Normal("b", 2.0))
        >>> post = m.posterior(data={"z": 1.0, "w": -1.0})
        >>> g = post.grid("a", "b", np.linspace(-4, 6, 101), np.linspace(-9, 7, 81))
        >>> g.cell_areas().shape, float(g.cell_areas()[0, 0])
        ((81, 101), 0.02)
        >>> round(float(np.sum(np.exp(g.log_posterior) * g.cell_areas())), 6)
        1.0
        """
        return np.outer(_widths(self.y_values), _widths(self.x_values))

    def credible_levels(self, probabilities=(0.68, 0.95)):
        """Posterior densities that bound the highest-density regions.

        Parameters
        ----------
        probabilities : sequence of float
            Posterior probabilities in ``(0, 1)``.

        Returns
        -------
        numpy.ndarray
            For each probability, the density above which the grid holds that
            much posterior probability.

        Raises
        ------
        ValueError
            If a probability is not in ``(0, 1)``.

        Examples
        --------
        For a 2-D Gaussian the region holding probability ``p`` is bounded
        by the density ``(1 - p)`` times the peak density:

        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("two")
        >>> _ = m.param("a", pg.Uniform(-10, 10)); _ = m.param("b", pg.Uniform(-10, 10))
        >>> _ = m.data("z", pg.Normal("a", 1.0)); _ = m.data("w", pg.Normal("b", 2.0))
        >>> post = m.posterior(data={"z": 1.0, "w": -1.0})
        >>> g = post.grid("a", "b", np.linspace(-4, 6, 101), np.linspace(-9, 7, 81))
        >>> levels = g.credible_levels([0.5, 0.9])
        >>> np.round(levels / np.exp(g.log_posterior).max(), 2)
        array([0.5, 0.1])
        """
        density = np.exp(self.log_posterior).ravel()
        mass = density * self.cell_areas().ravel()
        order = np.argsort(-density)
        cumulative = np.cumsum(mass[order])
        out = []
        for p in np.atleast_1d(probabilities):
            if not 0 < p < 1:
                raise ValueError(f"probabilities must lie in (0, 1), got {p!r}")
            k = min(np.searchsorted(cumulative, p * cumulative[-1]), density.size - 1)
            out.append(density[order[k]])
        return np.asarray(out)

    def plot(self, truth=None, probabilities=(0.68, 0.95), floor=-20.0):
        """Three panels: log-likelihood, log-prior and log-posterior maps.

        Each map is shown relative to its maximum; the highest-density
        regions of the posterior holding ``probabilities`` are drawn as
        contours on all three panels.

        Parameters
        ----------
        truth : dict or sequence of 2 floats, optional
            A point to mark: ``{x: ..., y: ...}`` or ``(x, y)``.
        probabilities : sequence of float
            Posterior probabilities of the contours.
        floor : float
            The panels show values relative to their maximum, down to
            ``floor``.

        Returns
        -------
        matplotlib.figure.Figure
            Three panels, each with its colour bar.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("two")
        >>> _ = m.param("a", pg.Uniform(-10, 10)); _ = m.param("b", pg.Uniform(-10, 10))
        >>> _ = m.data("z", pg.Normal("a", 1.0)); _ = m.data("w", pg.Normal("b", 2.0))
        >>> post = m.posterior(data={"z": 1.0, "w": -1.0})
        >>> g = post.grid("a", "b", np.linspace(-4, 6, 101), np.linspace(-9, 7, 81))
        >>> fig = g.plot(truth={"a": 1.0, "b": -1.0})
        >>> len(fig.axes), fig.axes[2].get_title()
        (6, 'log-posterior (sum)')
        """
        from matplotlib.figure import Figure

        fig = Figure(figsize=(14, 4.2), layout="constrained")
        axes = fig.subplots(1, 3, sharex=True, sharey=True)
        xs, ys = self.x_values, self.y_values
        panels = [
            (self._relative(self.log_likelihood, floor), r"$\Delta \ln L$",
             "log-likelihood", "viridis"),
            (self._relative(self.log_prior, floor), r"$\Delta \ln \pi$", "log-prior",
             "viridis"),
            (self._relative(self.log_posterior, floor), r"$\Delta \ln p$",
             "log-posterior (sum)", "magma"),
        ]
        levels = np.unique(self.credible_levels(probabilities))
        density = np.exp(self.log_posterior)
        levels = levels[(levels > density.min()) & (levels < density.max())]
        for ax, (image, label, title, cmap) in zip(axes, panels):
            mesh = ax.pcolormesh(xs, ys, image, shading="nearest", cmap=cmap)
            fig.colorbar(mesh, ax=ax, label=label, shrink=0.9)
            if levels.size:
                ax.contour(xs, ys, density, levels=levels, colors="w", linewidths=0.8)
            if truth is not None:
                tx, ty = (truth[self.x], truth[self.y]) if isinstance(truth, dict) else truth
                ax.plot([tx], [ty], marker="+", color="r", ms=12, mew=2)
            ax.set_title(title)
            ax.set_xlabel(self.x)
        axes[0].set_ylabel(self.y)
        percent = ", ".join(f"{100 * p:g}%" for p in probabilities)
        fig.suptitle(f"posterior of ({self.x}, {self.y}) on a grid; contours hold {percent}")
        return fig

    @staticmethod
    def _relative(values, floor):
        finite = np.isfinite(values)
        if not finite.any():
            return np.ma.masked_all(values.shape)
        shown = np.where(finite, values - values[finite].max(), np.nan)
        return np.ma.masked_invalid(np.maximum(shown, floor))


def _widths(values):
    return np.gradient(values) if values.size > 1 else np.ones(1)


def _grid_values(values, name):
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or values.size < 2:
        raise ValueError(f"grid values of {name!r} must be a 1-D array of at least 2 "
                         f"values, got shape {values.shape}")
    if not np.all(np.isfinite(values)) or not np.all(np.diff(values) > 0):
        raise ValueError(f"grid values of {name!r} must be finite and increasing")
    return values


def _base_point(post, x, y, at):
    """The packed parameter vector whose ``x`` and ``y`` entries the grid replaces."""
    if at is None:
        others = [n for n in post.param_names if n not in (x, y)]
        if others:
            raise ValueError(
                f"give the values of the other parameters {others} with at={{...}} "
                "(e.g. the truth of a mock, or find_map().params)")
        return np.zeros(post.ndim)
    if hasattr(at, "theta"):
        at = at.theta
    if isinstance(at, dict):
        values = dict(at)
        for name, value in post.unpack(np.zeros(post.ndim)).items():
            # the grid parameters themselves need no value
            if name not in values and name in (x, y) and np.ndim(value) == 0:
                values[name] = 0.0
        try:
            return post.pack(values)
        except ValueError as err:
            raise ValueError(f"at: {err}") from None
    theta = np.asarray(at, dtype=float)
    if theta.shape != (post.ndim,):
        raise ValueError(f"at must be a dict, a MapResult or a vector of shape "
                         f"({post.ndim},), got shape {theta.shape}")
    return theta.copy()


def grid(post, x, y, x_values, y_values, at=None, chunk=2048):
    """Evaluate a posterior on a grid of two parameters, the others fixed.

    Parameters
    ----------
    post : Posterior
    x, y : str
        Names of two parameters (entries of ``post.param_names``).
    x_values, y_values : array_like
        Increasing grid values of ``x`` and ``y``.
    at : dict, MapResult or array_like, optional
        Values of the other parameters (entries for ``x`` and ``y`` are
        ignored); needed unless the model has only these two parameters.
    chunk : int
        Number of grid points per vectorised call.

    Returns
    -------
    GridResult
        The log-likelihood, log-prior and normalised log-posterior maps,
        each of shape ``(len(y_values), len(x_values))``, with a
        :meth:`~GridResult.plot` method.

    Raises
    ------
    ValueError
        Unknown or equal parameter names, bad grid values, missing values of
        the other parameters, or a posterior that is zero on the whole grid.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> m = pg.Model("two")
    >>> _ = m.param("a", pg.Uniform(-5, 5)); _ = m.param("b", pg.Uniform(-5, 5))
    >>> _ = m.data("z", pg.Normal("a", 1.0)); _ = m.data("w", pg.Normal("b", 2.0))
    >>> post = m.posterior(data={"z": 1.0, "w": -1.0})
    >>> g = post.grid("a", "b", np.linspace(-4, 4, 81), np.linspace(-4, 4, 61))
    >>> g.log_posterior.shape
    (61, 81)
    >>> a, b = g.x_values[np.newaxis, :], g.y_values[:, np.newaxis]
    >>> mean_a = np.sum(np.exp(g.log_posterior) * g.cell_areas() * a)
    >>> round(float(mean_a), 3)
    1.0
    """
    names = list(post.param_names)
    for name in (x, y):
        if name not in names:
            raise ValueError(f"{name!r} is not a parameter; parameters are {names}")
    if x == y:
        raise ValueError(f"the two grid parameters must differ, got {x!r} twice")
    if int(chunk) != chunk or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    xs, ys = _grid_values(x_values, x), _grid_values(y_values, y)
    base = _base_point(post, x, y, at)
    ix, iy = names.index(x), names.index(y)
    gx, gy = np.meshgrid(xs, ys)
    points = np.tile(base, (gx.size, 1))
    points[:, ix], points[:, iy] = gx.ravel(), gy.ravel()
    log_like = np.empty(gx.size)
    log_prior = np.empty(gx.size)
    for start in range(0, gx.size, int(chunk)):
        batch = points[start:start + int(chunk)]
        log_prior[start:start + len(batch)] = post.log_prior(batch)
        log_like[start:start + len(batch)] = post.log_likelihood(batch)
    log_like = log_like.reshape(gx.shape)
    log_prior = log_prior.reshape(gx.shape)
    total = log_like + log_prior
    log_area = np.log(_widths(ys))[:, None] + np.log(_widths(xs))[None, :]
    log_norm = float(logsumexp(total + log_area))
    if not np.isfinite(log_norm):
        raise ValueError(f"the posterior is zero everywhere on the grid of ({x}, {y}); "
                         "move the grid into the prior support")
    at_values = {n: float(v) for n, v in zip(names, base) if n not in (x, y)}
    return GridResult(x=x, y=y, x_values=xs, y_values=ys, log_likelihood=log_like,
                      log_prior=log_prior, log_posterior=total - log_norm,
                      log_norm=log_norm, at=at_values)
