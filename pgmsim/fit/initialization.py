"""Where the walkers start: prior draws, a ball around a point, or the MAP.

Around a given point the ball is a fraction of each prior's width. Around the
MAP it is a fraction of the posterior's widths, measured by the curvature of
the log-posterior there (:func:`posterior_covariance`): with a wide prior, a
fraction of the prior width can be hundreds of posterior widths.
"""

from __future__ import annotations

import numpy as np

from ..simulate import draw_priors
from .bounds import prior_spread

__all__ = ["initial_walkers", "posterior_covariance", "prior_draws", "POINT_BALL", "MAP_BALL"]

#: Radius of the ball around a given point, relative to the prior widths.
POINT_BALL = 1e-3
#: Radius of the ball around the MAP, relative to the posterior widths: the
#: walkers start close to the mode and the ensemble spreads in a few steps.
MAP_BALL = 0.1


def posterior_covariance(post, theta, spread):
    """The curvature of the log-posterior at an optimum, as a covariance.

    A finite-difference Hessian ``H`` of the log-posterior in coordinates
    scaled by ``spread``; each step is a tenth of the width it measures
    (refined from 1e-3 until it is), so that narrow and wide posteriors are
    both resolved. The covariance is ``-H^-1`` where ``H`` is negative
    definite. Otherwise (a flat direction, an optimum on a prior bound, a
    saddle) the rule falls back to the diagonal: ``1 / -H_jj`` for each entry
    whose second derivative is negative and finite, NaN for the others.

    Parameters
    ----------
    post : Posterior
    theta : array_like, shape (ndim,)
        The optimum (``find_map().theta``).
    spread : array_like, shape (ndim,)
        A width per entry, setting the scaled coordinates (the prior spread).

    Returns
    -------
    numpy.ndarray, shape (ndim, ndim)
        The covariance of the Gaussian approximation at ``theta``; diagonal,
        with NaN where the curvature says nothing, when ``H`` is not
        negative definite.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.fit.initialization import posterior_covariance
    >>> m = pg.Model("narrow")
    >>> _ = m.param("a", pg.Uniform(-1e4, 1e4))
    >>> _ = m.data("y", pg.Normal("a", 0.01))
    >>> post = m.posterior(data={"y": 3.0})
    >>> cov = posterior_covariance(post, [3.0], [1e4])
    >>> np.round(np.sqrt(cov), 6)
    array([[0.01]])
    """
    theta, spread = np.asarray(theta, float), np.asarray(spread, float)
    ndim = theta.size

    def f(steps):  # log-posterior at theta + steps (rows, scaled coordinates)
        return post.log_prob(theta + steps * spread)

    centre = f(np.zeros((1, ndim)))[0]
    step = np.full(ndim, 1e-3)
    for _ in range(8):
        shifts = np.diag(step)
        second = (f(shifts) + f(-shifts) - 2 * centre) / step**2
        curved = np.isfinite(second) & (second < 0)
        width = np.full(ndim, np.inf)
        width[curved] = 1 / np.sqrt(-second[curved])
        if np.all(step <= 0.1 * width * 1.01):
            break
        step = np.minimum(step, 0.1 * width)
    scaling = np.outer(spread, spread)
    variance = np.full(ndim, np.nan)
    variance[curved] = -1 / second[curved]
    if not curved.all():
        return np.diag(variance) * scaling
    # off-diagonal terms: the four corners (+-step_i, +-step_j) of each pair
    pairs = [(i, j) for i in range(ndim) for j in range(i)]
    corners = np.zeros((len(pairs), 4, ndim))
    for p, (i, j) in enumerate(pairs):
        for k, (si, sj) in enumerate([(1, 1), (1, -1), (-1, 1), (-1, -1)]):
            corners[p, k, i], corners[p, k, j] = si * step[i], sj * step[j]
    hessian = np.diag(second)
    if pairs:
        rows, cols = np.array(pairs).T
        v = f(corners.reshape(-1, ndim)).reshape(len(pairs), 4)
        with np.errstate(invalid="ignore"):  # a corner outside the support: -inf
            mixed = (v[:, 0] - v[:, 1] - v[:, 2] + v[:, 3]) / (4 * step[rows] * step[cols])
        hessian[rows, cols] = hessian[cols, rows] = mixed
    if np.all(np.isfinite(hessian)) and np.all(np.linalg.eigvalsh(-hessian) > 0):
        return np.linalg.inv(-hessian) * scaling
    return np.diag(variance) * scaling


def prior_draws(post, seed, n, start=None):
    """Packed prior draws, the parameters of improper priors held at a given point.

    Improper priors (:class:`pgmsim.Flat`) have no draws: where walkers or
    optimiser starts are spread around a given point, their parameters keep
    its value, and the checks made when a posterior is built use a point
    inside their support.

    Parameters
    ----------
    post : Posterior
    seed : int or numpy.random.Generator
    n : int
        Number of draws.
    start : None, "stand-in" or array_like of shape (ndim,), optional
        Where the parameters of improper priors are held: nowhere (they are
        refused, as by :meth:`Posterior.sample_prior`), at their
        ``stand_in()`` point, or at this packed point.

    Returns
    -------
    numpy.ndarray, shape (n, ndim)

    Raises
    ------
    pgmsim.ImproperPriorError
        If ``start`` is None and a prior is improper, naming its parameter.

    Examples
    --------
    >>> import pgmsim as pg
    >>> from pgmsim.fit.initialization import prior_draws
    >>> m = pg.Model("flat")
    >>> _ = m.param("a", pg.Flat()); _ = m.param("s", pg.HalfNormal(1.0))
    >>> _ = m.data("y", pg.Normal("a", "s"))
    >>> post = m.posterior(data={"y": 1.0})
    >>> draws = prior_draws(post, 0, 4, start=[2.0, 1.0])
    >>> draws[:, 0].tolist()
    [2.0, 2.0, 2.0, 2.0]
    """
    improper = {term.names[0]: term.distribution for term in post._priors
                if getattr(term.distribution, "improper", False)}
    if start is None or not improper:
        return post.sample_prior(seed, n)
    held = ({name: dist.stand_in() for name, dist in improper.items()}
            if isinstance(start, str) else post.unpack(np.asarray(start, dtype=float)))
    draws = draw_priors(post._draw_items, np.random.default_rng(seed), n,
                        post._param_shapes, post._constants, stand_in=held)
    return post._packing.theta_of(draws)


def initial_walkers(post, nwalkers, initial=None, seed=None, ball=None, log_prob=None,
                    return_log_prob=False):
    """Starting positions of the walkers, all with finite log-posterior.

    Parameters
    ----------
    post : Posterior
    nwalkers : int
    initial : None, "map", dict, MapResult or array_like, optional
        ``None`` draws from the prior; ``"map"`` finds the MAP and starts in a
        ball around it, as does a :class:`~pgmsim.fit.optimize.MapResult`; a
        dict or a vector of shape ``(ndim,)`` is the centre of a small ball;
        an array ``(nwalkers, ndim)`` is used as is.
    seed : int or numpy.random.Generator, optional
    ball : float, optional
        Radius of the ball. Around the MAP: relative to the posterior widths
        from the curvature there (:func:`posterior_covariance`; default
        :data:`MAP_BALL`), a Gaussian with that covariance; where the
        curvature says nothing, relative to the prior width. Around a given
        point: relative to the prior width of each parameter (default
        :data:`POINT_BALL`).
    log_prob : callable, optional
        Evaluates the candidate walkers, a batch at a time: by default
        :meth:`Posterior.log_prob`; the sampler passes the function it samples
        with (threads, a pool), so that the start runs where the steps do.
    return_log_prob : bool
        Also return the walkers' log-posterior, for the sampler's first state.

    Returns
    -------
    walkers : numpy.ndarray, shape (nwalkers, ndim)
        Every row with a finite log-posterior.
    values : numpy.ndarray, shape (nwalkers,)
        Their log-posterior; only with ``return_log_prob``.

    Raises
    ------
    ValueError
        If the given positions have zero posterior density, or have the
        wrong shape.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.fit.initialization import initial_walkers
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": [3, 5, 4]})
    >>> walkers = initial_walkers(post, 8, initial={"lam": 4.0}, seed=1)
    >>> walkers.shape, bool(np.all(np.abs(walkers - 4.0) < 0.05))
    ((8, 1), True)

    Around the MAP the ball is a tenth of the posterior width (here 0.01),
    however wide the prior:

    >>> m = pg.Model("narrow")
    >>> _ = m.param("a", pg.Uniform(-1e4, 1e4))
    >>> _ = m.data("y", pg.Normal("a", 0.01))
    >>> walkers = initial_walkers(m.posterior(data={"y": 3.0}), 400, "map", seed=1)
    >>> round(float(walkers.std() / 0.01), 1)
    0.1

    With their log-posterior, as the sampler starts from them:

    >>> walkers, values = initial_walkers(post, 4, [3.0], seed=1, return_log_prob=True)
    >>> bool(np.array_equal(values, post.log_prob(walkers)))
    True
    """
    walkers, values = _start(post, nwalkers, initial, np.random.default_rng(seed), ball,
                             post.log_prob if log_prob is None else log_prob)
    return (walkers, values) if return_log_prob else walkers


def _start(post, nwalkers, initial, rng, ball, log_prob):
    """:func:`initial_walkers`, with the walkers' log-posterior."""
    if initial is None:
        draws = post.sample_prior(rng, 4 * nwalkers)
        values = log_prob(draws)
        ok = np.flatnonzero(np.isfinite(values))
        if len(ok) < nwalkers:
            raise ValueError(
                f"only {len(ok)} of {len(draws)} prior draws have a finite posterior "
                "density; start from the MAP with initial='map'"
            )
        return draws[ok[:nwalkers]], values[ok[:nwalkers]]
    if isinstance(initial, str):
        if initial != "map":
            raise ValueError(f"initial must be None, 'map', a dict or an array, got {initial!r}")
        initial = post.find_map(seed=rng)
    at_map = hasattr(initial, "theta")
    if at_map:
        initial = initial.theta
    centre = post.pack(initial) if isinstance(initial, dict) else np.asarray(initial, float)
    if centre.shape == (nwalkers, post.ndim):
        values = log_prob(centre)
        bad = ~np.isfinite(values)
        if bad.any():
            raise ValueError(
                f"{bad.sum()} initial walker position(s) have zero posterior density, "
                f"first {dict(zip(post.param_names, centre[bad][0]))}"
            )
        return centre, values
    if centre.shape != (post.ndim,):
        raise ValueError(
            f"initial must have shape ({post.ndim},) or ({nwalkers}, {post.ndim}), "
            f"got {centre.shape}"
        )
    if not np.isfinite(post.log_prob(centre)):
        raise ValueError(
            f"the initial point {dict(zip(post.param_names, centre))} has zero "
            "posterior density"
        )
    draws = prior_draws(post, rng, 256, start=centre)
    width = np.subtract(*np.percentile(draws, [84, 16], axis=0))
    # no spread (an improper prior, held at the centre): a unit scale where the centre is 0
    width = np.where(width > 0, width, np.maximum(np.abs(centre), 1.0))
    if at_map:
        ball = MAP_BALL if ball is None else ball
        cov = posterior_covariance(post, centre, prior_spread(draws))
        # no curvature (flat, on a bound): the prior-width ball for that entry
        unknown = np.isnan(np.diag(cov))
        cov[unknown, unknown] = (width[unknown] / ball * POINT_BALL) ** 2
        factor = ball * np.linalg.cholesky(cov)
    else:
        factor = np.diag((POINT_BALL if ball is None else ball) * width)
    walkers, values = np.empty((nwalkers, post.ndim)), np.empty(nwalkers)
    filled = 0
    for _ in range(100):
        trial = centre + rng.standard_normal((nwalkers, post.ndim)) @ factor.T
        trial_values = log_prob(trial)
        ok = np.flatnonzero(np.isfinite(trial_values))[:nwalkers - filled]
        walkers[filled:filled + len(ok)] = trial[ok]
        values[filled:filled + len(ok)] = trial_values[ok]
        filled += len(ok)
        if filled == nwalkers:
            return walkers, values
    raise ValueError("could not place the walkers around the initial point: the "
                     "posterior density is zero almost everywhere near it")
