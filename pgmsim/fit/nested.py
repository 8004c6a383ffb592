"""Evidence by nested sampling: :func:`nested` runs dynesty on a posterior.

Nested sampling needs two functions, the log-likelihood and the transform
from the unit cube to the prior; the graph gives both
(:meth:`Posterior.log_likelihood`, :meth:`Posterior.prior_transform`), so
nothing is written by hand. The result (:class:`NestedResult`) carries the
log-evidence ``ln Z`` with its uncertainty and the weighted posterior samples,
and reads like an emcee result: ``summary()``, ``corner()``,
``flat_samples()``, ``diagnostics()``, ``to_arviz()``.

dynesty proposes one point at a time; the initial live points, drawn all at
once, go through the prior transform and the likelihood as one batch.
"""

from __future__ import annotations

import os

import numpy as np

from .nested_result import NestedResult
from .prior_transform import PriorTransform

__all__ = ["nested", "NestedResult"]

#: fewest live points allowed per parameter: fewer make dynesty's bounding
#: ellipsoids degenerate and the evidence unreliable
MIN_LIVE_PER_DIM = 2


def import_dynesty():
    """dynesty, or an ImportError that says how to install it.

    Returns
    -------
    module

    Raises
    ------
    ImportError
        Naming the extra ``pgmsim[nested]``.

    Examples
    --------
    >>> import_dynesty().__name__
    'dynesty'
    """
    try:
        import dynesty
    except ImportError as err:
        raise ImportError("pg.nested needs dynesty: pip install 'pgmsim[nested]'") from err
    return dynesty


def nested(post, nlive=500, seed=None, progress=True, checkpoint_file=None, resume=False,
           dlogz=0.1, **dynesty_kwargs):
    """The evidence and posterior of ``post`` by nested sampling (dynesty).

    Parameters
    ----------
    post : Posterior
        Its priors must be proper, each with an inverse CDF.
    nlive : int
        Number of live points, at least ``2 * ndim + 1`` (the evidence's
        uncertainty falls as ``1 / sqrt(nlive)``).
    seed : int or numpy.random.Generator, optional
        Seed of dynesty's ``rstate``: the same seed gives the same run.
    progress : bool
        dynesty's progress line.
    checkpoint_file : str or os.PathLike, optional
        dynesty's own checkpoint, written every minute.
    resume : bool
        Continue the run saved in ``checkpoint_file``.
    dlogz : float
        Stop when the live points could add less than ``dlogz`` to ``ln Z``.
    **dynesty_kwargs
        Passed to :class:`dynesty.NestedSampler` (``bound``, ``sample``,
        ``walks``, ...), or to ``run_nested`` for ``maxiter``, ``maxcall``.

    Returns
    -------
    NestedResult

    Raises
    ------
    ImportError
        If dynesty is not installed (the extra ``pgmsim[nested]``).
    ValueError
        If ``nlive`` is too small, ``resume`` has no checkpoint to read, or a
        prior is improper or has no inverse CDF (naming the parameter).

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> m = pg.Model("mean")
    >>> _ = m.param("mu", pg.Normal(0.0, 1.0))
    >>> _ = m.data("y", pg.Normal("mu", 1.0))
    >>> post = m.posterior(data={"y": 0.5})
    >>> res = pg.nested(post, nlive=100, seed=1, progress=False)
    >>> exact = -0.5 * np.log(2 * np.pi * 2.0) - 0.5 * 0.5**2 / 2.0
    >>> bool(abs(res.log_evidence - exact) < 3 * res.log_evidence_err)
    True
    """
    dynesty = import_dynesty()
    transform = PriorTransform(post)
    smallest = MIN_LIVE_PER_DIM * post.ndim + 1
    if isinstance(nlive, bool) or not isinstance(nlive, (int, np.integer)) or nlive < smallest:
        raise ValueError(f"nlive must be an integer of at least {smallest} (2 x {post.ndim} "
                         f"parameters + 1) for nested sampling, got {nlive!r}")
    run_keys = {"maxiter", "maxcall", "checkpoint_every", "add_live"}
    run_options = {k: dynesty_kwargs.pop(k) for k in run_keys & set(dynesty_kwargs)}
    rng = np.random.default_rng(seed)
    if resume:
        if checkpoint_file is None or not os.path.exists(checkpoint_file):
            raise ValueError(f"resume=True needs an existing checkpoint_file, got "
                             f"{checkpoint_file!r}")
        sampler = dynesty.NestedSampler.restore(os.fspath(checkpoint_file))
    else:
        sampler = dynesty.NestedSampler(
            post.log_likelihood, transform, post.ndim, nlive=int(nlive), rstate=rng,
            live_points=_live_points(post, transform, rng, int(nlive)), **dynesty_kwargs)
    sampler.run_nested(dlogz=dlogz, print_progress=progress, resume=resume, save_bounds=False,
                       checkpoint_file=None if checkpoint_file is None
                       else os.fspath(checkpoint_file), **run_options)
    return NestedResult.from_dynesty(sampler.results, post)


def _live_points(post, transform, rng, nlive):
    """The first live points, as one batch: ``[u, theta, log-likelihood]``.

    Points of zero likelihood are drawn again (a few rounds), as dynesty
    needs finite values to start.
    """
    u = rng.random((nlive, post.ndim))
    theta = transform(u)
    logl = post.log_likelihood(theta)
    for _ in range(100):
        bad = ~np.isfinite(logl)
        if not bad.any():
            break
        u[bad] = rng.random((int(bad.sum()), post.ndim))
        theta[bad] = transform(u[bad])
        logl[bad] = post.log_likelihood(theta[bad])
    else:
        raise ValueError(f"the likelihood of model {post.model.name!r} is zero at "
                         f"{int(bad.sum())} of {nlive} prior draws even after 100 "
                         "redraws; check the data and the priors' ranges")
    return [u, theta, logl]
