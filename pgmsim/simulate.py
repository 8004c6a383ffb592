"""Forward simulation: ancestral sampling through the model graph."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .graph.nodes import NodeKind

__all__ = ["simulate", "check_inputs"]


def check_inputs(model, inputs, expected_kind, what):
    """Validate a dict of values for the nodes of one kind.

    Parameters
    ----------
    model : Model
    inputs : dict or None
    expected_kind : NodeKind
        The kind every key must have.
    what : str
        How the dict is called in messages ("inputs", "data", "params").

    Returns
    -------
    dict
        Name to numpy array (float), in the graph's order.

    Raises
    ------
    ValueError
        On an unknown name, a name of the wrong kind, a ragged or masked
        array, or a non-finite value.
    TypeError
        If ``inputs`` is not a dict, or a value is not numeric.

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> from pgmsim.graph.nodes import NodeKind
    >>> from pgmsim.simulate import check_inputs
    >>> m = xray_agn.build()
    >>> check_inputs(m, {"ex": [1, 2]}, NodeKind.FIXED, "inputs")
    {'ex': array([1., 2.])}
    >>> check_inputs(m, {"N": [1, 2]}, NodeKind.FIXED, "inputs")
    Traceback (most recent call last):
      ...
    ValueError: inputs contains 'N', which is a data node, not a fixed node
    """
    if inputs is not None and not isinstance(inputs, Mapping):
        raise TypeError(
            f"{what} must be a dict of node name to value, got {type(inputs).__name__}"
        )
    inputs = dict(inputs or {})
    for name in inputs:
        if name not in model.graph:
            raise ValueError(
                f"{what} name {name!r} is not a node of model {model.name!r}; "
                f"known nodes: {', '.join(model.graph)}"
            )
        kind = model.node(name).kind
        if kind is not expected_kind:
            raise ValueError(
                f"{what} contains {name!r}, which is a {kind.value} node, not a "
                f"{expected_kind.value} node"
            )
    out = {}
    for name, value in inputs.items():
        if np.ma.is_masked(value):
            raise ValueError(
                f"{what} value for node {name!r} is a masked array with "
                f"{int(np.ma.count_masked(value))} masked value(s): pass the unmasked "
                "elements only"
            )
        try:
            array = np.asarray(value)
        except ValueError as err:
            raise ValueError(
                f"{what} value for node {name!r} is not a regular array: {err}"
            ) from err
        if array.dtype.kind not in ("iuf" if expected_kind is NodeKind.DATA else "biuf"):
            numbers = "numeric (integers or floats)" if expected_kind is NodeKind.DATA else "numeric"
            raise TypeError(
                f"{what} value for node {name!r} must be {numbers}, got dtype "
                f"{array.dtype}"
            )
        if expected_kind is not NodeKind.DATA and not np.all(np.isfinite(array)):
            raise ValueError(
                f"{what} value for node {name!r} contains NaN or inf values"
            )
        out[name] = array.astype(float)
    return out


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
        their plate; counts of a Poisson node are integers.

    Raises
    ------
    ValueError
        A fixed input is missing, a name is unknown, or a vector's length
        disagrees with its plate.

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
        if model.node(name).plate is None and np.ndim(value) != 0:
            raise ValueError(
                f"params value for node {name!r} must be a scalar (it is on no "
                f"plate), got shape {np.shape(value)}"
            )
    _check_joint_given(model, given)
    sizes = {**(sizes or {}), **model.plate_sizes({**values, **given})}
    for name in model.order:
        node = model.node(name)
        if node.kind is NodeKind.FIXED or (name in values and name not in given):
            continue  # fixed, or drawn with the other parameters of a joint prior
        group = model.prior_group(name) if node.kind is NodeKind.PARAMETER else ()
        if len(group) > 1 and name not in given:
            draw = node.distribution.sample(rng)
            values.update(zip(group, draw))
            continue
        if node.kind is NodeKind.PARAMETER and name in given:
            values[name] = given[name]
            continue
        if node.kind is NodeKind.DETERMINISTIC:
            value = node.func(**{p: values[p] for p in node.parents})
            values[name] = np.asarray(value, dtype=float)
            continue
        shape = _plate_shape(model, node, sizes)
        args = [values[a] if isinstance(a, str) else a for a in node.distribution.args]
        size = np.broadcast_shapes(shape, *(np.shape(a) for a in args))
        try:
            draw = node.distribution.sample(rng, size=size, params=args)
        except ValueError as err:
            raise _draw_error(node, args, err) from err
        values[name] = draw if size else draw[()]
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


def _check_joint_given(model, given):
    """Parameters of a joint prior are given all together or not at all."""
    for name in given:
        group = model.prior_group(name)
        missing = [n for n in group if n not in given]
        if missing:
            raise ValueError(
                f"params gives {name!r} but not {', '.join(map(repr, missing))}, "
                f"which share its joint prior {model.node(name).distribution.text()}: "
                "give all of them or none"
            )


def _plate_shape(model, node, sizes):
    if node.plate is None:
        return ()
    if node.plate not in sizes:
        raise ValueError(
            f"cannot draw node {node.name!r}: the size of plate {node.plate!r} is "
            "unknown; declare it with m.plate(name, size=...) or pass a fixed "
            "input on that plate"
        )
    return (sizes[node.plate],)
