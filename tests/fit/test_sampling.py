"""Posterior sampling: analytic conjugate answers, truth recovery, results API."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from astropy.table import Table

import pgmsim as pg
from pgmsim.models import xray_agn


def test_gamma_poisson_conjugate_posterior_mean_and_variance():
    # N_k ~ Poisson(lam), lam ~ Gamma(a, b)  =>  lam | N ~ Gamma(a + sum N, b + K)
    rng = np.random.default_rng(1)
    counts = rng.poisson(4.2, size=20)
    a, b = 2.0, 1.0
    m = pg.Model("conjugate")
    m.param("lam", pg.Gamma(a, b))
    m.data("N", pg.Poisson("lam"), plate="obs")
    post = m.posterior(data={"N": counts})
    res = pg.sample(post, nwalkers=16, nsteps=4000, seed=2, progress=False)
    samples = res.flat_samples(discard=500)[:, 0]
    shape, rate = a + counts.sum(), b + counts.size
    mean, var = shape / rate, shape / rate**2
    ess = res.ess(discard=500)[0]
    assert ess > 1000
    # tolerances: 4.5 Monte Carlo standard errors (false-alarm rate ~1e-5 each)
    assert abs(samples.mean() - mean) < 4.5 * np.sqrt(var / ess)
    excess_kurtosis = 6.0 / shape
    var_error = var * np.sqrt((2.0 + excess_kurtosis) / ess)
    assert abs(samples.var() - var) < 4.5 * var_error


@pytest.fixture(scope="module")
def agn_run():
    m = xray_agn.build()
    inputs = xray_agn.default_inputs(seed=3)
    sim = m.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=21)
    post = m.posterior(data={"N": sim["N"]}, inputs=inputs)
    res = pg.sample(post, nwalkers=32, nsteps=4000, seed=4, initial="map", progress=False)
    return post, res


def test_xray_agn_truth_inside_the_99_percent_interval(agn_run):
    post, res = agn_run
    samples = res.flat_samples()
    low, high = np.percentile(samples, [0.5, 99.5], axis=0)
    truth = post.pack(xray_agn.TRUTH)
    for name, lo, hi, t in zip(post.param_names, low, high, truth):
        assert lo < t < hi, f"{name}: truth {t} outside [{lo}, {hi}]"
    assert 0.2 < np.mean(res.acceptance_fraction) < 0.8


def test_result_shapes_summary_and_plots(agn_run):
    post, res = agn_run
    assert res.chain.shape == (4000, 32, 5)
    assert res.log_prob.shape == (4000, 32)
    assert res.acceptance_fraction.shape == (32,)
    assert res.flat_samples(discard=500, thin=10).shape == (350 * 32, 5)
    assert res.get_chain(discard=100, thin=2, flat=False).shape == (1950, 32, 5)
    tau = res.autocorr_time
    assert tau.shape == (5,) and np.all(tau > 1)
    table = res.summary()
    assert isinstance(table, Table)
    assert table.colnames == ["name", "median", "lower", "upper", "mean", "std", "ess"]
    assert list(table["name"]) == post.param_names
    assert np.all(table["lower"] < table["median"]) and np.all(table["median"] < table["upper"])
    # the default burn-in comes from the chain (5 tau, at most half of it)
    assert table.meta["discard"] == res.burn_in
    assert 0 < res.burn_in <= 4000 // 2
    assert isinstance(res.corner(truths=xray_agn.TRUTH), Figure)
    assert isinstance(res.trace(), Figure)


def test_same_seed_same_chain():
    m = pg.Model()
    m.param("a", pg.Normal(0, 1))
    m.data("y", pg.Normal("a", 1.0), plate="obs")
    post = m.posterior(data={"y": [0.3, -0.2]})
    one = pg.sample(post, nwalkers=6, nsteps=50, seed=9, progress=False)
    two = pg.sample(post, nwalkers=6, nsteps=50, seed=9, progress=False)
    three = pg.sample(post, nwalkers=6, nsteps=50, seed=10, progress=False)
    np.testing.assert_array_equal(one.chain, two.chain)
    assert not np.array_equal(one.chain, three.chain)


@pytest.mark.parametrize("how", [{}, {"nsteps": "auto", "max_steps": 200}, {"parallel": 2}])
def test_the_start_walkers_are_evaluated_once(how):
    """emcee is handed the start walkers with their log-posterior, so that it
    does not evaluate the same batch a second time."""
    m = pg.Model()
    m.param("a", pg.Normal(0, 1))
    m.data("y", pg.Normal("a", 1.0), plate="obs")
    post = m.posterior(data={"y": [0.3, -0.2]})
    batches = []
    evaluate = post.log_prob
    post.log_prob = lambda theta: batches.append(np.shape(theta)) or evaluate(theta)
    settings = {"nsteps": 3, **how}
    pg.sample(post, nwalkers=6, seed=9, progress=False, initial={"a": 0.1}, **settings)
    # one batch of all six walkers (the threads leave a batch this small whole),
    # then the halves of three of each step
    assert batches[0] == (1,) and batches.count((6, 1)) == 1
    assert set(batches[2:]) == {(3, 1)}


def test_too_few_walkers_are_refused():
    m = pg.Model()
    m.param("a", pg.Uniform(0, 1))
    m.data("y", pg.Normal("a", 1.0))
    post = m.posterior(data={"y": 0.3})
    with pytest.raises(ValueError, match="at least 2 \\* ndim = 2 walkers"):
        pg.sample(post, nwalkers=1, nsteps=10)
    for nsteps in (0, -5, 2.5):
        with pytest.raises(ValueError, match=f"nsteps must be a positive integer, got {nsteps}"):
            pg.sample(post, nwalkers=4, nsteps=nsteps)


def test_keyboard_interrupt_keeps_the_steps_done():
    m = pg.Model()
    m.param("a", pg.Normal(0, 1))
    m.data("y", pg.Normal("a", 1.0))
    post = m.posterior(data={"y": 0.3})
    calls = {"n": 0}
    original = post.log_prob

    def interrupted(theta):
        calls["n"] += 1
        if calls["n"] > 30:
            raise KeyboardInterrupt
        return original(theta)

    post.log_prob = interrupted
    res = pg.sample(post, nwalkers=4, nsteps=100, seed=1, progress=False)
    assert 10 < res.nsteps < 100
    assert np.all(np.isfinite(res.chain))
