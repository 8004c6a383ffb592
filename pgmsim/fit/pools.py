"""Evaluate a batch of walkers on an emcee-style pool of processes.

A pool is any object with a ``map(function, iterable)`` method that returns
the values: :class:`multiprocessing.pool.Pool`, :class:`schwimmbad.MPIPool`
(MPI ranks, launched with ``mpiexec``), a :mod:`concurrent.futures`
executor (for Dask, ``client.get_executor()``; ``Client.map`` itself returns
futures and is refused).

emcee hands pgmsim the whole batch of walkers at once (``vectorize=True``).
:class:`PoolLogProb` splits the walkers of that batch that lie inside the
prior's support (the others are -inf without a worker) into one contiguous
share per worker and maps over the shares; the log-prior that chose them
travels with each share, and the workers add the likelihood. The posterior itself does not travel with every
share: it is pickled once, and each worker keeps the copy it receives under a
token. A share sent to a worker without that copy comes back unevaluated and
is sent again with the pickled posterior, so each worker receives the
posterior about once per run whatever the pool's scheduling. A pool whose
workers live in the calling process (threads) finds the caller's own
posterior and never unpickles one.

:func:`pgmsim.sample` uses this with ``pool=``.
"""

from __future__ import annotations

import os
import pickle
import uuid
from collections import OrderedDict

import numpy as np

from .._model_source import import_model_files, loaded_model_files

__all__ = ["PoolLogProb", "pool_size"]

#: Posteriors each process keeps by token, the most recently used first out
#: last: a pool serving several runs in turn holds at most this many copies.
_KEPT_POSTERIORS = 4
_posteriors = OrderedDict()


def pool_size(pool):
    """The number of workers of a pool, as far as the pool tells.

    Parameters
    ----------
    pool : object with ``map``
        :class:`schwimmbad.MPIPool` (``size``: the worker ranks),
        :class:`multiprocessing.pool.Pool` or a :mod:`concurrent.futures`
        executor (their number of processes or threads).

    Returns
    -------
    int
        That number, or the number of CPUs of this machine for a pool that
        does not tell.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from pgmsim.fit.pools import pool_size
    >>> with ThreadPoolExecutor(3) as pool:
    ...     pool_size(pool)
    3
    """
    for attribute in ("size", "_processes", "_max_workers"):
        value = getattr(pool, attribute, None)
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1:
            return int(value)
    return os.cpu_count() or 1


def _pickled(post):
    """The posterior as bytes: plain pickle, else cloudpickle (local functions)."""
    try:
        return pickle.dumps(post, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as plain_error:
        try:
            import cloudpickle
        except ImportError:
            raise TypeError(
                f"pool: the posterior cannot be pickled for the pool's workers "
                f"({plain_error}); define the model's functions at module level, or "
                f"install cloudpickle (pip install 'pgmsim[mpi]') to send local ones"
            ) from plain_error
        try:
            return cloudpickle.dumps(post, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # cloudpickle raises whatever the object raised
            raise TypeError(
                f"pool: the posterior cannot be pickled for the pool's workers: {error}"
            ) from error


def _keep(token, post):
    _posteriors[token] = post
    _posteriors.move_to_end(token)
    while len(_posteriors) > _KEPT_POSTERIORS:
        _posteriors.popitem(last=False)


def _evaluate_share(task):
    """Run in a worker: the log-posterior of one share, or None without the posterior.

    ``task`` is ``(token, theta, log_prior, pickled)``: the caller has the
    share's log-prior already (it chose the walkers inside the support), so the
    worker adds the likelihood, as :meth:`Posterior.log_prob` does; ``pickled``
    is None unless the worker was found without the posterior of ``token``.
    """
    token, theta, log_prior, pickled = task
    post = _posteriors.get(token)
    if post is None:
        if pickled is None:
            return None
        files, blob = pickled
        import_model_files(files)  # a spawned worker has never imported the user's file
        post = pickle.loads(blob)
    _keep(token, post)
    return log_prior + post.log_likelihood(theta)


class PoolLogProb:
    """The log-posterior of a batch of walkers, split across a pool's workers.

    A callable with the signature of :meth:`Posterior.log_prob`, for
    ``emcee.EnsembleSampler(..., vectorize=True)``. Each call maps over one
    contiguous share of the walkers per worker; the values are exactly
    those of one serial call, in the same order.

    Parameters
    ----------
    post : Posterior
    pool : object with ``map``
        See :mod:`pgmsim.fit.pools`. The pool is used, never closed.
    workers : int, optional
        Number of shares per batch; by default :func:`pool_size`.

    Attributes
    ----------
    shipped : int
        How many shares were sent with the pickled posterior so far (about
        one per worker in a run; 0 for a pool of threads).

    Raises
    ------
    TypeError
        If ``pool`` has no callable ``map``, or the posterior cannot be
        pickled (see :func:`pgmsim.sample`); when called, if ``pool.map``
        does not return the values (Dask's ``Client.map`` returns futures).
    ValueError
        If ``workers`` is not a positive integer.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from pgmsim.fit.pools import PoolLogProb
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": [3, 5, 4]})
    >>> theta = np.array([[2.5], [3.0], [3.5], [4.0]])
    >>> with ThreadPoolExecutor(2) as pool:
    ...     log_prob = PoolLogProb(post, pool)
    ...     bool(np.array_equal(log_prob(theta), post.log_prob(theta)))
    True
    """

    def __init__(self, post, pool, workers=None):
        if not callable(getattr(pool, "map", None)):
            raise TypeError(
                f"pool must have a map method (multiprocessing.Pool, schwimmbad.MPIPool, "
                f"a concurrent.futures executor), got {type(pool).__name__}"
            )
        if workers is None:
            workers = pool_size(pool)
        elif isinstance(workers, bool) or int(workers) != workers or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self.post, self.pool, self.workers = post, pool, int(workers)
        self.shipped = 0
        self.token = uuid.uuid4().hex
        # pickled now, so that a posterior the workers cannot receive fails at the start
        self._pickled = (loaded_model_files(), _pickled(post))
        _keep(self.token, post)  # workers in this process (threads) use it as it is

    def __call__(self, theta):
        """Log-posterior of ``theta``, shape ``(ndim,)`` or ``(nwalkers, ndim)``."""
        theta = np.asarray(theta, dtype=float)
        if theta.ndim != 2 or len(theta) < 2:
            return self.post.log_prob(theta)
        # Walkers outside the prior's support cost the workers nothing: only the
        # others are shared out, so that the shares take about the same time
        # (each batch waits for the slowest). The values are those of one
        # serial call, which also gives -inf there without the likelihood.
        out = np.full(len(theta), -np.inf)
        log_prior = self.post.log_prior(theta)
        live = np.flatnonzero(log_prior > -np.inf)
        if live.size == 0:
            return out
        parts = min(self.workers, live.size)
        shares = list(zip(np.array_split(theta[live], parts),
                          np.array_split(log_prior[live], parts)))
        values = self._map(shares, None)
        missing = [i for i, value in enumerate(values) if value is None]
        if missing:
            self.shipped += len(missing)
            resent = self._map([shares[i] for i in missing], self._pickled)
            for i, value in zip(missing, resent):
                values[i] = value
        out[live] = np.concatenate(values)
        return out

    def _map(self, shares, pickled):
        values = list(self.pool.map(_evaluate_share, [(self.token, walkers, prior, pickled)
                                                      for walkers, prior in shares]))
        for value in values:
            if value is not None and not isinstance(value, np.ndarray):
                raise TypeError(
                    f"pool.map must return the values, got {type(value).__name__} objects "
                    f"(for a Dask Client pass pool=client.get_executor())"
                )
        return values

    def close(self):
        """Forget the posterior in this process (workers drop it as newer ones come).

        Leaving a ``with`` block calls it; the pool stays open.

        Examples
        --------
        >>> import pgmsim as pg
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> from pgmsim.fit.pools import PoolLogProb
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> with ThreadPoolExecutor(2) as pool:
        ...     PoolLogProb(m.posterior(data={"N": [3, 5, 4]}), pool).close()
        """
        _posteriors.pop(self.token, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"PoolLogProb({self.post!r}, {type(self.pool).__name__}, workers={self.workers})"
