"""The result of a nested-sampling run: evidence, weighted samples, summaries.

:class:`NestedResult` reads like :class:`~pgmsim.fit.results.SamplingResult`:
``flat_samples()`` gives equal-weight draws (resampled from the weighted
ones), ``summary()`` a table of weighted percentiles, ``corner()`` and
``to_arviz()`` the same plots and conversions; ``diagnostics()`` and
``problems()`` say how far the run can be trusted.
"""

from __future__ import annotations

import numpy as np

from .results import SamplingResult

__all__ = ["NestedResult"]

#: fewest effective samples (Kish) for a summary to be trusted
MIN_EFFECTIVE_SAMPLES = 400


class NestedResult:
    """Evidence and weighted posterior samples from :func:`pgmsim.nested`.

    Parameters
    ----------
    samples : numpy.ndarray, shape (nsamples, ndim)
        The dead points, then the final live points.
    log_weights : numpy.ndarray, shape (nsamples,)
        Their log importance weights, normalised (they sum to one).
    log_likelihood : numpy.ndarray, shape (nsamples,)
    log_evidence, log_evidence_err : float
        ``ln Z`` and its standard error.
    param_names : list of str
    posterior : Posterior, optional
    ncall : int
        Likelihood calls.
    information : float
        The information (Kullback-Leibler divergence of the posterior from
        the prior), in nats.

    Attributes
    ----------
    samples, weights, log_likelihood, log_evidence, log_evidence_err,
    param_names, posterior, ncall, information

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> rng = np.random.default_rng(0)
    >>> res = pg.NestedResult(rng.normal(size=(2000, 1)), np.full(2000, -np.log(2000)),
    ...                       np.zeros(2000), -1.5, 0.1, ["mu"])
    >>> res
    <NestedResult: ln Z = -1.5 +- 0.1, 2000 samples x 1 parameters, 2000 effective>
    >>> res.flat_samples().shape
    (2000, 1)
    """

    def __init__(self, samples, log_weights, log_likelihood, log_evidence, log_evidence_err,
                 param_names, posterior=None, ncall=0, information=np.nan):
        self.samples = np.asarray(samples, dtype=float)
        log_weights = np.asarray(log_weights, dtype=float)
        weights = np.exp(log_weights - log_weights.max())
        self.weights = weights / weights.sum()
        self.log_likelihood = np.asarray(log_likelihood, dtype=float)
        self.log_evidence = float(log_evidence)
        self.log_evidence_err = float(log_evidence_err)
        self.param_names = list(param_names)
        self.posterior = posterior
        self.ncall = int(ncall)
        self.information = float(information)

    @classmethod
    def from_dynesty(cls, results, posterior):
        """Collect a dynesty run.

        Parameters
        ----------
        results : dynesty.results.Results
        posterior : Posterior
            The density it sampled.

        Returns
        -------
        NestedResult

        Examples
        --------
        >>> import dynesty, numpy as np, pgmsim as pg
        >>> m = pg.Model("mean")
        >>> _ = m.param("mu", pg.Uniform(-5.0, 5.0))
        >>> _ = m.data("y", pg.Normal("mu", 1.0))
        >>> post = m.posterior(data={"y": 0.5})
        >>> sampler = dynesty.NestedSampler(post.log_likelihood, post.prior_transform, 1,
        ...                                 nlive=50, rstate=np.random.default_rng(0))
        >>> sampler.run_nested(print_progress=False)
        >>> pg.NestedResult.from_dynesty(sampler.results, post).param_names
        ['mu']
        """
        return cls(results.samples, results.logwt - results.logz[-1], results.logl,
                   results.logz[-1], results.logzerr[-1], posterior.param_names, posterior,
                   ncall=int(np.sum(results.ncall)), information=results.information[-1])

    @property
    def ndim(self):
        return self.samples.shape[1]

    @property
    def effective_samples(self):
        """Kish's effective sample size of the weights, ``1 / sum(w**2)``."""
        return float(1.0 / np.sum(self.weights**2))

    def flat_samples(self, equal_weights=True, seed=0, discard=None, thin=1):
        """Posterior samples: equal-weight draws, or the weighted points.

        Parameters
        ----------
        equal_weights : bool
            Resample the weighted points to equal weights (systematic
            resampling, then shuffled); when False, the weighted points
            themselves (weights in :attr:`weights`).
        seed : int or numpy.random.Generator
            Seed of the resampling.
        discard : None
            Accepted for the interface of an emcee result; a nested run has
            no burn-in.
        thin : int
            Keep every ``thin``-th draw.

        Returns
        -------
        numpy.ndarray, shape (nsamples, ndim)

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> res = pg.NestedResult([[0.0], [1.0], [2.0], [3.0]], np.log([1, 1, 2, 1e-9]),
        ...                       np.zeros(4), 0.0, 0.1, ["x"])
        >>> np.sort(res.flat_samples(seed=1).ravel())     # draws in proportion to weights
        array([0., 1., 2., 2.])
        >>> res.flat_samples(equal_weights=False).ravel()
        array([0., 1., 2., 3.])
        """
        if not equal_weights:
            return self.samples[::thin]
        rng = np.random.default_rng(seed)
        n = len(self.weights)
        positions = (rng.random() + np.arange(n)) / n
        cumulative = np.cumsum(self.weights)
        cumulative[-1] = 1.0
        index = np.minimum(np.searchsorted(cumulative, positions), n - 1)
        return self.samples[rng.permutation(index)][::thin]

    def summary(self):
        """Per-parameter summary table from the weighted samples.

        Returns
        -------
        astropy.table.Table
            Columns ``name, median, lower, upper`` (weighted 16th and 84th
            percentiles), ``mean, std, ess`` (Kish's effective sample size),
            as for an emcee result; ``meta`` holds ``log_evidence``,
            ``log_evidence_err``, ``information`` and ``ncall``.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> x = np.linspace(-5, 5, 2001)[:, None]
        >>> res = pg.NestedResult(x, -0.5 * x[:, 0]**2, np.zeros(2001), 0.0, 0.1, ["mu"])
        >>> table = res.summary()
        >>> table.colnames
        ['name', 'median', 'lower', 'upper', 'mean', 'std', 'ess']
        >>> round(float(table["std"][0]), 2), round(float(table["upper"][0]), 1)
        (1.0, 1.0)
        """
        from astropy.table import Table

        mean = self.weights @ self.samples
        std = np.sqrt(self.weights @ (self.samples - mean) ** 2)
        q16, q50, q84 = (weighted_quantile(self.samples, self.weights, q)
                         for q in (0.16, 0.5, 0.84))
        table = Table([self.param_names, q50, q16, q84, mean, std,
                       np.full(self.ndim, self.effective_samples)],
                      names=["name", "median", "lower", "upper", "mean", "std", "ess"])
        for col in table.colnames[1:]:
            table[col].format = ".4g"
        table.meta.update(log_evidence=self.log_evidence,
                          log_evidence_err=self.log_evidence_err,
                          information=self.information, ncall=self.ncall)
        return table

    def diagnostics(self):
        """The run's figures of merit.

        Returns
        -------
        dict
            ``log_evidence``, ``log_evidence_err``, ``information`` (nats),
            ``effective_samples``, ``nsamples``, ``ncall``, ``problems``.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> res = pg.NestedResult(np.zeros((10, 1)), np.zeros(10), np.zeros(10), -1.0, 0.2,
        ...                       ["x"])
        >>> res.diagnostics()["effective_samples"]
        10.0
        """
        return dict(log_evidence=self.log_evidence, log_evidence_err=self.log_evidence_err,
                    information=self.information, effective_samples=self.effective_samples,
                    nsamples=len(self.samples), ncall=self.ncall, problems=self.problems())

    def problems(self):
        """Why the run's summaries may not be trusted, as sentences.

        Returns
        -------
        list of str
            Empty when the weights hold at least
            :data:`MIN_EFFECTIVE_SAMPLES` effective samples and ``ln Z`` is
            finite.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> res = pg.NestedResult(np.zeros((10, 1)), np.zeros(10), np.zeros(10), -1.0, 0.2,
        ...                       ["x"])
        >>> res.problems()
        ['only 10 effective samples (fewer than 400): run with more live points']
        >>> res.converged
        False
        """
        out = []
        if self.effective_samples < MIN_EFFECTIVE_SAMPLES:
            out.append(f"only {self.effective_samples:.0f} effective samples (fewer than "
                       f"{MIN_EFFECTIVE_SAMPLES}): run with more live points")
        if not np.isfinite(self.log_evidence) or not np.isfinite(self.log_evidence_err):
            out.append(f"ln Z = {self.log_evidence} +- {self.log_evidence_err} is not finite")
        return out

    @property
    def converged(self):
        """True when :meth:`problems` finds nothing."""
        return not self.problems()

    # labels and units come from the model's nodes, as for an emcee result
    units = SamplingResult.units
    labels = SamplingResult.labels

    def corner(self, params=None, truths=None, **options):
        """Corner plot of equal-weight posterior samples.

        See :func:`pgmsim.fit.plots.corner_plot`.

        Parameters
        ----------
        params : str or sequence of str, optional
        truths : dict or array_like, optional
        **options
            Passed to :func:`corner.corner`.

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> rng = np.random.default_rng(0)
        >>> res = pg.NestedResult(rng.normal(size=(500, 2)), np.zeros(500), np.zeros(500),
        ...                       -1.0, 0.1, ["a", "b"])
        >>> len(res.corner(truths={"a": 0.0}).axes)
        4
        >>> import matplotlib.pyplot as plt; plt.close("all")
        """
        from .plots import corner_plot

        return corner_plot(self, params=params, truths=truths, **options)

    def to_arviz(self, log_likelihood=True, seed=0, draws=None):
        """Equal-weight samples as an ArviZ ``InferenceData`` (one chain).

        Parameters
        ----------
        log_likelihood : bool
            Include the pointwise log-likelihood (for LOO).
        seed : int
            Seed of the resampling to equal weights.
        draws : int, optional
            Keep this many of the (shuffled) equal-weight draws.

        Returns
        -------
        arviz.InferenceData
            As :meth:`SamplingResult.to_arviz`, the draws those of
            :meth:`flat_samples`; ``attrs`` name dynesty and hold ``ln Z``.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("mean")
        >>> _ = m.param("mu", pg.Normal(0.0, 1.0))
        >>> _ = m.data("y", pg.Normal("mu", 1.0), plate="obs")
        >>> post = m.posterior(data={"y": [0.5, 1.0]})
        >>> idata = pg.nested(post, nlive=50, seed=1, progress=False).to_arviz()
        >>> idata.log_likelihood["y"].dims
        ('chain', 'draw', 'obs')
        """
        draws = self.flat_samples(seed=seed)[:draws]
        lp = self.posterior.log_prob(draws) if self.posterior is not None \
            else np.zeros(len(draws))
        as_chain = SamplingResult(draws[:, None, :], lp[:, None], np.ones(1),
                                  self.param_names, self.posterior)
        idata = as_chain.to_arviz(discard=0, log_likelihood=log_likelihood)
        for group in idata.groups():
            getattr(idata, group).attrs.update(
                inference_library="dynesty", log_evidence=self.log_evidence,
                log_evidence_err=self.log_evidence_err)
        return idata

    def __repr__(self):
        return (f"<NestedResult: ln Z = {self.log_evidence:.4g} +- "
                f"{self.log_evidence_err:.2g}, {len(self.samples)} samples x {self.ndim} "
                f"parameters, {self.effective_samples:.0f} effective>")


def weighted_quantile(samples, weights, q):
    """Quantile ``q`` of each column of weighted samples.

    Parameters
    ----------
    samples : numpy.ndarray, shape (n, ndim)
    weights : numpy.ndarray, shape (n,)
        Non-negative, summing to one.
    q : float

    Returns
    -------
    numpy.ndarray, shape (ndim,)

    Examples
    --------
    >>> import numpy as np
    >>> weighted_quantile(np.array([[1.0], [2.0], [3.0]]), np.array([0.2, 0.2, 0.6]), 0.5)
    array([3.])
    """
    out = np.empty(samples.shape[1])
    for k in range(samples.shape[1]):
        order = np.argsort(samples[:, k])
        cumulative = np.cumsum(weights[order])
        index = min(np.searchsorted(cumulative, q * cumulative[-1]), len(order) - 1)
        out[k] = samples[order[index], k]
    return out
