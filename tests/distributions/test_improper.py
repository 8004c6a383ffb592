"""Flat and HalfFlat: refused by simulation and prior draws, sampled from given starts."""

import warnings

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.distributions.improper import refuse_improper
from pgmsim.fit.initialization import prior_draws


def test_densities():
    np.testing.assert_array_equal(pg.Flat().logpdf([-1e300, 0.0, 5.0]), 0.0)
    np.testing.assert_array_equal(pg.HalfFlat().logpdf([-1.0, 0.0, 1e-300, 3.0]),
                                  [-np.inf, -np.inf, 0.0, 0.0])
    assert pg.Flat().logpdf(np.inf) == -np.inf
    assert pg.Flat().support() == (-np.inf, np.inf) and pg.HalfFlat().support() == (0.0, np.inf)
    assert pg.Flat().text() == "Flat()" and pg.HalfFlat().latex() == r"\mathrm{Flat}_{+}"


def test_no_draws_no_moments():
    with pytest.raises(pg.ImproperPriorError, match="improper"):
        pg.Flat().sample(0, size=3)
    with pytest.raises(pg.UndefinedQuantityError):
        pg.HalfFlat().mean()


def _model(size=None):
    m = pg.Model("flat")
    m.plate("obs", size=size)
    m.param("a", pg.Flat())
    m.param("s", pg.HalfFlat())
    m.data("y", pg.Normal("a", "s"), plate="obs")
    return m


Y = np.random.default_rng(1).normal(3.0, 2.0, 40)


def test_the_model_builds_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        post = _model().posterior(data={"y": Y})
    assert post.param_names == ["a", "s"] or list(post.param_names) == ["a", "s"]


def test_functions_are_still_checked_at_the_stand_in_point():
    m = pg.Model("bad")
    m.param("a", pg.HalfFlat())

    @m.deterministic(plate="obs")
    def mu(a):
        return np.log(a - 2.0)     # NaN at the stand-in a = 1

    m.data("y", pg.Normal("mu", 1.0), plate="obs")
    with pytest.warns(pg.ModelWarning, match=r"node 'mu' is NaN at 3 of 3 prior draw\(s\), "
                      r"e.g. at \{'a': 1.0\}"):
        m.posterior(data={"y": np.zeros(5)})


@pytest.mark.parametrize("call", [
    lambda m, post: m.simulate(seed=1),
    lambda m, post: post.sample_prior(0, 3),
    lambda m, post: post.find_map(seed=0),
    lambda m, post: pg.sample(post, 8, 10, seed=1, progress=False),
    lambda m, post: pg.sample(post, 8, 10, seed=1, initial="map", progress=False),
], ids=["simulate", "sample_prior", "find_map", "sample", "sample_map"])
def test_prior_draws_are_refused_naming_the_parameter(call):
    m = _model()
    post = m.posterior(data={"y": Y})
    with pytest.raises(pg.ImproperPriorError,
                       match=r"parameter 'a' from its prior Flat\(\).*params=.*initial="):
        call(m, post)


def test_simulate_with_given_values():
    m = _model(size=5)
    sim = m.simulate(params={"a": 1.0, "s": 2.0}, seed=1)
    assert sim["y"].shape == (5,)


def test_refuse_improper_only_refuses_improper_priors():
    refuse_improper("a", pg.Normal(0, 1))
    with pytest.raises(pg.ImproperPriorError, match="'b'"):
        refuse_improper("b", pg.HalfFlat())


def test_prior_draws_hold_improper_parameters():
    post = _model().posterior(data={"y": Y})
    np.testing.assert_array_equal(prior_draws(post, 0, 3, start="stand-in"),
                                  [[0.0, 1.0]] * 3)
    np.testing.assert_array_equal(prior_draws(post, 0, 2, start=[2.0, 3.0]), [[2.0, 3.0]] * 2)
    with pytest.raises(pg.ImproperPriorError):
        prior_draws(post, 0, 2)


def test_map_and_sampling_from_given_starts():
    post = _model().posterior(data={"y": Y})
    best = post.find_map(initial={"a": 0.0, "s": 1.0}, seed=0)
    assert best.params["a"] == pytest.approx(Y.mean(), abs=1e-4)
    assert best.params["s"] == pytest.approx(Y.std(), rel=1e-3)
    for initial in ({"a": 0.0, "s": 1.0}, best):
        res = pg.sample(post, 16, 600, seed=2, initial=initial, progress=False)
        a = res.chain[300:, :, 0].ravel()
        # flat priors: the posterior of the mean is centred on the sample mean
        assert abs(a.mean() - Y.mean()) < 4 * Y.std() / np.sqrt(len(Y)) / 3 + 0.1


def test_proper_priors_mixed_with_improper_ones():
    m = pg.Model("mixed")
    m.param("a", pg.Flat())
    m.param("b", pg.Normal("a", 1.0))          # hierarchical on the flat one
    m.data("y", pg.Normal("b", 1.0))
    post = m.posterior(data={"y": 2.0})
    draws = prior_draws(post, 0, 2000, start=[5.0, 5.0])
    assert np.all(draws[:, 0] == 5.0)
    assert draws[:, 1].mean() == pytest.approx(5.0, abs=0.1)
