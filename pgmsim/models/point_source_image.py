r"""A point source in a gamma-ray counts map: PSF kernel, exposure and background template.

The physics. A gamma-ray telescope (think of Fermi-LAT above a few GeV)
records photons in a counts map of small square pixels in Galactic
coordinates. A point source of integral photon flux ``F`` (photons
cm\ :sup:`-2` s\ :sup:`-1`) at position ``(lon0, lat0)`` yields
``F * ex(lon0, lat0)`` photons, where ``ex`` is the exposure (effective
area times observing time, cm\ :sup:`2` s) in the source's direction; the
point-spread function (PSF) spreads them over the map. The diffuse emission
of the Galaxy is described by a background template ``B_k`` (the expected
counts of a diffuse-emission model in each pixel) whose normalisation
``norm`` is fitted. The expected counts in pixel ``k`` are the PSF kernel
convolved with the exposure-weighted point source, plus the background:

.. math::

    \mu_k = F\,\mathrm{ex}(\ell_0, b_0)\,P(\ell_k - \ell_0,\; b_k - b_0)
            + n_b\,B_k ,

and the counts are Poisson, :math:`N_k \sim \mathrm{Poisson}(\mu_k)`. The
PSF kernel ``P_k`` is the image that a source of unit counts at the centre of
the map would make: the fraction of its photons in each pixel (the PSF
integrated over the pixel), tabulated on the map's own pixels. The
convolution of a point source is this image shifted by the source's offset
from the map centre, evaluated by cubic-spline interpolation of the table
(the method of :func:`scipy.ndimage.map_coordinates` with ``order=3``,
written separably so that all walkers and pixels go at once, see
:func:`shifted_kernel`).

Units and geometry. Positions are Galactic longitude and latitude in
degrees. The map is a small field in the plate carrée projection near the
Galactic plane (pixels are squares of ``binsz`` degrees; at ``|b| < 3`` deg
the flat-sky error is below 0.2 percent). As in sky images, longitude
decreases with the column index and latitude increases with the row index.
The expected counts read the geometry from the pixel coordinates ``lon``
and ``lat`` (a full rectangular map of square pixels); the geometry given to :func:`build` (``shape``, ``binsz``,
``center``) sets the position priors, uniform over the map. Use the same
values for :func:`default_inputs`.

The nodes.

- ``lon0``, ``lat0`` (parameters): source position, degrees, uniform over the map.
- ``F`` (parameter): integral photon flux of the source, cm^-2 s^-1, log-uniform.
- ``norm`` (parameter): normalisation of the background template, uniform.
- ``ex`` (fixed, plate ``pixels``): exposure of each pixel, cm^2 s.
- ``bkg`` (fixed, plate ``pixels``): background template, expected counts per pixel.
- ``lon``, ``lat`` (fixed, plate ``pixels``): Galactic coordinates of the pixel
  centres, degrees.
- ``psf`` (fixed, plate ``pixels``): the PSF kernel, the fraction of the photons
  of a source at the map centre that fall in each pixel.
- ``mu`` (deterministic, plate ``pixels``): expected counts.
- ``N`` (data, plate ``pixels``): observed counts.

Besides the model: :func:`fit_cash`, a maximum-likelihood fit minimising the
Cash statistic with the covariance from its Hessian, and :func:`on_off_maps`,
excess and Li & Ma significance maps from the counts and the fitted
background.
"""

import numpy as np
from scipy import ndimage

import pgmsim as pg
from pgmsim.astro.imagestats import (
    MLFit,
    SignificanceMaps,
    cash,
    disk_kernel,
    fit_ml,
    li_ma_significance,
    ml_covariance,
)
from pgmsim.graph.evaluate import Walk, evaluate

from ._psf_kernels import _exposure_at, shifted_kernel

__all__ = [
    "build",
    "default_inputs",
    "initial_guess",
    "expected_counts",
    "fit_cash",
    "on_off_maps",
    "king_kernel",
    "shifted_kernel",
    "TRUTH",
    "DESCRIPTION",
    "SHAPE",
    "BINSZ",
    "CENTER",
]

DESCRIPTION = ("Gamma-ray counts map: point source through a PSF kernel, exposure "
               "and a fitted background template, Poisson counts")

#: map geometry of the default mock: pixels (rows, columns), degrees per
#: pixel, Galactic (lon, lat) of the map centre in degrees
SHAPE = (50, 50)
BINSZ = 0.1
CENTER = (120.0, 1.0)

#: parameter values of the default mock: a bright source (about 950 counts)
TRUTH = {"lon0": 119.83, "lat0": 1.21, "F": 3.0e-9, "norm": 1.05}

_PARAMS = ("lon0", "lat0", "F", "norm")


def _edges(shape, binsz, center):
    """Longitude and latitude ranges ``(lo, hi)`` of the map's outer edges."""
    ny, nx = shape
    lon = (center[0] - nx * binsz / 2, center[0] + nx * binsz / 2)
    lat = (center[1] - ny * binsz / 2, center[1] + ny * binsz / 2)
    return lon, lat


def _check_geometry(shape, binsz, center):
    if (len(shape) != 2 or any(int(s) != s or s < 2 for s in shape)):
        raise ValueError(f"shape must be two integers >= 2 (rows, columns), got {shape!r}")
    if not (np.isfinite(binsz) and binsz > 0):
        raise ValueError(f"binsz must be a positive number of degrees, got {binsz!r}")
    if len(center) != 2 or not np.all(np.isfinite(center)):
        raise ValueError(f"center must be (lon, lat) in degrees, got {center!r}")


def build(shape=SHAPE, binsz=BINSZ, center=CENTER):
    """The point-source counts-map model.

    Parameters
    ----------
    shape : tuple of int
        Map shape (rows along latitude, columns along longitude).
    binsz : float
        Pixel size, degrees.
    center : tuple of float
        Galactic longitude and latitude of the map centre, degrees.

    Returns
    -------
    pgmsim.Model
        Its plate ``pixels`` is the map: ``model.image(values)`` turns a
        vector over it into the map ``[row, column]``, rows along latitude
        (increasing), columns along longitude (decreasing), as in sky images.

    Raises
    ------
    ValueError
        If the geometry is not valid.

    Examples
    --------
    >>> from pgmsim.models import point_source_image
    >>> m = point_source_image.build()
    >>> print(m.factorization())
    p(lon0, lat0, F, norm, {N_k}) = p(lon0) p(lat0) p(F) p(norm) prod_k p(N_k | lon0, lat0, F, norm)
    >>> inputs = point_source_image.default_inputs()
    >>> lat, lon = m.image(inputs["lat"]), m.image(inputs["lon"])
    >>> lat.shape, bool(lat[-1, 0] > lat[0, 0]), bool(lon[0, -1] < lon[0, 0])
    ((50, 50), True, True)
    """
    _check_geometry(shape, binsz, center)
    (lon_lo, lon_hi), (lat_lo, lat_hi) = _edges(shape, binsz, center)
    m = pg.Model("point_source_image")
    m.plate("pixels", label="pixels $k$", shape=shape)
    m.fixed("ex", plate="pixels", label=r"\epsilon")
    m.fixed("bkg", plate="pixels", label="B")
    m.fixed("lon", plate="pixels", label=r"\ell")
    m.fixed("lat", plate="pixels", label="b")
    m.fixed("psf", plate="pixels", label="P")
    m.param("lon0", pg.Uniform(lon_lo, lon_hi), label=r"\ell_0")
    m.param("lat0", pg.Uniform(lat_lo, lat_hi), label="b_0")
    m.param("F", pg.LogUniform(1e-11, 1e-6))
    m.param("norm", pg.Uniform(0.5, 2.0), label=r"n_{\mathrm{b}}")

    @m.deterministic(plate="pixels")
    def mu(lon0, lat0, F, norm, ex, bkg, lon, lat, psf):
        kernel = shifted_kernel(psf, lon0, lat0, lon, lat)
        exposure = _exposure_at(ex, lon, lat, lon0, lat0)
        return F * exposure * kernel + norm * bkg

    m.data("N", pg.Poisson("mu"), plate="pixels")
    return m


def king_kernel(sigma, gamma, shape=SHAPE, binsz=BINSZ, oversample=9):
    r"""The PSF kernel of a King profile: the image of a source at the map centre.

    The King function, the form of the Fermi-LAT PSF,

    .. math::

        P(r) = \frac{1}{2\pi\sigma^2}\left(1 - \frac{1}{\gamma}\right)
               \left(1 + \frac{r^2}{2\gamma\sigma^2}\right)^{-\gamma},

    integrated over each pixel (by ``oversample`` x ``oversample``
    sub-pixels) of a map of ``shape`` for a source at its centre, and
    normalised to sum to one over the map.

    Parameters
    ----------
    sigma : float
        Core width, degrees.
    gamma : float
        Tail index, > 1.
    shape : tuple of int
        Map shape (rows, columns).
    binsz : float
        Pixel size, degrees.
    oversample : int
        Sub-pixels per pixel and axis.

    Returns
    -------
    numpy.ndarray, shape ``shape``

    Raises
    ------
    ValueError
        If ``sigma`` is not positive or ``gamma <= 1``.

    Examples
    --------
    >>> k = king_kernel(0.06, 2.5)
    >>> k.shape, round(float(k.sum()), 12)
    ((50, 50), 1.0)
    """
    if not (sigma > 0 and gamma > 1):
        raise ValueError(f"king_kernel needs sigma > 0 and gamma > 1, got "
                         f"sigma={sigma!r}, gamma={gamma!r}")
    ny, nx = shape
    sub_y = ((np.arange(ny * oversample) + 0.5) / oversample - ny / 2) * binsz
    sub_x = ((np.arange(nx * oversample) + 0.5) / oversample - nx / 2) * binsz
    r2 = sub_y[:, None] ** 2 + sub_x[None, :] ** 2
    density = (1 - 1 / gamma) * (1 + r2 / (2 * gamma * sigma**2)) ** (-gamma)
    kernel = density.reshape(ny, oversample, nx, oversample).sum(axis=(1, 3))
    return kernel / kernel.sum()


def default_inputs(seed=0, shape=SHAPE, binsz=BINSZ, center=CENTER):
    """Inputs of a mock counts map: exposure, background template, coordinates, PSF.

    The exposure (about 3e11 cm^2 s, a decade of survey above a few GeV)
    varies smoothly by about 15 percent over the field. The background
    template has the Galactic ridge (a Gaussian in latitude of 0.8 degrees
    width centred on the plane), an isotropic part, and three molecular
    clouds (elliptical Gaussians) placed by ``seed``: about 3 to 25 counts
    per pixel. The PSF is a King profile with ``sigma = 0.06`` deg and
    ``gamma = 2.5`` (68 percent containment radius 0.14 deg).

    Parameters
    ----------
    seed : int
        Places the clouds.
    shape, binsz, center
        Map geometry, as for :func:`build`.

    Returns
    -------
    dict
        ``ex``, ``bkg``, ``lon``, ``lat``, ``psf``: vectors of shape
        ``(ny * nx,)`` over the pixels (row-major).

    Raises
    ------
    ValueError
        If the geometry is not valid.

    Examples
    --------
    >>> from pgmsim.models import point_source_image
    >>> inputs = point_source_image.default_inputs(seed=0)
    >>> sorted(inputs), inputs["ex"].shape
    (['bkg', 'ex', 'lat', 'lon', 'psf'], (2500,))
    >>> round(float(inputs["psf"].sum()), 12)
    1.0
    """
    _check_geometry(shape, binsz, center)
    rng = np.random.default_rng(seed)
    ny, nx = shape
    row, col = np.mgrid[0:ny, 0:nx].astype(float)
    lon = center[0] - (col - (nx - 1) / 2) * binsz
    lat = center[1] + (row - (ny - 1) / 2) * binsz
    dlon, dlat = lon - center[0], lat - center[1]
    ex = 3.0e11 * (1.0 + 0.02 * dlat - 0.01 * dlon - 0.005 * (dlon**2 + dlat**2))
    bkg = 2.0 + 14.0 * np.exp(-0.5 * (lat / 0.8) ** 2)
    for _ in range(3):
        c_lon = center[0] + rng.uniform(-0.4, 0.4) * nx * binsz
        c_lat = center[1] + rng.uniform(-0.4, 0.4) * ny * binsz
        s1, s2 = rng.uniform(0.15, 0.4), rng.uniform(0.08, 0.2)
        angle = rng.uniform(0, np.pi)
        u = np.cos(angle) * (lon - c_lon) + np.sin(angle) * (lat - c_lat)
        v = -np.sin(angle) * (lon - c_lon) + np.cos(angle) * (lat - c_lat)
        bkg = bkg + rng.uniform(4.0, 9.0) * np.exp(-0.5 * ((u / s1) ** 2 + (v / s2) ** 2))
    psf = king_kernel(0.06, 2.5, shape=shape, binsz=binsz)
    return {"ex": ex.ravel(), "bkg": bkg.ravel(), "lon": lon.ravel(),
            "lat": lat.ravel(), "psf": psf.ravel()}


def expected_counts(params, inputs, model=None):
    """The model's expected counts ``mu`` for given parameter values.

    Parameters
    ----------
    params : dict
        ``lon0``, ``lat0``, ``F``, ``norm``.
    inputs : dict
        The fixed inputs, as from :func:`default_inputs`.
    model : pgmsim.Model, optional
        The model (``build()`` by default, the default geometry).

    Returns
    -------
    numpy.ndarray, shape (npix,)
        Expected counts per pixel, source plus background.

    Examples
    --------
    The source adds about ``F`` times the exposure (3e-9 x 3e11 counts) to
    the background:

    >>> from pgmsim.models import point_source_image
    >>> inputs = point_source_image.default_inputs()
    >>> truth = point_source_image.TRUTH
    >>> mu = point_source_image.expected_counts(truth, inputs)
    >>> source = mu - truth["norm"] * inputs["bkg"]
    >>> mu.shape, bool(800 < source.sum() < 1000)
    ((2500,), True)
    """
    model = model if model is not None else build()
    return np.asarray(evaluate(model, params, inputs)["mu"], dtype=float)


def initial_guess(inputs, data):
    """A starting point from the data: the brightest smoothed excess.

    The counts minus the background template (scaled to the counts outside
    the brightest region) are smoothed with a Gaussian of 1.5 pixels; the
    position is the maximum, the flux the excess within 5 pixels divided by
    the exposure there.

    Parameters
    ----------
    inputs : dict
        The fixed inputs, as from :func:`default_inputs`.
    data : dict
        ``{"N": counts}``, counts of shape ``(npix,)``.

    Returns
    -------
    dict
        ``lon0``, ``lat0`` (a pixel centre), ``F`` and ``norm``.

    Examples
    --------
    The guessed position is within a pixel (0.1 degrees) of the truth:

    >>> from pgmsim.models import point_source_image
    >>> inputs = point_source_image.default_inputs()
    >>> truth = point_source_image.TRUTH
    >>> mock = point_source_image.build().simulate(inputs=inputs, params=truth, seed=1)
    >>> guess = point_source_image.initial_guess(inputs, {"N": mock["N"]})
    >>> sorted(guess)
    ['F', 'lat0', 'lon0', 'norm']
    >>> abs(guess["lon0"] - truth["lon0"]) < 0.1, abs(guess["lat0"] - truth["lat0"]) < 0.1
    (True, True)
    """
    # the map of these inputs, whatever its geometry
    image = build(shape=(np.unique(inputs["lat"]).size, np.unique(inputs["lon"]).size)).image
    counts, bkg = image(data["N"]), image(inputs["bkg"])
    norm = counts.sum() / bkg.sum()
    smooth = ndimage.gaussian_filter(counts - norm * bkg, 1.5)
    row, col = np.unravel_index(np.argmax(smooth), smooth.shape)
    rows, cols = np.indices(counts.shape)
    near = (rows - row) ** 2 + (cols - col) ** 2 <= 25
    far = ~near
    norm = counts[far].sum() / bkg[far].sum()
    excess = max(float((counts - norm * bkg)[near].sum()), 1.0)
    exposure = image(inputs["ex"])[row, col]
    return {"lon0": float(image(inputs["lon"])[row, col]),
            "lat0": float(image(inputs["lat"])[row, col]),
            "F": excess / exposure, "norm": float(norm)}


def fit_cash(counts, inputs, initial=None, model=None):
    """Maximum-likelihood fit by minimising the Cash statistic, with covariance.

    Minimises ``C = 2 sum(mu - N ln mu)`` (:func:`pgmsim.astro.imagestats.cash`,
    ``-2 ln L`` up to a data-only constant) over ``(lon0, lat0, F, norm)``.
    The parameters are scaled to comparable sizes for the optimiser; the
    covariance is the inverse of half the Hessian of ``C`` at the minimum
    (:func:`pgmsim.astro.imagestats.ml_covariance`), computed by finite differences
    in coordinates scaled by a first estimate of the errors, so that the
    steps are a hundredth of a standard error.

    Parameters
    ----------
    counts : array_like, shape (npix,)
        Observed counts.
    inputs : dict
        Fixed inputs, as from :func:`default_inputs`.
    initial : dict, optional
        Starting point; :func:`initial_guess` by default.
    model : pgmsim.Model, optional
        The model (``build()`` by default).

    Returns
    -------
    pgmsim.astro.imagestats.MLFit
        ``theta``, ``cov`` and ``stderr`` in the order ``lon0, lat0, F,
        norm``; ``neg2logl`` is the Cash statistic at the minimum.

    Raises
    ------
    ValueError
        If ``counts`` has the wrong length.

    Examples
    --------
    On a mock of a 30 x 30 map the fit recovers the truth within its errors:

    >>> import numpy as np
    >>> from pgmsim.models import point_source_image as psi
    >>> shape, truth = (30, 30), dict(psi.TRUTH, lon0=119.93, lat0=1.07)
    >>> inputs, model = psi.default_inputs(shape=shape), psi.build(shape=shape)
    >>> counts = model.simulate(inputs=inputs, params=truth, seed=1)["N"]
    >>> fit = psi.fit_cash(counts, inputs, model=model)
    >>> pull = (fit.theta - [truth[p] for p in ("lon0", "lat0", "F", "norm")]) / fit.stderr
    >>> fit.success, bool(np.all(np.abs(pull) < 3))
    (True, True)
    """
    model = model if model is not None else build()
    counts = np.asarray(counts, dtype=float)
    if counts.shape != np.shape(inputs["bkg"]):
        raise ValueError(f"counts must have the shape of the pixel inputs "
                         f"{np.shape(inputs['bkg'])}, got {counts.shape}")
    if initial is None:
        initial = initial_guess(inputs, {"N": counts})
    start = np.array([initial[p] for p in _PARAMS], dtype=float)
    walk = Walk.of(model)

    def statistic(theta):
        return cash(counts, walk.evaluate(dict(zip(_PARAMS, theta)), inputs)["mu"])

    # rough errors: a few hundredths of a pixel, a few percent of flux and norm
    binsz = abs(float(np.diff(np.unique(inputs["lat"]))[0]))
    scale = np.array([0.05 * binsz, 0.05 * binsz, 0.05 * start[2], 0.02 * start[3]])
    fit = fit_ml(lambda u: statistic(start + scale * u), np.zeros(4), method="Powell",
                 step=1e-2, options={"xtol": 1e-8, "ftol": 1e-12, "maxfev": 20000})
    theta = start + scale * fit.theta
    # Hessian in units of the estimated errors, with steps of 1/100 of them
    first = ml_covariance(lambda u: statistic(theta + scale * u), np.zeros(4), step=1e-2)
    scale = scale * np.sqrt(np.diag(first))
    cov_u = ml_covariance(lambda u: statistic(theta + scale * u), np.zeros(4), step=1e-2)
    cov = cov_u * np.outer(scale, scale)
    return MLFit(theta=theta, cov=cov, stderr=np.sqrt(np.diag(cov)),
                 neg2logl=float(statistic(theta)), success=fit.success,
                 message=fit.message)


def on_off_maps(counts, background, radius=2.0, alpha=None):
    r"""Excess and Li & Ma significance maps from a counts map and a fitted background.

    The on counts of each pixel are the counts within ``radius`` pixels; the
    background expected there, ``b``, is the fitted background model summed
    over the same disk. The background model is treated as an off
    measurement with exposure ratio ``alpha``: off counts
    ``N_off = b / alpha``, so that ``alpha * N_off = b``, and the excess is
    ``N_on - b`` with the significance of Li & Ma (1983), eq. 17
    (:func:`pgmsim.astro.imagestats.li_ma_significance`).

    By default the background normalisation is taken to have been fitted on
    the whole map: the off counts are the model's total over the map and
    ``alpha = b / sum(background)``, pixel by pixel, which gives the
    background estimate the statistical weight of all the counts it was
    fitted on. A small ``alpha`` treats the background as nearly exact
    (Li & Ma then tends to the Poisson significance of a known background).

    Parameters
    ----------
    counts : array_like, shape (ny, nx)
        Observed counts map.
    background : array_like, shape (ny, nx)
        Fitted background model, expected counts per pixel (e.g.
        ``norm * bkg`` from :func:`fit_cash`), positive.
    radius : float
        Radius of the top-hat correlation disk in pixels (< 1: single pixels).
    alpha : float, optional
        Exposure ratio of on to off measurement; see above for the default.

    Returns
    -------
    pgmsim.astro.imagestats.SignificanceMaps
        ``n_on``, ``n_off``, ``excess`` and ``significance`` maps.

    Raises
    ------
    ValueError
        If the maps are not 2-D of one shape, the counts are negative or the
        background is not positive, or ``alpha`` is not positive.

    Examples
    --------
    >>> counts = np.full((5, 5), 10.0); counts[2, 2] = 40.0
    >>> maps = on_off_maps(counts, np.full((5, 5), 10.0), radius=0, alpha=0.01)
    >>> float(maps.excess[2, 2]), bool(maps.significance[2, 2] > 6)
    (30.0, True)
    """
    counts = np.asarray(counts, dtype=float)
    background = np.asarray(background, dtype=float)
    if counts.ndim != 2 or background.shape != counts.shape:
        raise ValueError(f"counts and background must be 2-D maps of one shape, got "
                         f"{counts.shape} and {background.shape}")
    if not np.all(np.isfinite(background)) or np.any(background <= 0):
        raise ValueError("the background map must be finite and positive")
    kernel = disk_kernel(radius)
    n_on = ndimage.correlate(counts, kernel, mode="constant", cval=0.0)
    b = ndimage.correlate(background, kernel, mode="constant", cval=0.0)
    if alpha is None:
        n_off = np.full(counts.shape, background.sum())
        alpha_map = b / n_off
    else:
        if not (np.isfinite(alpha) and alpha > 0):
            raise ValueError(f"alpha must be positive, got {alpha!r}")
        alpha_map = np.full(counts.shape, float(alpha))
        n_off = b / alpha
    significance = np.asarray(li_ma_significance(n_on, n_off, alpha_map))
    return SignificanceMaps(n_on=n_on, n_off=n_off, excess=n_on - alpha_map * n_off,
                            significance=significance)
