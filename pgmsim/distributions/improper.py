r"""Improper priors: a constant density on the real line or on ``x > 0``.

``Flat()`` (the default prior of Stan) and ``HalfFlat()`` do not integrate to
one: nothing can be drawn from them. Simulation and prior draws refuse them,
naming the parameter (:func:`refuse_improper`); a posterior is sampled from
given starting values (``initial=`` a dict, a point, or a MAP found from one).
The checks made when a posterior is built use a point inside the support in
their place (:meth:`Flat.stand_in`): 0 for ``Flat``, 1 for ``HalfFlat``.
"""

from __future__ import annotations

import numpy as np

from .base import Distribution

__all__ = ["Flat", "HalfFlat", "ImproperPriorError", "refuse_improper"]


class ImproperPriorError(ValueError):
    """A draw was asked of an improper prior.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Flat().sample(0)
    Traceback (most recent call last):
      ...
    pgmsim.distributions.improper.ImproperPriorError: Flat() is improper: nothing can be drawn from it
    """


def refuse_improper(name, dist):
    """Raise :class:`ImproperPriorError` if ``dist``, the prior of ``name``, is improper.

    Parameters
    ----------
    name : str
        The parameter, named in the message.
    dist : Distribution

    Raises
    ------
    ImproperPriorError
        Saying to give the value with ``params=`` (simulation) or
        ``initial=`` (sampling, ``find_map``).

    Examples
    --------
    >>> import pgmsim as pg
    >>> refuse_improper("a", pg.Normal(0, 1))
    >>> refuse_improper("a", pg.HalfFlat())
    Traceback (most recent call last):
      ...
    pgmsim.distributions.improper.ImproperPriorError: cannot draw parameter 'a' from its prior HalfFlat(): an improper prior has no draws; give its value with params={...} (simulate) or starting values with initial={...} (sampling, find_map)
    """
    if getattr(dist, "improper", False):
        raise ImproperPriorError(
            f"cannot draw parameter {name!r} from its prior {dist.text()}: an improper "
            "prior has no draws; give its value with params={...} (simulate) or starting "
            "values with initial={...} (sampling, find_map)")


class Flat(Distribution):
    r"""The improper flat prior on the real line: log-density 0 everywhere.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Flat().logpdf([-1e6, 0.0, 3.0]), pg.Flat().latex()
    (array([0., 0., 0.]), '\\mathrm{Flat}')
    """

    latex_name = r"\mathrm{Flat}"
    checks_support = True
    #: no normalisation: refused by simulation and prior draws
    improper = True

    def __init__(self):
        super().__init__()

    def _logpdf(self, x):
        return np.where(np.isfinite(x), 0.0, -np.inf)

    def _support(self):
        return (-np.inf, np.inf)

    def _sample(self, rng, size):
        raise ImproperPriorError(f"{self.text()} is improper: nothing can be drawn from it")

    def stand_in(self):
        """A point inside the support, where build-time checks evaluate the model.

        Returns
        -------
        float

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Flat().stand_in(), pg.HalfFlat().stand_in()
        (0.0, 1.0)
        """
        return 0.0

    def latex(self, arg_labels=None):
        r"""The LaTeX name alone: ``\mathrm{Flat}``.

        Parameters
        ----------
        arg_labels : dict, optional
            Unused: the prior has no arguments.

        Returns
        -------
        str

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.HalfFlat().latex()
        '\\mathrm{Flat}_{+}'
        """
        return self.latex_name


class HalfFlat(Flat):
    r"""The improper flat prior on ``x > 0``: log-density 0 there, ``-inf`` elsewhere.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.HalfFlat().logpdf([-1.0, 0.0, 2.0])
    array([-inf, -inf,   0.])
    """

    latex_name = r"\mathrm{Flat}_{+}"

    def _logpdf(self, x):
        return np.where((x > 0) & np.isfinite(x), 0.0, -np.inf)

    def _support(self):
        return (0.0, np.inf)

    def stand_in(self):
        """A point inside the support: 1 (see :meth:`Flat.stand_in`).

        Returns
        -------
        float

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.HalfFlat().stand_in()
        1.0
        """
        return 1.0
