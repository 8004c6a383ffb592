"""Effective samples per second of emcee's moves on pgmsim's models.

``python benchmarks/moves.py`` runs ``pg.sample`` (32 walkers) with each of
three emcee moves on every ready-made model (its default mock, simulated at
``TRUTH``) and on a strongly curved posterior (a banana, written with
pgmsim), and prints a table: the largest integrated autocorrelation time
``tau``, the effective samples per second and the ratio of each move to
emcee's default stretch move. ``--markdown PATH`` writes the table in
Markdown.

Moves
-----
``stretch``
    ``emcee.moves.StretchMove()``, emcee's default.
``de``
    ``[(DEMove(), 0.8), (DESnookerMove(), 0.2)]``, the differential-evolution
    mixture emcee's documentation suggests for multimodal or curved
    posteriors.
``stretch+de``
    ``[(StretchMove(), 0.5), (DEMove(), 0.5)]``.

How it measures
---------------
* Every move of a model starts from the same walkers (drawn from the
  Laplace approximation at the MAP, so that no move pays for contracting
  from a wide ball) with the same seed. The moves of one model run in turn
  in the same process, and their order rotates from seed to seed, so that
  the noise of a shared machine falls on every move alike.
* Burn-in: ``5 * tau`` of a first estimate on the last three quarters of
  the chain; ``tau`` is then ``emcee.autocorr.integrated_time`` of the rest
  (averaged over the walkers), ``ESS = nsteps_kept * nwalkers / tau`` for
  each parameter, and the figure is the smallest over parameters, divided
  by the wall time of the whole run. A chain shorter than 50 ``tau`` after
  burn-in gives no figure (``-`` in the table, with the note).
* With several seeds, ESS/s is the median over seeds of each move, and the
  ratio the median over seeds of the ratio within a seed.
* The machine may be shared: the table also gives the ratio of ESS per CPU
  second (user + system of this process), which waiting for a CPU does not
  inflate. ``--json PATH`` stores every run (rewritten after each case) and
  ``--from-json PATH`` prints the table of stored runs.
* BLAS runs on one thread (set ``OPENBLAS_NUM_THREADS=1`` before starting).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
import warnings

import emcee
import numpy as np

__all__ = ["MOVES", "CURVED", "main", "measure", "banana", "prepare"]

#: the moves compared, by name; each a function returning fresh move objects
MOVES = {
    "stretch": lambda: emcee.moves.StretchMove(),
    "de": lambda: [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)],
    "stretch+de": lambda: [(emcee.moves.StretchMove(), 0.5), (emcee.moves.DEMove(), 0.5)],
}

#: the curved posteriors written here, besides the ready-made models
CURVED = ("banana",)

#: chain length of each case by default: each run about 10-25 s on one core
DEFAULT_NSTEPS = {
    "banana": 20000, "xray_agn": 6000, "source_with_prior_map": 6000,
    "point_source_image": 3000, "spectrum_2d": 2500, "xray_cluster": 2500,
    "ccd_frames": 2000,
}

MIN_TAUS = 50  # an ESS counts only from a chain this many tau long

# emcee logs "the chain is shorter than 50 tau" for every short estimate; the
# table says it once per case instead
logging.getLogger("emcee").setLevel(logging.ERROR)


def banana(curvature=0.03, width=10.0):
    """A 2-D banana: ``x1 ~ N(0, width)``, ``x2 | x1 ~ N(b (x1^2 - width^2), 1)``.

    The twisted Gaussian of Haario et al. (1999); with ``b = 0.03`` the mean
    of ``x2`` moves by 24 (24 of its widths) between ``x1 = 0`` and
    ``x1 = 2 width``. No data: the posterior is this prior.
    """
    import pgmsim as pg

    m = pg.Model("banana")
    m.param("x1", pg.Normal(0.0, width))
    m.deterministic("m2", lambda x1: curvature * (x1**2 - width**2))
    m.param("x2", pg.Normal("m2", 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "used by no data node": intended here
        post = m.posterior(data={})
    return post, np.array([0.0, -curvature * width**2])


def prepare(name, nwalkers, seed):
    """Posterior and starting walkers of one case.

    The ready-made models: ``cli.default_mock``, simulated at ``TRUTH``, the
    MAP from ``initial_guess`` as ``pgmsim run`` does it, then walkers drawn
    from the Laplace approximation there (a small ball around the MAP where
    the Hessian is not negative definite).
    """
    from pgmsim.cli import _load, default_mock
    from pgmsim.fit.initialization import initial_walkers
    from pgmsim.models._ccd_calibration import laplace_walkers

    if name == "banana":
        post, mode = banana()
    else:
        module = _load(name)
        model, inputs = default_mock(module, seed)
        sim = model.simulate(inputs=inputs, params=module.TRUTH, seed=seed)
        data = {n: sim[n] for n in model.names("data")}
        post = model.posterior(data=data, inputs=inputs)
        guess = module.initial_guess(inputs, data) if hasattr(module, "initial_guess") else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MAP warnings are not measured here
            mode = post.find_map(initial=guess, seed=seed).theta
    try:
        return post, laplace_walkers(post, mode, nwalkers, seed=seed)
    except ValueError:
        return post, initial_walkers(post, nwalkers, initial=mode, seed=seed)


def measure(chain, wall):
    """Burn-in, largest tau, smallest ESS and ESS/s of one chain.

    Parameters
    ----------
    chain : numpy.ndarray, shape (nsteps, nwalkers, ndim)
    wall : float
        Wall time of the run, s.

    Returns
    -------
    dict
        ``burn``, ``tau_max``, ``taus`` (the length of the kept chain in
        units of ``tau_max``), ``ess_min``, ``ess_per_s`` (``nan`` when the
        kept chain is shorter than ``MIN_TAUS`` tau).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> out = measure(rng.standard_normal((2000, 8, 2)), wall=1.0)
    >>> out["tau_max"] < 1.5, out["ess_per_s"] > 10000
    (True, True)
    """
    nsteps, nwalkers = chain.shape[:2]
    first = emcee.autocorr.integrated_time(chain[nsteps // 4:], quiet=True)
    burn = min(int(math.ceil(5 * np.max(first))), nsteps // 2)
    tau = emcee.autocorr.integrated_time(chain[burn:], quiet=True)
    kept = nsteps - burn
    ess = kept * nwalkers / tau
    taus = kept / float(np.max(tau))
    ok = taus >= MIN_TAUS
    return {"burn": burn, "tau_max": float(np.max(tau)), "taus": taus,
            "ess_min": float(np.min(ess)),
            "ess_per_s": float(np.min(ess)) / wall if ok else float("nan")}


def run_case(name, nsteps, seeds, nwalkers=32, moves=tuple(MOVES), echo=print):
    """Every move on one case, for each seed; the moves rotate from seed to seed."""
    import pgmsim as pg

    rows = []
    for k, seed in enumerate(seeds):
        post, start = prepare(name, nwalkers, seed)
        order = list(moves[k % len(moves):]) + list(moves[:k % len(moves)])
        for move in order:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                started, cpu = time.perf_counter(), time.process_time()
                result = pg.sample(post, nwalkers=nwalkers, nsteps=nsteps, seed=seed,
                                   initial=start.copy(), progress=False, moves=MOVES[move]())
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            row = {"model": name, "move": move, "seed": seed, "nsteps": nsteps,
                   "wall_s": wall, "cpu_s": cpu,
                   "acceptance": float(np.mean(result.acceptance_fraction)),
                   "warned": sum(issubclass(w.category, UserWarning) for w in caught),
                   **measure(result.chain, wall)}
            rows.append(row)
            echo(f"  {name:22s} {move:11s} seed {seed}: tau {row['tau_max']:8.1f}  "
                 f"{row['taus']:6.0f} tau  ESS/s {row['ess_per_s']:9.2f}  "
                 f"acc {row['acceptance']:.2f}  {wall:6.1f} s")
    return rows


def table(rows, moves=tuple(MOVES)):
    """One line per case and move: medians over seeds, ratio to stretch."""
    lines = []
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == name]
        seeds = sorted({r["seed"] for r in mine})
        by = {(r["move"], r["seed"]): r for r in mine}
        for move in moves:
            runs = [by[move, s] for s in seeds if (move, s) in by]
            if not runs:
                continue
            ess = np.median([r["ess_per_s"] for r in runs])
            ratios = [by[move, s]["ess_per_s"] / by["stretch", s]["ess_per_s"]
                      for s in seeds if (move, s) in by and ("stretch", s) in by]
            ratio = np.median(ratios) if ratios else float("nan")
            short = [r for r in runs if r["taus"] < MIN_TAUS]
            note = [f"{runs[0]['nsteps']} steps, acceptance "
                    f"{np.median([r['acceptance'] for r in runs]):.2f}"]
            if short:
                note.append(f"chain < {MIN_TAUS} tau in {len(short)} of {len(runs)} runs "
                            f"({min(r['taus'] for r in short):.0f} tau): ESS/s not reported")
            cpu_ratios = [_per_cpu(by[move, s]) / _per_cpu(by["stretch", s])
                          for s in seeds if (move, s) in by and ("stretch", s) in by]
            lines.append({"model": name, "move": move,
                          "tau": np.median([r["tau_max"] for r in runs]),
                          "ess_s": ess, "ratio": ratio,
                          "cpu_ratio": np.median(cpu_ratios) if cpu_ratios else float("nan"),
                          "cpu": np.median([r["cpu_s"] for r in runs]),
                          "note": "; ".join(note)})
    return lines


def _per_cpu(row):
    """ESS per CPU second (user + system): what waiting for a shared CPU does not inflate."""
    return row["ess_per_s"] * row["wall_s"] / row["cpu_s"]


def _fmt(x, digits=2):
    return "-" if not np.isfinite(x) else f"{x:.{digits}f}"


def markdown(lines):
    """The table in Markdown."""
    out = ["| model | move | tau max | ESS/s | ratio to stretch | CPU s | ratio per CPU s "
           "| note |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for ln in lines:
        out.append(f"| {ln['model']} | {ln['move']} | {_fmt(ln['tau'], 1)} | "
                   f"{_fmt(ln['ess_s'], 1)} | {_fmt(ln['ratio'])} | {_fmt(ln['cpu'], 1)} | "
                   f"{_fmt(ln['cpu_ratio'])} | {ln['note']} |")
    return "\n".join(out)


def verdict(lines, moves=tuple(MOVES)):
    """Per move other than stretch: on how many cases it beats stretch."""
    out = []
    for move in moves:
        if move == "stretch":
            continue
        mine = [ln for ln in lines if ln["move"] == move and np.isfinite(ln["ratio"])]
        wins = sum(ln["ratio"] > 1 for ln in mine)
        out.append(f"{move}: better than stretch on {wins} of {len(mine)} cases "
                   f"with a figure for both (ratios "
                   + ", ".join(f"{ln['model']} {ln['ratio']:.2f}" for ln in mine) + ")")
    return out


def main(argv=None):
    from pgmsim.cli import MODELS

    # cheapest first, so that an interrupted run still has a table
    known = list(MODELS) + list(CURVED)
    cases = [c for c in DEFAULT_NSTEPS if c in known] + [c for c in known
                                                         if c not in DEFAULT_NSTEPS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=cases, choices=cases, metavar="MODEL",
                        help=f"cases to run (default: all: {', '.join(cases)})")
    parser.add_argument("--nsteps", type=int, default=None,
                        help="steps of every run (default: per case, "
                        + ", ".join(f"{k} {v}" for k, v in DEFAULT_NSTEPS.items()) + ")")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0],
                        help="seeds (mock, MAP, walkers and sampler); default 0")
    parser.add_argument("--moves", nargs="+", default=list(MOVES), choices=list(MOVES))
    parser.add_argument("--nwalkers", type=int, default=32)
    parser.add_argument("--markdown", default=None, help="write the table here")
    parser.add_argument("--json", default=None,
                        help="write every run here, rewritten after each case")
    parser.add_argument("--from-json", default=None, metavar="PATH",
                        help="print the table of the runs stored by --json, run nothing")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            rows = json.load(f)
        return _report(rows, args.moves, args.markdown)
    if "stretch" not in args.moves:
        parser.error("--moves: the ratios need 'stretch'")
    if args.nsteps is not None and args.nsteps < 100:
        parser.error(f"--nsteps must be at least 100, got {args.nsteps}")
    rows = []
    for name in args.models:
        nsteps = args.nsteps or DEFAULT_NSTEPS.get(name, 4000)
        rows += run_case(name, nsteps, args.seeds, args.nwalkers, tuple(args.moves))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(rows, f, indent=1)
    return _report(rows, args.moves, args.markdown)


def _report(rows, moves, path=None):
    lines = table(rows, tuple(moves))
    text = markdown(lines) + "\n\n" + "\n".join(f"* {v}" for v in verdict(lines, moves))
    print("\n" + text)
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")
    return lines


if __name__ == "__main__":
    main()
