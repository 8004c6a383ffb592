"""``find_map`` on the real A1835 cluster image from the prior, ten seeds.

Run from the repository root::

    python3 validation/map_a1835.py --data-home ../shared/data

Each seed starts ``find_map`` (4 starts: the best of 256 prior draws) on the
``xray_cluster`` model with its point-source mask. A seed passes when it is
not a boundary optimum reported as a success, and either ends at the best
optimum of all seeds (to ``--tolerance`` in log-density) or warns
(:class:`pgmsim.fit.optimize.MapWarning`). Prints one line per seed and how
many reach the best; exit status 0 when every seed passes.
"""

import argparse
import time
import warnings

import numpy as np

from pgmsim.astro import datasets
from pgmsim.fit.optimize import MapWarning
from pgmsim.models import xray_cluster


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None, help="folder holding a1835_xmm/")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--tolerance", type=float, default=1e-6)
    args = parser.parse_args()
    inputs, data, keep = xray_cluster.load(**datasets.a1835(args.data_home))
    post = xray_cluster.build(keep=keep).posterior(data=data, inputs=inputs)
    runs = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MapWarning)
            found = post.find_map(seed=seed)
        warned = [str(w.message) for w in caught if issubclass(w.category, MapWarning)]
        runs.append((seed, found, warned, time.perf_counter() - start))
    best = max(found.log_prob for _, found, _, _ in runs)
    failures, agree = 0, 0
    for seed, found, warned, seconds in runs:
        gap = best - found.log_prob
        at_best = gap <= args.tolerance
        agree += at_best
        lying = (found.success and found.at_boundary) or not (at_best or warned)
        failures += lying
        print(f"seed {seed}: log_prob {found.log_prob:.6f} (best - this = {gap:.2e}), "
              f"success={found.success}, at_boundary={list(found.at_boundary)}, "
              f"starts={np.round(found.starts, 3).tolist()}, warned={bool(warned)}, "
              f"{seconds:.0f} s{'  FAIL' if lying else ''}")
        for message in warned:
            print(f"    {message[:160]}")
    print(f"{agree} of {len(runs)} seeds at the best optimum (to {args.tolerance:g}); "
          f"{failures} lying result(s)")
    raise SystemExit(0 if failures == 0 else 1)


if __name__ == "__main__":
    main()
