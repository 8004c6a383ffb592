"""Forward simulation: ancestral sampling through the model graph."""

from __future__ import annotations

import warnings

import numpy as np

from .graph.checks import ModelWarning
from .graph.evaluate import FactorTerm, PriorTerm, Step, Walk, check_inputs
from .distributions.improper import refuse_improper
from .graph.nodes import NodeKind

__all__ = ["simulate", "draw_priors"]


def simulate(model, inputs=None, params=None, seed=None, sizes=None):
    """Draw every node of the model in topological order.

    Parameters not given are drawn from their priors, deterministic nodes are
    evaluated and data nodes are drawn from their sampling distributions.

    Parameters
    ----------
    model : Model
    inputs : dict, optional
        Values of the fixed inputs (all of them are required).
    params : dict, optional
        Values of some or all parameters; the others are drawn from the prior.
    seed : int or numpy.random.Generator, optional
        Seed for ``numpy.random.default_rng``: the same seed gives the same
        result.
    sizes : dict, optional
        Plate sizes known from elsewhere (e.g. the data of a fit, for
        replicated data), by plate name.

    Returns
    -------
    dict
        Every node's value, keyed by name. Plate nodes are vectors along
        their plate, parameters declared with ``shape=D`` vectors of ``D``
        entries; counts of a Poisson node are integers. Factor nodes
        (:meth:`pgmsim.Model.factor`) are not drawn from.

    Raises
    ------
    ValueError
        A fixed input is missing, a name is unknown, or a vector's length
        disagrees with its plate.

    Warns
    -----
    ModelWarning
        If the model has factor nodes, which simulation cannot draw from.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.plate("obs", size=5)
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> sim = m.simulate(params={"lam": 3.0}, seed=1)
    >>> sim["N"].shape
    (5,)
    """
    rng = np.random.default_rng(seed)
    values = check_inputs(model, inputs, NodeKind.FIXED, "inputs")
    given = check_inputs(model, params, NodeKind.PARAMETER, "params")
    missing = [n for n in model.names(NodeKind.FIXED) if n not in values]
    if missing:
        raise ValueError(
            f"missing fixed input(s) {', '.join(map(repr, missing))} for model "
            f"{model.name!r}; pass them as inputs={{...}}"
        )
    for name, value in given.items():
        node = model.node(name)
        if node.plate is None and np.shape(value) != node.shape:
            what = (f"of shape {node.shape} (declared with shape=)" if node.shape
                    else "a scalar (it is on no plate)")
            raise ValueError(
                f"params value for node {name!r} must be {what}, got shape "
                f"{np.shape(value)}"
            )
    walk = Walk.of(model)
    if walk.factors:
        warnings.warn(
            f"factor node(s) {', '.join(repr(f.name) for f in walk.factors)} add free "
            "terms to the log-density that ancestral sampling cannot draw from: the "
            "simulation follows the other nodes only", ModelWarning, stacklevel=3)
    _check_joint_given(walk, given)
    sizes = {**(sizes or {}), **model.plate_sizes({**values, **given})}
    for item in walk.items:
        if isinstance(item, Step):
            values[item.name] = np.asarray(item(values), dtype=float)
        elif isinstance(item, FactorTerm):
            continue
        elif isinstance(item, PriorTerm) and item.names[0] in given:
            values.update((name, given[name]) for name in item.names)
        else:
            node = model.node(item.names[0])
            shape = _plate_shape(model, node, sizes)
            args = item.arguments(values)
            # a multivariate prior draws one vector of the node's shape
            # a vector argument (a mixture's weights) does not set the draws' shape
            events = getattr(node.distribution, "arg_event_ndims", None) or (0,) * len(args)
            size = shape if getattr(node.distribution, "event_ndim", 0) else \
                np.broadcast_shapes(shape, *(np.shape(a)[:np.ndim(a) - k]
                                             for a, k in zip(args, events)))
            refuse_improper(node.name, item.distribution)
            try:
                values.update(item.draw(rng, size, args))
            except ValueError as err:
                raise _draw_error(node, args, err) from err
    return values


def _draw_error(node, args, err):
    """Why a node could not be drawn, naming it and its arguments' values."""
    dist = node.distribution
    parts = []
    for arg_name, arg, value in zip(dist.arg_names, dist.args, args):
        value = np.asarray(value, dtype=float)
        source = f"{arg_name}={arg!r}" if isinstance(arg, str) else arg_name
        nan = int(np.sum(np.isnan(value)))
        finite = value[np.isfinite(value)]
        span = f"from {finite.min():g} to {finite.max():g}" if finite.size else "no finite values"
        extra = f", {nan} NaN" if nan else ""
        inf = int(np.sum(np.isinf(value)))
        extra += f", {inf} infinite" if inf else ""
        parts.append(f"{source} {span}{extra}")
    return ValueError(
        f"cannot draw node {node.name!r} from {dist.text()}: {err}; its arguments: "
        f"{'; '.join(parts)}"
    )


def _check_joint_given(walk, given):
    """Parameters of a joint prior are given all together or not at all."""
    for term in walk.priors:
        named = [n for n in term.names if n in given]
        missing = [n for n in term.names if n not in given]
        if named and missing:
            raise ValueError(
                f"params gives {named[0]!r} but not {', '.join(map(repr, missing))}, "
                f"which share its joint prior {term.distribution.text()}: "
                "give all of them or none"
            )


def _plate_shape(model, node, sizes):
    if node.plate is None:
        return node.shape
    if node.plate not in sizes:
        raise ValueError(
            f"cannot draw node {node.name!r}: the size of plate {node.plate!r} is "
            "unknown; declare it with m.plate(name, size=...) or pass a fixed "
            "input on that plate"
        )
    return (sizes[node.plate],)


def draw_priors(items, rng, n, shapes, known, stand_in=None):
    """Draw every parameter ``n`` times from its prior, in the order of the
    items: a prior after the parameters and deterministic nodes its arguments
    name.

    Parameters
    ----------
    items : sequence of PriorTerm and Step
        In topological order (other items are skipped); a step is evaluated,
        for the ``n`` draws at once, when a later prior's argument needs it.
    rng : numpy.random.Generator
    n : int
        Number of draws.
    shapes : dict
        Shape of each parameter: ``()``, or ``(J,)`` on a plate of size J or
        declared with ``shape=J``.
    known : dict
        Values of the nodes that are no parameters (fixed inputs, data and
        deterministic nodes of these only).
    stand_in : dict, optional
        Values taken, for every draw, by the parameters of improper priors
        (:class:`pgmsim.Flat`): starting values, or points inside the support
        for the checks made when a posterior is built. Others are refused.

    Returns
    -------
    dict
        Draws of shape ``(n,) + shapes[name]`` by parameter name.

    Raises
    ------
    ValueError
        If a prior's argument is not known before the parameters are drawn.
    ImproperPriorError
        If a prior is improper and its parameter is not in ``stand_in``.
    NotImplementedError
        If a prior's distribution cannot draw (it defines no ``_sample``).

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.graph.evaluate import PriorTerm, Step
    >>> from pgmsim.simulate import draw_priors
    >>> priors = [PriorTerm(("mu",), pg.Normal(0.0, 1.0)), PriorTerm(("a",), pg.Normal("mu", 0.1))]
    >>> draws = draw_priors(priors, np.random.default_rng(0), 5, {"mu": (), "a": (3,)}, {})
    >>> draws["mu"].shape, draws["a"].shape
    ((5,), (5, 3))
    >>> bool(np.all(np.abs(draws["a"] - draws["mu"][:, None]) < 1.0))
    True
    >>> bounded = [PriorTerm(("a",), pg.Uniform(0.0, 1.0)), Step("ub", lambda a: 1 - a, ("a",)),
    ...            PriorTerm(("b",), pg.Uniform(0.0, "ub"))]
    >>> draws = draw_priors(bounded, np.random.default_rng(0), 1000, {"a": (), "b": ()}, {})
    >>> bool(np.all(draws["b"] <= 1 - draws["a"]))
    True
    """
    draws = {}
    # the batch convention of the steps: scalars as (n, 1) columns
    values = dict(known)
    steps = {item.name: item for item in items if isinstance(item, Step)}

    def value_of(arg, name):
        if arg not in values and arg in steps:
            for parent in steps[arg].parents:
                value_of(parent, name)
            with np.errstate(all="ignore"):
                values[arg] = np.asarray(steps[arg](values))
        if arg not in values:
            raise ValueError(
                f"cannot draw parameter {name!r} from its prior: its argument "
                f"{arg!r} is not known before the parameters are drawn; give "
                "initial values instead")
        return values[arg]

    for term in items:
        if not isinstance(term, PriorTerm):
            continue
        name = term.names[0]
        on_plate = shapes[name] != ()
        args = []
        for arg in term.args:
            value = value_of(arg, name) if isinstance(arg, str) else arg
            if not on_plate and np.ndim(value) == 2 and value.shape[1] == 1:
                value = value[:, 0]
            args.append(value)
        if not hasattr(term.distribution, "_sample"):
            raise NotImplementedError(
                f"cannot draw parameter {name!r} from its prior: "
                f"{type(term.distribution).__name__} defines no _sample")
        if name in (stand_in or {}) and getattr(term.distribution, "improper", False):
            draws[name] = np.broadcast_to(stand_in[name], (n, *shapes[name])).astype(float)
        else:
            refuse_improper(name, term.distribution)
            draws.update(term.draw(rng, (n, *shapes[name]), args))
        for drawn in term.names:
            values[drawn] = draws[drawn][:, None] if shapes[drawn] == () else draws[drawn]
    return draws
