"""One or two beta components for A1835: evidence by nested sampling and PSIS-LOO.

Run from the repository root::

    python3 validation/compare_a1835.py --data-home ../shared/data --nlive 100

Fits the ``xray_cluster`` model with one and with two beta components (the
cool core) to the real A1835 image with :func:`pgmsim.nested`, and prints
``ln Z`` of each with its error, the ln Bayes factor, the PSIS-LOO
difference (over ``--loo-draws`` posterior draws) and the run times; then
the sentence of :func:`pgmsim.compare`.
"""

import argparse
import time
import warnings

import numpy as np

import pgmsim as pg
from pgmsim.astro import datasets
from pgmsim.models import xray_cluster


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None, help="folder holding a1835_xmm/")
    parser.add_argument("--nlive", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1835)
    parser.add_argument("--loo-draws", type=int, default=200)
    parser.add_argument("--progress", action="store_true",
                        help="dynesty's progress line on stderr (iterations, calls, ln Z)")
    parser.add_argument("--sample", default="auto",
                        help="dynesty's sampling method: auto, unif, rwalk, slice, rslice")
    args = parser.parse_args()
    inputs, data, keep = xray_cluster.load(**datasets.a1835(args.data_home))
    results = {}
    for name, two in (("one component", False), ("two components", True)):
        post = xray_cluster.build(two_components=two, keep=keep).posterior(data=data,
                                                                          inputs=inputs)
        start = time.perf_counter()
        post.log_likelihood(post.prior_transform(np.full(post.ndim, 0.5)))
        call = time.perf_counter() - start
        start = time.perf_counter()
        res = pg.nested(post, nlive=args.nlive, seed=args.seed, progress=args.progress,
                        sample=args.sample)
        seconds = time.perf_counter() - start
        results[name] = res
        print(f"{name:15s} d = {post.ndim}: ln Z = {res.log_evidence:.1f} +- "
              f"{res.log_evidence_err:.2f}, {res.ncall} likelihood calls "
              f"({1e3 * call:.1f} ms each), {seconds:.0f} s", flush=True)
    one, two = results["one component"], results["two components"]
    print(f"ln Bayes factor (two / one) = {two.log_evidence - one.log_evidence:.1f} +- "
          f"{np.hypot(one.log_evidence_err, two.log_evidence_err):.2f}")
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = pg.compare(results, max_draws=args.loo_draws)
    for w in caught:
        print("warning:", w.message)
    table.pprint(max_lines=-1, max_width=-1)
    print(f"LOO: {time.perf_counter() - start:.0f} s")
    print(table.meta["verdict"])


if __name__ == "__main__":
    main()
