"""The pointwise log-likelihood of a posterior (LOO, WAIC), against scipy and
against the summed log-likelihood; pickling is in test_pickle.py."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg


def brightness(F, x):
    return F * np.exp(-x)


@pytest.fixture(scope="module")
def post():
    """Poisson counts on a plate, a Normal value off it."""
    m = pg.Model("two_data")
    m.fixed("x", plate="pix")
    m.param("F", pg.LogUniform(0.1, 100.0))
    m.param("s", pg.HalfNormal(2.0))
    m.deterministic("mu", brightness, plate="pix")
    m.data("N", pg.Poisson("mu"), plate="pix")
    m.data("v", pg.Normal("F", "s"))
    x = np.linspace(0.0, 3.0, 7)
    return m.posterior(data={"N": [9, 7, 3, 2, 1, 0, 0], "v": 8.0}, inputs={"x": x})


def test_pointwise_values_are_each_data_element_s_log_density(post):
    theta = post.sample_prior(seed=1, n=5)
    point = post.pointwise_log_likelihood(theta)
    assert point["N"].shape == (5, 7) and point["v"].shape == (5,)
    x = post.inputs["x"]
    for row, (F, s) in enumerate(theta):
        np.testing.assert_allclose(point["N"][row],
                                   stats.poisson.logpmf(post.data["N"], F * np.exp(-x)))
        np.testing.assert_allclose(point["v"][row], stats.norm.logpdf(8.0, F, s))


def test_pointwise_values_sum_to_the_log_likelihood(post):
    theta = post.sample_prior(seed=2, n=50)
    point = post.pointwise_log_likelihood(theta)
    np.testing.assert_allclose(point["N"].sum(axis=1) + point["v"],
                               post.log_likelihood(theta), rtol=1e-12)


def test_one_point_has_no_walker_axis(post):
    theta = post.sample_prior(seed=3, n=4)
    one = post.pointwise_log_likelihood(theta[2])
    assert one["N"].shape == (7,) and np.shape(one["v"]) == ()
    np.testing.assert_array_equal(one["N"], post.pointwise_log_likelihood(theta)["N"][2])


def test_chunks_give_the_same_values(post):
    theta = post.sample_prior(seed=4, n=9)
    whole = post.pointwise_log_likelihood(theta)
    chunked = post.pointwise_log_likelihood(theta, chunk=2)
    for name in whole:
        np.testing.assert_array_equal(chunked[name], whole[name])


@pytest.mark.parametrize("chunk", [0, -1, 1.5, True])
def test_a_bad_chunk_is_refused(post, chunk):
    with pytest.raises(ValueError, match="chunk must be a positive integer"):
        post.pointwise_log_likelihood(post.sample_prior(seed=5, n=2), chunk=chunk)


def test_a_bad_theta_is_refused(post):
    with pytest.raises(ValueError):
        post.pointwise_log_likelihood(np.zeros((3, 5)))


def test_outside_the_support_the_pointwise_value_is_minus_infinity(post):
    point = post.pointwise_log_likelihood(np.array([[5.0, -1.0]]))   # sigma < 0
    assert point["v"][0] == -np.inf
