"""SBC throughput on a Dask cluster of 1 and 2 workers: ``python benchmarks/distributed.py``.

One run measures, side by side:

* the SBC throughput (fits per minute) of ``pg.sbc(..., executor=client)`` on a
  local Dask cluster of one worker process and of two (one thread each), the
  two clusters timed in turn, round after round, the order rotating; the
  ratio quoted is the median over rounds of the per-round ratio, with the
  quartiles (the noise of the machine). The workers import pgmsim and run one
  fit before the clock starts;
* the same fits (same seeds) on plain ``concurrent.futures`` process pools of
  one and two processes, each process fitting all of them one after the other
  (so that the two do the same work at once), timed in the same rounds: the control that says what two processes gain on this machine
  at all (two cores that slow each other down cap every split below 2x),
  against which Dask's ratio is judged;
* the per-task overhead of the engine: ``run_tasks`` of empty tasks on the
  two-worker cluster (submit, schedule, run, return, store nothing), wall time
  per task;
* a projection of the throughput at 100 and 1000 workers from the measured
  task time ``t`` (the mean ``wall_s`` of the SBC's fits on a worker, with the
  worker's idle time between two of them) and overhead
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
import multiprocessing  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402

import pgmsim as pg  # noqa: E402
from pgmsim.distributed import run_tasks  # noqa: E402
from pgmsim.models import xray_agn  # noqa: E402

SIZE = 16
DASK, PLAIN = "Dask", "process pool"
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


def _job():
    """What each SBC task gets: the model built here (its local functions cannot
    be pickled for a plain pool), with the benchmark's settings."""
    model, inputs = xray_agn.build(size=SIZE), xray_agn.default_inputs(size=SIZE, seed=0)
    return {"model": model, "fit_model": model, "inputs": inputs,
            "burn": SETTINGS["nsteps"] // 2,
            **{k: SETTINGS[k] for k in ("nwalkers", "nsteps", "thin", "initial")}}


def _serial_fits(indices, n_sims):
    """The SBC fits ``indices`` of a run of ``n_sims``, the same fits (same seeds)
    that ``pg.sbc`` hands its workers, one after the other."""
    from pgmsim.validate.sbc import _one

    warnings.simplefilter("ignore", pg.ConvergenceWarning)
    job, seeds = _job(), np.random.SeedSequence(SETTINGS["seed"]).spawn(n_sims)
    for index in indices:
        _one(job, index, seeds[index])


def _shares(pool, n_processes, n_sims):
    """The control: every one of the pool's processes fits all ``n_sims`` fits at
    once (the same work in each, so no process waits for another's harder
    fits); the time per ``n_sims`` fits is the wall time over the processes."""
    started = time.perf_counter()
    for future in [pool.submit(_serial_fits, range(n_sims), n_sims)
                   for _ in range(n_processes)]:
        future.result()
    return (time.perf_counter() - started) / n_processes, None


def main(argv=None):
    from distributed import Client, LocalCluster, get_task_stream

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-sims", type=int, default=24, help="SBC fits per timed run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--empty-tasks", type=int, default=400)
    parser.add_argument("--json", default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", pg.ConvergenceWarning)
    model, inputs = xray_agn.build(size=SIZE), xray_agn.default_inputs(size=SIZE, seed=0)
    clusters = {n: LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                host="127.0.0.1", dashboard_address=None) for n in (1, 2)}
    clients = {n: Client(cluster) for n, cluster in clusters.items()}
    spawn = multiprocessing.get_context("spawn")
    pools = {n: ProcessPoolExecutor(n, mp_context=spawn) for n in (1, 2)}
    runs = {(DASK, n): partial(_sbc, clients[n], model, inputs, args.n_sims) for n in (1, 2)}
    runs |= {(PLAIN, n): partial(_shares, pools[n], n, args.n_sims) for n in (1, 2)}
    try:
        for client in clients.values():
            _warm(client, model, inputs)
        for n, pool in pools.items():
            _shares(pool, n, n)
        times = {key: [] for key in runs}
        task_times, ranks = [], {}
        order = list(runs)
        for r in range(args.rounds):
            for key in order[r % len(order):] + order[:r % len(order)]:
                seconds, result = runs[key]()
                times[key].append(seconds)
                if result is not None:
                    ranks.setdefault(key, result.ranks)
        assert all(np.array_equal(ranks[key], ranks[DASK, 1]) for key in ranks), \
            "the engines gave different ranks"
        # the time of one fit on a worker, as run_tasks records it: the SBC's own fits
        with get_task_stream(clients[1]) as stream:
            records = run_tasks(_fit_time, _job(), args.n_sims, seed=SETTINGS["seed"],
                                executor=clients[1])
        task_times = [rec["wall_s"] for rec in records]
        # the worker's time between two fits: its spans of computing, back to back
        spans = sorted((part["start"], part["stop"]) for task in stream.data
                       for part in task["startstops"] if part["action"] == "compute")
        between = float(np.mean([b[0] - a[1] for a, b in zip(spans, spans[1:])]))
        started = time.perf_counter()
        run_tasks(_empty, None, args.empty_tasks, seed=0, executor=clients[2])
        overhead = (time.perf_counter() - started) / args.empty_tasks
    finally:
        for pool in pools.values():
            pool.shutdown()
        for client in clients.values():
            client.close()
        for cluster in clusters.values():
            cluster.close()
    per_round = {engine: np.array(times[engine, 1]) / np.array(times[engine, 2])
                 for engine in (DASK, PLAIN)}
    fits_per_min = {f"{engine} {n}": 60 * args.n_sims / np.median(times[engine, n])
                    for engine, n in times}
    task = float(np.mean(task_times))
    projection = {w: 60 * min(w / task, 1 / overhead) for w in (1, 2, 100, 1000)}
    speedup = {engine: {"median": float(np.median(ratios)),
                        "quartiles": np.percentile(ratios, [25, 75]).tolist()}
               for engine, ratios in per_round.items()}
    out = {"n_sims": args.n_sims, "rounds": args.rounds,
           "seconds": {f"{engine} {n}": values for (engine, n), values in times.items()},
           "fits_per_min": fits_per_min, "speedup_2_vs_1": speedup,
           "task_s": task, "between_tasks_s": between, "overhead_s": overhead,
           "projection_fits_per_min": projection,
           "load_average": os.getloadavg()}
    for engine in (DASK, PLAIN):
        q1, q3 = speedup[engine]["quartiles"]
        print(f"SBC fits per minute, {engine}: 1 worker {fits_per_min[f'{engine} 1']:.1f}, "
              f"2 workers {fits_per_min[f'{engine} 2']:.1f}; 2 vs 1: "
              f"{speedup[engine]['median']:.2f}x (quartiles {q1:.2f}-{q3:.2f})")
    print(f"Dask reaches {speedup[DASK]['median'] / speedup[PLAIN]['median']:.0%} of the "
          f"speed-up of plain processes on this machine")
    print(f"one fit on a worker: {task:.2f} s, {1e3 * between:.1f} ms between two fits; "
          f"engine overhead per task: {1e3 * overhead:.1f} ms")
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

    _one(payload, index, seed_sequence)
    return {}


if __name__ == "__main__":
    main()
