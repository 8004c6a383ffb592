"""The transform from the unit cube to the prior, built from the graph.

Nested sampling draws points uniformly in the unit cube and needs the map
``u -> theta`` that makes them draws of the prior. The graph knows every
prior, so the map is built here, nothing declared twice: the priors are taken
in topological order, each through its inverse CDF (``ppf``) with its
arguments evaluated at the parameters already drawn, so that a hierarchical
prior is conditional on its parents. Each entry of ``u`` feeds one entry of
``theta``:

* a univariate prior: its quantile function, entrywise for a parameter on a
  plate or declared with ``shape=``;
* :class:`~pgmsim.MultivariateNormal`: ``mu + L z`` with ``z`` the standard
  normal quantiles of ``u`` and ``L`` the Cholesky factor of the covariance;
* :class:`~pgmsim.Dirichlet`: stick-breaking, the ``k``-th share a
  ``Beta(alpha_k, alpha_{k+1} + ... + alpha_D)`` quantile of what is left
  (``D - 1`` entries, as ``theta`` packs them);
* :class:`~pgmsim.MapPrior`: the inverse CDF of the ``x`` marginal, then that
  of ``y`` within the chosen column (exact for a density constant on pixels).

Improper priors (:class:`~pgmsim.Flat`) have no such map and are refused,
naming the parameter, as are priors without an inverse CDF
(:class:`~pgmsim.Mixture`).

Examples
--------
>>> import numpy as np, pgmsim as pg
>>> m = pg.Model("line")
>>> _ = m.param("a", pg.Uniform(0.0, 4.0))
>>> _ = m.param("b", pg.Normal("a", 1.0))
>>> _ = m.data("y", pg.Normal("b", 1.0))
>>> post = m.posterior(data={"y": 1.0})
>>> post.prior_transform([0.25, 0.5])        # b's median is a's value
array([1., 1.])
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..distributions.improper import ImproperPriorError
from ..distributions.joint import MapPrior
from ..distributions.multivariate import Dirichlet, MultivariateNormal
from ..graph.evaluate import PriorTerm

__all__ = ["PriorTransform", "NoPriorTransformError"]


class NoPriorTransformError(ValueError):
    """A prior has no transform from the unit cube (no inverse CDF).

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("mix")
    >>> _ = m.param("a", pg.Mixture(0.5, [pg.Normal(0, 1), pg.Normal(3, 1)]))
    >>> _ = m.data("y", pg.Normal("a", 1.0))
    >>> m.posterior(data={"y": 1.0}).prior_transform([0.5])
    Traceback (most recent call last):
      ...
    pgmsim.fit.prior_transform.NoPriorTransformError: parameter 'a' has no transform from the unit cube: its prior Mixture(...) defines no inverse CDF (_ppf); nested sampling needs one for every prior
    """


class PriorTransform:
    """``u -> theta``: unit-cube points to packed parameter vectors of a posterior.

    Parameters
    ----------
    post : Posterior

    Raises
    ------
    ImproperPriorError
        If a prior is improper (:class:`~pgmsim.Flat`, :class:`~pgmsim.HalfFlat`).
    NoPriorTransformError
        If a prior has no inverse CDF.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.fit.prior_transform import PriorTransform
    >>> m = pg.Model("rate")
    >>> _ = m.param("lam", pg.Exponential(2.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> transform = PriorTransform(m.posterior(data={"N": [1, 2]}))
    >>> transform(np.array([[0.5], [0.9]])).round(4)      # median ln2 / 2
    array([[0.3466],
           [1.1513]])
    """

    def __init__(self, post):
        self._post = post
        where = {name: at for name, at, _ in post._packing.entries}
        needed = {step.name for step in post._prior_steps}
        # the walk as a plan, worked out once: dynesty calls it point by point
        self._plan = []
        for item in post._draw_items:
            if not isinstance(item, PriorTerm):
                if item.name in needed:
                    self._plan.append((item, None, None))
                continue
            _check_term(item)
            places = tuple(where[name] for name in item.names)
            constant = None if item.distribution.parents else [
                np.asarray(a, dtype=float) for a in item.args]
            self._plan.append((item, places, constant))

    def __call__(self, u):
        """The parameter vectors of unit-cube points.

        Parameters
        ----------
        u : array_like, shape (ndim,) or (n, ndim)
            Points of the unit cube ``[0, 1]^ndim``.

        Returns
        -------
        numpy.ndarray, shape (ndim,) or (n, ndim)

        Raises
        ------
        ValueError
            If ``u`` has the wrong shape or values outside ``[0, 1]``.
        """
        post = self._post
        u = np.asarray(u, dtype=float)
        if u.ndim not in (1, 2) or u.shape[-1] != post.ndim:
            raise ValueError(f"u must have shape ({post.ndim},) or (n, {post.ndim}) for "
                             f"parameters {post.param_names}, got shape {u.shape}")
        if not (u.min() >= 0.0 and u.max() <= 1.0):
            raise ValueError("u must lie in the unit cube [0, 1]: got values from "
                             f"{np.min(u):g} to {np.max(u):g}")
        batch = u[None, :] if u.ndim == 1 else u
        theta = np.empty_like(batch)
        # the batch convention of the steps: scalars as (n, 1) columns
        values = dict(post._constants)
        with np.errstate(all="ignore"):
            for item, places, constant in self._plan:
                if places is None:
                    values[item.name] = np.asarray(item(values))
                else:
                    args = constant if constant is not None else [
                        np.asarray(a, dtype=float) for a in item.arguments(values)]
                    self._transform(item, places, args, batch, theta, values)
        return theta if u.ndim == 2 else theta[0]

    @staticmethod
    def _transform(term, places, args, u, theta, values):
        """Fill the entries of ``term``'s parameters in ``theta`` and ``values``."""
        dist = term.distribution
        if isinstance(dist, MapPrior):
            x, y = map_prior_ppf(dist, u[:, places[0]], u[:, places[1]])
            theta[:, places[0]], theta[:, places[1]] = x, y
            values[term.names[0]], values[term.names[1]] = x[:, None], y[:, None]
            return
        where = places[0]
        vector = isinstance(where, slice)
        cube = u[:, where] if vector else u[:, where:where + 1]
        if isinstance(dist, MultivariateNormal):
            value = args[0] + np.einsum("...ij,...j->...i", dist._factor(args[1]),
                                        special.ndtri(cube))
        elif isinstance(dist, Dirichlet):
            value = dirichlet_ppf(args[0], cube)
        else:
            # the hook itself: cube points are in [0, 1], checked on the way in
            value = dist._ppf(cube, *args)
            if value.shape != cube.shape:
                value = np.broadcast_to(value, cube.shape)
        # a Dirichlet vector packs all its entries but the last
        theta[:, where] = value[:, :cube.shape[1]] if vector else value[:, 0]
        values[term.names[0]] = value


def _check_term(term):
    """Refuse, naming the parameter, a prior that has no transform."""
    dist, name = term.distribution, term.names[0]
    if getattr(dist, "improper", False):
        raise ImproperPriorError(
            f"parameter {name!r} has an improper prior {dist.text()}: it has no transform "
            "from the unit cube, and the evidence is undefined; give it a proper prior "
            "for nested sampling")
    if isinstance(dist, (MapPrior, MultivariateNormal, Dirichlet)) or dist._ppf is not None:
        return
    text = "Mixture(...)" if type(dist).__name__ == "Mixture" else dist.text()
    raise NoPriorTransformError(
        f"parameter {name!r} has no transform from the unit cube: its prior {text} "
        "defines no inverse CDF (_ppf); nested sampling needs one for every prior")


def dirichlet_ppf(alpha, u):
    """Points of the simplex from ``D - 1`` unit-cube coordinates, by stick-breaking.

    Parameters
    ----------
    alpha : array_like, shape (D,) or (n, D)
        Dirichlet concentrations.
    u : array_like, shape (n, D - 1)

    Returns
    -------
    numpy.ndarray, shape (n, D)
        Rows that sum to one, Dirichlet-distributed for uniform ``u``.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.fit.prior_transform import dirichlet_ppf
    >>> dirichlet_ppf([1.0, 1.0], np.array([[0.25]]))
    array([[0.25, 0.75]])
    """
    u = np.asarray(u, dtype=float)
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), (len(u), u.shape[1] + 1))
    # what is left after share k has the concentration of the shares after it
    after = np.cumsum(alpha[:, ::-1], axis=1)[:, ::-1]
    out = np.empty(alpha.shape)
    left = np.ones(len(u))
    for k in range(u.shape[1]):
        out[:, k] = left * special.betaincinv(alpha[:, k], after[:, k + 1], u[:, k])
        left = left - out[:, k]
    out[:, -1] = left
    return out


def map_prior_ppf(prior, ux, uy):
    """Points of a :class:`~pgmsim.MapPrior` from two unit-cube coordinates.

    The ``x`` marginal's inverse CDF, then the inverse CDF of ``y`` within
    the column found; both are piecewise linear, the density being constant
    on each pixel.

    Parameters
    ----------
    prior : MapPrior
    ux, uy : numpy.ndarray, shape (n,)

    Returns
    -------
    x, y : numpy.ndarray, shape (n,)

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.fit.prior_transform import map_prior_ppf
    >>> prior = pg.MapPrior([[0.0, 1.0], [1.0, 2.0]], extent=(0, 2, 0, 2))
    >>> x, y = map_prior_ppf(prior, np.array([0.125, 0.625]), np.array([0.5, 0.5]))
    >>> x, y        # the first column holds 1/4 of the mass, all in its upper pixel
    (array([0.5, 1.5]), array([1.5 , 1.25]))
    """
    ux, uy = np.asarray(ux, dtype=float), np.asarray(uy, dtype=float)
    xmin, _, ymin, _ = prior.extent
    dx, dy = prior.pixel_size
    prob = prior.probabilities
    col, x_frac = _cell(np.cumsum(prob.sum(axis=0))[None, :], ux)
    in_column = np.cumsum(prob[:, col].T, axis=1)
    row, y_frac = _cell(in_column / in_column[:, -1:], uy)
    return xmin + (col + x_frac) * dx, ymin + (row + y_frac) * dy


def _cell(cdf, u):
    """The cell of a piecewise-linear CDF (rows of ``cdf``, cumulative over
    cells) where ``u`` falls, and how far into it."""
    cdf = cdf / cdf[:, -1:]
    cell = np.minimum((cdf <= u[:, None]).sum(axis=1), cdf.shape[1] - 1)
    rows = np.arange(len(u)) if cdf.shape[0] > 1 else np.zeros(len(u), dtype=int)
    upper = cdf[rows, cell]
    lower = np.where(cell > 0, cdf[rows, np.maximum(cell - 1, 0)], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(upper > lower, (u - lower) / (upper - lower), 0.5)
    return cell, np.clip(frac, 0.0, 1.0)
