"""The log-posterior: against hand-written numpy, batches, support, NaN and data errors."""

import numpy as np
import pytest
from scipy import special

import pgmsim as pg
from pgmsim.graph.checks import ModelWarning
from pgmsim.models import xray_agn


@pytest.fixture(scope="module")
def agn():
    m = xray_agn.build()
    inputs = xray_agn.default_inputs()
    sim = m.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=11)
    return m, inputs, sim, m.posterior(data={"N": sim["N"]}, inputs=inputs)


def hand_loglike(theta, inputs, counts):
    x0, y0, F, b, sigma = theta
    r2 = (inputs["x"] - x0) ** 2 + (inputs["y"] - y0) ** 2
    mu = inputs["ex"] * (F * np.exp(-r2 / (2 * sigma**2)) / (2 * np.pi * sigma**2) + b)
    return np.sum(counts * np.log(mu) - mu - special.gammaln(counts + 1))


def test_log_likelihood_equals_hand_written_poisson_at_100_prior_draws(agn):
    m, inputs, sim, post = agn
    draws = post.sample_prior(seed=5, n=100)
    for theta in draws:
        expected = hand_loglike(theta, inputs, sim["N"])
        assert post.log_likelihood(theta) == pytest.approx(expected, rel=1e-10)


def test_batch_equals_single_calls(agn):
    m, inputs, sim, post = agn
    draws = post.sample_prior(seed=6, n=32)
    singles = np.array([post.log_prob(t) for t in draws])
    batch = post.log_prob(draws)
    assert batch.shape == (32,)
    np.testing.assert_allclose(batch, singles, rtol=1e-12)
    np.testing.assert_allclose(post.log_likelihood(draws),
                               [post.log_likelihood(t) for t in draws], rtol=1e-12)
    np.testing.assert_allclose(post.log_prior(draws), [post.log_prior(t) for t in draws])


def test_log_prior_is_the_sum_of_the_priors(agn):
    m, inputs, sim, post = agn
    theta = post.pack(xray_agn.TRUTH)
    expected = (-2 * np.log(40) - np.log(0.03 * np.log(1e3)) - np.log(5e-6 * np.log(1e4))
                - np.log(3.5))
    assert post.log_prior(theta) == pytest.approx(expected, rel=1e-12)
    assert post.log_prob(theta) == pytest.approx(expected + post.log_likelihood(theta))


def test_outside_the_support_is_minus_inf_without_evaluating_the_likelihood(agn):
    m, inputs, sim, post = agn
    theta = post.pack(xray_agn.TRUTH)
    for i, bad in [(0, -1.0), (2, 5.0), (4, 0.0), (4, np.nan), (3, np.inf)]:
        t = theta.copy()
        t[i] = bad
        assert post.log_prob(t) == -np.inf
        assert post.log_prior(t) == -np.inf
    batch = np.array([theta, theta])
    batch[1, 4] = -3
    out = post.log_prob(batch)
    assert np.isfinite(out[0]) and out[1] == -np.inf


def test_nan_from_a_user_function_names_the_node_and_the_values():
    m = pg.Model("nan")
    m.param("a", pg.Uniform(-1, 1))

    @m.deterministic
    def rate(a):
        return np.sqrt(a)        # NaN for a < 0, inside the prior

    m.data("N", pg.Poisson("rate"))
    with pytest.warns(ModelWarning, match=r"node 'rate' is NaN at 2 of 3 prior draw\(s\), e.g. at \{'a': -0\.\d+\}"):
        post = m.posterior(data={"N": 3})
    assert np.isfinite(post.log_prob(np.array([0.5])))
    with pytest.raises(pg.NonFiniteError, match=r"node 'rate' returned NaN at parameters \{'a': -0.5\}") as err:
        post.log_prob(np.array([[0.5], [-0.5]]))
    assert err.value.node == "rate"


def test_function_that_does_not_broadcast_is_refused_at_construction():
    m = pg.Model()
    m.param("a", pg.Uniform(0, 1))
    m.fixed("x", plate="pixels")

    @m.deterministic(plate="pixels")
    def mu(a, x):
        return float(a) * x      # float() fails for a batch of walkers

    m.data("N", pg.Poisson("mu"), plate="pixels")
    with pytest.raises(TypeError, match="deterministic node 'mu' failed when called for a batch"):
        m.posterior(data={"N": [1, 2]}, inputs={"x": [1.0, 2.0]})


@pytest.mark.parametrize("counts, match", [
    (lambda n: n - 5, "node 'N' must be non-negative counts"),
    (lambda n: n + 0.5, "node 'N' must be integer counts"),
    (lambda n: np.where(np.arange(n.size) == 3, np.nan, n), r"node 'N' contain 1 non-finite.*index 3"),
    (lambda n: n[:100], "node 'N' has length 100 but plate 'pixels' has size 1600"),
    (lambda n: n.reshape(40, 40), r"node 'N' lives on plate 'pixels' and must be a 1-D vector.*\(40, 40\)"),
])
def test_bad_poisson_data_is_refused_naming_the_node(agn, counts, match):
    m, inputs, sim, post = agn
    with pytest.raises(ValueError, match=match):
        m.posterior(data={"N": counts(sim["N"].astype(float))}, inputs=inputs)


def test_missing_and_wrong_inputs_are_refused(agn):
    m, inputs, sim, post = agn
    with pytest.raises(ValueError, match=r"no value for fixed node\(s\) 'y'"):
        m.posterior(data={"N": sim["N"]}, inputs={"ex": inputs["ex"], "x": inputs["x"]})
    with pytest.raises(ValueError, match=r"no value for data node\(s\) 'N'"):
        m.posterior(data={}, inputs=inputs)
    with pytest.raises(ValueError, match="node 'x' has length 1599 but plate 'pixels' has size 1600"):
        m.posterior(data={"N": sim["N"]}, inputs={**inputs, "x": inputs["x"][1:]})
    with pytest.raises(TypeError, match="data value for node 'N' must be numeric"):
        m.posterior(data={"N": np.array(["1"] * 1600)}, inputs=inputs)
    with pytest.raises(ValueError, match=r"theta must have shape \(5,\) or \(nwalkers, 5\)"):
        post.log_prob(np.zeros(4))


def test_find_map_recovers_the_truth(agn):
    m, inputs, sim, post = agn
    found = post.find_map(seed=1)
    assert found.success
    truth = post.pack(xray_agn.TRUTH)
    assert found.log_prob >= post.log_prob(truth)
    np.testing.assert_allclose(found.theta[[0, 1, 4]], truth[[0, 1, 4]], atol=0.3)
    assert found.params["F"] == pytest.approx(0.03, rel=0.15)


def test_pack_unpack_roundtrip_and_plate_parameters():
    m = pg.Model()
    m.param("mu_pop", pg.Normal(0, 10))
    m.param("F", pg.Normal("mu_pop", 1.0), plate="sources")
    m.data("y", pg.Normal("F", 0.5), plate="sources")
    post = m.posterior(data={"y": [1.0, 2.0, 3.0]})
    assert post.param_names == ["mu_pop", "F[0]", "F[1]", "F[2]"]
    theta = post.pack({"mu_pop": 1.0, "F": [1.0, 2.0, 3.5]})
    back = post.unpack(theta)
    assert back["mu_pop"] == 1.0 and list(back["F"]) == [1.0, 2.0, 3.5]
    expected = (-0.5 * (1 / 10) ** 2 - np.log(10) - 0.5 * np.log(2 * np.pi)
                + np.sum(-0.5 * (np.array([0.0, 1.0, 2.5])) ** 2 - 0.5 * np.log(2 * np.pi))
                + np.sum(-0.5 * (np.array([0.0, 0.0, 0.5]) / 0.5) ** 2 - np.log(0.5)
                         - 0.5 * np.log(2 * np.pi)))
    assert post.log_prob(theta) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match=r"parameter 'F' must have shape \(3,\)"):
        post.pack({"mu_pop": 1.0, "F": [1.0]})
