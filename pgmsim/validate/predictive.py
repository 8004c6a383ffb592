"""Posterior predictive checks: discrepancy statistics, p-values, residual maps.

Replicated data are drawn from the graph at posterior draws
(:meth:`SamplingResult.posterior_predictive`). A discrepancy statistic
``T(y, theta)`` is computed for the observed data and for each replication
at the same ``theta``; the posterior predictive p-value is the fraction of
replications at least as discrepant as the data (Gelman, Meng & Stern 1996).
A p-value near 0 says the model does not reproduce the data.

Statistics (``statistic=``):

- ``"deviance"``: twice the log-likelihood ratio to the saturated model,
  :meth:`Distribution.deviance <pgmsim.distributions.Distribution.deviance>`.
  Poisson: ``2 sum[N ln(N / mu) - (N - mu)]`` (the Cash statistic minus its
  minimum); Normal: ``sum((x - mu)^2 / sigma^2)``.
- ``"chi2"``: Pearson's ``sum((x - E)^2 / Var)``, with the distribution's
  :meth:`~pgmsim.distributions.Distribution.mean` and
  :meth:`~pgmsim.distributions.Distribution.variance` (``E = Var = mu`` for a
  Poisson, ``E = mu, Var = sigma^2`` for a Normal).
- ``"loglike"``: ``-2 log p(y | theta)``, for any sampling distribution.
- a callable ``f(x, args) -> float array``: ``x`` has shape ``(n, K)``, and
  ``args`` are the distribution's argument values, each broadcastable to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..distributions import UndefinedQuantityError
from ..graph.nodes import NodeKind

__all__ = ["ppc_pvalue", "PPCResult", "discrepancy", "residuals", "residual_map",
           "STATISTICS"]


def _deviance(x, dist, args):
    return np.sum(dist.deviance(x, params=args), axis=-1)


def _pearson(x, dist, args):
    mean, var = dist.mean(params=args), dist.variance(params=args)
    return np.sum((x - mean) ** 2 / var, axis=-1)


def _loglike(x, dist, args):
    return -2.0 * np.sum(dist.logpdf(x, params=args), axis=-1)


#: the named discrepancy statistics
STATISTICS = {"deviance": _deviance, "chi2": _pearson, "loglike": _loglike}


def _data_node(model, node):
    names = model.names(NodeKind.DATA)
    if node is None:
        if len(names) != 1:
            raise ValueError(f"model {model.name!r} has data nodes {names}: choose one "
                             "with node=...")
        return names[0]
    if node not in names:
        raise ValueError(f"{node!r} is not a data node of model {model.name!r}; data "
                         f"nodes: {names}")
    return node


def _args(dist, values, n):
    """The distribution's argument values for each of ``n`` draws, as (n, 1 or K)."""
    out = []
    for arg in dist.args:
        if isinstance(arg, str):
            value = np.asarray(values[arg], dtype=float)
            out.append(value.reshape(n, -1))
        else:
            out.append(arg)
    return out


def discrepancy(statistic, x, dist, args):
    """A discrepancy statistic of data ``x`` given the distribution's arguments.

    Parameters
    ----------
    statistic : {"deviance", "chi2", "loglike"} or callable
    x : numpy.ndarray, shape (n, K)
        Data (observed, broadcast, or replicated), one row per posterior draw.
    dist : Distribution
        The data node's sampling distribution.
    args : list
        Its argument values, each of shape ``(n, K)``, ``(n, 1)`` or a number.

    Returns
    -------
    numpy.ndarray, shape (n,)

    Raises
    ------
    ValueError
        If the statistic is unknown, or not defined for ``dist``.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> x = np.array([[2.0, 0.0, 5.0]])
    >>> float(discrepancy("chi2", x, pg.Poisson("mu"), [np.array([[2.0, 1.0, 5.0]])])[0])
    1.0
    """
    if callable(statistic):
        return np.asarray(statistic(x, args), dtype=float).reshape(len(x))
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}; choose one of "
                         f"{sorted(STATISTICS)} or pass a function f(x, args)")
    try:
        return STATISTICS[statistic](x, dist, args)
    except UndefinedQuantityError as err:
        raise UndefinedQuantityError(f"{err}; use statistic='loglike' or a function "
                                     "f(x, args)") from err


@dataclass
class PPCResult:
    """A posterior predictive check.

    Attributes
    ----------
    node : str
        The data node checked.
    statistic : str
        Name of the discrepancy statistic.
    observed : numpy.ndarray, shape (n,)
        ``T(y, theta_s)`` of the data at each posterior draw.
    replicated : numpy.ndarray, shape (n,)
        ``T(y_rep_s, theta_s)`` of the replicated data.
    p_value : float
        Fraction of draws with ``replicated >= observed``.

    Examples
    --------
    >>> import numpy as np
    >>> check = PPCResult("N", "deviance", np.array([3.0, 4.0]), np.array([5.0, 1.0]), 0.5)
    >>> check
    <PPCResult: deviance of 'N', 2 draws, p = 0.5>
    """

    node: str
    statistic: str
    observed: np.ndarray
    replicated: np.ndarray
    p_value: float

    def plot(self):
        """Replicated against observed discrepancy, with the line ``y = x``.

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> import numpy as np
        >>> import matplotlib.pyplot as plt
        >>> check = PPCResult("N", "chi2", np.array([3.0, 4.0]), np.array([5.0, 1.0]), 0.5)
        >>> fig = check.plot()
        >>> len(fig.axes)
        1
        >>> plt.close(fig)
        """
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4.2, 4))
        ax.scatter(self.observed, self.replicated, s=6, alpha=0.5)
        both = np.concatenate([self.observed, self.replicated])
        lim = [both.min(), both.max()]
        ax.plot(lim, lim, color="k", lw=0.8)
        ax.set_xlabel(f"T(y, θ)  [{self.statistic}]")
        ax.set_ylabel("T(y_rep, θ)")
        ax.set_title(f"{self.node}: p = {self.p_value:.3g}")
        fig.tight_layout()
        return fig

    def __repr__(self):
        return (f"<PPCResult: {self.statistic} of {self.node!r}, {len(self.observed)} "
                f"draws, p = {self.p_value:.3g}>")


def ppc_pvalue(result, statistic="deviance", n=200, node=None, seed=None, discard=None):
    """Posterior predictive p-value of a discrepancy statistic.

    Parameters
    ----------
    result : SamplingResult
        A fit, carrying its posterior.
    statistic : {"deviance", "chi2", "loglike"} or callable
        See the module notes.
    n : int
        Number of posterior draws (replications).
    node : str, optional
        The data node; needed when the model has several.
    seed : int or numpy.random.Generator, optional
    discard : int, optional
        Burn-in; the first quarter of the chain by default.

    Returns
    -------
    PPCResult

    Raises
    ------
    ValueError
        Unknown statistic or data node, or a result without posterior.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": [3, 5, 4, 6, 2]})
    >>> res = pg.sample(post, nwalkers=8, nsteps=300, seed=1, progress=False)
    >>> check = ppc_pvalue(res, "chi2", n=100, seed=2)
    >>> 0 <= check.p_value <= 1
    True
    """
    rep = result.posterior_predictive(n=n, seed=seed, discard=discard)
    post = result.posterior
    node = _data_node(post.model, node)
    dist = post.model.node(node).distribution
    args = _args(dist, rep, n)
    x_rep = np.asarray(rep[node], dtype=float).reshape(n, -1)
    x_obs = np.broadcast_to(post.data[node].reshape(1, -1), x_rep.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = discrepancy(statistic, x_obs, dist, args)
        replicated = discrepancy(statistic, x_rep, dist, args)
    name = statistic if isinstance(statistic, str) else getattr(statistic, "__name__",
                                                                 "custom")
    return PPCResult(node, name, observed, replicated,
                     float(np.mean(replicated >= observed)))


def residuals(result, node=None, n=200, seed=None, discard=None):
    """Data minus the posterior-mean model, raw and Pearson.

    Parameters
    ----------
    result : SamplingResult
    node : str, optional
        The data node; needed when the model has several.
    n : int
        Posterior draws averaged over.
    seed : int or numpy.random.Generator, optional
    discard : int, optional

    Returns
    -------
    dict
        ``data``, ``model`` (posterior mean of the expected data),
        ``residual`` (data - model) and ``pearson`` (residual divided by the
        square root of the posterior-mean variance), each of the data's
        shape.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": [3, 5, 4, 6]})
    >>> res = pg.sample(post, nwalkers=8, nsteps=200, seed=1, progress=False)
    >>> maps = residuals(res, n=50, seed=2)
    >>> maps["pearson"].shape
    (4,)
    """
    rep = result.posterior_predictive(n=n, seed=seed, discard=discard)
    post = result.posterior
    node = _data_node(post.model, node)
    dist = post.model.node(node).distribution
    data = post.data[node]
    args = _args(dist, rep, n)
    try:
        mean, var = dist.mean(params=args), dist.variance(params=args)
        mean = np.broadcast_to(mean, (n, data.size)).mean(axis=0)
        var = np.broadcast_to(var, (n, data.size)).mean(axis=0)
    except UndefinedQuantityError:
        # other distributions: Monte Carlo moments of the replications
        x_rep = np.asarray(rep[node], dtype=float).reshape(n, -1)
        mean, var = x_rep.mean(axis=0), x_rep.var(axis=0, ddof=1)
    mean = mean.reshape(data.shape)
    var = var.reshape(data.shape)
    residual = data - mean
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = np.where(var > 0, residual / np.sqrt(var), 0.0)
    return {"data": data, "model": mean, "residual": residual, "pearson": pearson}


def residual_map(result, node=None, shape=None, image=None, n=200, seed=None,
                 discard=None):
    """Images of the data, posterior-mean model, residual and Pearson residual.

    Parameters
    ----------
    result : SamplingResult
    node : str, optional
        The data node (a plate vector of pixels, or an image).
    shape : tuple of int, optional
        ``(ny, nx)`` to reshape a pixel vector (row-major).
    image : callable, optional
        ``image(values) -> 2-D array``, e.g.
        ``model.image`` for a plate with an image shape; takes precedence over
        ``shape``.
    n, seed, discard
        See :func:`residuals`.

    Returns
    -------
    matplotlib.figure.Figure
        Four panels; the Pearson panel uses a symmetric colour scale
        clipped at 5.

    Raises
    ------
    ValueError
        If the data cannot be made into an image.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="pixels")
    >>> post = m.posterior(data={"N": [3, 5, 4, 6, 2, 4]})
    >>> res = pg.sample(post, nwalkers=8, nsteps=200, seed=1, progress=False)
    >>> fig = residual_map(res, shape=(2, 3), n=20, seed=2)
    >>> [ax.get_title() for ax in fig.axes if ax.get_images()][-1]
    'Pearson residual'
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import matplotlib.pyplot as plt

    maps = residuals(result, node=node, n=n, seed=seed, discard=discard)
    if image is None:
        if shape is None:
            if maps["data"].ndim != 2:
                raise ValueError(
                    f"the data have shape {maps['data'].shape}: pass shape=(ny, nx) or "
                    "image=function to make them an image")
            shape = maps["data"].shape
        if int(np.prod(shape)) != maps["data"].size:
            raise ValueError(f"shape {shape} does not hold the {maps['data'].size} data "
                             "values")

        def image(v):
            return np.asarray(v).reshape(shape)

    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6))
    panels = [("data", "data", "viridis", None),
              ("model", "posterior-mean model", "viridis", None),
              ("residual", "data - model", "RdBu_r", None),
              ("pearson", "Pearson residual", "RdBu_r", 5.0)]
    vmax_counts = float(np.max([np.max(image(maps["data"])), np.max(image(maps["model"]))]))
    for ax, (key, title, cmap, clip) in zip(axes, panels):
        values = np.asarray(image(maps[key]), dtype=float)
        if cmap == "viridis":
            kw = {"vmin": 0.0 if values.min() >= 0 else None, "vmax": vmax_counts}
        else:
            bound = clip or float(np.max(np.abs(values))) or 1.0
            kw = {"vmin": -bound, "vmax": bound}
        shown = ax.imshow(values, origin="lower", cmap=cmap, **kw)
        fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(title)
    pearson = maps["pearson"]
    fig.suptitle(f"residuals: Pearson mean {np.mean(pearson):.2f}, "
                 f"rms {np.sqrt(np.mean(pearson ** 2)):.2f} (1 expected)")
    fig.tight_layout()
    return fig
