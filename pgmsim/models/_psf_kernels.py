"""The PSF kernel of :mod:`pgmsim.models.point_source_image` moved to the source
position: separable cubic B-spline interpolation of the kernel table, for all walkers
at once, and the exposure in the source's direction (re-exported by that module)."""

import numpy as np
from scipy import ndimage

__all__ = ["shifted_kernel"]


def _bspline3(t):
    """The cubic B-spline, non-zero on ``|t| < 2``."""
    a = np.abs(t)
    b = np.maximum(2.0 - a, 0.0)
    inner = (2.0 / 3.0) - a * a * (1.0 - 0.5 * a)
    return np.where(a < 1.0, inner, b * b * b * (1.0 / 6.0))


def _spline_weights(start, count, ntaps):
    """Cubic B-spline weights of the points ``start + i`` (``i < count``) on the
    taps ``0 .. ntaps - 1``: shape ``start.shape + (count, ntaps)``.

    The points are one tap apart, so they share the fractional part of
    ``start`` and each has the same four non-zero weights: only those are
    computed and scattered into place.
    """
    start = np.asarray(start, dtype=float)[..., None, None]
    first = np.floor(start)
    frac = start - first
    offsets = np.arange(-1, 3)
    weights = _bspline3(frac - offsets)                       # (..., 1, 4)
    taps = first.astype(np.intp) + np.arange(count)[:, None] + offsets   # (..., count, 4)
    taps = np.where((taps >= 0) & (taps < ntaps), taps, ntaps)  # outside: a dropped column
    out = np.zeros(start.shape[:-2] + (count, ntaps + 1))
    np.put_along_axis(out, taps, np.broadcast_to(weights, taps.shape), axis=-1)
    return out[..., :ntaps]


def _axes(lon, lat):
    """The map's distinct longitudes and latitudes (ascending), the index of
    each pixel in them, and the pixel size."""
    lons, col = np.unique(lon, return_inverse=True)
    lats, row = np.unique(lat, return_inverse=True)
    binsz = (lats[-1] - lats[0]) / (lats.size - 1)
    return lons, col, lats, row, binsz


def shifted_kernel(psf, lon0, lat0, lon, lat):
    """The PSF kernel shifted to the source position, at every pixel.

    The kernel, the image of a source at the map centre, is interpolated
    with cubic B-splines (the method of :func:`scipy.ndimage.map_coordinates`
    with ``order=3``) at the pixel positions shifted by the source's offset
    from the centre; beyond the table the kernel is zero. The shift is the
    same for every pixel, so the interpolation is separable: spline weights
    along the map's latitudes and longitudes turn the spline coefficients
    into the shifted image with two matrix products per walker, a batch of
    walkers at once. The sum over pixels is preserved: a source well inside
    the map keeps the kernel's total at any sub-pixel position.

    Parameters
    ----------
    psf : numpy.ndarray, shape (npix,)
        The kernel on the map's pixels.
    lon0, lat0 : float or numpy.ndarray of shape (nwalkers, 1)
        Source position, degrees.
    lon, lat : numpy.ndarray, shape (npix,)
        Pixel centres of a rectangular map of square pixels, degrees.

    Returns
    -------
    numpy.ndarray, shape (npix,) or (nwalkers, npix)
        Fraction of the source's photons expected in each pixel.

    Examples
    --------
    At the map centre the kernel is unchanged; a batch of two sources
    inside the map keeps its sum:

    >>> import numpy as np
    >>> from pgmsim.models import point_source_image
    >>> inputs = point_source_image.default_inputs()
    >>> psf, lon, lat = inputs["psf"], inputs["lon"], inputs["lat"]
    >>> bool(np.allclose(point_source_image.shifted_kernel(psf, 120.0, 1.0, lon, lat), psf))
    True
    >>> lon0, lat0 = np.array([[119.83], [120.12]]), np.array([[1.21], [0.93]])
    >>> kernel = point_source_image.shifted_kernel(psf, lon0, lat0, lon, lat)
    >>> kernel.shape, np.round(kernel.sum(axis=1), 3)
    ((2, 2500), array([1., 1.]))
    """
    lons, col, lats, row, binsz = _axes(lon, lat)
    pad = 3  # zeros around the table, so that the spline falls to zero
    table = np.zeros((lats.size, lons.size))
    table[row, col] = psf
    coef = ndimage.spline_filter(np.pad(table, pad), order=3)
    batch = np.shape(lon0)[:-1]  # () for one point, (nwalkers,) for a batch
    # offset of the source from the map centre, in pixels
    d_row = (np.reshape(lat0, -1) - (lats[0] + lats[-1]) / 2) / binsz
    d_col = (np.reshape(lon0, -1) - (lons[0] + lons[-1]) / 2) / binsz
    w_row = _spline_weights(pad - d_row, lats.size, coef.shape[0])
    w_col = _spline_weights(pad - d_col, lons.size, coef.shape[1])
    grid = w_row @ coef @ np.swapaxes(w_col, 1, 2)
    # the spline rings slightly below zero in the far wings: clip
    values = np.maximum(grid[:, row, col], 0.0)
    return values.reshape(batch + (-1,))


def _exposure_at(ex, lon, lat, lon0, lat0):
    """Exposure in the direction of the source: cubic spline of the exposure map."""
    lons, col, lats, row, binsz = _axes(lon, lat)
    image = np.zeros((lats.size, lons.size))
    image[row, col] = ex
    rows = (np.reshape(lat0, -1) - lats[0]) / binsz
    cols = (np.reshape(lon0, -1) - lons[0]) / binsz
    value = ndimage.map_coordinates(image, [rows, cols], order=3, mode="nearest")
    return value.reshape(np.shape(lon0))
