"""Truncated: normalisation with the CDF, exact sampling by inverse CDF, checks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import integrate, stats

import pgmsim as pg
from pgmsim.distributions import UndefinedQuantityError


def test_density_matches_scipy_truncnorm_inside_and_outside():
    dist = pg.Truncated(pg.Normal(1.0, 2.0), low=-0.5, high=4.0)
    oracle = stats.truncnorm((-0.5 - 1.0) / 2.0, (4.0 - 1.0) / 2.0, 1.0, 2.0)
    x = np.linspace(-2.0, 5.0, 71)
    np.testing.assert_allclose(dist.logpdf(x), oracle.logpdf(x), rtol=1e-12)
    assert dist.logpdf(-0.6) == -np.inf and dist.logpdf(4.1) == -np.inf


@pytest.mark.parametrize("dist", [
    pg.Truncated(pg.Normal(0.0, 1.0), low=0.3),
    pg.Truncated(pg.Gamma(2.0, 1.0), high=1.5),
    pg.Truncated(pg.LogNormal(0.0, 1.0), low=0.5, high=3.0),
    pg.Truncated(pg.Normal(0.0, 1.0), low=8.0),          # far upper tail
    pg.Truncated(pg.Beta(2.0, 3.0), low=-1.0, high=0.5),  # a bound outside the support
], ids=lambda d: d.text())
def test_density_integrates_to_one(dist):
    low, high = dist.support()
    total, _ = integrate.quad(lambda x: np.exp(dist.logpdf(x)), low, high)
    assert total == pytest.approx(1.0, abs=1e-8)


def test_upper_tail_is_normalised_stably():
    # 1 - Phi(12) is 0 in float64; the survival function keeps it
    dist = pg.Truncated(pg.Normal(0.0, 1.0), low=12.0)
    assert float(dist.logpdf(12.5)) == pytest.approx(stats.truncnorm(12.0, np.inf).logpdf(12.5))


def test_node_bounds_broadcast_over_walkers():
    dist = pg.Truncated(pg.Normal("mu", 1.0), low="lo")
    lo = np.array([[0.0], [1.0]])
    out = dist.logpdf(np.array([0.5, 2.0]), params=(0.0, 1.0, lo))
    expected = stats.truncnorm(lo, np.inf).logpdf([0.5, 2.0])
    np.testing.assert_allclose(out, expected)
    assert dist.parents == ("mu", "lo")


def _ks(dist, oracle, seed):
    draws = dist.sample(seed, size=4000)
    return stats.kstest(draws, oracle.cdf).pvalue


def test_exact_sampling_passes_ks_with_a_negative_control():
    dist = pg.Truncated(pg.Normal(1.0, 2.0), low=0.0, high=3.0)
    oracle = stats.truncnorm(-0.5, 1.0, 1.0, 2.0)
    assert _ks(dist, oracle, 1) > 0.01
    # the untruncated Normal's draws, clipped, are not those of the truncated one
    wrong = np.clip(pg.Normal(1.0, 2.0).sample(1, size=4000), 0.0, 3.0)
    assert stats.kstest(wrong, oracle.cdf).pvalue < 1e-6


def test_sampling_in_the_far_upper_tail_is_exact():
    draws = pg.Truncated(pg.Normal(0.0, 1.0), low=10.0).sample(2, size=4000)
    assert draws.min() >= 10.0
    assert stats.kstest(draws, stats.truncnorm(10.0, np.inf).cdf).pvalue > 0.01


def test_discrete_truncation_includes_both_bounds():
    dist = pg.Truncated(pg.Poisson(3.0), low=2, high=4)
    pmf = stats.poisson(3.0).pmf([2, 3, 4])
    np.testing.assert_allclose(np.exp(dist.logpdf([2, 3, 4])), pmf / pmf.sum())
    assert dist.logpdf(1) == -np.inf and dist.logpdf(5) == -np.inf
    counts = np.bincount(dist.sample(3, size=6000).astype(int), minlength=6)
    assert counts[:2].sum() == 0 and counts[5:].sum() == 0
    assert stats.chisquare(counts[2:5], 6000 * pmf / pmf.sum()).pvalue > 0.01


def test_zero_truncated_poisson_never_draws_zero():
    draws = pg.Truncated(pg.Poisson(0.5), low=1).sample(4, size=5000)
    assert draws.min() == 1
    assert draws.mean() == pytest.approx(0.5 / (1 - np.exp(-0.5)), rel=0.05)


def test_mean_and_variance_numerically():
    dist = pg.Truncated(pg.Normal(1.0, 2.0), low=0.0)
    oracle = stats.truncnorm(-0.5, np.inf, 1.0, 2.0)
    assert float(dist.mean()) == pytest.approx(oracle.mean(), rel=1e-4)
    assert float(dist.variance()) == pytest.approx(oracle.var(), rel=1e-4)
    means = dist.mean(params=(np.array([0.0, 1.0]), 2.0, 0.0))
    assert means.shape == (2,)
    with pytest.raises(UndefinedQuantityError, match="truncated counts"):
        pg.Truncated(pg.Poisson(2.0), low=1).mean()


def test_cdf_and_ppf():
    dist = pg.Truncated(pg.Normal(0.0, 1.0), low=-1.0, high=2.0)
    oracle = stats.truncnorm(-1.0, 2.0)
    x = np.linspace(-1.5, 2.5, 9)
    np.testing.assert_allclose(dist.cdf(x), oracle.cdf(x), atol=1e-12)
    np.testing.assert_allclose(dist.ppf([0.1, 0.5, 0.9]), oracle.ppf([0.1, 0.5, 0.9]))


def test_forms():
    dist = pg.Truncated(pg.Normal(0, 10), low="mu1", high=5)
    assert dist.text() == "Truncated(Normal(0, 10), low=mu1, high=5)"
    assert dist.latex({"mu1": r"\mu_1"}) == r"\mathcal{N}(0, 10)\big|_{[\mu_1, 5]}"
    assert pg.Truncated(pg.Normal(0, 1), high=0).latex() == r"\mathcal{N}(0, 1)\big|_{(-\infty, 0]}"
    assert dist == pg.Truncated(pg.Normal(0, 10), low="mu1", high=5)
    assert pg.Truncated(pg.Normal(0, 1), low=0) != pg.Truncated(pg.Normal(0, 1), high=0)


@pytest.mark.parametrize("make, error, match", [
    (lambda: pg.Truncated(pg.Normal(0, 1), low=2, high=1), ValueError, "lower < upper"),
    (lambda: pg.Truncated(pg.Normal(0, 1), low=1, high=1), ValueError, "lower < upper"),
    (lambda: pg.Truncated(pg.Normal(0, 1)), ValueError, "needs a bound"),
    (lambda: pg.Truncated(pg.Gamma(2, 1), high=-1), ValueError, "holds no probability"),
    (lambda: pg.Truncated(pg.Normal(0, 1), low=50), ValueError, "holds no probability"),
    (lambda: pg.Truncated(pg.MapPrior([[1.0, 2.0]], (0, 2, 0, 1)), low=0), TypeError,
     "one variable"),
    (lambda: pg.Truncated(3.0, low=0), TypeError, "one variable"),
    (lambda: pg.Truncated(pg.Truncated(pg.Normal(0, 1), low=0), high=1), TypeError,
     "truncated already"),
    (lambda: pg.Truncated(pg.Normal(0, 1), low=np.inf), ValueError, "must be finite"),
    (lambda: pg.Truncated(pg.Normal(0, 1), low="not a name"), ValueError, "valid node name"),
    (lambda: pg.Truncated(pg.Normal(0, 1), low=[0.0]), TypeError, "number or the name"),
])
def test_bad_inputs_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_distribution_without_cdf_is_refused():
    class NoCdf(pg.Distribution):
        arg_names = ()

        def _logpdf(self, x):
            return -0.5 * x * x

        def _support(self):
            return (-np.inf, np.inf)

    with pytest.raises(TypeError, match="NoCdf defines no _cdf and _ppf"):
        pg.Truncated(NoCdf(), low=0)


def test_data_outside_constant_bounds_name_the_node():
    m = pg.Model("positive")
    m.param("mu", pg.Normal(0, 5))
    m.data("y", pg.Truncated(pg.Normal("mu", 1.0), low=0.0), plate="obs")
    with pytest.raises(ValueError, match="node 'y'.*outside the truncation"):
        m.posterior(data={"y": [1.0, -0.2]})


def test_ordered_pair_in_one_line():
    m = pg.Model("ordered")
    m.param("mu1", pg.Normal(0, 10))
    m.param("mu2", pg.Truncated(pg.Normal(0, 10), low="mu1"))
    m.data("y", pg.Normal("mu2", 1.0))
    draws = m.posterior(data={"y": 1.0}).sample_prior(seed=0, n=2000)
    assert np.all(draws[:, 1] >= draws[:, 0])
    sim = m.simulate(seed=3)
    assert sim["mu2"] >= sim["mu1"]
    assert "p(mu2 | mu1)" in str(m.factorization())


@settings(max_examples=60, deadline=None)
@given(params=hs.tuples(*[hs.floats()] * 4),
       x=hs.lists(hs.floats(), min_size=1, max_size=6))
def test_density_is_never_nan_even_with_invalid_node_arguments(params, x):
    dist = pg.Truncated(pg.Normal("p0", "p1"), low="p2", high="p3")
    x = np.array(x)
    out = dist.logpdf(x, params=params)
    assert out.shape == x.shape and not np.any(np.isnan(out))
    valid = pg.Truncated(pg.Gamma(2.0, 1.0), low=0.5, high=4.0)
    assert np.array_equal(valid.logpdf(x), [valid.logpdf(v) for v in x])


@settings(max_examples=60, deadline=None)
@given(low=hs.floats(-30, 30), width=hs.floats(1e-3, 30), seed=hs.integers(0, 2**32 - 1))
def test_draws_stay_inside_the_bounds_wherever_they_are(low, width, seed):
    dist = pg.Truncated(pg.Normal(0.0, 1.0), low=low, high=low + width)
    draws = dist.sample(seed, size=50)
    assert np.all((draws >= low) & (draws <= low + width))
    assert np.all(np.isfinite(dist.logpdf(draws)))
