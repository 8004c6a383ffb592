"""The grid: log-likelihood, log-prior and normalised log-posterior maps of two
parameters, checked against the closed forms of a Normal-Normal model."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.fit.optimize import GridResult, grid

# a ~ Normal(M_A, S_A), y_i ~ Normal(a, 1);  b ~ Normal(M_B, S_B), w ~ Normal(b, 0.5)
M_A, S_A, M_B, S_B = 0.5, 2.0, 1.0, 3.0
Y = np.array([1.3, 0.2, 2.4, 1.1])
W = -0.8


def normal_posterior(with_c=False):
    m = pg.Model("normal-normal")
    m.param("a", pg.Normal(M_A, S_A))
    m.param("b", pg.Normal(M_B, S_B))
    if with_c:
        m.param("c", pg.Normal(0.0, 1.0))
        m.data("v", pg.Normal("c", 1.0))
    m.data("y", pg.Normal("a", 1.0), plate="obs")
    m.data("w", pg.Normal("b", 0.5))
    data = {"y": Y, "w": W, **({"v": 0.3} if with_c else {})}
    return m.posterior(data=data)


def conjugate(prior_mean, prior_sd, data, sd):
    """Posterior mean and sd of a Normal mean with a Normal prior."""
    precision = 1 / prior_sd**2 + len(data) / sd**2
    mean = (prior_mean / prior_sd**2 + np.sum(data) / sd**2) / precision
    return mean, 1 / np.sqrt(precision)


def log_evidence(prior_mean, prior_sd, data, sd):
    """log p(data): the data are jointly Normal with covariance sd^2 I + prior_sd^2."""
    cov = sd**2 * np.eye(len(data)) + prior_sd**2
    return stats.multivariate_normal(np.full(len(data), prior_mean), cov).logpdf(data)


@pytest.fixture(scope="module")
def post():
    return normal_posterior()


@pytest.fixture(scope="module")
def fine(post):
    return post.grid("a", "b", np.linspace(-5, 6, 221), np.linspace(-4, 3, 141))


def test_log_posterior_is_the_closed_form(fine):
    ma, sa = conjugate(M_A, S_A, Y, 1.0)
    mb, sb = conjugate(M_B, S_B, [W], 0.5)
    a, b = fine.x_values[np.newaxis, :], fine.y_values[:, np.newaxis]
    expected = stats.norm(ma, sa).logpdf(a) + stats.norm(mb, sb).logpdf(b)
    # the grid spans > 6 posterior sd each way: its normalisation is exact
    # to far better than the tolerance
    np.testing.assert_allclose(fine.log_posterior, expected, rtol=0, atol=1e-8)
    # the normalisation is the evidence, log p(y) + log p(w)
    assert fine.log_norm == pytest.approx(
        log_evidence(M_A, S_A, Y, 1.0) + log_evidence(M_B, S_B, [W], 0.5), abs=1e-8)


def test_maps_are_the_independent_densities(post, fine):
    a, b = fine.x_values[np.newaxis, :], fine.y_values[:, np.newaxis]
    like = (stats.norm.logpdf(Y[:, None, None], a, 1.0).sum(axis=0)
            + stats.norm.logpdf(W, b, 0.5))
    prior = stats.norm.logpdf(a, M_A, S_A) + stats.norm.logpdf(b, M_B, S_B)
    np.testing.assert_allclose(fine.log_likelihood, like, rtol=1e-12)
    np.testing.assert_allclose(fine.log_prior, prior, rtol=1e-12)
    np.testing.assert_allclose(fine.log_posterior, like + prior - fine.log_norm,
                               rtol=0, atol=1e-10)
    assert fine.log_likelihood.shape == fine.log_prior.shape == (141, 221)
    assert (fine.x, fine.y, fine.at) == ("a", "b", {})


def test_normalised_on_an_uneven_grid(post):
    xs = np.concatenate([np.linspace(-5, 0, 40), np.geomspace(0.01, 6, 120)])
    ys = np.linspace(-4, 3, 57) ** 3 / 9
    g = post.grid("a", "b", xs, ys)
    areas = g.cell_areas()
    np.testing.assert_array_equal(areas, np.outer(np.gradient(ys), np.gradient(xs)))
    assert np.sum(np.exp(g.log_posterior) * areas) == pytest.approx(1.0, rel=1e-12)
    # posterior means: the conjugate ones, to the accuracy of the quadrature
    ma, _ = conjugate(M_A, S_A, Y, 1.0)
    mean_a = np.sum(np.exp(g.log_posterior) * areas * xs[np.newaxis, :])
    assert mean_a == pytest.approx(ma, abs=2e-3)


def test_credible_levels_bound_the_gaussian_regions(fine):
    """For a 2-D Gaussian the highest-density region holding p is bounded by
    the density (1 - p) times the peak."""
    peak = np.exp(fine.log_posterior).max()
    levels = fine.credible_levels([0.3, 0.68, 0.95, 0.99])
    np.testing.assert_allclose(levels / peak, [0.7, 0.32, 0.05, 0.01], atol=5e-3)
    assert np.all(np.diff(levels) < 0)
    for bad in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(ValueError, match=rf"probabilities must lie in \(0, 1\), got .*{bad}"):
            fine.credible_levels([0.5, bad])


def test_the_other_parameters_are_held_at_the_given_values():
    post = normal_posterior(with_c=True)
    xs, ys = np.linspace(-2, 3, 11), np.linspace(-3, 2, 9)
    at = {"c": 0.4}
    g = post.grid("a", "b", xs, ys, at=at)
    assert g.at == {"c": 0.4}
    # the grid parameters' entries in `at` are ignored, however given
    same = [post.grid("a", "b", xs, ys, at={"a": 9.0, "b": 9.0, "c": 0.4}),
            post.grid("a", "b", xs, ys, at=[9.0, 9.0, 0.4])]
    for other in same:
        np.testing.assert_array_equal(other.log_likelihood, g.log_likelihood)
        np.testing.assert_array_equal(other.log_posterior, g.log_posterior)
    # a MapResult: its c is used
    found = post.find_map(initial=[0.0, 0.0, 0.4], seed=0)
    at_map = post.grid("a", "b", xs, ys, at=found)
    assert at_map.at == {"c": pytest.approx(found.theta[2])}
    np.testing.assert_array_equal(
        at_map.log_likelihood, post.grid("a", "b", xs, ys, at=found.params).log_likelihood)
    # c only shifts both maps by a constant: the normalised map does not move
    shifted = post.grid("a", "b", xs, ys, at={"c": -1.5})
    np.testing.assert_allclose(shifted.log_posterior, g.log_posterior, rtol=0, atol=1e-12)
    assert shifted.log_norm != g.log_norm
    # the grid may run over any two parameters, in either order
    swapped = post.grid("b", "a", ys, xs, at=at)
    np.testing.assert_allclose(swapped.log_posterior, g.log_posterior.T, rtol=0, atol=1e-12)


def test_the_function_and_the_method_agree_and_chunks_change_nothing(post):
    xs, ys = np.linspace(-2, 3, 13), np.linspace(-3, 2, 7)
    g = grid(post, "a", "b", xs, ys)
    assert isinstance(g, GridResult)
    for chunk in (1, 5, 91, 92, 10**6):
        other = post.grid("a", "b", xs, ys, chunk=chunk)
        for name in ("log_likelihood", "log_prior", "log_posterior"):
            np.testing.assert_array_equal(getattr(other, name), getattr(g, name))
    integers = post.grid("a", "b", list(range(-2, 4)), ys)
    assert integers.x_values.dtype == float
    np.testing.assert_array_equal(integers.x_values, [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0])


def test_zero_prior_density_stays_minus_infinity():
    m = pg.Model("half")
    m.param("a", pg.Uniform(0.0, 1.0))
    m.param("b", pg.Normal(0.0, 1.0))
    m.data("y", pg.Normal("a", "b"))
    g = m.posterior(data={"y": 0.5}).grid("a", "b", np.linspace(-0.5, 1.5, 21),
                                        np.linspace(0.1, 2, 20))
    outside = (g.x_values < 0) | (g.x_values > 1)
    assert np.all(g.log_prior[:, outside] == -np.inf)
    assert np.all(g.log_posterior[:, outside] == -np.inf)
    assert np.all(np.isfinite(g.log_posterior[:, ~outside]))


@pytest.mark.parametrize("args, match", [
    (("a", "z"), r"'z' is not a parameter; parameters are \['a', 'b', 'c'\]"),
    (("a", "a"), "the two grid parameters must differ, got 'a' twice"),
])
def test_bad_parameter_names_are_refused(args, match):
    post = normal_posterior(with_c=True)
    with pytest.raises(ValueError, match=match):
        post.grid(*args, np.linspace(0, 1, 3), np.linspace(0, 1, 3), at={"c": 0.0})


@pytest.mark.parametrize("values, match", [
    ([1.0], "at least 2 values, got shape \\(1,\\)"),
    (np.zeros((2, 3)), "1-D array of at least 2 values, got shape \\(2, 3\\)"),
    ([0.0, np.nan, 1.0], "finite and increasing"),
    ([0.0, 1.0, np.inf], "finite and increasing"),
    ([0.0, 1.0, 1.0], "finite and increasing"),
    ([1.0, 0.0], "finite and increasing"),
])
def test_bad_grid_values_are_refused_naming_the_parameter(post, values, match):
    with pytest.raises(ValueError, match=f"grid values of 'b' must be .*{match}"):
        post.grid("a", "b", [0.0, 1.0], values)


@pytest.mark.parametrize("chunk", [0, -3, 2.5])
def test_a_bad_chunk_is_refused(post, chunk):
    with pytest.raises(ValueError, match=f"chunk must be a positive integer, got {chunk}"):
        post.grid("a", "b", [0.0, 1.0], [0.0, 1.0], chunk=chunk)


def test_bad_values_of_the_other_parameters_are_refused():
    post = normal_posterior(with_c=True)
    xs = np.linspace(0, 1, 3)
    with pytest.raises(ValueError, match=r"other parameters \['c'\] with at="):
        post.grid("a", "b", xs, xs)
    with pytest.raises(ValueError, match="at: .*'c'"):
        post.grid("a", "b", xs, xs, at={"a": 1.0})
    with pytest.raises(ValueError, match=r"vector of shape \(3,\), got shape \(2,\)"):
        post.grid("a", "b", xs, xs, at=[0.0, 0.0])


def test_a_grid_outside_the_support_is_refused():
    m = pg.Model("positive")
    m.param("a", pg.Uniform(0.0, 1.0))
    m.param("b", pg.Uniform(0.0, 1.0))
    m.data("y", pg.Normal("a", "b"))
    with pytest.raises(ValueError, match=r"zero everywhere on the grid of \(a, b\)"):
        m.posterior(data={"y": 0.5}).grid("a", "b", [-2.0, -1.0], [0.2, 0.4])


def test_plot_marks_a_truth_given_as_a_pair(fine):
    fig = fine.plot(truth=(1.0, -0.5), probabilities=(0.5,))
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["log-likelihood", "log-prior", "log-posterior (sum)"]
    for ax in fig.axes[:3]:
        assert [list(line.get_xdata()) for line in ax.lines] == [[1.0]]
    assert fig.get_suptitle().endswith("contours hold 50%")
