"""The CCD calibration model, its exact simulation, the classic recipe and the fit."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from pgmsim.astro import calibration
from pgmsim.draw.layout import layout
from pgmsim.models import ccd_frames

PARAMS = list(ccd_frames.TRUTH)


@pytest.fixture(scope="module")
def mock():
    """One calibration set from the exact process (Poisson electrons, read noise, rounding)."""
    return ccd_frames.simulate_calibration_set(seed=11)


@pytest.fixture(scope="module")
def fit(mock):
    """MAP from the classic guess, then a short emcee run from the Laplace approximation."""
    return ccd_frames.generative_estimates(mock, nwalkers=32, nsteps=400, seed=3)


def test_factorization_is_pinned():
    assert str(ccd_frames.build().factorization()) == (
        "p(bias, gain, rn, dark, lamp, vig, sky, F, x0, y0, width, {adu_k}) = p(bias) "
        "p(gain) p(rn) p(dark) p(lamp) p(vig) p(sky) p(F) p(x0) p(y0) p(width) "
        "prod_k p(adu_k | bias, gain, rn, dark, lamp, vig, sky, F, x0, y0, width)")
    assert str(ccd_frames.build(exact=True).factorization()) == (
        "p(bias, gain, rn, dark, lamp, vig, sky, F, x0, y0, width, {ne_k}, {adu_k}) = "
        "p(bias) p(gain) p(rn) p(dark) p(lamp) p(vig) p(sky) p(F) p(x0) p(y0) p(width) "
        "prod_k [p(ne_k | dark, lamp, vig, sky, F, x0, y0, width) "
        "p(adu_k | bias, gain, rn, ne_k)]")


@pytest.mark.parametrize("exact", [False, True])
def test_layout_is_clean_and_renders(exact, tmp_path):
    model = ccd_frames.build(exact=exact)
    assert layout(model).problems() == []
    pgm = model.render(observed=not exact)
    pgm.savefig(tmp_path / "pgm.png")
    plt.close(pgm.figure)
    assert (tmp_path / "pgm.png").stat().st_size > 10_000


def test_calibration_set_has_the_planned_frames(mock):
    inputs = ccd_frames.default_inputs()
    assert mock.kinds.tolist() == ["bias"] * 5 + ["dark"] * 3 + ["flat"] * 5 + ["science"]
    assert mock.cube.shape == (14, 32, 32)
    assert np.array_equal(mock.adu, np.round(mock.adu))           # integer ADU
    assert np.all(mock.electrons[:5 * 1024] == 0)                  # biases: no electrons
    stacked = ccd_frames.build().image(mock.adu)
    assert stacked.shape == (14 * 32, 32)
    np.testing.assert_array_equal(stacked.reshape(14, 32, 32), mock.cube)
    assert np.array_equal(ccd_frames.view_image(stacked, inputs), mock.frames("science")[0])
    assert (mock.exptime("dark"), mock.exptime("flat"), mock.exptime("science")) == (300, 10, 120)
    # the star is where TRUTH puts it
    y, x = np.unravel_index(np.argmax(mock.frames("science")[0]), (32, 32))
    assert abs(x - ccd_frames.TRUTH["x0"]) <= 1 and abs(y - ccd_frames.TRUTH["y0"]) <= 1


def test_exact_simulation_has_the_moments_of_the_inference_model(mock):
    """Standardised with the Normal model's mean and sd, the exact draws of each
    kind of frame have mean 0 and variance 1 within their Monte Carlo error."""
    nodes = ccd_frames.build().simulate(inputs=mock.inputs, params=mock.params, seed=0)
    z = (mock.adu - nodes["mu"]) / nodes["sd"]
    kinds = np.repeat(mock.kinds, 32 * 32)
    for kind in ("bias", "dark", "flat", "science"):
        zk = z[kinds == kind]
        n = zk.size
        assert abs(zk.mean()) < 4 / np.sqrt(n), kind
        assert abs(zk.var() - 1) < 4 * np.sqrt(2 / n), kind


def _poisson_normal_ks(lam, read_noise):
    """Kolmogorov distance between Poisson(lam) + N(0, R^2) and its Normal approximation."""
    sd = np.sqrt(read_noise**2 + lam)
    x = np.linspace(lam - 7 * sd, lam + 7 * sd, 801)
    reach = 12 * np.sqrt(lam + 1) + 10      # the Poisson mass beyond is < 1e-20
    n = np.arange(max(0, int(lam - reach)), int(lam + reach))
    exact = stats.norm.cdf((x[:, None] - n) / read_noise) @ stats.poisson.pmf(n, lam)
    return np.max(np.abs(exact - stats.norm.cdf((x - lam) / sd)))


def test_normal_approximation_is_adequate_at_the_count_levels_of_the_frames():
    """With the demo's 5 e- read noise the approximation's CDF error stays below
    0.006 at all levels, the docstring's bound, far below the 0.04 sampling noise
    of a 32x32 frame's empirical CDF; sub-electron read noise breaks it."""
    rn = ccd_frames.TRUTH["rn"]
    levels = [0.0, 2.0, 6.0, 15.0, 50.0, 240.0, 2.0e4]  # bias .. science sky .. flats
    distances = [_poisson_normal_ks(lam, rn) for lam in levels]
    assert max(distances) < 0.006
    # the skewness bound of the docstring: 0.0665 * lam / (R^2 + lam)^1.5
    for lam, d in zip(levels, distances):
        assert d <= 0.0665 * lam / (rn**2 + lam) ** 1.5 * 1.05 + 1e-6
    # negative control: photon counting with 0.5 e- read noise
    assert _poisson_normal_ks(0.5, 0.5) > 1.36 / np.sqrt(32 * 32)


def test_posterior_recovers_the_truth(fit):
    samples = fit.flat_samples()
    low, high = np.percentile(samples, [0.5, 99.5], axis=0)
    truth = fit.posterior.pack(ccd_frames.TRUTH)
    outside = [n for n, lo, t, hi in zip(fit.param_names, low, truth, high) if not lo < t < hi]
    assert outside == []
    assert 0.2 < np.mean(fit.acceptance_fraction) < 0.7


def test_classic_recipe_and_model_agree_with_the_truth_and_model_is_more_precise(mock, fit):
    """Both recover the truth within their errors; the posterior widths are no
    larger than the scatter of the classic estimates over independent mocks,
    whose reported errors match that scatter."""
    table = ccd_frames.compare_estimates(mock, result=fit)
    assert list(table["quantity"]) == list(ccd_frames.CLASSIC_QUANTITIES)
    for row in table:
        assert abs(row["classic"] - row["truth"]) < 3.3 * row["classic_err"], row["quantity"]
        assert abs(row["model"] - row["truth"]) < 3.3 * row["model_err"], row["quantity"]
    n_mocks = 40
    estimates = {q: [] for q in ccd_frames.CLASSIC_QUANTITIES}
    errors = {q: [] for q in ccd_frames.CLASSIC_QUANTITIES}
    for seed in range(n_mocks):
        est = ccd_frames.classic_estimates(ccd_frames.simulate_calibration_set(seed=100 + seed))
        for q in estimates:
            estimates[q].append(est[q].value)
            errors[q].append(est[q].error)
    tolerance = 3.0 / np.sqrt(2 * (n_mocks - 1))   # relative error of a standard deviation
    for row in table:
        q = row["quantity"]
        scatter = np.std(estimates[q], ddof=1)
        assert abs(np.mean(errors[q]) / scatter - 1) < tolerance, q
        assert row["model_err"] < scatter * (1 + tolerance), q
    # the model uses all flats, not one pair: the gain is markedly better
    gain = table[table["quantity"] == "gain"][0]
    assert gain["model_err"] < 0.6 * np.std(estimates["gain"], ddof=1)


def test_laplace_walkers_start_near_the_mode_and_refuse_the_prior_edge(mock):
    post = ccd_frames.build().posterior(data={"adu": mock.adu}, inputs=mock.inputs)
    centre = post.pack(ccd_frames.TRUTH)
    walkers = ccd_frames.laplace_walkers(post, centre, 200, seed=1)
    assert walkers.shape == (200, post.ndim) and np.all(np.isfinite(post.log_prob(walkers)))
    # the spread is the posterior's: the bias to a few hundredths of an ADU
    assert 0.01 < walkers[:, 0].std() < 0.1
    edge = dict(ccd_frames.TRUTH, vig=0.0)   # on the prior's edge: no Laplace approximation
    with pytest.raises(ValueError):
        ccd_frames.laplace_walkers(post, post.pack(edge), 24, seed=1)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="nx must be a positive integer"):
        ccd_frames.build(nx=0)
    with pytest.raises(ValueError, match="nframes must be a positive integer"):
        ccd_frames.build(nframes=0)
    # a model declared for another plan of frames names its plate
    small = ccd_frames.default_inputs(n_bias=2, n_dark=1, n_flat=2)
    with pytest.raises(ValueError, match="plate 'pixels' has size 14336"):
        ccd_frames.build().simulate(inputs=small, params=ccd_frames.TRUTH)
    ccd_frames.build(nframes=6).simulate(inputs=small, params=ccd_frames.TRUTH)
    with pytest.raises(ValueError, match="at least 2 biases"):
        ccd_frames.default_inputs(n_bias=1)
    with pytest.raises(ValueError, match="t_flat must be positive"):
        ccd_frames.default_inputs(t_flat=0)
    inputs = ccd_frames.default_inputs()
    inputs["lamp_on"] = inputs["lamp_on"] + inputs["sky_on"]
    with pytest.raises(ValueError, match="both the lamp and the sky"):
        ccd_frames.frame_kinds(inputs)
    inputs = ccd_frames.default_inputs()
    inputs["t"] = inputs["t"].copy()
    inputs["t"][3] = 1.0
    with pytest.raises(ValueError, match="'t' must be constant within each frame"):
        ccd_frames.frame_kinds(inputs)
    with pytest.raises(ValueError, match="kind must be"):
        ccd_frames.simulate_calibration_set(seed=0).frames("twilight")


def test_calibration_recipe_steps():
    rng = np.random.default_rng(5)
    shape = (2, 48, 48)
    gain, rn, level = 1.5, 6.0, 30000.0
    biases = 500 + rng.normal(0, rn / gain, shape)
    flats = 500 + (rng.poisson(level, shape) + rng.normal(0, rn, shape)) / gain
    g, g_err = calibration.photon_transfer_gain(flats, biases)
    assert abs(g - gain) < 3.3 * g_err
    r, r_err = calibration.read_noise(biases, calibration.Estimate(g, g_err))
    assert abs(r - rn) < 3.3 * r_err
    flat = calibration.master_flat(flats, calibration.master_bias(biases))
    assert flat.shape == (48, 48) and abs(flat.mean() - 1) < 1e-12
    with pytest.raises(ValueError, match="two flats and two biases"):
        calibration.photon_transfer_gain(flats[:1], biases)
    with pytest.raises(ValueError, match="not brighter than the biases"):
        calibration.photon_transfer_gain(biases, biases[::-1])
    with pytest.raises(ValueError, match="master bias has shape"):
        calibration.master_dark(flats, np.zeros((4, 4)), 10.0)
    with pytest.raises(ValueError, match="positive exposure time"):
        calibration.master_dark(flats, np.zeros((48, 48)), 0.0)
    with pytest.raises(ValueError, match="master flat must be positive"):
        calibration.calibrate(flats[0], biases[0], np.zeros((48, 48)))
    with pytest.raises(ValueError, match="stack"):
        calibration.master_bias(np.zeros(5))
    with pytest.raises(ValueError, match="radius <= inner"):
        calibration.aperture_photometry(flats[0], 20, 20, 9, (8, 12))
