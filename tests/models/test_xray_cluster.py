"""Tests of the galaxy-cluster model: structure, the A1835 loader, likelihood, recovery."""

import math

import numpy as np
import pytest
from astropy.io import fits
from scipy import special

import pgmsim as pg
from pgmsim.astro.io import read_image
from pgmsim.draw.layout import layout
from pgmsim.fit.optimize import MapWarning
from pgmsim.models import xray_cluster
from pgmsim.astro.profiles import radial_profile

A1835 = "a1835_xmm"
FILES = {"image": "P0098010101M2U009IMAGE_3000.FTZ",
         "expmap": "P0098010101M2U009EXPMAP3000.FTZ",
         "bkgmap": "P0098010101M2X000BKGMAP3000.FTZ",
         "regions": "M2ptsrc.txt"}


@pytest.fixture(scope="module")
def paths(shared_data):
    return {k: shared_data / A1835 / v for k, v in FILES.items()}


@pytest.fixture(scope="module")
def real(paths):
    """The A1835 plate from the loader, the raw maps read independently, the kept pixels."""
    inputs, data, keep = xray_cluster.load(**paths)
    raw = {k: fits.getdata(paths[k]) for k in ("image", "expmap", "bkgmap")}
    return inputs, data, raw, keep


def _independent_keep(paths, raw):
    """Kept pixels, computed without pgmsim: exposed and outside every circle."""
    regions = np.loadtxt(paths["regions"], ndmin=2)
    ny, nx = raw["image"].shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    masked = np.zeros((ny, nx), bool)
    for x1, y1, radius in regions:  # the file counts pixels from 1
        masked |= (xx - (x1 - 1)) ** 2 + (yy - (y1 - 1)) ** 2 <= radius ** 2
    return (raw["expmap"] > 0) & ~masked, masked


def _hand_mu(p, inputs):
    r2 = (inputs["x"] - p["x0"]) ** 2 + (inputs["y"] - p["y0"]) ** 2
    s = p["S0"] * (1 + r2 / p["rc"] ** 2) ** (-3 * p["beta"] + 0.5)
    if "S02" in p:
        s = s + p["S02"] * (1 + r2 / p["rc2"] ** 2) ** (-3 * p["beta2"] + 0.5)
    return (s + p["b"]) * inputs["ex"] + inputs["pb"]


def _hand_loglike(counts, mu):
    return np.sum(counts * np.log(mu) - mu - special.gammaln(counts + 1.0))


# ---------------------------------------------------------------------------
# structure


def test_factorization_one_component():
    text = str(xray_cluster.build().factorization())
    assert text == ("p(x0, y0, S0, rc, beta, b, {N_k}) = p(x0) p(y0) p(S0) p(rc) p(beta) "
                    "p(b) prod_k p(N_k | x0, y0, S0, rc, beta, b)")


def test_factorization_two_components():
    text = str(xray_cluster.build(two_components=True).factorization())
    assert text == ("p(x0, y0, S0, rc, beta, S02, rc2, beta2, b, {N_k}) = p(x0) p(y0) p(S0) "
                    "p(rc) p(beta) p(S02) p(rc2 | rc) p(beta2) p(b) "
                    "prod_k p(N_k | x0, y0, S0, rc, beta, S02, rc2, beta2, b)")


@pytest.mark.parametrize("two", [False, True])
def test_render_has_no_layout_problems(two):
    model = xray_cluster.build(two_components=two)
    assert layout(model).problems() == []
    assert model.render() is not None


def test_core_radii_are_ordered_by_the_prior():
    inputs = xray_cluster.default_inputs(size=32)
    model = xray_cluster.build(two_components=True, keep=xray_cluster.default_keep(size=32))
    sim = model.simulate(inputs=inputs, seed=3)
    post = model.posterior(data={"N": sim["N"]}, inputs=inputs)
    draws = post.unpack(post.sample_prior(seed=1, n=2000))
    assert np.all(draws["rc"] < draws["rc2"])
    swapped = dict(xray_cluster.TRUTH_TWO_COMPONENTS)
    swapped["rc"], swapped["rc2"] = swapped["rc2"], swapped["rc"]
    assert post.log_prior(post.pack(swapped)) == -np.inf
    assert np.isfinite(post.log_prior(post.pack(xray_cluster.TRUTH_TWO_COMPONENTS)))


def test_default_inputs_and_their_image():
    inputs = xray_cluster.default_inputs(seed=2, size=64)
    keep = xray_cluster.default_keep(seed=2, size=64)
    model = xray_cluster.build(keep=keep)
    image = model.image(inputs["ex"])
    assert image.shape == (64, 64)
    np.testing.assert_array_equal(np.isnan(image), ~keep)
    gap = np.flatnonzero(np.all(np.isnan(image), axis=0))
    assert len(gap) == 3 and np.all(np.diff(gap) == 1) and gap[0] > 32
    assert np.all(inputs["ex"] > 0) and np.all(inputs["pb"] > 0)
    # vignetting: exposure falls from the optical axis, to >70% at the corners
    assert 0.7 < inputs["ex"].min() / inputs["ex"].max() < 0.95
    with pytest.raises(ValueError, match="plate 'pixels' has 3904 elements"):
        model.image(inputs["ex"][:-1])
    # a model declared for other pixels (here the full image) names the plate and keep=
    with pytest.raises(ValueError, match=r"plate 'pixels' has size 4096 .*build\(\.\.\., keep=mask\)"):
        xray_cluster.build(size=64).simulate(inputs=inputs, params=xray_cluster.TRUTH)
    with pytest.raises(pg.ModelError, match=r"mask must be a boolean image"):
        xray_cluster.build(keep=keep.astype(int))


def test_expected_counts_matches_the_graph():
    inputs = xray_cluster.default_inputs(size=32)
    model = xray_cluster.build(two_components=True, keep=xray_cluster.default_keep(size=32))
    truth = dict(xray_cluster.TRUTH_TWO_COMPONENTS, x0=15.2, y0=17.1)
    sim = model.simulate(inputs=inputs, params=truth, seed=0)
    np.testing.assert_allclose(xray_cluster.expected_counts(truth, inputs), sim["mu"],
                               rtol=1e-12)
    np.testing.assert_allclose(_hand_mu(truth, inputs), sim["mu"], rtol=1e-12)
    batch = {k: np.array([v, v]) for k, v in truth.items()}
    assert xray_cluster.expected_counts(batch, inputs).shape == (2, len(inputs["x"]))


# ---------------------------------------------------------------------------
# the real A1835 image


def test_load_plate_matches_an_independent_mask(paths, real):
    inputs, data, raw, loaded_keep = real
    keep, masked = _independent_keep(paths, raw)
    np.testing.assert_array_equal(loaded_keep, keep)
    ny, nx = raw["image"].shape
    assert (ny, nx) == (648, 648)
    # every plate vector has one entry per kept pixel: 648*648 minus the masked
    # point-source pixels minus the unexposed ones
    n_dropped = int(np.sum(masked | (raw["expmap"] <= 0)))
    assert n_dropped == int(np.sum(masked & (raw["expmap"] > 0))) + int(
        np.sum(raw["expmap"] <= 0))
    for name in ("ex", "pb", "x", "y"):
        assert inputs[name].shape == (648 * 648 - n_dropped,)
    assert data["N"].shape == (648 * 648 - n_dropped,)
    x, y = inputs["x"].astype(int), inputs["y"].astype(int)
    np.testing.assert_array_equal(keep[y, x], True)
    assert keep.sum() == x.size
    np.testing.assert_array_equal(data["N"], raw["image"][y, x])
    np.testing.assert_array_equal(inputs["ex"], raw["expmap"][y, x])
    np.testing.assert_array_equal(inputs["pb"], raw["bkgmap"][y, x])
    # the dropped unexposed pixels hold no counts (the model's mu = pb there)
    assert raw["image"][raw["expmap"] <= 0].sum() == 0
    image = xray_cluster.build(keep=loaded_keep).image(data["N"], fill=-1)
    np.testing.assert_array_equal(image, np.where(keep, raw["image"], -1))


@pytest.mark.parametrize("two", [False, True])
def test_log_likelihood_equals_hand_written_sum(real, two):
    inputs, data, _, keep = real
    model = xray_cluster.build(two_components=two, keep=keep)
    post = model.posterior(data=data, inputs=inputs)
    point = {"x0": 327.6, "y0": 347.2, "S0": 6e-3, "rc": 4.5, "beta": 0.64, "b": 2e-7}
    if two:
        point.update(S0=8e-3, rc=3.0, beta=0.9, S02=1.5e-3, rc2=12.0, beta2=0.62)
    counts = data["N"].astype(float)
    expected = _hand_loglike(counts, _hand_mu(point, inputs))
    got = post.log_likelihood(post.pack(point))
    assert abs(got - expected) <= 1e-10 * abs(expected)
    batch = np.array([post.pack(point), post.pack(dict(point, x0=320.0, rc=6.0))])
    expected2 = _hand_loglike(counts, _hand_mu(dict(point, x0=320.0, rc=6.0), inputs))
    np.testing.assert_allclose(post.log_likelihood(batch), [expected, expected2],
                               rtol=1e-10, atol=0)


def test_dropping_unexposed_pixels_changes_the_likelihood_by_a_constant(paths, real):
    """With every exposed or unexposed pixel kept (point sources still masked), the
    log-likelihood differs from the loader's by the same constant at any point."""
    inputs, data, raw, _ = real
    _, masked = _independent_keep(paths, raw)
    yy, xx = np.nonzero(~masked)
    full = {"x": xx.astype(float), "y": yy.astype(float),
            "ex": raw["expmap"][yy, xx].astype(float), "pb": raw["bkgmap"][yy, xx].astype(float)}
    counts_full = raw["image"][yy, xx].astype(float)
    counts = data["N"].astype(float)
    points = [{"x0": 327.6, "y0": 347.2, "S0": 6e-3, "rc": 4.5, "beta": 0.64, "b": 2e-7},
              {"x0": 300.0, "y0": 360.0, "S0": 1e-3, "rc": 20.0, "beta": 1.2, "b": 1e-5}]
    gaps = [_hand_loglike(counts_full, _hand_mu(p, full)) - _hand_loglike(counts, _hand_mu(p, inputs))
            for p in points]
    assert gaps[0] == pytest.approx(gaps[1], rel=0, abs=1e-6)


def test_load_errors_name_the_file(paths, tmp_path):
    bad_regions = tmp_path / "regions.txt"
    bad_regions.write_text("231 398 9.66\n187 417\n")
    with pytest.raises(ValueError, match=r"regions\.txt, line 2"):
        xray_cluster.load(paths["image"], paths["expmap"], paths["bkgmap"], bad_regions)

    table_only = tmp_path / "table_only.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(
        [fits.Column(name="a", format="E", array=np.zeros(3))])]).writeto(table_only)
    with pytest.raises(ValueError, match=r"table_only\.fits holds no 2D image HDU"):
        xray_cluster.load(table_only, paths["expmap"], paths["bkgmap"], paths["regions"])

    small = tmp_path / "small_expmap.fits"
    fits.PrimaryHDU(np.ones((100, 100), np.float32)).writeto(small)
    with pytest.raises(ValueError, match=r"small_expmap\.fits\) has shape \(100, 100\)"):
        xray_cluster.load(paths["image"], small, paths["bkgmap"], paths["regions"])

    negative = tmp_path / "negative_bkg.fits"
    data = fits.getdata(paths["bkgmap"]).copy()
    data[10, 20] = -1.0
    fits.PrimaryHDU(data).writeto(negative)
    with pytest.raises(ValueError, match=r"negative_bkg\.fits has 1 negative"):
        xray_cluster.load(paths["image"], paths["expmap"], negative, paths["regions"])

    with pytest.raises(FileNotFoundError, match="missing.fits"):
        xray_cluster.load(tmp_path / "missing.fits", paths["expmap"], paths["bkgmap"],
                          paths["regions"])


def test_map_on_the_real_image_finds_the_brightest_cluster_galaxy(real, paths):
    """The MAP centre lies within 2 pixels (8 arcsec) of the optical position of
    the cluster's brightest galaxy, 14h01m02.1s +02d52m42s (J2000): the X-ray peak
    of a relaxed cool-core cluster sits on its BCG, and XMM-Newton's pointing
    accuracy is about 2 arcsec."""
    from astropy.coordinates import SkyCoord

    wcs = read_image(paths["image"]).wcs.celestial
    bcg = wcs.world_to_pixel(SkyCoord("14h01m02.1s", "+02d52m42s"))
    inputs, data, _, keep = real
    post = xray_cluster.build(keep=keep).posterior(data=data, inputs=inputs)
    guess = xray_cluster.initial_guess(inputs, data)
    found = post.find_map(initial=guess, n_starts=0, seed=0)
    assert found.success
    assert math.hypot(found.params["x0"] - bcg[0], found.params["y0"] - bcg[1]) < 2.0
    assert found.log_prob > post.log_prob(post.pack(guess))


# ---------------------------------------------------------------------------
# recovery of the truth on mocks


def _recover(two, size, truth, nsteps, seed):
    inputs = xray_cluster.default_inputs(seed=seed, size=size)
    model = xray_cluster.build(two_components=two,
                               keep=xray_cluster.default_keep(seed=seed, size=size))
    sim = model.simulate(inputs=inputs, params=truth, seed=seed)
    data = {"N": sim["N"]}
    post = model.posterior(data=data, inputs=inputs)
    guess = xray_cluster.initial_guess(inputs, data, two_components=two)
    # on these small stamps few background counts constrain b, and its
    # LogUniform density (1 / b) rises towards the lower bound: the MAP sits on
    # the bound, and find_map says so; the walkers move away from it
    with pytest.warns(MapWarning, match="on the bound of the prior of b"):
        found = post.find_map(initial=guess, n_starts=0, seed=seed)
    res = pg.sample(post, nwalkers=32, nsteps=nsteps, seed=seed, initial=found,
                    progress=False)
    return sim, inputs, post, res


def test_truth_recovery_one_component():
    truth = {"x0": 30.6, "y0": 33.4, "S0": 4e-3, "rc": 5.0, "beta": 0.7, "b": 4e-6}
    sim, inputs, post, res = _recover(False, 64, truth, 600, seed=11)
    samples = res.flat_samples(discard=200)
    lo, hi = np.percentile(samples, [0.5, 99.5], axis=0)
    theta = post.pack(truth)
    for name, t, a, b in zip(post.param_names, theta, lo, hi):
        assert a < t < b, f"{name}: truth {t} outside the 99% interval [{a}, {b}]"
    assert 0.2 < np.mean(res.acceptance_fraction) < 0.8
    # the data agree with the model at the posterior median, annulus by annulus
    median = post.unpack(np.median(samples, axis=0))
    mu = xray_cluster.expected_counts(median, inputs)
    data = radial_profile(sim["N"], inputs["x"], inputs["y"], (truth["x0"], truth["y0"]), 12)
    model = radial_profile(mu, inputs["x"], inputs["y"], (truth["x0"], truth["y0"]), 12)
    full = data.npix > 0
    chi2 = np.sum((data.total[full] - model.total[full]) ** 2 / model.total[full])
    assert chi2 < full.sum() + 4 * math.sqrt(2 * full.sum())


def test_truth_recovery_two_components():
    truth = dict(xray_cluster.TRUTH_TWO_COMPONENTS, x0=40.3, y0=43.6)
    _, _, post, res = _recover(True, 80, truth, 1000, seed=5)
    samples = res.flat_samples(discard=400)
    lo, hi = np.percentile(samples, [0.5, 99.5], axis=0)
    theta = post.pack(truth)
    for name, t, a, b in zip(post.param_names, theta, lo, hi):
        assert a < t < b, f"{name}: truth {t} outside the 99% interval [{a}, {b}]"


def test_profile_figure_on_a_mock():
    inputs = xray_cluster.default_inputs(seed=1, size=48)
    truth = dict(xray_cluster.TRUTH, x0=23.5, y0=25.2)
    model = xray_cluster.build(keep=xray_cluster.default_keep(seed=1, size=48))
    sim = model.simulate(inputs=inputs, params=truth, seed=1)
    post = model.posterior(data={"N": sim["N"]}, inputs=inputs)
    res = pg.sample(post, nwalkers=16, nsteps=60, seed=1, initial=truth, progress=False)
    fig = xray_cluster.profile_figure(res, inputs, {"N": sim["N"]}, bins=10, ndraws=30)
    main, residuals = fig.axes
    assert main.get_xscale() == main.get_yscale() == "log"
    labels = main.get_legend_handles_labels()[1]
    assert "data" in labels and "background (b ex + pb)" in labels
