"""The build-time checks of a model at parameter values."""

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.graph.checks import check_steps, nonfinite_source
from pgmsim.graph.evaluate import DataTerm, Step


def test_check_steps_names_the_node_that_fails_or_has_the_wrong_shape():
    x = np.ones(4)
    bad = [Step("mu", lambda a, x: a * x[:, None], ("a", "x"))]
    with pytest.raises(ValueError, match=r"node 'mu' returned shape \(4, 1\) for one point"):
        check_steps(bad, {"a": 1.0, "x": x}, {"mu": "pix"}, {"pix": 4})
    failing = [Step("mu", lambda a, x: float(a) * x, ("a", "x"))]
    check_steps(failing, {"a": 1.0, "x": x}, {"mu": "pix"}, {"pix": 4})
    with pytest.raises(TypeError, match="node 'mu' failed when called for a batch of 2 walkers"):
        check_steps(failing, {"a": np.ones((2, 1)), "x": x}, {"mu": "pix"}, {"pix": 4},
                    walkers=2)
    # a scalar node must stay a (walkers, 1) column in a batch
    scalar = [Step("t", lambda a: a * np.ones(3), ("a",))]
    with pytest.raises(ValueError, match=r"node 't' returned shape \(2, 3\) for a batch "
                                         r"of 2 walkers; expected \(2, 1\)"):
        check_steps(scalar, {"a": np.ones((2, 1))}, {"t": None}, {}, walkers=2)


def test_nonfinite_source_finds_the_first_nan():
    steps = [Step("r", lambda a: np.sqrt(a), ("a",)), Step("mu", lambda r: r + 1.0, ("r",))]
    like = DataTerm(("N",), pg.Poisson("mu")).likelihood(np.ones(2))
    with np.errstate(invalid="ignore"):
        source, bad = nonfinite_source(steps, [like], {"a": np.array([-1.0, 1.0])})
    assert source.name == "r" and bad == ()
    infinite = [Step("mu", lambda a: np.asarray(a) / 0.0 * np.ones(2), ("a",))]
    with np.errstate(divide="ignore"):
        source, bad = nonfinite_source(infinite, [like], {"a": 1.0})
    assert source is like and bad == ("mu",)
    assert nonfinite_source(steps, [like], {"a": 4.0}) == (None, ())


def test_a_batch_that_mixes_walkers_is_named_and_one_that_does_not_passes():
    from pgmsim.graph.checks import check_batch_agrees
    x = np.array([1.0, 2.0, 3.0])
    points = [{"a": a, "x": x} for a in (0.5, -1.0, 2.0)]
    batch = {"a": np.array([[0.5], [-1.0], [2.0]]), "x": x}
    for func, mixes in ((lambda a, x: np.sum(a * x), True),
                        (lambda a, x: np.sum(a * x, axis=-1, keepdims=True), False),
                        (lambda a, x: a * x - np.mean(a * x), True),
                        (lambda a, x: a * x - np.mean(a * x, axis=-1, keepdims=True), False)):
        steps = [Step("s", func, ("a", "x"))]
        alone = [check_steps(steps, dict(p), {"s": None}, {}) for p in points] \
            if func(1.0, x).size == 1 else [dict(p, s=func(p["a"], x)) for p in points]
        together = dict(batch, s=func(batch["a"], x))
        if mixes:
            with pytest.raises(ValueError, match="node 's' mixes walkers"):
                check_batch_agrees(steps, [], alone, together)
        else:
            check_batch_agrees(steps, [], alone, together)


def test_a_likelihood_that_mixes_walkers_is_named():
    from pgmsim.graph.checks import check_batch_agrees
    from pgmsim.graph.evaluate import Likelihood

    def summed_over_everything(mu, sigma):
        return np.sum(-0.5 * ((1.0 - np.asarray(mu)) / sigma) ** 2)

    like = Likelihood(DataTerm(("y",), pg.Normal("mu", 1.0)), summed_over_everything)
    points = [{"mu": 0.0}, {"mu": 1.0}]
    with pytest.raises(ValueError, match="data node 'y'.*mixes walkers"):
        check_batch_agrees([], [like], points, {"mu": np.array([[0.0], [1.0]])})


def test_an_in_place_change_of_a_read_only_input_names_the_node_and_input():
    from pgmsim.graph.evaluate import ReadOnlyInputError
    x = np.ones(3)
    x.flags.writeable = False

    def scaled(a, x):
        x *= a
        return x

    with pytest.raises(ReadOnlyInputError, match=r"node 'mu' changes its input\(s\) 'x'"):
        check_steps([Step("mu", scaled, ("a", "x"))], {"a": 2.0, "x": x}, {"mu": "p"},
                    {"p": 3})
    # a writable array is a caller's own business: no error (negative control)
    check_steps([Step("mu", scaled, ("a", "x"))], {"a": 2.0, "x": np.ones(3)},
                {"mu": "p"}, {"p": 3})


def test_unused_parameters_follow_the_graph_through_priors_and_steps():
    from pgmsim.graph.checks import unused_parameters
    m = pg.Model("m")
    m.param("mu", pg.Normal(0.0, 1.0))
    m.param("a", pg.Normal("mu", 1.0))
    m.param("lost", pg.Normal(0.0, 1.0))
    m.deterministic("twice", lambda a: 2 * a)
    m.data("y", pg.Normal("twice", 1.0))
    assert unused_parameters(m) == ["lost"]
