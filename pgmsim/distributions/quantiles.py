"""The cumulative distribution function and its inverse, from a distribution's hooks.

:class:`Quantiles` is a base of :class:`pgmsim.distributions.Distribution`: a
distribution of one variable gives them through the hooks ``_cdf(x,
*params)`` and ``_ppf(q, *params)`` (vectorised numpy, exact), and, where
``1 - cdf`` loses precision in the upper tail, ``_sf(x, *params)`` and
``_isf(q, *params)``. Truncation (:class:`pgmsim.distributions.Truncated`)
normalises with them and samples by inverse CDF.

For a discrete distribution ``cdf(x)`` is ``P(X <= x)`` and ``ppf(q)`` the
smallest count ``k`` with ``cdf(k) >= q``.
"""

from __future__ import annotations

import numpy as np

from .moments import UndefinedQuantityError

__all__ = ["Quantiles"]


class Quantiles:
    """The CDF, survival function and quantiles of a distribution, from its hooks.

    Examples
    --------
    >>> import pgmsim as pg
    >>> isinstance(pg.Normal(0, 1), Quantiles)
    True
    """

    # hooks: None where the distribution gives no CDF (joint priors)
    _cdf = _ppf = _sf = _isf = None

    def cdf(self, x, params=None):
        """The cumulative distribution function ``P(X <= x)``.

        Parameters
        ----------
        x : array_like
            Points; below the support the CDF is 0, above it 1.
        params : sequence of array_like, optional
            Values of the arguments, needed when some of them name nodes;
            broadcast against ``x``.

        Returns
        -------
        numpy.ndarray or float

        Raises
        ------
        UndefinedQuantityError
            A ``ValueError`` naming the distribution, if it defines no ``_cdf``.

        Examples
        --------
        >>> import pgmsim as pg
        >>> float(pg.Normal(0, 1).cdf(0.0)), pg.Uniform(0, 4).cdf([-1.0, 1.0, 5.0])
        (0.5, array([0.  , 0.25, 1.  ]))
        """
        self._needs("_cdf", "cdf")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            args = [np.asarray(a, dtype=float) for a in self._resolve(params)]
            out = np.asarray(self._cdf_within(np.asarray(x, dtype=float), *args))
        return out[()] if out.ndim == 0 else out

    def ppf(self, q, params=None):
        """The quantile function, inverse of :meth:`cdf`.

        Parameters
        ----------
        q : array_like
            Probabilities in ``[0, 1]``; NaN outside.
        params : sequence of array_like, optional
            As for :meth:`cdf`.

        Returns
        -------
        numpy.ndarray or float
            For a discrete distribution, the smallest count whose CDF is at
            least ``q``.

        Raises
        ------
        UndefinedQuantityError
            If the distribution defines no ``_ppf``.

        Examples
        --------
        >>> import pgmsim as pg
        >>> round(float(pg.Normal(0, 1).ppf(0.975)), 4), float(pg.Poisson(3.0).ppf(0.5))
        (1.96, 3.0)
        """
        self._needs("_ppf", "ppf")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            args = [np.asarray(a, dtype=float) for a in self._resolve(params)]
            q = np.asarray(q, dtype=float)
            out = np.where((q >= 0) & (q <= 1), self._ppf(q, *args), np.nan)
        return out[()] if out.ndim == 0 else out

    def _needs(self, hook, what):
        if getattr(self, hook) is None:
            raise UndefinedQuantityError(f"{type(self).__name__} has no {what}: it defines "
                                         f"no {hook}")

    # -- the hooks, made exact outside the support (used by truncation) ---
    def _clipped(self, x, params):
        """``x`` inside the support, and where it lies below or above it."""
        low, high = self._support(*params)
        return np.clip(x, low, high), x < low, x > high

    def _cdf_within(self, x, *params):
        """``_cdf`` with 0 below the support and 1 above it."""
        inside, below, above = self._clipped(x, params)
        return np.where(below, 0.0, np.where(above, 1.0, self._cdf(inside, *params)))

    def _sf_within(self, x, *params):
        """``P(X > x)``: ``_sf`` where given (exact in the upper tail), else ``1 - _cdf``."""
        inside, below, above = self._clipped(x, params)
        sf = self._sf(inside, *params) if self._sf is not None else 1.0 - self._cdf(inside,
                                                                                    *params)
        return np.where(below, 1.0, np.where(above, 0.0, sf))

    def _isf_exact(self, q, *params):
        """The inverse of the survival function: ``_isf``, else ``_ppf(1 - q)``."""
        return self._isf(q, *params) if self._isf is not None else self._ppf(1.0 - q, *params)
