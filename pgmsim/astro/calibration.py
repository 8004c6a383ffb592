"""The classic CCD calibration recipe, as small array functions.

Frames are 2-D arrays ``[y, x]`` in ADU (analogue-to-digital units); a stack
of frames is a 3-D array ``[frame, y, x]``. The recipe:

1. :func:`master_bias` -- the median of the bias frames, pixel by pixel;
2. :func:`master_dark` -- the median of the bias-subtracted dark frames,
   divided by their exposure time: a dark-current rate map in ADU/s, scaled
   by the exposure time of the frame it corrects ("scaled master dark");
3. :func:`master_flat` -- the median of the bias- and dark-subtracted flat
   frames, each first normalised to mean 1, then normalised to mean 1;
4. :func:`photon_transfer_gain` -- the gain (e-/ADU) from a pair of flats and
   a pair of biases (photon transfer, Janesick 2007);
5. :func:`read_noise` -- the read noise from the difference of two biases;
6. :func:`calibrate` -- ``(raw - bias - dark * t) / flat``;
7. :func:`aperture_photometry` -- a star's flux: the sum in a circular
   aperture minus the mean sky of an annulus times the aperture area.

References
----------
Janesick, J. R. 2007, "Photon Transfer", SPIE Press, chapter 4.
Howell, S. B. 2006, "Handbook of CCD Astronomy", 2nd ed., chapters 4 and 5.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "master_bias",
    "master_dark",
    "master_flat",
    "Estimate",
    "photon_transfer_gain",
    "read_noise",
    "calibrate",
    "Photometry",
    "centroid",
    "aperture_photometry",
]


class Estimate(NamedTuple):
    """A value and its one-sigma error; unpacks as ``value, error``.

    Examples
    --------
    >>> value, error = Estimate(2.0, 0.1)
    >>> error / value
    0.05
    """

    value: float
    """The estimate."""
    error: float
    """Its standard error."""


def _stack(frames, name, at_least=1):
    arr = np.asarray(frames, dtype=float)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise ValueError(f"{name} must be a frame [y, x] or a stack [frame, y, x]; "
                         f"got an array of shape {arr.shape}")
    if arr.shape[0] < at_least:
        raise ValueError(f"{name} needs at least {at_least} frame(s), got {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _frame(image, name, shape=None):
    arr = np.asarray(image, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D frame [y, x]; got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, the frames have shape "
                         f"{tuple(shape)}")
    return arr


def _exptime(exptime, name):
    t = float(exptime)
    if not t > 0:
        raise ValueError(f"{name} must be a positive exposure time in seconds, got {exptime!r}")
    return t


def master_bias(frames):
    """The master bias: the pixel-by-pixel median of the bias frames.

    Parameters
    ----------
    frames : array_like, shape (nframe, ny, nx) or (ny, nx)
        Bias frames (zero-second exposures), ADU.

    Returns
    -------
    numpy.ndarray, shape (ny, nx)

    Raises
    ------
    ValueError
        If ``frames`` is not a frame or a stack of frames, or is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> master_bias(np.array([[[1.0]], [[5.0]], [[2.0]]]))
    array([[2.]])
    """
    return np.median(_stack(frames, "bias frames"), axis=0)


def master_dark(frames, bias, exptime):
    """The dark-current rate map: the median of the bias-subtracted darks per second.

    Multiply it by the exposure time of a frame to get that frame's dark
    signal (the "scaled master dark").

    Parameters
    ----------
    frames : array_like, shape (nframe, ny, nx) or (ny, nx)
        Dark frames (shutter closed), ADU, all of exposure time ``exptime``.
    bias : array_like, shape (ny, nx)
        Master bias, ADU.
    exptime : float
        Exposure time of the darks, seconds.

    Returns
    -------
    numpy.ndarray, shape (ny, nx)
        Dark-current rate, ADU/s.

    Raises
    ------
    ValueError
        Bad shapes, non-finite values, or a non-positive exposure time.

    Examples
    --------
    >>> import numpy as np
    >>> master_dark(np.full((3, 1, 1), 130.0), np.full((1, 1), 100.0), 300.0)
    array([[0.1]])
    """
    stack = _stack(frames, "dark frames")
    bias = _frame(bias, "master bias", stack.shape[1:])
    return np.median(stack - bias, axis=0) / _exptime(exptime, "dark exposure time")


def master_flat(frames, bias, dark_rate=None, exptime=None):
    """The normalised master flat: relative sensitivity of each pixel, mean 1.

    Each flat is bias- (and dark-) subtracted and divided by its mean, which
    removes lamp-level changes between exposures; the median of these is then
    divided by its mean.

    Parameters
    ----------
    frames : array_like, shape (nframe, ny, nx) or (ny, nx)
        Flat-field frames (uniformly illuminated), ADU.
    bias : array_like, shape (ny, nx)
        Master bias, ADU.
    dark_rate : array_like, shape (ny, nx), optional
        Dark-current rate map from :func:`master_dark`, ADU/s.
    exptime : float, optional
        Exposure time of the flats, seconds; needed with ``dark_rate``.

    Returns
    -------
    numpy.ndarray, shape (ny, nx)
        Mean 1.

    Raises
    ------
    ValueError
        Bad shapes, ``dark_rate`` without ``exptime``, or a flat whose
        bias-subtracted mean is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> flats = 100.0 + np.array([[[1000.0, 3000.0]], [[2000.0, 6000.0]]])
    >>> master_flat(flats, np.full((1, 2), 100.0))
    array([[0.5, 1.5]])
    """
    stack = _stack(frames, "flat frames")
    signal = stack - _frame(bias, "master bias", stack.shape[1:])
    if dark_rate is not None:
        if exptime is None:
            raise ValueError("master_flat: dark_rate needs the flats' exptime")
        rate = _frame(dark_rate, "dark rate map", stack.shape[1:])
        signal = signal - rate * _exptime(exptime, "flat exposure time")
    level = signal.mean(axis=(1, 2))
    if np.any(level <= 0):
        bad = int(np.flatnonzero(level <= 0)[0])
        raise ValueError(f"flat frame {bad} has a non-positive mean level "
                         f"{level[bad]:g} ADU after bias subtraction")
    flat = np.median(signal / level[:, None, None], axis=0)
    return flat / flat.mean()


def photon_transfer_gain(flats, biases):
    r"""The gain (e-/ADU) from a pair of flats and a pair of biases.

    With mean levels :math:`\bar F_1, \bar F_2, \bar B_1, \bar B_2` (ADU) and
    the variances of the frame differences over the pixels,

    .. math::

        g = \frac{(\bar F_1 + \bar F_2) - (\bar B_1 + \bar B_2)}
                 {\sigma^2_{F_1 - F_2} - \sigma^2_{B_1 - B_2}},

    since a flat's Poisson variance in ADU^2 is its signal in ADU over the
    gain. Differencing removes the fixed pattern (flat field, bias
    structure); subtracting the bias difference removes the read noise.

    Parameters
    ----------
    flats : array_like, shape (2, ny, nx)
        Two flats of (nearly) equal level, ADU.
    biases : array_like, shape (2, ny, nx)
        Two bias frames, ADU.

    Returns
    -------
    Estimate
        ``(gain, error)``; the error propagates the sampling error of the two
        variances, :math:`\mathrm{var}(s^2) = 2\sigma^4 / (n - 1)` for ``n``
        pixels.

    Raises
    ------
    ValueError
        Not two frames of each kind, shapes that differ, or flats no brighter
        (in variance) than the biases.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> biases = 1000 + rng.normal(0, 2.5, (2, 64, 64))
    >>> flats = 1000 + (rng.poisson(20000, (2, 64, 64)) + rng.normal(0, 5, (2, 64, 64))) / 2.0
    >>> g, err = photon_transfer_gain(flats, biases)
    >>> abs(g - 2.0) < 4 * err
    True
    """
    flats = _stack(flats, "flats for the photon transfer gain")
    biases = _stack(biases, "biases for the photon transfer gain")
    if flats.shape[0] != 2 or biases.shape[0] != 2 or flats.shape != biases.shape:
        raise ValueError("photon_transfer_gain needs two flats and two biases of one "
                         f"shape; got {flats.shape} and {biases.shape}")
    n = flats[0].size
    signal = flats[0].mean() + flats[1].mean() - biases[0].mean() - biases[1].mean()
    var_f = np.var(flats[0] - flats[1], ddof=1)
    var_b = np.var(biases[0] - biases[1], ddof=1)
    if not var_f > var_b or not signal > 0:
        raise ValueError(f"the flats (difference variance {var_f:g} ADU^2, signal "
                         f"{signal:g} ADU) are not brighter than the biases (difference "
                         f"variance {var_b:g} ADU^2): no photon transfer gain")
    gain = signal / (var_f - var_b)
    error = gain * np.sqrt(2.0 / (n - 1) * (var_f**2 + var_b**2)) / (var_f - var_b)
    return Estimate(float(gain), float(error))


def read_noise(biases, gain=1.0):
    r"""The read noise from the difference of two bias frames.

    :math:`\sigma_{\mathrm{RN}} = g\,\sigma_{B_1 - B_2} / \sqrt 2`: in ADU with
    ``gain=1``, in electrons with the gain in e-/ADU. The ADC's rounding
    (1/12 ADU^2) is included, as in the usual recipe.

    Parameters
    ----------
    biases : array_like, shape (2, ny, nx)
        Two bias frames, ADU.
    gain : float or Estimate
        Gain in e-/ADU; an :class:`Estimate` adds its error in quadrature.

    Returns
    -------
    Estimate
        ``(read_noise, error)``; the error is :math:`\sigma/\sqrt{2(n-1)}` for
        ``n`` pixels, with the gain's relative error added in quadrature.

    Raises
    ------
    ValueError
        Not two frames, or a non-positive gain.

    Examples
    --------
    >>> import numpy as np
    >>> biases = np.random.default_rng(2).normal(1000, 3.0, (2, 100, 100))
    >>> rn, err = read_noise(biases)
    >>> abs(rn - 3.0) < 4 * err
    True
    """
    biases = _stack(biases, "biases for the read noise")
    if biases.shape[0] != 2:
        raise ValueError(f"read_noise needs two bias frames, got {biases.shape[0]}")
    g, g_err = gain if isinstance(gain, tuple) else (float(gain), 0.0)
    if not g > 0:
        raise ValueError(f"read_noise: the gain must be positive, got {g!r}")
    n = biases[0].size
    sigma = g * np.std(biases[0] - biases[1], ddof=1) / np.sqrt(2.0)
    error = sigma * np.sqrt(1.0 / (2.0 * (n - 1)) + (g_err / g) ** 2)
    return Estimate(float(sigma), float(error))


def calibrate(raw, bias, flat, dark_rate=None, exptime=None):
    """A calibrated frame: ``(raw - bias - dark_rate * exptime) / flat``.

    Parameters
    ----------
    raw : array_like, shape (ny, nx)
        Raw frame, ADU.
    bias : array_like, shape (ny, nx)
        Master bias, ADU.
    flat : array_like, shape (ny, nx)
        Normalised master flat.
    dark_rate : array_like, shape (ny, nx), optional
        Dark-current rate map, ADU/s.
    exptime : float, optional
        Exposure time of ``raw``, seconds; needed with ``dark_rate``.

    Returns
    -------
    numpy.ndarray, shape (ny, nx)
        ADU, as if every pixel had the mean sensitivity.

    Raises
    ------
    ValueError
        Shapes that differ, or a flat with non-positive values.

    Examples
    --------
    >>> import numpy as np
    >>> calibrate(np.array([[300.0]]), np.array([[100.0]]), np.array([[0.5]]),
    ...           dark_rate=np.array([[1.0]]), exptime=50.0)
    array([[300.]])
    """
    raw = _frame(raw, "raw frame")
    bias = _frame(bias, "master bias", raw.shape)
    flat = _frame(flat, "master flat", raw.shape)
    if not np.all(flat > 0):
        raise ValueError(f"the master flat must be positive; minimum {flat.min():g}")
    signal = raw - bias
    if dark_rate is not None:
        if exptime is None:
            raise ValueError("calibrate: dark_rate needs the frame's exptime")
        signal = signal - _frame(dark_rate, "dark rate map", raw.shape) * float(exptime)
    return signal / flat


class Photometry(NamedTuple):
    """Result of :func:`aperture_photometry`, in the image's units.

    Examples
    --------
    >>> import numpy as np
    >>> phot = aperture_photometry(np.full((9, 9), 3.0), 4, 4, 1, (2, 4))
    >>> phot.sky, phot.npix
    (3.0, 5)
    """

    flux: float
    """Sky-subtracted sum in the aperture."""
    flux_err: float
    """Its standard error."""
    sky: float
    """Mean sky per pixel, from the annulus."""
    sky_err: float
    """Standard error of ``sky``."""
    npix: int
    """Number of pixels in the aperture."""


def centroid(image, x0, y0, radius):
    """Intensity-weighted centre of the pixels within ``radius`` of ``(x0, y0)``.

    The median of the box around the guess is subtracted first, so a flat sky
    does not pull the centre towards the middle of the box.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        Image ``[y, x]``.
    x0, y0 : float
        A first guess (column, row from 0).
    radius : float
        Radius of the circle used, pixels.

    Returns
    -------
    tuple of float
        ``(x, y)``.

    Examples
    --------
    >>> import numpy as np
    >>> y, x = np.mgrid[0:21, 0:21]
    >>> image = 5 + 100 * np.exp(-((x - 9.6)**2 + (y - 11.2)**2) / 4.0)
    >>> [round(c, 2) for c in centroid(image, 10, 10, 6)]
    [9.6, 11.2]
    """
    image = _frame(image, "image")
    y, x = np.indices(image.shape)
    inside = (x - x0) ** 2 + (y - y0) ** 2 <= radius**2
    if not inside.any():
        raise ValueError(f"no pixel within {radius} of ({x0}, {y0})")
    weight = np.clip(image[inside] - np.median(image[inside]), 0.0, None)
    total = weight.sum()
    if not total > 0:
        raise ValueError(f"no signal above the median within {radius} of ({x0}, {y0})")
    return float(weight @ x[inside] / total), float(weight @ y[inside] / total)


def aperture_photometry(image, x0, y0, radius, annulus, variance=None):
    """Sum within a circular aperture minus the mean sky of an annulus.

    Parameters
    ----------
    image : array_like, shape (ny, nx)
        Calibrated image ``[y, x]``.
    x0, y0 : float
        Centre of the aperture (column, row from 0).
    radius : float
        Aperture radius, pixels; a pixel is in it when its centre is.
    annulus : tuple of float
        Inner and outer radius of the sky annulus, pixels.
    variance : array_like, shape (ny, nx), optional
        Variance of each pixel; by default the error has only the sky term.

    Returns
    -------
    Photometry
        ``flux`` and ``flux_err`` combine the pixel variances in the aperture
        with the error of the sky level (the annulus's standard deviation over
        the square root of its pixel count) times the aperture area.

    Raises
    ------
    ValueError
        An aperture or annulus with no pixel in the image, or ``radius``
        larger than the inner radius of the annulus.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((21, 21), 10.0)
    >>> image[10, 10] += 500.0
    >>> phot = aperture_photometry(image, 10, 10, 3, (5, 8))
    >>> round(phot.flux, 6), phot.sky
    (500.0, 10.0)
    """
    image = _frame(image, "image")
    inner, outer = (float(a) for a in annulus)
    if not 0 < radius <= inner < outer:
        raise ValueError(f"need 0 < radius <= inner < outer radius; got radius={radius}, "
                         f"annulus={annulus}")
    y, x = np.indices(image.shape)
    r2 = (x - x0) ** 2 + (y - y0) ** 2
    aperture = r2 <= radius**2
    ring = (r2 >= inner**2) & (r2 <= outer**2)
    if aperture.sum() == 0 or ring.sum() < 2:
        raise ValueError(f"the aperture or annulus around ({x0}, {y0}) has too few pixels "
                         "in the image")
    npix = int(aperture.sum())
    sky_pixels = image[ring]
    sky = float(sky_pixels.mean())
    sky_err = float(sky_pixels.std(ddof=1) / np.sqrt(sky_pixels.size))
    flux = float(image[aperture].sum() - npix * sky)
    var = npix**2 * sky_err**2
    if variance is not None:
        var += float(np.sum(_frame(variance, "variance", image.shape)[aperture]))
    return Photometry(flux, float(np.sqrt(var)), sky, sky_err, npix)
