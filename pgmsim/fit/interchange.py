"""What a posterior hands to other tools, off the sampler's hot path.

* the pointwise log-likelihood, one value per data element and walker, that
  LOO and WAIC (ArviZ) need: each data node's own ``logpdf``, not the summed
  fast path of the sampler;
* pickling: the compiled likelihoods are closures over the data (a
  distribution's ``loglike``), which :mod:`pickle` cannot store; they are left
  out of the pickled state and compiled again from the model when unpickled.
  The user's functions are pickled by reference, so they must be defined at
  a module's top level.
"""

from __future__ import annotations

import numpy as np

from ..graph.evaluate import Walk, resolve

__all__ = ["PosteriorInterchange"]

#: attributes rebuilt from the model on unpickling, never pickled
_COMPILED = ("_likelihoods", "_math_priors", "_grouped_priors")


class PosteriorInterchange:
    """Pointwise log-likelihood and pickling, mixed into
    :class:`~pgmsim.fit.posterior.Posterior`.

    Examples
    --------
    >>> import pickle, pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": [3, 5, 4]})
    >>> pickle.loads(pickle.dumps(post)).log_prob([4.0]) == post.log_prob([4.0])
    True
    """

    def pointwise_log_likelihood(self, theta, chunk=None):
        """Log sampling density of each data element, for every walker.

        Parameters
        ----------
        theta : array_like, shape (ndim,) or (nwalkers, ndim)
            One packed parameter vector, or one per walker.
        chunk : int, optional
            Walkers per pass through the graph; by default as many as
            :data:`~pgmsim.fit.posterior.BATCH_ELEMENTS` allows, so that
            memory stays bounded for long batches.

        Returns
        -------
        dict
            By data node: an array of shape ``(nwalkers, K)`` for a node on
            a plate of K elements, ``(nwalkers,)`` for a node on no plate
            (no walker axis for one point). Summed over the data, it is
            :meth:`log_likelihood` without the free terms of factor nodes
            (``m.factor``), which belong to no data node.

        Raises
        ------
        ValueError
            If ``theta`` has the wrong shape or ``chunk`` is not a positive
            integer.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> from scipy import stats
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> point = post.pointwise_log_likelihood(np.array([[4.0], [2.0]]))
        >>> point["N"].shape
        (2, 3)
        >>> bool(np.allclose(point["N"][0], stats.poisson.logpmf([3, 5, 4], 4.0)))
        True
        >>> bool(np.allclose(point["N"].sum(axis=1), post.log_likelihood([[4.0], [2.0]])))
        True
        """
        theta, batch = self._as_theta(theta)
        if chunk is None:
            chunk = self._chunk()
        if isinstance(chunk, bool) or int(chunk) != chunk or chunk < 1:
            raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
        rows = theta if batch else theta[None, :]
        parts = [self._pointwise(rows[start:start + int(chunk)])
                 for start in range(0, len(rows), int(chunk))]
        out = {}
        for like in self._likelihoods:
            name = like.term.name
            values = np.concatenate([part[name] for part in parts])
            if self.model.node(name).plate is None:
                values = values[:, 0]  # stored as 1-vectors: see Posterior._compile
            out[name] = values if batch else values[0]
        return out

    def _pointwise(self, theta):
        """``{data node: (nwalkers, K)}`` for one chunk of walkers."""
        values = self._values(theta, True)
        for step in self._steps:
            values[step.name] = step(values)
        shape = (len(theta),)
        out = {}
        for like in self._likelihoods:
            data = self.data[like.term.name]
            logpdf = like.term.distribution.logpdf(
                data, params=resolve(like.term.args, values))
            out[like.term.name] = np.broadcast_to(logpdf, shape + data.shape)
        return out

    def __getstate__(self):
        return {key: value for key, value in vars(self).items() if key not in _COMPILED}

    def __setstate__(self, state):
        vars(self).update(state)
        self._likelihoods = [term.likelihood(self.data[term.name])
                             for term in Walk.of(self.model).data]
        self._compile_hot_path()
