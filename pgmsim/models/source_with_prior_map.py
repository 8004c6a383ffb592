r"""X-ray follow-up of a transient whose position prior is another instrument's map.

The physics. A transient (a gamma-ray burst, say) is first localised by a
wide-field instrument -- a gamma-ray monitor, or the triangulation of its
arrival times at several spacecraft -- whose localisation is a probability
map on the sky: here an arc-shaped region with two lobes, a few pixels wide.
An X-ray telescope then takes an image of the region. The transient is a
faint point source in that image: its counts are spread by the telescope's
point-spread function (PSF), a circular Gaussian of known width ``sigma``
pixels, on a uniform background of ``b`` counts/s/pixel. With ``ex_k`` the
exposure of pixel ``k`` (seconds), the expected counts are

.. math::

    \mu_k = \mathrm{ex}_k \left[ \frac{F}{2\pi\sigma^2}
            \exp\left(-\frac{(x_k-x_0)^2 + (y_k-y_0)^2}{2\sigma^2}\right)
            + b \right],

and the counts are Poisson, :math:`N_k \sim \mathrm{Poisson}(\mu_k)`. The
source position ``(x0, y0)`` has the localisation map as its prior: a
joint prior over the two coordinates, :class:`pgmsim.MapPrior`, one factor
:math:`p(x_0, y_0)` of the joint density. The X-ray image alone may leave
the faint source's position uncertain; the map alone is a long arc; the
posterior is where both agree. :meth:`pgmsim.Posterior.grid` shows the
three maps side by side.

Coordinates are pixels of the X-ray image: ``x`` the column and ``y`` the
row index from 0, pixel centres at integers. The prior map covers the
image, ``extent = (-0.5, nx - 0.5, -0.5, ny - 0.5)``, on a finer grid of its
own.

The nodes.

- ``x0``, ``y0`` (parameters): source position, pixels; joint prior from the
  localisation map.
- ``F`` (parameter): source count rate, counts/s, log-uniform.
- ``b`` (parameter): background rate, counts/s/pixel, log-uniform.
- ``ex`` (fixed, plate ``pixels``): exposure of each pixel, seconds.
- ``x``, ``y`` (fixed, plate ``pixels``): pixel column and row.
- ``sigma`` (fixed): PSF width in pixels, known from calibration.
- ``mu`` (deterministic, plate ``pixels``): expected counts.
- ``N`` (data, plate ``pixels``): observed counts.
"""

import numpy as np
from scipy import ndimage

import pgmsim as pg

__all__ = [
    "build",
    "default_inputs",
    "localisation_map",
    "initial_guess",
    "TRUTH",
    "DESCRIPTION",
    "SIZE",
]

DESCRIPTION = ("X-ray follow-up of a transient: position prior from another "
               "instrument's localisation map (pg.MapPrior), Poisson counts")

#: side of the X-ray image in pixels
SIZE = 40

#: parameter values of the default mock: a faint source (about 20 counts on
#: 0.3 background counts per pixel) on the flank of a lobe of the
#: localisation arc
TRUTH = {"x0": 23.4, "y0": 17.2, "F": 4.0e-3, "b": 6.0e-5}


def localisation_map(size=SIZE, upsample=2, truth=(TRUTH["x0"], TRUTH["y0"])):
    """A two-lobed arc, as from a timing triangulation, over the image.

    The arc is part of an annulus of radius about 40 pixels centred outside
    the image; across the arc the density is Gaussian (1.2 pixels wide),
    along it two lobes (4 pixels wide, 3 pixels before and 12 after the
    given point, the second at 80 percent). The point lies half a pixel
    inside the ridge.
    Values below 1e-3 of the peak are set to zero: the map holds the
    99.9 percent localisation region, nothing outside.

    Parameters
    ----------
    size : int
        Side of the X-ray image, pixels.
    upsample : int
        Map pixels per image pixel and axis.
    truth : tuple of float
        A point the arc passes near (the source position of the mock).

    Returns
    -------
    image : numpy.ndarray, shape (size * upsample, size * upsample)
    extent : tuple of float
        ``(-0.5, size - 0.5, -0.5, size - 0.5)``.

    Examples
    --------
    The map is a valid prior density, non-zero at the source of the mock:

    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.models import source_with_prior_map as swpm
    >>> image, extent = swpm.localisation_map()
    >>> image.shape, extent
    ((80, 80), (-0.5, 39.5, -0.5, 39.5))
    >>> prior = pg.MapPrior(image, extent)
    >>> bool(np.isfinite(prior.logpdf(swpm.TRUTH["x0"], swpm.TRUTH["y0"])))
    True
    """
    n = size * upsample
    extent = (-0.5, size - 0.5, -0.5, size - 0.5)
    centres = -0.5 + (np.arange(n) + 0.5) / upsample
    x, y = np.meshgrid(centres, centres)
    cx, cy = -10.0, -5.0
    radius = np.hypot(truth[0] - cx, truth[1] - cy) + 0.5
    r = np.hypot(x - cx, y - cy)
    along = radius * (np.arctan2(y - cy, x - cx) - np.arctan2(truth[1] - cy, truth[0] - cx))
    lobes = np.exp(-0.5 * ((along - 3.0) / 4.0) ** 2) \
        + 0.8 * np.exp(-0.5 * ((along + 12.0) / 4.0) ** 2)
    image = np.exp(-0.5 * ((r - radius) / 1.2) ** 2) * lobes
    image[image < 1e-3 * image.max()] = 0.0
    return image, extent


def build(prior_map=None, extent=None, size=SIZE):
    """The follow-up model.

    Parameters
    ----------
    prior_map : array_like, shape (ny, nx), optional
        Localisation map (any normalisation); ``localisation_map(size)`` by
        default.
    extent : sequence of 4 floats, optional
        ``(xmin, xmax, ymin, ymax)`` of the map in image pixels; the whole
        X-ray image by default.
    size : int
        Side of the X-ray image, pixels, as for :func:`default_inputs`.

    Returns
    -------
    pgmsim.Model
        Its plate ``pixels`` is the X-ray image: ``model.image(values)``
        turns a vector over it into the image ``[y, x]``.

    Raises
    ------
    pgmsim.ModelError
        If the map is not a valid density (negative, NaN or infinite values,
        all zero, not 2-D) or the extent is invalid; the message names the
        parameters ``x0`` and ``y0``. If ``size`` is not a positive integer;
        the message names the plate ``pixels``.

    Examples
    --------
    >>> from pgmsim.models import source_with_prior_map
    >>> m = source_with_prior_map.build()
    >>> print(m.factorization())
    p(x0, y0, F, b, {N_k}) = p(x0, y0) p(F) p(b) prod_k p(N_k | x0, y0, F, b)
    >>> image = m.image(source_with_prior_map.default_inputs()["x"])
    >>> image.shape, float(image[5, 3])
    ((40, 40), 3.0)
    """
    m = pg.Model("source_with_prior_map")
    m.plate("pixels", shape=(size, size))  # first: it checks the size
    if prior_map is None:
        prior_map, default_extent = localisation_map(size)
        extent = default_extent if extent is None else extent
    if extent is None:
        extent = (-0.5, size - 0.5, -0.5, size - 0.5)
    m.fixed("ex", plate="pixels")
    m.fixed("x", plate="pixels")
    m.fixed("y", plate="pixels")
    m.fixed("sigma")
    m.param(("x0", "y0"), pg.MapPrior(prior_map, extent))
    m.param("F", pg.LogUniform(1e-4, 1.0))
    m.param("b", pg.LogUniform(1e-7, 1e-2))

    @m.deterministic(plate="pixels")
    def mu(x0, y0, F, b, ex, x, y, sigma):
        r2 = (x - x0) ** 2 + (y - y0) ** 2
        return ex * (F * np.exp(-0.5 * r2 / sigma**2) / (2 * np.pi * sigma**2) + b)

    m.data("N", pg.Poisson("mu"), plate="pixels")
    return m


def default_inputs(seed=0, size=SIZE, exposure=5.0e3, sigma=1.5):
    """Inputs of a mock follow-up image: coordinates, exposure, PSF width.

    The exposure falls by about 15 percent from one corner of the image to
    the opposite one (vignetting, the corner chosen by ``seed``).

    Parameters
    ----------
    seed : int
        Chooses the direction of the exposure gradient.
    size : int
        Side of the image, pixels.
    exposure : float
        Exposure at the image centre, seconds.
    sigma : float
        PSF width, pixels.

    Returns
    -------
    dict
        ``ex``, ``x``, ``y`` (vectors of shape ``(size**2,)`` over the
        pixels, row-major) and ``sigma`` (a number).

    Examples
    --------
    >>> from pgmsim.models import source_with_prior_map as swpm
    >>> inputs = swpm.default_inputs(seed=0)
    >>> sorted(inputs), inputs["ex"].shape, inputs["sigma"]
    (['ex', 'sigma', 'x', 'y'], (1600,), 1.5)
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(float)
    angle = rng.uniform(0, 2 * np.pi)
    along = ((x - size / 2) * np.cos(angle) + (y - size / 2) * np.sin(angle)) / size
    ex = exposure * (1.0 - 0.1 * along)
    return {"ex": ex.ravel(), "x": x.ravel(), "y": y.ravel(), "sigma": float(sigma)}


def initial_guess(inputs, data, model=None):
    """A starting point: the brightest smoothed counts where the prior allows.

    Parameters
    ----------
    inputs : dict
        The fixed inputs, as from :func:`default_inputs`.
    data : dict
        ``{"N": counts}``, counts of shape ``(npix,)``.
    model : pgmsim.Model, optional
        The model whose prior map and image are used (``build()`` by default).

    Returns
    -------
    dict
        ``x0``, ``y0`` (a pixel centre where the prior map is non-zero),
        ``F`` and ``b``, all inside the prior support.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.models import source_with_prior_map as swpm
    >>> inputs, model = swpm.default_inputs(), swpm.build()
    >>> mock = model.simulate(inputs=inputs, params=swpm.TRUTH, seed=1)
    >>> guess = swpm.initial_guess(inputs, {"N": mock["N"]}, model=model)
    >>> post = model.posterior(data={"N": mock["N"]}, inputs=inputs)
    >>> bool(np.isfinite(post.log_prob(post.pack(guess))))
    True
    """
    model = model if model is not None else build()
    prior = model.node("x0").distribution
    counts, ex, x, y = (model.image(np.asarray(v, float))
                        for v in (data["N"], inputs["ex"], inputs["x"], inputs["y"]))
    smooth = ndimage.gaussian_filter(counts / ex, inputs["sigma"])
    allowed = np.isfinite(prior.logpdf(x, y))
    score = np.where(allowed, smooth, -np.inf)
    row, col = np.unravel_index(np.argmax(score), score.shape)
    near = (x - x[row, col]) ** 2 + (y - y[row, col]) ** 2 <= (3 * inputs["sigma"]) ** 2
    b = counts[~near].sum() / ex[~near].sum()
    F = (counts[near] - b * ex[near]).sum() / ex[row, col]
    return {"x0": float(x[row, col]), "y0": float(y[row, col]),
            "F": float(np.clip(F, 1.1e-4, 0.9)), "b": float(np.clip(b, 1.1e-7, 9e-3))}
