"""Sampling runs of the benchmark, each in a process of its own.

``python benchmarks/runs.py KIND [options]`` runs one sampler and prints one
line of JSON: wall times, effective sample sizes, peak memory. ``run.py``
starts these as subprocesses, so that each run has a clean process (its own
peak RSS, its own imports and caches) and the peers' compilers and thread
pools do not linger in the process that times the others.

Kinds
-----
``stamp-pgmsim``
    ``xray_agn`` on the 40x40 mock stamp: posterior, MAP, ``pg.sample``
    (emcee, 32 walkers, one core).
``stamp-pymc``, ``stamp-numpyro``
    The same data and priors with NUTS (compile time included).
``cluster-pgmsim``
    ``xray_cluster`` on the A1835 image: ``pg.sample`` from a small ball
    around the mode, optionally with ``parallel`` threads.
``cluster-straightforward``
    The same run with emcee driven by the straightforward full-image numpy
    posterior (one walker per call, emcee's default), from the same walkers
    and random state.

Time to 1,000 effective samples
-------------------------------
Each run splits its wall time into a fixed part (building, compiling, MAP,
burn-in or tuning) and the production draws, whose effective sample size
``ESS`` is that of the slowest parameter; the time to 1,000 effective samples
is ``fixed + draws * 1000 / ESS``. ESS is pgmsim's (emcee's integrated
autocorrelation time over the walkers) for emcee runs and ArviZ's bulk ESS
for NUTS runs, the estimator each community uses.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cases  # noqa: E402

__all__ = ["main", "peak_rss_mib"]


def peak_rss_mib():
    """Peak resident set size of this process so far, MiB.

    ``VmHWM`` of ``/proc/self/status`` where there is one (Linux): the high
    water mark of this program's address space. ``ru_maxrss`` is not used
    there because Linux carries it over from the parent through fork and
    exec, so that a child of a large process reports the parent's size.
    Elsewhere, ``ru_maxrss`` (kilobytes on Linux, bytes on macOS).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024.0**2 if sys.platform == "darwin" else rss / 1024.0


def _summary(names, ess, fixed, draws, extra):
    ess = np.asarray(ess, dtype=float)
    worst = int(np.argmin(ess))
    out = {
        "ess": dict(zip(names, ess.tolist())),
        "ess_min": float(ess[worst]),
        "slowest": names[worst],
        "fixed_s": fixed,
        "draws_s": draws,
        "total_s": fixed + draws,
        "time_to_1000_s": fixed + draws * 1000.0 / float(ess[worst]),
        "ess_per_s": float(ess[worst]) / (fixed + draws),
        "peak_rss_mib": peak_rss_mib(),
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    out.update(extra)
    return out


def stamp_pgmsim(args):
    import pgmsim as pg
    from pgmsim.models import xray_agn

    case = cases.stamp()
    start = time.perf_counter()
    model = xray_agn.build(size=40)
    post = model.posterior(data=case.data, inputs=case.inputs)
    mode = post.find_map(seed=0)
    prepared = time.perf_counter()
    res = pg.sample(post, nwalkers=args.nwalkers, nsteps=args.nsteps, seed=1,
                    initial=mode, progress=False)
    end = time.perf_counter()
    burn = args.nsteps // 4
    sampling = end - prepared
    ess = res.ess(discard=burn)
    return _summary(post.param_names, ess, prepared - start + sampling * burn / args.nsteps,
                    sampling * (args.nsteps - burn) / args.nsteps,
                    {"setup_and_map_s": prepared - start, "sampling_s": sampling,
                     "nsteps": args.nsteps, "nwalkers": args.nwalkers,
                     "acceptance": float(np.mean(res.acceptance_fraction))})


def stamp_pymc(args):
    import arviz as az
    import pymc as pm

    import peers

    case = cases.stamp()
    start = time.perf_counter()
    model = peers.pymc_model(case)
    with model:
        idata = pm.sample(draws=args.draws, tune=args.tune, chains=args.chains,
                          cores=args.chains, random_seed=1, progressbar=False,
                          compute_convergence_checks=False)
    total = time.perf_counter() - start
    sampling = float(idata.sample_stats.attrs["sampling_time"])
    per_step = sampling / (args.tune + args.draws)
    names = list(case.priors)
    ess = az.ess(idata, var_names=names)
    return _summary(names, [float(ess[n]) for n in names],
                    total - sampling + args.tune * per_step, args.draws * per_step,
                    {"compile_and_setup_s": total - sampling, "sampling_s": sampling,
                     "draws": args.draws, "tune": args.tune, "chains": args.chains})


def stamp_numpyro(args):
    import peers

    peers.numpyro_setup(devices=args.chains)
    import arviz as az
    import jax
    from numpyro.infer import MCMC, NUTS

    case = cases.stamp()
    times = []
    for key in (1, 2):
        start = time.perf_counter()
        if key == 1:
            model, data = peers.numpyro_model(case)
            mcmc = MCMC(NUTS(model), num_warmup=args.tune, num_samples=args.draws,
                        num_chains=args.chains, chain_method="parallel", progress_bar=False)
        mcmc.run(jax.random.PRNGKey(key), **data)
        samples = mcmc.get_samples(group_by_chain=True)
        jax.block_until_ready(samples)
        times.append(time.perf_counter() - start)
        if key == 1:
            idata = az.from_dict(posterior={k: np.asarray(v) for k, v in samples.items()})
    # the second run reuses the compiled sampler: the difference is the compile time
    compile_s = max(times[0] - times[1], 0.0)
    per_step = (times[0] - compile_s) / (args.tune + args.draws)
    names = list(case.priors)
    ess = az.ess(idata, var_names=names)
    return _summary(names, [float(ess[n]) for n in names],
                    compile_s + args.tune * per_step, args.draws * per_step,
                    {"compile_s": compile_s, "first_run_s": times[0], "second_run_s": times[1],
                     "draws": args.draws, "tune": args.tune, "chains": args.chains})


def _cluster_start(post, theta, nwalkers, seed):
    from pgmsim.fit.sampling import initial_walkers

    rng = np.random.default_rng(seed)
    start = initial_walkers(post, nwalkers, initial=theta, seed=rng)
    state = np.random.RandomState(rng.integers(2**32)).get_state()
    return start, state


def cluster_pgmsim(args):
    import pgmsim as pg

    start = time.perf_counter()
    case = cases.cluster(args.data_home)
    prepared = time.perf_counter()
    res = pg.sample(case.post, nwalkers=args.nwalkers, nsteps=args.nsteps, seed=1,
                    initial=case.theta, progress=False, parallel=args.parallel)
    sampling = time.perf_counter() - prepared
    burn = args.nsteps // 4
    ess = res.ess(discard=burn)
    out = _summary(case.post.param_names, ess, sampling * burn / args.nsteps,
                   sampling * (args.nsteps - burn) / args.nsteps,
                   {"load_s": prepared - start, "sampling_s": sampling,
                    "step_s": sampling / args.nsteps, "nsteps": args.nsteps,
                    "nwalkers": args.nwalkers, "parallel": args.parallel or 1,
                    "pixels": int(case.post.sizes["pixels"]),
                    "chain_sum": float(res.chain.sum())})
    return out


def cluster_straightforward(args):
    import emcee

    from pgmsim.fit.results import SamplingResult

    case = cases.cluster(args.data_home)
    straight = cases.ClusterStraightforward(case)
    # the same walkers and random state as pg.sample(..., seed=1, initial=theta)
    walkers, state = _cluster_start(case.post, case.theta, args.nwalkers, 1)
    sampler = emcee.EnsembleSampler(args.nwalkers, len(case.theta), straight)
    sampler.random_state = state
    start = time.perf_counter()
    sampler.run_mcmc(walkers, args.nsteps, progress=False)
    sampling = time.perf_counter() - start
    res = SamplingResult.from_sampler(sampler, case.post)
    burn = args.nsteps // 4
    ess = res.ess(discard=burn)
    return _summary(case.post.param_names, ess, sampling * burn / args.nsteps,
                    sampling * (args.nsteps - burn) / args.nsteps,
                    {"sampling_s": sampling, "step_s": sampling / args.nsteps,
                     "nsteps": args.nsteps, "nwalkers": args.nwalkers,
                     "chain_sum": float(res.chain.sum())})


KINDS = {
    "stamp-pgmsim": stamp_pgmsim,
    "stamp-pymc": stamp_pymc,
    "stamp-numpyro": stamp_numpyro,
    "cluster-pgmsim": cluster_pgmsim,
    "cluster-straightforward": cluster_straightforward,
}


def main(argv=None):
    """Run one kind of sampling run and print its JSON summary.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``sys.argv[1:]`` by default).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--nsteps", type=int, default=2000)
    parser.add_argument("--nwalkers", type=int, default=32)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=None)
    parser.add_argument("--data-home", default=None)
    args = parser.parse_args(argv)
    result = KINDS[args.kind](args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
