"""Posterior predictive draws, discrepancy p-values and residual maps."""

import numpy as np
import pytest
from matplotlib.figure import Figure

import pgmsim as pg
from pgmsim.validate import predictive as checks
from pgmsim.models import xray_agn

SIZE = 24


def gamma_poisson(counts, a=2.0, b=1.0):
    m = pg.Model("conjugate")
    m.param("lam", pg.Gamma(a, b))
    m.data("N", pg.Poisson("lam"), plate="obs")
    return m.posterior(data={"N": counts})


def test_replications_have_a_leading_axis_and_follow_the_seed():
    post = gamma_poisson([3, 5, 4])
    res = pg.sample(post, nwalkers=8, nsteps=200, seed=1, progress=False)
    rep = res.posterior_predictive(n=40, seed=3)
    assert set(rep) == {"lam", "N"}
    assert rep["N"].shape == (40, 3) and rep["lam"].shape == (40,)
    assert np.issubdtype(rep["N"].dtype, np.integer)
    again = res.posterior_predictive(n=40, seed=3)
    assert np.array_equal(rep["N"], again["N"]) and np.array_equal(rep["lam"], again["lam"])
    assert not np.array_equal(rep["N"], res.posterior_predictive(n=40, seed=4)["N"])
    # the parameter values are posterior samples of the chain (after burn-in)
    assert np.all(np.isin(rep["lam"], res.flat_samples()[:, 0]))
    # more replications than samples: drawn with replacement
    assert res.posterior_predictive(n=2000, seed=1)["N"].shape == (2000, 3)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        res.posterior_predictive(n=0)
    bare = pg.SamplingResult(res.chain, res.log_prob, res.acceptance_fraction, ["lam"])
    with pytest.raises(ValueError, match="carries no posterior"):
        bare.posterior_predictive(n=5)


def test_gamma_poisson_predictive_mean_is_the_negative_binomial_mean():
    # posterior Gamma(a + S, b + K); a new count is negative binomial with
    # mean (a + S) / (b + K)
    rng = np.random.default_rng(4)
    counts = rng.poisson(3.0, size=10)
    a, b = 2.0, 1.0
    post = gamma_poisson(counts, a, b)
    res = pg.sample(post, nwalkers=16, nsteps=1000, seed=5, progress=False)
    n = 1000
    rep = res.posterior_predictive(n=n, seed=6)
    shape, rate = a + counts.sum(), b + counts.size
    mean = shape / rate
    var_lam = shape / rate**2
    ess = res.ess()[0]
    # Monte Carlo error: posterior draws (correlated, ESS) plus Poisson noise
    se = np.sqrt(var_lam * (1 / n + 1 / ess) + mean / (n * counts.size))
    assert abs(rep["N"].mean() - mean) < 4.5 * se


@pytest.fixture(scope="module")
def agn_fits():
    """A fit of the right model, and of a point source to a field with two."""
    m = xray_agn.build(size=SIZE)
    inputs = xray_agn.default_inputs(size=SIZE, seed=1)
    truth = {"x0": 11.3, "y0": 12.6, "F": 0.03, "b": 5e-5, "sigma": 1.6}
    one = m.simulate(inputs=inputs, params=truth, seed=2)
    second = m.simulate(inputs=inputs, params={**truth, "x0": 4.0, "y0": 19.0, "F": 0.012,
                                               "b": 1e-9}, seed=3)["N"]
    fits = {}
    for key, counts in (("right", one["N"]), ("two sources", one["N"] + second)):
        post = m.posterior(data={"N": counts}, inputs=inputs)
        fits[key] = pg.sample(post, nwalkers=32, nsteps=500, seed=4, initial="map",
                              progress=False)
    return fits, one["mu"], inputs


@pytest.mark.parametrize("statistic", ["deviance", "chi2", "loglike"])
def test_ppc_passes_the_right_model_and_fails_a_missing_source(agn_fits, statistic):
    fits, _, _ = agn_fits
    right = checks.ppc_pvalue(fits["right"], statistic, n=200, seed=5)
    assert right.observed.shape == right.replicated.shape == (200,)
    # posterior predictive p-values of a right model are rarely extreme
    assert 0.01 < right.p_value < 0.99, right
    wrong = checks.ppc_pvalue(fits["two sources"], statistic, n=200, seed=5)
    if statistic == "loglike":
        # -2 log p(y) carries the data-only term log N!: the weakest of the three
        assert wrong.p_value < right.p_value
    else:
        assert wrong.p_value < 0.01, wrong
    assert isinstance(right.plot(), Figure)


def test_deviance_and_chi2_by_hand():
    x = np.array([[0.0, 2.0, 7.0]])
    mu = np.array([[0.5, 2.0, 4.0]])
    dev = checks.discrepancy("deviance", x, pg.Poisson("mu"), [mu])
    by_hand = 2 * ((0 - 0 - (0 - 0.5)) + (2 * np.log(1.0) - 0) + (7 * np.log(7 / 4) - 3))
    assert dev[0] == pytest.approx(by_hand)
    chi2 = checks.discrepancy("chi2", x, pg.Normal("mu", 2.0), [mu, 2.0])
    assert chi2[0] == pytest.approx(((0.5) ** 2 + 0 + 9) / 4)
    custom = checks.discrepancy(lambda x, args: x.max(axis=-1), x, pg.Poisson("mu"), [mu])
    assert custom[0] == 7.0
    with pytest.raises(ValueError, match="unknown statistic 'cash'"):
        checks.discrepancy("cash", x, pg.Poisson("mu"), [mu])
    with pytest.raises(ValueError, match="Gamma has no deviance.*statistic='loglike'"):
        checks.discrepancy("deviance", x, pg.Gamma("a", "b"), [1.0, 1.0])


def test_residuals_find_the_missing_source(agn_fits):
    fits, mu_true, inputs = agn_fits
    maps = checks.residuals(fits["right"], n=60, seed=1)
    assert np.array_equal(maps["residual"], maps["data"] - maps["model"])
    assert np.allclose(maps["pearson"], maps["residual"] / np.sqrt(maps["model"]))
    # the posterior-mean model is close to the true expected counts
    peak = mu_true > 1.0
    assert np.all(np.abs(maps["model"][peak] - mu_true[peak]) < 0.25 * mu_true[peak])
    wrong = checks.residuals(fits["two sources"], n=60, seed=1)
    near = (inputs["x"] - 4.0) ** 2 + (inputs["y"] - 19.0) ** 2 < 2.0**2
    assert wrong["pearson"][near].mean() > 3 * max(1.0, abs(maps["pearson"][near].mean()))
    fig = checks.residual_map(fits["two sources"], shape=(SIZE, SIZE), n=20, seed=1)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes if ax.get_images()] == [
        "data", "posterior-mean model", "data - model", "Pearson residual"]
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 4 and images[0].get_array().shape == (SIZE, SIZE)
    via_function = checks.residual_map(
        fits["right"], image=fits["right"].posterior.model.image, n=20, seed=1)
    assert isinstance(via_function, Figure)
    with pytest.raises(ValueError, match="pass shape=\\(ny, nx\\)"):
        checks.residual_map(fits["right"], n=10)
    with pytest.raises(ValueError, match="does not hold the 576 data values"):
        checks.residual_map(fits["right"], shape=(10, 10), n=10)


def test_several_data_nodes_need_a_choice():
    m = pg.Model("two")
    m.param("a", pg.Normal(0, 1))
    m.data("y", pg.Normal("a", 1.0), plate="obs")
    m.data("z", pg.Normal("a", 2.0), plate="obs")
    post = m.posterior(data={"y": [0.1, 0.3], "z": [1.0, -1.0]})
    res = pg.sample(post, nwalkers=4, nsteps=100, seed=1, progress=False)
    with pytest.raises(ValueError, match=r"data nodes \['y', 'z'\]: choose one"):
        checks.ppc_pvalue(res, n=10)
    with pytest.raises(ValueError, match="'a' is not a data node"):
        checks.ppc_pvalue(res, node="a", n=10)
    check = checks.ppc_pvalue(res, "chi2", node="z", n=50, seed=1)
    assert 0 <= check.p_value <= 1
