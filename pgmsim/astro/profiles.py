"""Radial profiles of images and plate vectors, and the data-versus-model profile plot.

A radial profile averages pixel values in annuli around a centre: for a counts
image, the counts per pixel in each annulus, with the Poisson error
``sqrt(N) / npix``. It is the classic way to compare an extended source, such as
a galaxy cluster, with a model: :func:`plot_radial_profile` draws the data
with error bars against the posterior median and credible band of the model's
expected counts, on log-log axes.

The values may be an image (``[y, x]``) or plate vectors with their pixel
coordinates ``x`` (column) and ``y`` (row), so masked pixels simply do not
count; a batch of model draws ``(n, K)`` gives ``n`` profiles at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["RadialProfile", "log_bins", "radial_profile", "plot_radial_profile"]


@dataclass(frozen=True, eq=False)
class RadialProfile:
    """Sums of pixel values in annuli.

    Attributes
    ----------
    edges : numpy.ndarray, shape (nbins + 1,)
        Annulus radii, pixels; annulus ``i`` holds ``edges[i] <= r < edges[i+1]``.
    radius : numpy.ndarray, shape (nbins,)
        Mean distance of the annulus' pixels to the centre (NaN if empty).
    npix : numpy.ndarray of int, shape (nbins,)
        Number of pixels in each annulus.
    total : numpy.ndarray, shape (..., nbins)
        Sum of the values in each annulus; one row per draw for a batch.
    exposure : numpy.ndarray or None, shape (nbins,)
        Summed exposure of each annulus (seconds), when an exposure was given.

    Examples
    --------
    A flat image of 4 counts per pixel and 2 s of exposure per pixel: the
    central pixel, then the 8 pixels around it.

    >>> import numpy as np
    >>> from pgmsim.astro.profiles import radial_profile
    >>> p = radial_profile(np.full((5, 5), 4.0), center=(2, 2), bins=[0, 1, 2],
    ...                    exposure=np.full((5, 5), 2.0))
    >>> p.npix, p.total, p.exposure
    (array([1, 8]), array([ 4., 32.]), array([ 2., 16.]))
    >>> p.mean, p.error, p.rate
    (array([4., 4.]), array([2.        , 0.70710678]), array([2., 2.]))
    """

    edges: np.ndarray
    radius: np.ndarray
    npix: np.ndarray
    total: np.ndarray
    exposure: np.ndarray | None = None

    @property
    def mean(self):
        """Mean value per pixel in each annulus (counts per pixel); NaN if empty."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.total / np.where(self.npix > 0, self.npix, np.nan)

    @property
    def error(self):
        """Poisson error of :attr:`mean` for counts, ``sqrt(total) / npix``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sqrt(np.maximum(self.total, 0)) / np.where(self.npix > 0, self.npix,
                                                                  np.nan)

    @property
    def rate(self):
        """Count rate per pixel, ``total / exposure`` (counts/s/pixel); needs the exposure."""
        if self.exposure is None:
            raise ValueError("this profile was computed without an exposure; pass "
                             "exposure=... to radial_profile")
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.total / np.where(self.exposure > 0, self.exposure, np.nan)


def log_bins(rmax, nbins=20, rmin=1.0):
    """Annulus edges: a central disc of radius ``rmin``, then log-spaced to ``rmax``.

    Parameters
    ----------
    rmax : float
        Outer radius, pixels.
    nbins : int
        Number of annuli (at least 2).
    rmin : float
        Radius of the central disc.

    Returns
    -------
    numpy.ndarray, shape (nbins + 1,)
        ``[0, rmin, ..., rmax]``.

    Examples
    --------
    >>> from pgmsim.astro.profiles import log_bins
    >>> log_bins(100, nbins=3)
    array([  0.,   1.,  10., 100.])
    """
    if isinstance(nbins, bool) or int(nbins) != nbins or nbins < 2:
        raise ValueError(f"nbins must be an integer >= 2, got {nbins!r}")
    if not 0 < rmin < rmax:
        raise ValueError(f"need 0 < rmin < rmax, got rmin={rmin}, rmax={rmax}")
    return np.concatenate([[0.0], np.geomspace(rmin, rmax, int(nbins))])


def radial_profile(values, x=None, y=None, center=(0.0, 0.0), bins=20, exposure=None):
    """Sum pixel values in annuli around a centre.

    Vectorised: one ``numpy.bincount`` over all pixels (and all draws).

    Parameters
    ----------
    values : array_like
        An image ``(ny, nx)`` (then ``x`` and ``y`` may be omitted), plate
        values ``(K,)`` with their coordinates ``x``, ``y``, or a batch of
        plate values ``(n, K)`` (e.g. posterior draws of the expected counts).
        NaN pixels of an image are skipped.
    x, y : array_like, shape (K,), optional
        Column and row of each value, from 0; the image grid by default.
    center : tuple of float
        ``(x, y)`` of the centre, pixels.
    bins : int or array_like
        Number of annuli (edges from :func:`log_bins`, out to the farthest
        pixel) or the increasing annulus edges. Pixels outside the edges are
        ignored.
    exposure : array_like, optional
        Exposure of each pixel (same layout as one row of ``values``); its
        sum per annulus is stored to turn counts into rates.

    Returns
    -------
    RadialProfile

    Raises
    ------
    ValueError
        If the shapes disagree or the edges are not increasing.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.astro.profiles import radial_profile
    >>> image = np.ones((5, 5))
    >>> p = radial_profile(image, center=(2, 2), bins=[0, 1, 2])
    >>> p.npix, p.total, p.mean
    (array([1, 8]), array([1., 8.]), array([1., 1.]))
    """
    values = np.asarray(values, dtype=float)
    if x is None and y is None:
        if values.ndim != 2:
            raise ValueError(f"without x and y, values must be a 2-D image; got shape "
                             f"{values.shape}")
        yy, xx = np.indices(values.shape)
        x, y, values = xx.ravel(), yy.ravel(), values.ravel()
        if exposure is not None:
            exposure = np.asarray(exposure, dtype=float).ravel()
        finite = np.isfinite(values)
        if not finite.all():
            x, y, values = x[finite], y[finite], values[finite]
            exposure = None if exposure is None else exposure[finite]
    elif x is None or y is None:
        raise ValueError("give both x and y, or neither (for an image)")
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or values.shape[-1:] != x.shape or values.ndim > 2:
        raise ValueError(f"values must have shape (K,) or (n, K) with x and y of shape (K,); "
                         f"got values {values.shape}, x {x.shape}, y {y.shape}")
    cx, cy = (float(c) for c in center)
    r = np.hypot(x - cx, y - cy)
    if np.ndim(bins) == 0:
        edges = log_bins(max(r.max(), 1.0) * (1 + 1e-9) + 1e-9, bins)
    else:
        edges = np.asarray(bins, dtype=float)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bins must be an integer or increasing edges; got {bins!r}")
    nbins = edges.size - 1
    which = np.searchsorted(edges, r, side="right") - 1
    inside = (which >= 0) & (which < nbins)
    which = which[inside]
    npix = np.bincount(which, minlength=nbins)
    with np.errstate(divide="ignore", invalid="ignore"):
        radius = np.bincount(which, weights=r[inside], minlength=nbins) / npix
    rows = values[..., inside].reshape(-1, which.size)
    offset = (np.arange(rows.shape[0]) * nbins)[:, None]
    total = np.bincount((which + offset).ravel(), weights=rows.ravel(),
                        minlength=rows.shape[0] * nbins).reshape(rows.shape[0], nbins)
    total = total[0] if values.ndim == 1 else total
    summed_exposure = None
    if exposure is not None:
        exposure = np.asarray(exposure, dtype=float)
        if exposure.shape != x.shape:
            raise ValueError(f"exposure must have shape {x.shape}, got {exposure.shape}")
        summed_exposure = np.bincount(which, weights=exposure[inside], minlength=nbins)
    return RadialProfile(edges=edges, radius=radius, npix=npix, total=total,
                         exposure=summed_exposure)


def plot_radial_profile(data, model=None, components=None, band=(2.5, 97.5),
                        title=None, ylabel="counts per pixel"):
    """Data and model in a radial profile, log-log, with residuals below.

    Parameters
    ----------
    data : RadialProfile
        Profile of the observed counts; drawn as points with error bars
        ``sqrt(N) / npix`` at the mean pixel radius of each annulus.
    model : RadialProfile, optional
        Profile of model draws (``total`` of shape ``(n, nbins)``, e.g. the
        expected counts ``mu`` at posterior draws) or of one model. The median
        is drawn as a line and the ``band`` percentiles as a shaded band.
        The lower panel shows ``(data - median) / sqrt(median)`` per annulus,
        in Poisson standard deviations.
    components : dict, optional
        Label to :class:`RadialProfile` of parts of the model (e.g. the
        background); the median of each is drawn as a dashed line. The
        vertical axis follows the data and the model, and cuts off parts of
        the components that fall far below both.
    band : tuple of float
        Percentiles of the credible band.
    title : str, optional
    ylabel : str

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the model's annuli differ from the data's.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.astro.profiles import radial_profile, plot_radial_profile
    >>> rng = np.random.default_rng(1)
    >>> mu = 50.0 / (1 + np.hypot(*np.indices((40, 40)) - 20.0) ** 2 / 9) + 0.5
    >>> counts = rng.poisson(mu)
    >>> fig = plot_radial_profile(radial_profile(counts, center=(20, 20), bins=8),
    ...                           radial_profile(mu, center=(20, 20), bins=8))
    >>> len(fig.axes)
    2
    """
    from matplotlib.figure import Figure  # matplotlib loads only for a figure

    show = data.npix > 0
    if model is None:
        fig = Figure(figsize=(6, 4.5), layout="constrained")
        ax = fig.subplots()
        res_ax = None
    else:
        if model.edges.shape != data.edges.shape or not np.allclose(model.edges, data.edges):
            raise ValueError("the model profile must use the same annuli as the data "
                             f"({data.edges.size - 1} annuli; got {model.edges.size - 1})")
        fig = Figure(figsize=(6, 6), layout="constrained")
        ax, res_ax = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    r = data.radius
    mean, error = data.mean, data.error
    ax.errorbar(r[show], mean[show], yerr=error[show], fmt="o", ms=3, color="k",
                label="data", zorder=3)
    if model is not None:
        means = np.atleast_2d(model.mean)
        median = np.median(means, axis=0)
        lo, hi = np.percentile(means, band, axis=0)
        ax.plot(r[show], median[show], color="C0", label="model (posterior median)")
        if means.shape[0] > 1:
            ax.fill_between(r[show], lo[show], hi[show], color="C0", alpha=0.3, lw=0,
                            label=f"{band[1] - band[0]:g}% credible band")
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = median * data.npix
            chi = (data.total - expected) / np.sqrt(expected)
        res_ax.axhline(0, color="C0")
        res_ax.plot(r[show], chi[show], "o", ms=3, color="k")
        res_ax.set_ylabel(r"(data $-$ model) / $\sigma$")
        res_ax.set_xlabel("radius [pixel]")
        res_ax.set_xscale("log")
    # the vertical range follows the data and the model; components that fall
    # far below both (a core component at large radii) are cut off
    shown = [mean[show & (mean > 0)]]
    if model is not None:
        shown.append(median[show & (median > 0)])
    low = min(v.min() for v in shown if v.size) if any(v.size for v in shown) else None
    for i, (label, profile) in enumerate((components or {}).items()):
        part = np.median(np.atleast_2d(profile.mean), axis=0)
        ax.plot(r[show], part[show], ls="--", color=f"C{i + 1}", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    if low is not None:
        ax.set_ylim(bottom=0.3 * low)
    ax.set_ylabel(ylabel)
    if res_ax is None:
        ax.set_xlabel("radius [pixel]")
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return fig
