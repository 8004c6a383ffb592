"""MultivariateNormal and Dirichlet against scipy.stats: densities of batches,
sampling by goodness-of-fit tests with negative controls, bad arguments."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg

COV = np.array([[2.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 0.5]])
MU = np.array([1.0, -2.0, 0.5])
ALPHA = np.array([2.0, 0.7, 4.0])


@pytest.mark.parametrize("form", ["cov", "chol"])
def test_mvn_logpdf_matches_scipy_for_a_batch(form):
    prior = pg.MultivariateNormal(MU, cov=COV) if form == "cov" else \
        pg.MultivariateNormal(MU, chol=np.linalg.cholesky(COV))
    x = np.random.default_rng(0).normal(size=(7, 4, 3))
    out = prior.logpdf(x)
    assert out.shape == (7, 4)
    np.testing.assert_allclose(out, stats.multivariate_normal(MU, COV).logpdf(x), rtol=1e-12)
    assert np.ndim(prior.logpdf(MU)) == 0


def test_mvn_with_a_node_mean_and_covariance_batches():
    prior = pg.MultivariateNormal("m", cov="S")
    rng = np.random.default_rng(1)
    mu, x = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    covs = np.stack([COV * (1 + i) for i in range(5)])
    out = prior.logpdf(x, params=(mu, covs))
    expected = [stats.multivariate_normal(mu[i], covs[i]).logpdf(x[i]) for i in range(5)]
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    covs[2] = -np.eye(3)                       # not positive definite: zero density
    assert prior.logpdf(x, params=(mu, covs))[2] == -np.inf


def _projection_pvalue(draws, mu, cov, direction):
    """KS p-value of the draws projected on ``direction`` against the exact normal."""
    d = np.asarray(direction, dtype=float)
    return stats.kstest(draws @ d, stats.norm(mu @ d, np.sqrt(d @ cov @ d)).cdf).pvalue


def test_mvn_sampling_passes_projection_tests_and_a_wrong_covariance_fails():
    draws = pg.MultivariateNormal(MU, cov=COV).sample(np.random.default_rng(42), size=4000)
    assert draws.shape == (4000, 3)
    for direction in ([1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [1, -2, 0.5]):
        assert _projection_pvalue(draws, MU, COV, direction) > 1e-3
    # negative control: the same tests see a covariance without correlations
    wrong = pg.MultivariateNormal(MU, cov=np.diag(np.diag(COV))).sample(
        np.random.default_rng(42), size=4000)
    assert _projection_pvalue(wrong, MU, COV, [1, 1, 1]) < 1e-3


def test_mvn_moments_and_written_forms():
    prior = pg.MultivariateNormal(MU, cov=COV)
    np.testing.assert_allclose(prior.mean(), MU)
    np.testing.assert_allclose(prior.variance(), np.diag(COV))
    assert prior.latex() == r"\mathcal{N}(\boldsymbol{\mu}, \Sigma)"
    assert pg.MultivariateNormal("m", chol="L").latex({"m": r"\boldsymbol{m}"}) == \
        r"\mathcal{N}(\boldsymbol{m}, L)"
    assert pg.MultivariateNormal([0, 1], cov=np.eye(2)).text() == \
        "MultivariateNormal([0, 1], cov=[[1, 0], [0, 1]])"
    assert prior.support() == (-np.inf, np.inf)
    assert prior == pg.MultivariateNormal(MU.copy(), cov=COV.copy())
    assert prior != pg.MultivariateNormal(MU, cov=2 * COV)


@pytest.mark.parametrize("make, error, match", [
    (lambda: pg.MultivariateNormal(MU), TypeError, "exactly one of cov= and chol="),
    (lambda: pg.MultivariateNormal(MU, cov=COV, chol=COV), TypeError, "exactly one"),
    (lambda: pg.MultivariateNormal(MU, cov=MU), ValueError, "cov must be a square matrix"),
    (lambda: pg.MultivariateNormal(MU, cov=[[np.nan]]), ValueError, "finite"),
    (lambda: pg.MultivariateNormal("1x", cov=COV), ValueError, "not a valid node name"),
    (lambda: pg.Dirichlet([[1.0, 2.0]]), ValueError, "alpha must be a vector"),
    (lambda: pg.Dirichlet(["a", "b"]), TypeError, "array of numbers"),
])
def test_bad_arguments_are_refused_when_made(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("prior, match", [
    (pg.MultivariateNormal(MU, cov=[[1.0, 2.0, 0], [2.0, 1.0, 0], [0, 0, 1]]),
     "cov is not positive definite"),
    (pg.MultivariateNormal(MU, cov=[[1.0, 0.5, 0], [0.4, 1.0, 0], [0, 0, 1]]),
     "cov is not symmetric"),
    (pg.MultivariateNormal(MU, chol=-np.eye(3)), "positive diagonal"),
    (pg.MultivariateNormal(MU, cov=np.eye(2)), "mu has 3 entries but cov is 2x2"),
    (pg.Dirichlet([1.0, 0.0]), "alpha must be positive"),
    (pg.Dirichlet([1.0]), "at least two"),
])
def test_unusable_priors_are_refused_when_used_and_when_declared_naming_the_node(prior, match):
    with pytest.raises(ValueError, match=match):
        prior.logpdf(np.zeros(prior.dim))
    with pytest.raises(ValueError, match=match):
        prior.sample(0, size=2)
    m = pg.Model("bad")
    with pytest.raises(pg.ModelError, match=f"'beta'.*{match}"):
        m.param("beta", prior)


def test_dirichlet_logpdf_matches_scipy_on_the_simplex_and_is_minus_inf_off_it():
    prior = pg.Dirichlet(ALPHA)
    x = np.random.default_rng(2).dirichlet(ALPHA, size=(6, 2))
    out = prior.logpdf(x)
    assert out.shape == (6, 2)
    np.testing.assert_allclose(out, stats.dirichlet(ALPHA).logpdf(x.reshape(-1, 3).T).reshape(6, 2),
                               rtol=1e-10)
    off = np.array([[0.5, 0.6, -0.1], [0.2, 0.2, 0.2], [np.nan, 0.5, 0.5]])
    assert np.all(prior.logpdf(off) == -np.inf)
    # node concentrations, one per row
    alphas = np.array([ALPHA, 2 * ALPHA])
    np.testing.assert_allclose(pg.Dirichlet("a").logpdf(x[0], params=(alphas,)),
                               [stats.dirichlet(a).logpdf(xi) for a, xi in zip(alphas, x[0])])


def test_dirichlet_sampling_marginals_are_betas_and_a_wrong_alpha_fails():
    draws = pg.Dirichlet(ALPHA).sample(np.random.default_rng(7), size=4000)
    assert draws.shape == (4000, 3)
    np.testing.assert_allclose(draws.sum(axis=1), 1.0)
    total = ALPHA.sum()
    for i, a in enumerate(ALPHA):
        assert stats.kstest(draws[:, i], stats.beta(a, total - a).cdf).pvalue > 1e-3
    wrong = pg.Dirichlet(ALPHA[::-1]).sample(np.random.default_rng(7), size=4000)
    assert stats.kstest(wrong[:, 0], stats.beta(ALPHA[0], total - ALPHA[0]).cdf).pvalue < 1e-3
    batch = pg.Dirichlet("a").sample(0, size=(2,), params=(np.array([ALPHA, ALPHA]),))
    assert batch.shape == (2, 3)


def test_dirichlet_moments_and_written_forms():
    prior = pg.Dirichlet(ALPHA)
    np.testing.assert_allclose(prior.mean(), stats.dirichlet(ALPHA).mean())
    np.testing.assert_allclose(prior.variance(), stats.dirichlet(ALPHA).var())
    assert prior.latex() == r"\mathrm{Dir}(\boldsymbol{\alpha})"
    assert pg.Dirichlet("a").text() == "Dirichlet(a)"
    assert prior.support() == (0.0, 1.0)
