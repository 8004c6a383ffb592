"""Where a sampling pool's time goes, batch by batch: ``python benchmarks/pool_batches.py``.

One ``pg.sample`` run of the A1835 cluster model (``--nwalkers`` walkers,
``--nsteps`` steps) on a spawned ``multiprocessing`` pool of two processes,
with the pool wrapped so that every ``map`` is timed in the caller and every
share in its worker (``time.perf_counter``, the same clock in all processes
on Linux). For each batch of walkers it splits the time from one ``map`` to
the next into

* a worker's work: the shares' time in their workers, over the two workers;
* workers waiting: from the first share's start to the last share's end, less
  that work (the slower share, and the second starting later);
* sending: from the call of ``map`` to the first share's start in a worker;
* receiving: from the last share's end to ``map`` returning in the caller;
* the caller between two maps: emcee's moves and pgmsim's bookkeeping.

The first batches (the start walkers, and the posterior's trip to the
workers) are left out; a warm-up run first starts the workers.
``--shares-per-worker 2`` has each batch cut into four shares that the pool
hands out as workers come free (more messages, smaller shares to balance).
"""

from __future__ import annotations

import os

# one core per process for BLAS: the parallelism measured is the pool's
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases  # noqa: E402

import pgmsim as pg  # noqa: E402

__all__ = ["TimedPool", "main"]

#: Batches left out at the start: the start walkers (sent twice, the second
#: time with the posterior) and the first step's two halves.
SKIPPED = 4


def _timed(job):
    """Run in a worker: one share, with its start and end time."""
    function, task = job
    start = time.perf_counter()
    value = function(task)
    return value, start, time.perf_counter()


class TimedPool:
    """A pool that records, for every ``map``, its span in the caller and
    each task's span in its worker; ``size`` (the shares per batch, see
    :func:`pgmsim.fit.pools.pool_size`) is ``shares`` per process."""

    def __init__(self, pool, shares=1):
        self.pool, self.size = pool, shares * pool._processes
        self.maps = []

    def map(self, function, tasks):
        start = time.perf_counter()
        out = self.pool.map(_timed, [(function, task) for task in tasks])
        self.maps.append((start, time.perf_counter(), [spans for _, *spans in out]))
        return [value for value, *_ in out]


def breakdown(maps, workers):
    """Mean milliseconds per batch of each part (see the module's docstring);
    the parts add up to the time from one ``map`` to the next."""
    calls = np.array([(start, end) for start, end, _ in maps])
    shares = [np.array(spans) for _, _, spans in maps]
    first = np.array([s[:, 0].min() for s in shares])
    last = np.array([s[:, 1].max() for s in shares])
    work = np.array([np.sum(s[:, 1] - s[:, 0]) / workers for s in shares])
    parts = {"a worker's work (shares' mean)": work,
             "workers waiting (slower share)": (last - first) - work,
             "sending": first - calls[:, 0], "receiving": calls[:, 1] - last,
             "caller between maps": np.append(calls[1:, 0] - calls[:-1, 1], np.nan)}
    return {name: 1e3 * float(np.nanmean(values)) for name, values in parts.items()}


def main(argv=None):
    """Run, print the breakdown.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``--help`` lists them).
    """
    parser = cases.cluster_arguments(__doc__.splitlines()[0], nsteps=100)
    parser.add_argument("--shares-per-worker", type=int, default=1)
    args = parser.parse_args(argv)
    if args.shares_per_worker < 1:
        parser.error(f"--shares-per-worker must be at least 1, got {args.shares_per_worker}")
    case = cases.cluster(args.data_home)

    def run(pool, nsteps):
        with warnings.catch_warnings():  # runs this short are not converged
            warnings.simplefilter("ignore", pg.ConvergenceWarning)
            start = time.perf_counter()
            pg.sample(case.post, nwalkers=args.nwalkers, nsteps=nsteps, seed=1,
                      initial=case.theta, progress=False, pool=pool)
            return time.perf_counter() - start

    with multiprocessing.get_context("spawn").Pool(2) as processes:
        pool = TimedPool(processes, args.shares_per_worker)
        run(pool, 5)  # the workers import pgmsim and receive a posterior once
        pool.maps.clear()
        wall = run(pool, args.nsteps)
    parts = breakdown(pool.maps[SKIPPED:], workers=2)
    print(f"A1835 cluster, {args.nwalkers} walkers, {args.nsteps} steps on a pool of two, "
          f"{pool.size} shares per batch: {wall:.2f} s, {len(pool.maps)} maps; per batch "
          f"{sum(parts.values()):.2f} ms from one map to the next:")
    for name, ms in parts.items():
        print(f"  {name:32s} {ms:6.2f} ms")


if __name__ == "__main__":
    main()
