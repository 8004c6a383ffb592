"""Tests for pgmsim.astro.io: FITS images, regions, masks, plates and cutouts."""

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from pgmsim.astro import io

IMAGE = "P0098010101M2U009IMAGE_3000.FTZ"
EXPMAP = "P0098010101M2U009EXPMAP3000.FTZ"
BKGMAP = "P0098010101M2X000BKGMAP3000.FTZ"


@pytest.fixture(scope="module")
def a1835_dir(shared_data):
    path = shared_data / "a1835_xmm"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="module")
def real_images(a1835_dir):
    return io.load_counts_exposure(a1835_dir / IMAGE, a1835_dir / EXPMAP, a1835_dir / BKGMAP)


def _tan_header(shape, crval=(210.26, 42.88), cdelt=1e-3):
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crpix = [shape[1] / 2 + 0.5, shape[0] / 2 + 0.5]
    wcs.wcs.crval = list(crval)
    wcs.wcs.cdelt = [-cdelt, cdelt]
    return wcs.to_header()


def _write(path, data, header=None):
    fits.PrimaryHDU(data=data, header=header).writeto(path)
    return path


# --- real data -------------------------------------------------------------


def test_real_counts_image(real_images):
    counts = real_images["counts"]
    assert counts.shape == (648, 648)
    assert counts.data.dtype == np.int64
    assert counts.data.sum() == 36174
    assert counts.wcs is not None and counts.wcs.has_celestial
    assert list(counts.wcs.wcs.ctype) == ["RA---TAN", "DEC--TAN"]
    assert counts.path.name == IMAGE


def test_real_exposure_and_background(real_images):
    exposure, background = real_images["exposure"], real_images["background"]
    assert exposure.data.dtype == np.float64 and background.data.dtype == np.float64
    assert exposure.shape == background.shape == (648, 648)
    assert exposure.data.max() == pytest.approx(28168, rel=1e-3)
    assert background.data.sum() == pytest.approx(1.14e4, rel=1e-2)


def test_real_regions(a1835_dir):
    regions = io.read_regions(a1835_dir / "M2ptsrc.txt")
    assert len(regions) == 26
    first = np.loadtxt(a1835_dir / "M2ptsrc.txt")[0]
    assert (regions["x"][0], regions["y"][0]) == (first[0] - 1, first[1] - 1)
    assert regions["radius"][0] == first[2]
    assert regions.meta["index_origin"] == 0


def test_real_mask_covers_sources(a1835_dir, real_images):
    regions = io.read_regions(a1835_dir / "M2ptsrc.txt")
    mask = io.region_mask(real_images["counts"].shape, regions)
    x, y = int(regions["x"][0]), int(regions["y"][0])
    assert mask[y, x]  # [row, col]: the first source centre is masked
    yy, xx = np.mgrid[:648, :648]
    expected = np.zeros((648, 648), dtype=bool)
    for row in regions:
        expected |= (xx - row["x"]) ** 2 + (yy - row["y"]) ** 2 <= row["radius"] ** 2
    np.testing.assert_array_equal(mask, expected)
    assert 0 < mask.sum() < np.sum(np.pi * (np.asarray(regions["radius"]) + 1) ** 2)


@pytest.mark.filterwarnings("ignore::astropy.wcs.FITSFixedWarning")
def test_real_cutout_keeps_sky_positions(real_images):
    counts = real_images["counts"]
    stamp, (x0, y0) = io.cutout(counts, x=300.2, y=310.7, size=21)
    assert stamp.shape == (21, 21)
    assert (x0, y0) == (300 - 10, 311 - 10)
    np.testing.assert_array_equal(stamp.data, counts.data[y0 : y0 + 21, x0 : x0 + 21])
    sky_stamp = stamp.wcs.pixel_to_world(3, 5)
    sky_full = counts.wcs.pixel_to_world(x0 + 3, y0 + 5)
    assert sky_stamp.separation(sky_full).arcsec < 1e-6
    again = WCS(stamp.header)  # the shifted header carries the same WCS
    assert again.pixel_to_world(3, 5).separation(sky_full).arcsec < 1e-6


# --- read_image ------------------------------------------------------------


def test_read_image_keeps_integers_and_converts_floats(tmp_path):
    ints = _write(tmp_path / "counts.fits", np.arange(12, dtype=np.int16).reshape(3, 4))
    floats = _write(tmp_path / "exp.fits", np.ones((3, 4), dtype=np.float32))
    assert io.read_image(ints).data.dtype == np.int64
    image = io.read_image(floats)
    assert image.data.dtype == np.float64
    assert image.wcs is None  # no WCS keywords in the header


def test_read_image_finds_image_extension(tmp_path):
    data = np.arange(6.0).reshape(2, 3)
    hdul = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="SCI")])
    hdul.writeto(tmp_path / "ext.fits")
    np.testing.assert_array_equal(io.read_image(tmp_path / "ext.fits").data, data)
    np.testing.assert_array_equal(io.read_image(tmp_path / "ext.fits", hdu="SCI").data, data)
    with pytest.raises(ValueError, match="HDU 0 .* not a 2D image"):
        io.read_image(tmp_path / "ext.fits", hdu=0)


def test_read_image_without_image_hdu(tmp_path):
    table = fits.BinTableHDU.from_columns([fits.Column(name="START", format="D", array=[1.0])])
    path = tmp_path / "table_only.fits"
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
    with pytest.raises(ValueError, match="table_only.fits holds no 2D image") as err:
        io.read_image(path)
    assert "BinTableHDU" in str(err.value) and "PrimaryHDU" in str(err.value)


def test_read_image_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.fits"):
        io.read_image(tmp_path / "nothere.fits")


def test_load_counts_exposure_rejects_shape_mismatch(tmp_path):
    counts = _write(tmp_path / "counts.fits", np.zeros((8, 8), dtype=np.int32))
    exposure = _write(tmp_path / "exposure.fits", np.ones((8, 6), dtype=np.float32))
    with pytest.raises(ValueError) as err:
        io.load_counts_exposure(counts, exposure)
    message = str(err.value)
    assert "counts.fits" in message and "exposure.fits" in message
    assert "(8, 8)" in message and "(8, 6)" in message


def test_load_counts_exposure_rejects_wcs_mismatch(tmp_path):
    counts = _write(tmp_path / "c.fits", np.zeros((8, 8), dtype=np.int32), _tan_header((8, 8)))
    shifted = _tan_header((8, 8), crval=(210.27, 42.88))
    exposure = _write(tmp_path / "e.fits", np.ones((8, 8), dtype=np.float32), shifted)
    with pytest.raises(ValueError, match="e.fits.*offset"):
        io.load_counts_exposure(counts, exposure)
    same = _write(tmp_path / "e2.fits", np.ones((8, 8), dtype=np.float32), _tan_header((8, 8)))
    assert set(io.load_counts_exposure(counts, same)) == {"counts", "exposure"}


def test_check_same_shape():
    assert io.check_same_shape(a=np.zeros((2, 3)), b=np.zeros((2, 3))) == (2, 3)
    with pytest.raises(ValueError, match=r"a has shape \(2, 3\), b has shape \(3, 2\)"):
        io.check_same_shape(a=np.zeros((2, 3)), b=np.zeros((3, 2)))


# --- regions ---------------------------------------------------------------


def test_read_regions_formats(tmp_path):
    path = tmp_path / "regions.reg"
    path.write_text(
        "# Region file format: DS9 version 4.1\n"
        "global color=green width=1\n"
        "image\n"
        "\n"
        "10 20 3.5\n"
        "circle(5.5,6,2) # color=red\n"
        "image;circle(1, 1, 1)\n"
    )
    regions = io.read_regions(path)
    np.testing.assert_array_equal(regions["x"], [9.0, 4.5, 0.0])
    np.testing.assert_array_equal(regions["y"], [19.0, 5.0, 0.0])
    np.testing.assert_array_equal(regions["radius"], [3.5, 2.0, 1.0])


@pytest.mark.parametrize(
    "bad", ["12 13", "12 13 abc", "circle(1,2)", "1 2 -3", "fk5;circle(210.2,42.8,5\")"]
)
def test_read_regions_malformed_line(tmp_path, bad):
    path = tmp_path / "bad.txt"
    path.write_text("# comment\n1 2 3\n" + bad + "\n")
    with pytest.raises(ValueError, match=r"bad\.txt, line 3") as err:
        io.read_regions(path)
    assert repr(bad) in str(err.value)


def test_read_regions_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.txt"):
        io.read_regions(tmp_path / "absent.txt")


def test_region_mask_matches_direct_distance():
    shape = (23, 31)
    regions = {
        "x": [4.3, 20.0, 30.5, -2.0],
        "y": [5.6, 11.0, 0.2, 22.0],
        "radius": [3.2, 4.0, 2.5, 3.1],
    }
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    expected = np.zeros(shape, dtype=bool)
    for x, y, r in zip(regions["x"], regions["y"], regions["radius"]):
        expected |= np.hypot(xx - x, yy - y) <= r
    mask = io.region_mask(shape, regions)
    np.testing.assert_array_equal(mask, expected)
    assert mask[11, 16] and mask[11, 24] and not mask[11, 25]  # radius 4 about (20, 11)
    assert mask.sum() > 0


def test_region_mask_array_input_and_bad_radius():
    mask = io.region_mask((5, 5), [[2, 2, 1]])
    assert mask.sum() == 5 and mask[2, 2] and mask[1, 2] and not mask[1, 1]
    with pytest.raises(ValueError, match="radii"):
        io.region_mask((5, 5), [[2, 2, -1]])


# --- plates ----------------------------------------------------------------


def test_plate_round_trip():
    rng = np.random.default_rng(1)
    image = rng.poisson(3.0, size=(7, 9))
    keep = rng.random((7, 9)) > 0.3
    plate = io.image_to_plate(image, keep=keep)
    assert len(plate["values"]) == keep.sum()
    np.testing.assert_array_equal(plate["values"], image[keep])
    rows, cols = np.nonzero(keep)
    np.testing.assert_array_equal(plate["x"], cols)  # x is the column
    np.testing.assert_array_equal(plate["y"], rows)  # y is the row
    back = io.plate_to_image(plate["values"], plate["index"], image.shape, fill=-1)
    assert back.dtype == image.dtype
    np.testing.assert_array_equal(back, np.where(keep, image, -1))
    with_nan = io.plate_to_image(plate["values"], plate["index"], image.shape)
    assert np.isnan(with_nan[~keep]).all() and (with_nan[keep] == image[keep]).all()
    full = io.image_to_plate(image)
    restored = io.plate_to_image(full["values"], full["index"], image.shape)
    np.testing.assert_array_equal(restored, image)


def test_plate_bad_inputs():
    image = np.zeros((3, 4))
    with pytest.raises(ValueError, match="boolean"):
        io.image_to_plate(image, keep=np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"\(3, 4\)"):
        io.image_to_plate(image, keep=np.ones((4, 3), dtype=bool))
    with pytest.raises(ValueError, match="equal length"):
        io.plate_to_image([1.0, 2.0], [0], (3, 4))
    with pytest.raises(ValueError, match=r"\[0, 12\)"):
        io.plate_to_image([1.0], [12], (3, 4))


# --- cutouts ---------------------------------------------------------------


def test_cutout_array():
    image = np.arange(100).reshape(10, 10)
    stamp, (x0, y0) = io.cutout(image, x=4, y=6, size=3)
    assert (x0, y0) == (3, 5)
    np.testing.assert_array_equal(stamp, image[5:8, 3:6])
    assert stamp[1, 1] == image[6, 4]


def test_cutout_outside_image():
    with pytest.raises(ValueError, match=r"\(x, y\) = \(1, 5\).*\(10, 12\)"):
        io.cutout(np.zeros((10, 12)), x=1, y=5, size=5)
    with pytest.raises(ValueError, match="positive integer"):
        io.cutout(np.zeros((10, 12)), x=5, y=5, size=0)
