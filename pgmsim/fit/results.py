"""Samples, summaries (astropy Table), diagnostics; plots (:mod:`pgmsim.fit.plots`) and
conversions to ArviZ and pandas (:mod:`.convert`)."""

from __future__ import annotations

import warnings

import numpy as np

from ..graph.units import unit_text
from . import diagnostics
from .convert import ResultConversions
from .diagnostics import ConvergenceWarning

__all__ = ["SamplingResult"]


class SamplingResult(ResultConversions):
    """The output of :func:`pgmsim.sample`.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)
    log_prob : numpy.ndarray, shape (nsteps, nwalkers)
    acceptance_fraction : numpy.ndarray, shape (nwalkers,)
    param_names : list of str
    posterior : Posterior, optional
        The density that was sampled (for labels, units and predictive
        draws); without it (a result loaded from a checkpoint alone) the
        parameters are labelled by name, without units.

    Attributes
    ----------
    chain, log_prob, acceptance_fraction, param_names, posterior

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("gauss")
    >>> _ = m.param("mu", pg.Normal(0, 10)); _ = m.param("sigma", pg.HalfNormal(5))
    >>> _ = m.data("y", pg.Normal("mu", "sigma"), plate="obs")
    >>> post = m.posterior(data={"y": [1.2, 0.4, 2.1, 1.5, 0.9]})
    >>> res = pg.sample(post, nwalkers=8, nsteps=400, seed=1, progress=False)
    >>> res
    <SamplingResult: 400 steps x 8 walkers x 2 parameters, mean acceptance ...>
    >>> res.chain.shape, res.log_prob.shape, res.acceptance_fraction.shape
    ((400, 8, 2), (400, 8), (8,))
    """

    def __init__(self, chain, log_prob, acceptance_fraction, param_names, posterior=None):
        self.chain = np.asarray(chain)
        self.log_prob = np.asarray(log_prob)
        self.acceptance_fraction = np.asarray(acceptance_fraction)
        self.param_names = list(param_names)
        self.posterior = posterior

    @classmethod
    def from_sampler(cls, sampler, posterior):
        """Collect the chain of an :class:`emcee.EnsembleSampler`.

        Parameters
        ----------
        sampler : emcee.EnsembleSampler
            A sampler of ``posterior.log_prob`` that has run.
        posterior : Posterior
            The density it sampled: its parameter names label the result.

        Returns
        -------
        SamplingResult
            The steps done so far.

        Examples
        --------
        >>> import emcee, pgmsim as pg
        >>> m = pg.Model("gauss")
        >>> _ = m.param("mu", pg.Normal(0, 10)); _ = m.param("sigma", pg.HalfNormal(5))
        >>> _ = m.data("y", pg.Normal("mu", "sigma"), plate="obs")
        >>> post = m.posterior(data={"y": [1.2, 0.4, 2.1, 1.5, 0.9]})
        >>> sampler = emcee.EnsembleSampler(8, post.ndim, post.log_prob, vectorize=True)
        >>> _ = sampler.run_mcmc(post.sample_prior(seed=0, n=8), 50)
        >>> pg.SamplingResult.from_sampler(sampler, post).param_names
        ['mu', 'sigma']
        """
        n = sampler.iteration
        return cls(sampler.get_chain()[:n], sampler.get_log_prob()[:n],
                   sampler.acceptance_fraction, posterior.param_names, posterior)

    @property
    def nsteps(self):
        return self.chain.shape[0]

    @property
    def nwalkers(self):
        return self.chain.shape[1]

    @property
    def ndim(self):
        return self.chain.shape[2]

    @property
    def burn_in(self):
        """The default burn-in: 5 autocorrelation times, at most half the chain.

        See :func:`pgmsim.fit.diagnostics.burn_in`.
        """
        return diagnostics.burn_in(self.chain)

    def _discard(self, discard):
        if discard is None:
            return self.burn_in
        if not 0 <= discard < self.nsteps:
            raise ValueError(f"discard must be in [0, {self.nsteps}), got {discard}")
        return int(discard)

    def get_chain(self, discard=0, thin=1, flat=False):
        """The chain, after burn-in and thinning.

        Parameters
        ----------
        discard : int
            Steps dropped from the start (burn-in).
        thin : int
            Keep every ``thin``-th step, starting with step ``discard``
            (emcee's ``get_chain`` starts with step ``discard + thin - 1``).
        flat : bool
            Merge walkers: shape ``(nsamples, ndim)``.

        Returns
        -------
        numpy.ndarray
            Shape ``(nsteps', nwalkers, ndim)``, or ``(nsteps' * nwalkers,
            ndim)`` with ``flat=True``.

        Raises
        ------
        ValueError
            If ``discard`` is outside the chain or ``thin`` is not a positive
            integer.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("gauss")
        >>> _ = m.param("mu", pg.Normal(0, 10)); _ = m.param("sigma", pg.HalfNormal(5))
        >>> _ = m.data("y", pg.Normal("mu", "sigma"), plate="obs")
        >>> post = m.posterior(data={"y": [1.2, 0.4, 2.1, 1.5, 0.9]})
        >>> res = pg.sample(post, nwalkers=8, nsteps=400, seed=1, progress=False)
        >>> res.get_chain().shape, res.get_chain(discard=100, thin=10, flat=True).shape
        ((400, 8, 2), (240, 2))
        """
        if isinstance(thin, bool) or int(thin) != thin or thin < 1:
            raise ValueError(f"thin must be a positive integer, got {thin!r}")
        chain = self.chain[self._discard(discard)::int(thin)]
        return chain.reshape(-1, self.ndim) if flat else chain

    def flat_samples(self, discard=None, thin=1, drop_stuck=False):
        """Posterior samples with walkers merged, shape ``(nsamples, ndim)``.

        Parameters
        ----------
        discard : int, optional
            Burn-in steps to drop; :attr:`burn_in` (5 autocorrelation times)
            by default.
        thin : int
            Keep every ``thin``-th step.
        drop_stuck : bool
            Leave out the stuck and lost walkers (see :meth:`problems`),
            with a :class:`~pgmsim.fit.diagnostics.ConvergenceWarning` that
            names them. Their samples are kept by default.

        Returns
        -------
        numpy.ndarray
            Shape ``(nsamples, ndim)``, columns in the order of
            ``param_names``.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("gauss")
        >>> _ = m.param("mu", pg.Normal(0, 10)); _ = m.param("sigma", pg.HalfNormal(5))
        >>> _ = m.data("y", pg.Normal("mu", "sigma"), plate="obs")
        >>> post = m.posterior(data={"y": [1.2, 0.4, 2.1, 1.5, 0.9]})
        >>> res = pg.sample(post, nwalkers=8, nsteps=400, seed=1, progress=False)
        >>> res.flat_samples().shape == ((400 - res.burn_in) * 8, 2)
        True
        """
        chain = self.get_chain(discard=self._discard(discard), thin=thin)
        if drop_stuck:
            bad = self._bad_walkers()
            if len(bad):
                warnings.warn(f"walkers {', '.join(map(str, bad))} (stuck or lost) are "
                              f"left out of the samples", ConvergenceWarning, stacklevel=2)
                chain = np.delete(chain, bad, axis=1)
        return chain.reshape(-1, self.ndim)

    def _bad_walkers(self):
        kept = self.log_prob[self.burn_in:]
        return np.union1d(diagnostics.stuck_walkers(self.acceptance_fraction),
                          diagnostics.lost_walkers(kept)).astype(int)

    @property
    def autocorr_time(self):
        """Integrated autocorrelation time of each parameter, in steps.

        Computed on the chain after the default burn-in. A chain shorter than
        50 autocorrelation times gives a
        :class:`~pgmsim.fit.diagnostics.ConvergenceWarning` naming the
        parameters, and the (unreliable) estimate.
        """
        chain = self.get_chain(discard=None)
        tau, reliable = diagnostics.autocorr_time(chain)
        if not reliable:
            short = [f"{name} ({t:.1f})" for name, t in zip(self.param_names, tau)
                     if diagnostics.MIN_TAUS * t > len(chain)]
            warnings.warn(
                f"the chain is too short for a reliable autocorrelation time of "
                f"{', '.join(short)}: {len(chain)} steps after the burn-in, fewer than "
                f"{diagnostics.MIN_TAUS} times tau; run longer (nsteps='auto')",
                ConvergenceWarning, stacklevel=2)
        return tau

    def ess(self, discard=None):
        """Effective sample size of each parameter: samples / autocorrelation time.

        Unlike :attr:`autocorr_time`, this does not warn for short chains;
        the estimate is then rough. :meth:`diagnostics` gives Vehtari et
        al.'s bulk and tail ESS.

        Parameters
        ----------
        discard : int, optional
            Burn-in; :attr:`burn_in` by default.

        Returns
        -------
        numpy.ndarray
            Shape ``(ndim,)``.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("gauss")
        >>> _ = m.param("mu", pg.Normal(0, 10)); _ = m.param("sigma", pg.HalfNormal(5))
        >>> _ = m.data("y", pg.Normal("mu", "sigma"), plate="obs")
        >>> post = m.posterior(data={"y": [1.2, 0.4, 2.1, 1.5, 0.9]})
        >>> res = pg.sample(post, nwalkers=8, nsteps=400, seed=1, progress=False)
        >>> res.ess().shape
        (2,)
        """
        chain = self.get_chain(discard=discard)
        tau, _ = diagnostics.autocorr_time(chain)
        return chain.shape[0] * chain.shape[1] / np.maximum(tau, 1.0)

    def _diagnosis(self, discard=None):
        return diagnostics.diagnose(self.chain, self.log_prob, self.acceptance_fraction,
                                    self.param_names, discard=self._discard(discard))

    def diagnostics(self, discard=None):
        """Convergence diagnostics, one row per parameter.

        Parameters
        ----------
        discard : int, optional
            Burn-in; :attr:`burn_in` by default.

        Returns
        -------
        astropy.table.Table
            Columns ``name, tau, ess_bulk, ess_tail, r_hat, mcse_mean,
            burn_in``; see :mod:`pgmsim.fit.diagnostics` for the formulas.
            ``meta["problems"]`` holds :meth:`problems`.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> res = pg.sample(post, nwalkers=16, nsteps=2000, seed=1, progress=False)
        >>> table = res.diagnostics()
        >>> table.colnames
        ['name', 'tau', 'ess_bulk', 'ess_tail', 'r_hat', 'mcse_mean', 'burn_in']
        >>> res.converged, res.problems()
        (True, [])
        """
        from astropy.table import Table

        d = self._diagnosis(discard)
        table = Table([d.names, d.tau, d.ess_bulk, d.ess_tail, d.r_hat, d.mcse_mean,
                       np.full(self.ndim, d.burn_in)],
                      names=["name", "tau", "ess_bulk", "ess_tail", "r_hat", "mcse_mean",
                             "burn_in"])
        for col in table.colnames[1:-1]:
            table[col].format = ".4g"
        table.meta["problems"] = d.problems()
        return table

    @property
    def converged(self):
        """True when :meth:`problems` finds nothing wrong with the run."""
        return not self.problems()

    def problems(self):
        """What is wrong with the run, in words: parameters, walkers, what to do.

        Returns
        -------
        list of str
            Empty for a converged run. The rules are in
            :mod:`pgmsim.fit.diagnostics`.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> res = pg.sample(post, nwalkers=8, nsteps=100, seed=1, progress=False)
        >>> print(res.problems()[0])
        the chain is too short for lam: ... steps after the burn-in, fewer than 50 ...
        """
        return self._diagnosis().problems()

    def summary(self, discard=None, thin=1):
        """Per-parameter summary table.

        Parameters
        ----------
        discard : int, optional
            Burn-in; :attr:`burn_in` by default.
        thin : int

        Returns
        -------
        astropy.table.Table
            Columns ``name, median, lower, upper`` (16th and 84th percentiles),
            ``mean, std, ess``. The burn-in used is in ``meta``. When some
            parameter declares a unit, a column ``unit`` follows ``name``:
            each row's values are in its unit (``""`` for none). A column of
            strings, since a Table column has one unit and rows differ.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("gauss")
        >>> _ = m.param("mu", pg.Normal(0, 10)); _ = m.param("sigma", pg.HalfNormal(5))
        >>> _ = m.data("y", pg.Normal("mu", "sigma"), plate="obs")
        >>> post = m.posterior(data={"y": [1.2, 0.4, 2.1, 1.5, 0.9]})
        >>> res = pg.sample(post, nwalkers=8, nsteps=400, seed=1, progress=False)
        >>> table = res.summary()
        >>> table.colnames, table.meta["discard"] == res.burn_in
        (['name', 'median', 'lower', 'upper', 'mean', 'std', 'ess'], True)
        >>> print(table["name"].tolist())
        ['mu', 'sigma']
        >>> m = pg.Model("rate")
        >>> _ = m.param("rate", pg.LogUniform(0.1, 10), unit="ct / s")
        >>> _ = m.data("N", pg.Poisson("rate"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> table = pg.sample(post, nwalkers=8, nsteps=100, seed=1, progress=False).summary()
        >>> table.colnames[:3], table["unit"].tolist()
        (['name', 'unit', 'median'], ['ct / s'])
        """
        from astropy.table import Table  # astropy loads in ~0.5 s: only for tables

        discard = self._discard(discard)
        samples = self.flat_samples(discard=discard, thin=thin)
        q16, q50, q84 = np.percentile(samples, [16, 50, 84], axis=0)
        table = Table(
            [self.param_names, q50, q16, q84, samples.mean(axis=0),
             samples.std(axis=0, ddof=1), self.ess(discard)],
            names=["name", "median", "lower", "upper", "mean", "std", "ess"],
        )
        for col in table.colnames[1:]:
            table[col].format = ".4g"
        units = self.units()
        if any(unit is not None for unit in units):
            table.add_column([unit.to_string() if unit is not None else "" for unit in units],
                             name="unit", index=1)
        table.meta.update(discard=discard, thin=thin, nwalkers=self.nwalkers,
                          nsteps=self.nsteps,
                          mean_acceptance=float(np.mean(self.acceptance_fraction)))
        return table

    def units(self):
        """The unit of each parameter, from the model's nodes.

        Returns
        -------
        list of astropy.units.UnitBase or None
            One per entry of ``param_names``; all None when the result
            carries no posterior.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("rate")
        >>> _ = m.param("rate", pg.LogUniform(0.1, 10), unit="ct / s")
        >>> _ = m.param("eff", pg.Uniform(0.5, 1))
        >>> _ = m.deterministic("mu", lambda rate, eff: rate * eff)
        >>> _ = m.data("N", pg.Poisson("mu"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> pg.sample(post, nwalkers=8, nsteps=10, seed=1, progress=False).units()
        [Unit("ct / s"), None]
        """
        if self.posterior is None:
            return [None] * len(self.param_names)
        model = self.posterior.model
        return [model.node(name.partition("[")[0]).unit for name in self.param_names]

    def labels(self):
        r"""LaTeX labels of the parameters, for plots.

        Returns
        -------
        list of str
            ``$label$`` of each parameter, from the model's nodes (with the
            index for parameters on a plate), followed by its unit in
            brackets when it declares one (``$F$ [$\mathrm{ct\,s^{-1}}$]``);
            the bare names when the result carries no posterior.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("gauss")
        >>> _ = m.param("mu", pg.Normal(0, 10)); _ = m.param("sigma", pg.HalfNormal(5))
        >>> _ = m.data("y", pg.Normal("mu", "sigma"), plate="obs")
        >>> post = m.posterior(data={"y": [1.2, 0.4, 2.1, 1.5, 0.9]})
        >>> res = pg.sample(post, nwalkers=8, nsteps=400, seed=1, progress=False)
        >>> res.labels()
        ['$\\mu$', '$\\sigma$']
        """
        if self.posterior is None:
            return list(self.param_names)
        model = self.posterior.model
        out = []
        for name, unit in zip(self.param_names, self.units()):
            base, _, index = name.partition("[")
            label = model.node(base).label
            label = f"${label}$" if not index else f"${label}[{index}$"
            out.append(f"{label} {unit_text(unit)}" if unit is not None else label)
        return out

    def corner(self, params=None, truths=None, discard=None, thin=1, **options):
        """Corner plot of the posterior samples of chosen parameters.

        See :func:`pgmsim.fit.plots.corner_plot`: by default at most
        :data:`~pgmsim.fit.selection.MAX_PANELS` entries, scalar parameters
        first, and a note of what was left out.

        Parameters
        ----------
        params : str or sequence of str, optional
            Parameters (all their entries) or entries (``"F[3]"``).
        truths : dict or array_like, optional
            True values to mark (a dict by parameter or entry name, or packed).
        discard : int, optional
        thin : int
        **options
            Passed to :func:`corner.corner`.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            If ``params`` or ``truths`` names an unknown parameter.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("gauss")
        >>> _ = m.param("mu", pg.Normal(0, 10)); _ = m.param("sigma", pg.HalfNormal(5))
        >>> _ = m.data("y", pg.Normal("mu", "sigma"), plate="obs")
        >>> post = m.posterior(data={"y": [1.2, 0.4, 2.1, 1.5, 0.9]})
        >>> res = pg.sample(post, nwalkers=8, nsteps=400, seed=1, progress=False)
        >>> fig = res.corner(truths={"mu": 1.0, "sigma": 0.6})
        >>> len(fig.axes)   # a 2 x 2 grid
        4
        >>> len(res.corner(params=["mu"]).axes)
        1
        >>> import matplotlib.pyplot as plt; plt.close("all")
        """
        from .plots import corner_plot

        return corner_plot(self, params=params, truths=truths, discard=discard, thin=thin,
                           **options)

    def trace(self, params=None, discard=0):
        """Trace plot: every walker's path for each chosen parameter.

        See :func:`pgmsim.fit.plots.trace_plot` for the default choice.

        Parameters
        ----------
        params : str or sequence of str, optional
            Parameters (all their entries) or entries (``"F[3]"``).
        discard : int
            Steps not drawn at the start; all are drawn by default, so that
            the burn-in shows.

        Returns
        -------
        matplotlib.figure.Figure
            One panel per parameter entry, steps along x.

        Raises
        ------
        ValueError
            If ``params`` names an unknown parameter.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("gauss")
        >>> _ = m.param("mu", pg.Normal(0, 10)); _ = m.param("sigma", pg.HalfNormal(5))
        >>> _ = m.data("y", pg.Normal("mu", "sigma"), plate="obs")
        >>> post = m.posterior(data={"y": [1.2, 0.4, 2.1, 1.5, 0.9]})
        >>> res = pg.sample(post, nwalkers=8, nsteps=400, seed=1, progress=False)
        >>> len(res.trace().axes), len(res.trace(params="sigma").axes)
        (2, 1)
        >>> import matplotlib.pyplot as plt; plt.close("all")
        """
        from .plots import trace_plot

        return trace_plot(self, params=params, discard=discard)

    def posterior_predictive(self, n=100, seed=None, discard=None):
        """Replicated data drawn from the graph at ``n`` posterior draws.

        Each draw takes a random posterior sample (after burn-in), evaluates
        the deterministic nodes and draws every data node from its sampling
        distribution, with the fixed inputs of the fit.

        Parameters
        ----------
        n : int
            Number of replications.
        seed : int or numpy.random.Generator, optional
            The same seed gives the same replications.
        discard : int, optional
            Burn-in; :attr:`burn_in` by default.

        Returns
        -------
        dict
            Every parameter, deterministic and data node, each with a leading
            axis of length ``n``: ``(n,)`` for scalars, ``(n, K)`` for plate
            vectors. Samples are drawn without replacement when the chain
            has at least ``n`` of them.

        Raises
        ------
        ValueError
            If ``n`` is not a positive integer, or the result carries no
            posterior.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> res = pg.sample(post, nwalkers=8, nsteps=100, seed=1, progress=False)
        >>> rep = res.posterior_predictive(n=50, seed=2)
        >>> rep["N"].shape, rep["lam"].shape
        ((50, 3), (50,))
        """
        from ..simulate import simulate

        if int(n) != n or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if self.posterior is None:
            raise ValueError("this result carries no posterior (model, inputs) to "
                             "simulate from; load it with its posterior")
        post = self.posterior
        rng = np.random.default_rng(seed)
        samples = self.flat_samples(discard=discard)
        rows = rng.choice(len(samples), size=int(n), replace=len(samples) < n)
        draws = [simulate(post.model, inputs=post.inputs, params=post.unpack(samples[i]),
                          seed=rng, sizes=post.sizes) for i in rows]
        return {name: np.stack([np.asarray(d[name]) for d in draws])
                for name in draws[0] if name not in post.inputs}

    def __repr__(self):
        return (f"<SamplingResult: {self.nsteps} steps x {self.nwalkers} walkers x "
                f"{self.ndim} parameters, mean acceptance "
                f"{np.mean(self.acceptance_fraction):.2f}>")
