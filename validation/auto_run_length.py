"""``nsteps="auto"`` on every ready-made model: chains of at least 50 tau.

Run from the repository root::

    python3 validation/auto_run_length.py            # all six models, one process each
    python3 validation/auto_run_length.py xray_agn   # one model

Each model's default mock (seed 0) is fitted from its MAP with 32 walkers
(more where the model has more than 16 parameters) and ``nsteps="auto"``.
Prints one line per model: steps, largest tau estimated by the stopping rule,
steps / tau, largest tau of the diagnostics on the kept chain and the kept
steps / that tau, whether the run converged, and the time. Exit status 0 when
every run stopped by the rule (not at ``max_steps``) with chains of at least
50 tau.
"""

import subprocess
import sys
import time
import warnings

import numpy as np


def run(name):
    import pgmsim as pg
    from pgmsim.cli import _load, default_mock

    module = _load(name)
    model, inputs = default_mock(module, seed=0)
    sim = model.simulate(inputs=inputs, params=module.TRUTH, seed=0)
    post = model.posterior(data={n: sim[n] for n in model.names("data")}, inputs=inputs)
    guess = module.initial_guess(inputs, sim) if hasattr(module, "initial_guess") else None
    started = time.perf_counter()
    found = post.find_map(initial=guess, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the verdict is printed below
        res = pg.sample(post, nwalkers=max(32, 2 * post.ndim + 2), nsteps="auto", seed=0,
                        initial=found, progress=False)
    record = res.meta["run_length"]
    table = res.diagnostics()
    kept = res.nsteps - int(table["burn_in"][0])
    rule_taus = res.nsteps / record["tau"].max()
    kept_taus = kept / np.max(table["tau"])
    ok = record["stopped"] == "converged" and rule_taus >= 50 and kept_taus >= 50
    print(f"{name:22s} {res.nsteps:7d} steps  tau {record['tau'].max():7.1f} "
          f"({rule_taus:5.1f} tau)  kept {kept:7d} / tau {np.max(table['tau']):7.1f} "
          f"({kept_taus:5.1f} tau)  {record['stopped']:9s} converged={res.converged}  "
          f"{time.perf_counter() - started:6.1f} s", flush=True)
    return ok


def main():
    names = sys.argv[1:]
    if len(names) == 1:
        return 0 if run(names[0]) else 1
    from pgmsim.cli import MODELS

    # a fresh process for each model: no state shared between runs
    codes = [subprocess.run([sys.executable, __file__, name]).returncode
             for name in (names or MODELS)]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
