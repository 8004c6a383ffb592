"""What the build-time checks cost: this tree against an earlier commit.

Building a posterior now walks its deterministic functions at three prior
draws, alone and as a batch, and checks the fixed inputs against the
distributions' constraints. This script measures, on ``xray_cluster`` and the
real 648x648 A1835 image, the time to build the posterior and the time of
``log_prob`` (one point, and a batch of 32 walkers) with this tree and with
the tree of an earlier commit, each in its own process (two versions of a
package cannot share one). Processes of the two trees alternate, round after
round, and each ratio is the median over rounds of the ratio within a round,
so a slow spell of the machine hits both sides alike.

Usage::

    PGMSIM_DATA=../shared/data python benchmarks/build_cost.py --base db85994
    PGMSIM_DATA=../shared/data python benchmarks/build_cost.py --base db85994 --rounds 9
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent

#: run in a child process whose ``sys.path`` starts with the tree to measure
CHILD = r"""
import json, os, sys, time
import numpy as np
import pgmsim
from pgmsim.astro import datasets
from pgmsim.models import xray_cluster

def per_call(func, blocks=15, target=0.1):
    func()
    start = time.perf_counter(); func(); once = time.perf_counter() - start
    calls = max(1, int(target / max(once, 1e-7)))
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(calls):
            func()
        times.append((time.perf_counter() - start) / calls)
    return float(np.median(times))

inputs, data, keep = xray_cluster.load(**datasets.a1835(os.environ.get("PGMSIM_DATA")))
model = xray_cluster.build(keep=keep)
build = per_call(lambda: model.posterior(data=data, inputs=inputs), blocks=5, target=0.3)
post = model.posterior(data=data, inputs=inputs)
theta = post.pack(xray_cluster.initial_guess(inputs, data))
ball = theta + 1e-4 * np.abs(theta) * np.random.default_rng(0).standard_normal((32, theta.size))
print(json.dumps({"tree": os.path.dirname(os.path.dirname(pgmsim.__file__)),
                  "build": build,
                  "log_prob_point": per_call(lambda: post.log_prob(theta)),
                  "log_prob_batch32": per_call(lambda: post.log_prob(ball))}))
"""


def export(ref, into):
    """The tree of commit ``ref`` (``git archive``), unpacked under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True,
                             capture_output=True).stdout
    path = pathlib.Path(into) / ref
    path.mkdir()
    with tempfile.TemporaryFile() as tmp:
        tmp.write(archive)
        tmp.seek(0)
        with tarfile.open(fileobj=tmp) as tar:
            tar.extractall(path, filter="data")
    return path


def measure(tree):
    """One child process on ``tree``: its timings, as a dict."""
    env = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, check=True,
                         capture_output=True, text=True, cwd=tree).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if pathlib.Path(result["tree"]).resolve() != pathlib.Path(tree).resolve():
        raise RuntimeError(f"the child imported pgmsim from {result['tree']}, not {tree}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the earlier commit (e.g. db85994)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (default: %(default)s)")
    parser.add_argument("--json", help="write every round's timings here")
    opts = parser.parse_args(argv)
    if "PGMSIM_DATA" not in os.environ:
        parser.error("set PGMSIM_DATA to the folder holding a1835_xmm/")
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"base": export(opts.base, tmp), "this": ROOT}
        rounds = []
        for k in range(opts.rounds):
            order = ("base", "this") if k % 2 == 0 else ("this", "base")
            rounds.append({side: measure(trees[side]) for side in order})
            print(f"round {k + 1}/{opts.rounds} done", file=sys.stderr)
    import numpy as np
    print(f"{'quantity':<18}{'base':>12}{'this':>12}{'ratio':>8}  (IQR of ratios)")
    for key in ("build", "log_prob_point", "log_prob_batch32"):
        ratios = np.array([r["this"][key] / r["base"][key] for r in rounds])
        base = np.median([r["base"][key] for r in rounds])
        this = np.median([r["this"][key] for r in rounds])
        q1, q3 = np.percentile(ratios, [25, 75])
        print(f"{key:<18}{base * 1e3:>10.3f}ms{this * 1e3:>10.3f}ms"
              f"{np.median(ratios):>8.3f}  ({q1:.3f}-{q3:.3f})")
    if opts.json:
        pathlib.Path(opts.json).write_text(json.dumps({"base": opts.base, "rounds": rounds,
                                                       "time": time.time()}, indent=1))


if __name__ == "__main__":
    main()
