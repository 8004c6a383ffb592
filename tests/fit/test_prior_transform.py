"""Prior transforms from the graph: goodness of fit against scipy for every
distribution with an inverse CDF, joint and hierarchical priors against the
prior draws of simulation, and the refusals."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.distributions.improper import ImproperPriorError
from pgmsim.fit.prior_transform import NoPriorTransformError

N = 4000
#: false-alarm level of each goodness-of-fit test; the negative controls
#: must fall far below it
ALPHA = 1e-3

CONTINUOUS = [
    (pg.Uniform(1.0, 3.0), stats.uniform(1.0, 2.0)),
    (pg.LogUniform(0.1, 10.0), stats.loguniform(0.1, 10.0)),
    (pg.Normal(1.0, 2.0), stats.norm(1.0, 2.0)),
    (pg.LogNormal(0.5, 0.7), stats.lognorm(0.7, scale=np.exp(0.5))),
    (pg.HalfNormal(2.0), stats.halfnorm(scale=2.0)),
    (pg.Exponential(2.0), stats.expon(scale=0.5)),
    (pg.Gamma(2.5, 2.0), stats.gamma(2.5, scale=0.5)),
    (pg.Beta(2.0, 5.0), stats.beta(2.0, 5.0)),
    (pg.InverseGamma(3.0, 2.0), stats.invgamma(3.0, scale=2.0)),
    (pg.StudentT(4.0, 1.0, 2.0), stats.t(4.0, 1.0, 2.0)),
    (pg.Cauchy(1.0, 0.5), stats.cauchy(1.0, 0.5)),
    (pg.HalfCauchy(0.5), stats.halfcauchy(scale=0.5)),
    (pg.HalfStudentT(3.0, 2.0), None),   # scipy has no half-t: half_t_cdf
    (pg.Laplace(1.0, 0.5), stats.laplace(1.0, 0.5)),
    (pg.Truncated(pg.Normal(0.0, 1.0), low=0.5), stats.truncnorm(0.5, np.inf)),
]
DISCRETE = [
    (pg.Poisson(3.0), stats.poisson(3.0)),
    (pg.Binomial(10, 0.3), stats.binom(10, 0.3)),
    (pg.Bernoulli(0.3), stats.bernoulli(0.3)),
    (pg.NegativeBinomial(4.0, 2.0), stats.nbinom(2.0, 2.0 / (2.0 + 4.0))),
]


def half_t_cdf(x, nu=3.0, sigma=2.0):
    """The half Student-t CDF: twice the Student-t CDF above zero."""
    return np.clip(2.0 * stats.t(nu, 0.0, sigma).cdf(x) - 1.0, 0.0, 1.0)


def transformed(prior, u):
    """Draws of ``prior`` by the posterior's transform of ``u`` (shape (n,))."""
    m = pg.Model("one")
    m.param("a", prior)
    m.data("y", pg.Normal("a", 1.0))
    post = m.posterior(data={"y": 0.0})
    return post.prior_transform(u[:, None])[:, 0]


def uniform(seed, n=N, shape=None):
    return np.random.default_rng(seed).random((n,) if shape is None else (n, *shape))


@pytest.mark.parametrize("prior, oracle", CONTINUOUS, ids=lambda p: type(p).__name__)
def test_continuous_transform_passes_ks_against_scipy(prior, oracle):
    cdf = oracle.cdf if oracle is not None else half_t_cdf
    draws = transformed(prior, uniform(1))
    assert stats.kstest(draws, cdf).pvalue > ALPHA
    # negative control: cube points that are not uniform give the wrong law
    wrong = transformed(prior, uniform(1) ** 1.3)
    assert stats.kstest(wrong, cdf).pvalue < 1e-6


def chi_square_pvalue(draws, pmf):
    values, counts = np.unique(draws, return_counts=True)
    grid = np.arange(0, values.max() + 1)
    observed = np.array([counts[values == k].sum() for k in grid])
    expected = pmf(grid) * len(draws)
    # the tail beyond the largest draw joins the last cell
    expected[-1] += len(draws) - expected.sum()
    keep = expected > 5
    observed = np.append(observed[keep], observed[~keep].sum())
    expected = np.append(expected[keep], expected[~keep].sum())
    if expected[-1] == 0:
        observed, expected = observed[:-1], expected[:-1]
    return stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue


@pytest.mark.parametrize("prior, oracle", DISCRETE, ids=lambda p: type(p).__name__)
def test_discrete_inverse_cdf_passes_chi_square_against_scipy(prior, oracle):
    # parameters are continuous (a discrete prior is refused when declared):
    # the quantile function the transform would call is tested on its own
    draws = prior.ppf(uniform(2))
    assert np.all(draws == np.round(draws))
    assert chi_square_pvalue(draws, oracle.pmf) > ALPHA
    assert chi_square_pvalue(prior.ppf(uniform(2) ** 1.3), oracle.pmf) < 1e-6


def test_every_prior_with_an_inverse_cdf_is_tested():
    import inspect

    tested = {type(prior) for prior, _ in CONTINUOUS + DISCRETE}
    kinds = {cls for cls in vars(pg).values()
             if inspect.isclass(cls) and issubclass(cls, pg.Distribution)
             and cls._ppf is not None}
    assert kinds - tested <= {pg.BernoulliLogit}, kinds - tested


def test_plate_and_shape_parameters_are_transformed_entrywise():
    m = pg.Model("vectors")
    m.plate("g", size=3)
    m.param("a", pg.Normal(0.0, 1.0), plate="g")
    m.param("w", pg.Exponential(1.0), shape=2)
    m.data("y", pg.Normal("a", 1.0), plate="g")
    m.data("v", pg.Normal("w", 1.0), plate="k")
    post = m.posterior(data={"y": [0.0, 1.0, 2.0], "v": [1.0, 2.0]})
    u = uniform(3, shape=(post.ndim,))
    theta = post.prior_transform(u)
    assert np.allclose(theta[:, :3], stats.norm.ppf(u[:, :3]))
    assert np.allclose(theta[:, 3:], stats.expon.ppf(u[:, 3:]))
    # one point as a batch of one
    assert np.allclose(post.prior_transform(u[0]), theta[0])


def hierarchical_posterior():
    m = pg.Model("hier")
    m.plate("g", size=4)
    m.param("mu", pg.Normal(0.0, 2.0))
    m.param("tau", pg.HalfNormal(1.0))
    m.param("a", pg.Normal("mu", "tau"), plate="g")
    m.deterministic("upper", lambda mu: np.abs(mu) + 1.0)
    m.param("b", pg.Uniform(0.0, "upper"))
    m.data("y", pg.Normal("a", 1.0), plate="g")
    m.data("z", pg.Normal("b", 1.0))
    return m.posterior(data={"y": [0.0, 1.0, 2.0, 1.5], "z": 0.5})


def test_hierarchical_transform_matches_the_prior_draws_of_simulation():
    post = hierarchical_posterior()
    theta = post.prior_transform(uniform(4, shape=(post.ndim,)))
    prior = post.sample_prior(seed=5, n=N)    # draw_priors, as simulate draws them
    for k, name in enumerate(post.param_names):
        assert stats.ks_2samp(theta[:, k], prior[:, k]).pvalue > ALPHA, name
    # conditional on the parents: b below |mu| + 1 always
    assert np.all(theta[:, -1] <= np.abs(theta[:, 0]) + 1.0)
    # negative control: a[0] drawn as if its prior ignored mu and tau
    ignored = stats.norm.ppf(uniform(4)) * 1.0
    assert stats.ks_2samp(ignored, prior[:, 2]).pvalue < 1e-6


def test_hierarchical_transform_agrees_with_simulate():
    post = hierarchical_posterior()
    sims = [post.model.simulate(seed=s) for s in range(600)]
    theta = post.prior_transform(uniform(6, n=600, shape=(post.ndim,)))
    assert stats.ks_2samp([s["mu"] for s in sims], theta[:, 0]).pvalue > ALPHA
    assert stats.ks_2samp([s["b"] for s in sims], theta[:, -1]).pvalue > ALPHA


def test_multivariate_normal_transform():
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    m = pg.Model("mvn")
    m.param("x", pg.MultivariateNormal([1.0, -1.0], cov=cov), shape=2)
    m.data("y", pg.Normal("x", 1.0), plate="k")
    post = m.posterior(data={"y": [0.0, 0.0]})
    draws = post.prior_transform(uniform(7, shape=(2,)))
    for direction in ([1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -2.0]):
        d = np.array(direction)
        law = stats.norm(d @ [1.0, -1.0], np.sqrt(d @ cov @ d))
        assert stats.kstest(draws @ d, law.cdf).pvalue > ALPHA, direction
    # negative control: the covariance without its correlation
    d = np.array([1.0, -2.0])
    assert stats.kstest(draws @ d, stats.norm(3.0, np.sqrt(6.0)).cdf).pvalue < 1e-6


def test_dirichlet_transform_by_stick_breaking():
    alpha = np.array([2.0, 3.0, 5.0])
    m = pg.Model("dir")
    m.param("p", pg.Dirichlet(alpha), shape=3)
    m.data("n", pg.Poisson("p"), plate="k")
    post = m.posterior(data={"n": [1, 2, 3]})
    assert post.ndim == 2
    theta = post.prior_transform(uniform(8, shape=(2,)))
    shares = np.column_stack([theta, 1.0 - theta.sum(axis=1)])
    assert np.all(shares >= 0)
    for k in range(3):
        law = stats.beta(alpha[k], alpha.sum() - alpha[k])
        assert stats.kstest(shares[:, k], law.cdf).pvalue > ALPHA, k
    assert stats.kstest(shares[:, 0], stats.beta(3.0, 7.0).cdf).pvalue < 1e-6


def test_map_prior_transform_gives_the_pixel_probabilities():
    image = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 4.0]])
    prior = pg.MapPrior(image, extent=(0, 3, 0, 2))
    m = pg.Model("map")
    m.param(("x0", "y0"), prior)
    m.data("z", pg.Normal("x0", 1.0))
    m.data("w", pg.Normal("y0", 1.0))
    post = m.posterior(data={"z": 1.0, "w": 1.0})
    theta = post.prior_transform(uniform(9, shape=(2,)))
    assert np.all(np.isfinite(prior.logpdf(theta[:, 0], theta[:, 1])))
    counts, _, _ = np.histogram2d(theta[:, 1], theta[:, 0], bins=[2, 3],
                                  range=[[0, 2], [0, 3]])
    expected = prior.probabilities.ravel() * N
    cells = expected > 0
    assert stats.chisquare(counts.ravel()[cells], expected[cells]).pvalue > ALPHA
    # uniform within a pixel
    assert stats.kstest(theta[:, 0] % 1.0, "uniform").pvalue > ALPHA
    wrong = np.full(image.size, N / 4.0)[cells]
    assert stats.chisquare(counts.ravel()[cells], wrong).pvalue < 1e-6


@pytest.mark.parametrize("prior", [pg.Flat(), pg.HalfFlat()], ids=["Flat", "HalfFlat"])
def test_improper_priors_are_refused_naming_the_parameter(prior):
    m = pg.Model("improper")
    m.param("slope", prior)
    m.data("y", pg.Normal("slope", 1.0))
    post = m.posterior(data={"y": 0.5})
    with pytest.raises(ImproperPriorError, match="'slope' has an improper prior"):
        post.prior_transform([0.5])


def test_a_prior_without_inverse_cdf_is_refused_naming_the_parameter():
    m = pg.Model("mix")
    m.param("w", pg.Mixture(0.3, [pg.Normal(0, 1), pg.Normal(4, 1)]))
    m.data("y", pg.Normal("w", 1.0))
    post = m.posterior(data={"y": 0.5})
    with pytest.raises(NoPriorTransformError, match="parameter 'w' has no transform"):
        post.prior_transform([0.5])


def test_points_outside_the_cube_or_of_the_wrong_shape_are_refused():
    post = hierarchical_posterior()
    with pytest.raises(ValueError, match=r"unit cube \[0, 1\]"):
        post.prior_transform(np.full(post.ndim, 1.5))
    with pytest.raises(ValueError, match=r"u must have shape \(7,\)"):
        post.prior_transform(np.full(3, 0.5))
