"""ParallelLogProb: a batch of walkers split between threads, same values, same order."""

import threading

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.fit.parallel import PARALLEL_ELEMENTS, ParallelLogProb


def plate_posterior(n=3000):
    """A posterior whose value differs for every walker (a large plate)."""
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


@pytest.fixture(scope="module")
def post():
    return plate_posterior()


@pytest.fixture(scope="module")
def theta(post):
    theta = post.sample_prior(1, 37)
    theta[5, 1] = -1.0          # outside the support: -inf, in the middle of a share
    return theta


@pytest.mark.parametrize("workers", [2, 3, 4, 8])
def test_values_are_the_serial_ones_bit_for_bit_and_in_order(post, theta, workers):
    serial = post.log_prob(theta)
    assert len(np.unique(serial)) == len(serial)     # every walker has its own value
    with ParallelLogProb(post, workers=workers, min_elements=0) as log_prob:
        for n in (2, 3, workers, 37):
            np.testing.assert_array_equal(log_prob(theta[:n]), serial[:n])
        # reordering the walkers reorders the values, nothing else
        order = np.random.default_rng(workers).permutation(len(theta))
        np.testing.assert_array_equal(log_prob(theta[order]), serial[order])


class _Unordered(ParallelLogProb):
    """A broken variant that returns the threads' shares in the wrong order."""

    def __call__(self, theta):
        parts = np.array_split(np.asarray(theta, float), self.workers)
        return np.concatenate(list(self._executor.map(self.post.log_prob, parts))[::-1])


def test_the_order_check_catches_walkers_mixed_up(post, theta):
    """Negative control for the test above."""
    with _Unordered(post, workers=2, min_elements=0) as log_prob:
        mixed = log_prob(theta)
    assert sorted(mixed.tolist()) == sorted(post.log_prob(theta).tolist())
    assert not np.array_equal(mixed, post.log_prob(theta))


def _recording_threads(post, monkeypatch):
    calls = []
    original = post.log_prob

    def recorded(theta):
        calls.append((threading.current_thread().name, np.shape(theta)))
        return original(theta)

    monkeypatch.setattr(post, "log_prob", recorded)
    return calls


def test_large_batches_are_split_in_contiguous_shares_between_the_threads(monkeypatch):
    post = plate_posterior()
    theta = post.sample_prior(2, 10)
    calls = _recording_threads(post, monkeypatch)
    with ParallelLogProb(post, workers=3, min_elements=0) as log_prob:
        log_prob(theta)
    assert sorted(shape for _, shape in calls) == [(3, 2), (3, 2), (4, 2)]
    assert all(name.startswith("pgmsim") for name, _ in calls)


def test_small_batches_stay_in_the_calling_thread(monkeypatch):
    post = plate_posterior(n=100)
    calls = _recording_threads(post, monkeypatch)
    here = threading.current_thread().name
    # 10 walkers x 100 elements: below a threshold of 1001, at or above 1000
    with ParallelLogProb(post, workers=2, min_elements=1001) as log_prob:
        log_prob(post.sample_prior(3, 10))
        log_prob(post.sample_prior(3, 1)[0])         # one point: always here
        log_prob(post.sample_prior(3, 1))            # one walker: always here
    assert [name for name, _ in calls] == [here] * 3
    calls.clear()
    with ParallelLogProb(post, workers=2, min_elements=1000) as log_prob:
        log_prob(post.sample_prior(3, 10))
    assert len(calls) == 2 and here not in [name for name, _ in calls]
    assert ParallelLogProb(post, workers=2).min_elements == PARALLEL_ELEMENTS


def test_one_point_gives_the_serial_scalar(post, theta):
    with ParallelLogProb(post, workers=2, min_elements=0) as log_prob:
        assert log_prob(theta[0]) == post.log_prob(theta[0])
        assert np.ndim(log_prob(theta[0])) == 0
        assert log_prob(list(theta[1])) == post.log_prob(theta[1])


def test_sample_with_threads_gives_the_serial_chain(post, monkeypatch):
    monkeypatch.setattr(pg.fit.parallel, "PARALLEL_ELEMENTS", 0)
    serial = pg.sample(post, nwalkers=8, nsteps=30, seed=5, progress=False)
    for parallel in (1, 2, 3):
        threaded = pg.sample(post, nwalkers=8, nsteps=30, seed=5, progress=False,
                             parallel=parallel)
        np.testing.assert_array_equal(threaded.chain, serial.chain)
        np.testing.assert_array_equal(threaded.log_prob, serial.log_prob)


@pytest.mark.parametrize("workers", [np.int64(2), 2.0, 16])
def test_whole_numbers_of_workers_are_accepted(post, workers):
    with ParallelLogProb(post, workers=workers) as log_prob:
        assert log_prob.workers == int(workers) and type(log_prob.workers) is int
        assert repr(log_prob) == f"ParallelLogProb({post!r}, workers={int(workers)})"


def test_closed_threads_take_no_more_batches(post, theta):
    log_prob = ParallelLogProb(post, workers=2, min_elements=0)
    log_prob.close()
    with pytest.raises(RuntimeError, match="shutdown"):
        log_prob(theta)
    with ParallelLogProb(post, workers=2, min_elements=0) as log_prob:
        pass
    with pytest.raises(RuntimeError, match="shutdown"):
        log_prob(theta)
