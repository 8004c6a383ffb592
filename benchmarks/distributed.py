"""SBC throughput on a Dask cluster of 1 and 2 workers: ``python benchmarks/distributed.py``.

One run measures, side by side:

* the SBC throughput (fits per minute) of ``pg.sbc(..., executor=client)`` on a
  local Dask cluster of one worker process and of two (one thread each), the
  two clusters timed in turn, round after round, the order rotating; the
  ratio quoted is the median over rounds of the per-round ratio, with the
  quartiles (the noise of the machine). The workers import pgmsim and run one
  fit before the clock starts;
* the per-task overhead of the engine: ``run_tasks`` of empty tasks on the
  two-worker cluster (submit, schedule, run, return, store nothing), wall time
  per task;
* a projection of the throughput at 100 and 1000 workers from the measured
  task time ``t`` (the mean ``wall_s`` of a fit on a worker) and overhead
  ``o``: each worker finishes a fit every ``t`` seconds, and the scheduler
  hands out at most ``1 / o`` tasks per second, so
  ``fits/min = 60 * min(W / t, 1 / o)``.

The fits are the 16x16 ``xray_agn`` stamp, 16 walkers, 300 steps, walkers
started at the MAP, the same seed in every round (the ranks are checked to be
identical on both clusters).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# this file's folder first on the path would make `import distributed` import this file
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

# one core per process for BLAS: the parallelism measured is Dask's
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

import pgmsim as pg  # noqa: E402
from pgmsim.distributed import run_tasks  # noqa: E402
from pgmsim.models import xray_agn  # noqa: E402

SIZE = 16
SETTINGS = dict(nwalkers=16, nsteps=300, thin=30, initial="map", seed=7)


def _empty(payload, index, seed_sequence, argument):
    return {}


def _warm(client, model, inputs):
    """Import pgmsim and run one fit on every worker before timing."""
    pg.sbc(model, inputs, n_sims=len(client.scheduler_info()["workers"]), executor=client,
           **{**SETTINGS, "nsteps": 40, "thin": 10})


def _sbc(client, model, inputs, n_sims):
    started = time.perf_counter()
    result = pg.sbc(model, inputs, n_sims=n_sims, executor=client, **SETTINGS)
    return time.perf_counter() - started, result


def main(argv=None):
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sims", type=int, default=12, help="SBC fits per timed run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--empty-tasks", type=int, default=400)
    parser.add_argument("--json", default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", pg.ConvergenceWarning)
    model, inputs = xray_agn.build(size=SIZE), xray_agn.default_inputs(size=SIZE, seed=0)
    clusters = {n: LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                host="127.0.0.1", dashboard_address=None) for n in (1, 2)}
    clients = {n: Client(cluster) for n, cluster in clusters.items()}
    try:
        for n, client in clients.items():
            _warm(client, model, inputs)
        times = {1: [], 2: []}
        task_times, ranks = [], {}
        for r in range(args.rounds):
            for n in ((1, 2) if r % 2 == 0 else (2, 1)):
                seconds, result = _sbc(clients[n], model, inputs, args.n_sims)
                times[n].append(seconds)
                ranks.setdefault(n, result.ranks)
        assert np.array_equal(ranks[1], ranks[2]), "the clusters gave different ranks"
        # the time of one fit on a worker, as run_tasks records it
        records = run_tasks(_fit_time, (model, inputs), 4, seed=1, executor=clients[1])
        task_times = [rec["wall_s"] for rec in records]
        started = time.perf_counter()
        run_tasks(_empty, None, args.empty_tasks, seed=0, executor=clients[2])
        overhead = (time.perf_counter() - started) / args.empty_tasks
    finally:
        for client in clients.values():
            client.close()
        for cluster in clusters.values():
            cluster.close()
    per_round = np.array(times[1]) / np.array(times[2])
    fits_per_min = {n: 60 * args.n_sims / np.median(times[n]) for n in times}
    task = float(np.mean(task_times))
    projection = {w: 60 * min(w / task, 1 / overhead) for w in (1, 2, 100, 1000)}
    out = {"n_sims": args.n_sims, "rounds": args.rounds, "seconds": times,
           "fits_per_min": fits_per_min,
           "speedup_2_vs_1": {"median": float(np.median(per_round)),
                              "quartiles": np.percentile(per_round, [25, 75]).tolist()},
           "task_s": task, "overhead_s": overhead, "projection_fits_per_min": projection,
           "load_average": os.getloadavg()}
    print(f"SBC fits per minute: 1 worker {fits_per_min[1]:.1f}, 2 workers "
          f"{fits_per_min[2]:.1f}; 2 vs 1: {np.median(per_round):.2f}x (quartiles "
          f"{out['speedup_2_vs_1']['quartiles'][0]:.2f}-"
          f"{out['speedup_2_vs_1']['quartiles'][1]:.2f})")
    print(f"one fit on a worker: {task:.2f} s; engine overhead per task: "
          f"{1e3 * overhead:.1f} ms")
    for w in (100, 1000):
        print(f"projection at {w} workers: {projection[w]:.0f} fits per minute")
    print(f"load average during the run: {os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=float)
    return out


def _fit_time(payload, index, seed_sequence, argument):
    """One SBC fit, timed on the worker by run_tasks."""
    from pgmsim.validate.sbc import _one

    model, inputs = payload
    burn = SETTINGS["nsteps"] // 2
    job = {"model": model, "fit_model": model, "inputs": inputs, "burn": burn,
           **{k: SETTINGS[k] for k in ("nwalkers", "nsteps", "thin", "initial")}}
    _one(job, index, seed_sequence)
    return {}


if __name__ == "__main__":
    main()
