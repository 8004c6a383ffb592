"""The follow-up model with a prior map, and the grid evaluation of a posterior."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from scipy import ndimage, stats

import pgmsim as pg
from pgmsim.draw.layout import layout
from pgmsim.models import source_with_prior_map as swp


@pytest.fixture(scope="module")
def mock():
    model = swp.build()
    inputs = swp.default_inputs(seed=0)
    sim = model.simulate(inputs=inputs, params=swp.TRUTH, seed=0)
    post = model.posterior(data={"N": sim["N"]}, inputs=inputs)
    return model, inputs, sim, post


def test_factorization_is_pinned():
    f = swp.build().factorization(verbose=True)
    assert str(f).splitlines() == [
        "p(x0, y0, F, b, {N_k}) = p(x0, y0) p(F) p(b) prod_k p(N_k | x0, y0, F, b)",
        "  (x0, y0) ~ MapPrior(80x80 image, extent=(-0.5, 39.5, -0.5, 39.5))",
        "  F ~ LogUniform(0.0001, 1)",
        "  b ~ LogUniform(1e-07, 0.01)",
        "  N_k ~ Poisson(mu)",
    ]
    assert swp.build().factorization().latex == (
        r"p(x_0,y_0,F,b,\{N_k\}) = p(x_0,y_0)\,p(F)\,p(b)\,"
        r"\prod_k p(N_k\mid x_0,y_0,F,b)")


def test_renders_in_four_rows_without_layout_problems():
    m = swp.build()
    plan = layout(m)
    assert plan.problems() == []
    assert plan.links == [("x0", "y0")]
    # the scalar PSF width sits with the parameters, above the pixel plate
    rows = {name: y for name, (x, y) in plan.positions.items()}
    # the pixel inputs may come down part of a row to open the fan into mu
    inputs = {"ex", "x", "y"}
    assert sorted({rows[n] for n in rows if n not in inputs}, reverse=True) == [
        0.0, -2.0, -3.0]
    assert all(-2.0 + 0.5 <= rows[n] <= -1.0 for n in inputs)
    assert rows["sigma"] == rows["x0"] == 0.0
    assert m.render().figure is not None


def test_negative_prior_map_is_refused_naming_the_nodes():
    image, extent = swp.localisation_map()
    image[10, 12] = -1e-3
    with pytest.raises(pg.ModelError, match=r"parameters 'x0', 'y0': invalid MapPrior: "
                                            r"the image contains 1 negative value"):
        swp.build(prior_map=image, extent=extent)


def test_localisation_map_is_a_two_lobed_arc_through_the_truth():
    image, extent = swp.localisation_map()
    prior = pg.MapPrior(image, extent)
    assert np.isfinite(prior.logpdf(swp.TRUTH["x0"], swp.TRUTH["y0"]))
    # zero far from the arc, e.g. at the image corners
    assert prior.logpdf(0.0, 39.0) == -np.inf and prior.logpdf(39.0, 39.0) == -np.inf
    # two lobes: two maxima within 7 pixels of their surroundings
    peaks = (image == ndimage.maximum_filter(image, size=29)) & (image > 0)
    assert peaks.sum() == 2
    assert np.sort(image[peaks]) == pytest.approx(np.array([0.8, 1.0]) * image.max(),
                                                  rel=0.05)


def test_simulation_is_reproducible_and_draws_inside_the_map():
    model = swp.build()
    inputs = swp.default_inputs(seed=0)
    a = model.simulate(inputs=inputs, seed=5)
    b = model.simulate(inputs=inputs, seed=5)
    assert np.array_equal(a["N"], b["N"]) and a["x0"] == b["x0"]
    prior = model.node("x0").distribution
    assert np.isfinite(prior.logpdf(a["x0"], a["y0"]))


def test_grid_maps_add_up(mock):
    model, inputs, sim, post = mock
    xs = np.linspace(15.0, 30.0, 31)
    ys = np.linspace(10.0, 25.0, 26)
    g = post.grid("x0", "y0", xs, ys, at=swp.TRUTH)
    assert g.log_likelihood.shape == g.log_prior.shape == g.log_posterior.shape == (26, 31)
    total = g.log_likelihood + g.log_prior
    finite = np.isfinite(total)
    assert 0.1 < finite.mean() < 0.9  # the map's zero region is on the grid
    assert np.allclose(g.log_posterior[finite], total[finite] - g.log_norm, rtol=0,
                       atol=1e-9)
    assert np.all(g.log_posterior[~finite] == -np.inf)
    # normalised on the grid (cells of 0.5 x 0.6)
    assert np.sum(np.exp(g.log_posterior)) * 0.5 * 0.6 == pytest.approx(1.0, rel=1e-12)
    assert g.at == {"F": swp.TRUTH["F"], "b": swp.TRUTH["b"]}


def test_grid_maps_against_independent_densities(mock):
    """Oracles: scipy's Poisson log-pmf and the priors' own densities."""
    model, inputs, sim, post = mock
    xs = np.linspace(20.0, 27.0, 8)
    ys = np.linspace(14.0, 21.0, 6)
    g = post.grid("x0", "y0", xs, ys, at=swp.TRUTH, chunk=7)
    F, b, sigma = swp.TRUTH["F"], swp.TRUTH["b"], inputs["sigma"]
    prior = model.node("x0").distribution
    for i, j in [(0, 0), (3, 4), (5, 7), (2, 1)]:
        x0, y0 = xs[j], ys[i]
        r2 = (inputs["x"] - x0) ** 2 + (inputs["y"] - y0) ** 2
        mu = inputs["ex"] * (F * np.exp(-0.5 * r2 / sigma**2) / (2 * np.pi * sigma**2) + b)
        assert g.log_likelihood[i, j] == pytest.approx(
            stats.poisson.logpmf(sim["N"], mu).sum(), rel=1e-12)
        expected = prior.logpdf(x0, y0) + stats.loguniform.logpdf(F, 1e-4, 1.0) \
            + stats.loguniform.logpdf(b, 1e-7, 1e-2)
        if np.isfinite(expected):
            assert g.log_prior[i, j] == pytest.approx(expected, rel=1e-12)
        else:
            assert g.log_prior[i, j] == -np.inf
    # chunking does not change the result
    whole = post.grid("x0", "y0", xs, ys, at=swp.TRUTH)
    assert np.array_equal(whole.log_likelihood, g.log_likelihood)


def test_grid_plot_has_three_panels(mock):
    _, _, _, post = mock
    g = post.grid("x0", "y0", np.linspace(18, 29, 45), np.linspace(12, 23, 45),
                  at=swp.TRUTH)
    fig = g.plot(truth=swp.TRUTH)
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["log-likelihood", "log-prior", "log-posterior (sum)"]
    levels = g.credible_levels([0.68, 0.95])
    assert levels[0] > levels[1] > 0


def test_grid_errors(mock):
    _, _, _, post = mock
    xs = np.linspace(20, 27, 8)
    with pytest.raises(ValueError, match="'z0' is not a parameter"):
        post.grid("x0", "z0", xs, xs, at=swp.TRUTH)
    with pytest.raises(ValueError, match="must differ"):
        post.grid("x0", "x0", xs, xs, at=swp.TRUTH)
    with pytest.raises(ValueError, match="finite and increasing"):
        post.grid("x0", "y0", xs[::-1], xs, at=swp.TRUTH)
    with pytest.raises(ValueError, match="at least 2 values"):
        post.grid("x0", "y0", [1.0], xs, at=swp.TRUTH)
    with pytest.raises(ValueError, match=r"other parameters \['F', 'b'\]"):
        post.grid("x0", "y0", xs, xs)
    with pytest.raises(ValueError, match="no value for parameter 'b'"):
        post.grid("x0", "y0", xs, xs, at={"F": 1e-3})
    with pytest.raises(ValueError, match="zero everywhere on the grid"):
        post.grid("x0", "y0", np.linspace(0, 3, 4), np.linspace(36, 39, 4), at=swp.TRUTH)


def test_truth_recovery_from_a_short_chain_at_the_map(mock):
    model, inputs, sim, post = mock
    guess = swp.initial_guess(inputs, {"N": sim["N"]}, model=model)
    found = post.find_map(initial=guess, seed=1)
    assert found.success
    res = pg.sample(post, nwalkers=32, nsteps=600, seed=2, initial=found, progress=False)
    samples = res.flat_samples()
    lo, hi = np.percentile(samples, [0.5, 99.5], axis=0)
    truth = post.pack(swp.TRUTH)
    assert np.all((lo < truth) & (truth < hi)), (lo, truth, hi)
    # every sample lies where the prior map is non-zero
    prior = model.node("x0").distribution
    assert np.all(np.isfinite(prior.logpdf(samples[:, 0], samples[:, 1])))


@pytest.mark.parametrize("size", [0, -3, 2.5])
def test_a_bad_image_size_is_refused_naming_the_plate(size):
    with pytest.raises(pg.ModelError, match="plate 'pixels': shape must be two positive"):
        swp.build(size=size)
