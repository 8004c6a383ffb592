r"""CCD calibration frames as one generative model: bias, darks, flats and a star.

The physics. A CCD turns light into electrons, then electrons into numbers.
In pixel :math:`k` (of any frame), exposed for :math:`t_k` seconds, the
expected number of electrons collected is

.. math::

    \lambda_k = t_k \left[ D + f_k \left( \delta^{\mathrm{lamp}}_k L
        + \delta^{\mathrm{sky}}_k S + F P_k \right) \right],

the sum of the thermal (dark-current) electrons, ``D`` per second in every
pixel, and of the photo-electrons from the light falling on the pixel, which
the pixel's relative sensitivity, the flat field :math:`f_k`, scales. The
light is the flat-field lamp (``L`` e-/s per pixel) in flats, the sky (``S``
e-/s per pixel) plus a star (``F`` e-/s in total, spread over the pixels by a
Gaussian point-spread function :math:`P_k` of width ``w`` centred on
``(x0, y0)``) in the science frame, and nothing in biases (:math:`t_k = 0`)
and darks (shutter closed). The flat field is smooth here, the vignetting of
the optics: :math:`f_k \propto 1 - v \rho_k^2`, with :math:`\rho_k` the
distance to the detector centre in units of the half-diagonal, normalised to
mean 1 over the detector (the convention of the normalised master flat).

The number of electrons is a Poisson draw, :math:`n_k \sim
\mathrm{Poisson}(\lambda_k)`. The read-out amplifier adds Gaussian read
noise of ``R`` electrons rms, the analogue-to-digital converter divides by
the gain ``g`` (electrons per ADU), adds the bias level ``b`` (ADU) and
rounds:

.. math::

    \mathrm{ADU}_k = \mathrm{round}\left( b + (n_k + \epsilon_k) / g
    \right), \qquad \epsilon_k \sim \mathcal{N}(0, R^2).

Exact simulation and approximate inference. The exact sampling distribution
of :math:`\mathrm{ADU}_k` is a Poisson distribution convolved with a
Normal one, and the electron counts are discrete latent variables that
emcee cannot sample. So this module has two versions of the graph:

- ``build(exact=True)``, the forward model: electrons ``ne`` are a Poisson
  node, the read-out a Normal node given them. :func:`simulate_calibration_set`
  draws mocks with it (then rounds to integer ADU).
- ``build()``, the inference model: the Poisson-Normal convolution is
  replaced by the Normal distribution with the same mean and variance,

  .. math::

      \mathrm{ADU}_k \sim \mathcal{N}\left( b + \lambda_k/g,\;
      \sqrt{(R^2 + \lambda_k)/g^2 + 1/12} \right),

  the 1/12 ADU^2 being the variance of the rounding. Mean and variance are
  exact; the first difference is the third cumulant: the skewness of the
  convolution, :math:`\lambda/(R^2 + \lambda)^{3/2}`, is at most
  :math:`2/(3^{3/2} R) \approx 0.385/R` (at :math:`\lambda = 2R^2`), 0.077 for
  ``R = 5`` e-, and its distance from the Normal CDF (Kolmogorov) is about
  0.07 times the skewness, below 0.006: smaller than the sampling noise of the
  empirical CDF of a 32x32 frame (about 0.04). The regime of validity is thus
  read noise of a few electrons or more, or more than about twenty electrons
  per pixel: biases and darks are read-noise dominated, flats and the
  science frame have hundreds to tens of thousands of electrons. It fails
  for photon-counting (EMCCD, sub-electron read noise) data.

The classic recipe (:func:`classic_estimates`, with :mod:`pgmsim.astro.calibration`)
makes a median master bias, a scaled master dark, a normalised master flat,
the photon-transfer gain from a pair of flats, the read noise from a pair of
biases, and the star's flux by aperture photometry on the calibrated science
frame. :func:`compare_estimates` gives both sets of estimates on one mock.
The generative model assumes a uniform bias and dark current and a smooth
flat; the classic recipe estimates them pixel by pixel. Per-pixel flat,
bias and dark parameters (a thousand per 32x32 frame) are beyond an ensemble
sampler, so the model describes a detector without pixel-to-pixel structure.

Frames and pixels. Every pixel of every frame is one element of the plate
``pixels``, frame after frame, each frame row-major (a cube ``[frame, y, x]``
flattened); what describes a frame (exposure time, lamp, sky) is given for
each of its pixels.

The nodes.

- ``t`` (fixed): exposure time of the pixel's frame, seconds (0 for biases).
- ``lamp_on``, ``sky_on`` (fixed, :math:`\delta^{\mathrm{lamp}}`,
  :math:`\delta^{\mathrm{sky}}`): 1 if the pixel's frame sees the flat-field
  lamp (flats), or the sky and the star (science frame); else 0.
- ``x``, ``y`` (fixed): column and row of the pixel, from 0.
- ``bias`` (parameter ``b``): bias level, ADU.
- ``gain`` (parameter ``g``): electrons per ADU.
- ``rn`` (parameter ``R``): read noise, electrons rms.
- ``dark`` (parameter ``D``): dark current, electrons/s/pixel.
- ``lamp`` (parameter ``L``): flat-field lamp, electrons/s/pixel at mean
  sensitivity.
- ``vig`` (parameter ``v``): vignetting; the flat falls by ``v`` (relative)
  from the centre to the corners.
- ``sky`` (parameter ``S``): sky, electrons/s/pixel.
- ``F`` (parameter): the star's flux, electrons/s.
- ``x0``, ``y0`` (parameters): the star's position, pixels.
- ``width`` (parameter ``w``): width (sigma) of the Gaussian PSF, pixels.
- ``rho`` (deterministic :math:`\rho`): distance of the pixel to the detector
  centre over the half-diagonal (depends on fixed inputs only: computed once).
- ``flat`` (deterministic ``f``): flat field, relative sensitivity, mean 1.
- ``psf`` (deterministic ``P``): fraction of the star's light in the pixel
  (zero in frames that do not see the sky).
- ``light`` (deterministic ``I``): light reaching the pixel, electrons/s at
  mean sensitivity.
- ``lam`` (deterministic :math:`\lambda`): expected electrons.
- ``mu``, ``sd`` (deterministic :math:`\mu`, :math:`\sigma`): mean and
  standard deviation of the read value, ADU (with ``exact=True``: given the
  electrons, and ``sd`` the read noise alone, one value for all pixels).
- ``ne`` (data ``n``, ``exact=True`` only): the electrons collected, a
  latent Poisson draw.
- ``adu`` (data): the read value, ADU.
"""

from __future__ import annotations

import numpy as np
from astropy.table import Table

import pgmsim as pg
from pgmsim.astro import calibration

from ._ccd_calibration import (
    CLASSIC_QUANTITIES,
    CalibrationSet,
    _cube,
    classic_estimates,
    frame_kinds,
    laplace_walkers,
)

__all__ = [
    "DESCRIPTION",
    "TRUTH",
    "build",
    "default_inputs",
    "view_image",
    "initial_guess",
    "frame_kinds",
    "CalibrationSet",
    "simulate_calibration_set",
    "classic_estimates",
    "laplace_walkers",
    "generative_estimates",
    "compare_estimates",
    "CLASSIC_QUANTITIES",
]

DESCRIPTION = ("CCD calibration set: bias, dark, flat and science frames; gain, read "
               "noise, dark current and a star's flux")

#: parameter values of the demo mock (32x32 frames)
TRUTH = {"bias": 1000.0, "gain": 2.0, "rn": 5.0, "dark": 0.05, "lamp": 2000.0,
         "vig": 0.15, "sky": 2.0, "F": 500.0, "x0": 15.3, "y0": 16.7, "width": 1.5}

#: variance of the rounding to integer ADU, ADU^2
_ROUNDING_VAR = 1.0 / 12.0


def build(nx=32, ny=32, exact=False, nframes=14):
    """The CCD calibration model.

    Parameters
    ----------
    nx, ny : int
        Frame size in pixels; bounds the prior of the star's position.
    exact : bool
        ``False`` (default): the inference model, with the Normal
        approximation of the read values. ``True``: the forward model, with
        latent Poisson electrons ``ne`` and Normal read noise given them (for
        simulation only: it cannot be fitted).
    nframes : int
        Number of frames of every kind together (14 in :func:`default_inputs`).

    Returns
    -------
    pgmsim.Model
        Its plate ``pixels`` is the image of the frames stacked along ``y``,
        shape ``(nframes * ny, nx)``: ``model.image(values)`` turns a vector
        over it into that image, and :func:`view_image` picks the science
        frame out of it.

    Raises
    ------
    ValueError
        If ``nx``, ``ny`` or ``nframes`` is not a positive integer.

    Examples
    --------
    >>> from pgmsim.models import ccd_frames
    >>> print(ccd_frames.build().factorization())  # doctest: +NORMALIZE_WHITESPACE
    p(bias, gain, rn, dark, lamp, vig, sky, F, x0, y0, width, {adu_k}) = p(bias) p(gain)
    p(rn) p(dark) p(lamp) p(vig) p(sky) p(F) p(x0) p(y0) p(width)
    prod_k p(adu_k | bias, gain, rn, dark, lamp, vig, sky, F, x0, y0, width)
    """
    for name, value in (("nx", nx), ("ny", ny), ("nframes", nframes)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise ValueError(f"ccd_frames.build: {name} must be a positive integer, "
                             f"got {value!r}")
    m = pg.Model("ccd_frames" + ("_exact" if exact else ""))
    m.plate("pixels", index="k", label="pixels $k$ of all frames",
            shape=(int(nframes) * int(ny), int(nx)))
    m.fixed("t", plate="pixels")
    m.fixed("lamp_on", plate="pixels", label=r"\delta^{\mathrm{lamp}}")
    m.fixed("sky_on", plate="pixels", label=r"\delta^{\mathrm{sky}}")
    m.fixed("x", plate="pixels")
    m.fixed("y", plate="pixels")
    m.param("bias", pg.Uniform(0.0, 4000.0), label="b")
    m.param("gain", pg.LogUniform(0.3, 20.0), label="g")
    m.param("rn", pg.LogUniform(0.5, 50.0), label="R")
    m.param("dark", pg.LogUniform(1e-4, 10.0), label="D")
    m.param("lamp", pg.LogUniform(1.0, 1e5), label="L")
    m.param("vig", pg.Uniform(0.0, 0.9), label="v")
    m.param("sky", pg.LogUniform(1e-2, 1e3), label="S")
    m.param("F", pg.LogUniform(1.0, 1e5))
    m.param("x0", pg.Uniform(0.0, nx))
    m.param("y0", pg.Uniform(0.0, ny))
    m.param("width", pg.Uniform(0.5, 5.0), label="w")

    @m.deterministic(plate="pixels", label=r"\rho")
    def rho(x, y):
        xc, yc = 0.5 * np.max(x), 0.5 * np.max(y)
        return np.sqrt(((x - xc) ** 2 + (y - yc) ** 2) / (xc**2 + yc**2))

    @m.deterministic(plate="pixels", label="f")
    def flat(rho, vig):
        return (1.0 - vig * rho**2) / (1.0 - vig * np.mean(rho**2))

    @m.deterministic(plate="pixels", label="P")
    def psf(x, y, sky_on, x0, y0, width):
        # the star is seen in the science frames only: evaluate it there
        on = np.flatnonzero(sky_on)
        r2 = (x[on] - x0) ** 2 + (y[on] - y0) ** 2
        out = np.zeros(np.shape(r2)[:-1] + np.shape(x))
        out[..., on] = np.exp(-0.5 * r2 / width**2) / (2.0 * np.pi * width**2)
        return out

    @m.deterministic(plate="pixels", label="I")
    def light(lamp_on, sky_on, lamp, sky, F, psf):
        return lamp_on * lamp + sky_on * sky + F * psf

    @m.deterministic(plate="pixels", label=r"\lambda")
    def lam(t, dark, flat, light):
        return t * (dark + flat * light)

    if exact:
        m.data("ne", pg.Poisson("lam"), plate="pixels", label="n")

        @m.deterministic(plate="pixels", label=r"\mu")
        def mu(bias, gain, ne):
            return bias + ne / gain

        @m.deterministic(label=r"\sigma")
        def sd(gain, rn):
            return rn / gain
    else:
        @m.deterministic(plate="pixels", label=r"\mu")
        def mu(bias, gain, lam):
            return bias + lam / gain

        @m.deterministic(plate="pixels", label=r"\sigma")
        def sd(gain, rn, lam):
            return np.sqrt((rn**2 + lam) / gain**2 + _ROUNDING_VAR)

    m.data("adu", pg.Normal("mu", "sd"), plate="pixels", label=r"\mathrm{ADU}")
    return m


def default_inputs(seed=0, nx=32, ny=32, n_bias=5, n_dark=3, n_flat=5, t_dark=300.0,
                   t_flat=10.0, t_science=120.0):
    """A night's calibration plan: biases, darks, flats, then one science frame.

    Parameters
    ----------
    seed : int
        Unused: the plan is deterministic (accepted for the interface shared
        by the ready-made models).
    nx, ny : int
        Frame size, pixels.
    n_bias, n_dark, n_flat : int
        Number of frames of each kind; the classic recipe needs at least two
        biases and two flats.
    t_dark, t_flat, t_science : float
        Exposure times, seconds.

    Returns
    -------
    dict
        ``t``, ``lamp_on``, ``sky_on``, ``x``, ``y``: one value per pixel of
        every frame, frame after frame (a cube ``[frame, y, x]`` flattened).

    Raises
    ------
    ValueError
        Fewer than two biases or flats, no dark, or a non-positive time.

    Examples
    --------
    >>> from pgmsim.models import ccd_frames
    >>> inputs = ccd_frames.default_inputs()
    >>> inputs["x"].size, ccd_frames.frame_kinds(inputs)[[0, 5, 8, 13]].tolist()
    (14336, ['bias', 'dark', 'flat', 'science'])
    """
    if n_bias < 2 or n_flat < 2 or n_dark < 1:
        raise ValueError(f"need at least 2 biases, 1 dark and 2 flats; got n_bias={n_bias}, "
                         f"n_dark={n_dark}, n_flat={n_flat}")
    for name, value in (("t_dark", t_dark), ("t_flat", t_flat), ("t_science", t_science)):
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value!r}")
    t = np.concatenate([np.zeros(n_bias), np.full(n_dark, float(t_dark)),
                        np.full(n_flat, float(t_flat)), [float(t_science)]])
    lamp_on = np.zeros(t.size)
    lamp_on[n_bias + n_dark:n_bias + n_dark + n_flat] = 1.0
    sky_on = np.zeros(t.size)
    sky_on[-1] = 1.0
    y, x = np.mgrid[0:ny, 0:nx].astype(float)
    npix = nx * ny
    return {"t": np.repeat(t, npix), "lamp_on": np.repeat(lamp_on, npix),
            "sky_on": np.repeat(sky_on, npix),
            "x": np.tile(x.ravel(), t.size), "y": np.tile(y.ravel(), t.size)}


def _build_for(inputs, exact=False):
    """The model of the frames planned in ``inputs``."""
    nframes, ny, nx = _cube(inputs["t"], inputs).shape
    return build(nx=nx, ny=ny, exact=exact, nframes=nframes)


def view_image(image, inputs):
    """The science frame ``[y, x]`` of an image of the plate (the frames stacked
    along ``y``, as from ``model.image(values)``): what ``pgmsim run`` shows.

    Parameters
    ----------
    image : numpy.ndarray, shape (..., nframe * ny, nx)
    inputs : dict
        As from :func:`default_inputs`.

    Returns
    -------
    numpy.ndarray, shape (..., ny, nx)
        The first science frame.

    Raises
    ------
    ValueError
        If there is no science frame.

    Examples
    --------
    >>> from pgmsim.models import ccd_frames
    >>> cal = ccd_frames.simulate_calibration_set(seed=1)
    >>> ccd_frames.view_image(ccd_frames.build().image(cal.adu), cal.inputs).shape
    (32, 32)
    """
    kinds = frame_kinds(inputs)
    science = np.flatnonzero(kinds == "science")
    if science.size == 0:
        raise ValueError("ccd_frames.view_image: the inputs have no science frame")
    ny = np.shape(image)[-2] // kinds.size
    return np.asarray(image)[..., science[0] * ny:(science[0] + 1) * ny, :]


def simulate_calibration_set(params=None, inputs=None, seed=0):
    """Simulate biases, darks, flats and a science frame with the exact process.

    Poisson electrons, then Normal read noise, gain and bias through the
    forward graph ``build(exact=True)``, then rounding to integer ADU.

    Parameters
    ----------
    params : dict, optional
        Parameter values; :data:`TRUTH` by default (missing ones are drawn
        from the prior).
    inputs : dict, optional
        The plan of frames; :func:`default_inputs` by default.
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    CalibrationSet

    Examples
    --------
    >>> from pgmsim.models import ccd_frames
    >>> cal = ccd_frames.simulate_calibration_set(seed=1)
    >>> cal.frames("flat").shape, cal.exptime("dark")
    ((5, 32, 32), 300.0)
    """
    inputs = default_inputs() if inputs is None else inputs
    params = dict(TRUTH) if params is None else dict(params)
    sim = _build_for(inputs, exact=True).simulate(inputs=inputs, params=params, seed=seed)
    values = {k: sim[k] for k in TRUTH}
    return CalibrationSet(adu=np.round(sim["adu"]), electrons=sim["ne"], inputs=dict(inputs),
                          params={k: float(v) for k, v in values.items()})


def initial_guess(inputs, data):
    """A starting point for the MAP search, from the classic recipe.

    Parameters
    ----------
    inputs : dict
    data : dict
        ``{"adu": ...}``.

    Returns
    -------
    dict
        A value for every parameter, inside its prior.

    Examples
    --------
    >>> from pgmsim.models import ccd_frames
    >>> cal = ccd_frames.simulate_calibration_set(seed=1)
    >>> guess = ccd_frames.initial_guess(cal.inputs, {"adu": cal.adu})
    >>> round(guess["bias"]), round(guess["width"], 1)
    (1000, 1.5)
    """
    cal = CalibrationSet(adu=np.asarray(data["adu"], float), electrons=np.zeros(0),
                         inputs=inputs, params={})
    est = classic_estimates(cal)
    guess = {k: est[k].value for k in ("bias", "gain", "rn", "dark", "lamp", "F", "x0", "y0")}
    guess["sky"] = max(est["sky"].value, 0.02)
    # vignetting: the master flat against rho^2 is a straight line a (1 - v rho^2)
    ny, nx = est["master_flat"].shape
    y, x = np.mgrid[0:ny, 0:nx].astype(float)
    xc, yc = 0.5 * (nx - 1), 0.5 * (ny - 1)
    rho2 = ((x - xc) ** 2 + (y - yc) ** 2) / (xc**2 + yc**2)
    slope, intercept = np.polyfit(rho2.ravel(), est["master_flat"].ravel(), 1)
    guess["vig"] = float(np.clip(-slope / intercept, 0.0, 0.85))
    # PSF width from the second moment of the star in the calibrated frame
    image = calibration.calibrate(cal.frames("science")[0], est["master_bias"],
                                  est["master_flat"], est["dark_rate"], cal.exptime("science"))
    near = (x - guess["x0"]) ** 2 + (y - guess["y0"]) ** 2 <= 25.0
    w = np.clip(image[near] - np.median(image), 0.0, None)
    r2 = ((x - guess["x0"]) ** 2 + (y - guess["y0"]) ** 2)[near]
    guess["width"] = float(np.clip(np.sqrt(0.5 * (w @ r2) / w.sum()), 0.6, 4.5))
    for name in ("gain", "rn", "dark", "lamp", "sky", "F"):
        guess[name] = float(guess[name])
    return guess


def generative_estimates(cal, nwalkers=32, nsteps=400, seed=0):
    """Fit the inference model to a calibration set: MAP, then a short emcee run.

    The MAP search starts from :func:`initial_guess`; the walkers start from
    the Laplace approximation at the MAP (:func:`laplace_walkers`).

    Parameters
    ----------
    cal : CalibrationSet
    nwalkers, nsteps : int
    seed : int

    Returns
    -------
    pgmsim.SamplingResult

    Examples
    --------
    A small night (16x16 frames, two biases, a dark, two flats) for speed:

    >>> from pgmsim.models import ccd_frames
    >>> inputs = ccd_frames.default_inputs(nx=16, ny=16, n_bias=2, n_dark=1, n_flat=2)
    >>> truth = dict(ccd_frames.TRUTH, x0=7.6, y0=8.3)
    >>> cal = ccd_frames.simulate_calibration_set(truth, inputs, seed=2)
    >>> res = ccd_frames.generative_estimates(cal, nsteps=40)
    >>> res.chain.shape
    (40, 32, 11)
    """
    data = {"adu": cal.adu}
    post = _build_for(cal.inputs).posterior(data=data, inputs=cal.inputs)
    found = post.find_map(initial=initial_guess(cal.inputs, data), n_starts=0, seed=seed)
    rng = np.random.default_rng(seed)
    start = laplace_walkers(post, found.theta, nwalkers, seed=rng)
    return pg.sample(post, nwalkers=nwalkers, nsteps=nsteps, seed=rng, initial=start,
                     progress=False)


def compare_estimates(cal, result=None, nwalkers=32, nsteps=600, seed=0):
    """The classic recipe's and the generative model's estimates, side by side.

    Parameters
    ----------
    cal : CalibrationSet
    result : pgmsim.SamplingResult, optional
        A posterior sample of the inference model on ``cal``; by default one
        is made with :func:`generative_estimates`.
    nwalkers, nsteps, seed : int
        For :func:`generative_estimates`.

    Returns
    -------
    astropy.table.Table
        One row per quantity of :data:`CLASSIC_QUANTITIES`: ``truth`` (the
        parameters the mock was made with), ``classic`` and ``classic_err``,
        ``model`` and ``model_err`` (posterior mean and standard deviation).

    Examples
    --------
    >>> from pgmsim.models import ccd_frames
    >>> inputs = ccd_frames.default_inputs(nx=16, ny=16, n_bias=2, n_dark=1, n_flat=2)
    >>> truth = dict(ccd_frames.TRUTH, x0=7.6, y0=8.3)
    >>> cal = ccd_frames.simulate_calibration_set(truth, inputs, seed=2)
    >>> table = ccd_frames.compare_estimates(cal, nsteps=40)
    >>> table.colnames
    ['quantity', 'truth', 'classic', 'classic_err', 'model', 'model_err']
    """
    if result is None:
        result = generative_estimates(cal, nwalkers=nwalkers, nsteps=nsteps, seed=seed)
    classic = classic_estimates(cal)
    samples = result.flat_samples()
    index = {n: i for i, n in enumerate(result.param_names)}
    rows = [(q, cal.params.get(q, np.nan), classic[q].value, classic[q].error,
             samples[:, index[q]].mean(), samples[:, index[q]].std(ddof=1))
            for q in CLASSIC_QUANTITIES]
    table = Table(rows=rows, names=["quantity", "truth", "classic", "classic_err", "model",
                                    "model_err"])
    for col in table.colnames[1:]:
        table[col].format = ".5g"
    return table
