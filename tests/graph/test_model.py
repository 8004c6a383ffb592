"""Declaring models: labels, plates, graph, and validation errors naming the node."""

import networkx as nx
import numpy as np
import pytest

import pgmsim as pg
from pgmsim.models import xray_agn
from pgmsim.graph.nodes import default_label


def test_graph_is_a_networkx_digraph_with_the_declared_edges():
    m = xray_agn.build()
    assert isinstance(m.graph, nx.DiGraph)
    assert set(m.graph.predecessors("mu")) == {"x0", "y0", "F", "b", "sigma", "ex", "x", "y"}
    assert list(m.graph.predecessors("N")) == ["mu"]
    assert m.names("parameter") == ["x0", "y0", "F", "b", "sigma"]
    assert m.names("fixed") == ["ex", "x", "y"]


@pytest.mark.parametrize("name, label", [
    ("x0", "x_0"), ("sigma", r"\sigma"), ("N", "N"), ("mu_pop", r"\mu_{\mathrm{pop}}"),
    ("S02", "S_{02}"), ("beta", r"\beta"), ("ex", r"\mathrm{ex}"), ("sigma_x", r"\sigma_{x}"),
])
def test_default_labels(name, label):
    assert default_label(name) == label


def test_plate_indices_default_in_order_and_can_be_set():
    m = pg.Model()
    m.fixed("t", plate="pixels")
    m.plate("sources", index="j")
    m.plate("frames")
    assert m.plates["pixels"].index == "k"
    assert m.plates["sources"].index == "j"
    assert m.plates["frames"].index == "i"


def test_decorator_and_direct_forms_of_deterministic():
    m = pg.Model()
    m.param("a", pg.Normal(0, 1))
    m.deterministic("twice", lambda a: 2 * a)

    @m.deterministic
    def thrice(a):
        return 3 * a

    assert m.node("twice").parents == ("a",) and m.node("thrice").parents == ("a",)


def test_duplicate_name_is_refused():
    m = pg.Model()
    m.param("a", pg.Normal(0, 1))
    with pytest.raises(pg.ModelError, match="duplicate node name 'a'.*parameter"):
        m.fixed("a")


def test_unknown_parent_lists_the_known_names():
    m = pg.Model()
    m.param("x0", pg.Uniform(0, 1))
    with pytest.raises(pg.ModelError, match=r"node 'N' refers to unknown node\(s\) 'mu'; known nodes: x0"):
        m.data("N", pg.Poisson("mu"))

    with pytest.raises(pg.ModelError, match="'mu' refers to unknown node.*'y0'"):
        @m.deterministic
        def mu(x0, y0):
            return x0 + y0


def test_cycle_is_refused():
    m = pg.Model()
    m.param("a", pg.Normal(0, 1))
    with pytest.raises(pg.ModelError, match="'mu' depends on itself"):
        @m.deterministic
        def mu(a, mu):
            return a + mu


def test_data_and_parameters_need_a_distribution():
    m = pg.Model()
    with pytest.raises(pg.ModelError, match="parameter 'a' needs a prior"):
        m.param("a", None)
    with pytest.raises(pg.ModelError, match="data node 'N' needs a sampling distribution"):
        m.data("N", None)
    with pytest.raises(pg.ModelError, match="node 'a'.*must be a pgmsim distribution"):
        m.param("a", 3.0)
    with pytest.raises(pg.ModelError, match="parameter 'n'.*discrete"):
        m.param("n", pg.Poisson(3.0))


def test_plate_mismatch_is_refused():
    m = pg.Model()
    m.param("F", pg.LogUniform(1e-3, 1), plate="sources")
    m.fixed("ex", plate="pixels")
    m.deterministic("mu", lambda ex: ex, plate="pixels")
    with pytest.raises(pg.ModelError, match="node 'N' on plate 'pixels' cannot take 'F'.*'sources'"):
        m.data("N", pg.Normal("mu", "F"), plate="pixels")
    with pytest.raises(pg.ModelError, match="node 'total' on no plate cannot take 'mu'"):
        m.data("total", pg.Poisson("mu"))


def test_nested_plate_arguments_broadcast():
    m = pg.Model()
    m.plate("frames")
    m.plate("pixels", within="frames")
    m.param("g", pg.Uniform(0, 1), plate="frames")
    m.data("D", pg.Normal("g", 1.0), plate="pixels")   # enclosing plate: allowed
    assert m.plate_chain("pixels") == ["pixels", "frames"]


def test_bad_names_and_plates():
    m = pg.Model()
    with pytest.raises(pg.ModelError, match="identifier"):
        m.param("x 0", pg.Uniform(0, 1))
    with pytest.raises(pg.ModelError, match="size must be a positive integer"):
        m.plate("p", size=0)
    with pytest.raises(pg.ModelError, match="enclosing plate 'nope'"):
        m.plate("q", within="nope")
    with pytest.raises(pg.ModelError, match=r"\*args"):
        m.deterministic("f", lambda *a: 1.0)
