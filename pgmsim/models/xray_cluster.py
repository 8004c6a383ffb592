r"""A galaxy cluster in an X-ray image: a beta model on a vignetted, background-laden sky.

The physics. The hot gas of a galaxy cluster (10^7 - 10^8 K) emits thermal
bremsstrahlung X-rays. Its projected surface brightness is well described by
the isothermal *beta model* of Cavaliere & Fusco-Femiano (1976): a core of
radius ``rc`` (pixels) inside which the brightness is nearly flat, and a
power-law decline outside, whose slope is set by ``beta``,

.. math::

    S(r) = S_0 \left(1 + \frac{r^2}{r_c^2}\right)^{-3\beta + 1/2},
    \qquad r_k = \sqrt{(x_k - x_0)^2 + (y_k - y_0)^2},

with ``(x0, y0)`` the cluster centre. Sky photons (the cluster and the
cosmic X-ray background ``b``, uniform on the sky) are collected through the
telescope's optics, so they are weighted by the vignetted exposure map
``ex_k`` (seconds). The *particle* background ``pb_k`` comes from cosmic rays
hitting the detector, not through the mirrors: it is not vignetted and is given
directly in expected counts per pixel. The expected counts in pixel ``k`` are

.. math::

    \mu_k = \left[S(r_k) + b\right] \mathrm{ex}_k + \mathrm{pb}_k,

and the detected counts are independent Poisson draws,
:math:`N_k \sim \mathrm{Poisson}(\mu_k)`.

Cool-core clusters such as Abell 1835 have a bright, compact core on top of
the extended emission; ``build(two_components=True)`` adds a second concentric
beta component ``S02, rc2, beta2``. The two components are made identifiable
(no label switching) by ordering their core radii through the prior:
``rc2 ~ LogUniform(rc, 1000)``, so that ``rc < rc2`` always: component 1 is the
compact core, component 2 the extended halo.

The nodes (all positions and lengths in image pixels, 4 arcsec for the
XMM-Newton A1835 image; ``x`` is the column and ``y`` the row, from 0).

- ``ex`` (fixed, plate ``pixels``): exposure of each pixel, seconds, as
  stored in the exposure map (vignetting included, no further scaling).
- ``pb`` (fixed, plate ``pixels``): particle background, expected counts per
  pixel, as stored in the background map.
- ``x``, ``y`` (fixed, plate ``pixels``): pixel column and row, from 0.
- ``x0``, ``y0`` (parameters): cluster centre, uniform over ``[0, size]``.
- ``S0`` (parameter): central surface brightness of the cluster,
  counts/s/pixel, log-uniform on ``[1e-6, 1]``.
- ``rc`` (parameter): core radius, pixels, log-uniform on ``[0.3, 300]``.
- ``beta`` (parameter): slope of the beta model, uniform on ``[0.3, 2]``
  (``beta = 2/3`` is the classic value; the brightness falls as
  ``r^(-6 beta + 1)`` far out).
- ``S02``, ``rc2``, ``beta2`` (parameters, two-component model only): the same
  for the extended component, ``rc2`` log-uniform on ``[rc, 1000]``.
- ``b`` (parameter): cosmic X-ray background, counts/s/pixel, log-uniform on
  ``[1e-9, 1e-3]``.
- ``mu`` (deterministic, plate ``pixels``): expected counts.
- ``N`` (data, plate ``pixels``): observed counts.

Masking. On the real image, point sources (mostly AGN, listed in the region
file) are not part of the model: :func:`load` drops the pixels inside their
circles from the plate, once. It also drops the pixels with zero exposure
(outside the field of view and in CCD gaps; 279725 of the 419904 pixels of
the A1835 image). There ``mu_k = pb_k`` whatever the parameters, so their
Poisson terms are a constant of the log-likelihood: dropping them changes the
log-posterior by a constant only, leaves the posterior unchanged, and saves
two thirds of the work at each call. (In the A1835 data those pixels hold no
counts, and the background map holds a placeholder floor of 1e-5 there.)

Examples
--------
>>> from pgmsim.models import xray_cluster
>>> inputs = xray_cluster.default_inputs(seed=0)
>>> model = xray_cluster.build(keep=xray_cluster.default_keep(seed=0))
>>> sim = model.simulate(inputs=inputs, params=xray_cluster.TRUTH, seed=1)
>>> sim["N"].shape == inputs["x"].shape
True
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

import pgmsim as pg
from pgmsim.graph.evaluate import evaluate
from pgmsim.graph.plates import plate_to_image

from ._xray_cluster_io import ClusterImage, keep_mask, load

__all__ = [
    "DESCRIPTION",
    "TRUTH",
    "TRUTH_TWO_COMPONENTS",
    "build",
    "default_inputs",
    "default_keep",
    "initial_guess",
    "ClusterImage",
    "load",
    "keep_mask",
    "expected_counts",
    "profile_figure",
]

DESCRIPTION = ("Galaxy cluster in an X-ray image: beta model, vignetted exposure, particle "
               "background, Poisson counts")

#: parameter values of the demo mock (:func:`default_inputs`, one component)
TRUTH = {"x0": 61.3, "y0": 66.8, "S0": 3e-3, "rc": 8.0, "beta": 0.65, "b": 3e-6}

#: parameter values of a two-component mock: a compact core on an extended halo
TRUTH_TWO_COMPONENTS = {"x0": 61.3, "y0": 66.8, "S0": 6e-3, "rc": 2.5, "beta": 0.9,
                        "S02": 1e-3, "rc2": 12.0, "beta2": 0.7, "b": 3e-6}

_LABELS = {"S0": "S_0", "rc": "r_c", "S02": "S_{0,2}", "rc2": "r_{c,2}",
           "beta2": r"\beta_2", "ex": r"\mathrm{ex}", "pb": r"\mathrm{pb}"}


def _beta_profile(x0, y0, rc, beta, x, y):
    """``(1 + r^2/rc^2)^(-3 beta + 1/2)`` as a new array.

    Computed in place: for a batch of walkers the arrays have shape
    ``(nwalkers, K)`` with K ~ 1e5 pixels, and avoiding temporaries nearly
    halves the time of a call.
    """
    u = x - x0
    u *= u
    v = y - y0
    v *= v
    u += v
    u *= 1.0 / rc**2
    np.log1p(u, out=u)
    u *= 0.5 - 3.0 * beta
    np.exp(u, out=u)
    return u


def build(two_components=False, size=648, keep=None):
    """The galaxy-cluster beta model.

    Parameters
    ----------
    two_components : bool
        Add a second, concentric beta component (``S02, rc2, beta2``) with the
        larger core radius, ``rc < rc2`` enforced by its prior.
    size : float
        Bound of the uniform priors on the centre ``x0, y0`` (pixels): the
        side of the image (648 for the A1835 image, which contains the
        128-pixel demo mock).
    keep : numpy.ndarray of bool, shape (ny, nx), optional
        The image pixels on the plate: :attr:`ClusterImage.keep` of
        :func:`load`, or :func:`default_keep` for the mock. ``None``: every
        pixel of a square image of side ``size`` (rounded up).

    Returns
    -------
    pgmsim.Model
        Its plate ``pixels`` is the image: ``model.image(values)`` turns a
        vector over it (counts, ``mu``, residuals) into the image, pixels off
        the plate NaN (or ``fill``).

    Raises
    ------
    ValueError
        If ``size`` is not a positive number.
    pgmsim.ModelError
        If ``keep`` is not a boolean image.

    Examples
    --------
    >>> from pgmsim.models import xray_cluster
    >>> print(xray_cluster.build().factorization())
    p(x0, y0, S0, rc, beta, b, {N_k}) = p(x0) p(y0) p(S0) p(rc) p(beta) p(b) prod_k p(N_k | x0, y0, S0, rc, beta, b)
    """
    if not (np.isscalar(size) and np.isfinite(size) and size > 0):
        raise ValueError(f"size must be a positive number of pixels, got {size!r}")
    m = pg.Model("xray_cluster")
    shape = (int(np.ceil(size)),) * 2 if keep is None else np.shape(keep)
    m.plate("pixels", shape=shape, mask=keep)
    for name in ("ex", "pb", "x", "y"):
        m.fixed(name, plate="pixels", label=_LABELS.get(name))
    m.param("x0", pg.Uniform(0, size))
    m.param("y0", pg.Uniform(0, size))
    m.param("S0", pg.LogUniform(1e-6, 1.0), label=_LABELS["S0"])
    m.param("rc", pg.LogUniform(0.3, 300.0), label=_LABELS["rc"])
    m.param("beta", pg.Uniform(0.3, 2.0))
    if two_components:
        m.param("S02", pg.LogUniform(1e-6, 1.0), label=_LABELS["S02"])
        m.param("rc2", pg.LogUniform("rc", 1000.0), label=_LABELS["rc2"])
        m.param("beta2", pg.Uniform(0.3, 2.0), label=_LABELS["beta2"])
    m.param("b", pg.LogUniform(1e-9, 1e-3))

    if two_components:
        @m.deterministic(plate="pixels")
        def mu(x0, y0, S0, rc, beta, S02, rc2, beta2, b, ex, pb, x, y):
            core = _beta_profile(x0, y0, rc, beta, x, y)
            halo = _beta_profile(x0, y0, rc2, beta2, x, y)
            core *= S0
            halo *= S02
            core += halo
            core += b
            core *= ex
            core += pb
            return core
    else:
        @m.deterministic(plate="pixels")
        def mu(x0, y0, S0, rc, beta, b, ex, pb, x, y):
            s = _beta_profile(x0, y0, rc, beta, x, y)
            s *= S0
            s += b
            s *= ex
            s += pb
            return s

    m.data("N", pg.Poisson("mu"), plate="pixels")
    return m


def default_inputs(seed=0, size=128, exposure=2.5e4, background=0.08):
    """Inputs of a mock cluster image: exposure and particle-background maps.

    The exposure map mimics XMM-Newton's vignetting: it is ``exposure``
    seconds on the optical axis, which lies a few pixels from the image centre
    in a direction chosen by ``seed``, and falls off as ``1 / (1 + (r/150)^2)``
    with the distance ``r`` (pixels) from it, to about 75 percent at the
    corners. A CCD gap, 3 columns of zero exposure at a column chosen by
    ``seed`` right of the centre, crosses the image; as in :func:`load`, those
    pixels are dropped from the plate. The particle background is about
    ``background`` expected counts per pixel, with a gentle gradient across the
    detector (it is not vignetted).

    Parameters
    ----------
    seed : int
        Chooses the optical axis, the gap and the background gradient.
    size : int
        Side of the square image, pixels.
    exposure : float
        On-axis exposure time, seconds.
    background : float
        Mean particle background, expected counts per pixel.

    Returns
    -------
    dict
        ``ex``, ``pb``, ``x``, ``y``: vectors over the kept pixels, in
        row-major order (``size**2`` minus the gap, the pixels of
        :func:`default_keep` with the same ``seed`` and ``size``).

    Examples
    --------
    >>> from pgmsim.models import xray_cluster
    >>> inputs = xray_cluster.default_inputs(seed=0)
    >>> len(inputs["x"]) == 128 * 128 - 3 * 128
    True
    """
    maps = _default_maps(seed, size, exposure, background)
    keep = maps["ex"] > 0
    return {name: image[keep] for name, image in maps.items()}


def default_keep(seed=0, size=128):
    """The pixels that :func:`default_inputs` keeps: all but its CCD gap.

    Parameters
    ----------
    seed, size : int
        As for :func:`default_inputs`.

    Returns
    -------
    numpy.ndarray of bool, shape (size, size)
        Pass it to ``build(keep=...)``.

    Examples
    --------
    >>> from pgmsim.models import xray_cluster
    >>> keep = xray_cluster.default_keep(seed=0)
    >>> keep.shape, int((~keep).sum()) == 3 * 128
    ((128, 128), True)
    """
    return _default_maps(seed, size)["ex"] > 0


def _default_maps(seed, size, exposure=2.5e4, background=0.08):
    """The full images behind :func:`default_inputs`, gap included."""
    if isinstance(size, bool) or int(size) != size or size < 16:
        raise ValueError(f"size must be an integer of at least 16 pixels, got {size!r}")
    size = int(size)
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(float)
    angle = rng.uniform(0, 2 * np.pi)
    axis_x = size / 2 + 6 * np.cos(angle)
    axis_y = size / 2 + 6 * np.sin(angle)
    ex = exposure / (1.0 + ((x - axis_x) ** 2 + (y - axis_y) ** 2) / 150.0**2)
    gap = size // 2 + int(rng.integers(size // 8, size // 4))
    ex[:, gap:gap + 3] = 0.0
    tilt = rng.uniform(-0.1, 0.1, size=2)
    pb = background * (1.0 + tilt[0] * (x / size - 0.5) + tilt[1] * (y / size - 0.5))
    return {"ex": ex, "pb": pb, "x": x, "y": y}


def _images(inputs, *vectors):
    """Plate vectors as images just large enough to hold every plate pixel,
    0 off the plate."""
    x, y = (np.asarray(inputs[k]).astype(np.int64) for k in ("x", "y"))
    shape = (int(y.max()) + 1, int(x.max()) + 1)
    return [plate_to_image(np.asarray(v, float), y * shape[1] + x, shape, fill=0.0)
            for v in vectors]


def initial_guess(inputs, data, two_components=False, smooth=2.0):
    """A starting point for the MAP search, read off the data.

    The centre is the brightest pixel of the smoothed count-rate map (net
    counts and exposure both smoothed over the plate pixels with a Gaussian
    of ``smooth`` pixels, then divided, so that masked pixels do not bias it;
    only pixels with at least 30 percent of the largest smoothed exposure
    compete);
    ``S0`` is the net count rate within 1.5 pixels of it; ``b`` the net rate
    in the outer fifth of the plate (in radius); ``rc`` follows from the
    radius where the net rate falls to half its central value (for
    ``beta = 2/3``, ``r_half = 0.766 rc``).

    Parameters
    ----------
    inputs, data : dict
        As passed to :meth:`pgmsim.Model.posterior`.
    two_components : bool
        Give a starting point for ``build(two_components=True)``: a core of
        half and a halo of three times the one-component core radius.
    smooth : float
        Width of the Gaussian smoothing, pixels.

    Returns
    -------
    dict
        A value for every parameter, inside the prior support.

    Examples
    --------
    On the demo mock the centre is found within a pixel:

    >>> from pgmsim.models import xray_cluster
    >>> inputs, truth = xray_cluster.default_inputs(seed=0), xray_cluster.TRUTH
    >>> model = xray_cluster.build(keep=xray_cluster.default_keep(seed=0))
    >>> mock = model.simulate(inputs=inputs, params=truth, seed=1)
    >>> guess = xray_cluster.initial_guess(inputs, {"N": mock["N"]})
    >>> sorted(guess)
    ['S0', 'b', 'beta', 'rc', 'x0', 'y0']
    >>> abs(guess["x0"] - truth["x0"]) < 1, abs(guess["y0"] - truth["y0"]) < 1
    (True, True)
    """
    x, y = np.asarray(inputs["x"], float), np.asarray(inputs["y"], float)
    ex, pb = np.asarray(inputs["ex"], float), np.asarray(inputs["pb"], float)
    counts = np.asarray(data["N"], float)
    on, net, exp_s = _images(inputs, np.ones_like(x), counts - pb, ex)
    net = ndimage.gaussian_filter(net, smooth)
    exp_s = ndimage.gaussian_filter(exp_s, smooth)
    good = (on > 0) & (exp_s > 0.3 * exp_s.max())
    rate = np.where(good, net / np.where(good, exp_s, 1.0), -np.inf)
    yc, xc = np.unravel_index(np.argmax(rate), rate.shape)
    r = np.hypot(x - xc, y - yc)
    centre = r <= 1.5
    s0 = np.sum(counts[centre] - pb[centre]) / np.sum(ex[centre])
    outer = r >= np.quantile(r, 0.8)
    b = np.sum(counts[outer] - pb[outer]) / np.sum(ex[outer])
    b = float(np.clip(b, 1e-8, 1e-4))
    s0 = float(np.clip(s0, 1e-5, 0.5))
    # net rate in 1-pixel annuli; the first one below half the central value
    ring = np.minimum(r.astype(np.int64), 400)
    net_sum = np.bincount(ring, weights=counts - pb - b * ex, minlength=401)
    ex_sum = np.bincount(ring, weights=ex, minlength=401)
    with np.errstate(divide="ignore", invalid="ignore"):
        profile = net_sum / ex_sum
    below = np.flatnonzero((profile < 0.5 * (s0 - b)) & (ex_sum > 0))
    r_half = float(below[0]) + 0.5 if below.size else 5.0
    rc = float(np.clip(r_half / 0.766, 1.0, 200.0))
    guess = {"x0": float(xc), "y0": float(yc), "S0": s0, "rc": rc, "beta": 0.67, "b": b}
    if two_components:
        guess.update(S0=0.8 * s0, rc=max(0.5 * rc, 0.5), S02=0.1 * s0, rc2=3.0 * rc,
                     beta2=0.67)
    return guess


def expected_counts(params, inputs, two_components=None):
    """The model's expected counts ``mu`` for one point or for many draws.

    Parameters
    ----------
    params : dict
        Parameter values: floats for one point, or 1-D arrays of equal
        length ``n`` for ``n`` draws (as from ``post.unpack(samples)``).
    inputs : dict
        ``ex``, ``pb``, ``x``, ``y``.
    two_components : bool, optional
        Which model; by default, two components when ``params`` has ``S02``.

    Returns
    -------
    numpy.ndarray, shape (K,) or (n, K)

    Examples
    --------
    >>> from pgmsim.models import xray_cluster
    >>> inputs = xray_cluster.default_inputs()
    >>> xray_cluster.expected_counts(xray_cluster.TRUTH, inputs).shape
    (16000,)
    """
    if two_components is None:
        two_components = "S02" in params
    model = build(two_components)
    args = {}
    for name in model.names("parameter"):
        if name not in params:
            raise ValueError(f"no value for parameter {name!r}; got {sorted(params)}")
        value = np.asarray(params[name], dtype=float)
        args[name] = value[:, None] if value.ndim == 1 else value
    pixels = {k: np.asarray(inputs[k], dtype=float) for k in ("ex", "pb", "x", "y")}
    return np.asarray(evaluate(model, args, pixels)["mu"])


def profile_figure(result, inputs, data, bins=20, center=None, ndraws=100, seed=0,
                   band=(2.5, 97.5)):
    """Radial profile of the data against posterior draws of the model.

    Counts per pixel in annuli around the posterior-median centre, with
    Poisson error bars, against the median and credible band of the expected
    counts ``mu`` at ``ndraws`` posterior draws, with the background
    ``b ex + pb`` (and, for two components, each cluster component) as dashed
    lines. Only plate pixels count: masked point sources are left out.

    Parameters
    ----------
    result : pgmsim.SamplingResult
        A posterior run of this model (``result.posterior`` is used).
    inputs, data : dict
        The inputs and data of the run.
    bins : int or array_like
        Annuli, see :func:`pgmsim.astro.profiles.radial_profile`.
    center : tuple of float, optional
        ``(x, y)``; the posterior median of ``(x0, y0)`` by default.
    ndraws : int
        Number of posterior draws (taken after the default burn-in), evaluated
        in chunks of 20 to bound the memory.
    seed : int
        Chooses the draws.
    band : tuple of float
        Percentiles of the credible band.

    Returns
    -------
    matplotlib.figure.Figure
        The profile panel and the residual panel below it.

    Examples
    --------
    A short run on a small mock, started at the truth:

    >>> import pgmsim as pg
    >>> from pgmsim.models import xray_cluster
    >>> inputs = xray_cluster.default_inputs(size=48, seed=0)
    >>> truth = dict(xray_cluster.TRUTH, x0=22.3, y0=25.8)
    >>> model = xray_cluster.build(size=48, keep=xray_cluster.default_keep(seed=0, size=48))
    >>> data = {"N": model.simulate(inputs=inputs, params=truth, seed=1)["N"]}
    >>> post = model.posterior(data=data, inputs=inputs)
    >>> result = pg.sample(post, nwalkers=12, nsteps=20, seed=0, initial=truth,
    ...                    progress=False)
    >>> fig = xray_cluster.profile_figure(result, inputs, data, bins=8, ndraws=40)
    >>> len(fig.axes)
    2
    """
    from dataclasses import replace

    from pgmsim.astro.profiles import plot_radial_profile, radial_profile

    post = result.posterior
    samples = result.flat_samples()
    rng = np.random.default_rng(seed)
    draws = samples[rng.choice(len(samples), size=min(ndraws, len(samples)), replace=False)]
    params = post.unpack(draws)
    if center is None:
        center = (float(np.median(params["x0"])), float(np.median(params["y0"])))
    x, y = np.asarray(inputs["x"], float), np.asarray(inputs["y"], float)
    ex, pb = np.asarray(inputs["ex"], float), np.asarray(inputs["pb"], float)
    observed = radial_profile(data["N"], x, y, center, bins, exposure=ex)
    two = "S02" in params
    parts = {"model": [], "background (b ex + pb)": []}
    if two:
        parts.update({"core (component 1)": [], "halo (component 2)": []})
    for chunk in np.array_split(np.arange(len(draws)), max(1, -(-len(draws) // 20))):
        sub = {k: v[chunk] for k, v in params.items()}
        col = {k: v[:, None] for k, v in sub.items()}
        pieces = {"model": expected_counts(sub, inputs),
                  "background (b ex + pb)": col["b"] * ex + pb}
        if two:
            pieces["core (component 1)"] = col["S0"] * ex * _beta_profile(
                col["x0"], col["y0"], col["rc"], col["beta"], x, y)
            pieces["halo (component 2)"] = col["S02"] * ex * _beta_profile(
                col["x0"], col["y0"], col["rc2"], col["beta2"], x, y)
        for name, value in pieces.items():
            parts[name].append(radial_profile(value, x, y, center, observed.edges).total)
    profiles = {k: replace(observed, total=np.concatenate(v)) for k, v in parts.items()}
    model = profiles.pop("model")
    title = (f"{post.model.name}, {'two components' if two else 'one component'}: "
             f"{len(draws)} posterior draws\ncentre (x, y) = ({center[0]:.1f}, {center[1]:.1f})")
    return plot_radial_profile(observed, model, components=profiles, band=band, title=title)
