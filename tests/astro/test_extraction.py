"""Tests for pgmsim.astro.extraction (box and Horne 1986 optimal extraction)."""

import math

import numpy as np
import pytest

from pgmsim.astro.extraction import box_extraction, optimal_extraction

NROW, NCOL = 21, 200
CENTRE, WIDTH = 10.0, 1.5
FLUX = 500.0
READ_VAR = 25.0


def _profile():
    """Normalised Gaussian spatial profile, shape (NROW,)."""
    rows = np.arange(NROW)
    p = np.exp(-0.5 * ((rows - CENTRE) / WIDTH) ** 2)
    return p / p.sum()


def _model_and_variance():
    model = FLUX * _profile()[:, None] * np.ones((1, NCOL))
    variance = READ_VAR + model  # read noise + Poisson variance of the model
    return model, variance


# --------------------------------------------------------------------------
# Known answers
# --------------------------------------------------------------------------
def test_noise_free_exact_profile_gives_exact_flux():
    rng = np.random.default_rng(10)
    flux = rng.uniform(10.0, 1000.0, size=NCOL)
    p = _profile()
    data = p[:, None] * flux[None, :]
    variance = READ_VAR + data
    # Profile normalisation is done internally: an unnormalised profile works.
    for prof in (p, 3.7 * p, np.tile(p[:, None], (1, NCOL))):
        f, _ = optimal_extraction(data, variance, prof)
        np.testing.assert_allclose(f, flux, rtol=1e-12)
    f, v = box_extraction(data, variance)
    np.testing.assert_allclose(f, flux, rtol=1e-12)
    np.testing.assert_allclose(v, variance.sum(axis=0), rtol=1e-12)


def test_unmasked_variance_is_inverse_weight_sum():
    model, variance = _model_and_variance()
    p = _profile()
    _, v = optimal_extraction(model, variance, p)
    expected = 1.0 / np.sum(p**2 / variance[:, 0])
    np.testing.assert_allclose(v, expected, rtol=1e-12)


def test_masked_cosmic_ray_is_ignored_and_horne_variance():
    model, variance = _model_and_variance()
    data = model.copy()
    data[9, 50] = 1e6  # cosmic ray
    data[3, 51] = np.nan  # dead pixel
    mask = np.isfinite(data) & (data < 1e5)
    f, v = optimal_extraction(data, variance, _profile(), mask=mask)
    np.testing.assert_allclose(f, FLUX, rtol=1e-12)
    # Horne (1986): var = sum(M P) / sum(M P^2 / V).
    p = _profile()
    m = mask[:, 50]
    expected = p[m].sum() / np.sum(p[m] ** 2 / variance[m, 50])
    assert v[50] == pytest.approx(expected, rel=1e-12)
    assert v[50] > v[0]  # losing a pixel costs information
    # Unmasked, the cosmic ray biases the estimate.
    f_bad, _ = optimal_extraction(
        np.where(np.isnan(data), 0.0, data), variance, _profile()
    )
    assert f_bad[50] > FLUX + 1e4


def test_fully_masked_column_gives_nan_and_inf():
    model, variance = _model_and_variance()
    mask = np.ones(model.shape, dtype=bool)
    mask[:, 7] = False
    f, v = optimal_extraction(model, variance, _profile(), mask=mask)
    assert np.isnan(f[7]) and np.isinf(v[7])
    assert np.isfinite(np.delete(f, 7)).all()


def test_box_aperture():
    model, variance = _model_and_variance()
    aperture = np.zeros(model.shape, dtype=bool)
    aperture[7:14] = True
    f, v = box_extraction(model, variance, aperture)
    np.testing.assert_allclose(f, model[7:14].sum(axis=0))
    np.testing.assert_allclose(v, variance[7:14].sum(axis=0))
    # A (nrow, 1) aperture broadcasts along the dispersion axis.
    f2, v2 = box_extraction(model, variance, aperture[:, :1])
    np.testing.assert_array_equal(f2, f)
    np.testing.assert_array_equal(v2, v)


# --------------------------------------------------------------------------
# Monte Carlo: bias, efficiency and variance calibration
# --------------------------------------------------------------------------
def test_monte_carlo_unbiased_efficient_and_calibrated():
    rng = np.random.default_rng(20240602)
    nmock = 100
    model, variance = _model_and_variance()
    p = _profile()
    box_f, opt_f = [], []
    for _ in range(nmock):
        data = rng.normal(model, np.sqrt(variance))
        fb, vb = box_extraction(data, variance)
        fo, vo = optimal_extraction(data, variance, p)
        box_f.append(fb)
        opt_f.append(fo)
    # All columns are independent and identically distributed, so pool them.
    box_f = np.concatenate(box_f)
    opt_f = np.concatenate(opt_f)
    n = box_f.size  # 100 mocks x 200 columns
    var_box, var_opt = box_f.var(ddof=1), opt_f.var(ddof=1)

    # (a) unbiased: mean error within 4 standard errors sqrt(s^2 / n).
    assert abs(box_f.mean() - FLUX) < 4.0 * math.sqrt(var_box / n)
    assert abs(opt_f.mean() - FLUX) < 4.0 * math.sqrt(var_opt / n)

    # (b) optimal extraction beats the full-width box (expected ratio here
    # is ~666 / 1025); the sample variances are known to ~1 per cent.
    assert var_opt < 0.8 * var_box

    # (c) reported variances match the empirical ones.  Both estimators are
    # linear in Gaussian data, so (n - 1) s^2 / sigma^2 ~ chi2(n - 1) and the
    # standard error of s^2 is sigma^2 sqrt(2 / (n - 1)); allow 4 of them.
    rel_se = math.sqrt(2.0 / (n - 1))
    for emp, reported in ((var_box, vb), (var_opt, vo)):
        assert np.ptp(reported) == 0.0  # same for every column here
        assert abs(emp / reported[0] - 1.0) < 4.0 * rel_se


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------
def test_invalid_shapes():
    model, variance = _model_and_variance()
    with pytest.raises(ValueError, match="data must be a 2-D"):
        box_extraction(model[0], variance[0])
    with pytest.raises(ValueError, match="variance shape"):
        optimal_extraction(model, variance[:, :10], _profile())
    with pytest.raises(ValueError, match="profile shape"):
        optimal_extraction(model, variance, np.ones((NROW, 3)))
    with pytest.raises(ValueError, match="1-D profile length"):
        optimal_extraction(model, variance, np.ones(NROW + 1))
    with pytest.raises(ValueError, match="aperture .* cannot be broadcast"):
        box_extraction(model, variance, np.ones((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="mask must be a boolean"):
        optimal_extraction(model, variance, _profile(), mask=np.ones(NROW))


def test_invalid_profile():
    model, variance = _model_and_variance()
    bad = _profile().copy()
    bad[0] = -0.1
    with pytest.raises(ValueError, match="profile must be non-negative"):
        optimal_extraction(model, variance, bad)
    zero_col = np.tile(_profile()[:, None], (1, NCOL))
    zero_col[:, 5] = 0.0
    with pytest.raises(ValueError, match=r"column\(s\) \[5\]"):
        optimal_extraction(model, variance, zero_col)
    with pytest.raises(ValueError, match="profile must be finite"):
        optimal_extraction(model, variance, np.full(NROW, np.nan))


def test_invalid_values_in_used_pixels():
    model, variance = _model_and_variance()
    v0 = variance.copy()
    v0[4, 4] = 0.0
    with pytest.raises(ValueError, match="strictly positive"):
        optimal_extraction(model, v0, _profile())
    mask = np.ones(model.shape, dtype=bool)
    mask[4, 4] = False
    optimal_extraction(model, v0, _profile(), mask=mask)  # masked: fine
    box_extraction(model, v0)  # zero variance is fine for a box sum
    v0[4, 4] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        box_extraction(model, v0)
    d = model.copy()
    d[2, 2] = np.nan
    with pytest.raises(ValueError, match="data must be finite"):
        box_extraction(d, variance)
