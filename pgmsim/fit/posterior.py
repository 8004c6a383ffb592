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

import numpy as np

from ..graph.checks import nonfinite_error
from ..graph.evaluate import PriorTerm, Walk
from ..graph.nodes import NodeKind
from ..simulate import draw_priors
from ._posterior_checks import check_model, checked_values, plain
from ._fast_paths import GroupedPriors, MathPriors, in_chunks, prior_sum
from .interchange import PosteriorInterchange
from .optimize import find_map, grid
from ._packing import Packing

__all__ = ["Posterior", "BATCH_ELEMENTS"]

#: Most array elements (walkers x plate length) sent through the graph at
#: once: a batch of walkers on a plate of K elements is evaluated in chunks
#: of ``max(1, BATCH_ELEMENTS // K)`` walkers, so that each temporary array
#: (512 KiB of doubles by default) stays in the processor's cache. Read at
#: every call; measured with ``benchmarks/run.py``.
BATCH_ELEMENTS = 1 << 16


class Posterior(PosteriorInterchange):
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
        whose length disagrees with their plate, fixed inputs that break a
        distribution's constraints (a negative sigma), or a deterministic
        function that fails, does not broadcast over a batch of walkers, mixes
        walkers, returns no real numbers or changes its inputs in place (see
        :mod:`pgmsim.graph.checks`).

    Warns
    -----
    ModelWarning
        A parameter no data node depends on; a node that is NaN or infinite
        at prior draws.

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
        fixed, observed = checked_values(model, data, inputs)
        self.sizes = model.plate_sizes({**fixed, **observed})
        self.data = {
            n: model.node(n).distribution.validate_data(v, n)
            for n, v in observed.items()
        }
        self.inputs = fixed
        packing = self._packing = Packing(model, self.sizes)
        self.param_names, self.ndim = packing.names, packing.ndim
        self._params, self._param_shapes = packing.entries, packing.shapes
        self._compile(fixed)
        self._compile_hot_path()
        check_model(self)

    # ------------------------------------------------------------------
    # packing
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
        return self._packing.unpack(theta)

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
        return self._packing.pack(params)

    # ------------------------------------------------------------------
    # the graph as named steps and terms
    def _compile(self, fixed):
        # the data are known: deterministic nodes may read them
        self._constants = {**fixed, **self.data}
        for name, value in self.data.items():
            value.flags.writeable = False
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
                # a function of fixed inputs and data only: evaluated once, here
                value = np.asarray(step(self._constants), dtype=float)
                value.flags.writeable = False
                self._constants[step.name] = value
        self._priors = walk.priors
        self._factors = walk.factors
        self._likelihoods = [term.likelihood(self.data[term.name]) for term in walk.data]
        # prior draws walk the priors and the steps a prior's arguments may name
        self._draw_items = [item for item in walk.items
                            if isinstance(item, PriorTerm) or item in self._steps]
        self._prior_steps = _steps_needed(self._steps, {a for t in self._priors for a in t.args
                                                         if isinstance(a, str)})

    def _values(self, theta, batch):
        """Parameter values from theta; read-only ``(nwalkers, 1)`` columns for a batch."""
        values = dict(self._constants)
        if batch:
            theta = theta.view()
            theta.flags.writeable = False
        for name, where, on_plate in self._params:
            if batch:
                values[name] = theta[:, where] if on_plate else theta[:, where:where + 1]
            else:
                values[name] = theta[where]
        return self._packing.complete(values) if self._packing.simplex else values

    def _compile_hot_path(self):
        """The fast paths of :meth:`log_prob` (``._fast_paths``); the longest
        plate sets the chunk size of batches."""
        columns = {name: where for name, where, on_plate in self._params if not on_plate}
        numbers = {n: float(v) for n, v in self._constants.items() if np.ndim(v) == 0}
        self._math_priors = MathPriors(self._priors, columns, numbers)
        self._grouped_priors = GroupedPriors(self._priors, columns)
        lengths = [value.size for value in self.data.values()]
        self._plate_elements = max([1, *lengths, *self.sizes.values()])

    def _chunk(self):
        """Walkers per pass through the graph; see :data:`BATCH_ELEMENTS`."""
        return max(1, BATCH_ELEMENTS // self._plate_elements)

    def _prior_values(self, theta, batch):
        """Parameter values and the deterministic nodes that priors read."""
        values = self._values(theta, batch)
        for step in self._prior_steps:
            values[step.name] = step(values)
        return values

    def _prior_point(self, theta):
        """Log-prior of one point, the :mod:`math` path first; returns the
        parameter values when it computed them."""
        total = self._math_priors(theta.tolist())
        if not self._math_priors.terms:
            return total, None
        values = self._prior_values(theta, False)
        return total + prior_sum(self._math_priors.terms, values, False), values

    def _prior_batch(self, theta):
        """Log-prior of a batch, shape ``(nwalkers,)``."""
        total = self._grouped_priors(theta)
        if self._grouped_priors.terms:
            values = self._prior_values(theta, True)
            total = total + prior_sum(self._grouped_priors.terms, values, True)
        return total

    def _likelihood_batch(self, theta, rows=None):
        """Log-likelihood of the walkers ``theta[rows]`` (all when None), in
        chunks of :meth:`_chunk` walkers (see ``_fast_paths.in_chunks``)."""
        return in_chunks(theta, rows, self._chunk(),
                         lambda sub: self._likelihood_sum(self._values(sub, True)),
                         lambda row: self._likelihood_sum(self._values(row, False)))

    def _likelihood_sum(self, values):
        for step in self._steps:
            values[step.name] = step(values)
        total = 0.0
        for likelihood in self._likelihoods:
            total = total + likelihood(values)
        for factor in self._factors:
            total = total + factor(values)
        return total

    # ------------------------------------------------------------------
    # public densities
    def _as_theta(self, theta):
        return self._packing.as_theta(theta)

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
            lp = prior_sum(self._priors, self._prior_values(theta, batch), batch)
        lp = np.where(np.isnan(lp), -np.inf, lp)
        return lp if batch else float(lp)

    def log_likelihood(self, theta):
        """Sum of the log sampling densities of the observed data, and of the
        free terms of factor nodes (``m.factor``).

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
            theta = self._packing.real_theta(theta)
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
        if np.isnan(value).any():
            row = theta[np.flatnonzero(np.isnan(value))[0]] if batch else theta
            raise nonfinite_error(self._steps, self._likelihoods, self._values(row, False),
                                  plain(self.unpack(row)), self._factors)

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
        NotImplementedError
            If a prior's distribution cannot draw.

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
        draws = draw_priors(self._draw_items, np.random.default_rng(seed), n,
                            self._param_shapes, self._constants)
        return self._packing.theta_of(draws)

    def prior_transform(self, u):
        """Parameters from points of the unit cube, for nested sampling.

        The priors in topological order, each by its inverse CDF given the
        parameters before it; see :mod:`pgmsim.fit.prior_transform`.

        Parameters
        ----------
        u : array_like, shape (ndim,) or (n, ndim)

        Returns
        -------
        numpy.ndarray, shape (ndim,) or (n, ndim)
            Uniform ``u`` give draws of the prior.

        Raises
        ------
        ValueError
            If ``u`` is outside the cube; an improper prior or one without an
            inverse CDF (naming the parameter).

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Uniform(0.0, 10.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> m.posterior(data={"N": [3, 5, 4]}).prior_transform([0.25])
        array([2.5])
        """
        from .prior_transform import PriorTransform

        return PriorTransform(self)(u)

    def grid(self, x, y, x_values, y_values, at=None, chunk=2048):
        """Log-likelihood, log-prior and log-posterior maps on a grid of two
        parameters, the others held fixed.

        See :func:`pgmsim.fit.optimize.grid`, which raises ValueError for
        unknown parameters, bad grid values or missing values of the others.

        Parameters
        ----------
        x, y : str
            Names of two parameters (entries of :attr:`param_names`).
        x_values, y_values : array_like, shapes (nx,) and (ny,)
            Increasing grid values of ``x`` and ``y``.
        at : dict, MapResult or array_like of shape (ndim,), optional
            Values of the other parameters.
        chunk : int
            Number of grid points per vectorised call.

        Returns
        -------
        GridResult
            Log-likelihood, log-prior and log-posterior maps, shape ``(ny, nx)``.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> m = pg.Model("two")
        >>> _ = m.param("a", pg.Uniform(-10, 10)); _ = m.param("b", pg.Uniform(-10, 10))
        >>> _ = m.data("z", pg.Normal("a", 1.0)); _ = m.data("w", pg.Normal("b", 2.0))
        >>> post = m.posterior(data={"z": 1.0, "w": -1.0})
        >>> post.grid("a", "b", np.linspace(-4, 6, 101), np.linspace(-9, 7, 81)).log_posterior.shape
        (81, 101)
        """
        return grid(self, x, y, x_values, y_values, at=at, chunk=chunk)

    def find_map(self, initial=None, n_starts=4, seed=None, maxiter=None):
        """Maximise the log-posterior with ``scipy.optimize``.

        Powell's method from ``initial`` and from the best prior draws, in
        coordinates scaled by the prior widths; see
        :func:`pgmsim.fit.optimize.find_map`.

        Parameters
        ----------
        initial : dict or array_like of shape (ndim,), optional
            A starting point (ValueError if its posterior density is zero).
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


def _steps_needed(steps, names):
    """The steps, in order, that the nodes ``names`` depend on."""
    needed, wanted = [], set(names)
    for step in reversed(steps):
        if step.name in wanted:
            needed.append(step)
            wanted.update(step.parents)
    return needed[::-1]

