"""Distributions: densities against scipy.stats, support, sampling, LaTeX."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg

# (pgmsim distribution, frozen scipy equivalent, points inside, points outside)
CASES = [
    (pg.Uniform(-1, 3), stats.uniform(-1, 4), [-1.0, 0.2, 2.9], [-1.5, 3.2]),
    (pg.LogUniform(1e-3, 10), stats.loguniform(1e-3, 10), [1e-3, 0.05, 9.0], [0.0, -1.0, 11.0]),
    (pg.Normal(1.5, 0.7), stats.norm(1.5, 0.7), [-3.0, 1.5, 4.0], []),
    (pg.LogNormal(0.3, 0.8), stats.lognorm(0.8, scale=np.exp(0.3)), [0.01, 1.0, 7.0], [0.0, -2.0]),
    (pg.HalfNormal(2.0), stats.halfnorm(scale=2.0), [0.0, 1.0, 5.0], [-0.1]),
    (pg.Exponential(0.5), stats.expon(scale=2.0), [0.0, 1.0, 10.0], [-1.0]),
    (pg.Gamma(2.5, 1.5), stats.gamma(2.5, scale=1 / 1.5), [0.01, 1.0, 6.0], [0.0, -1.0]),
    (pg.Beta(2.0, 5.0), stats.beta(2.0, 5.0), [0.01, 0.3, 0.99], [0.0, 1.0, -0.5, 1.5]),
    (pg.StudentT(3.0, 1.0, 2.0), stats.t(3.0, 1.0, 2.0), [-50.0, 1.0, 9.0], []),
    (pg.Cauchy(0.5, 2.0), stats.cauchy(0.5, 2.0), [-1e4, 0.5, 30.0], []),
    (pg.HalfCauchy(5.0), stats.halfcauchy(scale=5.0), [0.0, 5.0, 1e4], [-0.1]),
    (pg.Laplace(-1.0, 0.5), stats.laplace(-1.0, 0.5), [-8.0, -1.0, 3.0], []),
    (pg.InverseGamma(2.5, 1.5), stats.invgamma(2.5, scale=1.5), [0.01, 1.0, 40.0], [0.0, -1.0]),
]


@pytest.mark.parametrize("dist, ref, inside, outside", CASES, ids=lambda c: repr(c)[:20])
def test_logpdf_matches_scipy_inside_and_is_minus_inf_outside(dist, ref, inside, outside):
    x = np.array(inside)
    np.testing.assert_allclose(dist.logpdf(x), ref.logpdf(x), rtol=1e-12, atol=1e-12)
    if outside:
        assert np.all(dist.logpdf(np.array(outside)) == -np.inf)
    # never NaN, even for NaN and infinite input
    bad = dist.logpdf(np.array([np.nan, np.inf, -np.inf]))
    assert not np.isnan(bad).any()


@pytest.mark.parametrize("dist, ref, inside, outside", CASES, ids=lambda c: repr(c)[:20])
def test_sampling_matches_the_distribution(dist, ref, inside, outside):
    # KS test at a fixed seed; the false-alarm rate per test is 1e-3
    draws = dist.sample(np.random.default_rng(42), size=4000)
    assert stats.kstest(draws, ref.cdf).pvalue > 1e-3
    low, high = dist.support()
    assert np.all((draws >= low) & (draws <= high))


def test_poisson_logpmf_includes_log_factorial_and_rejects_non_counts():
    mu = np.array([0.5, 3.0, 20.0, 0.0])
    n = np.array([0, 4, 17, 0])
    np.testing.assert_allclose(pg.Poisson("mu").logpdf(n, params=(mu,)),
                               stats.poisson(mu).logpmf(n), rtol=1e-12)
    p = pg.Poisson(3.0)
    assert p.logpdf(2.5) == -np.inf
    assert p.logpdf(-1) == -np.inf
    assert pg.Poisson(0.0).logpdf(1) == -np.inf
    assert pg.Poisson("mu").logpdf(2, params=(-1.0,)) == -np.inf


def test_poisson_loglike_sums_over_the_last_axis_like_scipy():
    rng = np.random.default_rng(3)
    counts = rng.poisson(0.3, size=200)
    mu = rng.uniform(0.01, 2.0, size=(4, 200))
    total = pg.Poisson("mu").loglike(counts.astype(float))(mu)
    np.testing.assert_allclose(total, stats.poisson(mu).logpmf(counts).sum(axis=1), rtol=1e-12)
    mu[2, 5] = -0.1
    assert pg.Poisson("mu").loglike(counts.astype(float))(mu)[2] == -np.inf


def test_normal_loglike_with_scalar_and_per_pixel_sigma():
    rng = np.random.default_rng(4)
    x = rng.normal(size=50)
    mu = rng.normal(size=(3, 50))
    sigma = np.array([[0.5], [1.0], [2.0]])
    like = pg.Normal("mu", "sigma").loglike(x)
    np.testing.assert_allclose(like(mu, sigma),
                               stats.norm(mu, sigma).logpdf(x).sum(axis=1), rtol=1e-12)
    per_pixel = rng.uniform(0.5, 2, size=50)
    np.testing.assert_allclose(like(mu, per_pixel),
                               stats.norm(mu, per_pixel).logpdf(x).sum(axis=1), rtol=1e-12)
    assert like(mu, np.array([[0.5], [-1.0], [2.0]]))[1] == -np.inf


def test_latex_forms():
    assert pg.Uniform(0, 40).latex() == r"\mathcal{U}(0, 40)"
    assert pg.Poisson("mu").latex({"mu": r"\mu_k"}) == r"\mathrm{Poisson}(\mu_k)"
    assert pg.LogUniform(1e-3, 1).latex() == r"\log\mathcal{U}(10^{-3}, 1)"
    assert pg.Normal("mu_pop", "sigma_pop").latex(
        {"mu_pop": r"\mu", "sigma_pop": r"\sigma"}) == r"\mathcal{N}(\mu, \sigma)"


@pytest.mark.parametrize("make, match", [
    (lambda: pg.Uniform(3, 1), "low < high"),
    (lambda: pg.LogUniform(0, 1), "low > 0"),
    (lambda: pg.Normal(0, -1), "sigma > 0"),
    (lambda: pg.Gamma(0, 1), "alpha > 0"),
    (lambda: pg.Uniform(0, np.inf), "finite"),
    (lambda: pg.Uniform(0), "takes 2 arguments"),
    (lambda: pg.Normal([1, 2], 1), "number or the name of a node"),
    (lambda: pg.Poisson("not a name"), "not a valid node name"),
])
def test_bad_arguments_are_refused_at_declaration(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_node_arguments_must_be_given_values():
    with pytest.raises(ValueError, match="mu_pop"):
        pg.Normal("mu_pop", 1.0).logpdf(0.0)


def test_poisson_counts_beyond_exact_float_range_are_refused_naming_the_node():
    counts = np.array([4, 2**53 + 1, 7], dtype=np.int64)
    with pytest.raises(ValueError) as err:
        pg.Poisson("mu").validate_data(counts, "N")
    assert str(err.value) == (
        "Poisson data for node 'N' must be counts below 2**53 = 9007199254740992, beyond "
        "which float64 rounds integers; 1 value(s) are not, first 9007199254740993 at "
        "index 1")
    m = pg.Model("huge counts")
    m.param("mu", pg.LogUniform(1.0, 1e20))
    m.data("N", pg.Poisson("mu"), plate="pixels")
    # the posterior gets the counts as floats: 2**53 + 1 arrives rounded to 2**53
    with pytest.raises(ValueError, match="node 'N'.*first 900719925474099[23] at index 1"):
        m.posterior(data={"N": counts})
