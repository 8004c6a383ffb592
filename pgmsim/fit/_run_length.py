"""Run length from the chain: ``pgmsim.sample(post, nsteps="auto")``.

The recipe of emcee's documentation ("Saving & monitoring progress"): run in
blocks, estimate the integrated autocorrelation time ``tau`` of every
parameter with :func:`emcee.autocorr.integrated_time` (``tol=0``) at each
check, and stop when the chain is at least :data:`MIN_TAUS` times ``tau``
long for every parameter, after the burn-in that
:mod:`pgmsim.fit.diagnostics` discards (:data:`BURN_IN_TAUS` times ``tau``),
and ``tau`` changed by less than
:data:`TAU_CHANGE` since the previous check, or at ``max_steps``.

The checks fall at fixed chain lengths (:func:`check_points`), the same for
a run made in one go and for one stopped and resumed from a checkpoint, so
that both stop at the same step with the same chain.
"""

from __future__ import annotations

import numpy as np
from emcee.pbar import get_progress_bar

from .diagnostics import BURN_IN_TAUS, MIN_TAUS, autocorr_time

__all__ = ["MIN_TAUS", "BURN_IN_TAUS", "TAU_CHANGE", "DEFAULT_MAX_STEPS", "check_run_length",
           "check_points", "enough_steps", "run_until_converged"]

#: largest relative change of tau between two checks for the estimate to count as settled
TAU_CHANGE = 0.01
#: the longest an automatic run goes when ``max_steps`` is not given
DEFAULT_MAX_STEPS = 100_000
# checks every 10 percent of the steps done, at least every _MIN_BLOCK steps:
# often enough not to overshoot, rarely enough that a check costs little
_MIN_BLOCK = 100


def check_run_length(nsteps, max_steps):
    """Refuse a bad ``nsteps`` or ``max_steps``; the step limit of an automatic run.

    Parameters
    ----------
    nsteps : int or "auto"
    max_steps : int or None
        Only with ``nsteps="auto"``.

    Returns
    -------
    int or None
        The largest number of steps of an automatic run (``max_steps``, or
        :data:`DEFAULT_MAX_STEPS`), None for a run of fixed length.

    Raises
    ------
    ValueError
        Naming the argument: ``nsteps`` neither a positive integer nor
        ``"auto"``, ``max_steps`` not a positive integer, or given with a
        fixed ``nsteps``.

    Examples
    --------
    >>> check_run_length(2000, None) is None
    True
    >>> check_run_length("auto", None), check_run_length("auto", 5000)
    (100000, 5000)
    >>> check_run_length("often", None)
    Traceback (most recent call last):
      ...
    ValueError: nsteps must be a positive integer or "auto", got 'often'
    >>> check_run_length(2000, 5000)
    Traceback (most recent call last):
      ...
    ValueError: max_steps=5000 limits nsteps="auto" runs only; ...
    """
    if isinstance(nsteps, str):
        if nsteps != "auto":
            raise ValueError(f'nsteps must be a positive integer or "auto", got {nsteps!r}')
        if max_steps is None:
            return DEFAULT_MAX_STEPS
        integer = isinstance(max_steps, (int, np.integer)) and not isinstance(max_steps, bool)
        if not (integer and max_steps >= 1):
            raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
        return int(max_steps)
    if isinstance(nsteps, bool) or int(nsteps) != nsteps or nsteps < 1:
        raise ValueError(f"nsteps must be a positive integer, got {nsteps!r}")
    if max_steps is not None:
        raise ValueError(f'max_steps={max_steps!r} limits nsteps="auto" runs only; '
                         f"a run of nsteps={nsteps!r} has that length: drop max_steps")
    return None


def check_points(max_steps):
    """The chain lengths at which an automatic run checks whether to stop.

    Every 10 percent of the steps done, at least every 100 steps, and at
    ``max_steps``.

    Parameters
    ----------
    max_steps : int

    Returns
    -------
    list of int
        Increasing, ending with ``max_steps``.

    Examples
    --------
    >>> check_points(1500)[:12]
    [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1210]
    >>> check_points(1500)[-1]
    1500
    """
    points, at = [], _MIN_BLOCK
    while at < max_steps:
        points.append(at)
        at += max(_MIN_BLOCK, at // 10)
    return points + [max_steps]


def enough_steps(chain, previous_tau, min_taus=MIN_TAUS + BURN_IN_TAUS,
                 tau_change=TAU_CHANGE):
    """Whether a chain is long enough to stop: the stopping rule, on the chain alone.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)
    previous_tau : numpy.ndarray of shape (ndim,), or None
        The estimate at the previous check; None at the first check (the
        rule then never stops: the estimate has not been seen to settle).
    min_taus : float
        The chain must be at least ``min_taus * tau`` steps long; by default
        50 after a burn-in of 5 (the diagnostics then find the kept chain
        long enough).
    tau_change : float
        Largest relative change of ``tau`` since ``previous_tau``.

    Returns
    -------
    stop : bool
    tau : numpy.ndarray, shape (ndim,)
        emcee's integrated autocorrelation time of each parameter (``tol=0``).

    Examples
    --------
    >>> import numpy as np
    >>> chain = np.random.default_rng(1).normal(size=(400, 8, 2))  # independent draws
    >>> stop, tau = enough_steps(chain, previous_tau=None)
    >>> stop, tau.shape
    (False, (2,))
    >>> enough_steps(chain, previous_tau=tau)[0]
    True
    >>> enough_steps(chain[:20], previous_tau=tau)[0]  # shorter than 55 tau
    False
    """
    tau, _ = autocorr_time(chain)
    if previous_tau is None:
        return False, tau
    long_enough = np.all(len(chain) >= min_taus * tau)
    with np.errstate(invalid="ignore"):   # a parameter that never moved: tau = inf
        settled = np.all(np.abs(np.asarray(previous_tau) - tau) < tau_change * tau)
    return bool(long_enough and settled), tau


def run_until_converged(sampler, start, max_steps, progress=True):
    """Run ``sampler`` from the steps it holds until :func:`enough_steps` says stop.

    Parameters
    ----------
    sampler : emcee.EnsembleSampler
        Holding the steps done so far (none, or those of a resumed checkpoint).
    start : numpy.ndarray or None
        The start walkers when the sampler holds no step.
    max_steps : int
    progress : bool or str
        Show a progress bar (as emcee's ``progress``), up to ``max_steps``.

    Returns
    -------
    dict
        ``stopped``: ``"converged"``, ``"max_steps"`` or ``"interrupted"``
        (Ctrl-C after the first step); ``max_steps``; ``tau``: the estimate at
        the last check (None before the first).

    Raises
    ------
    KeyboardInterrupt
        A Ctrl-C before the first step.

    Examples
    --------
    >>> import emcee, numpy as np
    >>> sampler = emcee.EnsembleSampler(
    ...     8, 1, lambda x: -0.5 * np.sum(x**2, axis=1), vectorize=True)
    >>> sampler.random_state = np.random.RandomState(1).get_state()
    >>> record = run_until_converged(sampler, np.random.default_rng(1).normal(size=(8, 1)),
    ...                              max_steps=20000, progress=False)
    >>> record["stopped"], bool(sampler.iteration >= 50 * record["tau"].max())
    ('converged', True)
    """
    done = sampler.iteration
    points = check_points(max_steps)
    record = {"stopped": "max_steps", "max_steps": max_steps, "tau": None}
    state = start if done == 0 else sampler.get_last_sample()
    last_check = None
    with get_progress_bar(progress, max_steps, initial=done, desc="auto") as bar:
        for i, target in enumerate(points):
            if target < done:
                continue  # passed by the stored steps of a resumed run
            try:
                for state in sampler.sample(state, iterations=target - done):
                    bar.update(1)
            except KeyboardInterrupt:
                if sampler.iteration == 0:
                    raise
                record["stopped"] = "interrupted"
                return record
            done = target
            chain = sampler.get_chain()[:done]
            previous = record["tau"]
            if i > 0 and last_check != points[i - 1]:
                # a resumed run: the estimate of the previous check point, as in one go
                previous = autocorr_time(chain[:points[i - 1]])[0]
            stop, record["tau"] = enough_steps(chain, None if i == 0 else previous)
            last_check = done
            if stop:
                record["stopped"] = "converged"
                return record
            if hasattr(bar, "set_postfix_str"):  # a tqdm bar
                bar.set_postfix_str(f"max tau {record['tau'].max():.1f}")
    return record
