"""False alarms of the convergence diagnostics on well-posed ready-made models.

Run from the repository root::

    python3 validation/false_alarms.py                         # xray_agn, 20 seeds
    python3 validation/false_alarms.py point_source_image --seeds 20 --nsteps 6000
    python3 validation/false_alarms.py ccd_frames --seeds 10 --first-seed 10  # seeds 10-19

Each seed simulates the model's default mock (seed 0) at its ``TRUTH``, finds the
MAP, and samples it with 32 walkers for ``--nsteps`` steps (long enough: well
over 50 autocorrelation times), counting the runs that end with a
``ConvergenceWarning``. Exit status 0 when at most one run in twenty warns.
"""

import argparse
import time
import warnings

import pgmsim as pg


def run(name, seed, nsteps):
    """One seeded run; the problems it reports (empty when converged)."""
    from pgmsim.cli import _load, default_mock

    module = _load(name)
    model, inputs = default_mock(module, seed=0)
    sim = model.simulate(inputs=inputs, params=module.TRUTH, seed=0)
    post = model.posterior(data={n: sim[n] for n in model.names("data")}, inputs=inputs)
    guess = module.initial_guess(inputs, sim) if hasattr(module, "initial_guess") else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pg.fit.optimize.MapWarning)
        found = post.find_map(initial=guess, seed=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pg.ConvergenceWarning)
        pg.sample(post, nwalkers=max(32, 2 * post.ndim + 2), nsteps=nsteps, seed=seed,
                  initial=found, progress=False)
    return [str(w.message) for w in caught if issubclass(w.category, pg.ConvergenceWarning)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["xray_agn"])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--nsteps", type=int, default=6000)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds first-seed .. first-seed + seeds - 1 (to split a run)")
    opts = parser.parse_args(argv)
    ok = True
    for name in opts.models:
        started = time.perf_counter()
        warned = []
        for seed in range(opts.first_seed, opts.first_seed + opts.seeds):
            problems = run(name, seed, opts.nsteps)
            if problems:
                warned.append(seed)
                print(f"  {name} seed {seed}: {problems[0]}", flush=True)
        print(f"{name}: {len(warned)} of {opts.seeds} runs warned {warned} "
              f"({opts.nsteps} steps each, {time.perf_counter() - started:.0f} s)", flush=True)
        ok &= len(warned) <= opts.seeds // 20
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
