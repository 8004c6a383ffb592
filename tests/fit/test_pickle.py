"""Models, posteriors and results survive pickle: the same densities, the same
tables, no local closure on any path (process pools and distributed runs
rely on it). User functions are pickled by reference: module level here."""

import pickle

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.fit.backends import load_result


def line(a, b, x):
    """The straight line a + b x."""
    return a + b * x


def rate(s):
    return 3.0 * s


def line_model():
    """Normal data on a plate (the Normal fast path), Poisson data off it (the
    Poisson one), a deterministic node, a fixed input and a plate parameter."""
    m = pg.Model("line")
    m.fixed("x", plate="obs")
    m.plate("extra", size=3)
    m.param("a", pg.Normal(0.0, 10.0))
    m.param("b", pg.Normal(0.0, 10.0))
    m.param("s", pg.HalfNormal(2.0))
    m.param("c", pg.Normal("a", 1.0), plate="extra")
    m.deterministic("mu", line, plate="obs")
    m.deterministic("lam", rate)
    m.data("y", pg.Normal("mu", "s"), plate="obs")
    m.data("n", pg.Poisson("lam"))
    m.data("z", pg.Normal("c", 1.0), plate="extra")
    return m


def line_posterior(model=None):
    x = np.linspace(0.0, 1.0, 9)
    y = 1.0 + 2.0 * x + np.random.default_rng(0).normal(0.0, 0.3, x.size)
    return (model or line_model()).posterior(data={"y": y, "n": 2, "z": [0.5, 1.5, 1.0]},
                                             inputs={"x": x})


def round_trip(obj):
    return pickle.loads(pickle.dumps(obj))


@pytest.fixture(scope="module")
def post():
    return line_posterior()


def test_a_posterior_gives_the_same_densities_after_unpickling(post):
    copy = round_trip(post)
    theta = post.sample_prior(seed=1, n=20)
    for method in ("log_prob", "log_prior", "log_likelihood"):
        np.testing.assert_array_equal(getattr(copy, method)(theta), getattr(post, method)(theta))
        assert getattr(copy, method)(theta[3]) == getattr(post, method)(theta[3])
    pointwise, again = post.pointwise_log_likelihood(theta), copy.pointwise_log_likelihood(theta)
    for name in pointwise:
        np.testing.assert_array_equal(again[name], pointwise[name])
    assert copy.param_names == post.param_names


def test_a_model_pickles_and_builds_the_same_posterior(post):
    model = round_trip(line_model())
    assert list(model.graph) == list(line_model().graph)
    theta = post.sample_prior(seed=2, n=10)
    np.testing.assert_array_equal(line_posterior(model).log_prob(theta), post.log_prob(theta))
    assert model.factorization().latex == line_model().factorization().latex


def test_a_result_gives_the_same_tables_after_unpickling(post):
    res = pg.sample(post, nwalkers=16, nsteps=200, seed=3, progress=False)
    copy = round_trip(res)
    np.testing.assert_array_equal(copy.chain, res.chain)
    assert copy.summary().pformat() == res.summary().pformat()
    assert copy.diagnostics().pformat() == res.diagnostics().pformat()
    assert copy.to_pandas().equals(res.to_pandas())
    theta = res.chain[-1]
    np.testing.assert_array_equal(copy.posterior.log_prob(theta), res.log_prob[-1])


def test_a_result_loaded_from_a_checkpoint_pickles(post, tmp_path):
    path = tmp_path / "run.h5"
    pg.sample(post, nwalkers=16, nsteps=30, seed=4, progress=False, backend=path)
    res = load_result(path, posterior=post)
    copy = round_trip(res)
    np.testing.assert_array_equal(copy.chain, res.chain)
    assert copy.meta == res.meta


def test_a_function_defined_inside_a_function_is_named_when_pickling_fails():
    m = pg.Model("local")
    m.param("a", pg.Normal(0.0, 1.0))
    m.deterministic("twice", lambda a: 2 * a)
    m.data("y", pg.Normal("twice", 1.0))
    with pytest.raises((pickle.PicklingError, AttributeError), match="lambda"):
        pickle.dumps(m)
