"""Where a sampling pool loses time: ``python benchmarks/pool_replay.py``.

The batches of walkers that one serial ``pg.sample`` run of the A1835 cluster
model hands to its log-posterior (``--nsteps`` steps of ``--nwalkers``
walkers, so ``2 * nsteps`` batches of ``nwalkers / 2``) are recorded, split in
two halves, and evaluated again on a spawned pool of two processes, each
holding the posterior, in three arrangements:

* one worker: every half, one after the other, in one process;
* paired: the two halves of each batch at once, one per worker, batch after
  batch, as ``pg.sample(pool=...)`` does;
* free-running: the halves in two long chunks, one per worker, with no
  boundary between batches.

Each arrangement reports its wall time and the CPU seconds spent inside
``log_prob`` (``time.thread_time`` in the worker). Equal CPU seconds mean
the likelihood does not cost more when a batch is split; the paired wall time
against the free-running one is what waiting at every batch boundary (for the
slower half and for the pool's messages) costs.
"""

from __future__ import annotations

import os

# one core per process for BLAS: the parallelism measured is the pool's
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import multiprocessing  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import cloudpickle  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases  # noqa: E402

import pgmsim as pg  # noqa: E402

__all__ = ["main"]

_post = None


def _hold(pickled):
    """Pool initializer: keep the posterior in the worker."""
    global _post
    _post = pickle.loads(pickled)


def _evaluate(theta):
    """CPU seconds the worker spends inside ``log_prob`` for ``theta``."""
    start = time.thread_time()
    _post.log_prob(theta)
    return time.thread_time() - start


def recorded_batches(post, theta, nwalkers, nsteps):
    """The batches of walkers one serial run evaluates, in order."""
    seen = []
    cls = type(post)
    log_prob = cls.log_prob

    def recording(self, theta):
        if np.ndim(theta) == 2 and len(theta) == nwalkers // 2:
            seen.append(np.array(theta))
        return log_prob(self, theta)

    cls.log_prob = cls.__call__ = recording   # for this one run only
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pg.ConvergenceWarning)
            pg.sample(post, nwalkers=nwalkers, nsteps=nsteps, seed=1, initial=theta,
                      progress=False)
    finally:
        cls.log_prob = cls.__call__ = log_prob
    return seen


def main(argv=None):
    """Replay one run's batches in the three arrangements and print the times.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``--help`` lists them).
    """
    parser = cases.cluster_arguments(__doc__.splitlines()[0], nsteps=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    case = cases.cluster(args.data_home)
    batches = recorded_batches(case.post, case.theta, args.nwalkers, args.nsteps)
    half = args.nwalkers // 4
    first = [b[:half] for b in batches]
    second = [b[half:] for b in batches]
    print(f"A1835 cluster: {len(batches)} batches of {args.nwalkers // 2} walkers, "
          f"halves of {half} and {args.nwalkers // 2 - half}")
    context = multiprocessing.get_context("spawn")
    with context.Pool(2, initializer=_hold, initargs=(cloudpickle.dumps(case.post),)) as pool:
        pool.map(_evaluate, [batches[0][:1]] * 4)   # both workers started and warm
        for r in range(args.rounds):
            start = time.perf_counter()
            alone = sum(pool.map(_evaluate, first + second, chunksize=len(batches) * 2))
            alone_wall = time.perf_counter() - start
            start = time.perf_counter()
            paired = sum(sum(pool.map(_evaluate, [a, b])) for a, b in zip(first, second))
            paired_wall = time.perf_counter() - start
            start = time.perf_counter()
            free = sum(pool.map(_evaluate, first + second, chunksize=len(batches)))
            free_wall = time.perf_counter() - start
            print(f"round {r + 1}: one worker {alone_wall:.2f} s (in log_prob {alone:.2f} s) | "
                  f"paired {paired_wall:.2f} s ({paired:.2f} s), {alone_wall / paired_wall:.2f}x | "
                  f"free-running {free_wall:.2f} s ({free:.2f} s), "
                  f"{alone_wall / free_wall:.2f}x")


if __name__ == "__main__":
    main()
