"""The box each parameter's prior allows, and the parameters found on its edge.

An optimiser started in a region of low density can run into the edge of a
prior (a flux at the lower end of its LogUniform, a position on the border of
the image) and stop there, reporting success: the density keeps rising
towards the edge, and nothing beyond it is allowed. :func:`on_boundary` tells
such an end point from an interior optimum.
"""

from __future__ import annotations

import numpy as np

__all__ = ["prior_bounds", "prior_spread", "on_boundary", "BOUNDARY_FRACTION"]

#: A parameter closer to a finite bound than this fraction of its prior
#: spread (:func:`prior_spread`) is on the bound. Powell's method, as
#: :func:`~pgmsim.fit.optimize.find_map` runs it, stops at a relative step of
#: 1e-6 in coordinates scaled by that spread: closer than that, an end point
#: cannot be told from the bound (a boundary optimum ends 1e-12 from it).
BOUNDARY_FRACTION = 1e-6


def prior_spread(draws):
    """Half the 16-84 percentile range of prior draws, per entry of ``theta``.

    Parameters
    ----------
    draws : numpy.ndarray, shape (n, ndim)
        Prior draws (:meth:`Posterior.sample_prior`).

    Returns
    -------
    numpy.ndarray, shape (ndim,)
        The spread (one standard deviation for a Gaussian prior); 1 where
        the draws do not vary.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.fit.bounds import prior_spread
    >>> draws = np.random.default_rng(0).normal([0.0, 5.0], [10.0, 0.1], (20000, 2))
    >>> np.round(prior_spread(draws), 1)
    array([10. ,  0.1])
    """
    spread = np.subtract(*np.percentile(draws, [84, 16], axis=0)) / 2
    return np.where(spread > 0, spread, 1.0)


def prior_bounds(post, theta):
    """Lower and upper bounds of each entry of ``theta`` allowed by its prior.

    Parameters
    ----------
    post : Posterior
    theta : array_like, shape (ndim,)
        The point at which priors whose arguments name nodes (hierarchical
        priors) are evaluated.

    Returns
    -------
    low, high : numpy.ndarray, shape (ndim,)
        The support of each prior; infinite where it is unbounded.

    Examples
    --------
    >>> import pgmsim as pg
    >>> from pgmsim.fit.bounds import prior_bounds
    >>> m = pg.Model("bounded")
    >>> _ = m.param("lo", pg.Uniform(0.0, 1.0))
    >>> _ = m.param("hi", pg.Uniform("lo", 5.0))
    >>> _ = m.param("s", pg.HalfNormal(1.0))
    >>> _ = m.data("y", pg.Normal("hi", "s"))
    >>> low, high = prior_bounds(m.posterior(data={"y": 2.0}), [0.5, 2.0, 1.0])
    >>> low.tolist(), high.tolist()
    ([0.0, 0.5, 0.0], [1.0, 5.0, inf])
    """
    theta = np.asarray(theta, dtype=float)
    low, high = np.full(post.ndim, -np.inf), np.full(post.ndim, np.inf)
    where = {entry.name: entry.where for entry in post._params}
    values = None
    for term in post._priors:
        distribution = term.distribution
        if len(term.names) > 1:          # a joint prior: one box per variable
            boxes = distribution.support()
        else:
            params = None
            if distribution.parents:     # arguments that name nodes, at theta
                values = post._prior_values(theta, False) if values is None else values
                params = term.arguments(values)
            boxes = [distribution.support(params)]
        for name, (lo, hi) in zip(term.names, boxes):
            low[where[name]], high[where[name]] = lo, hi
    return low, high


def on_boundary(post, theta, spread):
    """Names of the entries of ``theta`` on a finite bound of their prior.

    Parameters
    ----------
    post : Posterior
    theta : array_like, shape (ndim,)
    spread : array_like, shape (ndim,)
        The prior spread of each entry (:func:`prior_spread`); an entry
        closer than :data:`BOUNDARY_FRACTION` times it to a bound is on it.

    Returns
    -------
    list of str
        Entries of ``post.param_names`` on a bound, in order.

    Examples
    --------
    >>> import pgmsim as pg
    >>> from pgmsim.fit.bounds import on_boundary
    >>> m = pg.Model("rate")
    >>> _ = m.param("lam", pg.Uniform(0.0, 10.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": [0, 0]})
    >>> on_boundary(post, [1e-12], [3.0]), on_boundary(post, [0.5], [3.0])
    (['lam'], [])
    """
    theta = np.asarray(theta, dtype=float)
    low, high = prior_bounds(post, theta)
    close = BOUNDARY_FRACTION * np.asarray(spread, dtype=float)
    near = (theta - low <= close) | (high - theta <= close)
    return [name for name, flag in zip(post.param_names, near) if flag]
