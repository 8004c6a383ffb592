"""The frames of a CCD calibration set and the classic recipe, for
:mod:`pgmsim.models.ccd_frames` (which re-exports these names): the kind of each
frame, a simulated set of frames, the classic estimates (master frames, photon
transfer, aperture photometry) and walkers from the Laplace approximation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgmsim.astro import calibration
from pgmsim.astro.imagestats import hessian

__all__ = ["frame_kinds", "CalibrationSet", "classic_estimates", "laplace_walkers",
           "CLASSIC_QUANTITIES"]

#: the quantities that both the classic recipe and the model estimate
CLASSIC_QUANTITIES = ("bias", "gain", "rn", "dark", "lamp", "F")


def _shape(inputs):
    return int(np.max(inputs["y"])) + 1, int(np.max(inputs["x"])) + 1


def _cube(values, inputs):
    ny, nx = _shape(inputs)
    values = np.asarray(values)
    if values.size % (ny * nx):
        raise ValueError(f"a vector on plate 'pixels' holds whole {ny}x{nx} frames; got "
                         f"{values.size} values, not a multiple of {ny * nx}")
    return values.reshape(-1, ny, nx)


def frame_kinds(inputs):
    """The kind of each frame: ``"bias"``, ``"dark"``, ``"flat"`` or ``"science"``.

    Parameters
    ----------
    inputs : dict
        ``t``, ``lamp_on``, ``sky_on``, ``x`` and ``y``, as from
        :func:`default_inputs`.

    Returns
    -------
    numpy.ndarray of str, shape (nframe,)

    Raises
    ------
    ValueError
        Exposure time or light that changes within a frame, a frame with both
        the lamp and the sky, or a bias (zero time) with light.

    Examples
    --------
    >>> from pgmsim.models import ccd_frames
    >>> ccd_frames.frame_kinds(ccd_frames.default_inputs(n_bias=2, n_dark=1, n_flat=2))
    array(['bias', 'bias', 'dark', 'flat', 'flat', 'science'], dtype='<U7')
    """
    t, lamp, sky = (_cube(np.asarray(inputs[k], float), inputs)
                    for k in ("t", "lamp_on", "sky_on"))
    for name, cube in (("t", t), ("lamp_on", lamp), ("sky_on", sky)):
        if np.any(cube != cube[:, :1, :1]):
            raise ValueError(f"ccd_frames: input {name!r} must be constant within each frame")
    t, lamp, sky = t[:, 0, 0], lamp[:, 0, 0], sky[:, 0, 0]
    if np.any((lamp > 0) & (sky > 0)):
        raise ValueError("ccd_frames: a frame cannot see both the lamp and the sky "
                         f"(frames {np.flatnonzero((lamp > 0) & (sky > 0)).tolist()})")
    if np.any((t == 0) & ((lamp > 0) | (sky > 0))):
        raise ValueError("ccd_frames: a zero-second frame (bias) cannot see light")
    kinds = np.full(t.size, "dark", dtype="<U7")
    kinds[t == 0] = "bias"
    kinds[lamp > 0] = "flat"
    kinds[sky > 0] = "science"
    return kinds


@dataclass
class CalibrationSet:
    """A simulated set of frames.

    Attributes
    ----------
    adu : numpy.ndarray, shape (nframe * ny * nx,)
        Read values on plate ``pixels``, integer ADU: the data ``{"adu": ...}``
        of :meth:`pgmsim.Model.posterior`.
    electrons : numpy.ndarray, shape (nframe * ny * nx,)
        The electrons collected (latent in the model).
    inputs : dict
        The fixed inputs.
    params : dict
        The parameter values used.

    Examples
    --------
    >>> from pgmsim.models import ccd_frames
    >>> cal = ccd_frames.simulate_calibration_set(seed=1)
    >>> cal.cube.shape, str(cal.kinds[-1]), cal.exptime("science")
    ((14, 32, 32), 'science', 120.0)
    """

    adu: np.ndarray
    electrons: np.ndarray
    inputs: dict
    params: dict

    @property
    def cube(self):
        """All frames, shape ``(nframe, ny, nx)``."""
        return _cube(self.adu, self.inputs)

    @property
    def kinds(self):
        """Kind of each frame (see :func:`frame_kinds`)."""
        return frame_kinds(self.inputs)

    def frames(self, kind):
        """The frames of one kind.

        Parameters
        ----------
        kind : {"bias", "dark", "flat", "science"}

        Returns
        -------
        numpy.ndarray, shape (n, ny, nx)

        Raises
        ------
        ValueError
            If ``kind`` is not one of bias, dark, flat, science.

        Examples
        --------
        >>> from pgmsim.models import ccd_frames
        >>> ccd_frames.simulate_calibration_set(seed=1).frames("bias").shape
        (5, 32, 32)
        """
        if kind not in ("bias", "dark", "flat", "science"):
            raise ValueError(f"kind must be 'bias', 'dark', 'flat' or 'science', got {kind!r}")
        return self.cube[self.kinds == kind]

    def exptime(self, kind):
        """Exposure time of the frames of one kind (the first one's).

        Parameters
        ----------
        kind : {"bias", "dark", "flat", "science"}

        Returns
        -------
        float
            Seconds.

        Examples
        --------
        >>> from pgmsim.models import ccd_frames
        >>> ccd_frames.simulate_calibration_set(seed=1).exptime("flat")
        10.0
        """
        return float(_cube(self.inputs["t"], self.inputs)[self.kinds == kind][0, 0, 0])


def classic_estimates(cal, aperture=6.0, annulus=(8.0, 12.0)):
    """The classic recipe on a calibration set.

    Master bias (median), dark rate map (median of bias-subtracted darks per
    second), normalised master flat; gain by photon transfer on the first two
    flats and biases; read noise from the first two biases; the science frame
    calibrated with the master bias, the scaled master dark and the master
    flat; the star centred by its centroid and measured by aperture
    photometry.

    Parameters
    ----------
    cal : CalibrationSet
    aperture : float
        Aperture radius, pixels.
    annulus : tuple of float
        Sky annulus, pixels.

    Returns
    -------
    dict
        Quantity name (as the model's parameter) to
        :class:`pgmsim.astro.calibration.Estimate`, for :data:`CLASSIC_QUANTITIES`
        and ``x0``, ``y0`` (the centroid, error NaN), ``sky``, with the master
        frames under ``"master_bias"``, ``"dark_rate"`` (ADU/s) and
        ``"master_flat"``.

    Examples
    --------
    >>> from pgmsim.models import ccd_frames
    >>> est = ccd_frames.classic_estimates(ccd_frames.simulate_calibration_set(seed=1))
    >>> g, err = est["gain"]
    >>> abs(g - ccd_frames.TRUTH["gain"]) < 4 * err
    True
    """
    biases, darks = cal.frames("bias"), cal.frames("dark")
    flats, science = cal.frames("flat"), cal.frames("science")
    t_dark, t_flat, t_sci = (cal.exptime(k) for k in ("dark", "flat", "science"))
    npix = biases[0].size
    bias_map = calibration.master_bias(biases)
    dark_map = calibration.master_dark(darks, bias_map, t_dark)
    flat_map = calibration.master_flat(flats, bias_map, dark_map, t_flat)
    gain = calibration.photon_transfer_gain(flats[:2], biases[:2])
    g, g_rel = gain.value, gain.error / gain.value
    rn = calibration.read_noise(biases[:2], gain)
    estimate = calibration.Estimate
    bias = estimate(float(bias_map.mean()), float(bias_map.std(ddof=1) / np.sqrt(npix)))
    d_adu, d_adu_err = dark_map.mean(), dark_map.std(ddof=1) / np.sqrt(npix)
    dark = estimate(float(g * d_adu), float(g * d_adu * np.hypot(d_adu_err / d_adu, g_rel)))
    level = (flats - bias_map).mean(axis=(1, 2)) / t_flat - d_adu   # ADU/s, one per flat
    level_rel = level.std(ddof=1) / np.sqrt(level.size) / level.mean()
    lamp = estimate(float(g * level.mean()), float(g * level.mean() * np.hypot(level_rel, g_rel)))
    image = calibration.calibrate(science[0], bias_map, flat_map, dark_map, t_sci)
    peak_y, peak_x = np.unravel_index(np.argmax(image), image.shape)
    x0, y0 = calibration.centroid(image, peak_x, peak_y, aperture)
    x0, y0 = calibration.centroid(image, x0, y0, aperture)
    # CCD equation for each pixel's variance, ADU^2 (Poisson, read noise, rounding)
    variance = (np.clip(science[0] - bias_map, 0.0, None) / g + (rn.value / g) ** 2
                + 1.0 / 12.0) / flat_map**2
    phot = calibration.aperture_photometry(image, x0, y0, aperture, annulus, variance)
    flux = g * phot.flux / t_sci
    flux_err = flux * np.hypot(phot.flux_err / phot.flux, g_rel)
    sky = g * phot.sky / t_sci
    sky_err = sky * np.hypot(phot.sky_err / phot.sky, g_rel)
    return {
        "bias": bias, "gain": gain, "rn": rn, "dark": dark, "lamp": lamp,
        "F": estimate(float(flux), float(flux_err)),
        "sky": estimate(float(sky), float(sky_err)),
        "x0": estimate(x0, float("nan")), "y0": estimate(y0, float("nan")),
        "master_bias": bias_map, "dark_rate": dark_map, "master_flat": flat_map,
    }


def laplace_walkers(post, theta, nwalkers, seed=None):
    """Walkers drawn from the Laplace approximation of a posterior at its mode.

    The Gaussian with the inverse of the negative Hessian of the log-posterior
    at ``theta`` as covariance: walkers start in equilibrium, with no burn-in
    to contract from the prior-scaled ball of :func:`pgmsim.sample`. Where the
    data constrain a parameter to a tiny fraction of its prior range (the
    bias level here, to 1e-5 of it), that ball is far too wide.

    Parameters
    ----------
    post : pgmsim.Posterior
    theta : array_like, shape (ndim,)
        The mode (e.g. ``post.find_map(...).theta``).
    nwalkers : int
    seed : int or numpy.random.Generator, optional

    Returns
    -------
    numpy.ndarray, shape (nwalkers, ndim)

    Raises
    ------
    ValueError
        If the Hessian is not negative definite at ``theta`` (not a mode, or
        a mode on the edge of the prior).

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("mean")
    >>> _ = m.param("a", pg.Uniform(-100, 100))
    >>> _ = m.data("z", pg.Normal("a", 1.0), plate="obs")
    >>> post = m.posterior(data={"z": [0.5, 1.5, 1.0, 1.0]})
    >>> walkers = laplace_walkers(post, [1.0], 2000, seed=1)
    >>> round(float(walkers.std()), 1)   # the posterior's: 1 / sqrt(4)
    0.5
    """
    theta = np.asarray(theta, float)
    rng = np.random.default_rng(seed)
    curvature = -hessian(post.log_prob, theta)
    try:
        chol = np.linalg.cholesky(np.linalg.inv(0.5 * (curvature + curvature.T)))
    except np.linalg.LinAlgError:
        raise ValueError("the log-posterior is not concave at the given point: no "
                         f"Laplace approximation at {post.unpack(theta)}") from None
    walkers = theta + rng.standard_normal((nwalkers, theta.size)) @ chol.T
    for _ in range(100):
        bad = ~np.isfinite(post.log_prob(walkers))
        if not bad.any():
            return walkers
        walkers[bad] = theta + rng.standard_normal((bad.sum(), theta.size)) @ chol.T
    raise ValueError("could not place the walkers: the Laplace approximation at "
                     f"{post.unpack(theta)} reaches outside the prior")
