"""Binomial, Bernoulli and BernoulliLogit against scipy.stats: masses, batches,
fast likelihoods, CDF and quantiles, sampling (chi-square with negative
controls), data checks, and the Beta-Binomial conjugate posterior."""

import math

import numpy as np
import pytest
from scipy import special, stats

import pgmsim as pg
from pgmsim.distributions.trials import log_binomial_coefficient

# (pgmsim distribution, scipy equivalent, values inside, values outside)
CASES = [
    (pg.Binomial(12, 0.3), stats.binom(12, 0.3), [0, 1, 4, 12], [-1, 13, 2.5, 1e300]),
    (pg.Binomial(5, 0.0), stats.binom(5, 0.0), [0, 1, 5], [6]),
    (pg.Binomial(5, 1.0), stats.binom(5, 1.0), [0, 4, 5], [-1]),
    (pg.Bernoulli(0.2), stats.bernoulli(0.2), [0, 1], [-1, 0.5, 2]),
    (pg.BernoulliLogit(-1.3), stats.bernoulli(special.expit(-1.3)), [0, 1], [0.5, 2, -1]),
]
IDS = ["Binomial", "Binomial_p0", "Binomial_p1", "Bernoulli", "BernoulliLogit"]


@pytest.mark.parametrize("dist, ref, inside, outside", CASES, ids=IDS)
def test_logpmf_matches_scipy_inside_and_is_minus_inf_outside(dist, ref, inside, outside):
    x = np.array(inside, dtype=float)
    np.testing.assert_allclose(dist.logpdf(x), ref.logpmf(x), rtol=1e-12, atol=1e-12)
    assert np.all(dist.logpdf(np.array(outside, dtype=float)) == -np.inf)
    assert np.all(dist.logpdf(np.array([np.nan, np.inf, -np.inf])) == -np.inf)


def test_binomial_coefficients_stay_exact_for_large_n():
    n = np.array([10.0, 1e6, 1e12])
    k = np.array([3.0, 50.0, 7.0])
    # exact integers as the oracle: a difference of log-gammas loses digits at n = 1e12
    want = [math.log(math.comb(int(a), int(b))) for a, b in zip(n, k)]
    np.testing.assert_allclose(log_binomial_coefficient(n, k), want, rtol=1e-12)


def test_bernoulli_logit_is_exact_far_in_the_tails():
    # p = expit(-800) underflows to 0; ln p = -800 - ln(1 + exp(-800))
    assert float(pg.BernoulliLogit(-800.0).logpdf(1)) == -800.0
    assert float(pg.BernoulliLogit(800.0).logpdf(0)) == -800.0
    assert float(pg.BernoulliLogit(800.0).logpdf(1)) == 0.0


@pytest.mark.parametrize("dist, ref, inside, outside", CASES[:1] + CASES[3:],
                         ids=["Binomial", "Bernoulli", "BernoulliLogit"])
def test_a_batch_of_walkers_against_plate_values_and_the_fast_likelihood(dist, ref, inside,
                                                                         outside):
    # the last argument (p or eta) one value per walker, shape (nwalkers, 1)
    last = np.array([[0.1], [0.5], [0.9]])
    if isinstance(dist, pg.BernoulliLogit):
        last = special.logit(last)
    named = type(dist)(*dist.args[:-1], "q")
    x = np.array(inside, dtype=float)
    params = (*dist.args[:-1], last)
    got = named.logpdf(x, params=params)
    assert got.shape == (3, x.size)
    for row in range(3):
        one = type(dist)(*dist.args[:-1], float(last[row, 0]))
        np.testing.assert_allclose(got[row], one.logpdf(x), rtol=1e-12)
    total = named.loglike(x)(*params)
    np.testing.assert_allclose(total, got.sum(axis=1), rtol=1e-12)


def test_binomial_likelihood_with_n_a_fixed_input_per_element():
    n = np.array([3.0, 10.0, 7.0])
    k = np.array([1.0, 10.0, 0.0])
    p = np.array([[0.2, 0.6, 0.1], [0.5, 0.5, 0.5]])
    total = pg.Binomial("n", "p").loglike(k)
    np.testing.assert_allclose(total(n, p), stats.binom(n, p).logpmf(k).sum(axis=1),
                               rtol=1e-12)
    # outside [0, 1]: -inf for that walker only
    bad = p.copy()
    bad[1, 2] = 1.5
    assert total(n, bad)[1] == -np.inf and np.isfinite(total(n, bad)[0])
    # a count above its n: -inf
    assert np.all(total(np.array([3.0, 9.0, 7.0]), p) == -np.inf)


@pytest.mark.parametrize("dist, ref", [
    (pg.Binomial(12, 0.3), stats.binom(12, 0.3)),
    (pg.Bernoulli(0.2), stats.bernoulli(0.2)),
    (pg.BernoulliLogit(0.7), stats.bernoulli(special.expit(0.7))),
], ids=["Binomial", "Bernoulli", "BernoulliLogit"])
def test_cdf_quantiles_and_moments_match_scipy(dist, ref):
    x = np.array([-1.0, 0.0, 0.5, 1.0, 3.0, 11.9, 12.0, 20.0])
    np.testing.assert_allclose(dist._cdf(x, *dist.args), ref.cdf(x), rtol=1e-12, atol=1e-15)
    q = np.array([0.0, 1e-6, 0.1, 0.5, 0.79, 0.81, 0.999, 1.0])
    np.testing.assert_array_equal(dist._ppf(q, *dist.args), ref.ppf(q))
    # the smallest count whose CDF reaches q
    k = dist._ppf(q[1:], *dist.args)
    assert np.all(dist._cdf(k, *dist.args) >= q[1:])
    assert np.all(dist._cdf(k - 1, *dist.args) < q[1:])
    assert float(dist.mean()) == pytest.approx(ref.mean(), rel=1e-12)
    assert float(dist.variance()) == pytest.approx(ref.var(), rel=1e-12)


def chi2_pvalue(draws, ref, support):
    """Pearson chi-square of the counts of each value against the expected ones."""
    observed = np.array([np.sum(draws == k) for k in support])
    expected = ref.pmf(support) * draws.size
    assert observed.sum() == draws.size
    keep = expected > 5  # too rare values pooled into the largest cell
    observed = np.append(observed[keep], observed[~keep].sum())
    expected = np.append(expected[keep], expected[~keep].sum())
    if expected[-1] == 0:
        observed, expected = observed[:-1], expected[:-1]
    return stats.chisquare(observed, expected).pvalue


@pytest.mark.parametrize("dist, wrong, ref, support", [
    (pg.Binomial(12, 0.3), pg.Binomial(12, 0.33), stats.binom(12, 0.3), np.arange(13)),
    (pg.Bernoulli(0.2), pg.Bernoulli(0.22), stats.bernoulli(0.2), np.arange(2)),
    (pg.BernoulliLogit(-1.3), pg.BernoulliLogit(-1.15), stats.bernoulli(special.expit(-1.3)),
     np.arange(2)),
], ids=["Binomial", "Bernoulli", "BernoulliLogit"])
def test_sampling_passes_a_chi_square_test_that_rejects_a_wrong_parameter(dist, wrong, ref,
                                                                          support):
    # false-alarm rate 1e-3 per test at a fixed seed
    draws = dist.sample(np.random.default_rng(42), size=20_000)
    assert chi2_pvalue(draws, ref, support) > 1e-3
    assert chi2_pvalue(wrong.sample(np.random.default_rng(42), size=20_000), ref,
                       support) < 1e-3


def test_draws_follow_per_element_arguments():
    n = np.array([0.0, 5.0, 1000.0])
    draws = pg.Binomial("n", 0.5).sample(0, size=(200, 3), params=(n, 0.5))
    assert np.all(draws[:, 0] == 0) and np.all(draws[:, 1] <= 5)
    assert abs(draws[:, 2].mean() - 500) < 10


@pytest.mark.parametrize("dist, data, match", [
    (pg.Binomial(3, "p"), [0, 3, 4], r"Binomial data for node 'k' must be at most n = 3 "
                                     r"\(the number of trials\); 1 value\(s\) are above, "
                                     r"first 4 at index 2"),
    (pg.Binomial("n", "p"), [0, -1], r"must be non-negative counts; 1 value\(s\) are "
                                     r"negative, first -1 at index 1"),
    (pg.Binomial(3, "p"), [0, 1.5], r"must be integer counts.*first 1.5 at index 1"),
    (pg.Bernoulli("p"), [1, 0, 2], r"Bernoulli data for node 'k' must be 0 or 1; 1 "
                                   r"value\(s\) are not, first 2 at index 2"),
    (pg.BernoulliLogit("eta"), [0.5], r"BernoulliLogit data for node 'k' must be 0 or 1"),
    (pg.Bernoulli("p"), [1, np.nan], r"node 'k' contain 1 non-finite"),
], ids=["above n", "negative", "not integer", "Bernoulli 2", "logit 0.5", "NaN"])
def test_bad_data_are_refused_naming_the_node(dist, data, match):
    with pytest.raises(ValueError, match=match):
        dist.validate_data(np.array(data), "k")


def test_good_data_pass_and_booleans_are_counts():
    np.testing.assert_array_equal(pg.Binomial(3, "p").validate_data([0, 3], "k"), [0.0, 3.0])
    np.testing.assert_array_equal(pg.Bernoulli("p").validate_data(np.array([True, False]),
                                                                 "k"), [1.0, 0.0])


@pytest.mark.parametrize("make, match", [
    (lambda: pg.Binomial(2.5, 0.5), "n to be a non-negative integer .*got n=2.5"),
    (lambda: pg.Binomial(-1, 0.5), "n to be a non-negative integer"),
    (lambda: pg.Binomial(10, 1.5), r"0 <= p <= 1, got"),
    (lambda: pg.Bernoulli(-0.1), r"0 <= p <= 1"),
    (lambda: pg.BernoulliLogit(np.inf), "finite"),
    (lambda: pg.Bernoulli(0.5, 0.5), "takes 1 arguments"),
])
def test_bad_arguments_are_refused_at_declaration(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_a_fixed_input_number_of_trials_is_checked_naming_the_node():
    m = pg.Model("detections")
    m.param("p", pg.Beta(1.0, 1.0))
    m.fixed("n", plate="bins")
    m.data("k", pg.Binomial("n", "p"), plate="bins")
    with pytest.raises(ValueError, match=r"node 'k': Binomial needs n to be a non-negative "
                                         r"integer; 1 value\(s\) are not, first 2.5 at "
                                         r"index 1 \(n is the fixed node 'n'\)"):
        m.posterior(data={"k": [1, 2]}, inputs={"n": [3.0, 2.5]})


def test_binomial_is_refused_as_a_prior():
    with pytest.raises(pg.ModelError, match="discrete"):
        pg.Model("m").param("k", pg.Binomial(10, 0.5))


def test_latex_and_text_forms():
    assert pg.Binomial("n", "p").latex({"n": "n_k", "p": r"\theta"}) == \
        r"\mathrm{Binomial}(n_k, \theta)"
    assert pg.Bernoulli("p").latex() == r"\mathrm{Bernoulli}(p)"
    assert pg.BernoulliLogit("eta").latex({"eta": r"\eta_i"}) == \
        r"\mathrm{Bernoulli}_{\mathrm{logit}}(\eta_i)"
    assert pg.Binomial(10, 0.25).text() == "Binomial(10, 0.25)"


def test_simulation_draws_binomial_data():
    m = pg.Model("detections")
    m.param("p", pg.Beta(2.0, 2.0))
    m.fixed("n", plate="bins")
    m.data("k", pg.Binomial("n", "p"), plate="bins")
    sim = m.simulate(inputs={"n": np.array([4.0, 0.0, 50.0])}, seed=1)
    k = np.asarray(sim["k"])
    assert k.shape == (3,) and k[1] == 0 and np.all(k <= [4, 0, 50])
    assert np.all(k == np.floor(k))


def test_beta_binomial_conjugate_posterior_mean_and_sd():
    # k_j ~ Binomial(n_j, theta), theta ~ Beta(a, b)  =>  theta | k ~ Beta(a + sum k,
    # b + sum (n - k))
    n = np.array([20.0, 35.0, 12.0, 40.0])
    k = np.array([6.0, 9.0, 5.0, 14.0])
    a, b = 2.0, 3.0
    m = pg.Model("beta_binomial")
    m.param("theta", pg.Beta(a, b))
    m.fixed("n", plate="groups")
    m.data("k", pg.Binomial("n", "theta"), plate="groups")
    post = m.posterior(data={"k": k}, inputs={"n": n})
    res = pg.sample(post, nwalkers=16, nsteps=3000, seed=2, progress=False)
    samples = res.flat_samples(discard=500)[:, 0]
    exact = stats.beta(a + k.sum(), b + (n - k).sum())
    mean, var = exact.mean(), exact.var()
    ess = res.ess(discard=500)[0]
    assert ess > 1000
    # tolerances: 4.5 Monte Carlo standard errors (false-alarm rate ~1e-5 each)
    mean_error = np.sqrt(var / ess)
    assert abs(samples.mean() - mean) < 4.5 * mean_error
    var_error = var * np.sqrt((2.0 + exact.stats(moments="k")) / ess)
    assert abs(samples.var() - var) < 4.5 * var_error
    # negative control: the posterior of half the data is off by many errors
    wrong = stats.beta(a + k.sum() / 2, b + (n - k).sum() / 2)
    assert abs(samples.mean() - wrong.mean()) > 4.5 * mean_error or \
        abs(samples.var() - wrong.var()) > 4.5 * var_error


@pytest.mark.parametrize("dist, p", [
    (pg.Binomial(8, "q"), 0.3), (pg.Bernoulli("q"), 0.3),
    (pg.BernoulliLogit("q"), special.logit(0.3)),
], ids=["Binomial", "Bernoulli", "BernoulliLogit"])
def test_deviance_is_twice_the_log_ratio_to_the_saturated_model(dist, p):
    x = np.array([0.0, 1.0]) if dist.args[0] == "q" else np.array([0.0, 3.0, 8.0])
    n = 1 if dist.args[0] == "q" else 8
    params = (p,) if dist.args[0] == "q" else (8.0, p)
    saturated = stats.binom(n, x / n).logpmf(x)
    want = 2.0 * (saturated - stats.binom(n, 0.3).logpmf(x))
    np.testing.assert_allclose(dist.deviance(x, params=params), want, rtol=1e-12)
