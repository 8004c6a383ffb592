"""Image-fitting statistics for counting-limited (X-ray / gamma-ray) maps.

This module collects the standard Poisson statistics used when fitting
models to binned photon-count images and when searching on/off count maps
for sources:

* :func:`cash` and :func:`cstat` -- Poisson fit statistics (-2 ln L).
* :func:`excess` and :func:`li_ma_significance` -- on/off source detection
  following Li & Ma (1983).
* :func:`disk_kernel` and :func:`significance_maps` -- top-hat correlated
  excess and significance maps.
* :func:`hessian`, :func:`ml_covariance` and :func:`fit_ml` -- maximum
  likelihood fits with a covariance matrix from the observed Fisher
  information.

References
----------
Cash, W. 1979, ApJ 228, 939.
Li, T.-P. & Ma, Y.-Q. 1983, ApJ 272, 317.
Arnaud, K. et al., XSPEC manual, "Appendix B: Statistics in XSPEC".
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import linalg, ndimage, optimize
from scipy.special import xlogy

from ..distributions import Poisson
from ..distributions.discrete import poisson_log_kernel

__all__ = [
    "cash",
    "cstat",
    "excess",
    "li_ma_significance",
    "disk_kernel",
    "SignificanceMaps",
    "significance_maps",
    "hessian",
    "ml_covariance",
    "MLFit",
    "fit_ml",
]


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------
def _as_counts(values, name):
    """Return ``values`` as a float array after checking they are counts."""
    arr = np.asarray(values, dtype=float)
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN values")
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative; minimum value is {arr.min()!r}")
    return arr


def _as_alpha(alpha):
    arr = np.asarray(alpha, dtype=float)
    if not (np.isfinite(arr).all() and (arr > 0).all()):
        raise ValueError(f"alpha must be finite and strictly positive; got {alpha!r}")
    return arr


#: the sampling distribution whose density the fit statistics are
_POISSON = Poisson("mu")


def _scalar_or_array(value):
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value


def _poisson_statistic(counts, model, terms):
    """``sum(terms(n, mu))`` over the last axis of validated, broadcast counts
    and model; ``inf`` where a model value is negative."""
    n = _as_counts(counts, "counts")
    mu = np.asarray(model, dtype=float)
    if np.isnan(mu).any():
        raise ValueError("model contains NaN values")
    try:
        n, mu = np.atleast_1d(*np.broadcast_arrays(n, mu))
    except ValueError:
        raise ValueError(f"counts with shape {np.shape(counts)} and model with shape "
                         f"{np.shape(model)} cannot be broadcast together") from None
    bad = (mu < 0).any(axis=-1)
    with np.errstate(divide="ignore"):
        stat = np.sum(terms(n, np.where(mu < 0, 1.0, mu)), axis=-1)
    return _scalar_or_array(np.where(bad, np.inf, stat))


# --------------------------------------------------------------------------
# Poisson fit statistics
# --------------------------------------------------------------------------
def cash(counts, model):
    r"""Cash (1979) statistic, :math:`C = 2\sum_i (\mu_i - n_i \ln \mu_i)`.

    This is :math:`-2\ln L` for Poisson data up to the data-only term
    :math:`2\sum_i \ln n_i!`, so differences in ``C`` between models are
    likelihood-ratio statistics.  The convention :math:`0 \ln 0 = 0` is used,
    so bins with ``counts == 0`` and ``model == 0`` contribute nothing.

    Parameters
    ----------
    counts : array_like
        Observed counts ``n_i`` (non-negative, need not be integers).
    model : array_like
        Expected counts ``mu_i``; broadcast against ``counts``.  A batch of
        models with shape ``(nbatch, npix)`` against counts of shape
        ``(npix,)`` gives ``nbatch`` statistics.

    Returns
    -------
    float or ndarray
        The statistic summed over the last (pixel) axis.  ``inf`` wherever a
        model has a negative value, or a zero value in a bin with counts.

    Raises
    ------
    ValueError
        If ``counts`` contains NaN or negative values, ``model`` contains NaN
        values, or the shapes cannot be broadcast.

    Examples
    --------
    >>> cash([0, 1, 2], [1.0, 1.0, 1.0])
    6.0
    >>> cash([1, 2], [[1.0, 2.0], [2.0, 2.0]]).shape
    (2,)
    """
    return _poisson_statistic(counts, model,
                              lambda n, mu: -2.0 * poisson_log_kernel(n, mu))


def cstat(counts, model):
    r"""XSPEC "C-stat", :math:`2\sum_i [\mu_i - n_i + n_i \ln(n_i/\mu_i)]`.

    This is the Cash statistic offset by a data-only term, i.e. the Poisson
    deviance (:meth:`pgmsim.Poisson.deviance`: -2 ln of the likelihood ratio
    against the saturated model ``mu = counts``).  It is non-negative, zero only when ``model == counts``,
    and for a correct model with large expected counts it is approximately
    chi-square distributed with (number of bins) degrees of freedom.

    Parameters
    ----------
    counts : array_like
        Observed counts (non-negative).
    model : array_like
        Expected counts; broadcast against ``counts``.

    Returns
    -------
    float or ndarray
        The statistic summed over the last axis; ``inf`` where a model is
        negative, or zero in a bin with counts.

    Raises
    ------
    ValueError
        As :func:`cash`.

    Examples
    --------
    >>> cstat([3, 5], [3.0, 5.0])
    0.0
    >>> round(cstat([2], [1.0]), 6)  # 2 * (1 - 2 + 2 ln 2)
    0.772589
    """
    return _poisson_statistic(counts, model,
                              lambda n, mu: _POISSON.deviance(n, params=(mu,)))


# --------------------------------------------------------------------------
# On/off significance (Li & Ma 1983)
# --------------------------------------------------------------------------
def excess(n_on, n_off, alpha):
    r"""Excess counts :math:`N_s = N_{on} - \alpha N_{off}` (Li & Ma eq. 1).

    Parameters
    ----------
    n_on, n_off : array_like
        Counts in the on (source) and off (background) regions.
    alpha : float or array_like
        Exposure ratio ``t_on / t_off`` (on/off acceptance ratio), > 0.

    Returns
    -------
    float or ndarray
        The excess, broadcast over the inputs.

    Raises
    ------
    ValueError
        If the counts are NaN or negative, or ``alpha`` is not positive.

    Examples
    --------
    >>> excess(130, 200, 0.5)
    30.0
    """
    n_on = _as_counts(n_on, "n_on")
    n_off = _as_counts(n_off, "n_off")
    alpha = _as_alpha(alpha)
    return _scalar_or_array(n_on - alpha * n_off)


def li_ma_significance(n_on, n_off, alpha):
    r"""Signed on/off detection significance of Li & Ma (1983), eq. 17.

    .. math::

        S = \sqrt{2}\,\Big\{N_{on}\ln\Big[\frac{1+\alpha}{\alpha}
            \frac{N_{on}}{N_{on}+N_{off}}\Big]
            + N_{off}\ln\Big[(1+\alpha)\frac{N_{off}}{N_{on}+N_{off}}\Big]
            \Big\}^{1/2}

    i.e. the square root of the likelihood-ratio statistic for the
    no-source hypothesis.  The sign of ``S`` is that of the excess
    ``n_on - alpha * n_off``.  Zero counts use :math:`0\ln 0 = 0`, and
    ``n_on = n_off = 0`` gives ``S = 0``.  Fully vectorised, so maps may be
    passed directly.

    Parameters
    ----------
    n_on, n_off : array_like
        Counts in the on and off regions (non-negative).
    alpha : float or array_like
        Exposure ratio ``t_on / t_off``, > 0.

    Returns
    -------
    float or ndarray
        Significance in Gaussian standard deviations.

    Raises
    ------
    ValueError
        As :func:`excess`.

    Examples
    --------
    >>> round(li_ma_significance(10, 0, 1.0), 6)  # sqrt(2 * 10 ln 2)
    3.723297
    >>> li_ma_significance([5, 20], [10, 10], 1.0) < 0
    array([ True, False])
    """
    n_on = _as_counts(n_on, "n_on")
    n_off = _as_counts(n_off, "n_off")
    alpha = _as_alpha(alpha)
    n_tot = n_on + n_off
    safe_tot = np.where(n_tot > 0, n_tot, 1.0)
    term_on = xlogy(n_on, (1.0 + alpha) / alpha * n_on / safe_tot)
    term_off = xlogy(n_off, (1.0 + alpha) * n_off / safe_tot)
    # The bracket is a likelihood ratio (>= 0); clip tiny negative round-off.
    ts = np.clip(2.0 * (term_on + term_off), 0.0, None)
    return _scalar_or_array(np.sign(n_on - alpha * n_off) * np.sqrt(ts))


def disk_kernel(radius):
    """Top-hat (disk) kernel of ones where ``x**2 + y**2 <= radius**2``.

    Parameters
    ----------
    radius : float
        Radius in pixels, >= 0.  ``radius < 1`` gives a single pixel.

    Returns
    -------
    ndarray of float, shape (2 * floor(radius) + 1,) * 2

    Raises
    ------
    ValueError
        If ``radius`` is negative or not finite.

    Examples
    --------
    >>> disk_kernel(1).astype(int)
    array([[0, 1, 0],
           [1, 1, 1],
           [0, 1, 0]])
    """
    radius = float(radius)
    if not (np.isfinite(radius) and radius >= 0):
        raise ValueError(f"radius must be finite and >= 0; got {radius!r}")
    half = int(np.floor(radius))
    y, x = np.mgrid[-half:half + 1, -half:half + 1]
    return (x * x + y * y <= radius * radius).astype(float)


class SignificanceMaps(NamedTuple):
    """Result of :func:`significance_maps` (all maps have the image shape).

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.astro.imagestats import significance_maps
    >>> on = np.zeros((5, 5)); on[2, 2] = 9
    >>> maps = significance_maps(on, np.ones((5, 5)), alpha=1.0, radius=1)
    >>> maps._fields
    ('n_on', 'n_off', 'excess', 'significance')
    >>> float(maps.n_on[2, 2]), float(maps.excess[2, 2])
    (9.0, 4.0)
    """

    n_on: np.ndarray
    """On counts, summed within the correlation radius."""
    n_off: np.ndarray
    """Off counts, summed within the correlation radius."""
    excess: np.ndarray
    """Excess counts ``n_on - alpha * n_off``."""
    significance: np.ndarray
    """Li & Ma (1983) eq. 17 significance."""


def significance_maps(counts, background, alpha=1.0, radius=None):
    """Excess and Li & Ma significance maps from on/off count images.

    Parameters
    ----------
    counts : array_like, shape (ny, nx)
        On (counts) image.
    background : array_like, shape (ny, nx)
        Off (background) counts image, e.g. from a ring or reflected-region
        background, with exposure ratio ``alpha`` relative to ``counts``.
    alpha : float or array_like, optional
        Exposure ratio ``t_on / t_off``, a scalar or a map broadcastable to
        the image shape.  It is applied pixel by pixel after correlation, so
        a map should vary slowly on the scale of ``radius``.  Default 1.
    radius : float, optional
        If given, both images are summed within a top-hat disk of this
        radius in pixels (see :func:`disk_kernel`) before computing the
        statistics.  Pixels beyond the image edge count as zero in both
        images.  Default: no correlation.

    Returns
    -------
    SignificanceMaps
        Named tuple of ``n_on``, ``n_off``, ``excess`` and ``significance``
        maps.

    Raises
    ------
    ValueError
        If the images are not 2-D with identical shapes, contain NaN or
        negative values, or ``alpha`` / ``radius`` are invalid.

    Examples
    --------
    >>> on = np.zeros((5, 5)); on[2, 2] = 9
    >>> off = np.ones((5, 5))
    >>> maps = significance_maps(on, off, alpha=1.0, radius=1)
    >>> float(maps.excess[2, 2])
    4.0
    """
    n_on = _as_counts(counts, "counts")
    n_off = _as_counts(background, "background")
    if n_on.ndim != 2:
        raise ValueError(f"counts must be 2-D; got shape {n_on.shape}")
    if n_off.shape != n_on.shape:
        raise ValueError(f"background shape {n_off.shape} differs from counts shape "
                         f"{n_on.shape}")
    alpha = _as_alpha(alpha)
    try:
        alpha_map = np.broadcast_to(alpha, n_on.shape)
    except ValueError:
        raise ValueError(f"alpha with shape {alpha.shape} cannot be broadcast to the "
                         f"image shape {n_on.shape}") from None
    if radius is not None:
        kernel = disk_kernel(radius)
        n_on = ndimage.correlate(n_on, kernel, mode="constant", cval=0.0)
        n_off = ndimage.correlate(n_off, kernel, mode="constant", cval=0.0)
    return SignificanceMaps(n_on=n_on, n_off=n_off, excess=n_on - alpha_map * n_off,
                            significance=np.asarray(li_ma_significance(n_on, n_off,
                                                                       alpha_map)))


# --------------------------------------------------------------------------
# Maximum likelihood and covariance
# --------------------------------------------------------------------------
def _as_params(x, name="x"):
    x = np.atleast_1d(np.asarray(x, dtype=float))
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} must be finite; got {x!r}")
    return x


def hessian(f, x, step=None):
    r"""Hessian of a scalar function by central finite differences.

    Diagonal terms use :math:`[f(x+h_i) - 2f(x) + f(x-h_i)]/h_i^2` and
    off-diagonal terms the four-point formula
    :math:`[f(++) - f(+-) - f(-+) + f(--)]/(4 h_i h_j)`, for ``2 n**2 + 1``
    function evaluations in total.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for a 1-D parameter array ``x``.
    x : array_like, shape (n,)
        Point at which to evaluate the Hessian.
    step : float or array_like, optional
        Absolute step per parameter.  Default: the relative step
        ``eps**0.25 * max(|x_i|, 1)`` (about ``1.2e-4``), which balances
        truncation and round-off error for second differences.

    Returns
    -------
    ndarray, shape (n, n)
        The symmetric Hessian matrix.

    Raises
    ------
    ValueError
        If ``x`` is not finite and 1-D, ``step`` is not positive, or ``f``
        returns a non-finite value.

    Examples
    --------
    >>> H = hessian(lambda p: p[0] ** 2 + 3 * p[0] * p[1], [1.0, 2.0])
    >>> np.round(H, 6)
    array([[2., 3.],
           [3., 0.]])
    """
    x = _as_params(x)
    n = x.size
    if step is None:
        h = np.finfo(float).eps ** 0.25 * np.maximum(np.abs(x), 1.0)
    else:
        h = np.broadcast_to(np.asarray(step, dtype=float), (n,)).copy()
        if not (np.isfinite(h).all() and (h > 0).all()):
            raise ValueError(f"step must be finite and positive; got {step!r}")
    h = (x + h) - x  # make the steps exactly representable
    steps = np.diag(h)

    # Evaluation points: x, x +/- h_i e_i, and x +/- h_i e_i +/- h_j e_j.
    iu, ju = np.triu_indices(n, k=1)
    signs = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float)
    off = (signs[:, None, 0, None] * steps[iu][None]
           + signs[:, None, 1, None] * steps[ju][None])
    points = np.concatenate([x[None], x + steps, x - steps, (x + off).reshape(-1, n)])
    values = np.array([float(f(p)) for p in points])
    if not np.isfinite(values).all():
        raise ValueError("f returned a non-finite value near x; reduce step or move x "
                         "away from a boundary")
    f0, fp, fm = values[0], values[1:n + 1], values[n + 1:2 * n + 1]
    fpp, fpm, fmp, fmm = values[2 * n + 1:].reshape(4, -1)

    hess = np.empty((n, n))
    hess[np.diag_indices(n)] = (fp - 2.0 * f0 + fm) / h**2
    cross = (fpp - fpm - fmp + fmm) / (4.0 * h[iu] * h[ju])
    hess[iu, ju] = cross
    hess[ju, iu] = cross
    return hess


def ml_covariance(neg2logl, theta_hat, step=None):
    r"""Covariance of a maximum-likelihood estimate: the inverse information.

    Returns :math:`I^{-1}` with the observed Fisher information
    :math:`I = -\nabla\nabla \ln L = \tfrac12 \nabla\nabla(-2\ln L)`
    evaluated at the maximum-likelihood point.

    Parameters
    ----------
    neg2logl : callable
        ``neg2logl(theta) -> float`` returning ``-2 ln L`` (e.g. built from
        :func:`cash` or a chi-square).
    theta_hat : array_like, shape (n,)
        The maximum-likelihood estimate.
    step : float or array_like, optional
        Finite-difference steps, passed to :func:`hessian`.

    Returns
    -------
    ndarray, shape (n, n)
        The covariance matrix.

    Raises
    ------
    ValueError
        If the Hessian is not positive definite (``theta_hat`` is not a
        local minimum of ``neg2logl``), or for the reasons of :func:`hessian`.

    Examples
    --------
    >>> cov = ml_covariance(lambda t: (t[0] - 1.0) ** 2 / 4.0, [1.0])
    >>> np.round(cov, 6)
    array([[4.]])
    """
    info = 0.5 * hessian(neg2logl, theta_hat, step=step)
    info = 0.5 * (info + info.T)
    try:
        factor = linalg.cho_factor(info, lower=True)
    except linalg.LinAlgError:
        raise ValueError(
            "the Hessian of neg2logl at theta_hat is not positive definite; "
            "theta_hat is not a (well-determined) minimum"
        ) from None
    cov = linalg.cho_solve(factor, np.eye(info.shape[0]))
    return 0.5 * (cov + cov.T)


class MLFit(NamedTuple):
    """Result of :func:`fit_ml`.

    Examples
    --------
    >>> from pgmsim.astro.imagestats import fit_ml
    >>> fit = fit_ml(lambda t: ((t[0] - 3.0) / 0.5) ** 2, [0.0])
    >>> fit.success, np.round(fit.cov, 4)
    (True, array([[0.25]]))
    """

    theta: np.ndarray
    """Maximum-likelihood parameters."""
    cov: np.ndarray
    """Covariance from the observed information (NaN if not available)."""
    stderr: np.ndarray
    """Square roots of the diagonal of ``cov``."""
    neg2logl: float
    """Value of ``-2 ln L`` at ``theta``."""
    success: bool
    """Whether the optimiser converged and ``cov`` could be computed."""
    message: str
    """Optimiser message, plus any covariance failure."""


def fit_ml(neg2logl, x0, bounds=None, method=None, step=None, options=None):
    """Maximum-likelihood fit by minimising ``-2 ln L``, with covariance.

    Parameters
    ----------
    neg2logl : callable
        ``neg2logl(theta) -> float`` returning ``-2 ln L``.
    x0 : array_like, shape (n,)
        Starting parameters.
    bounds : sequence of (min, max) pairs, optional
        Parameter bounds, passed to :func:`scipy.optimize.minimize`.  The
        covariance assumes an interior optimum; the finite-difference
        Hessian may step slightly beyond the bounds.
    method : str, optional
        :func:`scipy.optimize.minimize` method (default: SciPy's choice).
    step : float or array_like, optional
        Finite-difference steps for the Hessian, see :func:`hessian`.
    options : dict, optional
        Options passed to :func:`scipy.optimize.minimize`.

    Returns
    -------
    MLFit
        Named tuple of ``theta``, ``cov``, ``stderr``, ``neg2logl``,
        ``success`` and ``message``.  If the Hessian is not positive
        definite, ``cov`` and ``stderr`` are NaN and ``success`` is False.

    Raises
    ------
    ValueError
        If ``x0`` is not a finite 1-D array.

    Examples
    --------
    >>> fit = fit_ml(lambda t: ((t[0] - 3.0) / 0.5) ** 2, [0.0])
    >>> np.round(fit.theta, 4), np.round(fit.stderr, 4)
    (array([3.]), array([0.5]))
    """
    x0 = _as_params(x0, "x0")
    res = optimize.minimize(
        lambda t: float(neg2logl(t)), x0, method=method, bounds=bounds,
        options=options,
    )
    theta = np.atleast_1d(res.x).astype(float)
    success = bool(res.success)
    message = str(res.message)
    try:
        cov = ml_covariance(neg2logl, theta, step=step)
    except ValueError as err:
        cov = np.full((theta.size, theta.size), np.nan)
        success = False
        message = f"{message}; covariance unavailable: {err}"
    return MLFit(
        theta=theta,
        cov=cov,
        stderr=np.sqrt(np.diag(cov)),
        neg2logl=float(res.fun),
        success=success,
        message=message,
    )
