"""One-dimensional spectrum extraction from a two-dimensional spectrum.

Frames are 2-D arrays with **axis 0 the spatial direction (rows)** and
**axis 1 the dispersion direction (columns)**; each extraction returns one
flux value per column.  The data are assumed background-subtracted: the
caller subtracts the sky before extracting.

* :func:`box_extraction` -- sum within an aperture.
* :func:`optimal_extraction` -- the profile-weighted estimator of
  Horne (1986), which has the minimum variance among unbiased linear
  estimators when the spatial profile and pixel variances are known.

References
----------
Horne, K. 1986, PASP 98, 609, "An optimal extraction algorithm for CCD
spectroscopy".
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["ExtractedSpectrum", "box_extraction", "optimal_extraction"]


class ExtractedSpectrum(NamedTuple):
    """Extracted 1-D spectrum; unpacks as ``flux, flux_var``.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.astro.extraction import box_extraction
    >>> data = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> spectrum = box_extraction(data, np.ones_like(data))
    >>> spectrum.flux, spectrum.flux_var
    (array([ 9., 12.]), array([3., 3.]))
    >>> flux, flux_var = spectrum
    """

    flux: np.ndarray
    """Flux per dispersion column, shape (ncol,)."""
    flux_var: np.ndarray
    """Variance of ``flux``, shape (ncol,)."""


def _as_frame(values, name):
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D (spatial, dispersion) array; got shape "
            f"{arr.shape}"
        )
    return arr


def _as_mask(mask, shape, name):
    if mask is None:
        return np.ones(shape, dtype=bool)
    arr = np.asarray(mask)
    if arr.dtype != bool:
        raise ValueError(
            f"{name} must be a boolean array; got dtype {arr.dtype}"
        )
    try:
        return np.broadcast_to(arr, shape)
    except ValueError:
        raise ValueError(
            f"{name} with shape {arr.shape} cannot be broadcast to the frame "
            f"shape {shape}"
        ) from None


def _check_frames(data, variance):
    """Return data and variance as 2-D float arrays of the same shape."""
    data = _as_frame(data, "data")
    variance = _as_frame(variance, "variance")
    if variance.shape != data.shape:
        raise ValueError(
            f"variance shape {variance.shape} differs from data shape "
            f"{data.shape}"
        )
    return data, variance


def _check_values(data, variance, used, positive):
    """Check data and variance values in the pixels that are used."""
    if not np.isfinite(data[used]).all():
        raise ValueError("data must be finite in the extracted pixels")
    v = variance[used]
    if not np.isfinite(v).all():
        raise ValueError("variance must be finite in the extracted pixels")
    if positive and not (v > 0).all():
        raise ValueError(
            "variance must be strictly positive in unmasked pixels; minimum "
            f"is {v.min()!r}"
        )
    if not positive and not (v >= 0).all():
        raise ValueError(
            f"variance must be non-negative in the aperture; minimum is "
            f"{v.min()!r}"
        )


def box_extraction(data, variance, aperture=None):
    """Box (aperture-sum) extraction along the spatial axis.

    Parameters
    ----------
    data : array_like, shape (nrow, ncol)
        Background-subtracted frame; axis 0 spatial, axis 1 dispersion.
    variance : array_like, shape (nrow, ncol)
        Pixel variances of ``data``.
    aperture : array_like of bool, optional
        True for pixels inside the aperture; the frame shape or broadcastable
        to it (e.g. shape ``(nrow, 1)`` for a fixed range of rows).  Default:
        the whole column.

    Returns
    -------
    ExtractedSpectrum
        ``(flux, flux_var)``, each of shape (ncol,): the sums of ``data`` and
        of ``variance`` within the aperture.

    Raises
    ------
    ValueError
        If the arrays are not 2-D with matching shapes, ``aperture`` is not
        boolean or not broadcastable, or the aperture pixels contain
        non-finite data or non-finite / negative variances.

    Examples
    --------
    >>> data = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> flux, var = box_extraction(data, np.ones_like(data))
    >>> flux, var
    (array([ 9., 12.]), array([3., 3.]))
    >>> rows = np.array([[True], [True], [False]])  # first two rows
    >>> box_extraction(data, np.ones_like(data), aperture=rows).flux
    array([4., 6.])
    """
    data, variance = _check_frames(data, variance)
    aperture = _as_mask(aperture, data.shape, "aperture")
    _check_values(data, variance, aperture, positive=False)
    flux = np.where(aperture, data, 0.0).sum(axis=0)
    flux_var = np.where(aperture, variance, 0.0).sum(axis=0)
    return ExtractedSpectrum(flux, flux_var)


def optimal_extraction(data, variance, profile, mask=None):
    r"""Optimal (profile-weighted) extraction of Horne (1986).

    With the spatial profile :math:`P` normalised to unit sum in each column,
    pixel mask :math:`M` (1 = good), background-subtracted data :math:`D`
    and variance :math:`V`, the flux and its variance per column are
    (Horne 1986, Table 1, step 8)

    .. math::

        f = \frac{\sum_x M P D / V}{\sum_x M P^2 / V}, \qquad
        \mathrm{var}(f) = \frac{\sum_x M P}{\sum_x M P^2 / V}.

    Without masked pixels :math:`\sum_x P = 1` and the variance reduces to
    :math:`1 / \sum_x P^2 / V`.  ``f`` is unbiased for any profile
    proportional to the true one, and has minimum variance when
    ``variance`` is the true pixel variance (e.g. from the model, not the
    noisy data).

    Parameters
    ----------
    data : array_like, shape (nrow, ncol)
        Background-subtracted frame; axis 0 spatial, axis 1 dispersion.
    variance : array_like, shape (nrow, ncol)
        Pixel variances; must be finite and > 0 in unmasked pixels.
    profile : array_like, shape (nrow, ncol) or (nrow,)
        Non-negative spatial profile.  It is normalised here to unit sum
        along axis 0 for each column (over all rows, masked or not); a 1-D
        profile is used for every column.
    mask : array_like of bool, optional
        True for good pixels (Horne's :math:`M = 1`), e.g. False on cosmic
        rays or bad columns; the frame shape or broadcastable to it.
        Masked pixels may hold any value, including NaN.  Default: all good.

    Returns
    -------
    ExtractedSpectrum
        ``(flux, flux_var)``, each of shape (ncol,).  Columns in which no
        good pixel has non-zero profile get ``flux = nan`` and
        ``flux_var = inf``.

    Raises
    ------
    ValueError
        If the arrays are not 2-D with matching shapes, ``profile`` has a
        negative or non-finite value or a column summing to zero, ``mask``
        is not boolean or not broadcastable, or unmasked pixels hold
        non-finite data or non-positive variances.

    Examples
    --------
    >>> profile = np.array([0.25, 0.5, 0.25])
    >>> data = 8.0 * profile[:, None] * np.ones((3, 2))
    >>> flux, var = optimal_extraction(data, np.ones((3, 2)), profile)
    >>> flux, var
    (array([8., 8.]), array([2.66666667, 2.66666667]))
    """
    data, variance = _check_frames(data, variance)
    prof = np.asarray(profile, dtype=float)
    if prof.ndim == 1:
        if prof.shape[0] != data.shape[0]:
            raise ValueError(
                f"1-D profile length {prof.shape[0]} differs from the number "
                f"of rows {data.shape[0]}"
            )
        prof = prof[:, None]
    elif prof.shape != data.shape:
        raise ValueError(
            f"profile shape {prof.shape} differs from data shape {data.shape}"
        )
    if not np.isfinite(prof).all():
        raise ValueError("profile must be finite")
    if (prof < 0).any():
        raise ValueError(
            f"profile must be non-negative; minimum value is {prof.min()!r}"
        )
    norm = prof.sum(axis=0)
    if (norm == 0).any():
        bad = np.flatnonzero(np.broadcast_to(norm, data.shape[1:]) == 0)
        raise ValueError(
            f"profile sums to zero in column(s) {bad[:10].tolist()}"
            + (" ..." if bad.size > 10 else "")
        )
    prof = np.broadcast_to(prof / norm, data.shape)

    good = _as_mask(mask, data.shape, "mask")
    _check_values(data, variance, good, positive=True)
    # Zero the weights of masked pixels; replace their values by harmless ones.
    mp = np.where(good, prof, 0.0)
    inv_var = np.where(good, 1.0 / np.where(good, variance, 1.0), 0.0)
    d = np.where(good, data, 0.0)

    denom = np.sum(mp * mp * inv_var, axis=0)
    ok = denom > 0
    safe = np.where(ok, denom, 1.0)
    flux = np.where(ok, np.sum(mp * d * inv_var, axis=0) / safe, np.nan)
    flux_var = np.where(ok, mp.sum(axis=0) / safe, np.inf)
    return ExtractedSpectrum(flux, flux_var)
