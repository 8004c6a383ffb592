"""Units of nodes: read when a node is declared, applied where values are given.

A node may declare a unit (``m.fixed("t", unit="s")``). Values given as
:class:`astropy.units.Quantity` are converted to it and then used as plain
numbers: the graph computes with numbers in the declared units. A plain
number given for a node with a unit is taken as already in that unit, the
convention of astropy-aware libraries. astropy is imported only when a unit
is declared or a Quantity is given.
"""

from __future__ import annotations

import sys

from .nodes import ModelError

__all__ = ["declared_unit", "declared_units", "plain_value", "unit_text"]


def declared_unit(name, unit):
    """The :class:`astropy.units.UnitBase` a node declares, or None.

    Parameters
    ----------
    name : str
        The node, named in the error.
    unit : str, astropy.units.UnitBase or None
        A unit string in astropy's generic format (``"ct / (s cm2)"``) or a
        unit.

    Returns
    -------
    astropy.units.UnitBase or None

    Raises
    ------
    ModelError
        If the string cannot be read as a unit, or ``unit`` is neither a
        string nor a unit.

    Examples
    --------
    >>> from pgmsim.graph.units import declared_unit
    >>> declared_unit("F", "ct / (s cm2)")
    Unit("ct / (s cm2)")
    >>> declared_unit("t", "secnds")
    Traceback (most recent call last):
      ...
    pgmsim.graph.nodes.ModelError: node 't': cannot read the unit 'secnds'...
    """
    if unit is None:
        return None
    import astropy.units as u  # astropy loads only for models that declare units

    if isinstance(unit, u.UnitBase):
        return unit
    if not isinstance(unit, str):
        raise ModelError(f"node {name!r}: the unit must be a string such as 's' or an "
                         f"astropy unit, got {type(unit).__name__} {unit!r}")
    try:
        return u.Unit(unit, parse_strict="raise")
    except ValueError as err:
        raise ModelError(f"node {name!r}: cannot read the unit {unit!r}: {err}") from None


def declared_units(names, units):
    """The units of the parameters of a joint prior, one per name.

    Parameters
    ----------
    names : tuple of str
    units : tuple or None
        One unit (see :func:`declared_unit`) per name, or None for none.

    Returns
    -------
    tuple
        A unit or None per name.

    Raises
    ------
    ModelError
        If the number of units differs from the number of names, or a unit
        cannot be read.

    Examples
    --------
    >>> from pgmsim.graph.units import declared_units
    >>> declared_units(("x0", "y0"), ("pix", None))
    (Unit("pix"), None)
    >>> declared_units(("x0", "y0"), None)
    (None, None)
    """
    if units is None:
        return (None,) * len(names)
    if isinstance(units, str) or not isinstance(units, (tuple, list)) or len(units) != len(names):
        raise ModelError(f"parameters {', '.join(map(repr, names))}: give one unit per "
                         f"name, got unit={units!r}")
    return tuple(declared_unit(n, unit) for n, unit in zip(names, units))


def plain_value(node, value, what):
    """A value for a node without units: a Quantity converted to the node's unit.

    A plain number (or array) is returned unchanged: it is taken as already
    in the node's unit. A dimensionless Quantity is a plain number for a node
    without a unit. A list of Quantities is read as one Quantity.

    Parameters
    ----------
    node : Node
        The node the value is given for.
    value : object
        The value as given (number, array, Quantity).
    what : str
        Where it was given ("inputs", "data", "params"), for messages.

    Returns
    -------
    object
        ``value`` itself, or the Quantity's values in the node's unit.

    Raises
    ------
    ValueError
        If ``value`` is a Quantity whose unit cannot be converted to the
        node's, or the node has no unit and the Quantity is not
        dimensionless, the message naming the node and both units; or a
        list of Quantities in units that do not convert to one another, or
        mixed with plain numbers.

    Examples
    --------
    >>> import astropy.units as u, pgmsim as pg
    >>> from pgmsim.graph.units import plain_value
    >>> m = pg.Model()
    >>> m.fixed("t", unit="s")
    't'
    >>> float(plain_value(m.node("t"), 0.1 * u.ks, "inputs"))
    100.0
    >>> plain_value(m.node("t"), 100.0, "inputs")  # a number is in the node's unit
    100.0
    >>> plain_value(m.node("t"), 3 * u.m, "inputs")
    Traceback (most recent call last):
      ...
    ValueError: inputs: fixed node 't' is in s; got a Quantity in m, which cannot be converted ...
    """
    units = sys.modules.get("astropy.units")
    if units is None:
        return value  # without astropy loaded no value can be a Quantity
    where = f"{what}: {node.kind.value} node {node.name!r}"
    if isinstance(value, (list, tuple)) and any(isinstance(v, units.Quantity) for v in value):
        try:
            value = units.Quantity(value)
        except (TypeError, units.UnitsError) as err:
            raise ValueError(f"{where} was given a list of Quantities that is not one "
                             f"Quantity ({err}): give every element as a Quantity in compatible "
                             "units") from None
    if not isinstance(value, units.Quantity):
        return value
    if node.unit is None:
        if value.unit.physical_type == "dimensionless":
            return value.to_value(units.dimensionless_unscaled)
        raise ValueError(
            f"{where} has no unit; got a Quantity in {value.unit}: declare the node's "
            f"unit (unit={value.unit.to_string()!r}) or pass a plain number")
    try:
        return value.to_value(node.unit)
    except units.UnitConversionError:
        raise ValueError(
            f"{where} is in {node.unit}; got a Quantity in {value.unit}, which cannot be "
            f"converted ({node.unit.physical_type} vs {value.unit.physical_type})"
        ) from None


def unit_text(unit):
    r"""A unit for an axis label, in LaTeX: ``[$\mathrm{s}$]``; ``""`` for none.

    Parameters
    ----------
    unit : astropy.units.UnitBase or None

    Returns
    -------
    str

    Examples
    --------
    >>> import astropy.units as u
    >>> from pgmsim.graph.units import unit_text
    >>> unit_text(u.ct / u.s), unit_text(None)
    ('[$\\mathrm{ct\\,s^{-1}}$]', '')
    """
    return "" if unit is None else f"[{unit.to_string('latex_inline')}]"
