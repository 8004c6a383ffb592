"""Heavy-tailed distributions against scipy.stats: densities, batches, CDF and
quantiles, sampling (with negative controls), moments and bad arguments."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.distributions import UndefinedQuantityError


class FoldedAtZero:
    """``|X|`` for ``X`` symmetric about 0: scipy has no half Student t."""

    def __init__(self, frozen):
        self.frozen = frozen

    def logpdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x >= 0, np.log(2.0) + self.frozen.logpdf(x), -np.inf)

    def cdf(self, x):
        return np.where(np.asarray(x) >= 0, 2.0 * self.frozen.cdf(x) - 1.0, 0.0)

    def ppf(self, q):
        return self.frozen.ppf(0.5 + 0.5 * np.asarray(q))

    def sf(self, x):
        return np.where(np.asarray(x) >= 0, 2.0 * self.frozen.sf(x), 1.0)

    def isf(self, q):
        return self.frozen.isf(0.5 * np.asarray(q))


# (pgmsim distribution, scipy equivalent, points inside, points outside)
CASES = [
    (pg.StudentT(3.5, 1.0, 2.0), stats.t(3.5, 1.0, 2.0), [-40.0, 0.0, 1.0, 7.5, 1e10], []),
    (pg.HalfStudentT(2.5, 1.5), FoldedAtZero(stats.t(2.5, 0.0, 1.5)), [0.0, 0.3, 4.0, 1e12],
     [-1e-300, -2.0]),
    (pg.Cauchy(-1.0, 0.5), stats.cauchy(-1.0, 0.5), [-1e6, -1.0, 0.0, 3e200], []),
    (pg.HalfCauchy(5.0), stats.halfcauchy(scale=5.0), [0.0, 5.0, 1e3, 1e150], [-1e-9, -5.0]),
    (pg.Laplace(2.0, 0.7), stats.laplace(2.0, 0.7), [-10.0, 2.0, 2.5, 30.0], []),
    (pg.InverseGamma(3.0, 2.0), stats.invgamma(3.0, scale=2.0), [1e-3, 0.5, 1.0, 1e6],
     [0.0, -1.0]),
]
IDS = [type(case[0]).__name__ for case in CASES]


@pytest.mark.parametrize("dist, ref, inside, outside", CASES, ids=IDS)
def test_logpdf_matches_scipy_inside_and_is_minus_inf_outside(dist, ref, inside, outside):
    x = np.array(inside)
    np.testing.assert_allclose(dist.logpdf(x), ref.logpdf(x), rtol=1e-12, atol=1e-12)
    if outside:
        assert np.all(dist.logpdf(np.array(outside)) == -np.inf)
    assert np.all(dist.logpdf(np.array([np.nan, np.inf, -np.inf])) == -np.inf)


@pytest.mark.parametrize("dist, ref, inside, outside", CASES, ids=IDS)
def test_one_point_density_equals_the_vectorised_one(dist, ref, inside, outside):
    for x in inside + outside + [np.inf, -np.inf, np.nan]:
        want = float(dist.logpdf(x))
        got = dist._logpdf_scalar(x, *dist.args)
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12) or got == want == -np.inf, x


@pytest.mark.parametrize("dist, ref, inside, outside", CASES, ids=IDS)
def test_a_batch_of_walkers_against_plate_values(dist, ref, inside, outside):
    # arguments of shape (nwalkers, 1) against values of shape (K,)
    nwalkers, scale = 4, np.array([[0.5], [1.0], [2.0], [3.0]])
    args = [np.full((nwalkers, 1), a) for a in dist.args]
    args[-1] = args[-1] * scale  # the last argument is a scale for each of them
    named = type(dist)(*(f"a{i}" for i in range(len(args))))
    x = np.array(inside)
    got = named.logpdf(x, params=args)
    assert got.shape == (nwalkers, x.size)
    for row, factor in enumerate(scale[:, 0]):
        scaled = type(dist)(*dist.args[:-1], dist.args[-1] * factor)
        np.testing.assert_allclose(got[row], scaled.logpdf(x), rtol=1e-12)
    with pytest.raises(ValueError, match="a0"):
        named.logpdf(x)


@pytest.mark.parametrize("dist, ref, inside, outside", CASES, ids=IDS)
def test_cdf_and_quantile_hooks_match_scipy(dist, ref, inside, outside):
    x = np.array(inside[:-1])  # the last point may be beyond scipy's CDF precision
    np.testing.assert_allclose(dist._cdf(x, *dist.args), ref.cdf(x), rtol=1e-10, atol=1e-14)
    q = np.array([1e-6, 0.05, 0.3, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(dist._ppf(q, *dist.args), ref.ppf(q), rtol=1e-9)
    np.testing.assert_allclose(dist._cdf(dist._ppf(q, *dist.args), *dist.args), q, rtol=1e-9)


def test_far_tails_stay_finite_where_the_square_overflows():
    # (x / gamma)**2 overflows float64 beyond about 1e154: the log is taken first
    x = 1e250
    want = np.log(2.0 / np.pi) - np.log(5.0) - 2.0 * np.log(x / 5.0)
    assert float(pg.HalfCauchy(5.0).logpdf(x)) == pytest.approx(want, rel=1e-14)
    assert pg.HalfCauchy(5.0)._logpdf_scalar(x, 5.0) == pytest.approx(want, rel=1e-14)
    assert float(pg.StudentT(3.0, 0.0, 1.0).logpdf(-x)) == pytest.approx(
        float(stats.t(3.0).logpdf(1e100)) - 4.0 * np.log(1e150), rel=1e-12)


def test_cdf_is_zero_below_a_half_support():
    for dist in (pg.HalfCauchy(2.0), pg.HalfStudentT(3.0, 1.0), pg.InverseGamma(2.0, 1.0)):
        assert np.all(dist._cdf(np.array([-5.0, -1e-300, 0.0]), *dist.args) == 0.0)


def ks_pvalue(dist, cdf, seed=42, n=4000):
    draws = dist.sample(np.random.default_rng(seed), size=n)
    low, high = dist.support()
    assert np.all((draws >= low) & (draws <= high))
    return stats.kstest(draws, cdf).pvalue


# the same distributions with one argument wrong by a margin a KS test of
# 4000 draws sees: the negative controls
WRONG = {
    "StudentT": pg.StudentT(3.5, 1.3, 2.0),
    "HalfStudentT": pg.HalfStudentT(2.5, 1.8),
    "Cauchy": pg.Cauchy(-1.0, 0.6),
    "HalfCauchy": pg.HalfCauchy(6.0),
    "Laplace": pg.Laplace(2.0, 0.8),
    "InverseGamma": pg.InverseGamma(3.4, 2.0),
}


@pytest.mark.parametrize("dist, ref, inside, outside", CASES, ids=IDS)
def test_sampling_passes_a_ks_test_that_rejects_a_wrong_parameter(dist, ref, inside, outside):
    # false-alarm rate 1e-3 per test at a fixed seed
    assert ks_pvalue(dist, ref.cdf) > 1e-3
    assert ks_pvalue(WRONG[type(dist).__name__], ref.cdf) < 1e-3


def test_draws_broadcast_over_node_values_without_size():
    draws = pg.Cauchy("mu", 1.0).sample(0, params=(np.array([[0.0], [1e6]]), 1.0))
    assert draws.shape == (2, 1) and abs(draws[1, 0] - 1e6) > 0 and draws[0, 0] != draws[1, 0]
    draws = pg.StudentT(3.0, "mu", 1.0).sample(0, params=(3.0, np.zeros(5), 1.0))
    assert draws.shape == (5,) and np.unique(draws).size == 5


@pytest.mark.parametrize("dist, ref", [
    (pg.StudentT(3.5, 1.0, 2.0), stats.t(3.5, 1.0, 2.0)),
    (pg.Laplace(2.0, 0.7), stats.laplace(2.0, 0.7)),
    (pg.InverseGamma(3.0, 2.0), stats.invgamma(3.0, scale=2.0)),
], ids=lambda c: type(c).__name__)
def test_mean_and_variance_match_scipy(dist, ref):
    assert float(dist.mean()) == pytest.approx(ref.mean(), rel=1e-12)
    assert float(dist.variance()) == pytest.approx(ref.var(), rel=1e-12)


def test_half_student_t_moments_match_its_draws():
    dist = pg.HalfStudentT(5.0, 2.0)
    folded = np.abs(stats.t(5.0, 0.0, 2.0).rvs(size=1_000_000, random_state=1))
    assert float(dist.mean()) == pytest.approx(stats.t(5.0, 0.0, 2.0).expect(
        lambda x: abs(x)), rel=1e-8)
    assert float(dist.variance()) == pytest.approx(folded.var(), rel=0.02)


@pytest.mark.parametrize("dist, what, match", [
    (pg.Cauchy(0.0, 1.0), "mean", "Cauchy has no mean"),
    (pg.Cauchy(0.0, 1.0), "variance", "Cauchy has no variance"),
    (pg.HalfCauchy(1.0), "mean", "HalfCauchy has no mean"),
    (pg.StudentT(1.0, 0.0, 1.0), "mean", r"StudentT has no mean for nu <= 1, got nu=1"),
    (pg.StudentT(2.0, 0.0, 1.0), "variance", r"no finite variance for nu <= 2, got nu=2"),
    (pg.HalfStudentT(0.5, 1.0), "mean", r"HalfStudentT has no mean for nu <= 1"),
    (pg.InverseGamma(1.0, 1.0), "mean", r"no mean for alpha <= 1, got alpha=1"),
    (pg.InverseGamma(1.5, 1.0), "variance", r"no finite variance for alpha <= 2"),
], ids=lambda c: c if isinstance(c, str) else type(c).__name__)
def test_undefined_moments_raise(dist, what, match):
    with pytest.raises(UndefinedQuantityError, match=match):
        getattr(dist, what)()


def test_undefined_moments_raise_for_any_node_value():
    nu = np.array([5.0, 3.0, 1.5])
    assert pg.StudentT("nu", 0.0, 1.0).mean(params=(nu, 0.0, 1.0)).shape == (3,)
    with pytest.raises(UndefinedQuantityError, match="got nu=1.5"):
        pg.StudentT("nu", 0.0, 1.0).variance(params=(nu, 0.0, 1.0))


@pytest.mark.parametrize("make, match", [
    (lambda: pg.StudentT(0, 0, 1), "nu > 0"),
    (lambda: pg.StudentT(3, 0, -1), "sigma > 0"),
    (lambda: pg.HalfStudentT(-1, 1), "nu > 0"),
    (lambda: pg.Cauchy(0, 0), "gamma > 0"),
    (lambda: pg.HalfCauchy(-5), "gamma > 0"),
    (lambda: pg.Laplace(0, -1), "b > 0"),
    (lambda: pg.InverseGamma(0, 1), "alpha > 0"),
    (lambda: pg.InverseGamma(1, 0), "beta > 0"),
    (lambda: pg.StudentT(3, 0), "takes 3 arguments"),
])
def test_bad_arguments_are_refused_at_declaration(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_a_fixed_input_scale_is_checked_naming_the_node():
    m = pg.Model("robust")
    m.param("a", pg.Normal(0.0, 10.0))
    m.fixed("s", plate="obs")
    m.data("y", pg.StudentT(4.0, "a", "s"), plate="obs")
    with pytest.raises(ValueError, match=r"node 'y': StudentT needs sigma > 0.*'s'"):
        m.posterior(data={"y": [0.1, 0.2]}, inputs={"s": [1.0, -1.0]})


def test_latex_and_text_forms():
    assert pg.StudentT("nu", 0, 1).latex({"nu": r"\nu"}) == r"\mathrm{StudentT}(\nu, 0, 1)"
    assert pg.HalfStudentT(3, 2).latex() == r"\mathrm{StudentT}_{+}(3, 2)"
    assert pg.Cauchy(0, 1).latex() == r"\mathrm{Cauchy}(0, 1)"
    assert pg.HalfCauchy(5).latex() == r"\mathrm{Cauchy}_{+}(5)"
    assert pg.Laplace("m", 2).latex({"m": r"\mu"}) == r"\mathrm{Laplace}(\mu, 2)"
    assert pg.InverseGamma(2, 1).latex() == r"\Gamma^{-1}(2, 1)"
    assert pg.HalfCauchy(5).text() == "HalfCauchy(5)"


def test_priors_of_one_point_and_of_a_batch_equal_the_sum_of_scipy_densities():
    m = pg.Model("heavy priors")
    for (dist, *_), name in zip(CASES, IDS):
        m.param(name, dist)
    m.data("y", pg.StudentT(3.0, "StudentT", "Laplace"), plate="obs")
    y = np.array([0.5, 1.5, -2.0])
    with pytest.warns(pg.ModelWarning, match="used by no data node"):
        post = m.posterior(data={"y": y})
    theta = post.sample_prior(3, 5)
    refs = dict(zip(IDS, (ref for _, ref, *_ in CASES)))
    want = []
    for row in theta:
        value = dict(zip(post.param_names, row))
        want.append(sum(float(refs[name].logpdf(value[name])) for name in IDS)
                    + stats.t(3.0, value["StudentT"], value["Laplace"]).logpdf(y).sum())
    np.testing.assert_allclose(post.log_prob(theta), want, rtol=1e-10)
    np.testing.assert_allclose([post.log_prob(row) for row in theta], want, rtol=1e-10)


@pytest.mark.parametrize("dist, ref, inside, outside", CASES, ids=IDS)
def test_upper_tail_hooks_keep_their_digits_far_out(dist, ref, inside, outside):
    # far in the upper tail 1 - cdf is 0 or noise; the survival function is not
    x = np.array([float(ref.ppf(0.5)), float(ref.isf(1e-8)), float(ref.isf(1e-14))])
    np.testing.assert_allclose(dist._sf(x, *dist.args), ref.sf(x), rtol=1e-9)
    q = np.array([0.4, 1e-8, 1e-14])
    np.testing.assert_allclose(dist._isf(q, *dist.args), ref.isf(q), rtol=1e-9)
    # and the lower tail its own
    q_low = np.array([1e-14, 1e-8])
    np.testing.assert_allclose(dist._cdf(dist._ppf(q_low, *dist.args), *dist.args), q_low,
                               rtol=1e-6)
