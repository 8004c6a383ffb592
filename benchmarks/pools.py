"""Sampling the A1835 cluster on a pool of processes: ``python benchmarks/pools.py``.

The ``xray_cluster`` model on the 648x648 XMM-Newton image of Abell 1835
(point sources and unexposed pixels dropped: about 1.3e5 pixels), 32 walkers
from a small ball around the mode, the same seed for every run, sampled

* in one process (``pg.sample(post)``),
* with ``parallel=2`` (two threads share each batch of walkers),
* with ``pool=`` a ``multiprocessing`` pool of two processes (each holds a
  copy of the posterior, sent once per run).

and, as the control that says what the machine allows, two one-process runs at
once, one in each pool process: their throughput against one run alone is the
ceiling of any two-way split of this work on this machine (two cores that slow
each other down, through a shared cache and memory bus or a shared physical
core, cap every split below 2x, and the split paths can only be judged
against that cap).

The four are timed in turn, round after round, the order rotating; a run's
time is the wall time of the whole ``pg.sample`` call (the posterior's trip
to the workers included; for the control, the slower of the two runs, halved,
since it does two runs' work). The ratio quoted is the median over rounds of
the per-round ratio of the one-process time to the other, with the quartiles
(the noise of the machine). The three split chains are checked to be identical.
"""

from __future__ import annotations

import os

# one core per process for BLAS: the parallelism measured is the pool's and the threads'
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import json  # noqa: E402
import multiprocessing  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import cloudpickle  # noqa: E402
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402
from timing import paired_ratio, ratio_quartiles  # noqa: E402

import pgmsim as pg  # noqa: E402

__all__ = ["main"]

ONE, THREADS, POOL = "one process", "parallel=2 (threads)", "pool of 2 processes"
CEILING = "control: 2 one-process runs at once"


def _alone(job):
    """One whole sampling run in a pool process: its wall time and CPU seconds."""
    pickled, settings = job
    post = pickle.loads(pickled)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pg.ConvergenceWarning)
        start, cpu = time.perf_counter(), time.process_time()
        pg.sample(post, progress=False, **settings)
        return time.perf_counter() - start, time.process_time() - cpu


def machine_load():
    """CPU pressure (percent of time some task waited for a CPU, last 10 s)
    and the 1-minute load average: how busy the shared machine was."""
    pressure = None
    try:
        with open("/proc/pressure/cpu") as psi:
            pressure = float(psi.readline().split()[1].split("=")[1])
    except (OSError, IndexError, ValueError):
        pass
    return {"cpu_pressure": pressure, "load_1min": os.getloadavg()[0]}


def cpu_seconds(pid):
    """User + system CPU seconds used so far by the process ``pid`` (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv=None):
    """Run the comparison, print the table and write the JSON.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``--help`` lists them).
    """
    parser = cases.cluster_arguments(__doc__.splitlines()[0], nsteps=150)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", default=str(HERE / "pools.json"))
    args = parser.parse_args(argv)

    case = cases.cluster(args.data_home)
    post = case.post

    def run(**how):
        """Wall time, chain, and the CPU seconds of this process and of each worker."""
        workers = [p.pid for p in how["pool"]._pool] if "pool" in how else []
        before = [cpu_seconds(pid) for pid in [os.getpid(), *workers]]
        with warnings.catch_warnings():  # runs this short are not converged
            warnings.simplefilter("ignore", pg.ConvergenceWarning)
            start = time.perf_counter()
            res = pg.sample(post, nwalkers=args.nwalkers, nsteps=args.nsteps, seed=1,
                            initial=case.theta, progress=False, **how)
            wall = time.perf_counter() - start
        cpu = [cpu_seconds(pid) - b for pid, b in zip([os.getpid(), *workers], before)]
        return wall, res.chain, cpu

    def both_at_once(pool):
        """The control: the one-process run twice at once, one per pool process."""
        settings = dict(nwalkers=args.nwalkers, nsteps=args.nsteps, seed=1,
                        initial=case.theta)
        walls, cpu = zip(*pool.map(_alone, [(pickled, settings)] * 2))
        return max(walls) / 2, None, [0.0, *(seconds / 2 for seconds in cpu)]

    pickled = cloudpickle.dumps(post)  # the model's functions are local (closures)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        runs = {ONE: lambda: run(), THREADS: lambda: run(parallel=2),
                POOL: lambda: run(pool=pool), CEILING: lambda: both_at_once(pool)}
        pool.map(abs, range(4))  # the workers have started and imported numpy
        names = list(runs)
        times = {name: [] for name in names}
        cpus = {name: [] for name in names}
        chains = {}
        load = [machine_load()]
        for r in range(args.rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                seconds, chain, cpu = runs[name]()
                if chain is not None:
                    chains[name] = chain
                times[name].append(seconds)
                cpus[name].append(cpu)
            load.append(machine_load())
    times = {name: np.array(values) for name, values in times.items()}
    identical = all(np.array_equal(chain, chains[ONE]) for chain in chains.values())

    # The speed-up an idle machine would allow, from CPU seconds, which waiting for a
    # CPU on a busy machine does not inflate: the caller's own CPU time plus the
    # busiest worker's (the workers' shares run at the same time), against the
    # one-process run's CPU time.
    one_cpu = np.array([cpu[0] for cpu in cpus[ONE]])
    pool_path = np.array([cpu[0] + max(cpu[1:]) for cpu in cpus[POOL]])
    pool_total = np.array([sum(cpu) for cpu in cpus[POOL]])
    rows = []
    for name in names:
        rows.append({"run": name, "median_s": float(np.median(times[name])),
                     "speedup": paired_ratio(times, ONE, name),
                     "quartiles": ratio_quartiles(times, ONE, name),
                     "cpu_s": float(np.median([sum(cpu) for cpu in cpus[name]]))})
    cpu_bound = {"one_process_cpu_s": float(np.median(one_cpu)),
                 "pool_caller_plus_busiest_worker_cpu_s": float(np.median(pool_path)),
                 "pool_total_cpu_s": float(np.median(pool_total)),
                 "pool_speedup_from_cpu": float(np.median(one_cpu / pool_path)),
                 "pool_cpu_overhead": float(np.median(pool_total / one_cpu))}
    print(f"A1835 cluster, {int(post.sizes['pixels'])} pixels, {args.nwalkers} walkers, "
          f"{args.nsteps} steps, {args.rounds} rounds; chains identical: {identical}")
    print("| run | median wall time | speed-up over one process (quartiles) | CPU time |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        q1, q3 = row["quartiles"]
        print(f"| {row['run']} | {row['median_s']:.2f} s | "
              f"{row['speedup']:.2f}x ({q1:.2f}-{q3:.2f}) | {row['cpu_s']:.2f} s |")
    print(f"pool, from CPU seconds: one process {cpu_bound['one_process_cpu_s']:.2f} s, "
          f"caller + busiest worker {cpu_bound['pool_caller_plus_busiest_worker_cpu_s']:.2f} s "
          f"(speed-up an idle machine allows: {cpu_bound['pool_speedup_from_cpu']:.2f}x), "
          f"all processes {cpu_bound['pool_total_cpu_s']:.2f} s "
          f"({cpu_bound['pool_cpu_overhead']:.2f}x the one process's CPU)")
    ceiling = next(row["speedup"] for row in rows if row["run"] == CEILING)
    for row in rows:
        if row["run"] in (THREADS, POOL):
            print(f"{row['run']}: {row['speedup'] / ceiling:.0%} of the machine's ceiling "
                  f"({row['speedup']:.2f}x of {ceiling:.2f}x)")
    print(f"machine load (CPU pressure %, 1-min load) before and after each round: "
          f"{[(entry['cpu_pressure'], round(entry['load_1min'], 2)) for entry in load]}")
    Path(args.json).write_text(json.dumps(
        {"meta": {**vars(args), "pixels": int(post.sizes["pixels"]),
                  "cpus": os.cpu_count(), "load": load, "chains_identical": identical},
         "times": {name: values.tolist() for name, values in times.items()},
         "cpu": {name: values for name, values in cpus.items()}, "cpu_bound": cpu_bound,
         "rows": rows}, indent=1))
    if not identical:
        raise SystemExit("the chains differ: the pool or the threads changed the run")


if __name__ == "__main__":
    main()
