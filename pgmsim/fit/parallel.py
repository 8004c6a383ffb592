"""Evaluate a batch of walkers on several cores.

numpy runs its elementwise work on one core. On a large plate (a full X-ray
image, 1e5 pixels and more) each walker costs about a millisecond of such
work, during which numpy releases the interpreter lock, so threads that each
take a share of the batch run in parallel without copying the posterior or
pickling the model's functions (as processes would have to). On small plates
(a 40x40 stamp) the per-call overhead dominates and threads would only add
to it, so small batches are evaluated in the calling thread.

:func:`pgmsim.sample` uses this with ``parallel=n``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["ParallelLogProb", "PARALLEL_ELEMENTS"]

#: Fewest array elements (walkers x plate length) for which a batch is split
#: between threads; smaller batches run in the calling thread.
PARALLEL_ELEMENTS = 1 << 17


class ParallelLogProb:
    """The log-posterior of a batch of walkers, split between threads.

    A callable with the signature of :meth:`Posterior.log_prob`, for
    ``emcee.EnsembleSampler(..., vectorize=True)``. Each thread evaluates a
    contiguous share of the walkers with the posterior's own
    :meth:`~pgmsim.Posterior.log_prob` (which chunks its share to the cache);
    the results are exactly those of one serial call.

    Parameters
    ----------
    post : Posterior
    workers : int
        Number of threads, at least 2 (typically the number of cores).
    min_elements : int, optional
        Batches of fewer than this many array elements (walkers x longest
        plate) are evaluated in the calling thread. Defaults to
        :data:`PARALLEL_ELEMENTS`.

    Raises
    ------
    ValueError
        If ``workers`` is not an integer of at least 2.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.fit.parallel import ParallelLogProb
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": np.arange(1000) % 7})
    >>> theta = np.array([[2.5], [3.0], [3.5], [4.0]])
    >>> with ParallelLogProb(post, workers=2, min_elements=0) as log_prob:
    ...     bool(np.array_equal(log_prob(theta), post.log_prob(theta)))
    True
    """

    def __init__(self, post, workers=2, min_elements=None):
        if isinstance(workers, bool) or int(workers) != workers or workers < 2:
            raise ValueError(
                f"workers must be an integer of at least 2 (threads), got {workers!r}"
            )
        self.post = post
        self.workers = int(workers)
        self.min_elements = PARALLEL_ELEMENTS if min_elements is None else int(min_elements)
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="pgmsim")

    def __call__(self, theta):
        """Log-posterior of ``theta``, shape ``(ndim,)`` or ``(nwalkers, ndim)``."""
        theta = np.asarray(theta, dtype=float)
        post = self.post
        n = len(theta) if theta.ndim == 2 else 1
        if n < 2 or n * post._plate_elements < self.min_elements:
            return post.log_prob(theta)
        # contiguous row blocks of theta: views, no copies
        parts = np.array_split(theta, min(self.workers, n))
        return np.concatenate(list(self._executor.map(post.log_prob, parts)))

    def close(self):
        """Stop the threads (they are idle between calls).

        Leaving a ``with`` block calls it.

        Examples
        --------
        >>> import pgmsim as pg
        >>> from pgmsim.fit.parallel import ParallelLogProb
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> log_prob = ParallelLogProb(m.posterior(data={"N": [3, 5, 4]}), workers=2)
        >>> log_prob.close()
        """
        self._executor.shutdown(wait=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"ParallelLogProb({self.post!r}, workers={self.workers})"
