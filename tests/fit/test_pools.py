"""Sampling pools: a batch of walkers split across processes, the serial chain bit for bit."""

import importlib.util
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.fit import pools
from pgmsim.fit.pools import PoolLogProb, pool_size

SCRIPT = Path(__file__).with_name("mpi_sample_script.py")


def _script():
    spec = importlib.util.spec_from_file_location("mpi_sample_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _script()


@pytest.fixture(scope="module")
def post():
    # its function mu is local, as in the ready-made models: sent with cloudpickle
    pytest.importorskip("cloudpickle", reason="pool tests need pgmsim[mpi] (cloudpickle)")
    return script.build_posterior()


@pytest.fixture(scope="module")
def theta(post):
    theta = post.sample_prior(1, 37)
    theta[5, 1] = -1.0          # outside the support: -inf, in the middle of a share
    return theta


@pytest.fixture(scope="module")
def process_pool():
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        yield pool


@pytest.fixture(scope="module")
def serial(post):
    return script.run()


# ---------------------------------------------------------------------------
# the values


def test_values_are_the_serial_ones_bit_for_bit_and_in_order(post, theta, process_pool):
    expected = post.log_prob(theta)
    assert len(np.unique(expected)) == len(expected)     # every walker has its own value
    with PoolLogProb(post, process_pool) as log_prob:
        for n in (2, 3, 37):
            np.testing.assert_array_equal(log_prob(theta[:n]), expected[:n])
        order = np.random.default_rng(1).permutation(len(theta))
        np.testing.assert_array_equal(log_prob(theta[order]), expected[order])
        np.testing.assert_array_equal(log_prob(theta[0]), expected[0])   # one point


class _Unordered(PoolLogProb):
    """A broken variant that returns the workers' shares in the wrong order."""

    def __call__(self, theta):
        shares = [(part, self.post.log_prior(part)) for part in np.array_split(theta, 2)]
        return np.concatenate(self._map(shares, self._pickled)[::-1])


def test_the_order_check_catches_walkers_mixed_up(post, theta, process_pool):
    """Negative control for the test above."""
    with _Unordered(post, process_pool) as log_prob:
        mixed = log_prob(theta)
    assert sorted(mixed.tolist()) == sorted(post.log_prob(theta).tolist())
    assert not np.array_equal(mixed, post.log_prob(theta))


class _SharesSeen(ThreadPoolExecutor):
    """A pool of threads that records how many walkers each share holds."""

    def __init__(self, workers):
        super().__init__(workers)
        self.shares = []

    def map(self, function, tasks):
        tasks = list(tasks)
        self.shares.append([len(task[1]) for task in tasks])
        return super().map(function, tasks)


def test_walkers_outside_the_support_are_not_shared_out(post, theta):
    batch = theta[8:16].copy()
    batch[[0, 1, 2], 1] = -1.0           # three walkers of the first share's half: -inf
    with _SharesSeen(2) as pool, PoolLogProb(post, pool) as log_prob:
        values = log_prob(batch)
        outside = log_prob(batch[[0, 1, 2]])
    np.testing.assert_array_equal(values, post.log_prob(batch))
    assert np.isneginf(values[:3]).all() and np.isfinite(values[3:]).all()
    # the five walkers inside, split 3 + 2 (split blindly, 4 + 4 would leave one
    # worker with one walker to evaluate and the other with four)
    assert pool.shares == [[3, 2]]
    np.testing.assert_array_equal(outside, [-np.inf] * 3)


def test_the_posterior_is_sent_once_per_worker_not_with_every_batch(post, theta,
                                                                     process_pool):
    with PoolLogProb(post, process_pool) as log_prob:
        for _ in range(30):
            log_prob(theta)
    # 30 batches of 2 shares: sent with every share that would be 60
    assert 1 <= log_prob.shipped <= 2 * process_pool._processes


def test_threads_use_the_callers_posterior_and_never_unpickle_one(post, theta, monkeypatch):
    calls = []
    monkeypatch.setattr(pools.pickle, "loads", lambda data: calls.append(data))
    with ThreadPoolExecutor(3) as pool, PoolLogProb(post, pool) as log_prob:
        np.testing.assert_array_equal(log_prob(theta), post.log_prob(theta))
        names = set(pool.map(lambda _: threading.current_thread().name, range(3)))
    assert log_prob.shipped == 0 and calls == []
    assert all(name.startswith("ThreadPoolExecutor") for name in names)


def test_a_worker_holds_a_few_posteriors_at_most(post, theta):
    with ThreadPoolExecutor(2) as pool:
        runs = [PoolLogProb(post, pool) for _ in range(pools._KEPT_POSTERIORS + 3)]
        for log_prob in runs:
            log_prob(theta)
        assert len(pools._posteriors) <= pools._KEPT_POSTERIORS
        # the first run's copy was dropped: its next batch is sent again, same values
        shipped = runs[0].shipped
        np.testing.assert_array_equal(runs[0](theta), post.log_prob(theta))
        assert runs[0].shipped == shipped + 2       # both shares of the batch
        again = runs[0].shipped
        runs[0](theta)
        assert runs[0].shipped == again             # and kept this time
        for log_prob in runs:
            log_prob.close()


def test_errors_in_a_worker_reach_the_caller(theta):
    m = pg.Model("broken")
    m.param("a", pg.Normal(0.0, 1.0))
    m.param("b", pg.HalfNormal(1.0))
    m.fixed("x", plate="obs")
    m.deterministic("mu", lambda a, b, x: np.exp(a + b * x), plate="obs")
    m.data("N", pg.Poisson("mu"), plate="obs")
    post = m.posterior(data={"N": [1, 2, 3]}, inputs={"x": [0.0, 0.5, 1.0]})
    with ThreadPoolExecutor(2) as pool, PoolLogProb(post, pool) as log_prob:
        with pytest.raises(ValueError, match="theta"):
            log_prob(np.ones((4, 5)))


# ---------------------------------------------------------------------------
# pg.sample(pool=...)


def test_sample_on_a_process_pool_gives_the_serial_chain(serial, process_pool):
    pooled = script.run(process_pool)
    np.testing.assert_array_equal(pooled.chain, serial.chain)
    np.testing.assert_array_equal(pooled.log_prob, serial.log_prob)


def test_the_start_walkers_are_evaluated_on_the_pool_and_only_once(post):
    """The start walkers are one batch on the pool, not a serial batch in the
    caller followed by the same batch again on the pool."""
    calls = []
    densities = {name: getattr(post, name) for name in ("log_prob", "log_likelihood")}

    def counted(density):
        def evaluate(theta):
            calls.append(np.shape(theta))
            return density(theta)
        return evaluate

    # the caller's own evaluations and the shares' (the pool's threads share post)
    for name, density in densities.items():
        setattr(post, name, counted(density))
    try:
        with _SharesSeen(2) as pool:
            pg.sample(post, nwalkers=16, nsteps=3, seed=1, progress=False, pool=pool,
                      initial={"a": 0.3, "b": 0.8})
    finally:
        for name in densities:
            delattr(post, name)
    # one batch for the start, two per step (emcee's two halves), each in 2 shares
    assert pool.shares == [[8, 8]] + [[4, 4]] * 6
    # the caller checks the centre of the ball (one point); every batch is evaluated
    # once, in shares, by the pool's threads (before: a batch of 16 in the caller)
    assert calls == [(2,)] + [(8, 2)] * 2 + [(4, 2)] * 12


def test_sample_on_a_process_executor_gives_the_serial_chain(serial):
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = script.run(pool)
    np.testing.assert_array_equal(pooled.chain, serial.chain)


def test_the_chain_comparison_can_fail(serial, post):
    """Negative control: another seed gives another chain."""
    other = pg.sample(post, nwalkers=script.NWALKERS, nsteps=script.NSTEPS,
                      seed=script.SEED + 1, progress=False)
    assert not np.array_equal(other.chain, serial.chain)


def test_pool_with_parallel_is_refused(post):
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(ValueError, match=r"parallel=.*pool="):
            pg.sample(post, nwalkers=8, nsteps=10, pool=pool, parallel=2, progress=False)


@pytest.mark.parametrize("bad", [object(), 4, "mpi", type("NoCall", (), {"map": 3})()])
def test_a_pool_without_map_is_refused_naming_the_argument(post, bad):
    with pytest.raises(TypeError, match=r"^pool must have a map method"):
        pg.sample(post, nwalkers=8, nsteps=10, pool=bad, progress=False)


class _FuturesPool:
    """Like Dask's Client: map returns futures, not values."""

    def map(self, function, items):
        with ThreadPoolExecutor(1) as executor:
            return [executor.submit(function, item) for item in items]


def test_a_pool_whose_map_returns_futures_is_refused(post):
    with pytest.raises(TypeError, match=r"pool.map must return the values.*get_executor"):
        pg.sample(post, nwalkers=8, nsteps=10, pool=_FuturesPool(), progress=False)


def test_a_posterior_that_cannot_be_pickled_is_refused_naming_pool():
    lock = threading.Lock()
    m = pg.Model("locked")
    m.param("lam", pg.Gamma(2.0, 1.0))

    def rate(lam):
        with lock:      # a lock cannot be pickled, not even by cloudpickle
            return lam

    m.deterministic("rate", rate)
    m.data("N", pg.Poisson("rate"), plate="obs")
    post = m.posterior(data={"N": [3, 5, 4]})
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(TypeError, match=r"^pool: the posterior cannot be pickled"):
            pg.sample(post, nwalkers=8, nsteps=10, pool=pool, progress=False)


def test_without_cloudpickle_a_local_function_is_refused_with_the_fix(post, monkeypatch):
    monkeypatch.setitem(sys.modules, "cloudpickle", None)    # import fails
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(TypeError, match=r"^pool: .*module level.*pgmsim\[mpi\]"):
            PoolLogProb(post, pool)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_bad_numbers_of_shares_are_refused(post, workers):
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(ValueError, match="workers must be a positive integer"):
            PoolLogProb(post, pool, workers=workers)


def test_pool_size_reads_what_the_pool_tells(process_pool):
    assert pool_size(process_pool) == 2
    assert pool_size(type("MPIPoolLike", (), {"size": 5, "map": map})()) == 5
    assert pool_size(type("Plain", (), {"map": map})()) == (os.cpu_count() or 1)


# ---------------------------------------------------------------------------
# MPI


def _mpiexec():
    bin_dir = os.path.dirname(sys.executable)
    return shutil.which("mpiexec", path=os.pathsep.join([bin_dir, os.environ.get("PATH", "")]))


@pytest.fixture(scope="module")
def mpiexec():
    pytest.importorskip("mpi4py", reason="MPI tests need pgmsim[mpi] (mpi4py)")
    pytest.importorskip("schwimmbad", reason="MPI tests need pgmsim[mpi] (schwimmbad)")
    path = _mpiexec()
    if path is None:
        pytest.skip("mpiexec not found (pip install 'pgmsim[mpi]' brings MPICH)")
    return path


def test_sample_under_mpiexec_gives_the_serial_chain(serial, tmp_path, mpiexec):
    out = tmp_path / "mpi.npz"
    proc = subprocess.run([mpiexec, "-n", "3", sys.executable, str(SCRIPT), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    saved = np.load(out)
    assert int(saved["workers"]) == 2
    np.testing.assert_array_equal(saved["chain"], serial.chain)
    np.testing.assert_array_equal(saved["log_prob"], serial.log_prob)
    # 20 batches of 2 shares: the posterior went to each worker rank about once
    assert 1 <= int(saved["shipped"]) <= 2 * int(saved["workers"])


def test_the_documented_mpi_script_runs_as_written(mpiexec):
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "mpi_sample.py"
    proc = subprocess.run([mpiexec, "-n", "3", sys.executable, str(example), "60"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "2 worker ranks" in proc.stdout
    assert all(name in proc.stdout for name in ("x0", "y0", "F", "b", "sigma"))


def test_a_model_from_a_file_is_sampled_on_a_spawned_pool(scaled_model_file, process_pool):
    """A spawned worker has never imported the user's file: it loads it itself."""
    from pgmsim.cli import default_mock

    model, _ = default_mock(str(scaled_model_file))
    post = model.posterior(data={"N": [5, 7, 6, 9, 4]})
    settings = dict(nwalkers=8, nsteps=30, seed=4, initial=None, progress=False)
    alone = pg.sample(post, **settings)
    pooled = pg.sample(post, pool=process_pool, **settings)
    np.testing.assert_array_equal(pooled.chain, alone.chain)
