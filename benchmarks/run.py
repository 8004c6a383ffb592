"""pgmsim's performance benchmark: ``python benchmarks/run.py [--quick]``.

Prints a table and writes it as JSON (``--json``, default
``benchmarks/results.json``). Every figure is a ratio of two measurements
taken side by side in this one run: the functions of a comparison are timed
in turn, round after round, and the ratio quoted is the median of the
per-round ratios (see ``timing.py``).

Cases
-----
1. ``xray_agn`` on a 40x40 mock stamp: pgmsim's ``log_prob`` against a
   hand-written numpy log-posterior, for one point and for a batch of 32
   walkers; the batch's throughput against 32 single calls; the same for
   stamps of other sizes (batching must never lose).
2. ``xray_cluster`` on the 648x648 XMM-Newton image of Abell 1835, point
   sources masked: the same comparisons, plus the straightforward
   full-image numpy posterior, and threads sharing a batch.
3. End to end on ``xray_agn``: time to 1,000 effective samples of the
   slowest parameter with pgmsim + emcee, PyMC (NUTS) and NumPyro (NUTS),
   compile times included, when the peers are installed.
4. Peak memory (RSS) of sampling runs on the cluster image, and their
   effective samples per second against emcee driven by the straightforward
   posterior.
5. Time to the first sample in a fresh interpreter (import, build
   ``xray_agn``, posterior, one emcee step) against a hand-written numpy +
   emcee script (``first_sample.py``).

The real data are found through ``pgmsim.astro.datasets`` (``$PGMSIM_DATA``) or
``--data-home``; without them the cluster cases are skipped.
"""

from __future__ import annotations

import os

# One core for every side's elementwise work and BLAS calls (the hand-written
# sparse posterior's dot product would otherwise start OpenBLAS threads, which
# stall on a busy machine); set before numpy is imported, inherited by the
# sampling runs. Threads are measured on purpose, with ParallelLogProb.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402
import peers  # noqa: E402
from first_sample import bench_first_sample  # noqa: E402
from timing import interleaved, paired_ratio, ratio_quartiles  # noqa: E402

import pgmsim as pg  # noqa: E402
from pgmsim.fit import posterior as posterior_module  # noqa: E402
from pgmsim.fit.parallel import ParallelLogProb  # noqa: E402

__all__ = ["main", "Report"]


class Report:
    """Rows of the benchmark table, the targets, and the raw runs.

    Parameters
    ----------
    meta : dict
        Machine and settings.
    """

    def __init__(self, meta):
        self.meta = meta
        self.rows = []
        self.runs = {}

    def add(self, case, what, value, unit, ref=None, ratio=None, target=None, met=None,
            note=""):
        """Add a row; ``ratio`` compares ``value`` with the reference ``ref``."""
        row = {"case": case, "what": what, "value": value, "unit": unit, "ref": ref,
               "ratio": ratio, "target": target, "met": met, "note": note,
               "within_noise": False}
        if met is False and "IQR" in note:
            # the target lies inside the interquartile range of the rounds
            q1, q3 = (float(v) for v in note.split("IQR ")[1].split(";")[0].split("-"))
            threshold = float(target.split()[-1])
            row["within_noise"] = q1 <= threshold <= q3
        self.rows.append(row)
        print(self._format(row), flush=True)
        return row

    @staticmethod
    def _value(value, unit):
        if value is None:
            return "-"
        if unit == "s":
            if value < 1e-3:
                return f"{value * 1e6:.1f} us"
            if value < 1:
                return f"{value * 1e3:.2f} ms"
            return f"{value:.1f} s"
        return f"{value:.4g} {unit}".strip()

    def _format(self, row):
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        met = {True: "yes", False: "NO", None: ""}[row["met"]]
        met = "NO~" if row["within_noise"] else met
        line = (f"{row['case']:<13} {row['what']:<46} {self._value(row['value'], row['unit']):>11}"
                f"  {row['ref'] or '':<30} {ratio:>6}  {row['target'] or '':<8} {met:<4}")
        return f"{line} {row['note']}".rstrip()

    def header(self):
        """The table's header line."""
        return (f"{'case':<13} {'measurement':<46} {'value':>11}  {'ratio against':<30} "
                f"{'ratio':>6}  {'target':<8} met  note")

    def markdown(self):
        """The table in Markdown."""
        lines = ["| case | measurement | value | ratio against | ratio | target | met | note |",
                 "| --- | --- | ---: | --- | ---: | --- | --- | --- |"]
        for r in self.rows:
            ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
            met = {True: "yes", False: "**no**", None: ""}[r["met"]]
            met = "no, within noise" if r["within_noise"] else met
            lines.append(f"| {r['case']} | {r['what']} | {self._value(r['value'], r['unit'])} "
                         f"| {r['ref'] or ''} | {ratio} | {r['target'] or ''} | {met} "
                         f"| {r['note']} |")
        return "\n".join(lines)

    def as_dict(self):
        """Everything, for JSON."""
        return {"meta": self.meta, "rows": self.rows, "runs": self.runs}


def cpu_pressure():
    """Share of the last 10 s during which runnable tasks waited for a CPU
    (Linux pressure stall information, percent), or None where unavailable."""
    try:
        with open("/proc/pressure/cpu") as psi:
            return float(psi.readline().split()[1].split("=")[1])
    except (OSError, IndexError, ValueError):
        return None


def wait_idle(opts, what):
    """Wait, up to ``--wait-idle`` seconds, until the machine is idle: CPU
    pressure under 10 percent (or, without pressure information, a 1-minute
    load average under half the number of CPUs). Returns the state found."""
    start = time.perf_counter()
    while True:
        pressure = cpu_pressure()
        load = os.getloadavg()[0]
        idle = pressure < 10 if pressure is not None else load < 0.5 * (os.cpu_count() or 1)
        waited = time.perf_counter() - start
        if idle or waited >= opts.wait_idle:
            state = {"what": what, "idle": idle, "waited_s": round(waited, 1),
                     "cpu_pressure": pressure, "load": load}
            opts.idle_log.append(state)
            if opts.wait_idle:
                print(f"# {what}: {'idle' if idle else 'busy'} after {waited:.0f} s "
                      f"(CPU pressure {pressure}, load {load:.1f})", flush=True)
            return state
        time.sleep(5)


def _median(times):
    return float(np.median(times))


def _spread(times, a, b, scale=1.0):
    """Note giving the interquartile range of the per-round ratios (times ``scale``)."""
    q1, q3 = ratio_quartiles(times, a, b)
    return f"rounds' IQR {q1 * scale:.2f}-{q3 * scale:.2f}"


def _loop(func, theta):
    return lambda: [func(t) for t in theta]


# ---------------------------------------------------------------------------
# per-evaluation comparisons


def bench_evaluations(report, case, hands, label, opts, peer_calls, targets):
    """One point and a batch of 32 walkers: pgmsim against numpy and peers."""
    post, theta = case.post, case.theta
    batch = cases.walker_ball(theta, 32, seed=1)
    funcs = {"pgmsim": lambda: post.log_prob(theta)}
    for name, hand in hands.items():
        funcs[name] = (lambda h: lambda: h(theta))(hand.func)
    funcs.update(peer_calls)
    times = interleaved(funcs, rounds=opts.rounds, target=opts.block)
    report.runs[f"{label}_point"] = {k: v.tolist() for k, v in times.items()}
    t_pg = _median(times["pgmsim"])
    numpy_names = [n for n in hands if n.startswith("numpy")]
    best = min(numpy_names, key=lambda n: _median(times[n]))
    report.add(label, "log_prob, one point", t_pg, "s")
    for name in numpy_names:
        ratio = paired_ratio(times, "pgmsim", name)
        is_best = name == best
        report.add(label, f"  {hands[name].label}", _median(times[name]), "s",
                   ref="pgmsim / this", ratio=ratio,
                   target=f"<= {targets['overhead']}" if is_best else None,
                   met=(ratio <= targets["overhead"]) if is_best else None,
                   note=_spread(times, "pgmsim", name)
                   + ("; the faster hand-written numpy" if is_best else ""))
    if "numpy" in times and "numpy sparse" in times:
        report.add(label, "  sparse log buys (numpy dense / sparse)", None, "",
                   ratio=paired_ratio(times, "numpy", "numpy sparse"))
    if "straightforward" in times:
        frac = hands["straightforward"].fraction
        ratio = paired_ratio(times, "pgmsim", "straightforward") / frac
        report.add(label, "  straightforward, full image", _median(times["straightforward"]),
                   "s", ref=f"pgmsim / (this x kept {frac:.3f})", ratio=ratio,
                   target="<= 1", met=ratio <= 1.0,
                   note="masking: " + _spread(times, "pgmsim", "straightforward", 1 / frac))
    for name in peer_calls:
        ratio = paired_ratio(times, "pgmsim", name)
        report.add(label, f"  {name}", _median(times[name]), "s", ref="pgmsim / this",
                   ratio=ratio, target="< 1", met=ratio < 1.0,
                   note=_spread(times, "pgmsim", name))

    # batches of 32 walkers against 32 single calls
    dense = hands["numpy"].func
    funcs = {"pgmsim batch": lambda: post.log_prob(batch),
             "pgmsim loop": _loop(post.log_prob, batch),
             "numpy batch": lambda: dense.batch(batch),
             "numpy loop": _loop(dense, batch)}
    times = interleaved(funcs, rounds=opts.rounds, target=opts.block)
    report.runs[f"{label}_batch"] = {k: v.tolist() for k, v in times.items()}
    gain = paired_ratio(times, "pgmsim loop", "pgmsim batch")
    report.add(label, "log_prob, batch of 32 walkers", _median(times["pgmsim batch"]), "s")
    report.add(label, "  throughput vs 32 single calls", _median(times["pgmsim loop"]), "s",
               ref="loop / batch", ratio=gain, target=f">= {targets['batch']}",
               met=gain >= targets["batch"],
               note=_spread(times, "pgmsim loop", "pgmsim batch")
               + f"; {post._chunk()} walkers per pass")
    report.add(label, "  numpy, one pass over the batch", _median(times["numpy batch"]), "s",
               ref="pgmsim batch / this",
               ratio=paired_ratio(times, "pgmsim batch", "numpy batch"))
    report.add(label, "  numpy batch throughput vs its loop", None, "",
               ref="loop / batch", ratio=paired_ratio(times, "numpy loop", "numpy batch"))
    return batch


def bench_batch_sizes(report, opts):
    """Batch of 32 against 32 single calls for square stamps of several sizes."""
    sizes = (20, 80, 648) if opts.quick else (10, 20, 40, 80, 160, 320, 648)
    worst = None
    for size in sizes:
        from pgmsim.models import xray_agn

        model = xray_agn.build(size=size)
        inputs = xray_agn.default_inputs(size=size)
        truth = dict(xray_agn.TRUTH, x0=size / 2 + 0.3, y0=size / 2 - 0.4)
        counts = model.simulate(inputs=inputs, params=truth, seed=1)["N"]
        post = model.posterior(data={"N": counts}, inputs=inputs)
        batch = cases.walker_ball(post.pack(truth), 32, seed=2)
        times = interleaved({"batch": lambda: post.log_prob(batch),
                             "loop": _loop(post.log_prob, batch)},
                            rounds=opts.rounds, target=opts.block)
        gain = paired_ratio(times, "loop", "batch")
        worst = gain if worst is None else min(worst, gain)
        report.add(f"stamp {size}x{size}", "batch of 32 vs 32 single calls",
                   _median(times["batch"]), "s", ref="loop / batch", ratio=gain,
                   target=">= 1", met=gain >= 1.0,
                   note=f"{_spread(times, 'loop', 'batch')}; {post._chunk()} walkers per pass")
    return worst


_FORKED = {}


def _forked_log_prob(theta):
    return _FORKED["post"].log_prob(theta)


def _exp_loop(n):
    """The ceiling of parallel numpy here: ``n`` exponentials of 2^17 doubles."""
    a = np.linspace(0.1, 1.0, 1 << 17)
    out = np.empty_like(a)
    for _ in range(n):
        np.exp(a, out=out)
    return n


def bench_ceiling(report, opts):
    """What two cores give numpy on this machine: the same loop of
    ``np.exp`` on 2^17 doubles, once, then on two threads and on two
    processes at the same time (twice the work). A ratio of 2 is two full
    cores; virtual CPUs that share a physical core, or a busy host, give less."""
    import multiprocessing
    from concurrent.futures import ThreadPoolExecutor

    n = 300 if opts.quick else 1500
    with ThreadPoolExecutor(2) as threads, \
            multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(_exp_loop, [1, 1])
        times = interleaved({"one": lambda: _exp_loop(n),
                             "threads": lambda: list(threads.map(_exp_loop, [n, n])),
                             "processes": lambda: pool.map(_exp_loop, [n, n])},
                            rounds=max(5, opts.rounds // 4), target=0.0)
    for name in ("threads", "processes"):
        ratio = 2 * paired_ratio(times, "one", name)
        report.add("2 cores", f"numpy exp loop on 2 {name}: throughput", _median(times[name]),
                   "s", ref="2 x one / this", ratio=ratio,
                   note=_spread(times, "one", name, 2.0) + "; 2 = two full cores")


def bench_threads(report, case, label, opts):
    """A batch of 16 walkers (emcee's half ensemble) on one core, on two
    threads (what ``pg.sample(parallel=2)`` uses) and on two forked processes
    (the emcee-pool way, each process holding a copy of the posterior)."""
    import multiprocessing

    batch = cases.walker_ball(case.theta, 16, seed=3)
    _FORKED["post"] = case.post
    with ParallelLogProb(case.post, workers=2, min_elements=0) as threaded, \
            multiprocessing.get_context("fork").Pool(2) as pool:
        np.testing.assert_array_equal(threaded(batch), case.post.log_prob(batch))

        def forked():
            return np.concatenate(pool.map(_forked_log_prob, np.array_split(batch, 2)))

        np.testing.assert_array_equal(forked(), case.post.log_prob(batch))
        times = interleaved({"serial": lambda: case.post.log_prob(batch),
                             "threads": lambda: threaded(batch), "processes": forked},
                            rounds=opts.rounds, target=opts.block)
        # CPU seconds per wall second of the threaded calls: up to 2 when both
        # threads compute at once (numpy releases the GIL), 1 if they take turns
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(max(3, int(opts.block * 20 / _median(times["threads"])))):
            threaded(batch)
        concurrency = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    ratio = paired_ratio(times, "serial", "threads")
    report.add(label, "batch of 16 on 2 threads (ParallelLogProb)", _median(times["threads"]),
               "s", ref="serial / threads", ratio=ratio,
               note=f"{_spread(times, 'serial', 'threads')}; CPU/wall {concurrency:.2f}; "
                    f"load average {os.getloadavg()[0]:.1f}")
    report.add(label, "batch of 16 on 2 forked processes", _median(times["processes"]),
               "s", ref="serial / processes", ratio=paired_ratio(times, "serial", "processes"))
    return ratio


def bench_likelihood_share(report, case, label, opts):
    """How much of a call is the Poisson likelihood (the most a fused
    likelihood could save) and how much the user's expected counts."""
    post, theta = case.post, case.theta
    values = post._values(theta, False)
    step = post._steps[-1]
    mu = step(values)
    loglike = post._likelihoods[0].loglike
    times = interleaved({"log_prob": lambda: post.log_prob(theta),
                         "likelihood": lambda: loglike(mu),
                         "mu": lambda: step(values)},
                        rounds=opts.rounds, target=opts.block)
    report.add(label, "  share of one call: Poisson likelihood", _median(times["likelihood"]),
               "s", ref="this / log_prob", ratio=paired_ratio(times, "likelihood", "log_prob"))
    report.add(label, "  share of one call: expected counts mu", _median(times["mu"]), "s",
               ref="this / log_prob", ratio=paired_ratio(times, "mu", "log_prob"))


def peer_evaluations(case, opts, report, label):
    """Compiled single-point log-density of the peers, when installed."""
    calls = {}
    if opts.no_peers:
        return calls
    ll = case.post.log_likelihood(case.theta)
    for peer, make in (("PyMC", peers.pymc_logp), ("NumPyro", peers.numpyro_logp)):
        if not peers.have(peer.lower()):
            report.meta.setdefault("missing", []).append(peer)
            continue
        call, info = make(case)
        calls[peer] = call
        report.runs[f"{label}_{peer}_compile_s"] = info["compile_s"]
        report.runs[f"{label}_{peer}_loglike_difference"] = info["loglike"] - ll
        if abs(info["loglike"] - ll) > 1e-6 * abs(ll):
            raise RuntimeError(f"{peer}'s {label} model disagrees with pgmsim's: "
                               f"log-likelihood {info['loglike']} against {ll}")
    return calls


# ---------------------------------------------------------------------------
# sampling runs in subprocesses


def subprocess_run(kind, args, opts, env=None, timeout=3600):
    """Run ``runs.py kind args`` and return its JSON, or ``{"error": ...}``."""
    cmd = [sys.executable, str(HERE / "runs.py"), kind, *map(str, args)]
    if opts.data_home:
        cmd += ["--data-home", str(opts.data_home)]
    full_env = dict(os.environ, **(env or {}))
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                             env=full_env, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr or out.stdout).strip()[-2000:]}
    return json.loads(lines[-1])


def bench_end_to_end(report, opts):
    """Time to 1,000 effective samples on xray_agn: pgmsim + emcee and the peers."""
    label = "xray_agn e2e"
    nsteps = 600 if opts.quick else 3000
    runs = {"pgmsim + emcee": subprocess_run("stamp-pgmsim", ["--nsteps", nsteps], opts)}
    draws, tune = (200, 200) if opts.quick else (1000, 1000)
    with tempfile.TemporaryDirectory(prefix="pytensor-") as cache:
        for name, kind, peer in (("PyMC NUTS", "stamp-pymc", "pymc"),
                                 ("NumPyro NUTS", "stamp-numpyro", "numpyro")):
            if opts.no_peers or not peers.have(peer):
                continue
            # a cold compiler cache: compile time included as a new user sees it
            env = {"PYTENSOR_FLAGS": f"compiledir={cache}"}
            runs[name] = subprocess_run(kind, ["--draws", draws, "--tune", tune], opts, env)
    report.runs["end_to_end"] = runs
    ours = runs["pgmsim + emcee"]
    for name, run in runs.items():
        if "error" in run:
            report.add(label, f"{name}: FAILED", None, "", note=run["error"][-300:])
            continue
        detail = (f"ESS {run['ess_min']:.0f} ({run['slowest']}) in {run['total_s']:.1f} s; "
                  f"{run['ess_per_s']:.1f} ESS/s")
        if name == "pgmsim + emcee":
            report.add(label, f"{name}: time to 1000 ESS", run["time_to_1000_s"], "s",
                       note=detail)
        elif "error" not in ours:
            ratio = ours["time_to_1000_s"] / run["time_to_1000_s"]
            target = "< 1" if name.startswith("PyMC") else None
            report.add(label, f"{name}: time to 1000 ESS", run["time_to_1000_s"], "s",
                       ref="pgmsim / this", ratio=ratio, target=target,
                       met=(ratio < 1) if target else None, note=detail)


def bench_cluster_runs(report, opts):
    """Sampling runs on the cluster image: memory, ESS/s, threads."""
    label = "xray_cluster run"
    nsteps = 40 if opts.quick else 500
    args = ["--nsteps", nsteps]
    runs = {"pgmsim": subprocess_run("cluster-pgmsim", args, opts),
            "pgmsim, 2 threads": subprocess_run("cluster-pgmsim", args + ["--parallel", 2], opts),
            "straightforward": subprocess_run("cluster-straightforward", args, opts)}
    report.runs["cluster_runs"] = runs
    failed = [n for n, r in runs.items() if "error" in r]
    for name in failed:
        report.add(label, f"{name}: FAILED", None, "", note=runs[name]["error"][-300:])
    if failed:
        return
    base = runs["straightforward"]
    same = runs["pgmsim"]["chain_sum"] == base["chain_sum"]
    report.add(label, f"straightforward numpy + emcee, {nsteps} steps",
               base["ess_per_s"], "ESS/s",
               note=f"{base['step_s'] * 1e3:.0f} ms per step; ESS {base['ess_min']:.0f}")
    for name in ("pgmsim", "pgmsim, 2 threads"):
        run = runs[name]
        ratio = run["ess_per_s"] / base["ess_per_s"]
        report.add(label, f"{name} + emcee", run["ess_per_s"], "ESS/s",
                   ref="this / straightforward", ratio=ratio, target=">= 3", met=ratio >= 3,
                   note=f"{run['step_s'] * 1e3:.0f} ms per step"
                        + ("; same chain as straightforward" if same and name == "pgmsim"
                           else ""))
    report.add(label, "2 threads speed-up of the sampling run", None, "",
               ref="1 thread / 2 threads",
               ratio=runs["pgmsim"]["sampling_s"] / runs["pgmsim, 2 threads"]["sampling_s"])
    for name, run in runs.items():
        report.add(label, f"peak RSS, {name}", run["peak_rss_mib"], "MiB",
                   target="< 1024" if name == "pgmsim" else None,
                   met=(run["peak_rss_mib"] < 1024) if name == "pgmsim" else None)


# ---------------------------------------------------------------------------


class _Named:
    def __init__(self, func, label):
        self.func, self.label = func, label
        self.batch = getattr(func, "batch", None)
        self.fraction = getattr(func, "fraction", None)

    def __call__(self, theta):
        return self.func(theta)


def main(argv=None):
    """Run the benchmark, print the table, write the JSON.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``sys.argv[1:]`` by default).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run: fewer rounds, short chains, no peers")
    parser.add_argument("--json", default=str(HERE / "results.json"),
                        help="where to write the results (default benchmarks/results.json)")
    parser.add_argument("--data-home", default=None,
                        help="folder holding a1835_xmm/ (default: pgmsim.astro.datasets.data_dir())")
    parser.add_argument("--no-peers", action="store_true", help="skip PyMC and NumPyro")
    parser.add_argument("--peers", action="store_true", help="include the peers in --quick")
    parser.add_argument("--no-runs", action="store_true", help="skip the sampling runs")
    parser.add_argument("--markdown", default=None, help="also write the table as Markdown")
    parser.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                        help="before each part, wait up to SECONDS for an idle machine "
                             "(CPU pressure under 10%%); what was found goes in the JSON")
    opts = parser.parse_args(argv)
    # short blocks, many rounds: the functions of a comparison interleave
    # finely, so that a busy spell of the machine hits them alike
    opts.rounds = 9 if opts.quick else 61
    opts.block = 0.005 if opts.quick else 0.01
    if opts.quick and not opts.peers:
        opts.no_peers = True

    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "python": platform.python_version(),
            "numpy": np.__version__, "pgmsim": pg.__version__, "machine": platform.machine(),
            "processor": platform.processor(), "cpus": os.cpu_count(), "quick": opts.quick,
            "rounds": opts.rounds, "batch_elements": posterior_module.BATCH_ELEMENTS,
            "load_average_start": os.getloadavg()}
    report = Report(meta)
    print(report.header())

    opts.idle_log = meta["idle"] = []
    stamp = cases.stamp()
    wait_idle(opts, "xray_agn evaluations")
    hands = {"numpy": _Named(cases.StampNumpy(stamp), "hand-written numpy"),
             "numpy sparse": _Named(cases.StampNumpy(stamp, sparse=True),
                                    "hand-written numpy, log where N>0")}
    peer_calls = peer_evaluations(stamp, opts, report, "xray_agn")
    bench_evaluations(report, stamp, hands, "xray_agn", opts, peer_calls,
                      {"overhead": 1.5, "batch": 2.0})
    bench_likelihood_share(report, stamp, "xray_agn", opts)
    wait_idle(opts, "xray_agn threads")
    bench_ceiling(report, opts)
    bench_threads(report, stamp, "xray_agn", opts)
    wait_idle(opts, "batch sizes")
    bench_batch_sizes(report, opts)
    wait_idle(opts, "first sample")
    bench_first_sample(report, rounds=5 if opts.quick else 25)

    try:
        cluster = cases.cluster(opts.data_home)
    except FileNotFoundError as err:
        cluster = None
        report.add("xray_cluster", "SKIPPED: A1835 data not found", None, "", note=str(err))
    if cluster is not None:
        label = "xray_cluster"
        meta["cluster_pixels"] = int(cluster.post.sizes["pixels"])
        hands = {"numpy": _Named(cases.ClusterNumpy(cluster), "hand-written numpy"),
                 "numpy sparse": _Named(cases.ClusterNumpy(cluster, sparse=True),
                                        "hand-written numpy, log where N>0"),
                 "straightforward": _Named(cases.ClusterStraightforward(cluster),
                                           "straightforward")}
        peer_calls = peer_evaluations(cluster, opts, report, label)
        wait_idle(opts, "xray_cluster evaluations")
        bench_evaluations(report, cluster, hands, label, opts, peer_calls,
                          {"overhead": 1.10, "batch": 1.0})
        bench_likelihood_share(report, cluster, label, opts)
        wait_idle(opts, "xray_cluster threads")
        bench_threads(report, cluster, label, opts)

    if not opts.no_runs:
        wait_idle(opts, "end to end")
        bench_end_to_end(report, opts)
        if cluster is not None:
            wait_idle(opts, "cluster runs")
            bench_cluster_runs(report, opts)

    meta["load_average_end"] = os.getloadavg()
    failed = [r for r in report.rows if r["met"] is False]
    print(f"\n{sum(r['met'] is True for r in report.rows)} targets met, {len(failed)} missed"
          + (": " + "; ".join(f"{r['case']} {r['what'].strip()}"
                              + (" (within noise)" if r["within_noise"] else "")
                              for r in failed) if failed else "")
          + "\nNO~ = missed, but the target lies within the interquartile range of the rounds")
    Path(opts.json).write_text(json.dumps(report.as_dict(), indent=1))
    print(f"results written to {opts.json}")
    if opts.markdown:
        Path(opts.markdown).write_text(report.markdown() + "\n")


if __name__ == "__main__":
    main()
