"""The posterior density: parameter packing, log-prior, log-likelihood.

Everything here is on the sampler's hot path. A batch of walkers goes through
the graph together: each scalar parameter is a ``(nwalkers, 1)`` column view
of ``theta`` that broadcasts against plate vectors of shape ``(K,)``.
Deterministic nodes that depend on fixed inputs only are evaluated once, and
data-only terms of the likelihood (``log N!``) are computed once per dataset.

Batches are cut to the cache. On a large plate the temporaries of a whole
batch (``nwalkers x K`` doubles) no longer fit in the processor's cache, and
one pass over the batch becomes slower than a loop over its walkers (2-3x on
a 648x648 image). Walkers therefore go through the graph in chunks of at most
:data:`BATCH_ELEMENTS` array elements, i.e. ``BATCH_ELEMENTS // K`` walkers:
the whole batch on a 40x40 stamp, one walker at a time (as a single point, with
scalar parameters) on a full X-ray image. One point takes a path of its own:
its priors are evaluated with :mod:`math`, not numpy, which costs a microsecond
per call on a scalar. :class:`pgmsim.fit.parallel.ParallelLogProb` shares a batch
between threads.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import numpy as np

from ..graph.evaluate import Walk, check_inputs, check_steps
from ..graph.nodes import NodeKind
from .optimize import find_map, grid

__all__ = ["Posterior", "NonFiniteError", "BATCH_ELEMENTS"]

#: Most array elements (walkers x plate length) sent through the graph at
#: once: a batch of walkers on a plate of K elements is evaluated in chunks
#: of ``max(1, BATCH_ELEMENTS // K)`` walkers, so that each temporary array
#: (512 KiB of doubles by default) stays in the processor's cache. Read at
#: every call; measured with ``benchmarks/run.py``.
BATCH_ELEMENTS = 1 << 16


class NonFiniteError(ValueError):
    """A node produced NaN inside the prior support.

    Parameters
    ----------
    message : str
        What went wrong, naming the node and the parameter values.
    node : str or None
        The node at fault (``None`` when no single node is).
    params : dict
        The parameter values at which it happened: floats, or lists for
        parameters on a plate.

    Attributes
    ----------
    node : str or None
        The node at fault.
    params : dict
        The parameter values at which it happened.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> m = pg.Model("bad")
    >>> _ = m.param("a", pg.Uniform(-1, 1))
    >>> _ = m.deterministic("r", lambda a: np.log(a) + 2.0)
    >>> _ = m.data("z", pg.Normal("r", 1.0))
    >>> post = m.posterior(data={"z": 1.0})
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


class _MathPrior(NamedTuple):
    """The prior of one scalar parameter at one point, in :mod:`math`.

    It exists because a numpy call on a scalar costs about a microsecond, ten
    times the arithmetic. ``consts`` holds the numeric arguments (0.0 where an
    argument is a parameter), ``refs`` the ``theta`` column of each argument
    that is a parameter (``None`` when none is).
    """

    column: int
    logpdf: Callable
    consts: tuple
    refs: Optional[tuple]

    @classmethod
    def of(cls, term, columns, numbers):
        refs = tuple(columns.get(a) if isinstance(a, str) else None for a in term.args)
        consts = tuple(numbers.get(a, 0.0) if isinstance(a, str) else a for a in term.args)
        return cls(columns[term.names[0]], term.distribution._logpdf_scalar, consts,
                   refs if any(r is not None for r in refs) else None)


class _PriorGroup(NamedTuple):
    """The priors of several scalar parameters of one distribution class, for
    a batch.

    It exists because one numpy call on the ``(nwalkers, k)`` block of
    ``theta`` costs little more than one call on a column. ``args`` holds one
    array of the ``k`` values per argument.
    """

    logpdf: Callable
    columns: np.ndarray
    args: list

    @classmethod
    def of(cls, terms, columns):
        rows = [term.args for term in terms]
        return cls(terms[0].distribution._logpdf,
                   np.array([columns[term.names[0]] for term in terms]),
                   [np.array(a) for a in zip(*rows)])


class Posterior:
    """Log-posterior of a model's parameters given data and fixed inputs.

    Parameters
    ----------
    model : Model
    data : dict
        Observed values of every data node.
    inputs : dict, optional
        Values of every fixed input.

    Attributes
    ----------
    param_names : list of str
        Names of the entries of ``theta``; a parameter on a plate of size J
        gives ``name[0]`` ... ``name[J-1]``.
    ndim : int
        Length of ``theta``.

    Raises
    ------
    ValueError or TypeError
        Missing or unknown data or inputs, data outside the sampling
        distribution's support (negative, non-integer or NaN counts), vectors
        whose length disagrees with their plate, or a deterministic function
        that does not broadcast over a batch of walkers.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": [3, 5, 4]})
    >>> post.param_names, post.ndim
    (['lam'], 1)
    >>> float(post.log_prob(np.array([[4.0], [-1.0]]))[1])
    -inf
    """

    def __init__(self, model, data, inputs=None):
        self.model = model
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
        self.sizes = model.plate_sizes({**fixed, **observed})
        self.data = {
            n: model.node(n).distribution.validate_data(v, n)
            for n, v in observed.items()
        }
        self.inputs = fixed
        self._pack_parameters()
        self._compile(fixed)
        self._compile_hot_path()
        self._check_shapes()

    # ------------------------------------------------------------------
    # packing
    def _pack_parameters(self):
        self.param_names = []
        self._params = []  # (name, slice or index, on a plate?)
        self._param_shapes = {}
        for name in self.model.names(NodeKind.PARAMETER):
            plate = self.model.node(name).plate
            start = len(self.param_names)
            if plate is None:
                self.param_names.append(name)
                self._params.append((name, start, False))
                self._param_shapes[name] = ()
                continue
            if plate not in self.sizes:
                raise ValueError(
                    f"parameter {name!r} lives on plate {plate!r} whose size is "
                    "unknown: declare it with m.plate(name, size=...) or pass an "
                    "input or data vector on that plate"
                )
            size = self.sizes[plate]
            self.param_names.extend(f"{name}[{i}]" for i in range(size))
            self._params.append((name, slice(start, start + size), True))
            self._param_shapes[name] = (size,)
        self.ndim = len(self.param_names)
        if self.ndim == 0:
            raise ValueError(f"model {self.model.name!r} has no parameters to infer")

    def unpack(self, theta):
        """Parameter values by name from a packed vector (or batch).

        Parameters
        ----------
        theta : array_like, shape (ndim,) or (nwalkers, ndim)
            Packed parameter vector(s), entries in the order of
            :attr:`param_names`.

        Returns
        -------
        dict
            Scalars (or ``(nwalkers,)`` arrays) and plate vectors of shape
            ``(J,)`` (or ``(nwalkers, J)``), by parameter name.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("groups")
        >>> _ = m.plate("g", size=3)
        >>> _ = m.param("mu", pg.Normal(0.0, 10.0))
        >>> _ = m.param("a", pg.Normal("mu", 1.0), plate="g")
        >>> _ = m.data("z", pg.Normal("a", 1.0), plate="g")
        >>> post = m.posterior(data={"z": [0.5, 1.0, 1.5]})
        >>> post.param_names
        ['mu', 'a[0]', 'a[1]', 'a[2]']
        >>> values = post.unpack([1.0, 0.5, 1.0, 1.5])
        >>> float(values["mu"]), values["a"]
        (1.0, array([0.5, 1. , 1.5]))
        >>> post.unpack(np.zeros((5, 4)))["a"].shape
        (5, 3)
        """
        theta = np.asarray(theta, dtype=float)
        return {name: theta[..., where] for name, where, _ in self._params}

    def pack(self, params):
        """Packed vector from a dict of parameter values.

        The inverse of :meth:`unpack` for one point.

        Parameters
        ----------
        params : dict
            A value for every parameter: a float, or an array of shape
            ``(J,)`` for a parameter on a plate of size J.

        Returns
        -------
        numpy.ndarray, shape (ndim,)
            Entries in the order of :attr:`param_names`.

        Raises
        ------
        ValueError
            If a parameter is missing, unknown or has the wrong shape.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("groups")
        >>> _ = m.plate("g", size=3)
        >>> _ = m.param("mu", pg.Normal(0.0, 10.0))
        >>> _ = m.param("a", pg.Normal("mu", 1.0), plate="g")
        >>> _ = m.data("z", pg.Normal("a", 1.0), plate="g")
        >>> post = m.posterior(data={"z": [0.5, 1.0, 1.5]})
        >>> post.pack({"mu": 1.0, "a": [0.5, 1.0, 1.5]})
        array([1. , 0.5, 1. , 1.5])
        >>> post.pack({"mu": 1.0, "a": [0.5, 1.0]})
        Traceback (most recent call last):
            ...
        ValueError: parameter 'a' must have shape (3,), got (2,)
        """
        theta = np.empty(self.ndim)
        unknown = set(params) - set(self._param_shapes)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {sorted(unknown)}; parameters are "
                f"{list(self._param_shapes)}"
            )
        for name, where, _ in self._params:
            if name not in params:
                raise ValueError(f"no value for parameter {name!r}")
            value = np.asarray(params[name], dtype=float)
            if value.shape != self._param_shapes[name]:
                raise ValueError(
                    f"parameter {name!r} must have shape {self._param_shapes[name]}, "
                    f"got {value.shape}"
                )
            theta[where] = value
        return theta

    # ------------------------------------------------------------------
    # the graph as named steps and terms
    def _compile(self, fixed):
        self._constants = dict(fixed)
        for name, value in self.data.items():
            # data on no plate are stored as 1-vectors so that likelihood
            # sums always run over the last axis
            self.data[name] = value.reshape(-1) if value.ndim == 0 else value
        walk = Walk.of(self.model)
        dynamic = set(self.model.names(NodeKind.PARAMETER))
        self._steps = []
        for step in walk.steps:
            if dynamic.intersection(step.parents):
                dynamic.add(step.name)
                self._steps.append(step)
            else:
                # a function of fixed inputs only: evaluated once, here
                self._constants[step.name] = np.asarray(step(self._constants), dtype=float)
        self._priors = walk.priors
        self._likelihoods = [term.likelihood(self.data[term.name]) for term in walk.data]

    def _values(self, theta, batch):
        """Parameter values from theta: ``(nwalkers, 1)`` columns for a batch."""
        values = dict(self._constants)
        for name, where, on_plate in self._params:
            if batch:
                values[name] = theta[:, where] if on_plate else theta[:, where:where + 1]
            else:
                values[name] = theta[where]
        return values

    def _compile_hot_path(self):
        """Sort the prior terms into the fast paths of :meth:`log_prob`.

        * One point: the prior of a scalar parameter whose arguments are
          numbers or scalar parameters is a :class:`_MathPrior`.
        * A batch: scalar parameters whose priors have numeric arguments are
          a :class:`_PriorGroup` per distribution class.
        * Other priors (on plates, joint, hierarchical in a batch) are summed
          term by term, :meth:`_prior_sum`.
        * The longest plate sets the chunk size of batches.
        """
        columns = {name: where for name, where, on_plate in self._params if not on_plate}
        numbers = {n: float(v) for n, v in self._constants.items() if np.ndim(v) == 0}
        self._math_priors, self._point_terms = [], []
        self._batch_terms, groups = [], {}
        for term in self._priors:
            dist = term.distribution
            scalar = len(term.names) == 1 and term.names[0] in columns
            if scalar and all(not isinstance(a, str) or a in columns or a in numbers
                              for a in term.args):
                self._math_priors.append(_MathPrior.of(term, columns, numbers))
            else:
                self._point_terms.append(term)
            # one call per distribution class: only for stateless distributions
            # (their density depends on the arguments alone) with numeric arguments
            if scalar and set(vars(dist)) == {"args"} and not dist.parents:
                groups.setdefault(type(dist), []).append(term)
            else:
                self._batch_terms.append(term)
        self._prior_groups = [_PriorGroup.of(terms, columns) for terms in groups.values()]
        lengths = [value.size for value in self.data.values()]
        self._plate_elements = max([1, *lengths, *self.sizes.values()])

    def _chunk(self):
        """Walkers per pass through the graph; see :data:`BATCH_ELEMENTS`."""
        return max(1, BATCH_ELEMENTS // self._plate_elements)

    def _prior_point(self, theta):
        """Log-prior of one point from the :mod:`math` fast path, plus the
        other terms; returns the parameter values when it computed them."""
        point = theta.tolist()
        total = 0.0
        for col, logpdf, consts, refs in self._math_priors:
            if refs is None:
                total += logpdf(point[col], *consts)
            else:
                total += logpdf(point[col], *[c if r is None else point[r]
                                              for c, r in zip(consts, refs)])
        if not self._point_terms:
            return total, None
        values = self._values(theta, False)
        return total + self._prior_sum(values, False, self._point_terms), values

    def _prior_batch(self, theta):
        """Log-prior of a batch, shape ``(nwalkers,)``."""
        total = np.zeros(len(theta))
        for logpdf, cols, args in self._prior_groups:
            total += logpdf(theta[:, cols], *args).sum(axis=1)
        if self._batch_terms:
            values = self._values(theta, True)
            total = total + self._prior_sum(values, True, self._batch_terms)
        return total

    def _likelihood_batch(self, theta, rows=None):
        """Log-likelihood of the walkers ``theta[rows]`` (all when None), in
        chunks of :meth:`_chunk` walkers; ``theta[start:stop]`` slices are
        views, so the parameter columns are views of ``theta``. Chunks of one
        walker take the one-point path (scalars are cheaper than ``(1, 1)``
        columns), so that a batch is never slower than a loop of calls."""
        n = len(theta) if rows is None else len(rows)
        chunk = self._chunk()
        if n <= chunk:
            sub = theta if rows is None else theta[rows]
            return self._likelihood_sum(self._values(sub, True))
        out = np.empty(n)
        if chunk == 1:
            for i, row in enumerate(theta if rows is None else theta[rows]):
                out[i] = self._likelihood_sum(self._values(row, False))
            return out
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            sub = theta[start:stop] if rows is None else theta[rows[start:stop]]
            out[start:stop] = self._likelihood_sum(self._values(sub, True))
        return out

    def _prior_sum(self, values, batch, terms=None):
        total = 0.0
        for term in self._priors if terms is None else terms:
            lp = term.logpdf(values)
            total = total + (np.sum(lp, axis=-1) if batch else np.sum(lp))
        return total

    def _likelihood_sum(self, values):
        for step in self._steps:
            values[step.name] = step(values)
        total = 0.0
        for likelihood in self._likelihoods:
            total = total + likelihood(values)
        return total

    # ------------------------------------------------------------------
    # public densities
    def _as_theta(self, theta):
        theta = np.asarray(theta)
        if theta.dtype != np.float64:
            theta = self._real_theta(theta)
        if theta.ndim not in (1, 2) or theta.shape[-1] != self.ndim:
            raise ValueError(
                f"theta must have shape ({self.ndim},) or (nwalkers, {self.ndim}) "
                f"for parameters {self.param_names}, got shape {theta.shape}"
            )
        return theta, theta.ndim == 2

    def _real_theta(self, theta):
        """theta of another dtype than float64: converted, or a clear error."""
        if theta.dtype.kind in "biufO":
            try:
                return theta.astype(float)
            except (TypeError, ValueError) as err:
                raise TypeError(
                    f"theta must hold real numbers for parameters {self.param_names}: "
                    f"{err}") from err
        raise TypeError(
            f"theta must hold real numbers for parameters {self.param_names}, got "
            f"dtype {theta.dtype}")

    def log_prior(self, theta):
        """Sum of the log-priors.

        Parameters
        ----------
        theta : array_like, shape (ndim,) or (nwalkers, ndim)
            One packed parameter vector, or one per walker.

        Returns
        -------
        float or numpy.ndarray of shape (nwalkers,)
            ``-inf`` outside the support; never NaN.

        Examples
        --------
        The Gamma(2, 1) density is ``lam * exp(-lam)``:

        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> round(post.log_prior([4.0]), 4), round(float(np.log(4.0) - 4.0), 4)
        (-2.6137, -2.6137)
        >>> post.log_prior([[4.0], [-1.0]])
        array([-2.61370564,        -inf])
        """
        theta, batch = self._as_theta(theta)
        with np.errstate(all="ignore"):
            lp = self._prior_sum(self._values(theta, batch), batch)
        lp = np.where(np.isnan(lp), -np.inf, lp)
        return lp if batch else float(lp)

    def log_likelihood(self, theta):
        """Sum of the log sampling densities of the observed data.

        Parameters
        ----------
        theta : array_like, shape (ndim,) or (nwalkers, ndim)
            One packed parameter vector, or one per walker.

        Returns
        -------
        float or numpy.ndarray of shape (nwalkers,)
            The log-likelihood, including data-only terms such as
            ``-log N!``.

        Raises
        ------
        NonFiniteError
            If a node produces NaN; the message names the node and the
            parameter values.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> from scipy import stats
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> ll = post.log_likelihood([4.0])
        >>> bool(np.isclose(ll, stats.poisson.logpmf([3, 5, 4], 4.0).sum()))
        True
        >>> post.log_likelihood(np.array([[3.0], [4.0], [5.0]])).shape
        (3,)
        """
        theta, batch = self._as_theta(theta)
        with np.errstate(all="ignore"):
            if batch:
                ll = self._likelihood_batch(theta)
            else:
                ll = self._likelihood_sum(self._values(theta, False))
        self._check_nan(theta, ll, batch)
        return ll if batch else float(ll)

    def log_prob(self, theta):
        """Log-posterior (up to the evidence): log-prior plus log-likelihood.

        The walkers of a batch go through the graph together, in chunks
        sized to the cache (see :data:`BATCH_ELEMENTS`). The likelihood is
        not evaluated where the prior is zero.

        Parameters
        ----------
        theta : array_like, shape (ndim,) or (nwalkers, ndim)

        Returns
        -------
        float or numpy.ndarray of shape (nwalkers,)
            ``-inf`` outside the prior support.

        Raises
        ------
        NonFiniteError
            If a node produces NaN inside the prior support.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> round(post.log_prob([4.0]), 4)
        -7.7355
        >>> post.log_prob([[4.0], [-1.0]])
        array([-7.73547835,        -inf])
        """
        theta = np.asarray(theta)
        if theta.dtype != np.float64:
            theta = self._real_theta(theta)
        if theta.shape == (self.ndim,):
            with np.errstate(all="ignore"):
                lp, values = self._prior_point(theta)
                if not lp > -np.inf:
                    return -np.inf
                if values is None:
                    values = self._values(theta, False)
                out = lp + self._likelihood_sum(values)
                if out != out:
                    self._check_nan(theta, out, False)
            return float(out)
        theta, _ = self._as_theta(theta)
        with np.errstate(all="ignore"):
            lp = self._prior_batch(theta)
            inside = lp > -np.inf
            if inside.all():
                out = lp + self._likelihood_batch(theta)
            else:
                out = np.full(len(theta), -np.inf)
                rows = np.flatnonzero(inside)
                if rows.size:
                    out[rows] = lp[rows] + self._likelihood_batch(theta, rows)
            self._check_nan(theta, out, True)
        return out

    __call__ = log_prob

    # ------------------------------------------------------------------
    # diagnosis, off the hot path
    def _check_nan(self, theta, value, batch):
        if not np.isnan(value).any():
            return
        row = theta[np.flatnonzero(np.isnan(value))[0]] if batch else theta
        params = {k: (v.tolist() if np.ndim(v) else float(v))
                  for k, v in self.unpack(row).items()}
        values = self._values(row, False)
        for step in self._steps:
            values[step.name] = np.asarray(step(values))
            if np.isnan(values[step.name]).any():
                raise NonFiniteError(
                    f"node {step.name!r} returned NaN at parameters {params}: check its "
                    "function for divisions by zero or logs of negative numbers, or "
                    "restrict the priors", step.name, params)
        for likelihood in self._likelihoods:
            term = likelihood.term
            bad = [a for a in term.args if isinstance(a, str) and not np.all(np.isfinite(values[a]))]
            if bad:
                raise NonFiniteError(
                    f"the sampling distribution of node {term.name!r} got non-finite "
                    f"values of {', '.join(map(repr, bad))} at parameters {params}",
                    bad[0], params)
        raise NonFiniteError(f"the log-posterior is NaN at parameters {params}",
                             None, params)

    def _check_shapes(self):
        """Call every function once for a point and once for a batch of two
        walkers, so that a function that does not broadcast fails here, with the
        node's name, rather than inside the sampler."""
        point = self.sample_prior(np.random.default_rng(0), 2)
        check_steps(self._steps, self._values(point[0], False),
                    lambda name: self._expected_shape(name, ()))
        check_steps(self._steps, self._values(point, True),
                    lambda name: self._expected_shape(name, (2,)), walkers=2)

    def _expected_shape(self, name, walkers):
        plate = self.model.node(name).plate
        if plate is None:
            return walkers + (1,) if walkers else ()
        if plate not in self.sizes:
            return None
        return walkers + (self.sizes[plate],)

    # ------------------------------------------------------------------
    # prior draws and optimisation
    def sample_prior(self, seed=None, n=1):
        """Packed parameter vectors drawn from the prior.

        Parameters
        ----------
        seed : int or numpy.random.Generator, optional
            Seed of ``numpy.random.default_rng``, or a generator to draw from.
        n : int
            Number of draws.

        Returns
        -------
        numpy.ndarray, shape (n, ndim)
            One packed parameter vector per row; hierarchical priors are
            drawn after the parameters they depend on, joint priors for all
            their parameters at once.

        Raises
        ------
        ValueError
            If a prior's argument is a deterministic function of parameters
            (give initial values instead).

        Examples
        --------
        The mean of the Gamma(2, 1) prior is 2:

        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> draws = post.sample_prior(seed=1, n=4000)
        >>> draws.shape
        (4000, 1)
        >>> bool(abs(draws.mean() - 2.0) < 0.1)
        True
        """
        rng = np.random.default_rng(seed)
        draws = {}
        for term in self._priors:
            name = term.names[0]
            on_plate = self._param_shapes[name] != ()
            args = []
            for arg in term.args:
                if not isinstance(arg, str):
                    args.append(arg)
                elif arg in draws:
                    value = draws[arg]
                    args.append(value[:, None] if on_plate and value.ndim == 1 else value)
                elif arg in self._constants:
                    args.append(self._constants[arg])
                else:
                    raise ValueError(
                        f"cannot draw parameter {name!r} from its prior: its argument "
                        f"{arg!r} is a deterministic function of parameters; give "
                        "initial values instead")
            draws.update(term.draw(rng, (n, *self._param_shapes[name]), args))
        theta = np.empty((n, self.ndim))
        for name, where, _ in self._params:
            theta[:, where] = draws[name]
        return theta

    def grid(self, x, y, x_values, y_values, at=None, chunk=2048):
        """Log-likelihood, log-prior and log-posterior maps on a grid of two
        parameters, the others held fixed.

        See :func:`pgmsim.fit.optimize.grid`.

        Parameters
        ----------
        x, y : str
            Names of two parameters (entries of :attr:`param_names`).
        x_values, y_values : array_like, shapes (nx,) and (ny,)
            Increasing grid values of ``x`` and ``y``.
        at : dict, MapResult or array_like of shape (ndim,), optional
            Values of the other parameters; needed unless the model has
            only these two parameters.
        chunk : int
            Number of grid points per vectorised call.

        Returns
        -------
        GridResult
            Log-likelihood, log-prior and normalised log-posterior maps of
            shape ``(ny, nx)``.

        Raises
        ------
        ValueError
            Unknown or equal parameter names, bad grid values, missing values
            of the other parameters, or a posterior that is zero on the whole
            grid.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("two")
        >>> _ = m.param("a", pg.Uniform(-10, 10)); _ = m.param("b", pg.Uniform(-10, 10))
        >>> _ = m.data("z", pg.Normal("a", 1.0)); _ = m.data("w", pg.Normal("b", 2.0))
        >>> post = m.posterior(data={"z": 1.0, "w": -1.0})
        >>> g = post.grid("a", "b", np.linspace(-4, 6, 101), np.linspace(-9, 7, 81))
        >>> g.log_posterior.shape
        (81, 101)
        >>> i, j = np.unravel_index(np.argmax(g.log_posterior), g.log_posterior.shape)
        >>> float(g.x_values[j]), float(g.y_values[i])
        (1.0, -1.0)
        """
        return grid(self, x, y, x_values, y_values, at=at, chunk=chunk)

    def find_map(self, initial=None, n_starts=4, seed=None, maxiter=None):
        """Maximise the log-posterior with ``scipy.optimize``.

        See :func:`pgmsim.fit.optimize.find_map`: Powell's method from
        ``initial`` and from the best prior draws, in coordinates scaled by
        the prior widths.

        Parameters
        ----------
        initial : dict or array_like of shape (ndim,), optional
            A starting point: parameter values by name, or a packed vector.
        n_starts : int
            Number of starting points taken from the best prior draws.
        seed : int or numpy.random.Generator, optional
            Seed of the prior draws.
        maxiter : int, optional
            Iteration limit of each optimisation.

        Returns
        -------
        MapResult
            The best end point, its parameter values and log-posterior.

        Raises
        ------
        ValueError
            If ``initial`` has the wrong shape or zero posterior density.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("two")
        >>> _ = m.param("a", pg.Uniform(-10, 10)); _ = m.param("b", pg.Uniform(-10, 10))
        >>> _ = m.data("z", pg.Normal("a", 1.0)); _ = m.data("w", pg.Normal("b", 2.0))
        >>> post = m.posterior(data={"z": 1.0, "w": -1.0})
        >>> best = post.find_map(initial={"a": 0.0, "b": 0.0}, seed=0)
        >>> np.round(best.theta, 4), best.success
        (array([ 1., -1.]), True)
        """
        return find_map(self, initial=initial, n_starts=n_starts, seed=seed, maxiter=maxiter)
