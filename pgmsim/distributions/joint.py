r"""Joint priors over several parameters, and the prior given by an image.

Most priors are over one parameter. Some knowledge comes as a joint density:
a localisation map from another instrument says where a source is, as a
density over its two coordinates together. :class:`MapPrior` is such a prior,
a 2-D density given by a non-negative image; it is declared for two
parameters at once,

>>> import numpy as np, pgmsim as pg
>>> m = pg.Model("located")
>>> m.param(("x0", "y0"), pg.MapPrior(np.ones((4, 4)), (0, 40, 0, 40)))
('x0', 'y0')

and gives the single factor :math:`p(x_0, y_0)` of the joint density. Both
nodes are ordinary parameters otherwise: the posterior samples them like any
other, and simulation and prior draws take them together.
"""

from __future__ import annotations

import functools
from numbers import Real

import numpy as np

from .base import Distribution

__all__ = ["JointDistribution", "MapPrior"]


def _in_region(logpdf):
    """``logpdf(self, *values)`` made ``-inf`` outside the box ``self._support()``."""

    @functools.wraps(logpdf)
    def logpdf_in_region(self, *values):
        inside = True
        for value, (low, high) in zip(values, self._support()):
            inside = inside & (value >= low) & (value <= high)
        return np.where(inside, logpdf(self, *values), -np.inf)

    return logpdf_in_region


class JointDistribution(Distribution):
    r"""Base class of priors over several parameters at once.

    A joint prior is declared for a tuple of parameters,
    ``m.param(("x0", "y0"), prior)``, and gives one factor of the joint
    density for all of them. Subclasses set :attr:`nvars` and implement
    ``_logpdf(*values)`` (one array per variable, broadcast together),
    ``_sample(rng, shape)`` (an array of shape ``shape + (nvars,)``) and
    ``_support()``; as for any distribution, the density is ``-inf``
    outside that box unless the class sets ``checks_support = True``. Joint
    priors take no node arguments: they cannot be hierarchical.

    Attributes
    ----------
    nvars : int
        Number of parameters the prior is over.

    Examples
    --------
    A uniform prior on the unit disc, for a position ``(x0, y0)``:

    >>> import numpy as np, pgmsim as pg
    >>> class Disc(pg.JointDistribution):
    ...     latex_name = r"\mathcal{U}_{\mathrm{disc}}"
    ...     def _logpdf(self, x, y):
    ...         return np.where(x**2 + y**2 <= 1.0, -np.log(np.pi), -np.inf)
    ...     def _sample(self, rng, shape):
    ...         r, phi = np.sqrt(rng.random(shape)), 2 * np.pi * rng.random(shape)
    ...         return np.stack([r * np.cos(phi), r * np.sin(phi)], axis=-1)
    ...     def _support(self):
    ...         return ((-1.0, 1.0), (-1.0, 1.0))
    >>> prior = Disc()
    >>> prior.logpdf([0.0, 0.9], [0.5, 0.9])      # 1 / pi inside, 0 outside
    array([-1.14472989,        -inf])
    >>> m = pg.Model("disc")
    >>> m.param(("x0", "y0"), prior)
    ('x0', 'y0')
    >>> _ = m.data("z", pg.Normal("x0", 1.0)); _ = m.data("w", pg.Normal("y0", 1.0))
    >>> print(m.factorization())
    p(x0, y0, z, w) = p(x0, y0) p(z | x0) p(w | y0)
    >>> draws = m.posterior(data={"z": 0.3, "w": 0.1}).sample_prior(seed=0, n=1000)
    >>> draws.shape, bool(np.all(np.hypot(draws[:, 0], draws[:, 1]) <= 1.0))
    ((1000, 2), True)
    """

    nvars: int = 2
    arg_names = ()
    _density_in_support = staticmethod(_in_region)

    def __init__(self):
        super().__init__()

    # -- checks ------------------------------------------------------------
    def problem(self):
        """What makes the prior unusable, as a sentence; ``None`` when valid.

        Subclasses that check their inputs override it; the base class finds
        nothing wrong.

        Returns
        -------
        str or None
            The problem, or ``None``.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.MapPrior([[1.0, 2.0]], (0, 2, 0, 1)).problem() is None
        True
        >>> pg.MapPrior([[1.0, 2.0]], (0, 2, 1, 1)).problem()
        'extent (xmin, xmax, ymin, ymax) = (0, 2, 1, 1) needs xmin < xmax and ymin < ymax'
        """
        return None

    def check(self, names=None):
        """Raise if the prior is unusable, naming the parameters it is for.

        Called by :meth:`pgmsim.Model.param` when the prior is declared, and
        before any use of the prior on its own.

        Parameters
        ----------
        names : sequence of str, optional
            Names of the parameters the prior is declared for.

        Raises
        ------
        ValueError
            If :meth:`problem` finds one; the message names the parameters.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.MapPrior([[1.0, 2.0]], (0, 2, 0, 1)).check(["x0", "y0"])
        >>> pg.MapPrior([[1.0, -2.0]], (0, 2, 0, 1)).check(["x0", "y0"])
        Traceback (most recent call last):
            ...
        ValueError: parameters 'x0', 'y0': invalid MapPrior: the image contains 1 negative ...
        """
        problem = self.problem()
        if problem is None:
            return
        if names:
            where = "parameters " + ", ".join(repr(n) for n in names)
            raise ValueError(f"{where}: invalid {type(self).__name__}: {problem}")
        raise ValueError(f"invalid {type(self).__name__}: {problem}")

    # -- public API ----------------------------------------------------------
    def logpdf(self, *values):
        """Log density at points given one array per variable, fully normalised.

        Parameters
        ----------
        *values : array_like
            ``nvars`` arrays (e.g. ``x`` and ``y``), broadcast together: shape
            ``(nwalkers,)`` each for a batch of points.

        Returns
        -------
        numpy.ndarray or float
            ``-inf`` where the density is zero, never NaN.

        Raises
        ------
        TypeError
            If the number of arrays is not :attr:`nvars`.
        ValueError
            If the prior is invalid (see :meth:`check`).

        Examples
        --------
        Pixel values 1 and 2 of a total of 4, on pixels of unit area:

        >>> import numpy as np, pgmsim as pg
        >>> prior = pg.MapPrior([[0.0, 1.0], [1.0, 2.0]], extent=(0, 2, 0, 2))
        >>> prior.logpdf([0.5, 1.5], [1.5, 1.5])
        array([-1.38629436, -0.69314718])
        >>> bool(np.isclose(prior.logpdf(0.5, 1.5), np.log(1 / 4)))
        True
        >>> float(prior.logpdf(0.5, 0.5))         # a pixel of value 0
        -inf
        """
        self.check()
        if len(values) != self.nvars:
            raise TypeError(f"{type(self).__name__}.logpdf takes {self.nvars} arrays "
                            f"(one per variable), got {len(values)}")
        values = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values))
        with np.errstate(all="ignore"):
            out = self._logpdf(*values)
        out = np.where(np.isnan(out), -np.inf, out)
        return out[()] if out.ndim == 0 else out

    def sample(self, rng, size=None, params=None):
        """Draw points jointly.

        Parameters
        ----------
        rng, size
            A generator or a seed, and the number (shape) of points: one
            point when ``size`` is omitted (see :meth:`Distribution.sample`).
        params : sequence, optional
            Must be empty or ``None``: joint priors take no node arguments.

        Returns
        -------
        numpy.ndarray
            Shape ``size + (nvars,)``: the last axis holds the variables in
            the order of declaration.

        Raises
        ------
        ValueError
            If the prior is invalid (see :meth:`check`).
        TypeError
            If ``params`` is given.

        Examples
        --------
        No draw falls in the pixel of value 0 (``x < 1``, ``y < 1``):

        >>> import numpy as np, pgmsim as pg
        >>> prior = pg.MapPrior([[0.0, 1.0], [1.0, 2.0]], extent=(0, 2, 0, 2))
        >>> prior.sample(0, size=(3, 4)).shape
        (3, 4, 2)
        >>> xy = prior.sample(1, size=1000)
        >>> bool(np.any((xy[:, 0] < 1) & (xy[:, 1] < 1)))
        False
        """
        self.check()
        if params:
            raise TypeError(f"{type(self).__name__} takes no node arguments, got "
                            f"params={params!r}")
        shape = () if size is None else tuple(np.atleast_1d(size).astype(int))
        return self._sample(np.random.default_rng(rng), shape)

    def support(self, params=None):
        """The box outside which the density is zero: one ``(low, high)`` per variable.

        Parameters
        ----------
        params : sequence, optional
            Unused (joint priors take no node arguments); accepted for the
            interface of :meth:`Distribution.support`.

        Returns
        -------
        tuple of tuple of float
            ``((low, high), ...)``, one pair per variable in the order of
            declaration.

        Raises
        ------
        ValueError
            If the prior is invalid (see :meth:`check`).

        Examples
        --------
        A map whose non-zero pixels are the last two of the upper row:

        >>> import pgmsim as pg
        >>> prior = pg.MapPrior([[0.0, 0.0, 0.0], [0.0, 1.0, 1.0]], (0, 3, 0, 2))
        >>> [tuple(map(float, box)) for box in prior.support()]
        [(1.0, 3.0), (1.0, 2.0)]
        """
        self.check()
        return self._support()

    def _quantity(self, what, params, *x):
        self.check()
        return super()._quantity(what, params, *x)

    def latex(self, arg_labels=None, variables=None):
        r"""LaTeX form: the symbol alone, or applied to ``variables``.

        Parameters
        ----------
        arg_labels : dict, optional
            Unused (joint priors take no node arguments); accepted for the
            interface of :meth:`Distribution.latex`.
        variables : sequence of str, optional
            LaTeX labels of the variables, e.g. ``["x_0", "y_0"]``.

        Returns
        -------
        str
            LaTeX without math delimiters: ``\pi_{\mathrm{map}}(x_0, y_0)``.

        Examples
        --------
        >>> import pgmsim as pg
        >>> prior = pg.MapPrior([[1.0]], (0, 1, 0, 1))
        >>> print(prior.latex())
        \pi_{\mathrm{map}}
        >>> print(prior.latex(variables=["x_0", "y_0"]))
        \pi_{\mathrm{map}}(x_0, y_0)
        """
        if variables is None:
            return self.latex_name
        return f"{self.latex_name}({', '.join(variables)})"


class MapPrior(JointDistribution):
    r"""A 2-D prior density given by an image, pixel by pixel.

    The density is constant within each pixel and proportional to the
    pixel's value, normalised to integrate to one over ``extent``; it is zero
    outside. Images are indexed ``[row, column]``, rows along ``y`` and
    columns along ``x``, row 0 at ``ymin`` (as drawn by
    ``matplotlib.pyplot.imshow(image, origin="lower", extent=extent)``).
    The log-density is a table lookup; draws pick a pixel by the inverse
    cumulative distribution over pixels, then a uniform point within it.

    LaTeX form :math:`\pi_{\mathrm{map}}(x_0, y_0)`.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        Non-negative values, not all zero; any normalisation.
    extent : sequence of 4 floats
        ``(xmin, xmax, ymin, ymax)``: the outer edges of the image.

    Attributes
    ----------
    image : numpy.ndarray, shape (ny, nx)
        The image as given, as floats.
    extent : tuple of float
    probabilities : numpy.ndarray, shape (ny, nx)
        Prior probability of each pixel (sums to one).
    pixel_size : tuple of float
        ``(dx, dy)``.

    Notes
    -----
    The image is checked when the prior is declared for its parameters with
    :meth:`pgmsim.Model.param` -- the error then names them -- or, used on
    its own, at its first use: negative, NaN or infinite values, an image
    that is all zero or not 2-D, an extent that is not four finite numbers
    with ``xmin < xmax`` and ``ymin < ymax``, and pixels whose width or
    height overflows or underflows float64 are errors (``ValueError``). The
    density is computed in logs from the image scaled by its largest value,
    so that neither the sum of the image nor the area of a pixel overflows.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> prior = pg.MapPrior([[0.0, 1.0], [1.0, 2.0]], extent=(0, 2, 0, 2))
    >>> float(prior.logpdf(1.5, 1.5))    # pixel value 2 of 4, pixel area 1
    -0.6931471805599453
    >>> float(prior.logpdf(0.5, 0.5)), float(prior.logpdf(3.0, 0.5))
    (-inf, -inf)
    >>> prior.sample(1, size=5).shape
    (5, 2)
    >>> prior.latex(variables=["x_0", "y_0"])
    '\\pi_{\\mathrm{map}}(x_0, y_0)'
    """

    nvars = 2
    latex_name = r"\pi_{\mathrm{map}}"
    checks_support = True

    def __init__(self, image, extent):
        super().__init__()
        self._problem = None
        self.image = image
        self.extent = extent
        try:
            self.image = np.array(image, dtype=float)
        except (TypeError, ValueError) as err:
            self._problem = f"the image must be a 2-D numeric array; {err}"
            return
        self._problem = self._find_problem(self.image, extent)
        if self._problem is not None:
            return
        self.extent = tuple(float(e) for e in extent)
        self.pixel_size = self._pixel_size(self.image.shape, self.extent)
        # scaled by the largest pixel first, so that the sum cannot overflow
        scaled = self.image / self.image.max()
        self.probabilities = scaled / scaled.sum()
        with np.errstate(divide="ignore"):
            # in logs: the area of a pixel may underflow where its log does not
            self._log_density = (np.log(self.probabilities) - np.log(self.pixel_size[0])
                                 - np.log(self.pixel_size[1]))
        cdf = np.cumsum(self.probabilities.ravel())
        self._cell_cdf = cdf / cdf[-1]

    @staticmethod
    def _pixel_size(shape, extent):
        (ny, nx), (xmin, xmax, ymin, ymax) = shape, extent
        with np.errstate(over="ignore"):
            return ((xmax - xmin) / nx, (ymax - ymin) / ny)

    @classmethod
    def _find_problem(cls, image, extent):
        if image.ndim != 2:
            return f"the image must be 2-D, got an array of shape {image.shape}"
        if image.size == 0:
            return f"the image is empty (shape {image.shape})"
        if np.isnan(image).any():
            row, col = np.argwhere(np.isnan(image))[0]
            return (f"the image contains {int(np.isnan(image).sum())} NaN value(s), "
                    f"first at row {row}, column {col}; set undefined pixels to 0")
        if np.isinf(image).any():
            row, col = np.argwhere(np.isinf(image))[0]
            return (f"the image contains {int(np.isinf(image).sum())} infinite "
                    f"value(s), first at row {row}, column {col}")
        if (image < 0).any():
            row, col = np.argwhere(image < 0)[0]
            return (f"the image contains {int((image < 0).sum())} negative value(s), "
                    f"first {image[row, col]:g} at row {row}, column {col}; a prior "
                    "map is a density and must be non-negative")
        if not (image > 0).any():
            return "the image is zero everywhere; a density needs some positive pixels"
        try:
            values = [float(e) for e in extent]
        except (TypeError, ValueError):
            return f"extent must be four numbers (xmin, xmax, ymin, ymax), got {extent!r}"
        if len(values) != 4 or not all(isinstance(e, (Real, np.number)) for e in extent):
            return f"extent must be four numbers (xmin, xmax, ymin, ymax), got {extent!r}"
        if not np.all(np.isfinite(values)):
            return f"extent must be finite, got {extent!r}"
        xmin, xmax, ymin, ymax = values
        if not (xmin < xmax and ymin < ymax):
            return (f"extent (xmin, xmax, ymin, ymax) = {extent!r} needs xmin < xmax "
                    "and ymin < ymax")
        dx, dy = cls._pixel_size(image.shape, values)
        if not (0 < dx < np.inf and 0 < dy < np.inf):
            return (f"extent {extent!r} gives a pixel size ({dx:g}, {dy:g}) beyond float64 "
                    "(the density would be zero or infinite); rescale the coordinates")
        return None

    def problem(self):
        """What makes the map unusable, as a sentence; ``None`` when valid.

        Returns
        -------
        str or None
            The first problem found with the image or the extent, or
            ``None``.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.MapPrior([[1.0, -2.0]], (0, 2, 0, 1)).problem()
        'the image contains 1 negative value(s), first -2 at row 0, column 1; a prior map is a density and must be non-negative'
        """
        return self._problem

    @property
    def shape(self):
        """Shape ``(ny, nx)`` of the image."""
        return self.image.shape

    # -- hot path: no checks (done at declaration) -----------------------------
    def _logpdf(self, x, y):
        xmin, xmax, ymin, ymax = self.extent
        ny, nx = self.image.shape
        inside = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
        col = np.where(inside, (x - xmin) / self.pixel_size[0], 0.0).astype(np.intp)
        row = np.where(inside, (y - ymin) / self.pixel_size[1], 0.0).astype(np.intp)
        # the upper edges belong to the last pixel
        value = self._log_density[np.minimum(row, ny - 1), np.minimum(col, nx - 1)]
        return np.where(inside, value, -np.inf)

    def _sample(self, rng, shape):
        ny, nx = self.image.shape
        u = rng.random(shape)
        # inverse CDF over pixels; side="right" never picks a zero pixel
        k = np.minimum(np.searchsorted(self._cell_cdf, u, side="right"), self._cell_cdf.size - 1)
        row, col = np.divmod(k, nx)
        xmin, _, ymin, _ = self.extent
        x = xmin + (col + rng.random(shape)) * self.pixel_size[0]
        y = ymin + (row + rng.random(shape)) * self.pixel_size[1]
        return np.stack([x, y], axis=-1)

    def _support(self):
        rows, cols = np.nonzero(self.image)
        xmin, _, ymin, _ = self.extent
        dx, dy = self.pixel_size
        return ((xmin + cols.min() * dx, xmin + (cols.max() + 1) * dx),
                (ymin + rows.min() * dy, ymin + (rows.max() + 1) * dy))

    def _marginals(self):
        """(probabilities, pixel centres, pixel size) of x, then of y."""
        (ny, nx), (dx, dy) = self.image.shape, self.pixel_size
        xmin, _, ymin, _ = self.extent
        return ((self.probabilities.sum(axis=0), xmin + (np.arange(nx) + 0.5) * dx, dx),
                (self.probabilities.sum(axis=1), ymin + (np.arange(ny) + 0.5) * dy, dy))

    def _mean(self):
        return np.array([p @ c for p, c, _ in self._marginals()])

    def _variance(self):
        # uniform within each pixel: its variance d**2 / 12 adds to the centres'
        second = [p @ (c**2 + d**2 / 12.0) for p, c, d in self._marginals()]
        return np.array(second) - self._mean() ** 2

    # -- forms -------------------------------------------------------------
    def text(self):
        """Plain-text form, e.g. ``MapPrior(80x60 image, extent=(0, 40, 0, 30))``.

        Returns
        -------
        str
            The image size (columns x rows) and the extent.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> pg.MapPrior(np.ones((60, 80)), (0, 40, 0, 30)).text()
        'MapPrior(80x60 image, extent=(0, 40, 0, 30))'
        """
        shape = "x".join(str(s) for s in np.shape(self.image)[::-1]) or "?"
        try:
            extent = "(" + ", ".join(f"{float(e):g}" for e in self.extent) + ")"
        except (TypeError, ValueError):
            extent = repr(self.extent)
        return f"MapPrior({shape} image, extent={extent})"

    def __repr__(self):
        return f"<{self.text()}>"

    def __eq__(self, other):
        return (type(self) is type(other) and self.extent == other.extent
                and np.shape(self.image) == np.shape(other.image)
                and bool(np.all(np.asarray(self.image) == np.asarray(other.image))))

    __hash__ = None
