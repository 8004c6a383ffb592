"""Forward simulation: ancestral sampling, seeds, given parameters, input errors."""

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.graph.evaluate import PriorTerm, Walk
from pgmsim.models import xray_agn
from pgmsim.simulate import draw_priors


@pytest.fixture(scope="module")
def agn():
    return xray_agn.build(), xray_agn.default_inputs()


def test_same_seed_same_result_and_every_node_returned(agn):
    m, inputs = agn
    a = m.simulate(inputs=inputs, seed=7)
    b = m.simulate(inputs=inputs, seed=7)
    c = m.simulate(inputs=inputs, seed=8)
    assert set(a) == set(m.graph)
    for name in m.graph:
        np.testing.assert_array_equal(a[name], b[name])
    assert a["x0"] != c["x0"]
    assert a["N"].shape == (1600,) and a["N"].dtype.kind == "i"


def test_given_parameters_are_used_and_mu_is_the_formula(agn):
    m, inputs = agn
    truth = xray_agn.TRUTH
    sim = m.simulate(inputs=inputs, params=truth, seed=1)
    for k, v in truth.items():
        assert sim[k] == v
    r2 = (inputs["x"] - truth["x0"]) ** 2 + (inputs["y"] - truth["y0"]) ** 2
    expected = inputs["ex"] * (truth["F"] * np.exp(-r2 / (2 * truth["sigma"] ** 2))
                               / (2 * np.pi * truth["sigma"] ** 2) + truth["b"])
    np.testing.assert_allclose(sim["mu"], expected, rtol=1e-12)


def test_counts_follow_poisson_statistics(agn):
    # total counts over many pixels: Poisson with mean sum(mu); 5-sigma tolerance
    m, inputs = agn
    sim = m.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=3)
    total, mean = sim["N"].sum(), sim["mu"].sum()
    assert abs(total - mean) < 5 * np.sqrt(mean)


def test_prior_draws_follow_the_prior(agn):
    m, inputs = agn
    x0 = np.array([m.simulate(inputs=inputs, seed=s)["x0"] for s in range(300)])
    from scipy import stats
    assert stats.kstest(x0, stats.uniform(0, 40).cdf).pvalue > 1e-3


def test_hierarchical_plate_parameters_are_vectors():
    m = pg.Model()
    m.plate("sources", size=6, index="j")
    m.param("mu_pop", pg.Normal(5.0, 1.0))
    m.param("F", pg.Normal("mu_pop", 0.1), plate="sources")
    m.data("N", pg.Poisson("F"), plate="sources")
    sim = m.simulate(seed=2)
    assert sim["F"].shape == (6,) and sim["N"].shape == (6,)
    assert np.all(np.abs(sim["F"] - sim["mu_pop"]) < 0.6)


def test_input_errors_name_the_node(agn):
    m, inputs = agn
    with pytest.raises(ValueError, match=r"missing fixed input\(s\) 'ex'"):
        m.simulate(inputs={"x": inputs["x"], "y": inputs["y"]})
    with pytest.raises(ValueError, match=r"node 'x' has length 1600 but plate 'pixels' has size 10 \(from node 'ex'\)"):
        m.simulate(inputs={**inputs, "ex": np.ones(10)})
    with pytest.raises(ValueError, match="'exposure' is not a node"):
        m.simulate(inputs={**inputs, "exposure": 1.0})
    with pytest.raises(ValueError, match="contains 'x0', which is a parameter node"):
        m.simulate(inputs={**inputs, "x0": 1.0})
    with pytest.raises(ValueError, match="node 'x0' must be a scalar"):
        m.simulate(inputs=inputs, params={"x0": [1.0, 2.0]})
    with pytest.raises(ValueError, match="'ex' contains NaN"):
        m.simulate(inputs={**inputs, "ex": np.full(1600, np.nan)})
    with pytest.raises(TypeError, match="'ex' must be numeric"):
        m.simulate(inputs={**inputs, "ex": ["a"] * 1600})


def hierarchy():
    m = pg.Model("hierarchy")
    m.param(("x0", "y0"), pg.MapPrior(np.ones((2, 2)), (0, 4, 0, 4)))
    m.param("s", pg.HalfNormal(1.0))
    m.param("w", pg.Normal(1.0, "s"))
    m.data("z", pg.Normal("w", 1.0))
    return m


def test_draw_priors_follows_hierarchies_and_names_what_it_cannot_draw():
    priors = Walk.of(hierarchy()).priors
    shapes = {"x0": (), "y0": (), "s": (), "w": ()}
    draws = draw_priors(priors, np.random.default_rng(2), 4000, shapes, {})
    assert all(draws[n].shape == (4000,) for n in shapes)
    # w ~ Normal(1, s): its spread follows the draws of s
    z = (draws["w"] - 1.0) / draws["s"]
    assert abs(np.std(z) - 1.0) < 0.05
    cut = [PriorTerm(("w",), pg.Normal(1.0, "mu"))]
    with pytest.raises(ValueError, match="cannot draw parameter 'w'.*'mu' is not known before"):
        draw_priors(cut, np.random.default_rng(0), 3, {"w": ()}, {})


def nested_group_model(argument_on_groups=True):
    """Points within groups; y on the points takes a on the groups, or mu on no plate."""
    m = pg.Model("nested")
    m.plate("groups", index="g", size=3)
    m.plate("points", index="k", within="groups", size=12)
    m.param("mu", pg.Normal(0.0, 1.0))
    m.param("a", pg.Normal("mu", 1.0), plate="groups")
    m.data("y", pg.Normal("a" if argument_on_groups else "mu", 1.0), plate="points")
    return m


def test_an_argument_of_an_enclosing_plate_is_refused_naming_the_node():
    # the values of an inner plate are one flat vector: a per-group value cannot
    # broadcast against it (it failed deep in numpy, naming no node)
    m = nested_group_model()
    message = r"node 'y' on plate 'points' \(within 'groups'\) takes 'a' of plate 'groups'"
    with pytest.raises(pg.ModelError, match=message):
        m.simulate(seed=1)
    with pytest.raises(pg.ModelError, match=message):
        m.posterior(data={"y": np.zeros(12)})
    # still declared and drawn: the picture of such a model is fine
    assert "prod_g,k p(y_g,k | a_g)" in str(m.factorization())
    # control: an argument on no plate is simulated
    assert nested_group_model(argument_on_groups=False).simulate(seed=1)["y"].shape == (12,)
