"""The parameter vector ``theta``: which entries hold which parameter.

emcee moves points of a flat vector; the graph's parameters are scalars,
vectors along plates and vectors declared with ``shape=D``. A :class:`Packing`
lays them out one after another, in the graph's topological order, a
parameter on a plate of size J (or of shape ``(J,)``) taking J entries
``name[0]`` ... ``name[J-1]``. A vector on the simplex (a
:class:`~pgmsim.Dirichlet` prior) takes its first ``J - 1`` entries: the last
is one minus their sum, so that emcee moves points of the simplex only.

Examples
--------
>>> import pgmsim as pg
>>> from pgmsim.fit._packing import Packing
>>> m = pg.Model("groups")
>>> _ = m.plate("g", size=2)
>>> _ = m.param("mu", pg.Normal(0.0, 10.0))
>>> _ = m.param("a", pg.Normal("mu", 1.0), plate="g")
>>> packing = Packing(m, {"g": 2})
>>> packing.names, packing.shapes
(['mu', 'a[0]', 'a[1]'], {'mu': (), 'a': (2,)})
>>> packing.pack({"mu": 1.0, "a": [2.0, 3.0]})
array([1., 2., 3.])
"""

from __future__ import annotations

from typing import NamedTuple, Union

import numpy as np

from ..graph.nodes import NodeKind
from ..graph.units import plain_value

__all__ = ["Packed", "Packing"]


class Packed(NamedTuple):
    """Where one parameter lies in ``theta``."""

    name: str
    #: its entry (a scalar parameter) or entries (a vector)
    where: Union[int, slice]
    #: whether it is a vector (on a plate, or declared with shape=)
    on_plate: bool


class Packing:
    """The layout of a model's parameters in the vector ``theta``.

    Parameters
    ----------
    model : Model
    sizes : dict
        Plate sizes by name.

    Attributes
    ----------
    names : list of str
        Names of the entries of ``theta``.
    ndim : int
        Length of ``theta``.
    entries : list of Packed
        Each parameter's place, in order.
    shapes : dict
        Each parameter's shape: ``()``, or ``(J,)`` on a plate of size J or
        declared with ``shape=J``.
    simplex : tuple of str
        The vectors on the simplex, packed without their last entry.

    Raises
    ------
    ValueError
        If a parameter lives on a plate of unknown size, or the model has no
        parameters.
    """

    def __init__(self, model, sizes):
        self.names, self.entries, self.shapes = [], [], {}
        self._nodes = {name: model.node(name) for name in model.names(NodeKind.PARAMETER)}
        simplex = []
        for name, node in self._nodes.items():
            plate = node.plate
            start = len(self.names)
            if node.shape:
                size = node.shape[0]
                packed = size - 1 if getattr(node.distribution, "simplex", False) else size
                if packed < size:
                    simplex.append(name)
                self.names.extend(f"{name}[{i}]" for i in range(packed))
                self.entries.append(Packed(name, slice(start, start + packed), True))
                self.shapes[name] = node.shape
                continue
            if plate is None:
                self.names.append(name)
                self.entries.append(Packed(name, start, False))
                self.shapes[name] = ()
                continue
            if plate not in sizes:
                raise ValueError(
                    f"parameter {name!r} lives on plate {plate!r} whose size is "
                    "unknown: declare it with m.plate(name, size=...) or pass an "
                    "input or data vector on that plate"
                )
            size = sizes[plate]
            self.names.extend(f"{name}[{i}]" for i in range(size))
            self.entries.append(Packed(name, slice(start, start + size), True))
            self.shapes[name] = (size,)
        self.simplex = tuple(simplex)
        self.ndim = len(self.names)
        if self.ndim == 0:
            raise ValueError(f"model {model.name!r} has no parameters to infer")

    def unpack(self, theta):
        """Parameter values by name from a packed vector or a batch of them."""
        theta = np.asarray(theta, dtype=float)
        return self.complete({name: theta[..., where] for name, where, _ in self.entries})

    def complete(self, values):
        """``values`` with the vectors on the simplex completed by their last entry."""
        for name in self.simplex:
            part = values[name]
            values[name] = np.concatenate(
                [part, 1.0 - np.sum(part, axis=-1, keepdims=True)], axis=-1)
        return values

    def theta_of(self, draws):
        """The packed vectors of draws given by name, shape ``(n,) + shapes[name]``."""
        first = draws[self.entries[0].name]
        theta = np.empty((len(first), self.ndim))
        for name, where, _ in self.entries:
            theta[:, where] = draws[name][:, :where.stop - where.start] \
                if name in self.simplex else draws[name]
        return theta

    def pack(self, params):
        """The packed vector of a dict of parameter values; ValueError if a
        parameter is missing, unknown or has the wrong shape, or is a Quantity
        that cannot be converted to the parameter's unit."""
        theta = np.empty(self.ndim)
        unknown = set(params) - set(self.shapes)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {sorted(unknown)}; parameters are "
                f"{list(self.shapes)}"
            )
        for name, where, _ in self.entries:
            if name not in params:
                raise ValueError(f"no value for parameter {name!r}")
            value = np.asarray(plain_value(self._nodes[name], params[name], "params"),
                               dtype=float)
            if value.shape != self.shapes[name]:
                raise ValueError(
                    f"parameter {name!r} must have shape {self.shapes[name]}, "
                    f"got {value.shape}"
                )
            if name in self.simplex:
                if not np.isclose(value.sum(), 1.0, rtol=0.0, atol=1e-9):
                    raise ValueError(f"parameter {name!r} lies on the simplex: its "
                                     f"entries must sum to 1, got {value.sum():.12g}")
                value = value[:-1]
            theta[where] = value
        return theta

    def as_theta(self, theta):
        """``theta`` as float64 of shape ``(ndim,)`` or ``(nwalkers, ndim)``,
        and whether it is a batch; a clear error otherwise."""
        theta = np.asarray(theta)
        if theta.dtype != np.float64:
            theta = self.real_theta(theta)
        if theta.ndim not in (1, 2) or theta.shape[-1] != self.ndim:
            raise ValueError(
                f"theta must have shape ({self.ndim},) or (nwalkers, {self.ndim}) "
                f"for parameters {self.names}, got shape {theta.shape}"
            )
        return theta, theta.ndim == 2

    def real_theta(self, theta):
        """theta of another dtype than float64: converted, or a clear error."""
        if theta.dtype.kind in "biufO":
            try:
                return theta.astype(float)
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"theta must hold real numbers for parameters {self.names}: "
                    f"{err}") from err
        raise TypeError(
            f"theta must hold real numbers for parameters {self.names}, got "
            f"dtype {theta.dtype}")
