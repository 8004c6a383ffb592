"""The one walk through the graph, shared by every use that computes values.

A model's graph becomes, in topological order, a list of named items:

* a :class:`Step` per deterministic node: its function and the parents it is
  called with;
* a :class:`PriorTerm` per prior, over one parameter, or over several for a
  joint prior (:class:`~pgmsim.MapPrior`): one factor ``p(x0, y0)`` of the
  joint density, drawn and evaluated like any other;
* a :class:`DataTerm` per data node, which a posterior binds to the observed
  values as a :class:`Likelihood`;
* a :class:`FactorTerm` per factor node: a free term of the log-density.

Simulation, the posterior (one point and batches), prior draws and the
models' helpers walk these items; argument resolution happens here and
nowhere else. Values given by users are checked on the way in
(:func:`check_inputs`); what a posterior checks when it is built is in
:mod:`pgmsim.graph.checks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..distributions import Distribution
from .nodes import ModelError, NodeKind
from .units import plain_value

__all__ = ["check_inputs", "resolve", "Step", "PriorTerm", "DataTerm", "Likelihood",
           "FactorTerm", "Walk", "evaluate", "ReadOnlyInputError"]


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
        Name to a read-only copy as a numpy array of floats (integer data
        stay integers), in the graph's order.

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
    >>> from pgmsim.graph.evaluate import check_inputs
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
        value = plain_value(model.node(name), value, what)
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
        # data keep their integers, so that their distribution sees exact counts
        exact = expected_kind is NodeKind.DATA and array.dtype.kind in "iu"
        out[name] = array.astype(array.dtype if exact else float)
        # a copy, read-only: a function cannot change it for later evaluations
        out[name].flags.writeable = False
    return out


def resolve(args, values):
    """The values of a distribution's arguments: a node's value for a name,
    the number itself otherwise.

    Parameters
    ----------
    args : sequence of float or str
        Arguments as a distribution holds them (``Distribution.args``).
    values : dict
        Node values by name.

    Returns
    -------
    list

    Examples
    --------
    >>> from pgmsim.graph.evaluate import resolve
    >>> resolve(("mu", 2.5), {"mu": 1.0})
    [1.0, 2.5]
    """
    return [values[a] if isinstance(a, str) else a for a in args]


@dataclass(frozen=True)
class Step:
    """A deterministic node: its function, called with its parents' values.

    Attributes
    ----------
    name : str
        The node.
    func : callable
        The user's function; its argument names are the parents.
    parents : tuple of str
        The nodes whose values it is called with.

    Examples
    --------
    >>> from pgmsim.graph.evaluate import Step
    >>> step = Step("area", lambda w, h: w * h, ("w", "h"))
    >>> step({"w": 2.0, "h": 3.0, "unused": 0.0})
    6.0
    """

    name: str
    func: Callable
    parents: tuple

    def __call__(self, values):
        """The node's value from the values of its parents (a dict by name)."""
        args = {p: values[p] for p in self.parents}
        try:
            return self.func(**args)
        except ValueError as err:
            # fixed inputs and walkers are handed out read-only
            frozen = [p for p, v in args.items()
                      if isinstance(v, np.ndarray) and not v.flags.writeable]
            if frozen and "read-only" in str(err):
                raise ReadOnlyInputError(
                    f"deterministic node {self.name!r} changes its input(s) "
                    f"{', '.join(map(repr, frozen))} in place ({err}): inputs are shared "
                    "by every evaluation, so they are read-only; compute a new array "
                    "instead (x = x + a, not x += a)") from None
            raise


class ReadOnlyInputError(ValueError):
    """A deterministic function changed one of its inputs in place.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.graph.evaluate import Step
    >>> def doubled(x):
    ...     x *= 2
    ...     return x
    >>> x = np.ones(2)
    >>> x.flags.writeable = False
    >>> Step("y", doubled, ("x",))({"x": x})
    Traceback (most recent call last):
      ...
    pgmsim.graph.evaluate.ReadOnlyInputError: deterministic node 'y' changes its input(s) 'x' in place (output array is read-only): inputs are shared by every evaluation, so they are read-only; compute a new array instead (x = x + a, not x += a)
    """


@dataclass(frozen=True)
class _Term:
    """A factor of the joint density: a distribution over ``names`` whose
    arguments are numbers or the names of other nodes."""

    names: tuple
    distribution: Distribution
    args: tuple = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "args", self.distribution.args)

    def arguments(self, values):
        """The argument values, from a dict of node values (see :func:`resolve`)."""
        return resolve(self.args, values)

    def draw(self, rng, size, args=()):
        """Draw the variables; a dict by name, each of shape ``size``.

        ``args`` are the argument values (from :meth:`arguments`); a joint
        distribution draws its variables together along a last axis.
        """
        if len(self.names) > 1:
            joint = self.distribution.sample(rng, size=size)
            return {name: joint[..., k][()] for k, name in enumerate(self.names)}
        # a multivariate distribution draws whole vectors: size holds their length
        event = getattr(self.distribution, "event_ndim", 0)
        size = size[:len(size) - event] if event else size
        value = self.distribution.sample(rng, size=size, params=args)
        return {self.names[0]: value if np.ndim(value) else value[()]}


class PriorTerm(_Term):
    """The prior of one parameter, or the joint prior of several.

    Attributes
    ----------
    names : tuple of str
        The parameters: one, or several for a joint prior.
    distribution : Distribution
    args : tuple
        The distribution's arguments: numbers or node names (hierarchical
        priors).

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.graph.evaluate import PriorTerm
    >>> term = PriorTerm(("x0", "y0"), pg.MapPrior(np.ones((2, 2)), (0, 2, 0, 2)))
    >>> float(term.logpdf({"x0": 0.5, "y0": 1.5}))     # 1 / area
    -1.3862943611198906
    >>> sorted(term.draw(np.random.default_rng(0), (3,)))
    ['x0', 'y0']
    >>> PriorTerm(("s",), pg.Normal("mu", 2.0)).arguments({"mu": 1.0})
    [1.0, 2.0]
    """

    def logpdf(self, values):
        """Log-density of the parameters' values, broadcast together.

        Parameters
        ----------
        values : dict
            Values of the parameters and of the nodes the arguments name.

        Returns
        -------
        numpy.ndarray or float
            May be NaN for invalid arguments (callers read it as ``-inf``).
            Summed over the last axis by callers: a multivariate prior's
            density of a batch of vectors has shape ``(nwalkers, 1)``.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> from pgmsim.graph.evaluate import PriorTerm
        >>> float(PriorTerm(("s",), pg.Uniform(0.0, "top")).logpdf({"s": 1.0, "top": 4.0}))
        -1.3862943611198906
        >>> PriorTerm(("b",), pg.Dirichlet([1.0, 1.0])).logpdf({"b": np.full((3, 2), 0.5)}).shape
        (3, 1)
        """
        lp = self.distribution._logpdf(*(values[n] for n in self.names),
                                       *self.arguments(values))
        return np.expand_dims(lp, -1) if getattr(self.distribution, "event_ndim", 0) else lp


class DataTerm(_Term):
    """The sampling distribution of one data node.

    Attributes
    ----------
    names : tuple of str
        The data node, alone.
    distribution : Distribution
    args : tuple
        The distribution's arguments: numbers or node names.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.graph.evaluate import DataTerm
    >>> term = DataTerm(("N",), pg.Poisson("mu"))
    >>> term.name, term.args
    ('N', ('mu',))
    >>> like = term.likelihood(np.array([1.0, 3.0]))
    >>> from scipy import stats
    >>> bool(np.isclose(like({"mu": 2.0}), stats.poisson.logpmf([1, 3], 2.0).sum()))
    True
    """

    @property
    def name(self):
        """The data node."""
        return self.names[0]

    def likelihood(self, data):
        """This term bound to observed values.

        Parameters
        ----------
        data : numpy.ndarray
            The observed values, as from ``Distribution.validate_data``.

        Returns
        -------
        Likelihood

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> from pgmsim.graph.evaluate import DataTerm
        >>> like = DataTerm(("z",), pg.Normal("m", 1.0)).likelihood(np.zeros(2))
        >>> round(float(like({"m": 0.0})), 4)      # 2 x log(1 / sqrt(2 pi))
        -1.8379
        """
        return Likelihood(self, self.distribution.loglike(data))


@dataclass(frozen=True)
class Likelihood:
    """A data term bound to its observed values.

    Attributes
    ----------
    term : DataTerm
    loglike : callable
        ``loglike(*argument_values)``: the log-likelihood summed over the
        last axis, data-only parts (``log N!``) computed once.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.graph.evaluate import DataTerm
    >>> like = DataTerm(("N",), pg.Poisson("mu")).likelihood(np.array([0.0, 0.0]))
    >>> float(like({"mu": np.array([1.0, 2.0])}))      # log(e^-1 e^-2)
    -3.0
    """

    term: DataTerm
    loglike: Callable

    def __call__(self, values):
        """The log-likelihood at the node values ``values`` (a dict by name)."""
        return self.loglike(*resolve(self.term.args, values))


@dataclass(frozen=True)
class FactorTerm:
    """A factor node: a free term ``func(parents)`` of the log-density.

    Attributes
    ----------
    name : str
        The node.
    func : callable
        The user's function; its argument names are the parents.
    parents : tuple of str

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.graph.evaluate import FactorTerm
    >>> term = FactorTerm("psi", lambda a: -0.5 * a**2, ("a",))
    >>> float(term({"a": 2.0})), term({"a": np.array([[1.0], [2.0]])})
    (-2.0, array([-0.5, -2. ]))
    """

    name: str
    func: Callable
    parents: tuple

    def raw(self, values):
        """The function's value as it returns it (its shape is checked when a
        posterior is built: :func:`pgmsim.graph.checks.check_factors`).

        Parameters
        ----------
        values : dict
            Node values by name, holding at least the parents'.

        Returns
        -------
        object
            What the function returns.

        Examples
        --------
        >>> import numpy as np
        >>> from pgmsim.graph.evaluate import FactorTerm
        >>> term = FactorTerm("psi", lambda a: -0.5 * a**2, ("a",))
        >>> term.raw({"a": np.array([[1.0], [2.0]])}).shape
        (2, 1)
        """
        return self.func(**{p: values[p] for p in self.parents})

    def __call__(self, values):
        """The term at the node values ``values``: a number for one point, shape
        ``(nwalkers,)`` for a batch (a ``(nwalkers, 1)`` column is flattened)."""
        value = np.asarray(self.raw(values), dtype=float)
        return value[:, 0] if value.ndim == 2 else value


def _check_enclosing_arguments(model, node):
    """Refuse a distribution argument of an enclosing plate, naming the node.

    The values of a node on an inner plate are one flat vector over all its
    elements, which a vector along the enclosing plate cannot broadcast
    against: the argument needs an index per element (a deterministic node).
    Declaring such a model is allowed (it can be drawn); computing it is not.
    """
    if not node.kind.stochastic or node.plate is None:
        return
    enclosing = model.plate_chain(node.plate)[1:]
    for parent in node.parents:
        plate = model.node(parent).plate
        if plate in enclosing:
            raise ModelError(
                f"node {node.name!r} on plate {node.plate!r} (within {enclosing[0]!r}) "
                f"takes {parent!r} of plate {plate!r} as a distribution argument: the "
                f"values of an inner plate are one flat vector over all its elements, "
                f"which {parent!r} cannot broadcast against; give each element the index "
                f"of its {plate!r} element as a fixed input and pass {parent!r} through a "
                f"deterministic node on {node.plate!r} ({parent}[..., index])")


@dataclass(frozen=True)
class Walk:
    """A model's graph as the ordered list of what to compute and draw.

    Attributes
    ----------
    items : tuple
        :class:`PriorTerm`, :class:`Step`, :class:`DataTerm` and
        :class:`FactorTerm` objects in topological order; a joint prior once,
        at its first parameter.

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> from pgmsim.graph.evaluate import Walk
    >>> walk = Walk.of(xray_agn.build())
    >>> [s.name for s in walk.steps], [t.names for t in walk.data]
    (['mu'], [('N',)])
    >>> len(walk.priors)
    5
    """

    items: tuple

    @classmethod
    def of(cls, model):
        """The walk through ``model``'s graph, in its topological order.

        Parameters
        ----------
        model : Model

        Returns
        -------
        Walk

        Examples
        --------
        >>> import pgmsim as pg
        >>> from pgmsim.graph.evaluate import Walk
        >>> m = pg.Model("line")
        >>> _ = m.param("a", pg.Normal(0.0, 1.0))
        >>> _ = m.deterministic("mu", lambda a: 2 * a)
        >>> _ = m.data("y", pg.Normal("mu", 0.5))
        >>> [type(item).__name__ for item in Walk.of(m).items]
        ['PriorTerm', 'Step', 'DataTerm']
        """
        items = []
        for name in model.order:
            node = model.node(name)
            _check_enclosing_arguments(model, node)
            if node.kind is NodeKind.DETERMINISTIC:
                items.append(Step(name, node.func, tuple(node.parents)))
            elif node.kind is NodeKind.DATA:
                items.append(DataTerm((name,), node.distribution))
            elif node.kind is NodeKind.FACTOR:
                items.append(FactorTerm(name, node.func, tuple(node.parents)))
            elif node.kind is NodeKind.PARAMETER:
                names = model.prior_group(name)
                if name == names[0]:
                    items.append(PriorTerm(tuple(names), node.distribution))
        return cls(tuple(items))

    @property
    def steps(self):
        """The deterministic steps, in order."""
        return tuple(i for i in self.items if isinstance(i, Step))

    @property
    def priors(self):
        """The prior terms, in order."""
        return tuple(i for i in self.items if isinstance(i, PriorTerm))

    @property
    def data(self):
        """The data terms, in order."""
        return tuple(i for i in self.items if isinstance(i, DataTerm))

    @property
    def factors(self):
        """The factor terms, in order."""
        return tuple(i for i in self.items if isinstance(i, FactorTerm))

    def evaluate(self, params, inputs=None):
        """Every node value that follows from parameters and fixed inputs.

        Parameters
        ----------
        params : dict
            Parameter values (numbers, or arrays that broadcast against the
            plate vectors).
        inputs : dict, optional
            Fixed inputs.

        Returns
        -------
        dict
            The given values and the value of every deterministic node.

        Examples
        --------
        >>> import numpy as np
        >>> from pgmsim.models import xray_agn
        >>> from pgmsim.graph.evaluate import Walk
        >>> walk = Walk.of(xray_agn.build())
        >>> values = walk.evaluate(xray_agn.TRUTH, xray_agn.default_inputs())
        >>> bool(np.all(values["mu"] > 0))
        True
        """
        values = {**(inputs or {}), **params}
        for step in self.steps:
            values[step.name] = step(values)
        return values


def evaluate(model, params, inputs=None):
    """Every deterministic node's value from parameter values and fixed inputs.

    The values are not checked (see :func:`check_inputs`): a model's helper
    can pass, for example, columns of shape ``(n, 1)`` for ``n`` draws.

    Parameters
    ----------
    model : Model
    params : dict
        Parameter values by name.
    inputs : dict, optional
        Fixed inputs by name.

    Returns
    -------
    dict
        The given values and the value of every deterministic node.

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> from pgmsim.graph.evaluate import evaluate
    >>> inputs = xray_agn.default_inputs()
    >>> evaluate(xray_agn.build(), xray_agn.TRUTH, inputs)["mu"].shape
    (1600,)
    """
    return Walk.of(model).evaluate(params, inputs)
