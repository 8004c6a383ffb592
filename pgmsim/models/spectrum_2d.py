r"""A long-slit 2D spectrum: a continuum with an emission line, on a tilted trace.

The physics. A spectrograph disperses the light of a source along the columns
of the detector (the dispersion axis ``x``, a proxy for wavelength) and
images the slit along the rows (the spatial axis ``y``). The source's
spectrum, in counts per column, is a linear continuum plus a Gaussian
emission line,

.. math::

    f(x) = c_0 + c_1 (x - x_{\mathrm{mid}})
           + F_\ell \, G(x;\, x_\ell, \sigma_\ell),

with :math:`x_{\mathrm{mid}}` the middle column, :math:`G` a unit-area
Gaussian integrated over the pixel, ``line_flux`` (:math:`F_\ell`) the line
flux in counts, ``line_x`` its centre and ``line_sigma`` its width in
columns. Across the slit the light is spread by the seeing into a Gaussian
profile of width :math:`\sigma_y` centred on the trace, which the optics tilt
slightly: :math:`y_c(x) = y_0 + y_1 (x - x_{\mathrm{mid}})`. The profile
:math:`P(x, y)` is that Gaussian integrated over each pixel's row, so it
sums to one down each column. The sky adds a background :math:`B` in every
pixel, constant or linear along the dispersion axis (``b0`` and ``b1``). The
expected signal of pixel ``k`` is

.. math::

    \mu_k = f(x_k)\, P(x_k, y_k) + B(x_k),

and the data are either counts, :math:`D_k \sim \mathrm{Poisson}(\mu_k)`
(``noise="poisson"``), or a reduced frame with a variance image ``var``
from the pipeline, :math:`D_k \sim \mathcal{N}(\mu_k, \sqrt{\mathrm{var}_k})`
(``noise="normal"``, the default).

Extraction. :func:`extract` subtracts the background and collapses each
column into one flux with :func:`pgmsim.astro.extraction.box_extraction` (the sum
over an aperture around the trace) and
:func:`pgmsim.astro.extraction.optimal_extraction` (Horne 1986, weights
proportional to profile over variance). :func:`extraction_comparison` repeats
this over many mocks: optimal extraction has the lower variance, also than
a box whose flux is divided by the fraction of the profile it holds (the
aperture correction that makes it unbiased).

The nodes.

- ``x``, ``y`` (fixed, plate ``pixels``): column (dispersion) and row
  (spatial) of each pixel, from 0.
- ``var`` (fixed, plate ``pixels``, ``noise="normal"`` only): variance of
  each pixel, from the reduction pipeline.
- ``c0``, ``c1`` (parameters): continuum, counts per column at the middle
  column and its slope per column.
- ``line_x``, ``line_sigma``, ``line_flux`` (parameters): centre and width of
  the emission line (columns) and its flux (counts).
- ``y0``, ``y1`` (parameters): trace centre at the middle column (row) and
  its slope (rows per column).
- ``sigma_y`` (parameter): width of the spatial profile, rows.
- ``b0`` (parameter): background, counts per pixel (at the middle column).
- ``b1`` (parameter, ``background="linear"`` only): background slope, counts
  per pixel per column.
- ``spec`` (deterministic ``f``): the spectrum, counts per column.
- ``prof`` (deterministic ``P``): the spatial profile, summing to one down a
  column.
- ``bkg`` (deterministic ``B``, ``background="linear"`` only): background
  per pixel.
- ``mu`` (deterministic): expected signal of the pixel.
- ``sd`` (deterministic, ``noise="normal"`` only): the square root of ``var``.
- ``D`` (data): the pixel values.

Pixels are listed row by row (an image ``[y, x]`` flattened): the plate
``pixels`` is the frame, and ``model.image(values)`` turns a vector over it
into the frame ``[y, x]``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

import pgmsim as pg
from pgmsim.astro.extraction import box_extraction, optimal_extraction

__all__ = [
    "DESCRIPTION",
    "TRUTH",
    "build",
    "default_inputs",
    "initial_guess",
    "Extraction",
    "extract",
    "extraction_comparison",
]

DESCRIPTION = ("Long-slit 2D spectrum: continuum plus Gaussian emission line on a tilted "
               "Gaussian trace over a sky background")

#: parameter values of the demo mock (25 rows x 100 columns, linear background)
TRUTH = {"c0": 200.0, "c1": 0.5, "line_x": 47.6, "line_sigma": 2.0, "line_flux": 3000.0,
         "y0": 12.3, "y1": 0.02, "sigma_y": 1.6, "b0": 30.0, "b1": 0.1}

_NOISES = ("normal", "poisson")
_BACKGROUNDS = ("constant", "linear")
_SQRT2 = np.sqrt(2.0)


def _pixel_gaussian(u, centre, sigma):
    """Unit-area Gaussian integrated over the pixel ``[u - 1/2, u + 1/2]``."""
    lo = (u - 0.5 - centre) / (_SQRT2 * sigma)
    hi = (u + 0.5 - centre) / (_SQRT2 * sigma)
    return 0.5 * (special.erf(hi) - special.erf(lo))


def _middle(x):
    return 0.5 * np.max(x)


def build(nx=100, ny=25, noise="normal", background="linear"):
    """The 2D-spectrum model.

    Parameters
    ----------
    nx, ny : int
        Number of columns (dispersion) and rows (spatial); bound the priors
        of the line centre and of the trace.
    noise : {"normal", "poisson"}
        ``"normal"``: Normal noise with a fixed variance image ``var``;
        ``"poisson"``: Poisson counts.
    background : {"linear", "constant"}
        Sky background linear along the dispersion axis, or constant.

    Returns
    -------
    pgmsim.Model
        Its plate ``pixels`` is the ``ny x nx`` frame (:meth:`pgmsim.Model.image`).

    Raises
    ------
    ValueError
        Unknown ``noise`` or ``background``, or a size that is not a
        positive integer.

    Examples
    --------
    >>> from pgmsim.models import spectrum_2d
    >>> print(spectrum_2d.build().factorization())  # doctest: +NORMALIZE_WHITESPACE
    p(c0, c1, line_x, line_sigma, line_flux, y0, y1, sigma_y, b0, b1, {D_k}) = p(c0) p(c1)
    p(line_x) p(line_sigma) p(line_flux) p(y0) p(y1) p(sigma_y) p(b0) p(b1)
    prod_k p(D_k | c0, c1, line_x, line_sigma, line_flux, y0, y1, sigma_y, b0, b1)
    >>> inputs = spectrum_2d.default_inputs()
    >>> spectrum_2d.build().image(inputs["x"])[0, :4]
    array([0., 1., 2., 3.])
    """
    if noise not in _NOISES:
        raise ValueError(f"spectrum_2d.build: noise must be one of {_NOISES}, got {noise!r}")
    if background not in _BACKGROUNDS:
        raise ValueError(f"spectrum_2d.build: background must be one of {_BACKGROUNDS}, "
                         f"got {background!r}")
    for name, value in (("nx", nx), ("ny", ny)):
        if isinstance(value, bool) or int(value) != value or value < 2:
            raise ValueError(f"spectrum_2d.build: {name} must be an integer >= 2, got {value!r}")
    m = pg.Model("spectrum_2d")
    m.plate("pixels", shape=(ny, nx))
    m.fixed("x", plate="pixels")
    m.fixed("y", plate="pixels")
    if noise == "normal":
        m.fixed("var", plate="pixels", label=r"\mathrm{var}")
    m.param("c0", pg.LogUniform(1.0, 1e5))
    m.param("c1", pg.Uniform(-20.0, 20.0))
    m.param("line_x", pg.Uniform(0.0, float(nx)), label=r"x_\ell")
    m.param("line_sigma", pg.Uniform(0.5, 10.0), label=r"\sigma_\ell")
    m.param("line_flux", pg.LogUniform(1.0, 1e6), label=r"F_\ell")
    m.param("y0", pg.Uniform(0.0, float(ny)))
    m.param("y1", pg.Uniform(-0.2, 0.2))
    m.param("sigma_y", pg.Uniform(0.5, 5.0))
    m.param("b0", pg.LogUniform(0.1, 1e4))

    @m.deterministic(plate="pixels", label="f")
    def spec(x, c0, c1, line_x, line_sigma, line_flux):
        return (c0 + c1 * (x - _middle(x))
                + line_flux * _pixel_gaussian(x, line_x, line_sigma))

    @m.deterministic(plate="pixels", label="P")
    def prof(x, y, y0, y1, sigma_y):
        return _pixel_gaussian(y, y0 + y1 * (x - _middle(x)), sigma_y)

    if background == "linear":
        m.param("b1", pg.Uniform(-5.0, 5.0))

        @m.deterministic(plate="pixels", label="B")
        def bkg(x, b0, b1):
            return b0 + b1 * (x - _middle(x))

        @m.deterministic(plate="pixels", label=r"\mu")
        def mu(spec, prof, bkg):
            return spec * prof + bkg
    else:
        @m.deterministic(plate="pixels", label=r"\mu")
        def mu(spec, prof, b0):
            return spec * prof + b0

    if noise == "normal":
        @m.deterministic(plate="pixels", label=r"\sigma")
        def sd(var):
            return np.sqrt(var)

        m.data("D", pg.Normal("mu", "sd"), plate="pixels")
    else:
        m.data("D", pg.Poisson("mu"), plate="pixels")
    return m


def _model(inputs, params=TRUTH):
    """The model of these inputs (frame size, noise) and parameters (background)."""
    return build(nx=int(np.max(inputs["x"])) + 1, ny=int(np.max(inputs["y"])) + 1,
                 noise="normal" if "var" in inputs else "poisson",
                 background="linear" if "b1" in params else "constant")


def _expected(params, inputs):
    """Model nodes (``spec``, ``prof``, ``mu`` ...) at ``params``, computed by the
    model's own functions through a simulation."""
    return _model(inputs, params).simulate(inputs=inputs, params=params, seed=0)


def default_inputs(seed=0, nx=100, ny=25, noise="normal", read_noise=5.0, params=None):
    """Pixel coordinates and, for Normal noise, the variance image.

    The variance image is that of a CCD frame at the demo truth: the Poisson
    variance of the expected counts plus the read noise squared, as a pipeline
    computes it from a smooth model of the frame.

    Parameters
    ----------
    seed : int
        Unused: the inputs are deterministic (accepted for the interface
        shared by the ready-made models).
    nx, ny : int
        Columns and rows.
    noise : {"normal", "poisson"}
        As in :func:`build`; ``"poisson"`` needs no variance image.
    read_noise : float
        Read noise, counts rms, in the variance image.
    params : dict, optional
        Parameters of the frame behind the variance image; :data:`TRUTH` by
        default.

    Returns
    -------
    dict
        ``x``, ``y`` and, for Normal noise, ``var``: vectors of length
        ``nx * ny`` (row-major pixels).

    Raises
    ------
    ValueError
        Unknown ``noise`` or a negative ``read_noise``.

    Examples
    --------
    >>> from pgmsim.models import spectrum_2d
    >>> inputs = spectrum_2d.default_inputs()
    >>> sorted(inputs), inputs["x"].shape
    (['var', 'x', 'y'], (2500,))
    """
    if noise not in _NOISES:
        raise ValueError(f"spectrum_2d.default_inputs: noise must be one of {_NOISES}, "
                         f"got {noise!r}")
    if not read_noise >= 0:
        raise ValueError(f"read_noise must be non-negative, got {read_noise!r}")
    y, x = np.mgrid[0:ny, 0:nx].astype(float)
    inputs = {"x": x.ravel(), "y": y.ravel()}
    if noise == "normal":
        mu = _expected(dict(TRUTH) if params is None else params, inputs)["mu"]
        inputs["var"] = mu + read_noise**2
    return inputs


def initial_guess(inputs, data):
    """A starting point for the MAP search, from moments of the frame.

    The background from the rows far from the trace, the trace from the
    column centroids, the spectrum from the column sums, the continuum from a
    straight line fitted away from the line, the line from the residuals.

    Parameters
    ----------
    inputs : dict
    data : dict
        ``{"D": ...}``.

    Returns
    -------
    dict
        A value for every parameter of the linear-background model (drop
        ``b1`` for the constant one).

    Examples
    --------
    >>> from pgmsim.models import spectrum_2d
    >>> inputs = spectrum_2d.default_inputs()
    >>> sim = spectrum_2d.build().simulate(inputs=inputs, params=spectrum_2d.TRUTH, seed=1)
    >>> guess = spectrum_2d.initial_guess(inputs, {"D": sim["D"]})
    >>> round(guess["line_x"]), round(guess["y0"])
    (48, 12)
    """
    image = _model(inputs).image(np.asarray(data["D"], float))
    ny, nx = image.shape
    cols = np.arange(nx) - 0.5 * (nx - 1)
    rows = np.arange(ny, dtype=float)
    # trace row from the brightest row of the collapsed frame; sky from the far rows
    peak = int(np.argmax(np.median(image, axis=1)))
    far = np.abs(rows - peak) >= max(4, ny // 4)
    sky = np.median(image[far], axis=0)
    b1, b0 = np.polyfit(cols, sky, 1)
    sub = image - (b0 + b1 * cols)
    near = np.abs(rows - peak) <= max(3, ny // 6)
    weight = np.clip(sub[near], 0.0, None)
    centre = (rows[near] @ weight) / np.maximum(weight.sum(axis=0), 1e-9)
    y1, y0 = np.polyfit(cols, centre, 1)
    spread = ((rows[near, None] - centre) ** 2 * weight).sum() / max(weight.sum(), 1e-9)
    flux = sub[near].sum(axis=0)
    # continuum: a straight line, refitted without the columns far above it
    keep = np.ones(nx, bool)
    for _ in range(3):
        c1, c0 = np.polyfit(cols[keep], flux[keep], 1)
        resid = flux - (c0 + c1 * cols)
        keep = resid < 3 * np.std(resid[keep]) + 1e-9
    line = int(np.argmax(resid))
    window = np.abs(np.arange(nx) - line) <= 6
    w = np.clip(resid[window], 0.0, None)
    line_x = float(np.arange(nx)[window] @ w / max(w.sum(), 1e-9))
    line_sigma = float(np.sqrt(((np.arange(nx)[window] - line_x) ** 2 @ w) / max(w.sum(), 1e-9)))
    return {"c0": float(np.clip(c0, 1.5, 9e4)), "c1": float(np.clip(c1, -19, 19)),
            "line_x": float(np.clip(line_x, 0.5, nx - 0.5)),
            "line_sigma": float(np.clip(line_sigma, 0.6, 9.0)),
            "line_flux": float(np.clip(w.sum(), 2.0, 9e5)),
            "y0": float(np.clip(y0, 0.5, ny - 0.5)), "y1": float(np.clip(y1, -0.19, 0.19)),
            "sigma_y": float(np.clip(np.sqrt(spread), 0.6, 4.5)),
            "b0": float(np.clip(b0, 0.2, 9e3)), "b1": float(np.clip(b1, -4.9, 4.9))}


class Extraction(NamedTuple):
    """Box and optimal extractions of one or more frames.

    Examples
    --------
    >>> from pgmsim.models import spectrum_2d
    >>> ext = spectrum_2d.extraction_comparison(n_mocks=5)
    >>> ext.box.shape, ext.optimal_var.shape
    ((5, 100), (100,))
    """

    box: np.ndarray
    """Box-extracted flux per column, shape (..., nx)."""
    box_var: np.ndarray
    """Its predicted variance, shape (nx,)."""
    optimal: np.ndarray
    """Optimally extracted flux per column, shape (..., nx)."""
    optimal_var: np.ndarray
    """Its predicted variance, shape (nx,)."""
    box_fraction: np.ndarray
    """Fraction of the profile inside the box, shape (nx,): ``box /
    box_fraction`` is the aperture-corrected (unbiased) box flux."""
    truth: np.ndarray
    """The true spectrum ``spec``, counts per column, shape (nx,)."""


def extract(frames, inputs, params=None, aperture=2.5):
    """Box and Horne optimal extraction of frames, with the true profile and background.

    The background and the profile are the model's ``bkg`` and ``prof`` at
    ``params``; the pixel variances are ``var`` (Normal noise) or the
    expected counts ``mu`` (Poisson noise). The box is the rows within
    ``aperture`` profile widths of the trace in each column.

    Parameters
    ----------
    frames : array_like, shape (ny * nx,) or (nframe, ny * nx)
        Pixel vectors (the data ``D`` of one or more mocks).
    inputs : dict
    params : dict, optional
        :data:`TRUTH` by default.
    aperture : float
        Half-width of the box in units of ``sigma_y``.

    Returns
    -------
    Extraction

    Raises
    ------
    ValueError
        If ``aperture`` is not positive or a frame has the wrong length.

    Examples
    --------
    >>> from pgmsim.models import spectrum_2d
    >>> inputs = spectrum_2d.default_inputs()
    >>> sim = spectrum_2d.build().simulate(inputs=inputs, params=spectrum_2d.TRUTH, seed=1)
    >>> ext = spectrum_2d.extract(sim["D"], inputs)
    >>> bool(ext.optimal_var.sum() < ext.box_var.sum())
    True
    """
    params = dict(TRUTH) if params is None else dict(params)
    if not aperture > 0:
        raise ValueError(f"aperture must be positive, got {aperture!r}")
    model = _model(inputs, params)
    nodes = model.simulate(inputs=inputs, params=params, seed=0)
    npix = model.plates["pixels"].size
    single = np.ndim(frames) == 1
    frames = np.atleast_2d(np.asarray(frames, float))
    if frames.shape[-1] != npix:
        raise ValueError(f"frames must hold {npix} pixels each, got {frames.shape[-1]}")
    variance = model.image(inputs["var"] if "var" in inputs else nodes["mu"])
    background = model.image(nodes["mu"] - nodes["spec"] * nodes["prof"])
    profile = model.image(nodes["prof"])
    x = model.image(inputs["x"])
    y = model.image(inputs["y"])
    trace = params["y0"] + params["y1"] * (x - _middle(inputs["x"]))
    box_mask = np.abs(y - trace) <= aperture * params["sigma_y"]
    box, box_var, opt, opt_var = [], None, [], None
    for frame in frames:
        data = model.image(frame) - background
        b = box_extraction(data, variance, aperture=box_mask)
        o = optimal_extraction(data, variance, profile)
        box.append(b.flux)
        opt.append(o.flux)
        box_var, opt_var = b.flux_var, o.flux_var
    pick = (lambda a: np.asarray(a)[0]) if single else np.asarray
    fraction = np.where(box_mask, profile, 0.0).sum(axis=0)
    return Extraction(pick(box), box_var, pick(opt), opt_var, fraction,
                      model.image(nodes["spec"])[0])


def extraction_comparison(n_mocks=100, seed=0, noise="normal", params=None, aperture=2.5):
    """Box and optimal extraction over many mocks of the same spectrum.

    Parameters
    ----------
    n_mocks : int
        Number of mocks, drawn with seeds ``seed, seed + 1, ...``.
    seed : int
    noise : {"normal", "poisson"}
    params : dict, optional
        :data:`TRUTH` by default.
    aperture : float
        Box half-width in profile widths.

    Returns
    -------
    Extraction
        ``box`` and ``optimal`` of shape ``(n_mocks, nx)``; their empirical
        variances over the mocks are ``box.var(axis=0)`` and
        ``optimal.var(axis=0)``.

    Examples
    --------
    >>> from pgmsim.models import spectrum_2d
    >>> ext = spectrum_2d.extraction_comparison(n_mocks=20)
    >>> bool(ext.optimal.var(axis=0).mean() < ext.box.var(axis=0).mean())
    True
    """
    if int(n_mocks) != n_mocks or n_mocks < 2:
        raise ValueError(f"n_mocks must be an integer >= 2, got {n_mocks!r}")
    params = dict(TRUTH) if params is None else dict(params)
    inputs = default_inputs(noise=noise, params=params)
    model = _model(inputs, params)
    frames = np.array([model.simulate(inputs=inputs, params=params, seed=seed + i)["D"]
                       for i in range(int(n_mocks))])
    return extract(frames, inputs, params=params, aperture=aperture)
