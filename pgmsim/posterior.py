"""The posterior density: parameter packing, log-prior, log-likelihood.

Everything here is on the sampler's hot path. A batch of walkers goes through
the graph in one pass: each scalar parameter is a ``(nwalkers, 1)`` column view
of ``theta`` that broadcasts against plate vectors of shape ``(K,)``.
Deterministic nodes that depend on fixed inputs only are evaluated once, and
data-only terms of the likelihood (``log N!``) are computed once per dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .nodes import NodeKind
from .simulate import check_inputs

__all__ = ["Posterior", "MapResult", "NonFiniteError"]


class NonFiniteError(ValueError):
    """A node produced NaN inside the prior support.

    Attributes
    ----------
    node : str
        The node at fault.
    params : dict
        The parameter values at which it happened.
    """

    def __init__(self, message, node, params):
        super().__init__(message)
        self.node = node
        self.params = params


@dataclass
class MapResult:
    """The maximum a posteriori point found by :meth:`Posterior.find_map`.

    Attributes
    ----------
    theta : numpy.ndarray
        Packed parameter vector, shape ``(ndim,)``.
    params : dict
        Parameter values by name.
    log_prob : float
        Log-posterior at ``theta``.
    success : bool
        Whether the optimiser reported convergence.
    message : str
        The optimiser's message.
    """

    theta: np.ndarray
    params: dict
    log_prob: float
    success: bool
    message: str


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

        Returns
        -------
        dict
            Scalars (or ``(nwalkers,)`` arrays) and plate vectors.
        """
        theta = np.asarray(theta, dtype=float)
        return {name: theta[..., where] for name, where, _ in self._params}

    def pack(self, params):
        """Packed vector from a dict of parameter values.

        Raises
        ------
        ValueError
            If a parameter is missing or has the wrong shape.
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
    # compilation of the graph into a list of steps
    def _compile(self, fixed):
        model = self.model
        self._constants = dict(fixed)
        for name, value in self.data.items():
            # data on no plate are stored as 1-vectors so that likelihood
            # sums always run over the last axis
            self.data[name] = value.reshape(-1) if value.ndim == 0 else value
        self._steps = []
        self._priors = []
        self._likelihoods = []
        dynamic = set(model.names(NodeKind.PARAMETER))
        for name in model.order:
            node = model.node(name)
            if node.kind is NodeKind.DETERMINISTIC:
                if dynamic.intersection(node.parents):
                    dynamic.add(name)
                    self._steps.append((name, node.func, node.parents))
                else:
                    value = node.func(**{p: self._constants[p] for p in node.parents})
                    self._constants[name] = np.asarray(value, dtype=float)
            elif node.kind is NodeKind.PARAMETER:
                # a joint prior gives one term, for all its parameters together
                group = model.prior_group(name)
                if name == group[0]:
                    dist = node.distribution
                    self._priors.append((group, dist._logpdf, dist.args))
            elif node.kind is NodeKind.DATA:
                dist = node.distribution
                loglike = dist.loglike(self.data[name])
                self._likelihoods.append((name, loglike, dist.args))

    def _values(self, theta, batch):
        """Parameter values from theta: ``(nwalkers, 1)`` columns for a batch."""
        values = dict(self._constants)
        for name, where, on_plate in self._params:
            if batch:
                values[name] = theta[:, where] if on_plate else theta[:, where:where + 1]
            else:
                values[name] = theta[where]
        return values

    def _prior_sum(self, values, batch):
        total = 0.0
        for names, logpdf, args in self._priors:
            params = [values[a] if isinstance(a, str) else a for a in args]
            lp = logpdf(*(values[n] for n in names), *params)
            total = total + (np.sum(lp, axis=-1) if batch else np.sum(lp))
        return total

    def _likelihood_sum(self, values):
        for name, func, parents in self._steps:
            values[name] = func(**{p: values[p] for p in parents})
        total = 0.0
        for name, loglike, args in self._likelihoods:
            params = [values[a] if isinstance(a, str) else a for a in args]
            total = total + loglike(*params)
        return total

    # ------------------------------------------------------------------
    # public densities
    def _as_theta(self, theta):
        theta = np.asarray(theta, dtype=float)
        if theta.ndim not in (1, 2) or theta.shape[-1] != self.ndim:
            raise ValueError(
                f"theta must have shape ({self.ndim},) or (nwalkers, {self.ndim}) "
                f"for parameters {self.param_names}, got shape {theta.shape}"
            )
        return theta, theta.ndim == 2

    def log_prior(self, theta):
        """Sum of the log-priors.

        Parameters
        ----------
        theta : array_like, shape (ndim,) or (nwalkers, ndim)

        Returns
        -------
        float or numpy.ndarray of shape (nwalkers,)
            ``-inf`` outside the support; never NaN.
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

        Returns
        -------
        float or numpy.ndarray of shape (nwalkers,)

        Raises
        ------
        NonFiniteError
            If a node produces NaN; the message names the node and the
            parameter values.
        """
        theta, batch = self._as_theta(theta)
        with np.errstate(all="ignore"):
            ll = self._likelihood_sum(self._values(theta, batch))
        self._check_nan(theta, ll, batch)
        return ll if batch else float(ll)

    def log_prob(self, theta):
        """Log-posterior (up to the evidence): log-prior plus log-likelihood.

        All walkers of a batch go through the graph in one pass. The
        likelihood is not evaluated where the prior is zero.

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
        """
        theta, batch = self._as_theta(theta)
        with np.errstate(all="ignore"):
            if not batch:
                values = self._values(theta, False)
                lp = self._prior_sum(values, False)
                if not lp > -np.inf:
                    return -np.inf
                out = lp + self._likelihood_sum(values)
                self._check_nan(theta, out, False)
                return float(out)
            values = self._values(theta, True)
            lp = self._prior_sum(values, True)
            inside = lp > -np.inf
            if inside.all():
                out = lp + self._likelihood_sum(values)
            else:
                out = np.full(len(theta), -np.inf)
                if inside.any():
                    sub = theta[inside]
                    out[inside] = lp[inside] + self._likelihood_sum(self._values(sub, True))
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
        for name, func, parents in self._steps:
            values[name] = np.asarray(func(**{p: values[p] for p in parents}))
            if np.isnan(values[name]).any():
                raise NonFiniteError(
                    f"node {name!r} returned NaN at parameters {params}: check its "
                    "function for divisions by zero or logs of negative numbers, or "
                    "restrict the priors", name, params)
        for name, loglike, args in self._likelihoods:
            bad = [a for a in args if isinstance(a, str) and not np.all(np.isfinite(values[a]))]
            if bad:
                raise NonFiniteError(
                    f"the sampling distribution of node {name!r} got non-finite "
                    f"values of {', '.join(map(repr, bad))} at parameters {params}",
                    bad[0], params)
        raise NonFiniteError(f"the log-posterior is NaN at parameters {params}",
                             None, params)

    def _check_shapes(self):
        """Call every function once for a point and once for a batch of two
        walkers, so that a function that does not broadcast fails here, with the
        node's name, rather than inside the sampler."""
        rng = np.random.default_rng(0)
        point = self.sample_prior(rng, 2)
        for theta, batch in ((point[0], False), (point, True)):
            values = self._values(theta, batch)
            for name, func, parents in self._steps:
                try:
                    with np.errstate(all="ignore"):
                        value = np.asarray(func(**{p: values[p] for p in parents}))
                except Exception as err:
                    how = "a batch of walkers (scalars of shape (nwalkers, 1))" \
                        if batch else "one point"
                    raise TypeError(
                        f"deterministic node {name!r} failed when called for {how}: "
                        f"{type(err).__name__}: {err}. Write it with numpy "
                        "operations that broadcast."
                    ) from err
                values[name] = value
                expected = self._expected_shape(name, batch)
                if expected is not None and np.broadcast_shapes(value.shape, expected) != expected:
                    raise ValueError(
                        f"deterministic node {name!r} returned shape {value.shape} for "
                        f"{'a batch of 2 walkers' if batch else 'one point'}; "
                        f"expected {expected}"
                    )

    def _expected_shape(self, name, batch):
        plate = self.model.node(name).plate
        if plate is None:
            return (2, 1) if batch else ()
        if plate not in self.sizes:
            return None
        return ((2,) if batch else ()) + (self.sizes[plate],)

    # ------------------------------------------------------------------
    # prior draws and optimisation
    def sample_prior(self, seed=None, n=1):
        """Packed parameter vectors drawn from the prior.

        Parameters
        ----------
        seed : int or numpy.random.Generator, optional
        n : int
            Number of draws.

        Returns
        -------
        numpy.ndarray, shape (n, ndim)
        """
        rng = np.random.default_rng(seed)
        draws = {}
        theta = np.empty((n, self.ndim))
        for name, where, on_plate in self._params:
            dist = self.model.node(name).distribution
            group = self.model.prior_group(name)
            if len(group) > 1:
                # a joint prior: draw all its parameters at once, at the first
                if name == group[0]:
                    joint = dist.sample(rng, size=n)
                    columns = {p: w for p, w, _ in self._params}
                    for k, member in enumerate(group):
                        draws[member] = joint[:, k]
                        theta[:, columns[member]] = joint[:, k]
                continue
            args = []
            for arg in dist.args:
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
            shape = (n, where.stop - where.start) if on_plate else (n,)
            draws[name] = dist.sample(rng, size=shape, params=args)
            theta[:, where] = draws[name]
        return theta

    def grid(self, x, y, x_values, y_values, at=None, chunk=2048):
        """Log-likelihood, log-prior and log-posterior maps on a grid of two
        parameters, the others held fixed.

        See :func:`pgmsim.grid.grid`.
        """
        from .grid import grid

        return grid(self, x, y, x_values, y_values, at=at, chunk=chunk)

    def find_map(self, initial=None, n_starts=4, seed=None, maxiter=None):
        """Maximise the log-posterior with ``scipy.optimize``.

        Starts from ``initial`` (if given) and from the best of many prior
        draws, runs Powell's method in coordinates scaled by the prior widths,
        and keeps the best end point.

        Parameters
        ----------
        initial : dict or array_like, optional
            A starting point.
        n_starts : int
            Number of starting points taken from the best prior draws.
        seed : int or numpy.random.Generator, optional
        maxiter : int, optional
            Iteration limit of each optimisation.

        Returns
        -------
        MapResult
        """
        rng = np.random.default_rng(seed)
        draws = self.sample_prior(rng, max(256, 8 * n_starts))
        lp = self.log_prob(draws)
        starts = list(draws[np.argsort(-lp)[:n_starts]])
        if initial is not None:
            start = self.pack(initial) if isinstance(initial, dict) else np.asarray(initial, float)
            self._as_theta(start)
            if not np.isfinite(self.log_prob(start)):
                raise ValueError(f"the initial point {initial} has zero posterior density")
            starts.insert(0, start)
        centre = np.median(draws, axis=0)
        scale = np.subtract(*np.percentile(draws, [84, 16], axis=0)) / 2
        scale = np.where(scale > 0, scale, 1.0)

        def objective(u):
            value = self.log_prob(centre + scale * u)
            return -value if np.isfinite(value) else 1e300

        best = None
        for start in starts:
            res = optimize.minimize(objective, (start - centre) / scale, method="Powell",
                                    options={"maxiter": maxiter, "xtol": 1e-6, "ftol": 1e-10})
            if best is None or res.fun < best.fun:
                best = res
        theta = centre + scale * best.x
        return MapResult(theta=theta, params=self.unpack(theta),
                         log_prob=self.log_prob(theta), success=bool(best.success),
                         message=str(best.message))
