"""Finding, and downloading, the real data sets used by pgmsim's examples.

Where the data live
-------------------
Data sets sit in one folder, laid out as ``<data_dir>/<dataset>/<filename>``
(for example ``<data_dir>/a1835_xmm/M2ptsrc.txt``). That folder is

1. the ``PGMSIM_DATA`` environment variable, when set; otherwise
2. ``$XDG_CACHE_HOME/pgmsim``, or ``~/.cache/pgmsim`` when ``XDG_CACHE_HOME``
   is unset.

Every function also takes ``data_home`` to name the folder explicitly.
:func:`fetch` downloads a data set into that folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["DATASETS", "XMM_PPS_URL", "A1835_REGIONS_URL", "data_dir", "a1835", "fetch"]

#: Registry of data sets: name -> file names inside ``<data_dir>/<name>/``.
DATASETS: dict[str, tuple[str, ...]] = {
    "a1835_xmm": (
        "P0098010101M2U009IMAGE_3000.FTZ",
        "P0098010101M2U009EXPMAP3000.FTZ",
        "P0098010101M2X000BKGMAP3000.FTZ",
        "M2ptsrc.txt",
    ),
}

#: Pipeline (PPS) products of XMM-Newton observation 0098010101, from the
#: XMM-Newton Science Archive as served by the HEASARC archive's file service.
XMM_PPS_URL = "https://heasarc.gsfc.nasa.gov/FTP/xmm/data/rev0/0098010101/PPS/"

#: The point-source region list is not an archive product: it comes with the
#: Stanford/KIPAC "Statistical Methods" course's X-ray image tutorial.
A1835_REGIONS_URL = (
    "https://raw.githubusercontent.com/KIPAC/StatisticalMethods/master/data/a1835_xmm/"
)

# Default location of each file of each data set (file name -> base URL).
_DEFAULT_SOURCES: dict[str, dict[str, str]] = {
    "a1835_xmm": {
        "P0098010101M2U009IMAGE_3000.FTZ": XMM_PPS_URL,
        "P0098010101M2U009EXPMAP3000.FTZ": XMM_PPS_URL,
        "P0098010101M2X000BKGMAP3000.FTZ": XMM_PPS_URL,
        "M2ptsrc.txt": A1835_REGIONS_URL,
    },
}

_A1835_KEYS = ("image", "expmap", "bkgmap", "regions")


def data_dir() -> Path:
    """Folder that holds pgmsim's data sets.

    Returns
    -------
    pathlib.Path
        ``$PGMSIM_DATA`` when that environment variable is set and not empty,
        else ``$XDG_CACHE_HOME/pgmsim``, else ``~/.cache/pgmsim``. The folder
        is not created and may not exist.

    Examples
    --------
    >>> from pgmsim.astro.datasets import data_dir
    >>> data_dir()  # doctest: +SKIP
    PosixPath('/home/me/.cache/pgmsim')
    """
    explicit = os.environ.get("PGMSIM_DATA")
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "pgmsim"


def _check_name(name: str) -> tuple[str, ...]:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(
            f"unknown data set {name!r}; known data sets: {', '.join(sorted(DATASETS))}"
        ) from None


def _root(data_home) -> Path:
    return Path(data_home).expanduser() if data_home is not None else data_dir()


def a1835(data_home=None) -> dict[str, Path]:
    """Paths to the XMM-Newton data of the galaxy cluster Abell 1835.

    EPIC MOS2 pipeline products of observation 0098010101: counts image,
    exposure map, particle-background map, plus the list of point-source
    regions (``x y radius``, 1-indexed pixels) from the KIPAC course tutorial.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder holding the data sets; the files are looked for in
        ``<data_home>/a1835_xmm/``. Defaults to :func:`data_dir`.

    Returns
    -------
    dict of str to pathlib.Path
        Keys ``"image"``, ``"expmap"``, ``"bkgmap"`` and ``"regions"``.

    Raises
    ------
    FileNotFoundError
        If any file is missing; the message says where it looked and how to
        get the files.

    Examples
    --------
    >>> from pgmsim.astro import datasets, io
    >>> paths = datasets.a1835()  # doctest: +SKIP
    >>> counts = io.read_image(paths["image"])  # doctest: +SKIP
    """
    name = "a1835_xmm"
    folder = _root(data_home) / name
    paths = {key: folder / filename for key, filename in zip(_A1835_KEYS, DATASETS[name])}
    missing = [p.name for p in paths.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"data set {name!r} is incomplete: {', '.join(missing)} not found in {folder}. "
            f"Either point the PGMSIM_DATA environment variable (or data_home) at a folder "
            f"holding {name}/ with these files, or run pgmsim.astro.datasets.fetch({name!r}) "
            f"to download them into {folder}. The FITS files are public pipeline products of "
            "XMM-Newton observation 0098010101 (EPIC MOS2) in the XMM-Newton Science "
            f"Archive, also served by the HEASARC at {XMM_PPS_URL}; M2ptsrc.txt comes from the KIPAC Statistical Methods "
            f"course ({A1835_REGIONS_URL})."
        )
    return paths


def fetch(name: str, base_url: str | None = None, data_home=None, overwrite: bool = False) -> Path:
    """Download a data set into the data folder.

    Files are fetched with `astropy.utils.data.download_file` (``cache=False``,
    so astropy's own cache is left alone) and moved to
    ``<data_home>/<name>/<filename>``. Files already there are kept unless
    `overwrite` is True.

    Parameters
    ----------
    name : str
        Data set name, a key of :data:`DATASETS` (e.g. ``"a1835_xmm"``).
    base_url : str, optional
        Fetch every file from ``<base_url>/<filename>`` (any URL that
        `download_file` reads, including ``file://`` and mirrors). By default
        each file comes from its public source: for ``"a1835_xmm"`` the FITS
        products from the XMM-Newton Science Archive's product service
        (:data:`XMM_PPS_URL`, HEASARC) and the region list from the KIPAC
        course repository (:data:`A1835_REGIONS_URL`).
    data_home : str or os.PathLike, optional
        Destination folder; defaults to :func:`data_dir`.
    overwrite : bool, optional
        Download files even when already present.

    Returns
    -------
    pathlib.Path
        The folder ``<data_home>/<name>`` holding the files.

    Raises
    ------
    ValueError
        If `name` is not a known data set.
    OSError
        If a download fails; the message gives the URL. Files already moved
        into place are kept.

    Examples
    --------
    >>> from pgmsim.astro import datasets
    >>> datasets.fetch("a1835_xmm")  # doctest: +SKIP
    >>> datasets.fetch("a1835_xmm", base_url="https://my.mirror/a1835_xmm/")  # doctest: +SKIP
    """
    from astropy.utils.data import download_file  # astropy loads only to download

    filenames = _check_name(name)
    folder = _root(data_home) / name
    folder.mkdir(parents=True, exist_ok=True)
    for filename in filenames:
        target = folder / filename
        if target.is_file() and not overwrite:
            continue
        base = base_url if base_url is not None else _DEFAULT_SOURCES[name][filename]
        url = base.rstrip("/") + "/" + filename
        try:
            downloaded = download_file(url, cache=False, show_progress=False)
        except OSError as err:  # URLError, HTTPError and timeouts are all OSErrors
            raise OSError(
                f"could not download {url} for data set {name!r} ({err}); check the "
                "network or pass base_url pointing at a mirror holding the files"
            ) from err
        partial = target.with_name(target.name + ".part")
        shutil.move(downloaded, partial)
        os.replace(partial, target)
    return folder
