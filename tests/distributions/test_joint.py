"""MapPrior, a 2-D prior density from an image, and joint priors in the model graph.

Statistical tests use fixed seeds; each has a false-alarm probability of
1e-3 (p-value threshold) for a correct implementation.
"""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.draw.layout import layout

#: 5 rows (y) x 7 columns (x) with zero pixels, including a zero border column
IMAGE = np.array([
    [0.0, 1.0, 2.0, 0.5, 0.0, 3.0, 0.0],
    [0.0, 0.2, 4.0, 1.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 6.0, 2.5, 0.7, 0.3, 0.0],
    [0.0, 1.5, 0.0, 0.8, 2.2, 1.1, 0.0],
    [0.0, 0.4, 0.9, 0.0, 0.6, 5.0, 0.0],
])
EXTENT = (-3.0, 4.0, 10.0, 12.5)  # pixels of 1.0 (x) by 0.5 (y)
FALSE_ALARM = 1e-3


def pixel_edges():
    xmin, xmax, ymin, ymax = EXTENT
    ny, nx = IMAGE.shape
    return np.linspace(xmin, xmax, nx + 1), np.linspace(ymin, ymax, ny + 1)


def test_logpdf_integrates_to_one_over_the_extent():
    prior = pg.MapPrior(IMAGE, EXTENT)
    xe, ye = pixel_edges()
    sub = 12  # midpoints of a grid 12 times finer than the pixels
    x = xe[0] + (np.arange((xe.size - 1) * sub) + 0.5) * (xe[1] - xe[0]) / sub
    y = ye[0] + (np.arange((ye.size - 1) * sub) + 0.5) * (ye[1] - ye[0]) / sub
    gx, gy = np.meshgrid(x, y)
    cell = (xe[1] - xe[0]) * (ye[1] - ye[0]) / sub**2
    total = np.sum(np.exp(prior.logpdf(gx.ravel(), gy.ravel()))) * cell
    assert total == pytest.approx(1.0, rel=1e-12)
    # a grid not aligned with the pixels: only the cells on pixel edges err
    x = np.linspace(-3.0, 4.0, 1401)
    y = np.linspace(10.0, 12.5, 501)
    gx, gy = np.meshgrid(x, y)
    total = np.trapezoid(np.trapezoid(np.exp(prior.logpdf(gx, gy)), x, axis=1), y)
    assert total == pytest.approx(1.0, abs=0.01)


def test_logpdf_is_the_normalised_pixel_value():
    prior = pg.MapPrior(IMAGE, EXTENT)
    xe, ye = pixel_edges()
    rng = np.random.default_rng(5)
    x = rng.uniform(-3.0, 4.0, 500)
    y = rng.uniform(10.0, 12.5, 500)
    col = np.searchsorted(xe, x, side="right") - 1
    row = np.searchsorted(ye, y, side="right") - 1
    value = IMAGE[row, col] / IMAGE.sum() / (1.0 * 0.5)
    with np.errstate(divide="ignore"):
        expected = np.log(value)
    assert np.allclose(prior.logpdf(x, y), expected, rtol=1e-12, atol=0)
    # vectorised over walkers, (nwalkers,) or (nwalkers, 1) columns
    assert prior.logpdf(x[:, None], y[:, None]).shape == (500, 1)
    assert prior.logpdf(x[:8], 11.0).shape == (8,)


def test_logpdf_is_minus_inf_outside_the_extent_and_on_zero_pixels():
    prior = pg.MapPrior(IMAGE, EXTENT)
    eps = 1e-9
    outside = [(-3.0 - eps, 11.0), (4.0 + eps, 11.0), (0.5, 10.0 - eps), (0.5, 12.5 + eps),
               (np.nan, 11.0), (0.5, np.inf)]
    for x, y in outside:
        assert prior.logpdf(x, y) == -np.inf
    # zero pixels: the first column, and row 0 column 4
    assert prior.logpdf(-2.5, 11.0) == -np.inf
    assert prior.logpdf(1.5, 10.25) == -np.inf
    # the upper edges belong to the last pixels (row 4, column 5 holds 5.0)
    assert np.isfinite(prior.logpdf(3.0 - eps, 12.5))
    assert prior.logpdf(2.999, 12.5) == pytest.approx(np.log(5.0 / IMAGE.sum() / 0.5))
    assert prior.logpdf(4.0, 12.5) == -np.inf  # last column is zero


def test_sampling_matches_the_map_chi_square():
    prior = pg.MapPrior(IMAGE, EXTENT)
    n = 40_000
    draws = prior.sample(np.random.default_rng(11), size=n)
    assert draws.shape == (n, 2)
    xe, ye = pixel_edges()
    counts, _, _ = np.histogram2d(draws[:, 1], draws[:, 0], bins=[ye, xe])
    probability = IMAGE / IMAGE.sum()
    assert counts.sum() == n
    assert np.all(counts[probability == 0] == 0)
    nonzero = probability > 0
    chi2 = stats.chisquare(counts[nonzero], n * probability[nonzero])
    assert chi2.pvalue > FALSE_ALARM
    # uniform within the pixels
    frac = np.mod((draws[:, 0] - EXTENT[0]) / 1.0, 1.0)
    assert stats.kstest(frac, "uniform").pvalue > FALSE_ALARM
    frac = np.mod((draws[:, 1] - EXTENT[2]) / 0.5, 1.0)
    assert stats.kstest(frac, "uniform").pvalue > FALSE_ALARM


def test_sampling_has_power_against_a_wrong_map():
    """Negative control: draws from the map fail the test against another map."""
    prior = pg.MapPrior(IMAGE, EXTENT)
    n = 40_000
    draws = prior.sample(np.random.default_rng(11), size=n)
    xe, ye = pixel_edges()
    counts, _, _ = np.histogram2d(draws[:, 1], draws[:, 0], bins=[ye, xe])
    wrong = np.where(IMAGE > 0, IMAGE + 0.3, 0.0)
    wrong = wrong / wrong.sum()
    nonzero = wrong > 0
    assert stats.chisquare(counts[nonzero], n * wrong[nonzero]).pvalue < FALSE_ALARM


def test_sample_shapes_and_seeds():
    prior = pg.MapPrior(IMAGE, EXTENT)
    assert prior.sample(1).shape == (2,)
    assert prior.sample(1, size=(3, 4)).shape == (3, 4, 2)
    assert np.array_equal(prior.sample(7, size=10), prior.sample(7, size=10))
    assert not np.array_equal(prior.sample(7, size=10), prior.sample(8, size=10))


def test_support_is_the_box_of_nonzero_pixels():
    prior = pg.MapPrior(IMAGE, EXTENT)
    # columns 1..5 are the non-zero ones; all rows have some
    assert prior.support() == ((-2.0, 3.0), (10.0, 12.5))


def test_latex_and_text_forms():
    prior = pg.MapPrior(IMAGE, EXTENT)
    assert prior.latex() == r"\pi_{\mathrm{map}}"
    assert prior.latex(variables=["x_0", "y_0"]) == r"\pi_{\mathrm{map}}(x_0, y_0)"
    assert prior.text() == "MapPrior(7x5 image, extent=(-3, 4, 10, 12.5))"
    assert prior == pg.MapPrior(IMAGE.copy(), list(EXTENT))
    assert prior != pg.MapPrior(IMAGE * 2, EXTENT)


BAD_MAPS = [
    (np.where(IMAGE > 4, -1.0, IMAGE), EXTENT, "2 negative value"),
    (np.where(IMAGE > 4, np.nan, IMAGE), EXTENT, "NaN value"),
    (np.where(IMAGE > 4, np.inf, IMAGE), EXTENT, "infinite value"),
    (np.zeros((5, 7)), EXTENT, "zero everywhere"),
    (np.ones(7), EXTENT, "must be 2-D"),
    (np.ones((2, 5, 7)), EXTENT, "must be 2-D"),
    ([[1.0, 2.0], [3.0]], EXTENT, "2-D numeric array"),
    (IMAGE, (4.0, -3.0, 10.0, 12.5), "xmin < xmax"),
    (IMAGE, (-3.0, 4.0, 10.0, 10.0), "xmin < xmax and ymin < ymax"),
    (IMAGE, (-3.0, 4.0, 10.0), "four numbers"),
    (IMAGE, (-3.0, 4.0, np.nan, 12.5), "finite"),
    (IMAGE, ("a", 4.0, 10.0, 12.5), "four numbers"),
    (IMAGE, None, "four numbers"),
]


@pytest.mark.parametrize("image, extent, message", BAD_MAPS)
def test_invalid_maps_raise_at_declaration_naming_the_nodes(image, extent, message):
    m = pg.Model("bad")
    with pytest.raises(pg.ModelError, match=rf"parameters 'x0', 'y0': invalid MapPrior: .*{message}"):
        m.param(("x0", "y0"), pg.MapPrior(image, extent))
    assert "x0" not in m.graph and "y0" not in m.graph


@pytest.mark.parametrize("image, extent, message", BAD_MAPS[:4])
def test_invalid_maps_raise_at_first_use_on_their_own(image, extent, message):
    prior = pg.MapPrior(image, extent)
    assert message in prior.problem()
    for use in (lambda: prior.logpdf(0.0, 11.0), lambda: prior.sample(0),
                prior.support):
        with pytest.raises(ValueError, match=f"invalid MapPrior: .*{message}"):
            use()


def test_negative_value_message_gives_the_value_and_pixel():
    image = IMAGE.copy()
    image[3, 2] = -0.25
    m = pg.Model("bad")
    with pytest.raises(ValueError, match=r"1 negative value\(s\), first -0.25 at row 3, "
                                         r"column 2; a prior map is a density"):
        m.param(("x0", "y0"), pg.MapPrior(image, EXTENT))


# ----------------------------------------------------------------------------
# joint priors in the model graph

def small_model():
    m = pg.Model("joint")
    m.param(("x0", "y0"), pg.MapPrior(IMAGE, EXTENT))
    m.param("F", pg.LogUniform(1.0, 100.0))
    m.fixed("x", plate="obs")

    @m.deterministic(plate="obs")
    def rate(x0, y0, F, x):
        return F * np.exp(-0.5 * (x - x0) ** 2) * (1.0 + 0.1 * (y0 - 11.0)) + 0.5

    m.data("N", pg.Poisson("rate"), plate="obs")
    return m


def test_joint_declaration_returns_the_names_and_groups_them():
    m = small_model()
    assert m.prior_group("x0") == ("x0", "y0") == m.prior_group("y0")
    assert m.prior_group("F") == ("F",)
    assert m.names("parameter") == ["x0", "y0", "F"]
    assert m.node("x0").distribution is m.node("y0").distribution
    assert list(m.graph.predecessors("y0")) == []


@pytest.mark.parametrize("names, prior, plate, label, message", [
    ("x0", pg.MapPrior(IMAGE, EXTENT), None, None, "joint prior over 2 parameters, got 1"),
    (("x0", "y0", "z0"), pg.MapPrior(IMAGE, EXTENT), None, None, "got 3 name"),
    (("x0", "y0"), pg.Uniform(0, 1), None, None, "need a joint prior such as pg.MapPrior"),
    (("x0", "x0"), pg.MapPrior(IMAGE, EXTENT), None, None, "must differ"),
    (("x0", "y0"), pg.MapPrior(IMAGE, EXTENT), "sources", None, "not supported"),
    (("x0", "y0"), pg.MapPrior(IMAGE, EXTENT), None, "x", "one label per name"),
    (("x0", "y-0"), pg.MapPrior(IMAGE, EXTENT), None, None, "identifier"),
    (["x0", "y0"], pg.MapPrior(IMAGE, EXTENT), None, None, "tuple of strings"),
])
def test_joint_declaration_errors(names, prior, plate, label, message):
    m = pg.Model("bad")
    with pytest.raises(pg.ModelError, match=message):
        m.param(names, prior, plate=plate, label=label)
    assert list(m.graph) == []


def test_joint_declaration_adds_nothing_when_a_name_is_taken():
    m = pg.Model("bad")
    m.param("y0", pg.Uniform(0, 1))
    with pytest.raises(pg.ModelError, match="duplicate node name 'y0'"):
        m.param(("x0", "y0"), pg.MapPrior(IMAGE, EXTENT))
    assert list(m.graph) == ["y0"]


def test_joint_labels():
    m = pg.Model("labels")
    m.param(("ra", "dec"), pg.MapPrior(IMAGE, EXTENT), label=(r"\alpha", r"\delta"))
    m.data("N", pg.Poisson(3.0))
    assert m.factorization().latex.startswith(r"p(\alpha,\delta,N) = p(\alpha,\delta)")


def test_factorization_has_one_factor_for_the_joint_prior():
    f = small_model().factorization(verbose=True)
    assert [(x.node, x.joint, x.given) for x in f.factors] == [
        ("x0", ("y0",), ()), ("F", (), ()), ("N", (), ("x0", "y0", "F"))]
    assert f.factors[0].nodes == ("x0", "y0")
    assert str(f).splitlines() == [
        "p(x0, y0, F, {N_k}) = p(x0, y0) p(F) prod_k p(N_k | x0, y0, F)",
        "  (x0, y0) ~ MapPrior(7x5 image, extent=(-3, 4, 10, 12.5))",
        "  F ~ LogUniform(1, 100)",
        "  N_k ~ Poisson(rate)",
    ]
    assert r"(x_0, y_0) &\sim \pi_{\mathrm{map}}\\" in f.latex


def test_layout_joins_the_joint_parameters_with_an_undirected_link():
    m = small_model()
    plan = layout(m)
    assert plan.links == [("x0", "y0")]
    assert ("x0", "y0") not in plan.edges
    assert plan.problems() == []
    (x1, y1), (x2, y2) = plan.positions["x0"], plan.positions["y0"]
    assert y1 == y2 and abs(x1 - x2) == pytest.approx(1.0)
    assert m.render().figure is not None


def test_log_prior_evaluates_the_joint_factor_once():
    m = small_model()
    post = m.posterior(data={"N": [3, 5, 8, 2]}, inputs={"x": [-1.0, 0.0, 1.0, 2.0]})
    rng = np.random.default_rng(2)
    theta = np.column_stack([rng.uniform(-3, 4, 50), rng.uniform(10, 12.5, 50),
                             rng.uniform(1, 100, 50)])
    prior = pg.MapPrior(IMAGE, EXTENT)
    expected = prior.logpdf(theta[:, 0], theta[:, 1]) - np.log(theta[:, 2] * np.log(100.0))
    assert np.array_equal(np.isfinite(post.log_prior(theta)), np.isfinite(expected))
    finite = np.isfinite(expected)
    assert np.allclose(post.log_prior(theta)[finite], expected[finite], rtol=1e-12)
    # one point at a time as well
    k = np.flatnonzero(finite)[0]
    assert post.log_prior(theta[k]) == pytest.approx(expected[k], rel=1e-12)
    k = np.flatnonzero(~finite)[0]
    assert post.log_prior(theta[k]) == -np.inf


def test_sample_prior_draws_the_pair_jointly_from_the_map():
    m = small_model()
    post = m.posterior(data={"N": [3, 5, 8, 2]}, inputs={"x": [-1.0, 0.0, 1.0, 2.0]})
    n = 20_000
    theta = post.sample_prior(3, n)
    prior = pg.MapPrior(IMAGE, EXTENT)
    assert np.all(np.isfinite(prior.logpdf(theta[:, 0], theta[:, 1])))
    xe, ye = pixel_edges()
    counts, _, _ = np.histogram2d(theta[:, 1], theta[:, 0], bins=[ye, xe])
    probability = IMAGE / IMAGE.sum()
    nonzero = probability > 0
    assert np.all(counts[~nonzero] == 0)
    assert stats.chisquare(counts[nonzero], n * probability[nonzero]).pvalue > FALSE_ALARM
    assert np.all((theta[:, 2] >= 1.0) & (theta[:, 2] <= 100.0))


def test_simulate_draws_the_pair_jointly_or_takes_both():
    m = small_model()
    inputs = {"x": [-1.0, 0.0, 1.0, 2.0]}
    prior = pg.MapPrior(IMAGE, EXTENT)
    draws = np.array([[s["x0"], s["y0"]] for s in
                      (m.simulate(inputs=inputs, seed=k) for k in range(200))])
    assert np.all(np.isfinite(prior.logpdf(draws[:, 0], draws[:, 1])))
    sim = m.simulate(inputs=inputs, params={"x0": 0.5, "y0": 11.2, "F": 10.0}, seed=1)
    assert (sim["x0"], sim["y0"]) == (0.5, 11.2)
    with pytest.raises(ValueError, match=r"params gives 'x0' but not 'y0', which share "
                                         r"its joint prior MapPrior"):
        m.simulate(inputs=inputs, params={"x0": 0.5}, seed=1)


@pytest.mark.parametrize("image, extent, match", [
    (np.ones((2, 2)), (-1e308, 1e308, 0, 1), "pixel size"),
    (np.ones((2, 2)), (0, 1, 0, 5e-324), "pixel size"),
])
def test_map_prior_with_pixels_beyond_float64_is_refused(image, extent, match):
    with pytest.raises(ValueError, match=match):
        pg.MapPrior(image, extent).check(["x0", "y0"])


def test_map_prior_is_represented_where_sums_and_areas_would_overflow():
    # an image summing beyond float64, on pixels whose area underflows
    image = np.array([[1e308, 1e308], [1e308, 1.5e308]])
    prior = pg.MapPrior(image, (0, 2e-160, 0, 2e-160))
    assert prior.problem() is None
    log_area = 2 * np.log(1e-160)
    np.testing.assert_allclose(prior.logpdf([0.5e-160, 1.5e-160], [0.5e-160, 1.5e-160]),
                               [np.log(1 / 4.5) - log_area, np.log(1.5 / 4.5) - log_area])
    np.testing.assert_allclose(prior.probabilities.sum(), 1.0)
