"""Convergence diagnostics of an ensemble chain, and the warning of a bad run.

Every function takes arrays (a chain of shape ``(nsteps, nwalkers, ndim)``,
log-posteriors ``(nsteps, nwalkers)``, acceptance fractions ``(nwalkers,)``)
so that it can be tested on chains of known properties. The formulas are
short and written here with numpy and scipy (ArviZ, which reports the same
quantities, stays an optional extra):

- **autocorrelation time** ``tau``: emcee's windowed estimator
  (:func:`emcee.autocorr.integrated_time`, autocorrelations averaged over
  walkers), on the chain after the burn-in; **burn-in**: ``5 tau`` rounded
  up, ``tau`` from the second half of the chain, at most half the chain;
- **split R-hat, bulk and tail ESS** of Vehtari et al. (2021, Bayesian
  Analysis 16, 667), rank-normalised. For R-hat emcee's many short,
  correlated walkers are pooled into :data:`RHAT_GROUPS` groups, each split
  into halves (8 chains, as Stan's 4): one walker's chain is too short for
  its mean to settle. For the ESS each walker, split in halves, is a chain;
- **Monte Carlo standard error of the mean**: ``sd / sqrt(ESS)``;
- **stuck and lost walkers** (Hogg & Foreman-Mackey 2018, sect. 8): an
  acceptance below :data:`STUCK_ACCEPTANCE` times the ensemble's median, or
  a mean log-posterior more than :data:`LOST_SPREADS` robust spreads (and
  :data:`LOST_MIN_GAP`) below the median of the walkers' means;
- **drift**: the ensemble mean of each parameter over the first and last
  thirds of the kept steps, more than :data:`DRIFT_Z` Monte Carlo errors apart.

A run is converged when the kept chain is at least :data:`MIN_TAUS`
autocorrelation times long for every parameter, every R-hat is below
:data:`MAX_RHAT`, bulk and tail ESS reach :data:`MIN_ESS`, no walker is stuck
or lost, and nothing drifts.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from emcee.autocorr import integrated_time

__all__ = ["ConvergenceWarning", "Diagnosis", "autocorr_time", "burn_in", "split_rhat",
           "ess_bulk", "ess_tail", "ess_mean", "mcse_mean", "stuck_walkers", "lost_walkers",
           "drift", "diagnose", "warn_if_not_converged"]

#: chain after burn-in at least this many autocorrelation times long (emcee's advice)
MIN_TAUS = 50
#: burn-in in autocorrelation times
BURN_IN_TAUS = 5
#: Vehtari et al. (2021) recommend 1.01; the walker groups make it reachable
MAX_RHAT = 1.01
#: bulk and tail ESS: Vehtari et al.'s 100 per chain, for 4 chains
MIN_ESS = 400
#: walker groups for R-hat (Stan's 4 chains)
RHAT_GROUPS = 4
#: a walker accepting fewer than this fraction of the median acceptance is stuck
STUCK_ACCEPTANCE = 0.2
#: lost: mean log-posterior this many robust spreads below the walkers' median ...
LOST_SPREADS = 5.0
#: ... and at least this far below it (log-density units), so tiny spreads do not alarm
LOST_MIN_GAP = 2.0
#: drift: first and last thirds of the kept chain this many Monte Carlo errors apart
DRIFT_Z = 5.0


class ConvergenceWarning(UserWarning):
    """A sampling run whose samples cannot be trusted; the message says why.

    Examples
    --------
    >>> import pgmsim as pg
    >>> issubclass(pg.ConvergenceWarning, UserWarning)
    True
    """


def autocorr_time(chain):
    """emcee's integrated autocorrelation time of each parameter.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)

    Returns
    -------
    tau : numpy.ndarray, shape (ndim,)
        In steps.
    reliable : bool
        Whether the chain is at least :data:`MIN_TAUS` times ``tau`` long.

    Examples
    --------
    >>> import numpy as np
    >>> tau, reliable = autocorr_time(np.random.default_rng(0).normal(size=(1000, 8, 2)))
    >>> bool(np.all(abs(tau - 1) < 0.2)), reliable
    (True, True)
    """
    chain = np.asarray(chain, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = integrated_time(chain, tol=0, quiet=True)
    tau = np.where(np.isnan(tau), np.inf, tau)  # never moved: no information
    return tau, bool(np.all(MIN_TAUS * tau <= len(chain)))


def burn_in(chain):
    """Steps to discard: ``5 tau`` (tau from the second half), at most half the chain.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)

    Returns
    -------
    int

    Examples
    --------
    >>> import numpy as np
    >>> burn_in(np.random.default_rng(0).normal(size=(1000, 8, 2)))   # 5 tau, tau ~ 1
    6
    """
    nsteps = len(chain)
    if nsteps < 4:
        return 0
    tau, _ = autocorr_time(chain[nsteps // 2:])
    # tau floored at 1: an anticorrelated chain's estimate can be negative
    return int(math.ceil(min(BURN_IN_TAUS * max(np.max(tau), 1.0), nsteps // 2)))


def _rank_normal(x):
    """Normal scores of the ranks of all draws (Vehtari et al. 2021, eq. 14)."""
    from scipy.special import ndtri
    from scipy.stats import rankdata

    ranks = rankdata(x, axis=None).reshape(x.shape)
    return ndtri((ranks - 3 / 8) / (x.size + 1 / 4))


def _split_walkers(x):
    """Each walker split in halves: chains of shape (2 nwalkers, nsteps // 2)."""
    half = len(x) // 2
    return np.concatenate([x[:half].T, x[len(x) - half:].T])


def _ess(chains):
    """Vehtari et al.'s ESS of chains (m, n), Geyer's initial monotone sequence."""
    m, n = chains.shape
    if n < 4:
        return np.nan
    centred = chains - chains.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=2 * n, axis=1)
    acov = np.fft.irfft(spectrum * np.conj(spectrum), axis=1)[:, :n] / n
    mean_var = np.mean(acov[:, 0]) * n / (n - 1)
    var_plus = mean_var * (n - 1) / n + (np.var(chains.mean(axis=1), ddof=1) if m > 1 else 0)
    if not var_plus > 0:
        return np.nan
    rho = 1 - (mean_var - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    # Geyer: sum pairs of autocorrelations while they are positive and decreasing
    pairs = rho[:2 * ((n - 1) // 2)].reshape(-1, 2).sum(axis=1)
    negative = np.nonzero(pairs < 0)[0]
    pairs = np.minimum.accumulate(pairs[:negative[0] if len(negative) else len(pairs)])
    tau = max(-1 + 2 * pairs.sum(), 1 / np.log10(m * n))
    return m * n / tau


def ess_mean(chain):
    """ESS of the draws themselves (for the standard error of the mean).

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)

    Returns
    -------
    numpy.ndarray, shape (ndim,)

    Examples
    --------
    >>> import numpy as np
    >>> ess = ess_mean(np.random.default_rng(0).normal(size=(1000, 8, 1)))
    >>> bool(7000 < ess[0] < 9000)
    True
    """
    return np.array([_ess(_split_walkers(chain[:, :, k])) for k in range(chain.shape[2])])


def ess_bulk(chain):
    """Bulk ESS: the ESS of the rank-normalised, split walkers.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)

    Returns
    -------
    numpy.ndarray, shape (ndim,)

    Examples
    --------
    >>> import numpy as np
    >>> ess = ess_bulk(np.random.default_rng(0).normal(size=(1000, 8, 1)))
    >>> bool(7000 < ess[0] < 9000)
    True
    """
    return np.array([_ess(_split_walkers(_rank_normal(chain[:, :, k])))
                     for k in range(chain.shape[2])])


def ess_tail(chain):
    """Tail ESS: the smaller ESS of the 5 % and 95 % quantile indicators.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)

    Returns
    -------
    numpy.ndarray, shape (ndim,)

    Examples
    --------
    >>> import numpy as np
    >>> ess = ess_tail(np.random.default_rng(0).normal(size=(1000, 8, 1)))
    >>> bool(6000 < ess[0] < 10000)
    True
    """
    out = []
    for k in range(chain.shape[2]):
        x = chain[:, :, k]
        low, high = np.quantile(x, [0.05, 0.95])
        out.append(min(_ess(_split_walkers((x <= low).astype(float))),
                       _ess(_split_walkers((x >= high).astype(float)))))
    return np.array(out)


def _rhat(chains):
    """Split R-hat of chains (m, n): sqrt of pooled over within-chain variance."""
    n = chains.shape[1]
    within = np.mean(np.var(chains, axis=1, ddof=1))
    if not within > 0:
        return np.nan
    between_over_n = np.var(chains.mean(axis=1), ddof=1)
    return float(np.sqrt(((n - 1) / n * within + between_over_n) / within))


def split_rhat(chain, groups=RHAT_GROUPS):
    """Rank-normalised split R-hat (the larger of bulk and folded), walkers grouped.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)
    groups : int
        Walkers are pooled into this many groups of consecutive walkers
        (leftover walkers are left out); each group's steps are split into
        halves, so ``2 * groups`` chains enter the formula.

    Returns
    -------
    numpy.ndarray, shape (ndim,)
        NaN for a parameter that never changes.

    Examples
    --------
    >>> import numpy as np
    >>> chain = np.random.default_rng(0).normal(size=(1000, 8, 1))
    >>> bool(abs(split_rhat(chain)[0] - 1) < 0.01)
    True
    >>> chain[:, :4] += 1      # half of the walkers elsewhere
    >>> bool(split_rhat(chain)[0] > 1.1)
    True
    """
    nsteps, nwalkers, ndim = chain.shape
    groups = max(1, min(groups, nwalkers))
    size = nwalkers // groups
    half = nsteps // 2
    out = []
    for k in range(ndim):
        x = chain[:, :groups * size, k]
        # (steps, groups, walkers of a group) -> one long chain per group and half
        pooled = x.reshape(nsteps, groups, size).transpose(1, 0, 2)
        halves = np.concatenate([pooled[:, :half].reshape(groups, -1),
                                 pooled[:, nsteps - half:].reshape(groups, -1)])
        if halves.shape[1] < 2:
            out.append(np.nan)
            continue
        folded = np.abs(halves - np.median(halves))
        out.append(max(_rhat(_rank_normal(halves)), _rhat(_rank_normal(folded))))
    return np.array(out)


def mcse_mean(chain):
    """Monte Carlo standard error of the posterior mean: ``sd / sqrt(ESS)``.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)

    Returns
    -------
    numpy.ndarray, shape (ndim,)

    Examples
    --------
    >>> import numpy as np
    >>> se = mcse_mean(np.random.default_rng(0).normal(size=(1000, 8, 1)))
    >>> bool(abs(se[0] - 1 / np.sqrt(8000)) < 0.002)
    True
    """
    sd = np.std(chain.reshape(-1, chain.shape[2]), axis=0, ddof=1)
    return sd / np.sqrt(ess_mean(chain))


def stuck_walkers(acceptance):
    """Walkers whose acceptance is below ``STUCK_ACCEPTANCE`` x the median.

    Parameters
    ----------
    acceptance : numpy.ndarray, shape (nwalkers,)

    Returns
    -------
    numpy.ndarray of int
        Their indices, ascending.

    Examples
    --------
    >>> stuck_walkers([0.4, 0.45, 0.02, 0.38])
    array([2])
    """
    acceptance = np.asarray(acceptance, dtype=float)
    return np.nonzero(acceptance < STUCK_ACCEPTANCE * np.median(acceptance))[0]


def lost_walkers(log_prob):
    """Walkers whose mean log-posterior is far below the other walkers'.

    Parameters
    ----------
    log_prob : numpy.ndarray, shape (nsteps, nwalkers)
        The kept steps.

    Returns
    -------
    numpy.ndarray of int
        Indices of walkers more than ``LOST_SPREADS`` robust spreads (1.4826
        times the median absolute deviation of the walkers' means) and more
        than ``LOST_MIN_GAP`` below the median of the walkers' means.

    Examples
    --------
    >>> import numpy as np
    >>> log_prob = np.random.default_rng(0).normal(size=(500, 8))
    >>> log_prob[:, 5] -= 30
    >>> lost_walkers(log_prob)
    array([5])
    """
    means = np.mean(np.asarray(log_prob, dtype=float), axis=0)
    centre = np.median(means)
    spread = 1.4826 * np.median(np.abs(means - centre))
    gap = centre - means
    return np.nonzero((gap > LOST_SPREADS * spread) & (gap > LOST_MIN_GAP))[0]


def drift(chain, tau):
    """How many Monte Carlo errors the ensemble mean moves over the chain.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)
        The kept steps.
    tau : numpy.ndarray, shape (ndim,)
        Autocorrelation time of each parameter.

    Returns
    -------
    numpy.ndarray, shape (ndim,)
        ``|mean(first third) - mean(last third)|`` over its standard error,
        each third counting ``steps * nwalkers / tau`` independent draws.

    Examples
    --------
    >>> import numpy as np
    >>> chain = np.random.default_rng(0).normal(size=(900, 8, 1))
    >>> bool(drift(chain, np.ones(1))[0] < 5)
    True
    >>> bool(drift(chain + np.linspace(0, 1, 900)[:, None, None], np.ones(1))[0] > 5)
    True
    """
    third = len(chain) // 3
    if third < 2:
        return np.full(chain.shape[2], np.nan)
    first, last = chain[:third], chain[-third:]
    draws = third * chain.shape[1] / np.maximum(tau, 1.0)
    error = np.sqrt((first.var(axis=(0, 1), ddof=1) + last.var(axis=(0, 1), ddof=1)) / draws)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(first.mean(axis=(0, 1)) - last.mean(axis=(0, 1))) / error


@dataclass
class Diagnosis:
    """Diagnostics of one run; :func:`diagnose` makes it.

    Attributes
    ----------
    names : list of str
    burn_in, kept : int
        Steps discarded and kept.
    tau, ess_bulk, ess_tail, r_hat, mcse_mean, drift : numpy.ndarray, shape (ndim,)
    acceptance : numpy.ndarray, shape (nwalkers,)
    walker_log_prob : numpy.ndarray, shape (nwalkers,)
        Mean log-posterior of each walker over the kept steps.
    stuck, lost : numpy.ndarray of int
        Walkers with a low acceptance, walkers far below the others.

    Examples
    --------
    >>> import numpy as np
    >>> chain = np.random.default_rng(0).normal(size=(2000, 8, 1))
    >>> diagnose(chain, -0.5 * chain[..., 0] ** 2, np.full(8, 0.4), ["mu"]).stuck
    array([], dtype=int64)
    """

    names: list
    burn_in: int
    kept: int
    tau: np.ndarray
    ess_bulk: np.ndarray
    ess_tail: np.ndarray
    r_hat: np.ndarray
    mcse_mean: np.ndarray
    drift: np.ndarray
    acceptance: np.ndarray
    walker_log_prob: np.ndarray
    stuck: np.ndarray
    lost: np.ndarray

    @property
    def converged(self):
        """True when :meth:`problems` finds nothing."""
        return not self.problems()

    def problems(self):
        """What is wrong with the run, in words; empty when it is converged.

        Returns
        -------
        list of str
            One line per kind of problem, naming parameters and walkers.

        Examples
        --------
        >>> import numpy as np
        >>> chain = np.random.default_rng(0).normal(size=(2000, 8, 1))
        >>> log_prob = -0.5 * chain[..., 0] ** 2
        >>> diagnose(chain, log_prob, np.full(8, 0.4), ["mu"]).problems()
        []
        >>> print(diagnose(chain[:40], log_prob[:40], np.full(8, 0.4), ["mu"]).problems()[0])
        the chain is too short for mu: ... steps after the burn-in, fewer than 50 ...
        """
        return _problem_lines(self)


def _listing(names, values, fmt):
    return ", ".join(f"{name} = {format(value, fmt)}" for name, value in zip(names, values))


def _walkers(indices):
    return ("walker " if len(indices) == 1 else "walkers ") + ", ".join(map(str, indices))


def _problem_lines(d):
    names = np.array(d.names)
    lines = []
    if len(d.stuck):
        lines.append(
            f"{_walkers(d.stuck)} {'is' if len(d.stuck) == 1 else 'are'} stuck (acceptance "
            f"{', '.join(f'{a:.3f}' for a in d.acceptance[d.stuck])} vs median "
            f"{np.median(d.acceptance):.3f}): their samples are left out of "
            f"flat_samples(drop_stuck=True); run longer or start from the MAP (initial='map')")
    lost = np.setdiff1d(d.lost, d.stuck)
    if len(lost):
        lines.append(
            f"{_walkers(lost)} {'is' if len(lost) == 1 else 'are'} lost far from the mode "
            f"(mean log-posterior {', '.join(f'{v:.4g}' for v in d.walker_log_prob[lost])} "
            f"vs median {np.median(d.walker_log_prob):.4g}): their samples are left out of "
            f"flat_samples(drop_stuck=True); start from the MAP (initial='map') or run longer")
    bad = ~np.isfinite(d.r_hat)
    if bad.any():
        lines.append(f"{', '.join(names[bad])} never changes: check its prior and "
                     f"the starting positions")
    short = ~(MIN_TAUS * d.tau <= d.kept) & ~bad
    if short.any():
        lines.append(
            f"the chain is too short for {', '.join(names[short])}: {d.kept} steps after "
            f"the burn-in, fewer than {MIN_TAUS} autocorrelation times (tau "
            f"{_listing(names[short], d.tau[short], '.1f')}); run longer (nsteps='auto')")
    high = (d.r_hat >= MAX_RHAT) & ~bad
    if high.any():
        lines.append(f"R-hat of {_listing(names[high], d.r_hat[high], '.3f')} (>= {MAX_RHAT}):"
                     f" groups of walkers disagree; run longer")
    for kind, ess in (("bulk", d.ess_bulk), ("tail", d.ess_tail)):
        low = ~(ess >= MIN_ESS) & ~bad
        if low.any():
            lines.append(f"{kind} ESS of {_listing(names[low], ess[low], '.0f')} "
                         f"(< {MIN_ESS}): the chain is too short; run longer")
    moving = (d.drift > DRIFT_Z) & ~bad
    if moving.any():
        lines.append(
            f"the ensemble mean of {', '.join(names[moving])} drifts over the kept steps "
            f"(first and last thirds {_listing(names[moving], d.drift[moving], '.1f')} "
            f"Monte Carlo errors apart): the walkers have not forgotten their start; "
            f"run longer or discard more")
    return lines


def diagnose(chain, log_prob, acceptance, names, discard=None):
    """All diagnostics of a run, after the burn-in.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)
    log_prob : numpy.ndarray, shape (nsteps, nwalkers)
    acceptance : numpy.ndarray, shape (nwalkers,)
    names : list of str
        Parameter names, for the messages.
    discard : int, optional
        Burn-in; :func:`burn_in` of the chain by default.

    Returns
    -------
    Diagnosis

    Raises
    ------
    ValueError
        If ``log_prob`` or ``acceptance`` does not match the chain's steps
        and walkers.

    Examples
    --------
    >>> import numpy as np
    >>> chain = np.random.default_rng(0).normal(size=(2000, 8, 1))
    >>> d = diagnose(chain, -0.5 * chain[..., 0] ** 2, np.full(8, 0.4), ["mu"])
    >>> d.converged, d.burn_in
    (True, 5)
    """
    chain = np.asarray(chain, dtype=float)
    log_prob, acceptance = np.asarray(log_prob, float), np.asarray(acceptance, float)
    for name, array, shape in (("log_prob", log_prob, chain.shape[:2]),
                               ("acceptance", acceptance, chain.shape[1:2])):
        if array.shape != shape:
            raise ValueError(f"{name} has shape {array.shape}; the chain of shape "
                             f"{chain.shape} needs {shape}")
    discard = burn_in(chain) if discard is None else int(discard)
    kept, kept_log_prob = chain[discard:], log_prob[discard:]
    tau, _ = autocorr_time(kept)
    with np.errstate(divide="ignore", invalid="ignore"):  # never moved: NaN, reported
        return Diagnosis(
            names=list(names), burn_in=discard, kept=len(kept), tau=tau,
            ess_bulk=ess_bulk(kept), ess_tail=ess_tail(kept), r_hat=split_rhat(kept),
            mcse_mean=mcse_mean(kept), drift=drift(kept, tau), acceptance=acceptance,
            walker_log_prob=kept_log_prob.mean(axis=0), stuck=stuck_walkers(acceptance),
            lost=lost_walkers(kept_log_prob))


def warn_if_not_converged(result, stacklevel=2):
    """Emit one :class:`ConvergenceWarning` listing the problems of a run.

    Parameters
    ----------
    result : SamplingResult
    stacklevel : int
        As for :func:`warnings.warn`, counted from the caller of this
        function: 2 (the default) points at the code that called the caller,
        e.g. the user's call of :func:`pgmsim.sample`.

    Returns
    -------
    list of str
        The problems (empty, and no warning, when the run is converged).

    Examples
    --------
    >>> import warnings, numpy as np, pgmsim as pg
    >>> chain = np.random.default_rng(0).normal(size=(40, 8, 1))
    >>> res = pg.SamplingResult(chain, -0.5 * chain[..., 0] ** 2, np.full(8, 0.4), ["mu"])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = warn_if_not_converged(res)
    >>> print(caught[0].message)
    the run is not converged:
    - the chain is too short for mu: ... steps after the burn-in, fewer than 50 ...
    - bulk ESS of mu = ... (< 400): the chain is too short; run longer
    - tail ESS of mu = ... (< 400): the chain is too short; run longer
    """
    problems = result.problems()
    if problems:
        warnings.warn("the run is not converged:\n" + "\n".join(f"- {p}" for p in problems),
                      ConvergenceWarning, stacklevel=stacklevel + 1)
    return problems
