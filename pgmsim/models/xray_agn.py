r"""X-ray postage stamp of an AGN: a point source on a uniform background.

The physics. An active galactic nucleus is unresolved by an X-ray telescope:
its image is the point-spread function (PSF), here a circular Gaussian of
width ``sigma`` pixels, centred on the source position ``(x0, y0)``. The
source emits ``F`` counts per second in total, spread over the pixels by the
PSF. A uniform background adds ``b`` counts per second per pixel. The
telescope's effective exposure time ``ex_k`` (seconds) varies over the field
(vignetting), so the expected counts in pixel ``k`` are

.. math::

    \mu_k = \mathrm{ex}_k \left[ \frac{F}{2\pi\sigma^2}
            \exp\left(-\frac{(x_k-x_0)^2 + (y_k-y_0)^2}{2\sigma^2}\right) + b \right],

and the detected photon counts are independent Poisson draws,
:math:`N_k \sim \mathrm{Poisson}(\mu_k)`.

The nodes.

- ``ex`` (fixed, plate ``pixels``): exposure of each pixel, seconds.
- ``x``, ``y`` (fixed, plate ``pixels``): pixel column and row, from 0.
- ``x0``, ``y0`` (parameters): source position in pixels, uniform over the stamp.
- ``F`` (parameter): source count rate, counts/s, log-uniform.
- ``b`` (parameter): background rate, counts/s/pixel, log-uniform.
- ``sigma`` (parameter): PSF width in pixels, uniform.
- ``mu`` (deterministic, plate ``pixels``): expected counts.
- ``N`` (data, plate ``pixels``): observed counts.

Real data. :func:`load_stamp` cuts a postage stamp around any of the 26
point sources of ``M2ptsrc.txt`` from the XMM-Newton image of Abell 1835 (see
:func:`pgmsim.astro.datasets.a1835`), so that the model runs on a real AGN, and
:func:`stamp_figure` compares the stamp with a simulation. On real data the
model is an approximation: the XMM-Newton PSF is not Gaussian (it has broad
wings), and ``b`` absorbs the particle background (not vignetted) and, for
sources near the cluster, the cluster's emission, which is not uniform.
"""

from typing import NamedTuple, Optional

import numpy as np

import pgmsim as pg

__all__ = ["build", "default_inputs", "TRUTH", "DESCRIPTION", "Stamp", "load_stamp",
           "stamp_figure", "source_item", "source_items"]

DESCRIPTION = "X-ray postage stamp of an AGN: Gaussian PSF on a uniform background, Poisson counts"

#: parameter values of the demo mock (a 40x40 stamp)
TRUTH = {"x0": 19.3, "y0": 21.6, "F": 0.03, "b": 5e-6, "sigma": 1.6}


def build(size=40, psf_scale=1.0, keep=None):
    """The AGN postage-stamp model.

    Parameters
    ----------
    size : int
        Side of the square stamp in pixels; bounds the position priors.
    psf_scale : float
        Factor applied to ``sigma`` inside ``mu``. Keep 1; another value gives a
        deliberately wrong model (a biased PSF width, named
        ``xray_agn_biased_psf``), the negative control of calibration checks.
    keep : numpy.ndarray of bool, shape (size, size), optional
        The stamp pixels on the plate, as :attr:`Stamp.keep` of
        :func:`load_stamp`; ``None``: every pixel, as in :func:`default_inputs`.

    Returns
    -------
    pgmsim.Model
        Its plate ``pixels`` is the stamp image: ``model.image(values)``
        turns a vector over it (counts, ``mu``) into the ``size x size``
        image, masked pixels NaN.

    Raises
    ------
    pgmsim.ModelError
        If ``keep`` is not a boolean image of shape ``(size, size)``.

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> m = xray_agn.build()
    >>> print(m.factorization())
    p(x0, y0, F, b, sigma, {N_k}) = p(x0) p(y0) p(F) p(b) p(sigma) prod_k p(N_k | x0, y0, F, b, sigma)
    >>> inputs = xray_agn.default_inputs()
    >>> image = m.image(inputs["x"])
    >>> image.shape, float(image[5, 3])
    ((40, 40), 3.0)
    """
    m = pg.Model("xray_agn" if psf_scale == 1.0 else "xray_agn_biased_psf")
    m.plate("pixels", shape=(size, size), mask=keep)
    m.fixed("ex", plate="pixels")
    m.fixed("x", plate="pixels")
    m.fixed("y", plate="pixels")
    m.param("x0", pg.Uniform(0, size))
    m.param("y0", pg.Uniform(0, size))
    m.param("F", pg.LogUniform(1e-3, 1.0))
    m.param("b", pg.LogUniform(1e-6, 1e-2))
    m.param("sigma", pg.Uniform(0.5, 4.0))

    @m.deterministic(plate="pixels")
    def mu(x0, y0, F, b, sigma, ex, x, y):
        s = psf_scale * sigma  # the PSF width; psf_scale is 1 but in a wrong model
        r2 = (x - x0) ** 2 + (y - y0) ** 2
        return ex * (F * np.exp(-0.5 * r2 / s**2) / (2 * np.pi * s**2) + b)

    m.data("N", pg.Poisson("mu"), plate="pixels")
    return m


def default_inputs(size=40, seed=0, exposure=1.2e4):
    """Inputs of a mock stamp: pixel coordinates and a vignetted exposure map.

    The exposure falls off with the distance to the telescope's optical axis,
    which lies outside the stamp in a direction chosen by ``seed``, as for a
    source a few arcminutes off-axis: across the stamp it drops from about
    97 to about 87 percent of ``exposure``.

    Parameters
    ----------
    size : int
        Side of the square stamp in pixels.
    seed : int
        Chooses the direction of the optical axis.
    exposure : float
        On-axis exposure time, seconds.

    Returns
    -------
    dict
        ``ex``, ``x``, ``y``: vectors of length ``size**2`` (row-major pixels).

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> inputs = xray_agn.default_inputs(size=40, seed=0)
    >>> sorted(inputs), inputs["ex"].shape
    (['ex', 'x', 'y'], (1600,))
    >>> ratio = inputs["ex"] / 1.2e4
    >>> bool(0.85 < ratio.min() < 0.9), bool(0.95 < ratio.max() < 1.0)
    (True, True)
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(float)
    angle = rng.uniform(0, 2 * np.pi)
    axis_x = size / 2 + 1.5 * size * np.cos(angle)
    axis_y = size / 2 + 1.5 * size * np.sin(angle)
    # vignetting: effective area drops roughly quadratically off-axis
    r2 = ((x - axis_x) ** 2 + (y - axis_y) ** 2) / (4.0 * size) ** 2
    ex = exposure * (1.0 - 0.45 * r2)
    return {"ex": ex.ravel(), "x": x.ravel(), "y": y.ravel()}


class Stamp(NamedTuple):
    """A postage stamp of a real point source, as returned by :func:`load_stamp`.

    Attributes
    ----------
    inputs : dict
        ``ex``, ``x``, ``y`` over the kept stamp pixels (row-major order), with
        ``x``, ``y`` local to the stamp (from 0).
    data : dict
        ``N``, the counts of the kept pixels.
    origin : tuple of int
        ``(x_origin, y_origin)``: stamp pixel ``(x, y)`` is image pixel
        ``(x + x_origin, y + y_origin)`` (0-indexed).
    region : tuple of float
        ``(x, y, radius)`` of the source's circle, in stamp coordinates.
    keep : numpy.ndarray of bool, shape (size, size) or None
        The stamp pixels on the plate (exposed, outside other sources);
        ``None``: every pixel. Build the model with ``build(size, keep=keep)``.

    Examples
    --------
    A stamp unpacks as a tuple; its inputs, data and kept pixels make a
    posterior:

    >>> from pgmsim.models import xray_agn
    >>> inputs = xray_agn.default_inputs(size=20)
    >>> truth = dict(xray_agn.TRUTH, x0=9.3, y0=11.6)
    >>> mock = xray_agn.build(20).simulate(inputs=inputs, params=truth, seed=1)
    >>> stamp = xray_agn.Stamp(inputs, {"N": mock["N"]}, origin=(300, 250),
    ...                        region=(9.3, 11.6, 4.0))
    >>> inputs, data, origin, region, keep = stamp
    >>> float(stamp.inputs["x"][-1] + stamp.origin[0])    # image column of the last pixel
    319.0
    >>> model = xray_agn.build(20, keep=stamp.keep)
    >>> model.posterior(data=stamp.data, inputs=stamp.inputs).ndim
    5
    """

    inputs: dict
    data: dict
    origin: tuple
    region: tuple
    keep: Optional[np.ndarray] = None


def load_stamp(index, size=40, image=None, expmap=None, regions=None, mask_others=True,
               data_home=None):
    """Cut a postage stamp around one point source of the A1835 image.

    The stamp is ``size x size`` pixels centred on the source's region (same
    centring as :func:`pgmsim.astro.io.cutout`). A stamp that would cross the
    image edge is shifted inside the image, so that it keeps its full size;
    the source then lies off the stamp centre, and :attr:`Stamp.origin`
    still maps stamp coordinates to image coordinates. Pixels with zero
    exposure are dropped (there the model's ``mu`` is 0, so with no counts
    their likelihood term is exactly 0); with ``mask_others``, so are the
    pixels inside the circles of the *other* sources, which the one-source
    model cannot explain.

    Parameters
    ----------
    index : int
        Row of the region file, 0 to 25 for ``M2ptsrc.txt``.
    size : int
        Side of the stamp, pixels; use ``build(size)`` for the model.
    image, expmap, regions : str or os.PathLike, optional
        Counts image, exposure map (seconds) and region file (``x y radius``,
        1-indexed); by default those of :func:`pgmsim.astro.datasets.a1835`.
    mask_others : bool
        Drop the pixels inside other sources' circles.
    data_home : str or os.PathLike, optional
        Where :func:`pgmsim.astro.datasets.a1835` looks for the default files.

    Returns
    -------
    Stamp
        ``(inputs, data, origin, region, keep)``; pass ``inputs`` and ``data``
        to ``build(size, keep=keep).posterior(data=data, inputs=inputs)``.

    Raises
    ------
    ValueError
        If ``index`` is not a row of the region file, ``size`` is not a
        positive integer no larger than the image, the stamp holds no exposed
        pixel, or the files are bad
        (no image HDU, shapes that differ, malformed region lines; the
        message names the file).

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> stamp = xray_agn.load_stamp(0)  # doctest: +SKIP
    >>> model = xray_agn.build(40, keep=stamp.keep)  # doctest: +SKIP
    >>> post = model.posterior(data=stamp.data, inputs=stamp.inputs)  # doctest: +SKIP
    """
    from pgmsim.astro import io  # astropy loads for FITS input only

    if image is None or expmap is None or regions is None:
        from pgmsim.astro import datasets

        paths = datasets.a1835(data_home)
        image = paths["image"] if image is None else image
        expmap = paths["expmap"] if expmap is None else expmap
        regions = paths["regions"] if regions is None else regions
    images = io.load_counts_exposure(image, expmap)
    table = io.read_regions(regions)
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
            or not 0 <= index < len(table):
        raise ValueError(f"index must be an integer from 0 to {len(table) - 1} (a row of "
                         f"{table.meta['source']}), got {index!r}")
    counts, ex = images["counts"].data, images["exposure"].data
    ny, nx = counts.shape
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) \
            or not 1 <= size <= min(ny, nx):
        raise ValueError(f"size must be an integer from 1 to {min(ny, nx)} pixels (the "
                         f"image is {ny}x{nx}), got {size!r}")
    xc, yc, radius = (float(table[k][index]) for k in ("x", "y", "radius"))
    # centred as io.cutout does, then shifted inside the image if needed
    x_origin = min(max(int(np.ceil(xc - size / 2)), 0), nx - size)
    y_origin = min(max(int(np.ceil(yc - size / 2)), 0), ny - size)
    window = (slice(y_origin, y_origin + size), slice(x_origin, x_origin + size))
    keep = ex[window] > 0
    if mask_others:
        others = np.delete(np.column_stack([table["x"] - x_origin, table["y"] - y_origin,
                                            table["radius"]]), index, axis=0)
        keep &= ~io.region_mask((size, size), others)
    if not keep.any():
        raise ValueError(
            f"the {size}x{size} stamp of source {index} of {table.meta['source']} at "
            f"image (x, y) = ({xc:g}, {yc:g}) holds no exposed pixel of "
            f"{images['exposure'].name}")
    plate = io.image_to_plate(counts[window], keep)
    inputs = {"ex": ex[window].ravel()[plate["index"]], "x": plate["x"], "y": plate["y"]}
    return Stamp(inputs=inputs, data={"N": plate["values"]}, origin=(x_origin, y_origin),
                 region=(xc - x_origin, yc - y_origin, radius), keep=keep)


def source_item(index, size=40, data_home=None):
    """Source ``index`` of the A1835 region file as an item of :func:`pgmsim.fit_many`.

    Parameters
    ----------
    index : int
        Row of the region file (see :func:`load_stamp`).
    size : int
        Side of the stamp, pixels.
    data_home : str or os.PathLike, optional
        Where :func:`pgmsim.astro.datasets.a1835` looks for the files.

    Returns
    -------
    dict
        ``model`` (``build(size, keep=...)``: its plate is the stamp's kept
        pixels), ``data`` and ``inputs`` of the stamp.

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> item = xray_agn.source_item(3)  # doctest: +SKIP
    >>> sorted(item)  # doctest: +SKIP
    ['data', 'inputs', 'model']
    """
    stamp = load_stamp(index, size=size, data_home=data_home)
    return {"model": build(size, keep=stamp.keep), "data": stamp.data, "inputs": stamp.inputs}


def source_items(size=40, data_home=None):
    """Every point source of the A1835 region file, for :func:`pgmsim.fit_many`.

    Each stamp is cut on the worker that fits it: only the loader travels.

    Parameters
    ----------
    size : int
        Side of the stamps, pixels.
    data_home : str or os.PathLike, optional
        Where :func:`pgmsim.astro.datasets.a1835` looks for the files.

    Returns
    -------
    load : functools.partial
        ``load(i)`` is :func:`source_item` ``(i, size, data_home)``.
    n_items : int
        The number of sources (rows of the region file).

    Examples
    --------
    >>> import pgmsim as pg
    >>> from pgmsim.models import xray_agn
    >>> load, n = xray_agn.source_items(size=24)  # doctest: +SKIP
    >>> table = pg.fit_many(None, load, n_items=n, nsteps=500, seed=1)  # doctest: +SKIP
    >>> len(table)  # doctest: +SKIP
    26
    """
    import functools

    from pgmsim.astro import datasets, io

    regions = io.read_regions(datasets.a1835(data_home)["regions"])
    return functools.partial(source_item, size=size, data_home=data_home), len(regions)


def stamp_figure(inputs, data, params, size=40, seed=0, titles=None, keep=None):
    """Observed, simulated and difference images of a stamp.

    The simulation draws counts from the model at ``params`` (e.g. the
    posterior median). Pixels not on the plate (masked, unexposed) are shown
    as 0 in all three panels.

    Parameters
    ----------
    inputs, data : dict
        As from :func:`load_stamp` (or :func:`default_inputs` and a mock).
    params : dict
        Parameter values of :func:`build`.
    size : int
        Side of the stamp, pixels.
    seed : int
        Seed of the simulated counts.
    titles : tuple of str, optional
        Titles of the three panels.
    keep : numpy.ndarray of bool, optional
        The stamp pixels on the plate (:attr:`Stamp.keep`); ``None``: all.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> inputs = xray_agn.default_inputs()
    >>> sim = xray_agn.build().simulate(inputs=inputs, params=xray_agn.TRUTH, seed=1)
    >>> fig = xray_agn.stamp_figure(inputs, {"N": sim["N"]}, xray_agn.TRUTH)
    >>> len(fig.axes)
    5
    """
    from pgmsim.astro.plots import image_comparison

    model = build(size, keep=keep)
    replica = model.simulate(inputs=inputs, params=params, seed=seed)
    observed, simulated = (model.image(np.asarray(values, dtype=float), fill=0.0)
                           for values in (data["N"], replica["N"]))
    titles = titles or ("observed", "simulated at the given parameters", "difference")
    return image_comparison(observed, simulated, titles=titles)
