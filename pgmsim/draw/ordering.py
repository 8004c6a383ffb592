"""Orders that depend on the graph, not on the order its nodes were declared in.

The layout visits nodes, neighbours and plates in these orders, so that one
graph declared in any order gets the same drawing, bit for bit (a mean of
the same numbers summed in another order can differ in its last bit).
"""

from __future__ import annotations

import networkx as nx

__all__ = ["canonical_order", "neighbours", "sorted_plates"]


def canonical_order(model):
    """The nodes in topological order, ties broken by name.

    Parameters
    ----------
    model : Model

    Returns
    -------
    list of str

    Examples
    --------
    >>> import pgmsim as pg
    >>> from pgmsim.draw.ordering import canonical_order
    >>> m = pg.Model("m")
    >>> _ = m.param("b", pg.Normal(0, 1)); _ = m.param("a", pg.Normal(0, 1))
    >>> _ = m.data("y", pg.Normal("a", "b"))
    >>> canonical_order(m)
    ['a', 'b', 'y']
    """
    return list(nx.lexicographical_topological_sort(model.graph, key=str))


def neighbours(graph, name):
    """Parents then children of a node, each sorted by name.

    Parameters
    ----------
    graph : networkx.DiGraph
        The model's graph.
    name : str
        A node of ``graph``.

    Returns
    -------
    list of str
        Parent names, then child names.

    Examples
    --------
    >>> import networkx as nx
    >>> from pgmsim.draw.ordering import neighbours
    >>> neighbours(nx.DiGraph([("b", "n"), ("a", "n"), ("n", "c")]), "n")
    ['a', 'b', 'c']
    """
    return sorted(graph.predecessors(name)) + sorted(graph.successors(name))


def sorted_plates(model, plates):
    """Plates ordered by their first member in :func:`canonical_order`, then by name.

    Parameters
    ----------
    model : Model
        The model the plates belong to.
    plates : iterable of str
        Plate names.

    Returns
    -------
    list of str
        The plates in a declaration-independent order.

    Examples
    --------
    >>> from pgmsim.draw.ordering import sorted_plates
    >>> from pgmsim.models import spectrum_2d
    >>> m = spectrum_2d.build()
    >>> sorted(sorted_plates(m, m.plates)) == sorted(m.plates)
    True
    """
    rank = {n: i for i, n in enumerate(canonical_order(model))}

    def first_member(plate):
        inside = [n for n in model.graph if plate in model.plate_chain(model.node(n).plate)]
        return (min((rank[n] for n in inside), default=len(rank)), plate)

    return sorted(plates, key=first_member)
