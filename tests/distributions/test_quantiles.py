"""The CDF and quantile hooks of the built-in distributions against scipy.stats."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.distributions import UndefinedQuantityError

CASES = [
    (pg.Uniform(-1.0, 3.0), stats.uniform(-1.0, 4.0)),
    (pg.LogUniform(1e-3, 10.0), stats.loguniform(1e-3, 10.0)),
    (pg.Normal(1.5, 2.0), stats.norm(1.5, 2.0)),
    (pg.LogNormal(0.3, 0.7), stats.lognorm(0.7, scale=np.exp(0.3))),
    (pg.HalfNormal(2.0), stats.halfnorm(scale=2.0)),
    (pg.Exponential(0.5), stats.expon(scale=2.0)),
    (pg.Gamma(2.5, 1.5), stats.gamma(2.5, scale=1 / 1.5)),
    (pg.Beta(2.0, 5.0), stats.beta(2.0, 5.0)),
    (pg.Poisson(3.5), stats.poisson(3.5)),
]
IDS = [type(d).__name__ for d, _ in CASES]


@pytest.mark.parametrize("dist, oracle", CASES, ids=IDS)
def test_cdf_matches_scipy_inside_and_outside_the_support(dist, oracle):
    low, high = oracle.ppf([0.001, 0.999])
    x = np.concatenate([np.linspace(low - 1.0, high + 1.0, 57), [-5.0, 0.0, 0.5, 1.0]])
    np.testing.assert_allclose(dist.cdf(x), oracle.cdf(x), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("dist, oracle", CASES, ids=IDS)
def test_ppf_matches_scipy_and_inverts_the_cdf(dist, oracle):
    q = np.linspace(0.001, 0.999, 41)
    np.testing.assert_allclose(dist.ppf(q), oracle.ppf(q), rtol=1e-9)
    if not dist.discrete:
        np.testing.assert_allclose(dist.cdf(dist.ppf(q)), q, rtol=1e-9)


@pytest.mark.parametrize("dist, oracle", CASES, ids=IDS)
def test_survival_hooks_are_exact_in_the_upper_tail(dist, oracle):
    # without an _sf hook (Poisson) the survival function is 1 - cdf; scipy's
    # loguniform computes 1 - cdf too, so the far tail is checked in closed form
    x = oracle.isf([1e-3, 1e-9] if dist._sf is not None else [1e-3])
    if isinstance(dist, pg.LogUniform):
        x = 10.0 * np.exp(-np.array([1e-3, 1e-9]) * np.log(1e4))
        np.testing.assert_allclose(dist._sf_within(x, *dist.args), [1e-3, 1e-9], rtol=1e-8)
        return
    np.testing.assert_allclose(dist._sf_within(x, *dist.args), oracle.sf(x), rtol=1e-8)
    if not dist.discrete:
        np.testing.assert_allclose(dist._isf_exact(oracle.sf(x), *dist.args),
                                   x, rtol=1e-8)


def test_hooks_broadcast_over_node_arguments():
    sigma = np.array([[1.0], [2.0]])
    out = pg.Normal("mu", "sigma").cdf(np.array([0.0, 1.0, 2.0]), params=(0.0, sigma))
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, stats.norm.cdf([0.0, 1.0, 2.0], 0.0, sigma))
    q = pg.Gamma("a", 1.0).ppf(0.5, params=(np.array([1.0, 2.0]), 1.0))
    np.testing.assert_allclose(q, stats.gamma.ppf(0.5, [1.0, 2.0]))


def test_node_arguments_need_values():
    with pytest.raises(ValueError, match="refers to node"):
        pg.Normal("mu", 1.0).cdf(0.0)


def test_ppf_is_nan_outside_zero_one():
    assert np.isnan(pg.Normal(0, 1).ppf([-0.1, 1.1])).all()


def test_distribution_without_hooks_says_so():
    prior = pg.MapPrior([[1.0, 2.0]], (0, 2, 0, 1))
    with pytest.raises(UndefinedQuantityError, match="MapPrior has no cdf: it defines no _cdf"):
        prior.cdf([0.5, 0.5])
    with pytest.raises(UndefinedQuantityError, match="MapPrior has no ppf"):
        prior.ppf(0.5)
