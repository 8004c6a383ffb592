"""Simulation-based calibration: the rank tests, a calibrated model passes,
wrong models and a chain that has not forgotten its start fail.

The full SBC of xray_agn (200 simulations) is validation/sbc_xray_agn.py.
"""

import numpy as np
import pytest
from matplotlib.figure import Figure

import pgmsim as pg
from pgmsim.models import xray_agn
from pgmsim.validate.sbc import SBCResult, rank_uniformity

# each "passes" assertion below is at alpha = 1e-3 per test: a calibrated
# posterior fails one of the two tests of one parameter with probability
# at most 2e-3 (the seeds are fixed, so the outcome is reproducible)
ALPHA = 1e-3


def rate_model(fold=1.0, plate_size=5):
    """N_k ~ Poisson(fold * lam), lam ~ Gamma(3, 1); fold != 1 is a wrong likelihood."""
    m = pg.Model("rate")
    m.plate("obs", size=plate_size)
    m.param("lam", pg.Gamma(3.0, 1.0))

    @m.deterministic()
    def mu(lam):
        return fold * lam

    m.data("N", pg.Poisson("mu"), plate="obs")
    return m


def test_rank_tests_are_calibrated_under_uniform_ranks():
    # 400 sets of 100 uniform ranks: the p-values are uniform, so about 5 %
    # of them fall below 0.05 (binomial 4.5-sigma band)
    rng = np.random.default_rng(3)
    ranks = rng.integers(0, 41, size=(100, 400))
    test = rank_uniformity(ranks, n_draws=40, bins=10)
    for key in ("chi2_pvalue", "ks_pvalue"):
        rate = np.mean(test[key] < 0.05)
        assert abs(rate - 0.05) < 4.5 * np.sqrt(0.05 * 0.95 / 400), (key, rate)
    assert test["counts"].shape == (10, 400)
    assert np.all(test["counts"].sum(axis=0) == 100)
    assert test["expected"].sum() == pytest.approx(100)
    assert test["edges"][0] == 0 and test["edges"][-1] == 41


@pytest.mark.parametrize("shape", ["U", "hump", "slope"])
def test_rank_tests_reject_non_uniform_ranks(shape):
    rng = np.random.default_rng(4)
    u = rng.beta(*{"U": (0.5, 0.5), "hump": (3, 3), "slope": (1.0, 2.0)}[shape], size=300)
    ranks = np.floor(u * 100).astype(int)
    test = rank_uniformity(ranks, n_draws=99)
    assert test["chi2_pvalue"][0] < 1e-6 and test["ks_pvalue"][0] < 1e-4


def test_ranks_outside_the_range_are_refused():
    with pytest.raises(ValueError, match="ranks must lie in 0 ... n_draws = 9, got 0 ... 10"):
        rank_uniformity([0, 3, 10], n_draws=9)


def test_a_calibrated_posterior_passes_and_a_wrong_likelihood_fails():
    settings = dict(nwalkers=8, nsteps=140, burn=60, thin=20, initial=None, seed=11)
    right = pg.sbc(rate_model(), n_sims=100, **settings)
    assert right.ranks.shape == (100, 1) and right.n_draws == 8 * 4
    assert right.passed(ALPHA), right.table()
    # the rank of the truth among the draws, recomputed from the stored truths
    assert np.all((right.ranks >= 0) & (right.ranks <= right.n_draws))
    wrong = pg.sbc(rate_model(), fit_model=rate_model(fold=1.5), n_sims=50, **settings)
    assert not wrong.passed(ALPHA)
    # a likelihood that expects 1.5 times the counts puts the rates too low:
    # the true value ranks high
    assert np.mean(wrong.ranks) > 0.6 * wrong.n_draws


def test_chains_that_have_not_forgotten_the_truth_fail():
    # walkers started in a tiny ball at the true value and not burnt in: the
    # draws cluster around the truth, whose ranks pile up in the middle
    res = pg.sbc(rate_model(), n_sims=100, nwalkers=8, nsteps=10, burn=0, thin=2,
                 initial="truth", seed=12)
    assert not res.passed(ALPHA)
    middle = np.abs(res.ranks[:, 0] / res.n_draws - 0.5) < 0.25
    assert middle.mean() > 0.75  # half of them for uniform ranks


def test_same_seed_same_ranks_in_one_or_two_processes():
    settings = dict(n_sims=12, nwalkers=4, nsteps=60, thin=10, initial=None, seed=5)
    one = pg.sbc(rate_model(), **settings)
    again = pg.sbc(rate_model(), **settings)
    two = pg.sbc(rate_model(), processes=2, **settings)
    assert np.array_equal(one.ranks, again.ranks)
    assert np.array_equal(one.ranks, two.ranks) and np.array_equal(one.truths, two.truths)
    other = pg.sbc(rate_model(), **{**settings, "seed": 6})
    assert not np.array_equal(one.truths, other.truths)


def test_xray_agn_small_sbc_and_a_biased_psf():
    size = 16
    inputs = xray_agn.default_inputs(size=size, seed=0)
    settings = dict(nwalkers=16, nsteps=240, burn=120, thin=30, initial="map", seed=13)
    right = pg.sbc(xray_agn.build(size=size), inputs, n_sims=16, **settings)
    assert right.param_names == ["x0", "y0", "F", "b", "sigma"]
    assert right.passed(ALPHA), right.table()
    biased = xray_agn.build(size, psf_scale=1.25)
    wrong = pg.sbc(xray_agn.build(size=size), inputs, fit_model=biased, n_sims=12, **settings)
    assert wrong.pvalues["sigma"] < ALPHA
    # the likelihood widens the PSF: the fitted sigma is too small, the truth ranks high
    assert np.median(wrong.ranks[:, 4]) > 0.8 * wrong.n_draws
    fig = wrong.plot()
    assert isinstance(fig, Figure)
    assert sum(ax.get_visible() for ax in fig.axes) == 5
    table = wrong.table()
    assert list(table["name"]) == right.param_names
    assert table.meta["fit_model"] == "xray_agn_biased_psf"
    assert right.tau.shape == (16, 5) and right.acceptance.shape == (16,)


def test_bad_settings_are_refused():
    m = rate_model()
    with pytest.raises(ValueError, match="initial must be 'map', 'truth' or None"):
        pg.sbc(m, n_sims=2, initial="prior")
    with pytest.raises(ValueError, match=r"burn must be in \[0, nsteps = 50\), got 50"):
        pg.sbc(m, n_sims=2, nsteps=50, burn=50)
    with pytest.raises(ValueError, match="n_sims must be a positive integer, got 0"):
        pg.sbc(m, n_sims=0)
    other = pg.Model("other")
    other.param("mu_rate", pg.Gamma(3.0, 1.0))
    other.data("N", pg.Poisson("mu_rate"), plate="obs")
    with pytest.raises(ValueError, match=r"fit_model has parameters \['mu_rate'\], but the "
                                         r"simulating model has \['lam'\]"):
        pg.sbc(m, n_sims=2, fit_model=other)


def test_result_summaries():
    ranks = np.random.default_rng(2).integers(0, 100, size=(200, 2))
    res = SBCResult(["a", "b"], ranks, 99, np.zeros((200, 2)), np.zeros((200, 2)),
                    np.ones(200), {"thin": 1}, rank_uniformity(ranks, 99))
    assert set(res.pvalues) == {"a", "b"}
    assert res.passed(ALPHA)
    assert "200 simulations, 99 draws" in repr(res)
