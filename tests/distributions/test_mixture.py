"""Mixture: log-sum-exp density, component-first sampling, moments, checks, the outlier model."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from scipy import stats

import pgmsim as pg
from pgmsim.distributions import UndefinedQuantityError


def test_density_matches_a_hand_computed_mixture():
    dist = pg.Mixture(0.3, [pg.Normal(0.0, 1.0), pg.Gamma(2.0, 1.0)])
    x = np.linspace(-3.0, 6.0, 37)
    hand = 0.3 * stats.norm.pdf(x) + 0.7 * stats.gamma.pdf(x, 2.0)
    np.testing.assert_allclose(dist.logpdf(x), np.log(hand), rtol=1e-12)


def test_three_components_with_a_weight_vector_node():
    dist = pg.Mixture("w", [pg.Normal(-2, 1), pg.Normal(0, 1), pg.Normal("m", 0.5)])
    weights = np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])        # two walkers
    x = np.array([-1.0, 0.5, 3.0])
    out = dist.logpdf(x, params=(weights, -2.0, 1.0, 0.0, 1.0, np.array([[3.0], [2.0]]),
                                 0.5))
    for row, m in zip(range(2), [3.0, 2.0]):
        hand = (weights[row, 0] * stats.norm.pdf(x, -2, 1) + weights[row, 1] * stats.norm.pdf(x)
                + weights[row, 2] * stats.norm.pdf(x, m, 0.5))
        np.testing.assert_allclose(out[row], np.log(hand))
    assert dist.parents == ("w", "m")


def test_far_from_every_component_the_density_does_not_underflow():
    dist = pg.Mixture(0.5, [pg.Normal(0.0, 1.0), pg.Normal(1.0, 1.0)])
    assert float(dist.logpdf(100.0)) == pytest.approx(
        np.logaddexp(np.log(0.5) + stats.norm.logpdf(100.0), np.log(0.5)
                     + stats.norm.logpdf(100.0, 1.0)))


def test_invalid_node_weights_have_zero_density():
    dist = pg.Mixture("w", [pg.Normal(0, 1), pg.Normal(1, 1)])
    assert np.all(dist.logpdf(0.0, params=(np.array([-0.1, 1.2]), 0.0, 1.0, 1.0, 1.0))
                  == -np.inf)
    vector = pg.Mixture("w", [pg.Normal(0, 1)] * 3)
    assert vector.logpdf(0.0, params=(np.array([0.5, 0.5, 0.5]), *[0.0, 1.0] * 3)) == -np.inf


def test_sampling_proportions_pass_a_chi_square_test():
    dist = pg.Mixture([0.2, 0.5, 0.3], [pg.Uniform(0, 1), pg.Uniform(1, 2), pg.Uniform(2, 3)])
    draws = dist.sample(5, size=20000)
    counts = np.histogram(draws, bins=[0, 1, 2, 3])[0]
    assert stats.chisquare(counts, 20000 * np.array([0.2, 0.5, 0.3])).pvalue > 0.01
    # negative control: equal weights are told apart
    assert stats.chisquare(counts, 20000 * np.full(3, 1 / 3)).pvalue < 1e-6


def test_sampling_matches_the_mixture_cdf():
    dist = pg.Mixture(0.3, [pg.Normal(0.0, 1.0), pg.Normal(4.0, 0.5)])
    draws = dist.sample(6, size=5000)
    assert stats.kstest(draws, dist.cdf).pvalue > 0.01
    assert stats.kstest(pg.Normal(0.0, 1.0).sample(6, size=5000), dist.cdf).pvalue < 1e-6


def test_counts():
    dist = pg.Mixture(0.4, [pg.Poisson(1.0), pg.Poisson(6.0)])
    k = np.arange(12)
    hand = 0.4 * stats.poisson.pmf(k, 1.0) + 0.6 * stats.poisson.pmf(k, 6.0)
    np.testing.assert_allclose(np.exp(dist.logpdf(k)), hand)
    assert dist.discrete and np.all(dist.sample(0, size=100) % 1 == 0)
    with pytest.raises(ValueError, match="integer counts"):
        dist.validate_data([1.5], "N")


def test_mean_and_variance_from_the_components():
    dist = pg.Mixture(0.3, [pg.Normal(0.0, 1.0), pg.Normal(5.0, 2.0)])
    draws = dist.sample(7, size=400000)
    assert float(dist.mean()) == pytest.approx(3.5)
    assert float(dist.variance()) == pytest.approx(draws.var(), rel=0.01)
    assert float(dist.variance()) == pytest.approx(0.3 * 1 + 0.7 * 4 + 0.3 * 0.7 * 25)

    class NoMean(pg.Normal):
        _mean = None
    with pytest.raises(UndefinedQuantityError, match="Mixture has no mean"):
        pg.Mixture(0.5, [NoMean(0, 1), pg.Normal(0, 1)]).mean()


def test_forms():
    dist = pg.Mixture("f", [pg.Normal("line", "s"), pg.Normal(0.0, 10.0)])
    assert dist.text() == "Mixture(f, [Normal(line, s), Normal(0, 10)])"
    assert dist.latex({"f": "f", "s": r"\sigma"}) == (
        r"f\,\mathcal{N}(line, \sigma) + (1 - f)\,\mathcal{N}(0, 10)")
    assert pg.Mixture("p", [pg.Normal(0, 1)] * 3).latex({"p": r"\pi"}).startswith(
        r"\pi_{1}\,\mathcal{N}(0, 1) + \pi_{2}")
    assert dist == pg.Mixture("f", [pg.Normal("line", "s"), pg.Normal(0.0, 10.0)])
    assert dist != pg.Mixture("g", [pg.Normal("line", "s"), pg.Normal(0.0, 10.0)])


@pytest.mark.parametrize("make, error, match", [
    (lambda: pg.Mixture(1.5, [pg.Normal(0, 1), pg.Normal(1, 1)]), ValueError, "0 <= w <= 1"),
    (lambda: pg.Mixture([0.5, 0.6], [pg.Normal(0, 1), pg.Normal(1, 1)]), ValueError,
     "sum to 1"),
    (lambda: pg.Mixture([1.2, -0.2], [pg.Normal(0, 1), pg.Normal(1, 1)]), ValueError,
     r"in \[0, 1\]"),
    (lambda: pg.Mixture([0.5, 0.5], [pg.Normal(0, 1)] * 3), ValueError, "3 numbers"),
    (lambda: pg.Mixture(0.5, [pg.Normal(0, 1)] * 3), ValueError, "3 weights"),
    (lambda: pg.Mixture(0.5, [pg.Normal(0, 1)]), ValueError, "two or more"),
    (lambda: pg.Mixture(0.5, pg.Normal(0, 1)), ValueError, "two or more"),
    (lambda: pg.Mixture(0.5, [pg.Normal(0, 1), pg.Poisson(2.0)]), ValueError,
     "mix continuous values and counts"),
    (lambda: pg.Mixture(0.5, [pg.Normal(0, 1), pg.Flat()]), ValueError, "improper"),
    (lambda: pg.Mixture(0.5, [pg.Normal(0, 1), 3.0]), TypeError, "component 2"),
    (lambda: pg.Mixture(0.5, [pg.Normal(0, 1), pg.MapPrior([[1.0]], (0, 1, 0, 1))]),
     TypeError, "one variable"),
    (lambda: pg.Mixture(None, [pg.Normal(0, 1), pg.Normal(1, 1)]), TypeError,
     "sequence of numbers or the name"),
    (lambda: pg.Mixture(0.5, [pg.Normal(0, 1), pg.Normal(1, -1)]), ValueError, "sigma > 0"),
])
def test_bad_inputs_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_weight_vector_of_the_wrong_length_names_the_node():
    dist = pg.Mixture("w", [pg.Normal(0, 1)] * 3)
    with pytest.raises(ValueError, match="'w' must hold 3 weights"):
        dist.logpdf(0.0, params=(np.array([0.5, 0.5]), *[0.0, 1.0] * 3))


def test_fixed_weight_out_of_range_names_the_node():
    m = pg.Model("fixed_weight")
    m.fixed("f")
    m.param("a", pg.Normal(0, 5))
    m.data("y", pg.Mixture("f", [pg.Normal("a", 1.0), pg.Normal(0.0, 10.0)]), plate="obs")
    with pytest.raises(ValueError, match="node 'y'.*0 <= w <= 1"):
        m.posterior(data={"y": [0.0, 1.0]}, inputs={"f": 1.5})


def _outlier_model():
    """Hogg, Bovy & Lang (2010, section 3): a line, and a broad background of outliers."""
    m = pg.Model("outliers")
    m.fixed("x", plate="points")
    m.fixed("sigma_y", plate="points")
    m.param("slope", pg.Uniform(-5, 5))
    m.param("intercept", pg.Uniform(-50, 50))
    m.param("f", pg.Beta(2, 2))                           # weight of the line
    m.param("mu_bg", pg.Normal(0, 50))
    m.param("sigma_bg", pg.HalfNormal(100))

    @m.deterministic(plate="points")
    def line(slope, intercept, x):
        return intercept + slope * x

    m.data("y", pg.Mixture("f", [pg.Normal("line", "sigma_y"),
                                 pg.Normal("mu_bg", "sigma_bg")]), plate="points")
    return m


def test_outlier_model_recovers_slope_and_intercept():
    rng = np.random.default_rng(12)
    x = rng.uniform(0, 10, 60)
    sigma_y = np.full(60, 1.0)
    y = 3.0 + 2.0 * x + rng.normal(0, 1.0, 60)
    outliers = rng.random(60) < 0.2
    y[outliers] = rng.normal(10.0, 30.0, outliers.sum())
    m = _outlier_model()
    post = m.posterior(data={"y": y}, inputs={"x": x, "sigma_y": sigma_y})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pg.fit.optimize.MapWarning)  # sigma_bg may sit wide
        res = pg.sample(post, 32, 1500, seed=3, initial="map", progress=False)
    chain = res.chain[700:].reshape(-1, post.ndim)
    slope, intercept = chain[:, 0], chain[:, 1]
    assert abs(slope.mean() - 2.0) < 3 * slope.std() + 0.05
    assert abs(intercept.mean() - 3.0) < 3 * intercept.std() + 0.3
    assert slope.std() < 0.1
    # a plain line fit is pulled away by the outliers
    naive = np.polyfit(x, y, 1)
    assert abs(naive[0] - 2.0) > abs(slope.mean() - 2.0)


def test_outlier_model_simulates_and_factorizes():
    m = _outlier_model()
    sim = m.simulate(inputs={"x": np.linspace(0, 10, 30), "sigma_y": np.ones(30)}, seed=4)
    assert sim["y"].shape == (30,)
    assert "prod_k p(y_k | slope, intercept, f, mu_bg, sigma_bg)" in str(m.factorization())


@settings(max_examples=60, deadline=None)
@given(params=hs.tuples(*[hs.floats()] * 4),
       x=hs.lists(hs.floats(), min_size=1, max_size=6))
def test_density_is_never_nan_even_with_invalid_node_arguments(params, x):
    dist = pg.Mixture("p0", [pg.Normal("p1", "p2"), pg.Exponential("p3")])
    x = np.array(x)
    out = dist.logpdf(x, params=params)
    assert out.shape == x.shape and not np.any(np.isnan(out))
    valid = pg.Mixture(0.3, [pg.Normal(0.0, 1.0), pg.Exponential(2.0)])
    assert np.array_equal(valid.logpdf(x), [valid.logpdf(v) for v in x])


def test_dirichlet_weights_in_a_model():
    m = pg.Model("three")
    m.plate("obs", size=3000)
    m.param("w", pg.Dirichlet([2.0, 2.0, 2.0]))
    m.param("mu", pg.Normal(0, 3))
    m.data("y", pg.Mixture("w", [pg.Normal(-5, 1), pg.Normal("mu", 1), pg.Normal(5, 1)]),
           plate="obs")
    sim = m.simulate(params={"w": np.array([0.1, 0.2, 0.7]), "mu": 0.0}, seed=1)
    counts = np.histogram(sim["y"], [-np.inf, -2.5, 2.5, np.inf])[0]
    assert stats.chisquare(counts, 3000 * np.array([0.1, 0.2, 0.7])).pvalue > 1e-3
    post = m.posterior(data={"y": sim["y"]})
    theta = post.sample_prior(0, 4)
    np.testing.assert_allclose(post.log_prob(theta), [post.log_prob(t) for t in theta])
    best = post.find_map(initial={"w": np.array([1 / 3] * 3), "mu": 1.0}, seed=0)
    np.testing.assert_allclose(best.params["w"], [0.1, 0.2, 0.7], atol=0.03)


def test_a_mixture_prior_with_dirichlet_weights():
    m = pg.Model("prior")
    m.param("w", pg.Dirichlet([2.0, 2.0, 2.0]))
    m.param("z", pg.Mixture("w", [pg.Normal(-5, 1), pg.Normal(0, 1), pg.Normal(5, 1)]))
    m.data("y", pg.Normal("z", 1.0))
    post = m.posterior(data={"y": 0.3})
    theta = post.sample_prior(0, 500)
    np.testing.assert_allclose(post.log_prob(theta[:5]), [post.log_prob(t) for t in theta[:5]])
    assert np.all(np.isfinite(post.log_prob(theta)))
