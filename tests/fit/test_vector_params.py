"""Vector parameters in the posterior: packing, densities against hand-written
sums, and closed-form posteriors (a Gaussian linear regression with a
MultivariateNormal prior, weighted least squares with a (K, 5) design matrix,
Dirichlet-categorical counts) matched within Monte Carlo error, each with a
negative control."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg

COUNTS = np.array([12, 5, 20])
ALPHA = np.array([2.0, 3.0, 1.5])


def _regression(prior, K=12, D=3, seed=0, sigma=0.8):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(K, D))
    y = X @ rng.normal(size=D) + sigma * rng.normal(size=K)
    m = pg.Model("regression")
    m.fixed("X", plate="obs")
    m.param("beta", prior, shape=D)
    m.deterministic("mu", lambda X, beta: np.einsum("kd,...d->...k", X, beta), plate="obs")
    m.data("y", pg.Normal("mu", sigma), plate="obs")
    return m, X, y, sigma


def _gaussian_posterior(X, y, sigma, prior_mean, prior_cov):
    """The closed-form posterior of beta in y ~ N(X beta, sigma^2), beta ~ N(m0, S0)."""
    precision = np.linalg.inv(prior_cov) + X.T @ X / sigma**2
    cov = np.linalg.inv(precision)
    return cov @ (np.linalg.solve(prior_cov, prior_mean) + X.T @ y / sigma**2), cov


def _agrees(samples, ess, mean, cov):
    """Sample mean and covariance within 5 Monte Carlo standard errors of a
    Gaussian's (whitened, so that each entry is a standard normal's)."""
    white = np.linalg.solve(np.linalg.cholesky(cov), (samples - mean).T).T
    n = ess.min()
    mean_ok = np.all(np.abs(white.mean(axis=0)) < 5 / np.sqrt(n))
    cov_ok = np.all(np.abs(np.cov(white.T) - np.eye(len(mean))) < 5 * np.sqrt(2 / n))
    return bool(mean_ok and cov_ok)


def test_packing_and_log_prob_of_a_vector_parameter_against_a_hand_written_sum():
    prior_cov = np.array([[1.0, 0.3, 0.0], [0.3, 2.0, -0.4], [0.0, -0.4, 0.5]])
    m, X, y, sigma = _regression(pg.MultivariateNormal([0.5, 0.0, -0.5], cov=prior_cov))
    post = m.posterior(data={"y": y}, inputs={"X": X})
    assert post.param_names == ["beta[0]", "beta[1]", "beta[2]"]
    theta = np.random.default_rng(1).normal(size=(6, 3))
    expected = (stats.multivariate_normal([0.5, 0.0, -0.5], prior_cov).logpdf(theta)
                + stats.norm(theta @ X.T, sigma).logpdf(y).sum(axis=1))
    np.testing.assert_allclose(post.log_prob(theta), expected, rtol=1e-10)
    np.testing.assert_allclose([post.log_prob(t) for t in theta], expected, rtol=1e-10)
    assert post.unpack(theta)["beta"].shape == (6, 3)
    np.testing.assert_array_equal(post.pack({"beta": theta[0]}), theta[0])
    assert post.sample_prior(seed=0, n=5).shape == (5, 3)


def test_a_univariate_prior_on_a_vector_applies_to_each_entry():
    m, X, y, sigma = _regression(pg.Normal(0.0, 10.0))
    post = m.posterior(data={"y": y}, inputs={"X": X})
    theta = np.array([[0.1, -2.0, 3.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(post.log_prior(theta),
                               stats.norm(0, 10).logpdf(theta).sum(axis=1), rtol=1e-12)
    draws = post.sample_prior(seed=3, n=4000)
    assert stats.kstest(draws[:, 1], stats.norm(0, 10).cdf).pvalue > 1e-3


def _dirichlet_counts():
    m = pg.Model("categories")
    m.param("p", pg.Dirichlet(ALPHA))
    m.factor("counts", lambda p: np.sum(COUNTS * np.log(p), axis=-1))
    return m


def test_a_dirichlet_parameter_is_packed_without_its_last_entry():
    post = _dirichlet_counts().posterior(data={})
    assert post.param_names == ["p[0]", "p[1]"]
    np.testing.assert_allclose(post.unpack([0.2, 0.3])["p"], [0.2, 0.3, 0.5])
    np.testing.assert_allclose(post.pack({"p": [0.2, 0.3, 0.5]}), [0.2, 0.3])
    with pytest.raises(ValueError, match="parameter 'p' lies on the simplex: its entries "
                                         "must sum to 1"):
        post.pack({"p": [0.2, 0.3, 0.6]})
    x = np.array([0.2, 0.3, 0.5])
    expected = stats.dirichlet(ALPHA).logpdf(x) + np.sum(COUNTS * np.log(x))
    assert np.isclose(post.log_prob([0.2, 0.3]), expected)
    np.testing.assert_allclose(post.log_prob(np.array([[0.2, 0.3], [0.7, 0.4]])),
                               [expected, -np.inf])
    draws = post.sample_prior(seed=0, n=2000)
    assert draws.shape == (2000, 2) and np.all(draws.sum(axis=1) < 1)


def test_dirichlet_counts_posterior_is_dirichlet_of_alpha_plus_counts():
    post = _dirichlet_counts().posterior(data={})
    res = pg.sample(post, nwalkers=32, nsteps=3000, seed=5, progress=False)
    samples = post.unpack(res.flat_samples())["p"]
    ess = res.ess()
    exact = stats.dirichlet(ALPHA + COUNTS)
    error = np.sqrt(exact.var()) / np.sqrt(ess.min())
    assert np.all(np.abs(samples.mean(axis=0) - exact.mean()) < 5 * error)
    np.testing.assert_allclose(samples.std(axis=0), np.sqrt(exact.var()), rtol=0.1)
    # negative control: the prior's mean is far outside the same tolerance
    assert np.any(np.abs(samples.mean(axis=0) - stats.dirichlet(ALPHA).mean()) > 5 * error)


def test_regression_with_a_multivariate_normal_prior_matches_the_closed_form():
    prior_mean = np.array([0.5, 0.0, -0.5])
    prior_cov = np.array([[0.3, 0.1, 0.0], [0.1, 0.2, -0.05], [0.0, -0.05, 0.1]])
    m, X, y, sigma = _regression(pg.MultivariateNormal(prior_mean, cov=prior_cov))
    post = m.posterior(data={"y": y}, inputs={"X": X})
    res = pg.sample(post, nwalkers=32, nsteps=3000, seed=6, progress=False)
    samples, ess = res.flat_samples(), res.ess()
    mean, cov = _gaussian_posterior(X, y, sigma, prior_mean, prior_cov)
    assert _agrees(samples, ess, mean, cov)
    # negative control: the posterior without the prior (least squares) is refused
    assert not _agrees(samples, ess, *_gaussian_posterior(X, y, sigma, prior_mean,
                                                           1e6 * np.eye(3)))


def test_weighted_least_squares_with_a_design_matrix_in_five_lines():
    rng = np.random.default_rng(11)
    X = np.column_stack([np.ones(60), rng.normal(size=(60, 4))])      # (K, 5)
    sigma = rng.uniform(0.5, 2.0, size=60)
    y = X @ np.array([1.0, -2.0, 0.5, 3.0, 0.0]) + sigma * rng.normal(size=60)

    m = pg.Model("wls")
    m.fixed("X", plate="obs"); m.fixed("sigma", plate="obs")
    m.param("beta", pg.Normal(0, 10), shape=5)
    m.deterministic("mu", lambda X, beta: beta @ X.T, plate="obs")
    m.data("y", pg.Normal("mu", "sigma"), plate="obs")

    post = m.posterior(data={"y": y}, inputs={"X": X, "sigma": sigma})
    res = pg.sample(post, nwalkers=40, nsteps=3000, seed=7, progress=False)
    samples, ess = res.flat_samples(), res.ess()
    # weighted least squares, with the N(0, 10^2) prior included exactly
    weights = 1.0 / sigma**2
    cov = np.linalg.inv(X.T @ (weights[:, None] * X) + np.eye(5) / 100.0)
    mean = cov @ (X.T @ (weights * y))
    assert _agrees(samples, ess, mean, cov)
    # negative control: unweighted least squares is refused
    ols_cov = np.linalg.inv(X.T @ X / np.mean(weights))
    assert not _agrees(samples, ess, ols_cov @ (X.T @ y) * np.mean(weights), ols_cov)


def test_hierarchical_vectors_one_point_and_a_batch_agree_with_a_hand_written_sum():
    m = pg.Model("hierarchy")
    m.plate("obs", size=3)
    m.param("tau", pg.HalfNormal(1.0))
    m.param("mu", pg.Normal(0, 1), shape=2)
    m.param("beta", pg.MultivariateNormal("mu", cov=np.eye(2)))
    m.param("gamma", pg.Normal(0, "tau"), shape=3)
    m.deterministic("s", lambda beta, gamma: np.sum(beta, axis=-1, keepdims=True)
                    + np.sum(gamma, axis=-1, keepdims=True))
    m.data("y", pg.Normal("s", 1.0), plate="obs")
    sim = m.simulate(seed=1)
    assert [np.shape(sim[n]) for n in ("tau", "mu", "beta", "gamma", "y")] == \
        [(), (2,), (2,), (3,), (3,)]
    y = np.array([0.1, 0.2, 0.3])
    post = m.posterior(data={"y": y})
    theta = post.sample_prior(seed=2, n=5)
    v = post.unpack(theta)
    expected = (stats.halfnorm(scale=1.0).logpdf(v["tau"])
                + stats.norm(0, 1).logpdf(v["mu"]).sum(axis=1)
                + [stats.multivariate_normal(mu).logpdf(b) for mu, b in zip(v["mu"], v["beta"])]
                + stats.norm(0, v["tau"][:, None]).logpdf(v["gamma"]).sum(axis=1)
                + stats.norm((v["beta"].sum(1) + v["gamma"].sum(1))[:, None], 1.0)
                .logpdf(y).sum(axis=1))
    np.testing.assert_allclose(post.log_prob(theta), expected, rtol=1e-10)
    np.testing.assert_allclose([post.log_prob(t) for t in theta], expected, rtol=1e-10)
