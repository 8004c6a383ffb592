"""Time to the first sample in a fresh interpreter: pgmsim against numpy + emcee.

``python benchmarks/first_sample.py KIND`` does, in a new process, what a user's
first script does, and exits:

``pgmsim``
    ``import pgmsim``, build ``xray_agn`` with its default inputs (a 40x40
    stamp), simulate the counts at ``TRUTH``, make the posterior and run one
    emcee step of 32 walkers with ``pg.sample``.
``numpy``
    The same written by hand: the same inputs and mock counts in numpy, the
    log-posterior of ``cases.StampNumpy`` (batch form), one step of
    ``emcee.EnsembleSampler`` with 32 walkers; it imports numpy, scipy and
    emcee.

:func:`bench_first_sample` (called by ``run.py``) times whole runs of both
kinds, from the start of the interpreter to its exit, in turn, round after
round (``timing.interleaved``), and adds the rows to the table. The scripts
import nothing at module level beyond ``sys``, so that each pays for its
own imports only.
"""

import sys

__all__ = ["KINDS", "run_fresh", "bench_first_sample"]

NWALKERS = 32

#: target: pgmsim's time to the first sample over the hand-written script's
TARGET = 1.25


def pgmsim_first_sample():
    """``import pgmsim``, build, simulate, posterior, one emcee step."""
    import pgmsim as pg
    from pgmsim.models import xray_agn

    model = xray_agn.build()
    inputs = xray_agn.default_inputs()
    counts = model.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=1)["N"]
    post = model.posterior(data={"N": counts}, inputs=inputs)
    res = pg.sample(post, nwalkers=NWALKERS, nsteps=1, seed=2, initial=xray_agn.TRUTH,
                    progress=False)
    return res.chain.shape


def numpy_first_sample():
    """The same by hand: numpy, scipy and emcee only."""
    import emcee
    import numpy as np
    from scipy import special

    # the inputs of xray_agn.default_inputs(): a stamp with vignetted exposure
    size, exposure = 40, 1.2e4
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size].astype(float)
    angle = rng.uniform(0, 2 * np.pi)
    axis_x, axis_y = size / 2 + 1.5 * size * np.cos(angle), size / 2 + 1.5 * size * np.sin(angle)
    ex = (exposure * (1.0 - 0.45 * ((x - axis_x) ** 2 + (y - axis_y) ** 2) / (4.0 * size) ** 2))
    x, y, ex = x.ravel(), y.ravel(), ex.ravel()
    low = np.array([0.0, 0.0, 1e-3, 1e-6, 0.5])
    high = np.array([size, size, 1.0, 1e-2, 4.0])
    const = -2 * np.log(size) - np.log(np.log(1e3)) - np.log(np.log(1e4)) - np.log(3.5)

    def expected(theta):
        x0, y0, F, b, s = (theta[:, i:i + 1] for i in range(5))
        r2 = (x - x0) ** 2 + (y - y0) ** 2
        return ex * (F * np.exp(-0.5 * r2 / s**2) / (2 * np.pi * s**2) + b)

    truth = np.array([19.3, 21.6, 0.03, 5e-6, 1.6])
    counts = np.random.default_rng(1).poisson(expected(truth[None])[0])
    log_fact = special.gammaln(counts + 1.0).sum()

    def log_prob(theta):
        inside = np.all((theta >= low) & (theta <= high), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            lp = np.where(inside, const - np.log(theta[:, 2]) - np.log(theta[:, 3]), -np.inf)
            mu = expected(theta)
            return lp + np.sum(counts * np.log(mu) - mu, axis=1) - log_fact

    start = truth * (1.0 + 1e-4 * np.random.default_rng(2).standard_normal((NWALKERS, 5)))
    sampler = emcee.EnsembleSampler(NWALKERS, 5, log_prob, vectorize=True)
    sampler.run_mcmc(start, 1, progress=False)
    return sampler.get_chain().shape


KINDS = {"pgmsim": pgmsim_first_sample, "numpy": numpy_first_sample}


def run_fresh(kind, cpu_times=None):
    """Run ``first_sample.py kind`` in a new interpreter; raise if it fails.

    The CPU seconds (user and system) of the run are appended to
    ``cpu_times`` when given: on a busy machine they count the work
    without the waits for a CPU.
    """
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, __file__, kind], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"first_sample.py {kind} failed:\n{out.stderr[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu_times is not None:
        cpu_times.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


def bench_first_sample(report, rounds):
    """Rows ``first sample in a fresh interpreter`` for pgmsim and the hand-written script.

    Parameters
    ----------
    report : run.Report
    rounds : int
        Number of rounds; each runs both scripts once, in rotating order.
    """
    from timing import interleaved, paired_ratio, ratio_quartiles

    import numpy as np

    cpu = {"pgmsim": [], "numpy": []}
    # target=0: one run per block (the two calibration runs warm the disk cache)
    times = interleaved({kind: (lambda k: lambda: run_fresh(k, cpu[k]))(kind) for kind in cpu},
                        rounds=rounds, target=0.0)
    cpu = {kind: np.array(values[2:]) for kind, values in cpu.items()}  # the timed rounds
    report.runs["first_sample"] = {k: v.tolist() for k, v in times.items()}
    report.runs["first_sample_cpu"] = {k: v.tolist() for k, v in cpu.items()}
    ratio = paired_ratio(times, "pgmsim", "numpy")
    q1, q3 = ratio_quartiles(times, "pgmsim", "numpy")
    label = "xray_agn start"
    report.add(label, "first sample in a fresh interpreter", float(np.median(times["pgmsim"])),
               "s", note=f"import, build, simulate, posterior, one step of {NWALKERS} walkers")
    report.add(label, "  hand-written numpy + emcee", float(np.median(times["numpy"])), "s",
               ref="pgmsim / this", ratio=ratio, target=f"<= {TARGET}", met=ratio <= TARGET,
               note=f"rounds' IQR {q1:.2f}-{q3:.2f}; {rounds} rounds; CPU time ratio "
                    f"{paired_ratio(cpu, 'pgmsim', 'numpy'):.2f}")
    return ratio


if __name__ == "__main__":
    print(KINDS[sys.argv[1]]())
