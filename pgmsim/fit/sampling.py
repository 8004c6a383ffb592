"""Posterior sampling with emcee: initialisation, seeding, run length, progress."""

from __future__ import annotations

import emcee
import numpy as np

from ._run_length import check_run_length, check_points, run_until_converged
from .diagnostics import warn_if_not_converged
from .initialization import initial_walkers
from .parallel import ParallelLogProb
from .pools import PoolLogProb
from .results import SamplingResult

__all__ = ["sample", "default_moves"]


def default_moves():
    """The moves :func:`sample` uses unless told otherwise: emcee's stretch move
    and its differential-evolution move, half and half.

    Chosen by measurement (``benchmarks/moves.py``, table in
    ``benchmarks/README.md``): on every ready-made model and a banana-shaped
    posterior whose chains reached 50 autocorrelation times, this mixture gave
    1.8-2.8 times the effective samples per second of the stretch move alone,
    and the best figure of the moves tried on most of them.

    Returns
    -------
    list of (emcee move, float)
        New move objects and their weights, as :class:`emcee.EnsembleSampler`
        takes them.

    Examples
    --------
    >>> from pgmsim.fit.sampling import default_moves
    >>> [(type(move).__name__, weight) for move, weight in default_moves()]
    [('StretchMove', 0.5), ('DEMove', 0.5)]
    """
    return [(emcee.moves.StretchMove(), 0.5), (emcee.moves.DEMove(), 0.5)]


def sample(post, nwalkers=32, nsteps=2000, seed=None, initial=None, progress=True,
           moves=None, backend=None, resume=False, parallel=None, max_steps=None,
           pool=None):
    """Sample a posterior with emcee's ensemble sampler.

    All walkers are evaluated in one call of :meth:`Posterior.log_prob`
    (``vectorize=True``), or split across threads (``parallel``) or the
    processes of a pool (``pool``).

    Parameters
    ----------
    post : Posterior
    nwalkers : int
        Number of walkers; at least twice the number of parameters.
    nsteps : int or "auto"
        Number of steps; or ``"auto"``: run until the chain is at least 50
        autocorrelation times long for every parameter and the estimate
        changed by less than 1 percent since the previous check (checks
        every 10 percent of the steps done, at least every 100 steps), or
        until ``max_steps``; see :mod:`pgmsim.fit._run_length`.
    seed : int or numpy.random.Generator, optional
        The same seed gives the same chain.
    initial : None, "map", dict, MapResult or array_like, optional
        Where the walkers start; see :func:`initial_walkers`.
    progress : bool
        Show a progress bar (tqdm).
    moves : emcee move(s), optional
        Passed to :class:`emcee.EnsembleSampler`; by default
        :func:`default_moves` (stretch and differential evolution, half and
        half).
    backend : str, pathlib.Path or pgmsim.fit.backends.Checkpoint, optional
        An HDF5 file (created; an existing file is refused unless
        ``resume``) where the chain is committed as it grows, at most every
        second, at the end and on interruption; see
        :class:`pgmsim.fit.backends.Checkpoint` for the options. The run
        holds the file's lock from start to end: a second run writing the
        same file is refused.
    resume : bool
        Continue the run stored in ``backend`` from its last committed step
        up to ``nsteps`` steps in all. ``seed`` and ``initial`` are then
        unused: the walkers and emcee's random state come from the file (from
        the start of the run, stored when the file was made, if no step was
        committed), so the chain is bit for bit the one an uninterrupted run
        gives.
    parallel : int, optional
        Number of threads sharing each batch of walkers (e.g. 2 on two
        cores); see :class:`pgmsim.fit.parallel.ParallelLogProb`. Pays on large
        plates (full images); small batches stay on one thread. The chain
        is the same as without it.
    max_steps : int, optional
        The most steps of an ``nsteps="auto"`` run (100000 by default); a
        run stopped there is not converged. Refused with a fixed ``nsteps``.
    pool : object with ``map``, optional
        An emcee-style pool of processes: :class:`multiprocessing.pool.Pool`,
        :class:`schwimmbad.MPIPool` (under ``mpiexec``), a
        :mod:`concurrent.futures` executor (for Dask,
        ``client.get_executor()``). Each batch of walkers is split into one
        share per worker; each worker receives the pickled posterior once
        and keeps it (see :class:`pgmsim.fit.pools.PoolLogProb`). Pays when
        one batch takes far longer than sending it (a large image, a slow
        user function). The chain is the same as without it. The pool is
        used, never closed. A posterior with functions defined inside
        other functions is sent with cloudpickle (``pgmsim[mpi]``).

    Returns
    -------
    SamplingResult
        A run interrupted with Ctrl-C returns the steps done (and commits
        them to ``backend``). Its ``meta["run_length"]`` records how the run
        ended: ``stopped`` (``"nsteps"``, ``"converged"``, ``"max_steps"``
        or ``"interrupted"``), ``max_steps`` and ``tau`` (the last estimate
        of an automatic run). A run that cannot be trusted ends with a
        :class:`pgmsim.ConvergenceWarning` saying why.

    Raises
    ------
    ValueError
        Too few walkers, bad initial positions, ``nsteps`` neither a
        positive integer nor ``"auto"``, ``max_steps`` not a positive
        integer or given with a fixed ``nsteps``, ``pool`` given with
        ``parallel``.
    TypeError
        ``pool`` without a ``map`` method, or a posterior that cannot be
        pickled for the pool's workers.
    pgmsim.fit.backends.CheckpointError
        Another run is writing the backend file; or it exists and ``resume``
        is not set, or it does not exist and ``resume`` is set; or it is
        corrupt (a checksum does not match); or it holds a run of another
        model, other parameters, priors, code, data, inputs or number of
        walkers.

    Warns
    -----
    pgmsim.ConvergenceWarning
        Once, at the end, when the run is not converged (see
        :meth:`SamplingResult.problems`).

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": [3, 5, 4]})
    >>> res = pg.sample(post, nwalkers=8, nsteps=200, seed=1, progress=False)
    >>> res.chain.shape
    (200, 8, 1)

    With ``nsteps="auto"`` the chain is as long as it needs to be:

    >>> res = pg.sample(post, nwalkers=8, nsteps="auto", seed=1, progress=False)
    >>> res.meta["run_length"]["stopped"]
    'converged'
    >>> bool(res.nsteps >= 50 * res.meta["run_length"]["tau"].max())
    True

    On a pool of two processes the chain is the serial one:

    >>> import multiprocessing, numpy as np
    >>> with multiprocessing.get_context("spawn").Pool(2) as pool:
    ...     pooled = pg.sample(post, nwalkers=8, nsteps=200, seed=1, progress=False,
    ...                        pool=pool)
    >>> serial = pg.sample(post, nwalkers=8, nsteps=200, seed=1, progress=False)
    >>> bool(np.array_equal(pooled.chain, serial.chain))
    True
    """
    if nwalkers < 2 * post.ndim:
        raise ValueError(
            f"emcee needs at least 2 * ndim = {2 * post.ndim} walkers, got {nwalkers}"
        )
    limit = check_run_length(nsteps, max_steps)  # None for a fixed nsteps
    # the file's first capacity; an automatic run's commits grow it
    capacity = int(nsteps) if limit is None else check_points(limit)[0]
    integer = isinstance(parallel, (int, np.integer)) and not isinstance(parallel, bool)
    if parallel is not None and not (integer and parallel >= 1):
        raise ValueError(f"parallel must be a number of threads >= 1, got {parallel!r}")
    if pool is not None and parallel is not None:
        raise ValueError("pass either parallel= (threads) or pool= (processes), not both")
    if pool is not None:
        log_prob = PoolLogProb(post, pool)  # refuses a pool without map, pickles post once
    else:
        log_prob = post.log_prob
    store = None
    if backend is not None:
        from .backends import Checkpoint  # HDF5 checkpoints load only when asked for

        store = backend if isinstance(backend, Checkpoint) else Checkpoint(backend)
        store.open(post, nwalkers, capacity, resume=resume)  # takes the file's lock
    elif resume:
        raise ValueError("resume=True needs the backend file of the run to resume")
    run_length = {"stopped": "nsteps", "max_steps": None, "tau": None}
    if parallel is not None and parallel != 1:
        log_prob = ParallelLogProb(post, parallel)
    try:
        done = 0 if store is None else store.iteration
        start = random_state = None
        if done == 0 and resume:
            # nothing committed yet: the start stored with the file is the seeded run's
            start, random_state = store.start, store.start_random_state
        elif done == 0:
            rng = np.random.default_rng(seed)
            # the start walkers are evaluated where the steps are (threads, a pool)
            start, values = initial_walkers(post, nwalkers, initial=initial, seed=rng,
                                            log_prob=log_prob, return_log_prob=True)
            # emcee draws from a legacy RandomState: seed it from our Generator
            random_state = np.random.RandomState(rng.integers(2**32)).get_state()
            if store is not None:
                store.set_start(start, random_state)
            # with their values, so that emcee does not evaluate the batch again
            start = emcee.State(start, log_prob=values, random_state=random_state)
        sampler = emcee.EnsembleSampler(nwalkers, post.ndim, log_prob,
                                        vectorize=True, backend=store,
                                        moves=default_moves() if moves is None else moves)
        if done == 0:
            sampler.random_state = random_state
        if limit is not None:
            run_length = run_until_converged(sampler, start, limit, progress=progress)
        else:
            try:
                if int(nsteps) > done:
                    sampler.run_mcmc(start, int(nsteps) - done, progress=progress)
            except KeyboardInterrupt:
                if sampler.iteration == 0:
                    raise
                run_length["stopped"] = "interrupted"
    finally:
        if store is not None:
            store.commit()
            store.close()
        if isinstance(log_prob, (ParallelLogProb, PoolLogProb)):
            log_prob.close()
    result = SamplingResult.from_sampler(sampler, post)
    result.meta = {"run_length": run_length}
    warn_if_not_converged(result)  # finished and interrupted runs alike
    return result
