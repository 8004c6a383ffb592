"""What a :class:`~pgmsim.fit.posterior.Posterior` checks when it is built.

The values given for the fixed inputs and the data (:func:`checked_values`),
then the model at a few prior draws (:func:`check_model`, with the checks of
:mod:`pgmsim.graph.checks`): kept apart from the densities, which are on the
sampler's hot path.

Examples
--------
>>> import pgmsim as pg
>>> from pgmsim.fit._posterior_checks import checked_values
>>> m = pg.Model("counts")
>>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
>>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
>>> checked_values(m, {"N": [3, 5]}, None)
({}, {'N': array([3, 5])})
"""

from __future__ import annotations

import warnings

import numpy as np

from ..graph.checks import (ModelWarning, check_at_draws, check_factors,
                            check_fixed_arguments, unused_parameters)
from ..graph.evaluate import check_inputs
from ..graph.nodes import NodeKind
from .initialization import prior_draws

__all__ = ["checked_values", "check_model", "plain"]


def checked_values(model, data, inputs):
    """The fixed inputs and the observed data, checked.

    Parameters
    ----------
    model : Model
    data, inputs : dict or None
        Values of the data nodes and of the fixed inputs.

    Returns
    -------
    tuple of dict
        ``(fixed, observed)``, read-only arrays by node name.

    Raises
    ------
    ValueError or TypeError
        A value is missing, unknown or not numeric (see
        :func:`pgmsim.graph.evaluate.check_inputs`), or is an array for a
        node on no plate.

    Examples
    --------
    >>> import pgmsim as pg
    >>> from pgmsim.fit._posterior_checks import checked_values
    >>> m = pg.Model("one")
    >>> _ = m.param("a", pg.Normal(0.0, 1.0))
    >>> _ = m.data("z", pg.Normal("a", 1.0))
    >>> checked_values(m, {"z": [1.0, 2.0]}, None)
    Traceback (most recent call last):
      ...
    ValueError: node 'z' is on no plate and must be a scalar, got an array of shape (2,)
    """
    fixed = check_inputs(model, inputs, NodeKind.FIXED, "inputs")
    observed = check_inputs(model, data, NodeKind.DATA, "data")
    for kind, given, what in ((NodeKind.FIXED, fixed, "inputs"),
                              (NodeKind.DATA, observed, "data")):
        missing = [n for n in model.names(kind) if n not in given]
        if missing:
            raise ValueError(
                f"no value for {kind.value} node(s) "
                f"{', '.join(map(repr, missing))}; pass them in {what}={{...}}"
            )
    for name, value in {**fixed, **observed}.items():
        if model.node(name).plate is None and np.ndim(value) != 0:
            raise ValueError(
                f"node {name!r} is on no plate and must be a scalar, got an "
                f"array of shape {np.shape(value)}"
            )
    return fixed, observed


def check_model(post):
    """The checks of :mod:`pgmsim.graph.checks`, at three prior draws.

    Parameters
    ----------
    post : Posterior
        A posterior being built.

    Raises
    ------
    TypeError or ValueError
        As :func:`pgmsim.graph.checks.check_at_draws`,
        :func:`pgmsim.graph.checks.check_factors` and
        :func:`pgmsim.graph.checks.check_fixed_arguments`.

    Warns
    -----
    ModelWarning
        A parameter no data node depends on; a prior that cannot draw.

    Examples
    --------
    >>> import pgmsim as pg
    >>> from pgmsim.fit._posterior_checks import check_model
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> check_model(m.posterior(data={"N": [3, 5]}))
    """
    model = post.model
    kinds = {name: model.node(name).kind for name in post._constants}
    terms = [*post._priors, *(like.term for like in post._likelihoods)]
    check_fixed_arguments(terms, post._constants, kinds)
    unused = unused_parameters(model)
    if unused:
        warnings.warn(f"parameter(s) {', '.join(map(repr, unused))} used by no data "
                      "node: the posterior of each is its prior. Is one misspelled in "
                      "a function's arguments?", ModelWarning, stacklevel=5)
    try:
        # improper priors (no draws) stand at a point inside their support
        draws = prior_draws(post, np.random.default_rng(0), 3, start="stand-in")
    except NotImplementedError as err:
        warnings.warn(f"{err}, so the deterministic functions were not checked at "
                      "prior draws", ModelWarning, stacklevel=5)
        return
    plates = {step.name: model.node(step.name).plate for step in post._steps}
    points = [post._values(row, False) for row in draws]
    batch = post._values(draws, True)
    check_at_draws(post._steps, post._likelihoods, plates, post.sizes, points, batch,
                   [plain(post.unpack(row)) for row in draws])
    check_factors(post._factors, points, batch)


def plain(params):
    """Parameter values as floats and lists, for messages.

    Parameters
    ----------
    params : dict
        Values by name: numbers or arrays.

    Returns
    -------
    dict

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.fit._posterior_checks import plain
    >>> plain({"a": np.float64(1.5), "b": np.array([1.0, 2.0])})
    {'a': 1.5, 'b': [1.0, 2.0]}
    """
    return {k: (v.tolist() if np.ndim(v) else float(v)) for k, v in params.items()}
