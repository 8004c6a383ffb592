"""NegativeBinomial against scipy.stats, and the checks of observed counts.

(The Poisson's oracle tests are in test_distributions.py.)"""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.distributions.discrete import CountDistribution


def nbinom(mu, alpha):
    """scipy's parametrisation: n = alpha, p = alpha / (alpha + mu)."""
    return stats.nbinom(alpha, alpha / (alpha + np.asarray(mu)))


@pytest.mark.parametrize("mu, alpha", [(4.0, 2.0), (0.3, 0.05), (150.0, 1e4), (0.0, 1.5)])
def test_logpmf_matches_scipy_inside_and_is_minus_inf_outside(mu, alpha):
    dist = pg.NegativeBinomial(mu, alpha)
    x = np.array([0.0, 1.0, 3.0, 40.0, 150.0, 1000.0])
    np.testing.assert_allclose(dist.logpdf(x), nbinom(mu, alpha).logpmf(x), rtol=1e-10,
                               atol=1e-12)
    assert np.all(dist.logpdf(np.array([-1.0, 2.5, np.inf, np.nan])) == -np.inf)


def test_a_batch_of_walkers_against_plate_values_and_the_likelihood():
    counts = np.array([0.0, 2.0, 7.0, 1.0])
    mu = np.array([[0.5, 1.0, 6.0, 2.0], [3.0, 3.0, 3.0, 3.0]])
    alpha = np.array([[0.8], [20.0]])
    dist = pg.NegativeBinomial("mu", "alpha")
    want = nbinom(mu, alpha).logpmf(counts)
    np.testing.assert_allclose(dist.logpdf(counts, params=(mu, alpha)), want, rtol=1e-12)
    total = dist.loglike(counts)
    np.testing.assert_allclose(total(mu, alpha), want.sum(axis=1), rtol=1e-12)
    assert total(mu, np.array([[0.8], [-1.0]]))[1] == -np.inf


def test_large_dispersion_tends_to_the_poisson():
    x = np.arange(30.0)
    np.testing.assert_allclose(pg.NegativeBinomial(6.0, 1e9).logpdf(x),
                               stats.poisson(6.0).logpmf(x), rtol=1e-7)


def test_cdf_quantiles_and_moments_match_scipy():
    dist, ref = pg.NegativeBinomial(4.0, 2.0), nbinom(4.0, 2.0)
    x = np.array([-1.0, 0.0, 2.5, 4.0, 30.0])
    np.testing.assert_allclose(dist._cdf(x, 4.0, 2.0), ref.cdf(x), rtol=1e-12)
    q = np.array([1e-6, 0.2, 0.5, 0.95, 1.0])
    np.testing.assert_array_equal(dist._ppf(q, 4.0, 2.0), ref.ppf(q))
    assert float(dist.mean()) == pytest.approx(ref.mean(), rel=1e-12)
    assert float(dist.variance()) == pytest.approx(ref.var(), rel=1e-12)
    # the saturated model puts the mean on each count
    dev = dist.deviance(np.array([0.0, 5.0]))
    np.testing.assert_allclose(dev, 2 * (nbinom(np.array([0.0, 5.0]), 2.0).logpmf([0, 5])
                                         - ref.logpmf([0, 5])), rtol=1e-12)


def chi2_pvalue(draws, ref, top=25):
    observed = np.array([np.sum(draws == k) for k in range(top)] + [np.sum(draws >= top)])
    expected = np.append(ref.pmf(np.arange(top)), ref.sf(top - 1)) * draws.size
    return stats.chisquare(observed, expected).pvalue


def test_sampling_passes_a_chi_square_test_that_rejects_a_wrong_parameter():
    # false-alarm rate 1e-3 at a fixed seed; the control has the same mean,
    # a dispersion 25 percent larger
    ref = nbinom(4.0, 2.0)
    draws = pg.NegativeBinomial(4.0, 2.0).sample(np.random.default_rng(42), size=20_000)
    assert chi2_pvalue(draws, ref) > 1e-3
    wrong = pg.NegativeBinomial(4.0, 2.5).sample(np.random.default_rng(42), size=20_000)
    assert chi2_pvalue(wrong, ref) < 1e-3


def test_bad_counts_and_arguments_are_refused():
    with pytest.raises(ValueError, match=r"NegativeBinomial data for node 'N' must be "
                                         r"non-negative counts; 1 value\(s\) are negative"):
        pg.NegativeBinomial("mu", 2.0).validate_data([1, -2], "N")
    with pytest.raises(ValueError, match="alpha > 0"):
        pg.NegativeBinomial(1.0, 0.0)
    with pytest.raises(ValueError, match="mu >= 0"):
        pg.NegativeBinomial(-1.0, 1.0)


def test_count_data_are_checked_naming_the_distribution_node_and_first_bad_value():
    for dist in (pg.Poisson("mu"), pg.NegativeBinomial("mu", 1.0), pg.Binomial(9, "p")):
        assert isinstance(dist, CountDistribution) and dist.discrete
        with pytest.raises(ValueError, match=rf"{type(dist).__name__} data for node 'N' must "
                                             r"be integer counts; 2 value\(s\) are not, "
                                             r"first 0.5 at index 1"):
            dist.validate_data(np.array([1.0, 0.5, 2.5]), "N")
        np.testing.assert_array_equal(dist.validate_data([0, 4], "N"), [0.0, 4.0])


def test_over_dispersed_counts_are_fitted():
    rng = np.random.default_rng(5)
    counts = pg.NegativeBinomial(8.0, 1.5).sample(rng, size=400)
    m = pg.Model("overdispersed")
    m.param("mu", pg.LogUniform(0.1, 100.0))
    m.param("alpha", pg.HalfCauchy(5.0))
    m.data("N", pg.NegativeBinomial("mu", "alpha"), plate="obs")
    post = m.posterior(data={"N": counts})
    fit = post.find_map(seed=1)
    assert fit.params["mu"] == pytest.approx(counts.mean(), rel=0.02)
    assert 1.0 < fit.params["alpha"] < 2.3
