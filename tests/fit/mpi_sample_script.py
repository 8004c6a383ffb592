"""``pg.sample`` on a schwimmbad ``MPIPool``, for tests/fit/test_pools.py.

Run as ``mpiexec -n 3 python mpi_sample_script.py OUT.npz``: rank 0 samples,
the other ranks evaluate shares of the walkers, and rank 0 saves the chain,
the log-posterior, the number of worker ranks and how many shares were sent
with the pickled posterior in 20 further batches. The test imports
:func:`run` to make the serial chain in its own process.
"""

import sys
import warnings

import numpy as np

import pgmsim as pg
from pgmsim.fit.pools import PoolLogProb

NWALKERS, NSTEPS, SEED = 16, 200, 7


def build_posterior(n=2000):
    """A line through Poisson counts; ``mu`` is a local function, as in the models."""
    m = pg.Model("line")
    m.param("a", pg.Normal(0.0, 5.0))
    m.param("b", pg.HalfNormal(2.0))
    m.fixed("x", plate="obs")

    @m.deterministic(plate="obs")
    def mu(a, b, x):
        return np.exp(a + b * x)

    m.data("N", pg.Poisson("mu"), plate="obs")
    x = np.linspace(-1.0, 1.0, n)
    counts = np.random.default_rng(0).poisson(np.exp(0.3 + 0.8 * x))
    return m.posterior(data={"N": counts}, inputs={"x": x})


def run(pool=None):
    """The sampling run of the test, serial without ``pool``."""
    with warnings.catch_warnings():  # a deliberately short run is not converged
        warnings.simplefilter("ignore", pg.ConvergenceWarning)
        return pg.sample(build_posterior(), nwalkers=NWALKERS, nsteps=NSTEPS, seed=SEED,
                         progress=False, pool=pool)


def main(out):
    from schwimmbad import MPIPool

    pool = MPIPool()
    if not pool.is_master():
        pool.wait()  # evaluate shares until the master closes the pool
        sys.exit(0)
    res = run(pool)
    with PoolLogProb(res.posterior, pool) as log_prob:
        for _ in range(20):
            log_prob(res.chain[-1])
    np.savez(out, chain=res.chain, log_prob=res.log_prob, workers=pool.size,
             shipped=log_prob.shipped, batches=20)
    # no pool.close(): schwimmbad closes the pool at exit, and a second stop
    # message to workers that have left makes MPICH kill the job (exit code 9)


if __name__ == "__main__":
    main(sys.argv[1])
