"""Checks of a node's declaration, made before the node enters the graph.

Each check raises :class:`~pgmsim.graph.nodes.ModelError` naming the node, so
that a mistake is reported where it is written, not when the model is used.
"""

from __future__ import annotations

import inspect

import numpy as np

from ..distributions import Distribution
from ..distributions.joint import JointDistribution
from ..distributions.multivariate import MultivariateDistribution
from .nodes import ModelError, default_label

__all__ = ["check_name", "check_parents", "checked_label", "check_distribution",
           "function_parents", "function_node", "joint_labels", "vector_shape"]


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


def function_parents(name, func, graph, what="deterministic node"):
    """The parents of a deterministic or factor node: its function's argument names.

    Arguments without a default value, and arguments named after nodes of
    the graph, are parents.

    Parameters
    ----------
    name : str
        The node.
    func : callable
    graph : networkx.DiGraph
        The model's graph.
    what : str
        The kind of node, for messages.

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
        raise ModelError(f"{what} {name!r}: cannot read the "
                         "signature of its function") from err
    parents = []
    for p in signature.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise ModelError(
                f"{what} {name!r}: *args/**kwargs are not allowed; "
                "name each parent node as an argument"
            )
        if p.default is p.empty or p.name in graph:
            parents.append(p.name)
    return tuple(parents)


def function_node(name, func, declare):
    """Declare a node made from a function now, or give the decorator that will.

    ``m.deterministic("mu", f)`` and ``m.factor("psi", f)`` declare at once;
    ``@m.deterministic()`` and ``@m.factor()`` (or the bare decorators) wait
    for the function, whose name is the node's by default.

    Parameters
    ----------
    name : str or callable or None
        The node name; the function itself in the bare decorator form.
    func : callable or None
        The function; None in the decorator forms.
    declare : callable
        ``declare(name, func)`` adds the node and returns its name.

    Returns
    -------
    str or callable
        What ``declare`` returns, or a decorator that returns the function
        unchanged.

    Examples
    --------
    >>> from pgmsim.graph.declaration import function_node
    >>> declared = []
    >>> def declare(name, func):
    ...     declared.append(name)
    ...     return name
    >>> function_node("area", lambda w, h: w * h, declare)
    'area'
    >>> @function_node(None, None, declare)
    ... def volume(area, d):
    ...     return area * d
    >>> declared
    ['area', 'volume']
    """
    if callable(name) and func is None:
        name, func = None, name
    if func is None:
        def decorator(f):
            declare(name or f.__name__, f)
            return f
        return decorator
    return declare(name or func.__name__, func)


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


def vector_shape(name, prior, plate, shape):
    """The shape of a parameter: ``()``, or ``(D,)`` for a vector of ``D`` entries.

    A univariate prior with ``shape=D`` applies to each entry; a
    multivariate prior is over the whole vector, whose length it gives when
    ``shape`` is omitted.

    Parameters
    ----------
    name : str
        The parameter.
    prior : Distribution
    plate : str or None
        Must be None when ``shape`` is given.
    shape : int, tuple of one int, or None

    Returns
    -------
    tuple

    Raises
    ------
    ModelError
        A shape that is not a positive integer, a shape with a plate, a
        multivariate prior of another dimension or without a known one, or
        an unusable multivariate prior (a covariance that is not positive
        definite); the message names the parameter.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.graph.declaration import vector_shape
    >>> vector_shape("beta", pg.Normal(0, 1), None, 3)
    (3,)
    >>> vector_shape("a", pg.Normal(0, 1), None, None)
    ()
    >>> vector_shape("beta", pg.Dirichlet(np.ones(4)), None, None)
    (4,)
    >>> vector_shape("beta", pg.Dirichlet(np.ones(4)), None, 3)
    Traceback (most recent call last):
      ...
    pgmsim.graph.nodes.ModelError: parameter 'beta': Dirichlet is over vectors of length 4, but shape=3
    """
    multivariate = isinstance(prior, MultivariateDistribution)
    if shape is None:
        if not multivariate:
            return ()
        if prior.dim is None:
            raise ModelError(f"parameter {name!r}: give its length with shape=D; "
                             f"{prior.text()} does not say it")
        shape = prior.dim
    entries = shape if isinstance(shape, tuple) else (shape,)
    if (len(entries) != 1 or isinstance(entries[0], bool)
            or not isinstance(entries[0], (int, np.integer)) or entries[0] < 1):
        raise ModelError(f"parameter {name!r}: shape must be a positive integer D (or "
                         f"a tuple (D,)), got shape={shape!r}")
    if plate is not None:
        raise ModelError(f"parameter {name!r}: give shape= or plate=, not both: a "
                         "vector parameter lives on no plate")
    if multivariate:
        if prior.dim is not None and prior.dim != entries[0]:
            raise ModelError(f"parameter {name!r}: {type(prior).__name__} is over vectors "
                             f"of length {prior.dim}, but shape={shape!r}")
        try:
            prior.check([name])
        except ValueError as err:
            raise ModelError(str(err)) from None
    return (int(entries[0]),)
