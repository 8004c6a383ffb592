r"""Finite mixtures of distributions of one variable, with weights that may name nodes.

``Mixture("f", [Normal("line", "sigma"), Normal(0, "sigma_bg")])`` is the
outlier model of Hogg, Bovy & Lang (2010, section 3): each point is on the
line with probability ``f``, from a broad background otherwise. The
log-density is a log-sum-exp over the components (no underflow where every
component is tiny); a draw picks the component first, then draws from it.
"""

from __future__ import annotations

import numpy as np

from ._format import format_number
from .base import Distribution
from .constraints import Constraint
from .moments import UndefinedQuantityError
from .truncated import node_or_number, unique_parents

__all__ = ["Mixture"]

#: a weight must be between 0 and 1
unit_interval = Constraint("0 <= {name} <= 1", lambda v: (v >= 0) & (v <= 1))
#: tolerance of the sum of the weights of a vector
WEIGHT_SUM_TOLERANCE = 1e-6


def _renamed(constraint, index):
    """A component's constraint with its arguments named ``name_<index>``."""
    other = None if constraint.other is None else f"{constraint.other}_{index}"
    return Constraint(constraint.template, constraint.holds, other)


class Mixture(Distribution):
    r"""A weighted sum of distributions of one variable: ``sum_c w_c p_c(x)``.

    Parameters
    ----------
    weights : float, sequence of float or str
        For two components, the weight ``w`` of the first (the second has
        ``1 - w``): a number in ``[0, 1]`` or the name of a node (a Beta or
        Uniform parameter). For ``C`` components, ``C`` numbers summing to 1,
        or the name of a node holding the ``C`` weights along its last axis
        (a Dirichlet vector parameter).
    components : sequence of Distribution
        Two or more distributions of one variable, all continuous or all of
        counts; their arguments may name nodes.

    Raises
    ------
    TypeError
        If a component is not a distribution of one variable, or the
        weights are neither numbers nor a node name.
    ValueError
        If there are fewer than two components, they mix continuous
        values and counts, an improper one is among them, or constant
        weights are outside ``[0, 1]``, do not sum to 1, or are not one per
        component.

    Notes
    -----
    Where the weights name a node, a point whose weights are outside
    ``[0, 1]`` or (a vector) do not sum to 1 within
    :data:`WEIGHT_SUM_TOLERANCE` has zero density.

    Examples
    --------
    >>> import pgmsim as pg
    >>> outliers = pg.Mixture("f", [pg.Normal("line", 1.0), pg.Normal(0.0, 10.0)])
    >>> outliers.parents
    ('f', 'line')
    >>> print(outliers.latex({"f": "f"}))
    f\,\mathcal{N}(line, 1) + (1 - f)\,\mathcal{N}(0, 10)
    >>> round(float(pg.Mixture(0.3, [pg.Normal(0, 1), pg.Normal(5, 1)]).mean()), 6)
    3.5
    """

    checks_support = True

    def __init__(self, weights, components):
        components = list(components) if not isinstance(components, Distribution) else None
        if components is None or len(components) < 2:
            raise ValueError("Mixture needs a list of two or more component distributions")
        for k, comp in enumerate(components, 1):
            if not isinstance(comp, Distribution) or comp.nvars != 1:
                raise TypeError(f"Mixture component {k} must be a distribution of one "
                                f"variable, got {comp!r}")
            if getattr(comp, "improper", False):
                raise ValueError(f"Mixture component {k} is the improper {comp.text()}: a "
                                 "mixture needs normalised components")
        if len({comp.discrete for comp in components}) > 1:
            kinds = ", ".join(f"{c.text()} ({'counts' if c.discrete else 'continuous'})"
                              for c in components)
            raise ValueError(f"Mixture components mix continuous values and counts: {kinds}")
        self.components = tuple(components)
        self.discrete = components[0].discrete
        ncomp = len(components)
        self.arg_constraints = {}
        if isinstance(weights, (str, int, float, np.number)) and not isinstance(weights, bool):
            weight = node_or_number("Mixture", "weights", weights)
            if ncomp == 2:
                names, self._weight_args = ("w",), (weight,)
                self.arg_constraints["w"] = unit_interval
            elif isinstance(weight, str):
                names, self._weight_args = ("weights",), (weight,)
            else:
                raise ValueError(f"Mixture of {ncomp} components needs {ncomp} weights or "
                                 f"the name of a node holding them, got {weights!r}")
        elif not isinstance(weights, (list, tuple, np.ndarray)):
            raise TypeError(f"Mixture weights must be a number, a sequence of numbers or the "
                            f"name of a node, got {type(weights).__name__} {weights!r}")
        else:
            values = tuple(node_or_number("Mixture", "weights", w) for w in weights)
            if len(values) != ncomp or any(isinstance(w, str) for w in values):
                raise ValueError(f"Mixture of {ncomp} components needs {ncomp} numbers as "
                                 f"weights, got {weights!r}")
            if not (all(0 <= w <= 1 for w in values)
                    and abs(sum(values) - 1.0) <= WEIGHT_SUM_TOLERANCE):
                raise ValueError(f"Mixture weights must be in [0, 1] and sum to 1, got "
                                 f"{weights!r} (sum {sum(values):g})")
            names = tuple(f"w_{k}" for k in range(1, ncomp + 1))
            self._weight_args = values
        self.arg_names, self.args = names, self._weight_args
        for k, comp in enumerate(components, 1):
            self.arg_names += tuple(f"{n}_{k}" for n in comp.arg_names)
            self.args += comp.args
            self.arg_constraints.update({f"{n}_{k}": _renamed(c, k)
                                         for n, c in comp.arg_constraints.items()})
        # a node of weights is a vector along its last axis
        self.arg_event_ndims = tuple(int(name == "weights") for name in self.arg_names)
        if "w" in self.arg_constraints and isinstance(self.args[0], float):
            if not 0 <= self.args[0] <= 1:
                raise ValueError(f"Mixture needs 0 <= w <= 1, got w={self.args[0]:g}")

    @property
    def parents(self):
        """Nodes named by the weights and by the components' arguments, each once."""
        return unique_parents(self.args)

    # -- the arguments: the weights, then each component's --------------------
    def _split(self, params, ndim=None):
        """The weights (one array per component) and each component's arguments.

        A vector of weights of shape ``(..., C)`` gives each weight the
        leading axes of the result: ``ndim`` axes in all (draws), or, by
        default, one more than it has (a column against a plate).
        """
        start = len(self._weight_args)
        given = params[:start]
        ncomp = len(self.components)
        if self.arg_names[0] == "w":
            weights = [given[0], 1.0 - np.asarray(given[0])]
        elif self.arg_names[0] == "weights":
            vector = np.asarray(given[0], dtype=float)
            if vector.shape[-1:] != (ncomp,):
                raise ValueError(f"Mixture weights {self.args[0]!r} must hold {ncomp} weights "
                                 f"along their last axis, got shape {vector.shape}")
            # a batch of walkers (nwalkers, C): one weight per walker, as a column
            pad = 1 if ndim is None else max(ndim - vector.ndim + 1, 0)
            weights = [vector[c] if vector.ndim == 1 else
                       vector[..., c].reshape(vector.shape[:-1] + (1,) * pad)
                       for c in range(ncomp)]
        else:
            weights = list(given)
        parts = []
        for comp in self.components:
            parts.append(tuple(params[start:start + len(comp.args)]))
            start += len(comp.args)
        return weights, parts

    def _valid(self, weights):
        """Where the weights are in [0, 1] and sum to 1."""
        total = sum(np.asarray(w) for w in weights)
        ok = np.abs(total - 1.0) <= WEIGHT_SUM_TOLERANCE
        for w in weights:
            ok = ok & (np.asarray(w) >= 0) & (np.asarray(w) <= 1)
        return ok

    # -- the distribution hooks --------------------------------------------------
    def _logpdf(self, x, *params):
        weights, parts = self._split(params)
        out = -np.inf
        with np.errstate(divide="ignore", invalid="ignore"):
            for w, comp, args in zip(weights, self.components, parts):
                term = np.log(np.where(np.asarray(w) > 0, w, 0.0)) + comp._logpdf(x, *args)
                out = np.logaddexp(out, np.where(np.isnan(term), -np.inf, term))
        return np.where(self._valid(weights), out, -np.inf)

    def _support(self, *params):
        _, parts = self._split(params)
        bounds = [comp._support(*args) for comp, args in zip(self.components, parts)]
        low = np.min(np.broadcast_arrays(*(b[0] for b in bounds)), axis=0)
        high = np.max(np.broadcast_arrays(*(b[1] for b in bounds)), axis=0)
        return tuple(float(s) if np.ndim(s) == 0 else s for s in (low, high))

    def _sample(self, rng, size, *params):
        _, parts = self._split(params)
        shape = np.broadcast_shapes(() if size is None else np.atleast_1d(size),
                                    *(np.shape(p) for args in parts for p in args))
        weights, _ = self._split(params, ndim=len(shape))
        shape = np.broadcast_shapes(shape, *(np.shape(w) for w in weights))
        # the component first: the first whose cumulative weight exceeds u
        u, chosen = rng.random(shape), np.zeros(shape, dtype=int)
        cumulative = 0.0
        for w in weights[:-1]:
            cumulative = cumulative + np.asarray(w)
            chosen += u >= cumulative
        out = np.zeros(shape)
        for c, (comp, args) in enumerate(zip(self.components, parts)):
            out = np.where(chosen == c, comp._sample(rng, shape, *args), out)
        return out if size is not None or out.ndim else float(out)

    def _cdf(self, x, *params):
        weights, parts = self._split(params)
        for comp in self.components:
            comp._needs("_cdf", "cdf")
        return sum(np.asarray(w) * comp._cdf_within(x, *args)
                   for w, comp, args in zip(weights, self.components, parts))

    def _component_moments(self, params):
        weights, parts = self._split(params)
        try:
            return weights, [(comp._quantity("mean", args), comp._quantity("variance", args))
                             for comp, args in zip(self.components, parts)]
        except UndefinedQuantityError as err:
            raise UndefinedQuantityError(f"Mixture has no mean or variance here: {err}") \
                from None

    def _mean(self, *params):
        weights, moments = self._component_moments(params)
        return sum(np.asarray(w) * mean for w, (mean, _) in zip(weights, moments))

    def _variance(self, *params):
        weights, moments = self._component_moments(params)
        second = sum(np.asarray(w) * (var + mean**2) for w, (mean, var) in zip(weights, moments))
        return second - self._mean(*params) ** 2

    # -- forms -------------------------------------------------------------------
    def validate_data(self, x, node):
        """Check observed values as the components do (integer counts for counts).

        Parameters
        ----------
        x : array_like
            The observed values.
        node : str
            The data node, named in error messages.

        Returns
        -------
        numpy.ndarray
            ``x`` as floats.

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Mixture(0.5, [pg.Poisson(1.0), pg.Poisson("mu")]).validate_data([0, 3], "N")
        array([0., 3.])
        """
        return self.components[0].validate_data(x, node)

    def _weight_forms(self, labels):
        first = self._weight_args[0]
        label = labels.get(first, first) if isinstance(first, str) else None
        if self.arg_names[0] == "w":
            if label is None:
                return [format_number(first), format_number(1.0 - first)]
            return [label, f"(1 - {label})"]
        if self.arg_names[0] == "weights":
            return [f"{label}_{{{k}}}" for k in range(1, len(self.components) + 1)]
        return [format_number(w) for w in self._weight_args]

    def latex(self, arg_labels=None):
        r"""LaTeX form: the weighted sum of the components.

        Parameters
        ----------
        arg_labels : dict, optional
            LaTeX label of each node named by an argument.

        Returns
        -------
        str

        Examples
        --------
        >>> import pgmsim as pg
        >>> print(pg.Mixture([0.2, 0.3, 0.5], [pg.Normal(0, 1)] * 3).latex())
        0.2\,\mathcal{N}(0, 1) + 0.3\,\mathcal{N}(0, 1) + 0.5\,\mathcal{N}(0, 1)
        """
        labels = arg_labels or {}
        return " + ".join(f"{w}\\,{comp.latex(labels)}"
                          for w, comp in zip(self._weight_forms(labels), self.components))

    def text(self):
        """Plain-text form, e.g. ``Mixture(f, [Normal(line, 1), Normal(0, 10)])``.

        Returns
        -------
        str

        Examples
        --------
        >>> import pgmsim as pg
        >>> pg.Mixture(0.9, [pg.Normal("a", 1), pg.Normal(0, 10)]).text()
        'Mixture(0.9, [Normal(a, 1), Normal(0, 10)])'
        """
        weights = [w if isinstance(w, str) else f"{w:g}" for w in self._weight_args]
        weights = weights[0] if len(weights) == 1 else f"[{', '.join(weights)}]"
        return f"Mixture({weights}, [{', '.join(c.text() for c in self.components)}])"

    def __repr__(self):
        weights = self._weight_args[0] if len(self._weight_args) == 1 else list(self._weight_args)
        return f"Mixture({weights!r}, {list(self.components)!r})"

    def __eq__(self, other):
        return (type(other) is Mixture and self._weight_args == other._weight_args
                and self.components == other.components)

    __hash__ = None
