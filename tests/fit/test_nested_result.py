"""NestedResult: weights, equal-weight draws, weighted summaries against numpy,
problems, and the interface shared with emcee results."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.fit.nested_result import weighted_quantile


def gaussian_result(n=4000, seed=0):
    """Points on a grid weighted by a N(1, 2) density: a weighted sample of it."""
    x = np.linspace(-9.0, 11.0, n)[:, None]
    log_w = stats.norm(1.0, 2.0).logpdf(x[:, 0]) + 123.0   # any normalisation
    return pg.NestedResult(x, log_w, np.zeros(n), -3.0, 0.2, ["mu"])


def test_weights_are_normalised_and_summaries_match_the_density():
    res = gaussian_result()
    assert np.isclose(res.weights.sum(), 1.0)
    table = res.summary()
    assert abs(table["mean"][0] - 1.0) < 1e-3 and abs(table["std"][0] - 2.0) < 1e-3
    assert abs(table["lower"][0] - stats.norm(1, 2).ppf(0.16)) < 0.01
    assert abs(table["upper"][0] - stats.norm(1, 2).ppf(0.84)) < 0.01
    assert table.meta["log_evidence"] == -3.0


def test_equal_weight_draws_follow_the_weights():
    res = gaussian_result()
    draws = res.flat_samples(seed=3)[:, 0]
    assert stats.kstest(draws, stats.norm(1.0, 2.0).cdf).pvalue > 1e-3
    assert stats.kstest(draws, stats.norm(1.5, 2.0).cdf).pvalue < 1e-6
    assert np.array_equal(res.flat_samples(seed=3), res.flat_samples(seed=3))
    assert res.flat_samples(thin=4).shape == (1000, 1)


def test_weighted_quantile_against_numpy_on_equal_weights():
    x = np.random.default_rng(1).normal(size=(1001, 2))
    w = np.full(1001, 1 / 1001)
    for q in (0.16, 0.5, 0.84):
        assert np.allclose(weighted_quantile(x, w, q),
                           np.percentile(x, 100 * q, axis=0, method="inverted_cdf"))


def test_problems_name_what_is_wrong():
    few = pg.NestedResult(np.zeros((10, 1)), np.zeros(10), np.zeros(10), np.nan, 0.2, ["x"])
    problems = few.problems()
    assert any("only 10 effective samples" in p for p in problems)
    assert any("is not finite" in p for p in problems)
    assert not few.converged
    assert gaussian_result().converged


def test_labels_and_corner_without_a_posterior():
    res = gaussian_result()
    assert res.labels() == ["mu"] and res.units() == [None]
    fig = res.corner(truths={"mu": 1.0})
    assert len(fig.axes) == 1
    import matplotlib.pyplot as plt

    plt.close(fig)
    with pytest.raises(ValueError):
        res.corner(params=["nothing"])
