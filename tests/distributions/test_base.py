"""The base class: support enforced for every distribution, moments, deviance,
and the interface shared by distributions of one and of several variables."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.distributions import Distribution, JointDistribution


class CarelessHalfLaplace(Distribution):
    """A user distribution whose density ignores its support ``[0, inf)``."""

    arg_names = ("b",)
    latex_name = r"\mathrm{HalfLaplace}"

    def _logpdf(self, x, b):
        return -np.abs(x) / b - np.log(b)

    def _sample(self, rng, size, b):
        return np.abs(rng.laplace(0.0, b, size))

    def _support(self, b):
        return (0.0, np.inf)


class CarelessBox(Distribution):
    """Support ``[low, high]`` from its arguments; the density ignores it, and
    its one-point path (with :mod:`math`) too."""

    arg_names = ("low", "high")
    latex_name = r"\mathrm{Box}"

    def _logpdf(self, x, low, high):
        return -np.log(high - low) + 0.0 * x

    def _logpdf_scalar(self, x, low, high):
        return -np.log(high - low)

    def _sample(self, rng, size, low, high):
        return rng.uniform(low, high, size)

    def _support(self, low, high):
        return (low, high)


class CarelessSquare(JointDistribution):
    """A joint prior on the unit square whose density ignores the square."""

    latex_name = r"\mathcal{U}_{\square}"

    def _logpdf(self, x, y):
        return 0.0 * (x + y)

    def _sample(self, rng, shape):
        return rng.random(shape + (2,))

    def _support(self):
        return ((0.0, 1.0), (0.0, 1.0))


def test_public_logpdf_is_minus_inf_outside_the_support():
    dist = CarelessHalfLaplace(2.0)
    assert dist.logpdf(-1.0) == -np.inf
    assert dist.logpdf(1.0) == pytest.approx(-0.5 - np.log(2.0))
    out = dist.logpdf(np.array([-3.0, 0.0, 3.0]))
    assert out[0] == -np.inf and np.all(np.isfinite(out[1:]))
    box = CarelessBox("lo", "hi")
    out = box.logpdf(np.array([0.5, 2.5]), params=(np.array([0.0, 0.0]), 2.0))
    np.testing.assert_array_equal(out, [-np.log(2.0), -np.inf])


def test_prior_outside_the_support_is_minus_inf_for_one_point_and_a_batch():
    m = pg.Model("careless prior")
    m.param("s", CarelessHalfLaplace(1.0))
    m.param("a", CarelessBox(0.0, 2.0))
    m.data("z", pg.Normal("s", 1.0))
    m.data("w", pg.Normal("a", 1.0))
    post = m.posterior(data={"z": 0.5, "w": 0.5})
    assert post.log_prob([-0.5, 1.0]) == -np.inf
    assert post.log_prob([0.5, 3.0]) == -np.inf
    assert np.isfinite(post.log_prob([0.5, 1.0]))
    batch = np.array([[-0.5, 1.0], [0.5, 3.0], [0.5, 1.0], [0.5, -0.1]])
    out = post.log_prob(batch)
    assert np.all(out[[0, 1, 3]] == -np.inf) and np.isfinite(out[2])
    np.testing.assert_array_equal(post.log_prior(batch)[[0, 1, 3]], -np.inf)


def test_hierarchical_prior_outside_its_support_is_minus_inf():
    # the support depends on another parameter: checked at every call
    m = pg.Model("careless hierarchy")
    m.param("hi", pg.Uniform(1.0, 3.0))
    m.param("a", CarelessBox(0.0, "hi"))
    m.data("z", pg.Normal("a", 1.0))
    post = m.posterior(data={"z": 0.5})
    assert post.log_prob([2.0, 2.5]) == -np.inf
    assert np.isfinite(post.log_prob([2.0, 1.5]))
    out = post.log_prob(np.array([[2.0, 2.5], [2.0, 1.5], [1.5, -0.5]]))
    assert out[0] == -np.inf and np.isfinite(out[1]) and out[2] == -np.inf


def test_likelihood_outside_the_support_is_minus_inf_for_one_point_and_a_batch():
    # data z ~ Box(0, hi): the support moves with the parameter
    m = pg.Model("careless likelihood")
    m.param("hi", pg.Uniform(0.0, 10.0))
    m.data("z", CarelessBox(0.0, "hi"), plate="obs")
    post = m.posterior(data={"z": [1.0, 3.0, 2.0]})
    assert post.log_likelihood([2.0]) == -np.inf
    assert post.log_likelihood([4.0]) == pytest.approx(-3 * np.log(4.0))
    out = post.log_prob(np.array([[2.0], [4.0], [2.9]]))
    assert out[0] == -np.inf and np.isfinite(out[1]) and out[2] == -np.inf


def test_likelihood_with_constant_support_checks_the_data_once():
    total = CarelessHalfLaplace(1.0).loglike(np.array([1.0, 2.0]))
    assert total(1.0) == pytest.approx(-3.0)
    outside = CarelessHalfLaplace(1.0).loglike(np.array([1.0, -2.0]))
    assert outside(1.0) == -np.inf
    np.testing.assert_array_equal(outside(np.ones((3, 1))), [-np.inf] * 3)


def test_joint_prior_outside_its_region_is_minus_inf():
    prior = CarelessSquare()
    np.testing.assert_array_equal(prior.logpdf([0.5, 1.5, 0.5], [0.5, 0.5, -0.1]),
                                  [0.0, -np.inf, -np.inf])
    m = pg.Model("careless joint")
    m.param(("x0", "y0"), prior)
    m.data("z", pg.Normal("x0", 1.0))
    m.data("w", pg.Normal("y0", 1.0))
    post = m.posterior(data={"z": 0.3, "w": 0.3})
    assert post.log_prior([1.5, 0.5]) == -np.inf
    out = post.log_prob(np.array([[0.5, 0.5], [0.5, 2.0]]))
    assert np.isfinite(out[0]) and out[1] == -np.inf


def test_a_subclass_of_a_builtin_that_rewrites_the_density_is_checked_too():
    class ShiftedPoisson(pg.Poisson):
        def _logpdf(self, x, mu):
            return stats.poisson.logpmf(np.round(np.abs(x)), mu)

    dist = ShiftedPoisson("mu")
    assert dist.logpdf(-2.0, params=(3.0,)) == -np.inf
    # its likelihood is its own density, not Poisson's fast form
    total = dist.loglike(np.array([2.0, 3.0]))
    assert total(np.array([3.0])) == pytest.approx(stats.poisson.logpmf([2, 3], 3.0).sum())


@pytest.mark.parametrize("dist, ref", [
    (pg.Uniform(-1, 3), stats.uniform(-1, 4)),
    (pg.LogUniform(1e-3, 10), stats.loguniform(1e-3, 10)),
    (pg.Normal(1.5, 0.7), stats.norm(1.5, 0.7)),
    (pg.LogNormal(0.3, 0.8), stats.lognorm(0.8, scale=np.exp(0.3))),
    (pg.HalfNormal(2.0), stats.halfnorm(scale=2.0)),
    (pg.Exponential(0.5), stats.expon(scale=2.0)),
    (pg.Gamma(2.5, 1.5), stats.gamma(2.5, scale=1 / 1.5)),
    (pg.Beta(2.0, 5.0), stats.beta(2.0, 5.0)),
    (pg.Poisson(3.5), stats.poisson(3.5)),
], ids=lambda c: repr(c)[:20])
def test_mean_and_variance_match_scipy(dist, ref):
    assert float(dist.mean()) == pytest.approx(ref.mean(), rel=1e-12)
    assert float(dist.variance()) == pytest.approx(ref.var(), rel=1e-12)


def test_moments_broadcast_over_node_values():
    mu = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(pg.Poisson("mu").variance(params=(mu,)), mu)
    np.testing.assert_array_equal(pg.Normal("mu", 2.0).variance(params=(mu, 2.0)), 4.0)


def test_map_prior_moments_are_those_of_its_pixels():
    image = np.array([[0.0, 1.0], [3.0, 0.0]])
    prior = pg.MapPrior(image, (0, 2, 0, 4))
    draws = prior.sample(0, size=200_000)
    np.testing.assert_allclose(prior.mean(), draws.mean(axis=0), atol=0.01)
    np.testing.assert_allclose(prior.variance(), draws.var(axis=0), rtol=0.01)


def test_missing_quantities_raise_naming_the_distribution():
    with pytest.raises(ValueError, match="CarelessHalfLaplace has no mean"):
        CarelessHalfLaplace(1.0).mean()
    with pytest.raises(ValueError, match="CarelessHalfLaplace has no variance"):
        CarelessHalfLaplace(1.0).variance()
    with pytest.raises(ValueError, match="Gamma has no deviance"):
        pg.Gamma(1.0, 1.0).deviance(1.0)


def test_deviance_is_twice_the_log_likelihood_ratio_to_the_saturated_model():
    x = np.array([0.0, 2.0, 7.0])
    mu = np.array([0.5, 2.0, 4.0])
    dev = pg.Poisson("mu").deviance(x, params=(mu,))
    ratio = stats.poisson.logpmf(x, x) - stats.poisson.logpmf(x, mu)
    np.testing.assert_allclose(dev, 2 * ratio, rtol=1e-12)
    dev = pg.Normal("mu", 2.0).deviance(x, params=(mu, 2.0))
    np.testing.assert_allclose(dev, ((x - mu) / 2.0) ** 2, rtol=1e-15)


def test_every_distribution_says_how_many_variables_it_has():
    assert pg.Normal(0, 1).nvars == 1 and CarelessSquare().nvars == 2
    assert pg.MapPrior(np.ones((2, 2)), (0, 1, 0, 1)).nvars == 2


def test_draws_and_densities_one_array_per_variable():
    rng = np.random.default_rng(1)
    for dist in (pg.Normal(0.0, 1.0), pg.MapPrior(np.ones((2, 3)), (0, 3, 0, 2))):
        values = dist.sample_vars(rng, size=5)
        assert len(values) == dist.nvars
        assert all(v.shape == (5,) for v in values)
        lp = dist.logpdf_vars(values)
        assert lp.shape == (5,) and np.all(np.isfinite(lp))
    x = pg.Normal("mu", 1.0).sample_vars(rng, size=3, params=(np.zeros(3), 1.0))
    assert len(x) == 1 and x[0].shape == (3,)
    np.testing.assert_allclose(pg.Normal("mu", 1.0).logpdf_vars(x, params=(0.0, 1.0)),
                               stats.norm.logpdf(x[0]))


class CarelessHalfCauchy(Distribution):
    """A user half-Cauchy prior: support ``(0, inf)`` declared, and a density
    that ignores it (finite, and symmetric, at negative values)."""

    arg_names = ("scale",)
    latex_name = r"\mathrm{HalfCauchy}"

    def _logpdf(self, x, scale):
        return np.log(2.0 / (np.pi * scale)) - np.log1p((x / scale) ** 2)

    def _sample(self, rng, size, scale):
        return np.abs(scale * rng.standard_cauchy(size))

    def _support(self, scale):
        return (0.0, np.inf)


def test_a_user_half_cauchy_prior_never_gives_a_negative_scale():
    # data that pull the parameter below zero: only the prior's support keeps
    # it positive, on the one-point path, the batch path and in emcee's chain
    m = pg.Model("half cauchy")
    m.param("tau", CarelessHalfCauchy(1.0))
    m.data("y", pg.Normal("tau", 0.5), plate="obs")
    post = m.posterior(data={"y": [-1.0, -1.5, -0.5, -1.2]})
    assert post.log_prob([-1.0]) == -np.inf
    assert np.isfinite(post.log_prob([0.1]))
    out = post.log_prob(np.array([[-1.0], [0.1], [-1e-9], [2.0]]))
    assert out[0] == -np.inf and out[2] == -np.inf and np.all(np.isfinite(out[[1, 3]]))
    res = pg.sample(post, nwalkers=8, nsteps=300, seed=3, progress=False)
    assert res.chain.min() >= 0.0
    assert np.all(np.isfinite(res.log_prob))


@pytest.mark.parametrize("values, first", [
    (np.array([3, 2**53 + 1, 2**60], dtype=np.int64), "first 9007199254740993 at index 1"),
    (np.array([0.0, 1e16]), "first 10000000000000000 at index 1"),
    (np.array([1.0, 2.0**53]), "first 9007199254740992 at index 1"),
    ([1, -(2**53) - 2], "first -9007199254740994 at index 1"),
])
def test_counts_beyond_exact_float_range_are_refused_for_any_discrete_distribution(
        values, first):
    class Counts(CarelessHalfLaplace):
        discrete = True

    with pytest.raises(ValueError) as err:
        Counts("b").validate_data(values, "N")
    message = str(err.value)
    assert message.startswith("Counts data for node 'N' must be counts below 2**53")
    assert message.endswith(f"value(s) are not, {first}")
    # the largest count that cannot be a rounded one is accepted; continuous
    # data are not counts
    assert Counts("b").validate_data(np.array([2**53 - 1]), "N")[0] == 2.0**53 - 1
    assert pg.Normal("mu", 1.0).validate_data([1e300], "y")[0] == 1e300
