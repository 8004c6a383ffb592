"""FITS images, exposure maps, circular regions and cutouts.

Pixel conventions used throughout pgmsim
----------------------------------------
* A numpy image is indexed ``image[row, col]`` = ``image[y, x]``.
* ``x`` is the column and ``y`` the row, both counted from **0**; the centre of
  pixel ``image[j, i]`` is at ``(x, y) = (i, j)``.
* Region files (ds9, the XMM-Newton tools, ``M2ptsrc.txt``) count pixels from
  **1**; :func:`read_regions` converts them to 0-indexed coordinates.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
from astropy.io import fits
from astropy.nddata.utils import NoOverlapError, PartialOverlapError, overlap_slices
from astropy.table import Table
from astropy.wcs import WCS, FITSFixedWarning

# the image <-> plate conversion lives with the plates; FITS users find it here too
from ..graph.plates import _shape2d, image_to_plate, plate_to_image

__all__ = [
    "Image",
    "read_image",
    "read_regions",
    "region_mask",
    "check_same_shape",
    "load_counts_exposure",
    "image_to_plate",
    "plate_to_image",
    "cutout",
]

_IMAGE_HDU_TYPES = (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)

#: Largest offset, in pixels, tolerated between the WCS of images meant to share a grid.
_WCS_TOLERANCE_PIX = 0.01


@dataclass(frozen=True, eq=False)
class Image:
    """A 2D image read from a FITS file.

    Attributes
    ----------
    data : numpy.ndarray
        Pixel values, indexed ``data[y, x]``. ``int64`` when the FITS data are
        integers (counts images), ``float64`` otherwise (exposure and
        background maps).
    wcs : astropy.wcs.WCS or None
        World coordinate system from the header, or None when the header holds
        no WCS keywords.
    header : astropy.io.fits.Header
        A copy of the header of the HDU the data came from.
    path : pathlib.Path or None
        The file the image was read from (None for images built in memory).

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from pgmsim.astro.io import Image
    >>> image = Image(data=np.zeros((2, 3)), wcs=None, header=fits.Header())
    >>> image.shape, image.name
    ((2, 3), '<in-memory image>')
    """

    data: np.ndarray
    wcs: WCS | None
    header: fits.Header
    path: Path | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the pixel array, ``(ny, nx)``."""
        return self.data.shape

    @property
    def name(self) -> str:
        """The file name, or ``"<in-memory image>"``; used in error messages."""
        return str(self.path) if self.path is not None else "<in-memory image>"


def _is_2d_image(hdu) -> bool:
    return isinstance(hdu, _IMAGE_HDU_TYPES) and hdu.header.get("NAXIS", 0) == 2


def _describe_hdus(hdul) -> str:
    parts = []
    for i, hdu in enumerate(hdul):
        naxes = [hdu.header.get(f"NAXIS{k}", 0) for k in range(1, hdu.header.get("NAXIS", 0) + 1)]
        dims = "x".join(str(n) for n in naxes) if naxes else "no data"
        parts.append(f"[{i}] {hdu.name or '(unnamed)'} {type(hdu).__name__} ({dims})")
    return "; ".join(parts)


def _header_wcs(header: fits.Header) -> WCS | None:
    with warnings.catch_warnings():
        # Harmless header fix-ups (deprecated RADECSYS, MJD-OBS from DATE-OBS).
        warnings.simplefilter("ignore", FITSFixedWarning)
        wcs = WCS(header)
    if not any(str(ctype).strip() for ctype in wcs.wcs.ctype):
        return None
    return wcs


def read_image(path, hdu: int | str | None = None) -> Image:
    """Read a 2D image (counts, exposure or background map) from a FITS file.

    Gzip-compressed files (``.FTZ``, ``.fits.gz``) and tile-compressed
    images are read directly.

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file.
    hdu : int or str, optional
        Index or name of the HDU to read. By default the first HDU holding a
        2D image (the primary HDU or an image extension) is used.

    Returns
    -------
    Image
        The pixel data, WCS, header and path. Integer FITS data (``BITPIX``
        8, 16, 32 or 64, e.g. counts) stay integer, as ``int64``; everything
        else (exposure maps in seconds, background maps) becomes ``float64``.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If the file holds no 2D image HDU, or `hdu` names a missing HDU or one
        that is not a 2D image. The message lists the HDUs found.

    Examples
    --------
    >>> from pgmsim.astro import io
    >>> counts = io.read_image("a1835_xmm/P0098010101M2U009IMAGE_3000.FTZ")  # doctest: +SKIP
    >>> counts.shape, counts.data.dtype  # doctest: +SKIP
    ((648, 648), dtype('int64'))
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FITS file not found: {path}")
    with fits.open(path) as hdul:
        if hdu is None:
            chosen = next((h for h in hdul if _is_2d_image(h)), None)
            if chosen is None:
                raise ValueError(
                    f"{path} holds no 2D image HDU; HDUs found: {_describe_hdus(hdul)}. "
                    "Pass a FITS file with an image (primary HDU or image extension)."
                )
        else:
            try:
                chosen = hdul[hdu]
            except (KeyError, IndexError) as err:
                raise ValueError(
                    f"{path} has no HDU {hdu!r}; HDUs found: {_describe_hdus(hdul)}"
                ) from err
            if not _is_2d_image(chosen):
                raise ValueError(
                    f"HDU {hdu!r} of {path} is not a 2D image; HDUs found: "
                    f"{_describe_hdus(hdul)}. Choose another `hdu` or leave it as None."
                )
        raw = chosen.data
        dtype = np.int64 if np.issubdtype(raw.dtype, np.integer) else np.float64
        data = np.array(raw, dtype=dtype)  # a native-endian copy, valid after closing
        header = chosen.header.copy()
    return Image(data=data, wcs=_header_wcs(header), header=header, path=path)


_CIRCLE = re.compile(r"^circle\s*\((?P<args>[^()]*)\)$", re.IGNORECASE)
_DS9_NON_PIXEL_SYSTEMS = {
    "physical", "fk4", "fk5", "icrs", "galactic", "ecliptic", "wcs",
    "linear", "amplifier", "detector",
}


def _parse_region_line(text: str) -> tuple[float, float, float] | None:
    """Return (x, y, radius) as written, None for lines to skip; raise ValueError if unreadable."""
    text = text.split("#", 1)[0].strip()
    lowered = text.lower()
    if not text or lowered == "image" or lowered.startswith("global"):
        return None
    if lowered.split(";")[0].strip() in _DS9_NON_PIXEL_SYSTEMS:
        raise ValueError("only image pixel coordinates are supported, not this coordinate system")
    if lowered.startswith("image;"):
        text = text[len("image;"):].strip()
    match = _CIRCLE.match(text)
    fields = (match["args"] if match else text).replace(",", " ").split()
    if len(fields) != 3:
        raise ValueError(f"expected 3 numbers, found {len(fields)} fields")
    x, y, radius = (float(f) for f in fields)  # ValueError for non-numbers
    if not (np.isfinite(x) and np.isfinite(y) and np.isfinite(radius) and radius > 0):
        raise ValueError("centre must be finite and radius finite and positive")
    return x, y, radius


def read_regions(path) -> Table:
    """Read circular regions from a text file in 1-indexed image pixels.

    Each line is either ``x y radius`` (as in the XMM-Newton tutorial's
    ``M2ptsrc.txt``) or ds9-style ``circle(x, y, radius)``, optionally
    prefixed by ``image;``. Blank lines, ``#`` comments and ds9 ``global`` /
    ``image`` lines are skipped.

    Parameters
    ----------
    path : str or os.PathLike
        The region file. Centres are counted from 1, as ds9 does.

    Returns
    -------
    astropy.table.Table
        Columns ``x``, ``y`` (0-indexed column and row of the centre: the
        file's values minus 1) and ``radius`` (pixels), all float64, one row
        per region. ``meta`` records the source file and the conversion.

    Raises
    ------
    FileNotFoundError
        If `path` does not exist.
    ValueError
        If a line cannot be read as a circle in image pixels (wrong number of
        fields, non-numbers, a non-positive radius, sky coordinates); the
        message names the file and line number and quotes the line.

    Examples
    --------
    >>> from pgmsim.astro import io
    >>> regions = io.read_regions("a1835_xmm/M2ptsrc.txt")  # doctest: +SKIP
    >>> len(regions), regions["x"][0]  # doctest: +SKIP
    (26, 231.0)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"region file not found: {path}")
    rows = []
    with path.open() as handle:
        for lineno, line in enumerate(handle, start=1):
            try:
                parsed = _parse_region_line(line)
            except ValueError as err:
                raise ValueError(
                    f"{path}, line {lineno}: cannot read a circular region from "
                    f"{line.rstrip()!r} ({err}); expected 'x y radius' or "
                    "'circle(x, y, radius)' in 1-indexed image pixels"
                ) from None
            if parsed is not None:
                rows.append(parsed)
    values = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return Table(
        {"x": values[:, 0] - 1.0, "y": values[:, 1] - 1.0, "radius": values[:, 2]},
        meta={
            "source": str(path),
            "index_origin": 0,
            "comment": "x, y are 0-indexed (column, row): the file's 1-indexed values minus 1",
        },
    )


def _region_columns(regions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(regions, (Table, Mapping)):
        try:
            cols = [np.asarray(regions[k], dtype=np.float64).ravel() for k in ("x", "y", "radius")]
        except KeyError as err:
            raise ValueError(
                f"regions need columns 'x', 'y' and 'radius'; missing {err}"
            ) from None
    else:
        arr = np.asarray(regions, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != 3:
            raise ValueError(
                f"regions must be a table with columns x, y, radius or an (N, 3) array; "
                f"got an array of shape {arr.shape}"
            )
        cols = [arr[:, 0], arr[:, 1], arr[:, 2]]
    x, y, radius = cols
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(radius >= 0)):
        raise ValueError("region centres must be finite and radii finite and non-negative")
    return x, y, radius


def region_mask(shape, regions) -> np.ndarray:
    """Boolean image that is True for pixels inside any circular region.

    A pixel is inside a circle when the distance from its centre to the
    circle's centre is at most the radius. Regions partly or wholly outside
    the image are clipped.

    Parameters
    ----------
    shape : tuple of int
        Image shape ``(ny, nx)``.
    regions : astropy.table.Table, mapping or array_like
        Circles with 0-indexed centres: a table or mapping with columns
        ``x``, ``y``, ``radius`` (as from :func:`read_regions`) or an
        ``(N, 3)`` array of ``x, y, radius``.

    Returns
    -------
    numpy.ndarray of bool
        Array of `shape`, True inside the regions. To keep the pixels
        *outside* (e.g. to drop point sources) use ``~region_mask(...)``.

    Raises
    ------
    ValueError
        If `shape` is not two positive integers, or `regions` lacks the
        columns, or holds non-finite centres or negative radii.

    Examples
    --------
    >>> from pgmsim.astro.io import region_mask
    >>> int(region_mask((5, 5), [[2, 2, 1]]).sum())
    5
    """
    ny, nx = _shape2d(shape)
    mask = np.zeros((ny, nx), dtype=bool)
    for xc, yc, rc in zip(*_region_columns(regions)):
        x0, x1 = max(int(np.floor(xc - rc)), 0), min(int(np.ceil(xc + rc)), nx - 1)
        y0, y1 = max(int(np.floor(yc - rc)), 0), min(int(np.ceil(yc + rc)), ny - 1)
        if x0 > x1 or y0 > y1:
            continue
        yy, xx = np.ogrid[y0 : y1 + 1, x0 : x1 + 1]
        mask[y0 : y1 + 1, x0 : x1 + 1] |= (xx - xc) ** 2 + (yy - yc) ** 2 <= rc**2
    return mask


def _array_and_name(value, name: str) -> tuple[np.ndarray, str]:
    if isinstance(value, Image):
        return value.data, f"{name} ({value.name})"
    return np.asarray(value), name


def check_same_shape(**images) -> tuple[int, ...]:
    """Check that images (arrays or :class:`Image`) all have the same shape.

    Parameters
    ----------
    **images : numpy.ndarray or Image
        The images, by name (the names appear in the error message).

    Returns
    -------
    tuple of int
        The common shape.

    Raises
    ------
    ValueError
        If the shapes differ; the message gives every name (and file) with
        its shape.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.astro.io import check_same_shape
    >>> check_same_shape(counts=np.zeros((4, 5)), exposure=np.ones((4, 5)))
    (4, 5)
    """
    if not images:
        raise ValueError("check_same_shape needs at least one image, passed by name")
    described = [_array_and_name(value, name) for name, value in images.items()]
    shapes = {arr.shape for arr, _ in described}
    if len(shapes) > 1:
        listing = ", ".join(f"{name} has shape {arr.shape}" for arr, name in described)
        raise ValueError(
            f"images must share one pixel grid but {listing}; "
            "use maps made for the same image (same binning and size)"
        )
    return shapes.pop()


def _wcs_offset(reference: Image, other: Image) -> float:
    """Largest pixel offset between two celestial WCSs, sampled at corners and centre."""
    ny, nx = reference.shape
    px = np.array([0, nx - 1, 0, nx - 1, (nx - 1) / 2])
    py = np.array([0, 0, ny - 1, ny - 1, (ny - 1) / 2])
    ra, dec = reference.wcs.celestial.all_pix2world(px, py, 0)
    qx, qy = other.wcs.celestial.all_world2pix(ra, dec, 0)
    return float(np.max(np.hypot(qx - px, qy - py)))


def load_counts_exposure(counts_path, exposure_path, background_path=None) -> dict[str, Image]:
    """Read a counts image with its exposure (and background) map, checking they match.

    Parameters
    ----------
    counts_path : str or os.PathLike
        Counts image (integer FITS data).
    exposure_path : str or os.PathLike
        Exposure map, seconds.
    background_path : str or os.PathLike, optional
        Background map, expected counts per pixel.

    Returns
    -------
    dict of str to Image
        Keys ``"counts"``, ``"exposure"`` and, when `background_path` is
        given, ``"background"``.

    Raises
    ------
    FileNotFoundError
        If a file is missing.
    ValueError
        If a map's shape differs from the counts image's, or when both carry
        celestial WCSs that disagree by more than 0.01 pixel; the message
        names the files.

    Examples
    --------
    >>> from pgmsim.astro import io
    >>> images = io.load_counts_exposure("image.fits", "expmap.fits")  # doctest: +SKIP
    >>> images["exposure"].data.max()  # doctest: +SKIP
    """
    images = {"counts": read_image(counts_path), "exposure": read_image(exposure_path)}
    if background_path is not None:
        images["background"] = read_image(background_path)
    check_same_shape(**images)
    counts = images["counts"]
    for key, image in images.items():
        if key == "counts" or counts.wcs is None or image.wcs is None:
            continue
        if not (counts.wcs.has_celestial and image.wcs.has_celestial):
            continue
        offset = _wcs_offset(counts, image)
        if offset > _WCS_TOLERANCE_PIX:
            raise ValueError(
                f"the WCS of {key} ({image.name}) is offset by {offset:.3g} pixels from "
                f"that of the counts image ({counts.name}); the maps must be made on "
                "the same sky grid as the counts image"
            )
    return images


_SHIFTED_KEYS = re.compile(r"^(CRPIX|LTV)([12])([A-Z]?)$")


def _shifted_header(header: fits.Header, x0: int, y0: int, size: int) -> fits.Header:
    """Copy of `header` for a cutout starting at 0-indexed (x0, y0)."""
    header = header.copy()
    header["NAXIS1"], header["NAXIS2"] = size, size
    for key in list(header.keys()):
        match = _SHIFTED_KEYS.match(key)
        if match:
            header[key] = header[key] - (x0 if match[2] == "1" else y0)
    return header


def cutout(image, x: float, y: float, size: int):
    """Cut a square postage stamp centred on a pixel position.

    Parameters
    ----------
    image : numpy.ndarray or Image
        The 2D image.
    x, y : float
        0-indexed column and row of the centre. The stamp is centred on the
        nearest pixel (for even `size`, the centre lies between pixels, as in
        `astropy.nddata.Cutout2D`).
    size : int
        Side of the stamp, pixels.

    Returns
    -------
    stamp : numpy.ndarray or Image
        A copy of the ``size x size`` pixels. For an :class:`Image` input, an
        :class:`Image` whose WCS and header (``CRPIX``, ``LTV``) are shifted
        so that sky positions are unchanged.
    origin : tuple of int
        ``(x_origin, y_origin)``: ``stamp[j, i]`` is ``image[y_origin + j,
        x_origin + i]``, so stamp coordinates plus the origin give image
        coordinates.

    Raises
    ------
    ValueError
        If `size` is not a positive integer, the position is not finite, or
        the stamp does not lie wholly inside the image; the message names the
        position and the image shape.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.astro.io import cutout
    >>> stamp, origin = cutout(np.arange(100).reshape(10, 10), x=4, y=6, size=3)
    >>> origin, int(stamp[1, 1])
    ((3, 5), 64)
    """
    data, name = _array_and_name(image, "image")
    if data.ndim != 2:
        raise ValueError(f"{name} must be 2D; got shape {data.shape}")
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive integer number of pixels; got {size!r}")
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ValueError(f"cutout centre must be finite; got (x, y) = ({x}, {y})")
    try:
        rows, cols = overlap_slices(data.shape, (size, size), (y, x), mode="strict")[0]
    except (NoOverlapError, PartialOverlapError):
        raise ValueError(
            f"a {size}x{size} cutout centred on (x, y) = ({x}, {y}) does not fit inside "
            f"{name} of shape {data.shape} (rows, columns); move the centre at least "
            f"{size // 2} pixels from the edges or use a smaller size"
        ) from None
    x0, y0 = cols.start, rows.start
    stamp = data[rows, cols].copy()
    if not isinstance(image, Image):
        return stamp, (x0, y0)
    header = _shifted_header(image.header, x0, y0, size)
    wcs = None if image.wcs is None else image.wcs.slice((rows, cols))
    return Image(data=stamp, wcs=wcs, header=header, path=image.path), (x0, y0)
