"""The one walk through the graph: its order, steps, terms and input checks,
each against an independent oracle (scipy.stats, numpy by
hand) or the error a user should see."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.graph.evaluate import (
    DataTerm,
    PriorTerm,
    Step,
    Walk,
    check_inputs,
    evaluate,
    resolve,
)
from pgmsim.graph.nodes import NodeKind


def located_model():
    """A joint prior, a hierarchical prior, two deterministic steps, one data node."""
    m = pg.Model("located")
    m.fixed("x", plate="pix")
    m.param(("x0", "y0"), pg.MapPrior(np.arange(1.0, 5.0).reshape(2, 2), (0, 4, 0, 4)))
    m.param("s", pg.HalfNormal(1.0))
    m.param("w", pg.Normal(1.0, "s"))
    m.deterministic("r", lambda x0, x: np.abs(x - x0), plate="pix")
    m.deterministic("mu", lambda r, w, y0: w * np.exp(-r) + y0, plate="pix")
    m.data("N", pg.Poisson("mu"), plate="pix")
    return m


def test_walk_lists_terms_and_steps_in_topological_order():
    walk = Walk.of(located_model())
    kinds = [(type(item).__name__, item.name if isinstance(item, Step) else item.names)
             for item in walk.items]
    assert kinds == [("PriorTerm", ("x0", "y0")), ("PriorTerm", ("s",)),
                     ("PriorTerm", ("w",)), ("Step", "r"), ("Step", "mu"),
                     ("DataTerm", ("N",))]
    assert [s.parents for s in walk.steps] == [("x0", "x"), ("r", "w", "y0")]
    assert walk.priors[2].args == (1.0, "s")
    assert walk.data[0].name == "N"


def test_a_joint_prior_is_one_term_over_its_names():
    walk = Walk.of(located_model())
    joint = walk.priors[0]
    x, y = np.array([0.5, 3.5, 5.0]), np.array([0.5, 3.5, 1.0])
    got = joint.logpdf({"x0": x, "y0": y})
    want = joint.distribution.logpdf(x, y)
    np.testing.assert_array_equal(np.where(np.isnan(got), -np.inf, got), want)
    draws = joint.draw(np.random.default_rng(1), (1000,))
    assert sorted(draws) == ["x0", "y0"] and draws["x0"].shape == (1000,)
    assert np.all(np.isfinite(joint.distribution.logpdf(draws["x0"], draws["y0"])))
    one = joint.draw(np.random.default_rng(1), ())
    assert all(np.ndim(v) == 0 for v in one.values())


def test_step_calls_its_function_with_its_parents_only():
    seen = {}

    def area(w, h):
        seen.update(w=w, h=h)
        return w * h

    step = Step("area", area, ("w", "h"))
    assert step({"w": 2.0, "h": 3.0, "other": np.nan}) == 6.0
    assert seen == {"w": 2.0, "h": 3.0}
    with pytest.raises(KeyError, match="'h'"):
        step({"w": 2.0})


def test_terms_resolve_names_and_numbers():
    assert resolve(("a", 2.0, "b"), {"a": 1.0, "b": 3.0}) == [1.0, 2.0, 3.0]
    term = PriorTerm(("w",), pg.Normal(1.0, "s"))
    assert term.arguments({"s": 0.5}) == [1.0, 0.5]
    lp = term.logpdf({"w": np.array([0.0, 2.0]), "s": 0.5})
    np.testing.assert_allclose(lp, stats.norm(1.0, 0.5).logpdf([0.0, 2.0]), rtol=1e-13)


def test_likelihood_is_the_summed_log_density_of_the_data():
    counts = np.array([0.0, 3.0, 1.0, 7.0])
    like = DataTerm(("N",), pg.Poisson("mu")).likelihood(counts)
    mu = np.array([[0.5, 2.0, 1.0, 6.0], [1.0, 1.0, 1.0, 1.0]])
    np.testing.assert_allclose(like({"mu": mu}), stats.poisson.logpmf(counts, mu).sum(axis=1),
                               rtol=1e-13)
    assert like.term.name == "N"


def test_evaluate_gives_every_deterministic_node():
    m = located_model()
    x = np.linspace(0.0, 4.0, 5)
    params = {"x0": 1.5, "y0": 0.2, "s": 1.0, "w": 2.0}
    values = evaluate(m, params, {"x": x})
    np.testing.assert_allclose(values["r"], np.abs(x - 1.5))
    np.testing.assert_allclose(values["mu"], 2.0 * np.exp(-np.abs(x - 1.5)) + 0.2)
    # columns of draws broadcast against the plate
    draws = evaluate(m, {k: np.full((3, 1), v) for k, v in params.items()}, {"x": x})
    assert draws["mu"].shape == (3, 5)
    np.testing.assert_allclose(draws["mu"][1], values["mu"])


def test_walk_evaluate_agrees_with_simulate():
    m = located_model()
    x = np.linspace(0.0, 4.0, 6)
    sim = m.simulate(inputs={"x": x}, seed=4)
    values = Walk.of(m).evaluate({k: sim[k] for k in ("x0", "y0", "s", "w")}, {"x": x})
    np.testing.assert_allclose(values["mu"], sim["mu"], rtol=1e-15)


@pytest.mark.parametrize("value, error, match", [
    ({"nope": 1.0}, ValueError, "'nope' is not a node of model 'located'"),
    ({"N": [1.0]}, ValueError, "contains 'N', which is a data node, not a fixed node"),
    ({"x": np.ma.masked_array([1.0, 2.0], [0, 1])}, ValueError, "node 'x' is a masked array"),
    ({"x": [[1.0], [1.0, 2.0]]}, ValueError, "node 'x' is not a regular array"),
    ({"x": ["a", "b"]}, TypeError, "node 'x' must be numeric"),
    ({"x": [1.0, np.nan]}, ValueError, "node 'x' contains NaN or inf"),
    ([("x", 1.0)], TypeError, "inputs must be a dict"),
])
def test_bad_inputs_are_refused_with_the_node_name(value, error, match):
    with pytest.raises(error, match=match):
        check_inputs(located_model(), value, NodeKind.FIXED, "inputs")


def test_data_may_be_integers_but_not_booleans():
    m = located_model()
    assert check_inputs(m, {"N": [1, 2]}, NodeKind.DATA, "data")["N"].dtype.kind == "i"
    with pytest.raises(TypeError, match="node 'N' must be numeric"):
        check_inputs(m, {"N": [True, False]}, NodeKind.DATA, "data")
