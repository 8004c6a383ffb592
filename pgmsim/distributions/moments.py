"""Mean, variance and deviance of a distribution, where closed forms are known.

:class:`Moments` is a base of :class:`pgmsim.distributions.Distribution`:
a distribution gives them through the hooks ``_mean(*params)``,
``_variance(*params)`` and ``_saturated(x, *params)`` (the arguments at which
the density of ``x`` is largest).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Moments", "UndefinedQuantityError"]


class UndefinedQuantityError(ValueError):
    """A distribution has no known mean, variance or deviance.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Gamma(2.0, 1.0).deviance(1.0)
    Traceback (most recent call last):
        ...
    pgmsim.distributions.moments.UndefinedQuantityError: Gamma has no deviance here: it defines no _saturated
    """



class Moments:
    """The mean, variance and deviance of a distribution, from its hooks.

    Examples
    --------
    >>> import pgmsim as pg
    >>> isinstance(pg.Normal(0, 1), Moments)
    True
    """

    # hooks of mean, variance and deviance; None where the quantity is unknown
    _mean = _variance = _saturated = None

    def mean(self, params=None):
        """The mean, where a closed form is known.

        Parameters
        ----------
        params : sequence of array_like, optional
            Values of the arguments, needed when some of them name nodes;
            the mean broadcasts over them.

        Returns
        -------
        numpy.ndarray or float
            Shape ``(..., nvars)`` for a distribution of several variables.

        Raises
        ------
        UndefinedQuantityError
            A ``ValueError`` naming the distribution, if the mean is not known.

        Examples
        --------
        >>> import pgmsim as pg
        >>> float(pg.Gamma(3, 2).mean()), pg.Poisson("mu").mean(params=([1.0, 4.0],))
        (1.5, array([1., 4.]))
        """
        return self._quantity("mean", params)

    def variance(self, params=None):
        """The variance, where a closed form is known.

        Parameters
        ----------
        params : sequence of array_like, optional
            As for :meth:`mean`.

        Returns
        -------
        numpy.ndarray or float
            The marginal variances, shape ``(..., nvars)``, for several variables.

        Raises
        ------
        UndefinedQuantityError
            If the variance is not known (see :meth:`mean`).

        Examples
        --------
        >>> import pgmsim as pg
        >>> float(pg.Normal(0, 3).variance()), float(pg.Uniform(0, 6).variance())
        (9.0, 3.0)
        """
        return self._quantity("variance", params)

    def deviance(self, x, params=None):
        """Twice the log density ratio of the saturated model to this one, per point.

        The saturated model puts the arguments where the density of each
        ``x`` is largest (a Poisson or Normal mean equal to ``x``).

        Parameters
        ----------
        x : array_like
            The values.
        params : sequence of array_like, optional
            As for :meth:`logpdf`.

        Returns
        -------
        numpy.ndarray or float
            Elementwise: ``((x - mu) / sigma)**2`` for a Normal.

        Raises
        ------
        UndefinedQuantityError
            If the saturated model is not known (see :meth:`mean`).

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Normal(1.0, 2.0).deviance([1.0, 5.0])
        array([0., 4.])
        >>> round(float(pg.Poisson(1.0).deviance(2)), 6)     # 2 (2 ln 2 - 1)
        0.772589
        """
        return self._quantity("deviance", params, np.asarray(x, dtype=float))

    def _quantity(self, what, params, *x):
        hook = "_saturated" if what == "deviance" else "_" + what
        if getattr(self, hook) is None:
            raise UndefinedQuantityError(f"{type(self).__name__} has no {what} here: it "
                                         f"defines no {hook}")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            args = [np.asarray(a, dtype=float) for a in self._resolve(params)]
            if what != "deviance":
                out = np.asarray(getattr(self, hook)(*args), dtype=float)
            else:
                saturated = self._saturated(*x, *args)
                out = 2.0 * (self._log_kernel(*x, *saturated) - self._log_kernel(*x, *args))
        return out[()] if out.ndim == 0 else out

    def _log_kernel(self, x, *params):
        """The log density less terms that cancel in :meth:`deviance`."""
        return self._logpdf(x, *params)
