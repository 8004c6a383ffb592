"""Sample a posterior on MPI ranks: ``mpiexec -n 4 python mpi_sample.py [NSTEPS]``.

Every rank runs this file. Rank 0, the master, builds the posterior and runs
emcee; the other ranks wait in ``pool.wait()`` and evaluate their share of
each batch of walkers, on the copy of the posterior they receive once.
"""

import sys

from schwimmbad import MPIPool

import pgmsim as pg
from pgmsim.models import xray_agn


def main(nsteps=2000):
    pool = MPIPool()
    if not pool.is_master():
        pool.wait()  # evaluate shares of walkers until the master closes the pool
        sys.exit(0)
    model = xray_agn.build()
    inputs = xray_agn.default_inputs()
    counts = model.simulate(inputs=inputs, seed=1)["N"]
    post = model.posterior(data={"N": counts}, inputs=inputs)
    res = pg.sample(post, nwalkers=32, nsteps=nsteps, seed=2, pool=pool, progress=False)
    # no pool.close(): schwimmbad closes the pool when this rank exits, and the
    # worker ranks leave pool.wait(); closing it twice can make MPICH kill the job
    print(f"{pool.size} worker ranks")
    print(res.summary())


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
