"""Tests for pgmsim.astro.imagestats."""

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import gammaln

from pgmsim.astro.imagestats import (
    cash,
    cstat,
    disk_kernel,
    excess,
    fit_ml,
    hessian,
    li_ma_significance,
    ml_covariance,
    significance_maps,
)


# --------------------------------------------------------------------------
# Cash / C-stat
# --------------------------------------------------------------------------
def test_cash_equals_poisson_neg2logl_up_to_data_term():
    rng = np.random.default_rng(1)
    mu = rng.uniform(0.1, 20.0, size=50)
    n = rng.poisson(mu)
    neg2logl = -2.0 * stats.poisson.logpmf(n, mu).sum()
    data_term = 2.0 * gammaln(n + 1.0).sum()
    assert cash(n, mu) == pytest.approx(neg2logl - data_term, rel=1e-12)


def test_cash_zero_counts_and_zero_model_conventions():
    # 0 * ln 0 = 0: a zero-count, zero-model bin contributes nothing.
    assert cash([0, 2], [0.0, 1.0]) == pytest.approx(2.0 * 1.0)
    # Counts where the model is zero are impossible: C = inf.
    assert cash([1, 2], [0.0, 1.0]) == np.inf
    assert cstat([1, 2], [0.0, 1.0]) == np.inf


def test_cash_batch_of_models_sums_over_last_axis():
    n = np.array([1.0, 4.0, 0.0])
    models = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]])
    out = cash(n, models)
    assert out.shape == (2,)
    for k in range(2):
        mu = models[k]
        expected = 2.0 * sum(m - c * math.log(m) for c, m in zip(n, mu))
        assert out[k] == pytest.approx(expected, rel=1e-14)


def test_negative_model_gives_inf_per_batch_row():
    n = np.array([1.0, 2.0])
    models = np.array([[1.0, -1.0], [1.0, 2.0]])
    out = cash(n, models)
    assert out[0] == np.inf and np.isfinite(out[1])
    out = cstat(n, models)
    assert out[0] == np.inf and np.isfinite(out[1])


@pytest.mark.parametrize("func", [cash, cstat])
def test_invalid_counts_raise(func):
    with pytest.raises(ValueError, match="counts"):
        func([1.0, np.nan], [1.0, 1.0])
    with pytest.raises(ValueError, match="counts"):
        func([1.0, -1.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="model"):
        func([1.0, 1.0], [1.0, np.nan])
    with pytest.raises(ValueError, match="broadcast"):
        func([1.0, 1.0, 1.0], [1.0, 1.0])


def test_cstat_properties():
    rng = np.random.default_rng(2)
    n = rng.poisson(5.0, size=30).astype(float)
    assert cstat(n, n) == 0.0
    mus = rng.uniform(1.0, 10.0, size=(5, 30))
    c = cstat(n, mus)
    assert np.all(c >= 0)
    # C-stat and Cash differ by a model-independent data term.
    diff = c - cash(n, mus)
    expected = 2.0 * np.sum(n * np.log(np.where(n > 0, n, 1.0)) - n)
    np.testing.assert_allclose(diff, expected, rtol=1e-10)


def test_cstat_is_approximately_chi2_for_large_counts():
    # For the true model and mu = 100 per bin the deviance is ~ chi2(npix);
    # its mean exceeds npix only by ~npix / (6 mu) ~ 0.08 here.
    rng = np.random.default_rng(3)
    npix, ntrial, mu = 50, 4000, 100.0
    n = rng.poisson(mu, size=(ntrial, npix))
    c = cstat(n, np.full(npix, mu))
    assert c.shape == (ntrial,)
    se_mean = math.sqrt(2.0 * npix / ntrial)  # sd of chi2(k) is sqrt(2k)
    assert abs(c.mean() - npix) < 5.0 * se_mean
    se_var = 2.0 * npix * math.sqrt(2.0 / (ntrial - 1))  # rough (Gaussian)
    assert abs(c.var(ddof=1) - 2.0 * npix) < 5.0 * se_var


# --------------------------------------------------------------------------
# Li & Ma
# --------------------------------------------------------------------------
def _li_ma_eq17(n_on, n_off, alpha):
    """Li & Ma (1983) eq. 17 written out independently with math.log."""
    n = n_on + n_off
    t_on = n_on * math.log((1 + alpha) / alpha * n_on / n) if n_on else 0.0
    t_off = n_off * math.log((1 + alpha) * n_off / n) if n_off else 0.0
    s = math.sqrt(2.0) * math.sqrt(t_on + t_off)
    return math.copysign(s, n_on - alpha * n_off)


@pytest.mark.parametrize(
    "n_on, n_off, alpha",
    [(130, 200, 0.5), (10, 50, 0.1), (2, 30, 0.2), (1100, 1000, 1.0),
     (45, 2000, 0.02)],
)
def test_li_ma_known_values(n_on, n_off, alpha):
    expected = _li_ma_eq17(n_on, n_off, alpha)
    assert li_ma_significance(n_on, n_off, alpha) == pytest.approx(
        expected, rel=1e-12
    )


def test_li_ma_hand_computed_value():
    # n_on = 130, n_off = 200, alpha = 0.5: n_on + n_off = 330,
    # bracket = 130 ln(3 * 130/330) + 200 ln(1.5 * 200/330)
    bracket = 130 * math.log(390 / 330) + 200 * math.log(300 / 330)
    assert bracket == pytest.approx(2.654995, abs=1e-6)
    s = li_ma_significance(130, 200, 0.5)
    assert s == pytest.approx(math.sqrt(2 * bracket), rel=1e-12)
    assert s == pytest.approx(2.30434, abs=1e-5)
    assert excess(130, 200, 0.5) == 30.0


def test_li_ma_zero_count_limits():
    # n_off = 0: S = sqrt(2 n_on ln((1 + alpha) / alpha)).
    assert li_ma_significance(10, 0, 1.0) == pytest.approx(
        math.sqrt(20.0 * math.log(2.0))
    )
    assert li_ma_significance(7, 0, 0.25) == pytest.approx(
        math.sqrt(14.0 * math.log(5.0))
    )
    # n_on = 0: S = -sqrt(2 n_off ln(1 + alpha)).
    assert li_ma_significance(0, 40, 0.5) == pytest.approx(
        -math.sqrt(80.0 * math.log(1.5))
    )
    assert li_ma_significance(0, 0, 0.5) == 0.0


def test_li_ma_sign_vectorisation_and_symmetry():
    rng = np.random.default_rng(4)
    n_on = rng.poisson(30.0, size=(20, 30))
    n_off = rng.poisson(60.0, size=(20, 30))
    alpha = 0.5
    s = li_ma_significance(n_on, n_off, alpha)
    assert s.shape == (20, 30)
    ex = excess(n_on, n_off, alpha)
    assert np.all(np.sign(s) == np.sign(ex))
    # Swapping the roles of on and off (alpha -> 1/alpha) flips the sign.
    np.testing.assert_allclose(
        li_ma_significance(n_off, n_on, 1.0 / alpha), -s, rtol=1e-10,
        atol=1e-12,
    )
    # Matches the scalar formula element by element.
    flat = [
        _li_ma_eq17(a, b, alpha) for a, b in zip(n_on.ravel(), n_off.ravel())
    ]
    np.testing.assert_allclose(s.ravel(), flat, rtol=1e-10, atol=1e-12)


def test_li_ma_approaches_eq9_for_large_counts_small_alpha():
    # Li & Ma eq. 9, S = N_s / sqrt(alpha (N_on + N_off)), is the large-count
    # approximation; it should agree with eq. 17 to a few per cent here.
    n_off, alpha = 100000, 0.01
    for n_on in (1050, 1100, 1150):
        s17 = li_ma_significance(n_on, n_off, alpha)
        s9 = (n_on - alpha * n_off) / math.sqrt(alpha * (n_on + n_off))
        assert s17 == pytest.approx(s9, rel=0.03)


def test_li_ma_null_tail_matches_gaussian():
    # No source: n_on ~ Poisson(alpha b), n_off ~ Poisson(b).  With large
    # counts S is asymptotically N(0, 1), so P(S > 3) -> 1.35e-3.  The
    # tolerance is 5 binomial standard deviations of the MC count (~16 here);
    # the O(1/sqrt(alpha b)) asymptotic corrections are well below that.
    rng = np.random.default_rng(20240601)
    b, alpha, ntrial = 1000.0, 0.2, 200000
    s = li_ma_significance(
        rng.poisson(alpha * b, ntrial), rng.poisson(b, ntrial), alpha
    )
    p = stats.norm.sf(3.0)
    sigma = math.sqrt(ntrial * p * (1.0 - p))
    assert abs(np.sum(s > 3.0) - ntrial * p) < 5.0 * sigma
    assert abs(np.sum(s < -3.0) - ntrial * p) < 5.0 * sigma
    assert abs(s.mean()) < 5.0 / math.sqrt(ntrial) + 0.02


@pytest.mark.parametrize("alpha", [0.0, -1.0, np.nan, np.inf])
def test_li_ma_invalid_alpha(alpha):
    with pytest.raises(ValueError, match="alpha"):
        li_ma_significance(10, 10, alpha)


def test_li_ma_invalid_counts():
    with pytest.raises(ValueError, match="n_on"):
        li_ma_significance(-1, 10, 1.0)
    with pytest.raises(ValueError, match="n_off"):
        li_ma_significance(1, np.nan, 1.0)


# --------------------------------------------------------------------------
# Maps
# --------------------------------------------------------------------------
def test_disk_kernel():
    k = disk_kernel(2.5)
    assert k.shape == (5, 5)
    y, x = np.mgrid[-2:3, -2:3]
    np.testing.assert_array_equal(k, (x**2 + y**2 <= 6.25).astype(float))
    assert disk_kernel(0.3).shape == (1, 1)
    with pytest.raises(ValueError, match="radius"):
        disk_kernel(-1.0)


def test_significance_maps_match_brute_force():
    rng = np.random.default_rng(5)
    on = rng.poisson(3.0, size=(12, 15)).astype(float)
    off = rng.poisson(9.0, size=(12, 15)).astype(float)
    radius, alpha = 2.5, 0.3
    maps = significance_maps(on, off, alpha=alpha, radius=radius)

    yy, xx = np.mgrid[0:12, 0:15]
    exp_on = np.empty_like(on)
    exp_off = np.empty_like(off)
    for i in range(12):
        for j in range(15):
            sel = (yy - i) ** 2 + (xx - j) ** 2 <= radius**2
            exp_on[i, j] = on[sel].sum()
            exp_off[i, j] = off[sel].sum()
    np.testing.assert_array_equal(maps.n_on, exp_on)
    np.testing.assert_array_equal(maps.n_off, exp_off)
    np.testing.assert_allclose(maps.excess, exp_on - alpha * exp_off)
    np.testing.assert_allclose(
        maps.significance, li_ma_significance(exp_on, exp_off, alpha)
    )


def test_significance_maps_no_correlation_and_alpha_map():
    on = np.array([[5.0, 0.0], [2.0, 8.0]])
    off = np.array([[10.0, 4.0], [0.0, 8.0]])
    alpha = np.array([[0.5, 1.0], [0.5, 1.0]])
    maps = significance_maps(on, off, alpha=alpha)
    np.testing.assert_array_equal(maps.excess, on - alpha * off)
    np.testing.assert_allclose(
        maps.significance, li_ma_significance(on, off, alpha)
    )


def test_significance_map_detects_source_and_noise_is_unit_normal():
    rng = np.random.default_rng(6)
    shape, alpha, b_off = (200, 200), 0.25, 400.0
    mean_on = np.full(shape, alpha * b_off)
    mean_on[100, 100] += 150.0  # ~ 13 sigma point source
    maps = significance_maps(
        rng.poisson(mean_on), rng.poisson(b_off, size=shape), alpha=alpha
    )
    assert maps.significance[100, 100] > 8.0
    noise = np.delete(maps.significance.ravel(), 100 * 200 + 100)
    se_std = 1.0 / math.sqrt(2.0 * noise.size)
    assert abs(noise.mean()) < 5.0 / math.sqrt(noise.size) + 0.01
    assert abs(noise.std() - 1.0) < 5.0 * se_std + 0.01


def test_significance_maps_invalid_input():
    with pytest.raises(ValueError, match="background shape"):
        significance_maps(np.ones((3, 3)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="2-D"):
        significance_maps(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="background"):
        significance_maps(np.ones((3, 3)), -np.ones((3, 3)))
    with pytest.raises(ValueError, match="alpha"):
        significance_maps(np.ones((3, 3)), np.ones((3, 3)), alpha=np.ones(4))


# --------------------------------------------------------------------------
# Hessian and maximum likelihood
# --------------------------------------------------------------------------
def test_hessian_rosenbrock():
    def rosen(p):
        return 100.0 * (p[1] - p[0] ** 2) ** 2 + (1.0 - p[0]) ** 2

    np.testing.assert_allclose(
        hessian(rosen, [1.0, 1.0]), [[802.0, -400.0], [-400.0, 200.0]],
        rtol=1e-6,
    )


def test_hessian_invalid_input():
    with pytest.raises(ValueError, match="step"):
        hessian(lambda p: p @ p, [1.0, 2.0], step=0.0)
    with pytest.raises(ValueError, match="non-finite"):
        hessian(lambda p: np.sqrt(p[0]) if p[0] >= 0 else np.nan, [0.0])
    with pytest.raises(ValueError, match="x must be finite"):
        hessian(lambda p: p @ p, [np.nan])


def _gaussian_neg2logl():
    mu = np.array([1.0, -2.0, 30.0])
    sig = np.array([0.5, 2.0, 10.0])
    corr = np.array([[1.0, 0.3, -0.2], [0.3, 1.0, 0.5], [-0.2, 0.5, 1.0]])
    cov = corr * np.outer(sig, sig)
    icov = np.linalg.inv(cov)

    def neg2logl(theta):
        d = theta - mu
        return d @ icov @ d

    return mu, cov, neg2logl


def test_ml_covariance_gaussian_is_exact():
    mu, cov, neg2logl = _gaussian_neg2logl()
    np.testing.assert_allclose(ml_covariance(neg2logl, mu), cov, rtol=1e-6,
                               atol=1e-8)


def test_fit_ml_gaussian():
    mu, cov, neg2logl = _gaussian_neg2logl()
    fit = fit_ml(neg2logl, np.zeros(3))
    assert fit.success
    np.testing.assert_allclose(fit.theta, mu, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fit.cov, cov, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(fit.stderr, np.sqrt(np.diag(cov)), rtol=1e-5)
    assert fit.neg2logl == pytest.approx(0.0, abs=1e-8)


def test_fit_ml_poisson_rate():
    # K bins with a common Poisson rate lam: lam_hat = mean(n) and the
    # inverse observed information is lam_hat / K.
    rng = np.random.default_rng(7)
    k = 40
    n = rng.poisson(50.0, size=k)

    def neg2logl(theta):
        return cash(n, np.full(k, theta[0]))

    fit = fit_ml(neg2logl, [10.0], bounds=[(1e-3, None)])
    lam_hat = n.mean()
    assert fit.success
    # Optimiser precision: far below the statistical error sqrt(lam_hat / K).
    assert abs(fit.theta[0] - lam_hat) < 1e-3 * math.sqrt(lam_hat / k)
    assert fit.cov[0, 0] == pytest.approx(lam_hat / k, rel=1e-5)


def test_ml_covariance_rejects_non_minimum():
    with pytest.raises(ValueError, match="not positive definite"):
        ml_covariance(lambda t: -(t @ t), [0.0, 0.0])
    fit = fit_ml(lambda t: (t[0] - 1.0) ** 2, [0.0, 0.0])  # t[1] unconstrained
    assert not fit.success
    assert np.isnan(fit.cov).all()
    assert "covariance unavailable" in fit.message
