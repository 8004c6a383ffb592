"""Simulation-based calibration (SBC): is the fitted posterior calibrated?

Draw parameters from the prior, simulate data from the graph, sample the
posterior of those data, and record the rank of each true value among
posterior draws. If the simulator, the likelihood and the sampler agree, the
true value is one more draw from the posterior, and its rank is uniform on
``0 ... L`` for ``L`` independent draws (Talts et al. 2018, arXiv:1804.06788).
A posterior that is too narrow gives a U-shaped rank histogram, one too wide
a hump, a biased one a slope.

How the chains start matters, and the default is chosen to leak no
information on the truth:

- ``initial="map"`` (default): the walkers start in a small ball around the
  maximum a posteriori point of the simulated data. The MAP is a function of
  the data alone, so the start knows nothing of the true value beyond what
  the data say; ``burn`` steps are discarded while the ensemble expands from
  the ball to the posterior width.
- ``initial="truth"``: the walkers start in a small ball around the true
  value. The true value is itself a posterior draw, but an ensemble packed
  around it is not an ensemble of independent posterior draws: until the
  chain has forgotten its start (``burn`` of many autocorrelation times),
  the draws cluster around the truth and the ranks pile up in the middle.
  Cheap, and only safe with a long burn-in.
- ``initial=None``: prior draws; no leak, but slow to converge on narrow
  posteriors.

Draws are the walkers' positions at steps ``burn, burn + thin, ...``: with
``thin`` at least the autocorrelation time (recorded per simulation in
``tau``), they are roughly independent, as the rank test needs; correlated
draws give an excess in the end bins.
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import warnings
from dataclasses import dataclass, field

import numpy as np
from emcee.autocorr import integrated_time
from scipy import stats

from ..distributed import describe_model, run_tasks
from ..graph.nodes import NodeKind
from ..fit.store import ResultsStore
from ..fit.diagnostics import ConvergenceWarning
from ..fit.optimize import MapWarning
from ..fit.sampling import sample

__all__ = ["sbc", "SBCResult", "rank_uniformity"]


def rank_uniformity(ranks, n_draws, bins=None, seed=0):
    """Tests of uniformity of SBC ranks, one per column.

    Parameters
    ----------
    ranks : array_like of int, shape (n_sims,) or (n_sims, ndim)
        Ranks in ``0 ... n_draws``.
    n_draws : int
        Number of posterior draws each rank was taken among.
    bins : int, optional
        Number of histogram bins of the chi-square test; by default about
        ``n_sims / 10`` (at least 4, at most 20, at most ``n_draws + 1``).
    seed : int
        Seed of the uniform jitter that makes the discrete ranks continuous
        for the Kolmogorov-Smirnov test.

    Returns
    -------
    dict
        ``edges`` (bin edges in rank units, the bin ``b`` holding ranks
        ``edges[b] <= r < edges[b+1]``), ``expected`` (expected count per
        bin), ``counts`` ``(bins, ndim)``, ``chi2``, ``chi2_pvalue``,
        ``ks``, ``ks_pvalue`` (each of shape ``(ndim,)``).

    Raises
    ------
    ValueError
        If a rank is outside ``0 ... n_draws``.

    Examples
    --------
    >>> import numpy as np
    >>> ranks = np.random.default_rng(1).integers(0, 100, size=(500, 2))
    >>> test = rank_uniformity(ranks, n_draws=99)
    >>> bool(np.all(test["chi2_pvalue"] > 1e-3))
    True
    """
    ranks = np.asarray(ranks)
    ranks = ranks[:, None] if ranks.ndim == 1 else ranks
    n_sims = ranks.shape[0]
    if ranks.size and (ranks.min() < 0 or ranks.max() > n_draws):
        raise ValueError(f"ranks must lie in 0 ... n_draws = {n_draws}, got "
                         f"{ranks.min()} ... {ranks.max()}")
    nvalues = n_draws + 1
    if bins is None:
        bins = int(np.clip(n_sims // 10, 4, 20))
    bins = int(min(bins, nvalues))
    edges = np.unique(np.floor(np.linspace(0, nvalues, bins + 1)).astype(int))
    expected = n_sims * np.diff(edges) / nvalues
    counts = np.stack([np.histogram(r, bins=edges)[0] for r in ranks.T], axis=1)
    chi2 = np.sum((counts - expected[:, None]) ** 2 / expected[:, None], axis=0)
    chi2_p = stats.chi2.sf(chi2, df=len(expected) - 1)
    jitter = np.random.default_rng(seed).uniform(size=ranks.shape)
    u = (ranks + jitter) / nvalues
    ks = [stats.kstest(col, "uniform") for col in u.T]
    return {"edges": edges, "expected": expected, "counts": counts, "chi2": chi2,
            "chi2_pvalue": chi2_p, "ks": np.array([k.statistic for k in ks]),
            "ks_pvalue": np.array([k.pvalue for k in ks])}


@dataclass
class SBCResult:
    """The outcome of :func:`sbc`.

    Attributes
    ----------
    param_names : list of str
    ranks : numpy.ndarray of int, shape (n_sims, ndim)
        Rank of each true value among the posterior draws of its simulation.
    n_draws : int
        Number of posterior draws per simulation; ranks lie in ``0 ... n_draws``.
    truths : numpy.ndarray, shape (n_sims, ndim)
        The parameter values drawn from the prior.
    tau : numpy.ndarray, shape (n_sims, ndim)
        Integrated autocorrelation time of each chain after burn-in, in
        steps (compare with ``settings["thin"]``).
    acceptance : numpy.ndarray, shape (n_sims,)
        Mean acceptance fraction of each chain.
    settings : dict
        The arguments of the run.
    tests : dict
        :func:`rank_uniformity` of the ranks.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("rate")
    >>> _ = m.plate("obs", size=5)
    >>> _ = m.param("lam", pg.Gamma(3.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> res = pg.sbc(m, n_sims=20, nwalkers=4, nsteps=60, thin=10, initial=None, seed=1)
    >>> res.n_sims, list(res.pvalues)
    (20, ['lam'])
    """

    param_names: list
    ranks: np.ndarray
    n_draws: int
    truths: np.ndarray
    tau: np.ndarray
    acceptance: np.ndarray
    settings: dict
    tests: dict = field(repr=False)

    @property
    def n_sims(self):
        return self.ranks.shape[0]

    @property
    def pvalues(self):
        """The smaller of the chi-square and KS p-values, by parameter."""
        p = np.minimum(self.tests["chi2_pvalue"], self.tests["ks_pvalue"])
        return dict(zip(self.param_names, p.tolist()))

    def passed(self, alpha=0.01):
        """Whether both tests pass at level ``alpha`` for every parameter.

        With ``m`` parameters and two tests each, a calibrated posterior
        fails with probability at most ``2 m alpha``.

        Parameters
        ----------
        alpha : float
            Level of each test.

        Returns
        -------
        bool

        Examples
        --------
        >>> import numpy as np
        >>> ranks = np.random.default_rng(2).integers(0, 100, size=(200, 1))
        >>> res = SBCResult(["a"], ranks, 99, ranks * 0.0, ranks * 0.0, np.ones(200), {},
        ...                 rank_uniformity(ranks, 99))
        >>> res.passed(alpha=1e-3)
        True
        """
        return all(p > alpha for p in self.pvalues.values())

    def table(self):
        """Per-parameter test results.

        Returns
        -------
        astropy.table.Table
            Columns ``name, chi2, dof, chi2_pvalue, ks, ks_pvalue,
            median_tau``.

        Examples
        --------
        >>> import numpy as np
        >>> ranks = np.random.default_rng(2).integers(0, 100, size=(200, 1))
        >>> res = SBCResult(["a"], ranks, 99, ranks * 0.0, ranks * 0.0, np.ones(200), {},
        ...                 rank_uniformity(ranks, 99))
        >>> res.table().colnames
        ['name', 'chi2', 'dof', 'chi2_pvalue', 'ks', 'ks_pvalue', 'median_tau']
        """
        from astropy.table import Table  # astropy loads in ~0.5 s: only for tables

        t = self.tests
        table = Table([self.param_names, t["chi2"], np.full(len(self.param_names),
                       len(t["expected"]) - 1), t["chi2_pvalue"], t["ks"], t["ks_pvalue"],
                       np.median(self.tau, axis=0)],
                      names=["name", "chi2", "dof", "chi2_pvalue", "ks", "ks_pvalue",
                             "median_tau"])
        for col in ("chi2", "chi2_pvalue", "ks", "ks_pvalue", "median_tau"):
            table[col].format = ".4g"
        table.meta.update(n_sims=self.n_sims, n_draws=self.n_draws, **self.settings)
        return table

    def plot(self, level=0.99):
        """Rank histograms, one panel per parameter, with the expected band.

        The grey band is the central ``level`` interval of each bin's count
        under uniform ranks (binomial).

        Parameters
        ----------
        level : float
            Probability content of the band.

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> import numpy as np
        >>> ranks = np.random.default_rng(2).integers(0, 100, size=(200, 2))
        >>> res = SBCResult(["a", "b"], ranks, 99, ranks * 0.0, ranks * 0.0,
        ...                 np.ones(200), {}, rank_uniformity(ranks, 99))
        >>> fig = res.plot()
        >>> len(fig.axes)
        2
        >>> import matplotlib.pyplot as plt; plt.close(fig)
        """
        import matplotlib.pyplot as plt

        t = self.tests
        edges, expected = t["edges"], t["expected"]
        ndim = len(self.param_names)
        ncol = min(ndim, 3)
        nrow = -(-ndim // ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 2.8 * nrow),
                                 squeeze=False)
        prob = expected / self.n_sims
        low = stats.binom.ppf((1 - level) / 2, self.n_sims, prob)
        high = stats.binom.ppf((1 + level) / 2, self.n_sims, prob)
        x = edges / (self.n_draws + 1)
        for k, ax in enumerate(axes.flat):
            if k >= ndim:
                ax.set_visible(False)
                continue
            ax.fill_between(x, np.append(low, low[-1]), np.append(high, high[-1]),
                            step="post", color="0.85", label=f"{level:.0%} band")
            ax.stairs(expected, x, color="0.4", ls="--", label="expected")
            ax.stairs(t["counts"][:, k], x, color="C0", lw=1.5, label="ranks")
            ax.set_title(f"{self.param_names[k]}: p = {self.pvalues[self.param_names[k]]:.3g}",
                         fontsize=10)
            ax.set_xlim(0, 1)
            ax.set_xlabel("rank / (draws + 1)")
        for ax in axes[:, 0]:
            ax.set_ylabel("simulations")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
        fig.suptitle(f"SBC: {self.n_sims} simulations, {self.n_draws} draws each")
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        return fig

    def __repr__(self):
        p = ", ".join(f"{k}={v:.3g}" for k, v in self.pvalues.items())
        return f"<SBCResult: {self.n_sims} simulations, {self.n_draws} draws; p-values {p}>"


# settings of the run, set in each worker process of a `processes=` pool
_JOB = {}


def _one(job, index, seq, argument=None):
    """One simulation: prior draw, mock data, posterior chain, ranks."""
    job = _JOB if job is None else job
    model, fit = job["model"], job["fit_model"]
    rng = np.random.default_rng(seq)
    sim = model.simulate(inputs=job["inputs"], seed=rng)
    data = {n: sim[n] for n in model.names(NodeKind.DATA)}
    post = fit.posterior(data=data, inputs=job["inputs"])
    truth = post.pack({p: sim[p] for p in model.names(NodeKind.PARAMETER)})
    initial = job["initial"]
    if initial == "truth":
        initial = truth
    elif initial == "map":
        with warnings.catch_warnings():
            # the MAP is only where the chain starts; a simulated dataset whose
            # optimum lies on a prior bound is expected among many
            warnings.simplefilter("ignore", MapWarning)
            initial = post.find_map(seed=rng)
    try:
        with warnings.catch_warnings():
            # short chains are SBC's design: tau is recorded per simulation and
            # the rank tests judge the run, on whichever worker it ran
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = sample(post, nwalkers=job["nwalkers"], nsteps=job["nsteps"], seed=rng,
                         initial=initial, progress=False)
    except ValueError as err:
        raise ValueError(f"SBC simulation {index}: sampling failed at true parameters "
                         f"{dict(zip(post.param_names, truth))}: {err}") from err
    chain = res.get_chain(discard=job["burn"])
    draws = chain[::job["thin"]].reshape(-1, post.ndim)
    return {"ranks": np.sum(draws < truth, axis=0), "truth": truth,
            "tau": integrated_time(chain, c=5, tol=0),
            "acceptance": float(np.mean(res.acceptance_fraction)),
            "param_names": json.dumps(list(post.param_names))}


def _init_worker(job):
    _JOB.clear()
    _JOB.update(job)


def sbc(model, inputs=None, n_sims=100, *, fit_model=None, nwalkers=32, nsteps=1000,
        burn=None, thin=10, initial="map", seed=None, executor=None, processes=1,
        store=None, resume=False, bins=None, progress=False):
    """Simulation-based calibration of a model's posterior.

    For each simulation: draw the parameters from the prior, simulate data
    from ``model``, sample the posterior of ``fit_model`` given those data
    with emcee, and record the rank of each true value among the draws.

    Parameters
    ----------
    model : Model
        The model that simulates the data (and whose priors are drawn from).
    inputs : dict, optional
        Fixed inputs of both models.
    n_sims : int
        Number of simulations.
    fit_model : Model, optional
        The model whose posterior is sampled; ``model`` by default. A
        different one (same parameter names) checks that a wrong likelihood
        is detected.
    nwalkers, nsteps : int
        Size of each emcee run.
    burn : int, optional
        Steps discarded at the start of each chain; ``nsteps // 2`` by default.
    thin : int
        Keep every ``thin``-th step after burn-in (all walkers): the ranks are
        taken among ``n_draws = nwalkers * ceil((nsteps - burn) / thin)``
        draws. Choose it near the autocorrelation time.
    initial : {"map", "truth", None}
        Where the walkers start (see the module notes): ``"map"`` (default),
        the true value, or prior draws.
    seed : int, optional
        Seed of everything; simulation ``i`` uses the ``i``-th child of
        ``numpy.random.SeedSequence(seed)``, so results do not depend on
        ``executor`` or ``processes``; needed with a ``store``.
    executor : None, concurrent.futures.Executor or dask.distributed.Client
        The engine that runs the simulations (see :mod:`pgmsim.distributed`):
        ``None`` runs them here, a process pool needs models whose functions
        are defined at module level, a Dask ``Client`` takes any model.
    processes : int
        Local worker processes, started for this run (without ``executor``);
        ``1`` runs the simulations here. Several processes need the ``fork``
        start method (Linux, macOS) and take any model.
    store : str or os.PathLike, optional
        HDF5 results store (:class:`pgmsim.fit.store.ResultsStore`) written
        as each simulation finishes.
    resume : bool
        Continue the run in ``store``: the simulations stored are not run again.
    bins : int, optional
        Histogram bins of the chi-square test (see :func:`rank_uniformity`).
    progress : bool
        Show a progress bar over simulations.

    Returns
    -------
    SBCResult

    Raises
    ------
    ValueError
        Bad settings, models whose parameters differ, both ``executor`` and
        ``processes``, no seed with a store, or a store of another run
        (:class:`pgmsim.fit.store.StoreError`).
    TypeError
        An unknown executor, or a model that cannot be sent to its workers.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("rate")
    >>> _ = m.plate("obs", size=5)
    >>> _ = m.param("lam", pg.Gamma(3.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> res = pg.sbc(m, n_sims=20, nwalkers=4, nsteps=60, thin=10, initial=None, seed=1)
    >>> res.ranks.shape, res.n_draws
    ((20, 1), 12)
    """
    fit = model if fit_model is None else fit_model
    if initial not in ("map", "truth", None):
        raise ValueError(f"initial must be 'map', 'truth' or None, got {initial!r}")
    for name, value in (("n_sims", n_sims), ("nsteps", nsteps), ("thin", thin),
                        ("processes", processes)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    burn = nsteps // 2 if burn is None else burn
    if not 0 <= burn < nsteps:
        raise ValueError(f"burn must be in [0, nsteps = {nsteps}), got {burn}")
    names = model.names(NodeKind.PARAMETER)
    if fit.names(NodeKind.PARAMETER) != names:
        raise ValueError(
            f"fit_model has parameters {fit.names(NodeKind.PARAMETER)}, but the "
            f"simulating model has {names}: they must be the same")
    if executor is not None and processes != 1:
        raise ValueError("pass executor or processes, not both: processes starts a local "
                         "pool, executor is an engine of your own")
    job = {"model": model, "fit_model": fit, "inputs": inputs, "nwalkers": int(nwalkers),
           "nsteps": int(nsteps), "burn": int(burn), "thin": int(thin), "initial": initial}
    results = None
    if store is not None:
        if seed is None:
            raise ValueError("a run with a store needs a seed: seed=None draws new random "
                             "numbers at each call, so a resumed run could not repeat it")
        settings = {**job, "model": describe_model(model), "fit_model": describe_model(fit),
                    "n_sims": int(n_sims), "seed": seed}
        results = ResultsStore(store, "sbc", settings, resume=resume)
    pool = None
    if processes != 1:
        # forked workers inherit the job: any model, closures included, with no pickling
        pool = concurrent.futures.ProcessPoolExecutor(
            int(processes), mp_context=multiprocessing.get_context("fork"),
            initializer=_init_worker, initargs=(job,))
        executor, job = pool, None
    try:
        out = run_tasks(_one, job, int(n_sims), seed=seed, executor=executor,
                        store=results, progress=progress, desc="SBC")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    ranks = np.array([r["ranks"] for r in out], dtype=int)
    truths = np.array([r["truth"] for r in out])
    tau = np.array([r["tau"] for r in out])
    acceptance = np.array([r["acceptance"] for r in out])
    n_draws = int(nwalkers) * len(range(burn, nsteps, thin))
    param_names = json.loads(out[0]["param_names"])
    settings = {"nwalkers": int(nwalkers), "nsteps": int(nsteps), "burn": int(burn),
                "thin": int(thin), "initial": initial, "seed": seed,
                "fit_model": fit.name, "model": model.name}
    tests = rank_uniformity(ranks, n_draws, bins=bins,
                            seed=0 if seed is None else seed)
    return SBCResult(param_names, ranks, n_draws, truths, tau, acceptance, settings, tests)
