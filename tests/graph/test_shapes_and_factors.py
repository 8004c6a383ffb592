"""Vector parameters (shape=), fixed matrices along a plate and factor nodes:
declaration, checks that name the node, factorization and simulation."""

import warnings

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.graph.evaluate import FactorTerm, Walk
from pgmsim.graph.nodes import NodeKind

COUNTS = np.array([3, 1, 2])


@pytest.mark.parametrize("shape", [3, (3,), np.int64(3)])
def test_shape_makes_a_vector_parameter(shape):
    m = pg.Model("v")
    m.param("beta", pg.Normal(0, 10), shape=shape)
    assert m.node("beta").shape == (3,) and m.node("beta").plate is None


@pytest.mark.parametrize("shape", [0, -2, 2.5, (2, 3), (), True, "3"])
def test_bad_shapes_are_refused_naming_the_node(shape):
    with pytest.raises(pg.ModelError, match="parameter 'beta': shape must be a positive integer"):
        pg.Model("v").param("beta", pg.Normal(0, 10), shape=shape)


def test_shape_with_a_plate_is_refused():
    with pytest.raises(pg.ModelError, match="'beta'.*shape= or plate=, not both"):
        pg.Model("v").param("beta", pg.Normal(0, 10), plate="obs", shape=3)


def test_a_multivariate_prior_gives_the_shape_and_must_match_it():
    m = pg.Model("v")
    m.param("beta", pg.MultivariateNormal(np.zeros(2), cov=np.eye(2)))
    assert m.node("beta").shape == (2,)
    with pytest.raises(pg.ModelError, match="'gamma'.*vectors of length 2, but shape=3"):
        m.param("gamma", pg.MultivariateNormal(np.zeros(2), cov=np.eye(2)), shape=3)
    m.fixed("m0")
    with pytest.raises(pg.ModelError, match="'delta': give its length with shape=D"):
        m.param("delta", pg.MultivariateNormal("m0", cov="m0"))


def test_multivariate_data_and_joint_shapes_are_refused():
    m = pg.Model("v")
    with pytest.raises(pg.ModelError, match="data node 'y'.*m.factor"):
        m.data("y", pg.MultivariateNormal(np.zeros(2), cov=np.eye(2)))
    with pytest.raises(pg.ModelError, match="joint prior takes no shape="):
        m.param(("x0", "y0"), pg.MapPrior(np.ones((2, 2)), (0, 1, 0, 1)), shape=2)


def test_a_fixed_matrix_along_a_plate_is_accepted_and_data_matrices_are_not():
    m = pg.Model("v")
    m.fixed("X", plate="obs")
    m.param("beta", pg.Normal(0, 10), shape=2)
    m.deterministic("mu", lambda X, beta: beta @ X.T, plate="obs")
    m.data("y", pg.Normal("mu", 1.0), plate="obs")
    X = np.arange(8.0).reshape(4, 2)
    assert m.plate_sizes({"X": X}) == {"obs": 4}
    post = m.posterior(data={"y": np.ones(4)}, inputs={"X": X})
    assert post.param_names == ["beta[0]", "beta[1]"]
    with pytest.raises(ValueError, match="node 'y' lives on plate 'obs' and must be a 1-D"):
        m.plate_sizes({"y": np.ones((4, 2))})
    with pytest.raises(ValueError, match="'X'.*a matrix of shape \\(K, D\\)\\), got an "
                                         "array of shape \\(4, 2, 1\\)"):
        m.plate_sizes({"X": np.ones((4, 2, 1))})
    with pytest.raises(ValueError, match="node 'y' has length 4 but plate 'obs' has size 3 "
                                         "\\(from node 'X'\\)"):
        m.posterior(data={"y": np.ones(4)}, inputs={"X": np.ones((3, 2))})


def _factor_model(factor):
    m = pg.Model("cat")
    m.param("p", pg.Dirichlet([1.0, 1.0, 1.0]))
    m.factor("counts", factor)
    return m


def test_factor_node_kind_edges_and_walk():
    m = _factor_model(lambda p: np.sum(COUNTS * np.log(p), axis=-1))
    assert m.node("counts").kind is NodeKind.FACTOR
    assert list(m.graph.predecessors("counts")) == ["p"]
    (term,) = Walk.of(m).factors
    assert isinstance(term, FactorTerm) and term.parents == ("p",)


def test_factor_as_a_decorator_in_both_forms():
    m = pg.Model("cat")
    m.param("p", pg.Dirichlet([1.0, 1.0, 1.0]))

    @m.factor
    def first(p):
        return np.sum(np.log(p), axis=-1)

    @m.factor("second")
    def anything(p):
        return np.sum(np.log(p), axis=-1)

    assert m.names("factor") == ["first", "second"]
    with pytest.raises(pg.ModelError, match="factor node 'bad': \\*args/\\*\\*kwargs"):
        m.factor("bad", lambda *p: 0.0)
    with pytest.raises(pg.ModelError, match="node 'worse' refers to unknown node"):
        m.factor("worse", lambda q: 0.0)


def test_factorization_writes_vectors_in_bold_and_factors_as_psi():
    m = pg.Model("reg")
    m.fixed("X", plate="obs")
    m.param("beta", pg.Normal(0, 10), shape=2)
    m.param("p", pg.Dirichlet([1.0, 1.0]))
    m.deterministic("mu", lambda X, beta: beta @ X.T, plate="obs")
    m.data("y", pg.Normal("mu", 1.0), plate="obs")
    m.factor("cat_counts", lambda p: np.sum(np.log(p), axis=-1))
    f = m.factorization()
    assert str(f) == "p(beta, p, {y_k}) = p(beta) p(p) prod_k p(y_k | beta) psi_cat_counts(p)"
    assert f.latex == (r"p(\boldsymbol{\beta},\boldsymbol{p},\{y_k\}) = p(\boldsymbol{\beta})"
                       r"\,p(\boldsymbol{p})\,\prod_k p(y_k\mid \boldsymbol{\beta})"
                       r"\,\psi_{\mathrm{cat\_counts}}(\boldsymbol{p})")
    verbose = m.factorization(verbose=True)
    assert r"\boldsymbol{p} &\sim \mathrm{Dir}(\boldsymbol{\alpha})" in verbose.latex


@pytest.mark.parametrize("factor, error, match", [
    (lambda p: COUNTS * np.log(p), ValueError,
     r"factor node 'counts' returned shape \(3,\) for one point; expected \(\)"),
    (lambda p: np.sum(COUNTS * np.log(p)), ValueError, "returned shape \\(\\) for a batch"),
    (lambda p: np.sum(np.log(p), axis=-1) + np.mean(p[..., 0]), ValueError, "mixes walkers"),
    (lambda p: p.nonexistent, TypeError, "factor node 'counts' failed when called"),
])
def test_a_factor_of_the_wrong_shape_is_refused_naming_it(factor, error, match):
    with pytest.raises(error, match=match):
        _factor_model(factor).posterior(data={})


def test_a_parameter_used_by_a_factor_only_is_not_unused_and_simulate_warns():
    m = _factor_model(lambda p: np.sum(COUNTS * np.log(p), axis=-1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.posterior(data={})
    with pytest.warns(pg.ModelWarning, match="factor node\\(s\\) 'counts'.*cannot draw"):
        sim = m.simulate(seed=1)
    assert sim["p"].shape == (3,) and np.isclose(sim["p"].sum(), 1.0)


def test_simulate_draws_vectors_and_checks_given_ones():
    m = pg.Model("v")
    m.param("mu", pg.Normal(0, 1))
    m.param("beta", pg.Normal("mu", 0.1), shape=4)
    m.param("gamma", pg.MultivariateNormal(np.zeros(2), cov=np.eye(2)))
    m.data("y", pg.Normal("mu", 1.0))
    sim = m.simulate(seed=3)
    assert sim["beta"].shape == (4,) and sim["gamma"].shape == (2,)
    assert np.all(np.abs(sim["beta"] - sim["mu"]) < 1.0)
    sim = m.simulate(params={"beta": np.arange(4.0)}, seed=3)
    assert sim["beta"].tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="'beta' must be of shape \\(4,\\) \\(declared with "
                                         "shape=\\), got shape \\(3,\\)"):
        m.simulate(params={"beta": np.ones(3)}, seed=3)


def test_a_factor_that_is_nan_is_named():
    m = pg.Model("nan")
    m.param("a", pg.Uniform(0.0, 2.0))
    m.data("y", pg.Normal("a", 1.0))
    m.factor("root", lambda a: np.sqrt(a - 1.0))
    with np.errstate(invalid="ignore"):
        post = m.posterior(data={"y": 1.0})
    for theta in ([0.5], [[0.5], [1.5]]):
        with pytest.raises(pg.NonFiniteError, match="factor node 'root' returned NaN") as err:
            post.log_prob(theta)
        assert err.value.node == "root"
