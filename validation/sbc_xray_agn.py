"""Simulation-based calibration of the X-ray AGN model, and a negative control.

Run from the repository root::

    python3 validation/sbc_xray_agn.py --n-sims 200 --processes 2 --out /tmp/sbc_xray_agn

1. The calibrated case: data simulated from ``xray_agn`` and fitted with the
   same model. Every parameter's rank histogram must be uniform.
2. The negative control: the same simulations fitted with a model whose
   likelihood uses a PSF ``--psf-bias`` times too wide (default 1.25). The
   posterior of ``sigma`` (and of the parameters correlated with it) is then
   biased, and the test must fail.

Chains start at the MAP of each simulated dataset (a function of the data
alone, so the start carries no information on the true value), the first
``--burn`` steps are discarded (several autocorrelation times, see the
``tau`` column), and every ``--thin``-th step of every walker is a draw.

Writes ``ranks_correct.png``, ``ranks_biased_psf.png`` and ``sbc.npz`` into
``--out`` and prints the per-parameter tests. Exit status 0 when the correct
model passes (all p > alpha) and the biased one fails.
"""

import argparse
import pathlib
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import pgmsim as pg  # noqa: E402
from pgmsim.models import xray_agn  # noqa: E402


def report(title, result, alpha):
    print(f"\n== {title} ==")
    print(repr(result))
    print("\n".join(result.table().pformat(max_width=-1)))
    tau = result.tau.max(axis=1)
    print(f"max autocorrelation time per chain: median {np.median(tau):.1f}, "
          f"90th percentile {np.percentile(tau, 90):.1f}, max {tau.max():.1f} steps "
          f"(thin = {result.settings['thin']}, burn = {result.settings['burn']})")
    print(f"acceptance fraction: median {np.median(result.acceptance):.2f}, "
          f"min {result.acceptance.min():.2f}")
    print(f"passes at alpha = {alpha} (both tests, every parameter): {result.passed(alpha)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-sims", type=int, default=200)
    parser.add_argument("--nwalkers", type=int, default=32)
    parser.add_argument("--nsteps", type=int, default=1500)
    parser.add_argument("--burn", type=int, default=500)
    parser.add_argument("--thin", type=int, default=100)
    parser.add_argument("--psf-bias", type=float, default=1.25)
    parser.add_argument("--alpha", type=float, default=0.01,
                        help="level of each test (default: %(default)s)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", default="sbc_xray_agn")
    parser.add_argument("--no-control", action="store_true",
                        help="skip the negative control (the biased-PSF fit)")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    model = xray_agn.build()
    inputs = xray_agn.default_inputs(seed=0)
    settings = dict(n_sims=args.n_sims, nwalkers=args.nwalkers, nsteps=args.nsteps,
                    burn=args.burn, thin=args.thin, initial="map", seed=args.seed,
                    processes=args.processes)
    print(f"SBC of xray_agn: {settings}")
    results = {}
    fits = [("correct", None)]
    if not args.no_control:
        fits.append(("biased_psf", xray_agn.build(psf_scale=args.psf_bias)))
    for key, fit in fits:
        started = time.perf_counter()
        results[key] = pg.sbc(model, inputs, fit_model=fit, **settings)
        title = ("correct model" if fit is None else
                 f"wrong model: PSF width x {args.psf_bias} in the likelihood")
        report(f"{title} ({time.perf_counter() - started:.0f} s)", results[key], args.alpha)
        fig = results[key].plot()
        fig.savefig(out / f"ranks_{key}.png", dpi=110)
    np.savez(out / "sbc.npz", **{f"{k}_{a}": getattr(r, a) for k, r in results.items()
                                 for a in ("ranks", "truths", "tau", "acceptance")})
    ok = results["correct"].passed(args.alpha)
    if "biased_psf" in results:
        ok = ok and not results["biased_psf"].passed(args.alpha)
    print(f"\nwrote {', '.join(sorted(p.name for p in out.iterdir()))} to {out}/")
    print("SBC validation", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
