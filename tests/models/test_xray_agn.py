"""The AGN postage-stamp model on real point sources of the A1835 XMM-Newton image."""

import math

import numpy as np
import pytest
from astropy.io import fits

import pgmsim as pg
from pgmsim.astro.io import cutout
from pgmsim.models import xray_agn

A1835 = "a1835_xmm"
IMAGE = "P0098010101M2U009IMAGE_3000.FTZ"
EXPMAP = "P0098010101M2U009EXPMAP3000.FTZ"
REGIONS = "M2ptsrc.txt"


@pytest.fixture(scope="module")
def raw(shared_data):
    folder = shared_data / A1835
    return {"image": fits.getdata(folder / IMAGE), "expmap": fits.getdata(folder / EXPMAP),
            "regions": np.loadtxt(folder / REGIONS, ndmin=2)}


@pytest.mark.parametrize("index", [0, 9, 14])
def test_stamp_counts_equal_an_independent_cutout(shared_data, raw, index):
    size = 40
    x1, y1, _ = raw["regions"][index]
    whole = xray_agn.load_stamp(index, size=size, data_home=shared_data, mask_others=False)
    # centring as io.cutout, whose stamp must hold the same pixels
    stamp, origin = cutout(raw["image"], x1 - 1, y1 - 1, size)
    assert whole.origin == origin
    # unexposed pixels (a CCD gap crosses the stamp of source 0) are dropped
    exposed = cutout(raw["expmap"], x1 - 1, y1 - 1, size)[0] > 0
    assert len(whole.data["N"]) == exposed.sum()
    assert whole.data["N"].sum() == stamp.sum() == stamp[exposed].sum()
    np.testing.assert_array_equal(whole.keep, exposed)
    image = xray_agn.build(size, keep=whole.keep).image(whole.data["N"], fill=-1)
    np.testing.assert_array_equal(image, np.where(exposed, stamp, -1))
    # local coordinates map back to the image through the origin
    x, y = whole.inputs["x"].astype(int), whole.inputs["y"].astype(int)
    assert x.min() >= 0 and x.max() == size - 1 and y.min() == 0 and y.max() == size - 1
    np.testing.assert_array_equal(exposed[y, x], True)
    np.testing.assert_array_equal(whole.data["N"], raw["image"][y + origin[1], x + origin[0]])
    np.testing.assert_array_equal(whole.inputs["ex"],
                                  raw["expmap"][y + origin[1], x + origin[0]])
    assert whole.region[:2] == (x1 - 1 - origin[0], y1 - 1 - origin[1])

    # masking the other sources removes exactly their pixels
    masked = xray_agn.load_stamp(index, size=size, data_home=shared_data)
    yy, xx = np.mgrid[0:size, 0:size]
    inside_others = np.zeros((size, size), bool)
    for j, (xo, yo, ro) in enumerate(raw["regions"]):
        if j != index:
            inside_others |= ((xx + origin[0] - (xo - 1)) ** 2
                              + (yy + origin[1] - (yo - 1)) ** 2 <= ro ** 2)
    assert len(masked.data["N"]) == np.sum(exposed & ~inside_others)
    np.testing.assert_array_equal(masked.keep, exposed & ~inside_others)
    assert masked.data["N"].sum() == stamp[exposed & ~inside_others].sum()
    if index == 14:  # sources 8 and 9 lie next to source 14
        assert inside_others.any()


def test_stamp_near_the_edge_is_shifted_inside(tmp_path):
    # the A1835 field of view stays 118 pixels from the edges: use small maps
    rng = np.random.default_rng(4)
    counts = rng.poisson(3.0, size=(60, 50)).astype(np.int32)
    exposure = np.full((60, 50), 1.0e4, np.float32)
    fits.PrimaryHDU(counts).writeto(tmp_path / "counts.fits")
    fits.PrimaryHDU(exposure).writeto(tmp_path / "expmap.fits")
    (tmp_path / "edge.txt").write_text("3 58 2.0\n25 30 2.0\n")  # 1-indexed
    stamp = xray_agn.load_stamp(0, size=20, image=tmp_path / "counts.fits",
                                expmap=tmp_path / "expmap.fits",
                                regions=tmp_path / "edge.txt", mask_others=False)
    assert stamp.origin == (0, 60 - 20)
    assert stamp.region[:2] == (2.0, 57.0 - 40)
    assert len(stamp.data["N"]) == 400
    np.testing.assert_array_equal(
        xray_agn.build(20, keep=stamp.keep).image(stamp.data["N"], fill=0), counts[40:60, 0:20])
    centred = xray_agn.load_stamp(1, size=20, image=tmp_path / "counts.fits",
                                  expmap=tmp_path / "expmap.fits",
                                  regions=tmp_path / "edge.txt")
    assert centred.origin == (14, 19) and centred.region[:2] == (10.0, 10.0)


def test_stamp_errors(shared_data, tmp_path):
    with pytest.raises(ValueError, match=r"from 0 to 25 .*M2ptsrc\.txt"):
        xray_agn.load_stamp(26, data_home=shared_data)
    with pytest.raises(ValueError, match="size must be an integer from 1 to 648"):
        xray_agn.load_stamp(0, size=700, data_home=shared_data)
    bad = tmp_path / "bad.txt"
    bad.write_text("231 398 9.66\n187 417 six\n")
    folder = shared_data / A1835
    with pytest.raises(ValueError, match=r"bad\.txt, line 2"):
        xray_agn.load_stamp(0, image=folder / IMAGE, expmap=folder / EXPMAP, regions=bad)
    corner = tmp_path / "corner.txt"
    corner.write_text("10 10 3.0\n")
    with pytest.raises(ValueError, match="no exposed pixel"):
        xray_agn.load_stamp(0, image=folder / IMAGE, expmap=folder / EXPMAP, regions=corner)
    with pytest.raises(FileNotFoundError, match="a1835_xmm"):
        xray_agn.load_stamp(0, data_home=tmp_path)


@pytest.fixture(scope="module")
def bright(shared_data):
    """Source 0, the brightest of the list (about 580 counts in its circle)."""
    stamp = xray_agn.load_stamp(0, size=40, data_home=shared_data)
    post = xray_agn.build(40, keep=stamp.keep).posterior(data=stamp.data, inputs=stamp.inputs)
    found = post.find_map(seed=0)
    return stamp, post, found


def test_a_masked_stamp_needs_the_model_of_its_pixels(bright):
    stamp = bright[0]  # a CCD gap crosses the stamp of source 0
    assert not stamp.keep.all()
    with pytest.raises(ValueError, match=r"plate 'pixels' has size 1600 .*keep=mask"):
        xray_agn.build(40).posterior(data=stamp.data, inputs=stamp.inputs)


def test_map_of_a_bright_agn_sits_on_its_region(bright, raw):
    stamp, post, found = bright
    x1, y1, _ = raw["regions"][0]
    x_image = found.params["x0"] + stamp.origin[0]
    y_image = found.params["y0"] + stamp.origin[1]
    assert math.hypot(x_image - (x1 - 1), y_image - (y1 - 1)) < 2.0
    # at the MAP of a Poisson model with two free linear amplitudes (F, b) under
    # log-uniform priors, d/dlogF and d/dlogb of the log-posterior vanish:
    # sum(N - mu) = 2 exactly (1 per amplitude, from the -log prior terms)
    mu = xray_agn.build(40, keep=stamp.keep).simulate(inputs=stamp.inputs, params=found.params, seed=0)["mu"]
    assert np.sum(stamp.data["N"]) - np.sum(mu) == pytest.approx(2.0, abs=0.05)


def test_short_posterior_run_on_a_bright_agn(bright):
    stamp, post, found = bright
    res = pg.sample(post, nwalkers=24, nsteps=400, seed=2, initial=found, progress=False)
    assert 0.2 < np.mean(res.acceptance_fraction) < 0.8
    samples = res.flat_samples(discard=100)
    assert np.all(np.isfinite(res.log_prob))
    median = post.unpack(np.median(samples, axis=0))
    # the posterior lies around the MAP: within 4 posterior standard deviations
    std = samples.std(axis=0)
    assert np.all(np.abs(post.pack(median) - found.theta) < 4 * std)
    fig = xray_agn.stamp_figure(stamp.inputs, stamp.data, median, seed=3, keep=stamp.keep)
    assert len(fig.axes) == 5 and fig.axes[0].get_title() == "observed"


@pytest.mark.parametrize("size", [0, 2.5])
def test_a_bad_stamp_size_is_refused_naming_the_plate(size):
    with pytest.raises(pg.ModelError, match="plate 'pixels': shape must be two positive"):
        xray_agn.build(size=size)
