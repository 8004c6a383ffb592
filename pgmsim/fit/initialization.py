"""Where the walkers start: prior draws, a ball around a point, or the MAP."""

from __future__ import annotations

import numpy as np

__all__ = ["initial_walkers"]


def initial_walkers(post, nwalkers, initial=None, seed=None, ball=1e-3):
    """Starting positions of the walkers, all with finite log-posterior.

    Parameters
    ----------
    post : Posterior
    nwalkers : int
    initial : None, "map", dict, MapResult or array_like, optional
        ``None`` draws from the prior; ``"map"`` finds the MAP and starts in a
        small ball around it; a dict or a vector of shape ``(ndim,)`` is the
        centre of a small ball; an array ``(nwalkers, ndim)`` is used as is.
    seed : int or numpy.random.Generator, optional
    ball : float
        Radius of the ball, relative to the prior width of each parameter.

    Returns
    -------
    numpy.ndarray, shape (nwalkers, ndim)
        Every row with a finite log-posterior.

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
    """
    rng = np.random.default_rng(seed)
    if initial is None:
        pool = post.sample_prior(rng, 4 * nwalkers)
        ok = pool[np.isfinite(post.log_prob(pool))]
        if len(ok) < nwalkers:
            raise ValueError(
                f"only {len(ok)} of {len(pool)} prior draws have a finite posterior "
                "density; start from the MAP with initial='map'"
            )
        return ok[:nwalkers]
    if isinstance(initial, str):
        if initial != "map":
            raise ValueError(f"initial must be None, 'map', a dict or an array, got {initial!r}")
        initial = post.find_map(seed=rng)
    if hasattr(initial, "theta"):
        initial = initial.theta
    centre = post.pack(initial) if isinstance(initial, dict) else np.asarray(initial, float)
    if centre.shape == (nwalkers, post.ndim):
        bad = ~np.isfinite(post.log_prob(centre))
        if bad.any():
            raise ValueError(
                f"{bad.sum()} initial walker position(s) have zero posterior density, "
                f"first {dict(zip(post.param_names, centre[bad][0]))}"
            )
        return centre
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
    draws = post.sample_prior(rng, 256)
    width = np.subtract(*np.percentile(draws, [84, 16], axis=0))
    width = np.where(width > 0, width, np.abs(centre) + 1e-8)
    walkers = np.empty((nwalkers, post.ndim))
    filled = 0
    for _ in range(100):
        trial = centre + ball * width * rng.standard_normal((nwalkers, post.ndim))
        ok = trial[np.isfinite(post.log_prob(trial))]
        take = min(len(ok), nwalkers - filled)
        walkers[filled:filled + take] = ok[:take]
        filled += take
        if filled == nwalkers:
            return walkers
    raise ValueError("could not place the walkers around the initial point: the "
                     "posterior density is zero almost everywhere near it")
