"""Checks of a node's declaration, made before the node enters the graph.

Each check raises :class:`~pgmsim.graph.nodes.ModelError` naming the node, so
that a mistake is reported where it is written, not when the model is used.
"""

from __future__ import annotations

import inspect

from ..distributions import Distribution
from ..distributions.joint import JointDistribution
from .nodes import ModelError, default_label

__all__ = ["check_name", "check_parents", "checked_label", "check_distribution",
           "function_parents", "joint_labels"]


def check_name(graph, name):
    """Refuse a node name that is not an identifier or is already used.

    Parameters
    ----------
    graph : networkx.DiGraph
        The model's graph, each node holding its ``Node`` under ``"node"``.
    name : object
        The name to declare.

    Raises
    ------
    ModelError

    Examples
    --------
    >>> import networkx as nx
    >>> from pgmsim.graph.declaration import check_name
    >>> check_name(nx.DiGraph(), "2x")
    Traceback (most recent call last):
      ...
    pgmsim.graph.nodes.ModelError: node name must be a Python identifier, got '2x'
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ModelError(f"node name must be a Python identifier, got {name!r}")
    if name in graph:
        old = graph.nodes[name]["node"]
        raise ModelError(
            f"duplicate node name {name!r}: already declared as a {old.kind.value} node")


def check_parents(graph, node):
    """Refuse a node that depends on itself or on undeclared nodes.

    Parameters
    ----------
    graph : networkx.DiGraph
        The model's graph.
    node : Node
        The node to declare.

    Raises
    ------
    ModelError
        The message lists the known nodes.

    Examples
    --------
    >>> import networkx as nx
    >>> from pgmsim.graph.declaration import check_parents
    >>> from pgmsim.graph.nodes import Node, NodeKind
    >>> check_parents(nx.DiGraph(), Node("y", NodeKind.DATA, "y", parents=("mu",)))
    Traceback (most recent call last):
      ...
    pgmsim.graph.nodes.ModelError: node 'y' refers to unknown node(s) 'mu'; known nodes: none yet (declare parents before their children)
    """
    name = node.name
    if name in node.parents:
        raise ModelError(f"node {name!r} depends on itself: a cycle {name} -> {name}")
    missing = [p for p in node.parents if p not in graph]
    if missing:
        known = ", ".join(graph) or "none yet"
        raise ModelError(
            f"node {name!r} refers to unknown node(s) {', '.join(map(repr, missing))}; "
            f"known nodes: {known} (declare parents before their children)"
        )


def checked_label(name, label):
    """The LaTeX label of a node: the one given, or one guessed from its name.

    Parameters
    ----------
    name : str
    label : str or None

    Returns
    -------
    str

    Raises
    ------
    ModelError
        If ``label`` is not a string.

    Examples
    --------
    >>> from pgmsim.graph.declaration import checked_label
    >>> checked_label("sigma", None), checked_label("sigma", "s")
    ('\\\\sigma', 's')
    """
    if label is not None and not isinstance(label, str):
        raise ModelError(f"node {name!r}: label must be a string, got {label!r}")
    return label if label is not None else default_label(name)


def check_distribution(name, dist, what):
    """Refuse a prior or sampling distribution that is not a pgmsim distribution.

    Parameters
    ----------
    name : str
        The node.
    dist : object
    what : str
        "prior" or "sampling distribution", for the message.

    Raises
    ------
    ModelError

    Examples
    --------
    >>> from pgmsim.graph.declaration import check_distribution
    >>> check_distribution("a", 3.0, "prior")
    Traceback (most recent call last):
      ...
    pgmsim.graph.nodes.ModelError: node 'a': the prior must be a pgmsim distribution such as pg.Uniform(0, 1), got float 3.0
    """
    if not isinstance(dist, Distribution):
        raise ModelError(
            f"node {name!r}: the {what} must be a pgmsim distribution such as "
            f"pg.Uniform(0, 1), got {type(dist).__name__} {dist!r}"
        )


def function_parents(name, func, graph):
    """The parents of a deterministic node: its function's argument names.

    Arguments without a default value, and arguments named after nodes of
    the graph, are parents.

    Parameters
    ----------
    name : str
        The node.
    func : callable
    graph : networkx.DiGraph
        The model's graph.

    Returns
    -------
    tuple of str

    Raises
    ------
    ModelError
        If the signature cannot be read or takes ``*args``/``**kwargs``.

    Examples
    --------
    >>> import networkx as nx
    >>> from pgmsim.graph.declaration import function_parents
    >>> function_parents("mu", lambda a, x, scale=2.0: scale * a * x, nx.DiGraph())
    ('a', 'x')
    """
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as err:
        raise ModelError(f"deterministic node {name!r}: cannot read the "
                         "signature of its function") from err
    parents = []
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise ModelError(
                f"deterministic node {name!r}: *args/**kwargs are not allowed; "
                "name each parent node as an argument"
            )
        if p.default is p.empty or p.name in graph:
            parents.append(p.name)
    return tuple(parents)


def joint_labels(names, prior, plate, label):
    """Check the declaration of the parameters of a joint prior.

    Parameters
    ----------
    names : object
        The names given: a tuple of strings.
    prior : object
        The prior given: a :class:`~pgmsim.distributions.joint.JointDistribution`
        over as many variables as there are names.
    plate : str or None
        Must be None: joint priors live on no plate.
    label : tuple of str or None
        One LaTeX label per name, or None.

    Returns
    -------
    tuple
        One label (or None) per name.

    Raises
    ------
    ModelError
        The message names the parameters.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.graph.declaration import joint_labels
    >>> joint_labels(("x0", "y0"), pg.MapPrior(np.ones((4, 4)), (0, 4, 0, 4)), None, None)
    (None, None)
    """
    if not isinstance(names, tuple) or not all(isinstance(n, str) for n in names):
        raise ModelError(
            f"parameter name must be a string, or a tuple of strings for a "
            f"joint prior, got {names!r}"
        )
    where = f"parameters {', '.join(map(repr, names))}"
    if not isinstance(prior, JointDistribution):
        raise ModelError(
            f"{where}: several parameters declared together need a joint prior "
            f"such as pg.MapPrior(image, extent), got {prior!r}; declare "
            "parameters with one-variable priors one by one"
        )
    if len(names) != prior.nvars:
        raise ModelError(
            f"{where}: {type(prior).__name__} is a joint prior over "
            f"{prior.nvars} parameters, got {len(names)} name(s); declare them "
            "together, e.g. m.param(('x0', 'y0'), prior)"
        )
    if len(set(names)) != len(names):
        raise ModelError(f"{where}: the names of a joint prior must differ")
    if plate is not None:
        raise ModelError(
            f"{where}: joint priors on a plate are not supported; declare the "
            "parameters on no plate"
        )
    labels = (None,) * len(names) if label is None else label
    if isinstance(labels, str) or len(labels) != len(names):
        raise ModelError(f"{where}: give one label per name, got label={label!r}")
    try:
        prior.check(names)
    except ValueError as err:
        raise ModelError(str(err)) from None
    return tuple(labels)
