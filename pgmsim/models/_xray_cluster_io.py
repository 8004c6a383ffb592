"""Reading a cluster's X-ray image onto the plate of :mod:`pgmsim.models.xray_cluster`:
the counts, exposure and particle-background maps, less the unexposed pixels and
the point sources (re-exported by that module)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from pgmsim.astro import io

__all__ = ["ClusterImage", "keep_mask", "load"]


def keep_mask(exposure, regions):
    """Pixels kept on the plate: exposed, and outside every point-source circle.

    Parameters
    ----------
    exposure : numpy.ndarray, shape (ny, nx)
        Exposure map, seconds.
    regions : astropy.table.Table or array_like
        Circles with 0-indexed centres (see :func:`pgmsim.astro.io.read_regions`).

    Returns
    -------
    numpy.ndarray of bool, shape (ny, nx)
        True for the pixels to keep.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.models import xray_cluster
    >>> ex = np.ones((5, 5)); ex[0] = 0.0
    >>> int(xray_cluster.keep_mask(ex, [[2, 2, 1]]).sum())
    15
    """
    exposure = np.asarray(exposure)
    return (exposure > 0) & ~io.region_mask(exposure.shape, regions)


def _check_map(image, what, integer=False):
    data = image.data
    bad = ~np.isfinite(data) | (data < 0)
    if bad.any():
        j, i = np.argwhere(bad)[0]
        raise ValueError(
            f"{what} {image.name} has {int(bad.sum())} negative or non-finite pixel(s), "
            f"first {data[j, i]} at (x, y) = ({i}, {j}); it must hold values >= 0")
    if integer and not np.issubdtype(data.dtype, np.integer) and np.any(data != np.round(data)):
        raise ValueError(f"counts image {image.name} holds non-integer values; it must "
                         "hold photon counts")


class ClusterImage(NamedTuple):
    """A cluster image on its plate, as returned by :func:`load`.

    Attributes
    ----------
    inputs : dict
        ``ex``, ``pb``, ``x``, ``y`` over the kept pixels (row-major order).
    data : dict
        ``N``, the counts of the kept pixels.
    keep : numpy.ndarray of bool, shape (ny, nx)
        The kept pixels (:func:`keep_mask`): build the model with
        ``build(keep=keep)``.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.models import xray_cluster
    >>> keep = xray_cluster.default_keep(seed=0, size=32)
    >>> loaded = xray_cluster.ClusterImage(xray_cluster.default_inputs(seed=0, size=32),
    ...                                    {"N": np.zeros(int(keep.sum()))}, keep)
    >>> inputs, data, keep = loaded
    >>> xray_cluster.build(keep=keep).posterior(data=data, inputs=inputs).ndim
    6
    """

    inputs: dict
    data: dict
    keep: np.ndarray


def load(image, expmap, bkgmap, regions):
    """Read a cluster's counts image, exposure map, particle background and point sources.

    The maps must share one pixel grid. Pixels inside any point-source circle
    and pixels with zero exposure are dropped from the plate here, once (see
    the module docstring for why dropping zero-exposure pixels is exact).

    Parameters
    ----------
    image : str or os.PathLike
        Counts image (FITS, integer counts).
    expmap : str or os.PathLike
        Exposure map (FITS), seconds; used as stored.
    bkgmap : str or os.PathLike
        Particle-background map (FITS), expected counts per pixel.
    regions : str or os.PathLike
        Point sources to mask: one circle ``x y radius`` per line, 1-indexed
        image pixels (see :func:`pgmsim.astro.io.read_regions`).

    Returns
    -------
    ClusterImage
        ``(inputs, data, keep)``: the plate vectors and the kept pixels.

    Raises
    ------
    FileNotFoundError
        If a file is missing.
    ValueError
        If a FITS file holds no 2D image, the maps differ in shape from the
        counts image, a region line is malformed, or a map holds negative or
        non-finite values; the message names the file.

    Examples
    --------
    >>> from pgmsim.astro import datasets
    >>> from pgmsim.models import xray_cluster
    >>> inputs, data, keep = xray_cluster.load(**datasets.a1835())  # doctest: +SKIP
    >>> post = xray_cluster.build(keep=keep).posterior(data=data, inputs=inputs)  # doctest: +SKIP
    """
    images = io.load_counts_exposure(image, expmap, bkgmap)
    table = io.read_regions(regions)
    _check_map(images["counts"], "counts image", integer=True)
    _check_map(images["exposure"], "exposure map")
    _check_map(images["background"], "particle-background map")
    ex = images["exposure"].data
    keep = keep_mask(ex, table)
    plate = io.image_to_plate(images["counts"], keep)
    index = plate["index"]
    inputs = {"ex": ex.ravel()[index], "pb": images["background"].data.ravel()[index],
              "x": plate["x"], "y": plate["y"]}
    return ClusterImage(inputs, {"N": plate["values"]}, keep)
