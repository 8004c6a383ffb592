"""Orders that depend on the graph only, not on the declaration order."""

import networkx as nx

import pgmsim as pg
from pgmsim.draw.ordering import canonical_order, neighbours, sorted_plates


def _model(order):
    m = pg.Model("m")
    m.plate("B", index="j")
    m.plate("A", index="i")
    declare = {"a": lambda: m.param("a", pg.Normal(0, 1)),
               "b": lambda: m.param("b", pg.Normal(0, 1)),
               "y": lambda: m.data("y", pg.Normal("a", 1), plate="B"),
               "z": lambda: m.data("z", pg.Normal("b", 1), plate="A")}
    for name in order:
        declare[name]()
    return m


def test_the_orders_ignore_the_declaration_order():
    one, two = _model("abyz"), _model("bzay")
    assert canonical_order(one) == canonical_order(two) == ["a", "b", "y", "z"]
    # plates by their first member: B holds y (after a), A holds z
    assert sorted_plates(one, one.plates) == sorted_plates(two, two.plates) == ["B", "A"]


def test_neighbours_are_parents_then_children_each_by_name():
    graph = nx.DiGraph([("q", "n"), ("p", "n"), ("n", "d"), ("n", "c")])
    assert neighbours(graph, "n") == ["p", "q", "c", "d"]
