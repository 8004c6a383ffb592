"""Run length from the chain: the stopping rule and ``pgmsim.sample(nsteps="auto")``."""

import warnings

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.fit._run_length import (BURN_IN_TAUS, MIN_TAUS, check_points, enough_steps)
from pgmsim.fit.diagnostics import ConvergenceWarning
from pgmsim.models import xray_agn


def ar1_chain(tau, nsteps, nwalkers, seed):
    """AR(1) walkers x_t = phi x_{t-1} + e_t, of integrated autocorrelation time
    tau = (1 + phi) / (1 - phi), started from the stationary distribution."""
    phi = (tau - 1.0) / (tau + 1.0)
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(nsteps, nwalkers))
    x = np.empty((nsteps, nwalkers))
    x[0] = noise[0] / np.sqrt(1.0 - phi**2)
    for t in range(1, nsteps):
        x[t] = phi * x[t - 1] + noise[t]
    return x[:, :, None]


def stopping_length(chain):
    """Where the rule stops, checking at the check points of an automatic run."""
    previous = None
    for at in check_points(len(chain)):
        stop, previous = enough_steps(chain[:at], previous)
        if stop:
            return at, previous
    return None, previous


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_rule_stops_an_ar1_chain_near_55_tau_not_before(seed):
    tau = 20.0
    chain = ar1_chain(tau, 40_000, 32, seed)
    at, estimate = stopping_length(chain)
    assert at is not None
    # by construction never before 55 estimated taus (50 kept after a 5-tau burn-in)
    assert at >= (MIN_TAUS + BURN_IN_TAUS) * estimate.max()
    # emcee's estimator is close to the known tau there, so the chain is long
    # enough in true taus too, and the rule does not overshoot much
    assert abs(estimate[0] - tau) < 0.25 * tau
    assert 0.8 * 55 * tau <= at <= 4 * 55 * tau, at


def test_the_rule_does_not_stop_a_short_or_unsettled_chain():
    chain = ar1_chain(20.0, 3000, 32, seed=4)
    short = chain[:30 * 20]  # 30 true taus
    _, tau = enough_steps(short, None)
    assert not enough_steps(short, previous_tau=tau)[0]  # settled but too short
    _, tau = enough_steps(chain, None)
    assert enough_steps(chain, previous_tau=tau)[0]
    assert not enough_steps(chain, previous_tau=1.05 * tau)[0]  # moved by 5 percent
    assert not enough_steps(chain, previous_tau=None)[0]  # nothing to compare with


def small_posterior():
    m = pg.Model("gauss")
    m.param("mu", pg.Normal(0, 10))
    m.param("sigma", pg.HalfNormal(5))
    m.data("y", pg.Normal("mu", "sigma"), plate="obs")
    y = np.random.default_rng(3).normal(1.0, 2.0, size=30)
    return m.posterior(data={"y": y})


def test_auto_stops_when_the_chain_is_long_enough():
    post = small_posterior()
    res = pg.sample(post, nwalkers=16, nsteps="auto", seed=5, progress=False)
    record = res.meta["run_length"]
    assert record["stopped"] == "converged"
    assert res.nsteps in check_points(record["max_steps"])
    tau = record["tau"]
    assert res.nsteps >= (MIN_TAUS + BURN_IN_TAUS) * tau.max()
    # emcee's own estimate on the final chain agrees
    from emcee.autocorr import integrated_time
    assert res.nsteps >= MIN_TAUS * integrated_time(res.chain, tol=0).max()
    # and the diagnostics see a converged run
    assert res.converged, res.problems()


def test_auto_stopped_by_max_steps_says_so_and_warns():
    post = small_posterior()
    with pytest.warns(ConvergenceWarning):
        res = pg.sample(post, nwalkers=16, nsteps="auto", max_steps=150, seed=5,
                        progress=False)
    assert res.nsteps == 150
    assert res.meta["run_length"]["stopped"] == "max_steps"
    assert not res.converged


def test_auto_with_a_checkpoint_stopped_and_resumed_gives_the_chain_of_one_go(tmp_path):
    post = small_posterior()
    whole = pg.sample(post, nwalkers=16, nsteps="auto", seed=6, progress=False,
                      backend=tmp_path / "whole.h5")
    assert whole.meta["run_length"]["stopped"] == "converged"

    cut = small_posterior()
    calls = {"n": 0}
    original = cut.log_prob

    def interrupted(theta):
        calls["n"] += 1
        # two calls a step (one per half-ensemble): stop between two check points
        if calls["n"] > 2 * (whole.nsteps // 2) + 1:
            raise KeyboardInterrupt
        return original(theta)

    cut.log_prob = interrupted
    path = tmp_path / "cut.h5"
    with warnings.catch_warnings():
        # half the run may or may not pass the diagnostics: not the point here
        warnings.simplefilter("ignore", ConvergenceWarning)
        part = pg.sample(cut, nwalkers=16, nsteps="auto", seed=6, progress=False,
                         backend=path)
    assert part.meta["run_length"]["stopped"] == "interrupted"
    assert 0 < part.nsteps < whole.nsteps
    resumed = pg.sample(post, nwalkers=16, nsteps="auto", progress=False, backend=path,
                        resume=True)
    assert resumed.meta["run_length"]["stopped"] == "converged"
    np.testing.assert_array_equal(resumed.chain, whole.chain)
    np.testing.assert_array_equal(resumed.log_prob, whole.log_prob)
    # resuming a finished automatic run adds nothing
    again = pg.sample(post, nwalkers=16, nsteps="auto", progress=False, backend=path,
                      resume=True)
    assert again.nsteps == whole.nsteps


@pytest.mark.parametrize("nsteps, max_steps, message", [
    ("often", None, 'nsteps must be a positive integer or "auto", got \'often\''),
    ("Auto", None, 'nsteps must be a positive integer or "auto", got \'Auto\''),
    ("auto", 0, "max_steps must be a positive integer, got 0"),
    ("auto", -10, "max_steps must be a positive integer, got -10"),
    ("auto", 2.5, "max_steps must be a positive integer, got 2.5"),
    ("auto", True, "max_steps must be a positive integer, got True"),
    (2000, 5000, 'max_steps=5000 limits nsteps="auto" runs only'),
    (True, None, "nsteps must be a positive integer, got True"),
])
def test_bad_run_lengths_are_refused(nsteps, max_steps, message):
    post = small_posterior()
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        pg.sample(post, nwalkers=8, nsteps=nsteps, max_steps=max_steps, progress=False)


def test_auto_on_xray_agn_from_its_map_is_at_least_50_tau_long():
    m = xray_agn.build()
    inputs = xray_agn.default_inputs(seed=3)
    sim = m.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=21)
    post = m.posterior(data={"N": sim["N"]}, inputs=inputs)
    res = pg.sample(post, nwalkers=32, nsteps="auto", seed=4, initial="map", progress=False)
    assert res.meta["run_length"]["stopped"] == "converged"
    assert res.nsteps >= (MIN_TAUS + BURN_IN_TAUS) * res.meta["run_length"]["tau"].max()
    table = res.diagnostics()
    kept = res.nsteps - table["burn_in"][0]
    assert np.all(kept >= MIN_TAUS * table["tau"]), table
