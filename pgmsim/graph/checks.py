"""What a posterior checks once, when it is built, so that a mistake in a model
is named where it is made rather than hidden in a wrong posterior.

Each check walks the steps and terms of :mod:`.evaluate`:

* :func:`check_steps`: every deterministic function runs, returns real numbers
  (bool, int or float) and a shape that broadcasts to its plate, for one point
  and for a batch of walkers;
* :func:`check_batch_agrees`: each walker of a batch gets the values it gets
  alone; a function that reduces over the whole array (``np.sum(a * x)``)
  mixes walkers and would make emcee sample another density;
* :func:`check_fixed_arguments`: distribution arguments that come from fixed
  inputs (or data) satisfy the distribution's constraints (a sigma > 0);
* :func:`check_factors`: a factor node gives one number per walker, the
  same for a walker alone and in a batch;
* :func:`unused_parameters`: parameters no data or factor node depends on;
* :func:`nonfinite_error`: the error that names the first node that is NaN
  at a point (:func:`nonfinite_source`), for a log-density that is NaN.

Mistakes are errors; what a model may intend (an unused parameter, NaN at some
prior draws) is a :class:`ModelWarning`.
"""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np

from .evaluate import ReadOnlyInputError
from .nodes import NodeKind

__all__ = ["NonFiniteError", "ModelWarning", "check_at_draws", "check_steps", "check_batch_agrees",
           "check_factors",
           "check_fixed_arguments", "unused_parameters", "nonfinite_error",
           "nonfinite_source"]


class NonFiniteError(ValueError):
    """A node produced NaN inside the prior support.

    Parameters
    ----------
    message : str
        What went wrong, naming the node and the parameter values.
    node : str or None
        The node at fault (``None`` when no single node is); kept as an
        attribute.
    params : dict
        The parameter values at which it happened: floats, or lists for
        parameters on a plate; kept as an attribute.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> m = pg.Model("bad")
    >>> _ = m.param("a", pg.Uniform(-1, 1))
    >>> _ = m.deterministic("r", lambda a: np.log(a) + 2.0)
    >>> _ = m.data("z", pg.Normal("r", 1.0))
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:   # seen at prior draws
    ...     warnings.simplefilter("always")
    ...     post = m.posterior(data={"z": 1.0})
    >>> caught[0].category.__name__
    'ModelWarning'
    >>> try:
    ...     post.log_prob([-0.5])
    ... except pg.NonFiniteError as err:
    ...     print(err.node, err.params)
    r {'a': -0.5}
    """

    def __init__(self, message, node, params):
        super().__init__(message)
        self.node = node
        self.params = params


class ModelWarning(UserWarning):
    """A model that may not be what its author meant; the message names the node.

    Examples
    --------
    >>> import warnings, pgmsim as pg
    >>> m = pg.Model("unused")
    >>> _ = m.param("a", pg.Gamma(2.0, 1.0))
    >>> _ = m.param("b", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("a"))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = m.posterior(data={"N": 3})
    >>> print(caught[0].message)
    parameter(s) 'b' used by no data node: the posterior of each is its prior. Is one misspelled in a function's arguments?
    """


_REAL = "biuf"


def check_at_draws(steps, likelihoods, plates, sizes, points, batch, params):
    """The checks that need parameter values, at a few prior draws: every
    step for each draw alone and for all of them as one batch
    (:func:`check_steps`), the batch rows against the draws alone
    (:func:`check_batch_agrees`), and a :class:`ModelWarning` for a node
    that is NaN or infinite at a draw.

    Parameters
    ----------
    steps : sequence of Step
    likelihoods : sequence of Likelihood
    plates, sizes : dict
        As for :func:`check_steps`.
    points : list of dict
        The values of the parameters and known nodes at each draw.
    batch : dict
        The same draws as one batch of walkers.
    params : list of dict
        The parameter values of each draw, for the messages.

    Raises
    ------
    TypeError or ValueError
        As :func:`check_steps` and :func:`check_batch_agrees`.

    Examples
    --------
    >>> import numpy as np, warnings
    >>> from pgmsim.graph.evaluate import Step
    >>> from pgmsim.graph.checks import check_at_draws
    >>> step = Step("r", lambda a: np.log(a), ("a",))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     check_at_draws([step], [], {"r": None}, {}, [{"a": -1.0}], {"a": np.array([[-1.0]])},
    ...                    [{"a": -1.0}])
    >>> print(caught[0].message)
    node 'r' is NaN at 1 of 1 prior draw(s), e.g. at {'a': -1.0}: check its function for divisions by zero or logs of negative numbers, or restrict the priors
    """
    points = [check_steps(steps, point, plates, sizes) for point in points]
    batch = check_steps(steps, batch, plates, sizes, walkers=len(points))
    # the built-in distributions sum over the last axis (tested): only a
    # user-written one may mix walkers, and a likelihood over a large image
    # costs most of the check
    user_written = [like for like in likelihoods
                    if not type(like.term.distribution).__module__.startswith("pgmsim.")]
    check_batch_agrees(steps, user_written, points, batch)
    for step in steps:
        bad = [i for i, point in enumerate(points) if not np.all(np.isfinite(point[step.name]))]
        if bad:
            what = "NaN" if np.isnan(points[bad[0]][step.name]).any() else "infinite"
            warnings.warn(
                f"node {step.name!r} is {what} at {len(bad)} of {len(points)} prior "
                f"draw(s), e.g. at {params[bad[0]]}: check its function for divisions "
                "by zero or logs of negative numbers, or restrict the priors",
                ModelWarning, stacklevel=4)


def check_steps(steps, values, plates, sizes, walkers=None):
    """Call each step once, so that a function that fails, returns no real
    numbers or the wrong shape is named here rather than deep inside a sampler.

    Parameters
    ----------
    steps : sequence of Step
    values : dict
        Values of every node the steps read; updated with theirs.
    plates : dict
        The plate of each step's node (``None`` for none).
    sizes : dict
        Known plate sizes; a node on a plate of unknown size is not checked.
    walkers : int, optional
        The number of walkers when ``values`` hold a batch (scalars as
        ``(walkers, 1)`` columns); ``None`` for one point.

    Returns
    -------
    dict
        ``values``, with the value of every step.

    Raises
    ------
    TypeError
        If a function raises, or returns complex numbers, objects or
        strings; the message names its node.
    ValueError
        If a value does not broadcast to the shape of its node, or a
        function changes a read-only input in place.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.graph.evaluate import Step
    >>> from pgmsim.graph.checks import check_steps
    >>> steps = [Step("mu", lambda a, x: a + x, ("a", "x"))]
    >>> values = {"a": np.ones((2, 1)), "x": np.ones(3)}
    >>> check_steps(steps, values, {"mu": "pix"}, {"pix": 3})
    Traceback (most recent call last):
      ...
    ValueError: deterministic node 'mu' returned shape (2, 3) for one point; expected (3,)
    """
    how = "one point" if walkers is None else f"a batch of {walkers} walkers"
    for step in steps:
        try:
            with np.errstate(all="ignore"):
                value = np.asarray(step(values))
        except ReadOnlyInputError:
            raise
        except Exception as err:
            raise TypeError(
                f"deterministic node {step.name!r} failed when called for {how}"
                f"{'' if walkers is None else ' (scalars of shape (nwalkers, 1))'}: "
                f"{type(err).__name__}: {err}. Write it with numpy operations that "
                "broadcast."
            ) from err
        if value.dtype.kind not in _REAL:
            kind = {"c": "complex", "O": "object", "U": "str", "S": "bytes"}.get(
                value.dtype.kind, str(value.dtype))
            raise TypeError(
                f"deterministic node {step.name!r} returned {kind} values (dtype "
                f"{value.dtype}); it must return real numbers (bool, int or float)"
            )
        values[step.name] = value
        plate = plates[step.name]
        if plate is not None and plate not in sizes:
            continue
        if plate is None and walkers is None:
            # one point: a scalar, or a 1-vector as keepdims=True reductions give
            ok = value.ndim <= 1 and value.size == 1
            shape = ()
        else:
            shape = ((walkers, 1) if plate is None else (walkers, sizes[plate])) \
                if walkers is not None else (sizes[plate],)
            ok = np.broadcast_shapes(value.shape, shape) == shape
        if not ok:
            raise ValueError(
                f"deterministic node {step.name!r} returned shape {value.shape} for "
                f"{how}; expected {shape}"
            )
    return values


def check_batch_agrees(steps, likelihoods, points, batch):
    """Refuse a function whose value for a walker depends on the other walkers.

    Parameters
    ----------
    steps : sequence of Step
    likelihoods : sequence of Likelihood
    points : list of dict
        Node values at each of n points, as from :func:`check_steps`.
    batch : dict
        Node values for the same n points as one batch of walkers.

    Raises
    ------
    ValueError
        Naming the first node (or data node) whose batch row differs from
        its value at the point alone.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.graph.evaluate import Step
    >>> from pgmsim.graph.checks import check_batch_agrees
    >>> step = Step("s", lambda a: np.sum(a), ("a",))
    >>> points = [{"a": 1.0, "s": 1.0}, {"a": 2.0, "s": 2.0}]
    >>> batch = {"a": np.array([[1.0], [2.0]]), "s": np.array(3.0)}
    >>> check_batch_agrees([step], [], points, batch)
    Traceback (most recent call last):
      ...
    ValueError: deterministic node 's' mixes walkers: for 2 walkers evaluated together it does not give the values each gets alone. A reduction (np.sum, np.mean, np.dot, ...) must run over the plate axis only: write np.sum(..., axis=-1, keepdims=True) for a scalar node, and never reduce over all axes
    """
    n = len(points)
    for step in steps:
        rows = np.broadcast_to(batch[step.name], (n,) + np.shape(batch[step.name])[1:]) \
            if np.ndim(batch[step.name]) else np.full(n, batch[step.name])
        if not all(_same(np.reshape(rows[i], -1), np.reshape(points[i][step.name], -1))
                   for i in range(n)):
            raise ValueError(
                f"deterministic node {step.name!r} mixes walkers: for {n} walkers "
                "evaluated together it does not give the values each gets alone. A "
                "reduction (np.sum, np.mean, np.dot, ...) must run over the plate axis "
                "only: write np.sum(..., axis=-1, keepdims=True) for a scalar node, "
                "and never reduce over all axes")
    for likelihood in likelihoods:
        with np.errstate(all="ignore"):
            together = np.broadcast_to(likelihood(batch), (n,))
            alone = [likelihood(point) for point in points]
        if not _same(together, np.array(alone, dtype=float)):
            raise ValueError(
                f"the log-likelihood of data node {likelihood.term.name!r} "
                f"({likelihood.term.distribution.text()}) mixes walkers: a batch of "
                f"{n} walkers does not give the values each gets alone. Its "
                "distribution must sum over the last axis only")


def _same(a, b):
    """Equal up to rounding (a BLAS kernel may group sums differently), NaN equal."""
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    return bool(np.all(np.isclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True)))


def check_fixed_arguments(terms, known, kinds):
    """Check distribution arguments whose values are known before fitting
    (fixed inputs, data, functions of them) against the distribution's
    constraints, e.g. a fixed input used as a Normal sigma must be positive.

    Parameters
    ----------
    terms : sequence of PriorTerm or DataTerm
    known : dict
        Values of the fixed inputs, data and deterministic nodes of them.
    kinds : dict
        The :class:`NodeKind` of each known node, for the message.

    Raises
    ------
    ValueError
        Naming the node of the term, the argument and the node it comes from.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.graph.evaluate import DataTerm
    >>> from pgmsim.graph.checks import check_fixed_arguments
    >>> from pgmsim.graph.nodes import NodeKind
    >>> term = DataTerm(("y",), pg.Normal("a", "s"))
    >>> check_fixed_arguments([term], {"s": np.array([1.0, -1.0])}, {"s": NodeKind.FIXED})
    Traceback (most recent call last):
      ...
    ValueError: node 'y': Normal needs sigma > 0; 1 value(s) are not, first -1 at index 1 (sigma is the fixed node 's')
    """
    for term in terms:
        dist = term.distribution
        given = {arg_name: known[arg] for arg_name, arg in zip(dist.arg_names, dist.args)
                 if isinstance(arg, str) and arg in known}
        if not given:
            continue
        try:
            dist.check_arguments(given, term.names[0])
        except ValueError as err:
            sources = ", ".join(f"{arg_name} is the {kinds[arg].value} node {arg!r}"
                                for arg_name, arg in zip(dist.arg_names, dist.args)
                                if arg_name in given and arg_name in str(err))
            raise ValueError(f"{err} ({sources})" if sources else str(err)) from None


def check_factors(factors, points, batch):
    """Refuse a factor node that does not give one number per walker.

    Parameters
    ----------
    factors : sequence of FactorTerm
    points : list of dict
        Node values at each of n points.
    batch : dict
        Node values for the same n points as one batch of walkers.

    Raises
    ------
    TypeError
        If a factor function fails; the message names its node.
    ValueError
        If it returns another shape than ``()`` for one point, or than
        ``(n,)`` or ``(n, 1)`` for a batch of n walkers, or values for a
        batch that differ from those of each walker alone.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.graph.evaluate import FactorTerm
    >>> from pgmsim.graph.checks import check_factors
    >>> term = FactorTerm("psi", lambda b: -0.5 * b**2, ("b",))    # forgot the sum
    >>> check_factors([term], [{"b": np.ones(3)}], {"b": np.ones((1, 3))})
    Traceback (most recent call last):
      ...
    ValueError: factor node 'psi' returned shape (3,) for one point; expected () (one number per walker: sum over the other axes with axis=-1)
    """
    n = len(points)
    for factor in factors:
        values = []
        for how, given, shapes in [*(("one point", p, [()]) for p in points),
                                   (f"a batch of {n} walkers", batch, [(n,), (n, 1)])]:
            try:
                with np.errstate(all="ignore"):
                    value = np.asarray(factor.raw(given))
            except Exception as err:
                raise TypeError(f"factor node {factor.name!r} failed when called for {how}: "
                                f"{type(err).__name__}: {err}") from err
            if value.shape not in shapes or value.dtype.kind not in _REAL:
                raise ValueError(
                    f"factor node {factor.name!r} returned shape {value.shape} for {how}; "
                    f"expected {' or '.join(map(str, shapes))} (one number per walker: "
                    "sum over the other axes with axis=-1)")
            values.append(np.reshape(value, -1))
        if not _same(np.concatenate(values[:n]), values[n]):
            raise ValueError(f"factor node {factor.name!r} mixes walkers: a batch of {n} "
                             "walkers does not give the values each gets alone; reduce "
                             "over the last axis only (axis=-1)")


def unused_parameters(model):
    """Parameters that no data node depends on: their posterior is their prior.

    Parameters
    ----------
    model : Model

    Returns
    -------
    list of str

    Examples
    --------
    >>> import pgmsim as pg
    >>> from pgmsim.graph.checks import unused_parameters
    >>> m = pg.Model("m")
    >>> _ = m.param("a", pg.Normal(0.0, 1.0)); _ = m.param("b", pg.Normal(0.0, 1.0))
    >>> _ = m.data("y", pg.Normal("a", 1.0))
    >>> unused_parameters(m)
    ['b']
    """
    data = set(model.names(NodeKind.DATA)) | set(model.names(NodeKind.FACTOR))
    return [name for name in model.names(NodeKind.PARAMETER)
            if not data.intersection(nx.descendants(model.graph, name))]


def nonfinite_error(steps, likelihoods, values, params, factors=()):
    """The error for a log-density that is NaN at a point, naming the first
    node at fault (see :func:`nonfinite_source`).

    Parameters
    ----------
    steps : sequence of Step
    likelihoods : sequence of Likelihood
    values : dict
        Values of the parameters and known nodes at the point.
    params : dict
        The parameter values, for the message.
    factors : sequence of FactorTerm
        The factor nodes, named when one of them is NaN.

    Returns
    -------
    NonFiniteError

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.graph.evaluate import Step
    >>> from pgmsim.graph.checks import nonfinite_error
    >>> steps = [Step("r", lambda a: np.log(a), ("a",))]
    >>> with np.errstate(invalid="ignore"):
    ...     print(nonfinite_error(steps, [], {"a": -1.0}, {"a": -1.0}))
    node 'r' returned NaN at parameters {'a': -1.0}: check its function for divisions by zero or logs of negative numbers, or restrict the priors
    """
    source, bad = nonfinite_source(steps, likelihoods, values)
    if bad:
        return NonFiniteError(
            f"the sampling distribution of node {source.term.name!r} got non-finite "
            f"values of {', '.join(map(repr, bad))} at parameters {params}", bad[0], params)
    if source is not None:
        return NonFiniteError(
            f"node {source.name!r} returned NaN at parameters {params}: check its "
            "function for divisions by zero or logs of negative numbers, or restrict "
            "the priors", source.name, params)
    for factor in factors:
        if np.isnan(factor(values)).any():
            return NonFiniteError(f"factor node {factor.name!r} returned NaN at parameters "
                                  f"{params}", factor.name, params)
    return NonFiniteError(f"the log-posterior is NaN at parameters {params}", None, params)


def nonfinite_source(steps, likelihoods, values):
    """The first node whose value is NaN, walking the steps at one point.

    Parameters
    ----------
    steps : sequence of Step
    likelihoods : sequence of Likelihood
    values : dict
        Values of the parameters and fixed inputs; updated with the steps'.

    Returns
    -------
    tuple
        ``(step, ())`` for the first step that returns NaN, else
        ``(likelihood, names)`` for the first likelihood whose arguments
        ``names`` are not all finite, else ``(None, ())``.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.graph.evaluate import Step
    >>> from pgmsim.graph.checks import nonfinite_source
    >>> steps = [Step("r", lambda a: np.log(a), ("a",))]
    >>> with np.errstate(invalid="ignore"):
    ...     step, _ = nonfinite_source(steps, [], {"a": -1.0})
    >>> step.name
    'r'
    """
    for step in steps:
        values[step.name] = np.asarray(step(values))
        if np.isnan(values[step.name]).any():
            return step, ()
    for likelihood in likelihoods:
        bad = tuple(a for a in likelihood.term.args
                    if isinstance(a, str) and not np.all(np.isfinite(values[a])))
        if bad:
            return likelihood, bad
    return None, ()
