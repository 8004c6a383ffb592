"""What the arguments of a distribution must satisfy, declared once per class.

A distribution class declares ``arg_constraints``, a mapping from argument
names to :class:`Constraint` objects (as ``arg_constraints`` of
``torch.distributions`` and NumPyro):

>>> import pgmsim as pg
>>> pg.Normal.arg_constraints
{'sigma': Constraint('{name} > 0')}
>>> pg.Uniform.arg_constraints
{'high': Constraint('{other} < {name}', other='low')}

The one declaration serves two checks, so that they cannot disagree: of the
constant arguments when a distribution is made (:func:`check_constants`), and
of argument values known when a posterior is built, elementwise
(:func:`check_known`, through :meth:`Distribution.check_arguments`). A class
that declares nothing has no constraint checked.

A third check refuses arguments beyond float64 (:func:`check_representable`):
the log-density at the distribution's typical point (its median or mean,
from the ``_typical`` hook) must be finite, as must that point itself, and
for a distribution of counts the point must be below :data:`EXACT_INTEGER`.
Where the density is zero everywhere in float64 (``Uniform(-1e308, 1e308)``,
whose width overflows) the arguments are refused; where a normalising constant
only overflows as written, the distribution computes it in logs instead
(``LogUniform(1e-300, 1e300)``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Constraint", "positive", "nonnegative", "greater_than", "EXACT_INTEGER",
           "check_constants", "check_known", "check_representable"]

#: 2**53: float64 holds every integer up to it, and rounds some beyond
EXACT_INTEGER = 2**53


class Constraint:
    """A condition that each value of one argument must meet, elementwise.

    Parameters
    ----------
    template : str
        The condition in words, with ``{name}`` for the argument and
        ``{other}`` for the argument it is compared with, e.g. ``"{name} > 0"``.
    holds : callable
        ``holds(value)``, or ``holds(value, other_value)`` when ``other`` is
        given: a boolean array, False where the condition fails (NaN fails).
    other : str, optional
        The name of a second argument that the condition compares with; the
        condition is checked only when both values are known.

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.distributions.constraints import Constraint
    >>> below_one = Constraint("{name} < 1", lambda v: v < 1)
    >>> below_one.text("p"), below_one.fails("p", {"p": np.array([0.5, 2.0])})
    ('p < 1', array([False,  True]))
    """

    def __init__(self, template, holds, other=None):
        self.template = template
        self.holds = holds
        self.other = other

    def text(self, name):
        """The condition in words.

        Parameters
        ----------
        name : str
            The argument the condition is about.

        Returns
        -------
        str

        Examples
        --------
        >>> from pgmsim.distributions.constraints import greater_than, positive
        >>> positive.text("sigma"), greater_than("low").text("high")
        ('sigma > 0', 'low < high')
        """
        return self.template.format(name=name, other=self.other)

    def names(self, name):
        """The arguments the condition reads, in the order they are reported.

        Parameters
        ----------
        name : str
            The argument the condition is about.

        Returns
        -------
        tuple of str

        Examples
        --------
        >>> from pgmsim.distributions.constraints import greater_than, positive
        >>> positive.names("sigma"), greater_than("low").names("high")
        (('sigma',), ('low', 'high'))
        """
        return (name,) if self.other is None else (self.other, name)

    def fails(self, name, values):
        """Where the condition fails.

        Parameters
        ----------
        name : str
            The argument the condition is about.
        values : dict
            Values (numbers or arrays) of the arguments it reads.

        Returns
        -------
        numpy.ndarray of bool
            True where the condition fails (NaN fails).

        Examples
        --------
        >>> import numpy as np
        >>> from pgmsim.distributions.constraints import greater_than
        >>> greater_than("low").fails("high", {"low": 0.0, "high": np.array([1.0, -1.0])})
        array([False,  True])
        """
        if self.other is None:
            return ~np.asarray(self.holds(values[name]))
        return ~np.asarray(self.holds(values[name], values[self.other]))

    def __repr__(self):
        other = "" if self.other is None else f", other={self.other!r}"
        return f"Constraint({self.template!r}{other})"


#: the argument must be > 0 (scales, rates, shapes)
positive = Constraint("{name} > 0", lambda v: v > 0)
#: the argument must be >= 0 (Poisson means)
nonnegative = Constraint("{name} >= 0", lambda v: v >= 0)


def greater_than(other):
    """The argument must be greater than argument ``other`` (``low < high``).

    Parameters
    ----------
    other : str
        The name of the argument it must exceed.

    Returns
    -------
    Constraint

    Examples
    --------
    >>> from pgmsim.distributions.constraints import greater_than
    >>> greater_than("low").text("high")
    'low < high'
    """
    return Constraint("{other} < {name}", np.greater, other)


def _applicable(dist, values):
    """The declared constraints whose arguments all have values, as (name, constraint)."""
    return [(name, constraint) for name, constraint in dist.arg_constraints.items()
            if all(n in values for n in constraint.names(name))]


def check_constants(dist, values):
    """Refuse constant arguments that break a declared constraint.

    Parameters
    ----------
    dist : Distribution
    values : dict
        The constant arguments (floats) by name; those that name nodes are
        left out, and constraints that read them are not checked.

    Raises
    ------
    ValueError
        Naming the distribution, every constraint checked and the values.

    Examples
    --------
    >>> import pgmsim as pg
    >>> from pgmsim.distributions.constraints import check_constants
    >>> check_constants(pg.Normal("mu", "sigma"), {"sigma": -1.0})
    Traceback (most recent call last):
      ...
    ValueError: Normal needs sigma > 0, got sigma=-1.0
    """
    checked = _applicable(dist, values)
    if any(np.any(constraint.fails(name, values)) for name, constraint in checked):
        needs = " and ".join(constraint.text(name) for name, constraint in checked)
        read = {n for name, constraint in checked for n in constraint.names(name)}
        got = ", ".join(f"{n}={values[n]}" for n in dist.arg_names if n in read)
        raise ValueError(f"{type(dist).__name__} needs {needs}, got {got}")


def _first(bad):
    """Number of True values in ``bad`` and the index of the first one."""
    where = np.argwhere(np.atleast_1d(bad))[0]
    index = int(where[0]) if where.size == 1 else tuple(int(i) for i in where)
    return int(np.count_nonzero(bad)), index


def _values_at(names, arrays, index):
    """``"low=3, high=2.5"``, or the bare value for one argument, at ``index``."""
    values = [np.atleast_1d(arrays[n])[index] for n in names]
    if len(names) == 1:
        return f"{values[0]:g}"
    return ", ".join(f"{n}={v:g}" for n, v in zip(names, values))


def check_known(dist, known, node):
    """Check argument values known before fitting, elementwise.

    See :meth:`Distribution.check_arguments`, which calls it with the
    constant arguments added to ``known``.

    Parameters
    ----------
    dist : Distribution
    known : dict
        Values (scalars or arrays) of some arguments, by argument name.
    node : str
        The node whose distribution it is, named in messages.

    Raises
    ------
    TypeError
        If a value is not numeric.
    ValueError
        If a name is not an argument, a value is not finite, arrays do not
        broadcast, or a constraint fails; the message gives the number of
        bad values and the first one with its index.

    Examples
    --------
    >>> import pgmsim as pg
    >>> from pgmsim.distributions.constraints import check_known
    >>> check_known(pg.Poisson("mu"), {"mu": [2.0, -1.0]}, "N")
    Traceback (most recent call last):
      ...
    ValueError: node 'N': Poisson needs mu >= 0; 1 value(s) are not, first -1 at index 1
    """
    cls = type(dist).__name__
    arrays = {}
    for name, value in known.items():
        if name not in dist.arg_names:
            raise ValueError(f"node {node!r}: {cls} argument {name!r} is not one of "
                             f"({', '.join(dist.arg_names)})")
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"node {node!r}: {cls} argument {name} must be numeric, got "
                            f"dtype {array.dtype}")
        arrays[name] = array.astype(float)
        bad = ~np.isfinite(arrays[name])
        if bad.any():
            count, index = _first(bad)
            raise ValueError(f"node {node!r}: {cls} needs a finite {name}; {count} value(s) "
                             f"are not, first {_values_at([name], arrays, index)} at index "
                             f"{index}")
    try:
        arrays = dict(zip(arrays, np.broadcast_arrays(*arrays.values())))
    except ValueError:
        raise ValueError(f"node {node!r}: {cls} arguments {' and '.join(arrays)} do not "
                         "broadcast together, shapes "
                         f"{', '.join(str(a.shape) for a in arrays.values())}") from None
    for name, constraint in _applicable(dist, arrays):
        bad = constraint.fails(name, arrays)
        if bad.any():
            count, index = _first(bad)
            raise ValueError(f"node {node!r}: {cls} needs {constraint.text(name)}; {count} "
                             f"value(s) are not, first "
                             f"{_values_at(constraint.names(name), arrays, index)} at index "
                             f"{index}")
    if set(arrays) == set(dist.arg_names):
        bad = _unrepresentable(dist, *(arrays[n] for n in dist.arg_names))
        if np.any(bad):
            count, index = _first(bad)
            raise ValueError(f"node {node!r}: {cls}({', '.join(dist.arg_names)}) cannot be "
                             f"represented in float64 at {count} value(s), first "
                             f"{_values_at(dist.arg_names, arrays, index)} at index {index}")


def _typical_and_logpdf(dist, *params):
    with np.errstate(all="ignore"):
        point = np.asarray(dist._typical(*params), dtype=float)
        return point, np.asarray(dist._logpdf(point, *params), dtype=float)


def _unrepresentable(dist, *params):
    """Where the arguments are beyond float64 (see the module's docstring)."""
    if dist._typical is None:
        return False
    point, logpdf = _typical_and_logpdf(dist, *params)
    bad = ~np.isfinite(point) | ~np.isfinite(logpdf)
    if dist.discrete:
        bad |= np.abs(point) >= EXACT_INTEGER
    return bad


def check_representable(dist):
    """Refuse constant arguments beyond float64 (see the module's docstring).

    Parameters
    ----------
    dist : Distribution
        A distribution whose arguments are all numbers.

    Raises
    ------
    ValueError
        Naming the distribution with its arguments, the typical point and
        the log-density there.

    Examples
    --------
    >>> import pgmsim as pg
    >>> pg.Uniform(-1e308, 1e308)
    Traceback (most recent call last):
      ...
    ValueError: Uniform(-1e+308, 1e+308) cannot be represented in float64: at its typical value x=0 the log-density is -inf; rescale the variable (e.g. change its unit)
    """
    if not np.any(_unrepresentable(dist, *dist.args)):
        return
    point, logpdf = _typical_and_logpdf(dist, *dist.args)
    beyond = (" (a count beyond 2**53)" if dist.discrete and np.isfinite(point)
              and abs(point) >= EXACT_INTEGER else "")
    raise ValueError(f"{dist.text()} cannot be represented in float64: at its typical value "
                     f"x={float(point):g}{beyond} the log-density is {float(logpdf):g}; "
                     "rescale the variable (e.g. change its unit)")
