"""Many fits on any engine: serial, a process pool and a real Dask cluster give the
same results; the results store loses nothing when a worker or the client dies.

The Dask tests start a scheduler and two worker processes on 127.0.0.1 (one
cluster for the module), with tiny models and short chains.
"""

import concurrent.futures
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import h5py
import numpy as np
import pytest

import pgmsim as pg
from pgmsim.distributed import run_tasks
from pgmsim.fit.store import StoreError

distributed = pytest.importorskip("distributed")

SBC_SETTINGS = dict(n_sims=40, nwalkers=4, nsteps=20, thin=5, initial=None, seed=5)
FIT_SETTINGS = dict(nwalkers=4, nsteps=40, initial=None, seed=1)
#: columns that say where and how fast a fit ran, not what it found
RUN_COLUMNS = ("wall_s", "worker")


def rate_model():
    """N_k ~ Poisson(lam), lam ~ Gamma(3, 1): no user function, so any engine takes it."""
    m = pg.Model("rate")
    m.plate("obs", size=5)
    m.param("lam", pg.Gamma(3.0, 1.0))
    m.data("N", pg.Poisson("lam"), plate="obs")
    return m


def items(n=10):
    return [{"data": {"N": np.random.default_rng(i).poisson(1.0 + i, 5)}} for i in range(n)]


def load_item(index):
    """A module-level loader: item ``index`` made on the worker."""
    return items(index + 1)[index]


def same_fits(a, b):
    """Every column but the run's own (time, worker) bit-identical."""
    assert a.colnames == b.colnames
    for name in a.colnames:
        if name not in RUN_COLUMNS:
            assert np.array_equal(a[name], b[name]), name
    return True


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=":0") as cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def serial_fits():
    return pg.fit_many(rate_model(), items(), **FIT_SETTINGS)


def test_sbc_and_fit_many_on_dask_are_identical_to_serial(client, serial_fits):
    serial = pg.sbc(rate_model(), **SBC_SETTINGS)
    on_dask = pg.sbc(rate_model(), executor=client, **SBC_SETTINGS)
    assert on_dask.ranks.shape == (40, 1)
    assert np.array_equal(serial.ranks, on_dask.ranks)
    assert np.array_equal(serial.truths, on_dask.truths)
    assert np.array_equal(serial.tau, on_dask.tau)
    fits = pg.fit_many(rate_model(), items(), executor=client, **FIT_SETTINGS)
    assert len(fits) == 10 and same_fits(serial_fits, fits)
    # both workers took fits, none of them this process
    workers = set(fits["worker"])
    assert len(workers) == 2 and not any(w.endswith(f":{os.getpid()}") for w in workers)


def test_a_process_pool_and_a_load_function_give_the_same_fits(serial_fits):
    with concurrent.futures.ProcessPoolExecutor(
            2, mp_context=multiprocessing.get_context("fork")) as pool:
        fits = pg.fit_many(rate_model(), load_item, n_items=10, executor=pool,
                           **FIT_SETTINGS)
    assert same_fits(serial_fits, fits)
    assert fits.colnames == ["index", "lam_median", "lam_lower", "lam_upper", "ess_min",
                             "converged", "wall_s", "worker"]
    assert np.all(fits["lam_lower"] < fits["lam_median"])
    assert np.all(fits["lam_median"] < fits["lam_upper"])


def closure_model():
    m = pg.Model("scaled")
    m.param("lam", pg.Gamma(3.0, 1.0))
    m.deterministic("mu", lambda lam: 2 * lam)
    m.data("N", pg.Poisson("mu"), plate="obs")
    return m


def test_a_model_that_cannot_be_pickled_is_refused_before_any_fit():
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        with pytest.raises(TypeError, match="the model cannot be sent to worker processes: "
                                            ".*lambda"):
            pg.fit_many(closure_model(), items(2), executor=pool, **FIT_SETTINGS)


def test_bad_executors_items_and_counts_are_refused(tmp_path):
    with pytest.raises(TypeError, match="executor must be a dask.distributed.Client, a "
                                        "concurrent.futures.Executor or None, got int"):
        pg.fit_many(rate_model(), items(2), executor=4, **FIT_SETTINGS)
    with pytest.raises(ValueError, match=r"datasets\[1\] must be a dict with keys 'data'"):
        pg.fit_many(rate_model(), [items(1)[0], {"N": [1, 2]}], **FIT_SETTINGS)
    with pytest.raises(ValueError, match="n_items must be a positive integer with a load "
                                         "function as datasets, got None"):
        pg.fit_many(rate_model(), load_item, **FIT_SETTINGS)
    with pytest.raises(ValueError, match="model is None, so every item needs its own"):
        pg.fit_many(None, items(2), **FIT_SETTINGS)
    with pytest.raises(ValueError, match="nsteps must be a positive integer, got 0"):
        pg.fit_many(rate_model(), items(2), nwalkers=4, nsteps=0)
    with pytest.raises(ValueError, match="a run with a store needs a seed"):
        pg.fit_many(rate_model(), items(2), nwalkers=4, nsteps=10,
                    store=tmp_path / "r.h5")
    with pytest.raises(ValueError, match="pass executor or processes, not both"):
        pg.sbc(rate_model(), n_sims=2, processes=2,
               executor=concurrent.futures.ThreadPoolExecutor(1))


def test_a_store_is_resumed_and_another_run_is_refused(tmp_path, serial_fits):
    path = tmp_path / "fits.h5"
    first = pg.fit_many(rate_model(), items()[:10], store=path, **FIT_SETTINGS)
    assert same_fits(serial_fits, first)
    assert stored_tasks(path) == list(range(10))
    with pytest.raises(StoreError, match=f"results store '{path}' holds an earlier run: "
                                         "pass resume=True"):
        pg.fit_many(rate_model(), items(), store=path, **FIT_SETTINGS)
    with pytest.raises(StoreError, match=f"results store '{path}' was made by another run "
                                         r"\(seed: stored 1, now 2\)"):
        pg.fit_many(rate_model(), items(), store=path, resume=True,
                    **{**FIT_SETTINGS, "seed": 2})
    with pytest.raises(StoreError, match="holds a 'fit_many' run, not 'sbc'"):
        pg.sbc(rate_model(), store=path, resume=True, **SBC_SETTINGS)
    # a resume of a finished run fits nothing: the stored times come back
    again = pg.fit_many(rate_model(), items(), store=path, resume=True, **FIT_SETTINGS)
    assert np.array_equal(again["wall_s"], first["wall_s"])


def test_an_interrupted_sbc_resumes_where_it_stopped(tmp_path, monkeypatch):
    path = tmp_path / "sbc.h5"
    settings = {**SBC_SETTINGS, "n_sims": 8}
    whole = pg.sbc(rate_model(), **settings)
    from pgmsim.validate.sbc import _one

    def fail_at_five(job, index, seed_sequence, argument):
        if index == 5:
            raise KeyboardInterrupt  # the user stops the run
        return _one(job, index, seed_sequence, argument)

    with monkeypatch.context() as patch:
        patch.setattr("pgmsim.validate.sbc._one", fail_at_five)
        with pytest.raises(KeyboardInterrupt):
            pg.sbc(rate_model(), store=path, **settings)
    assert stored_tasks(path) == [0, 1, 2, 3, 4]
    resumed = pg.sbc(rate_model(), store=path, resume=True, **settings)
    assert np.array_equal(whole.ranks, resumed.ranks)
    assert np.array_equal(whole.truths, resumed.truths)


def test_run_tasks_records_are_in_index_order_whatever_finishes_first():
    def slow_first(payload, index, seed_sequence, argument):
        time.sleep(0.2 if index == 0 else 0.0)
        return {"value": index, "draw": np.random.default_rng(seed_sequence).random()}

    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        threaded = run_tasks(slow_first, None, 4, seed=3, executor=pool)
    serial = run_tasks(slow_first, None, 4, seed=3)
    assert [r["value"] for r in threaded] == [0, 1, 2, 3]
    assert [r["draw"] for r in threaded] == [r["draw"] for r in serial]


def test_a_worker_killed_mid_task_is_retried_elsewhere(client, serial_fits, tmp_path):
    path = tmp_path / "fits.h5"
    victim_address, victim_pid = sorted(client.run(os.getpid).items())[0]
    killed = threading.Event()

    def kill_while_busy():
        # wait until the victim is running a fit, then SIGKILL it mid-task
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if client.processing().get(victim_address):
                time.sleep(0.1)
                os.kill(victim_pid, signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_while_busy)
    killer.start()
    fits = pg.fit_many(rate_model(), items(), executor=client, store=path, **FIT_SETTINGS)
    killer.join()
    assert killed.is_set()
    assert same_fits(serial_fits, fits)
    assert stored_tasks(path) == list(range(10))  # every task exactly once
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    assert victim_pid not in client.run(os.getpid).values()


def stored_tasks(path):
    """The task indexes in a store file, as written (each group once by construction
    of HDF5 names; a second write of a task would raise)."""
    with h5py.File(path, "r") as f:
        return sorted(int(name) for name in f["tasks"])


CLIENT_SCRIPT = textwrap.dedent("""
    import sys, warnings
    sys.path.insert(0, {tests!r})
    import pgmsim as pg
    from distributed import Client
    from test_distributed import FIT_SETTINGS, items, rate_model
    warnings.simplefilter("ignore")
    with Client({address!r}) as client:
        pg.fit_many(rate_model(), items(), executor=client, store={store!r},
                    **FIT_SETTINGS)
""")


def wait_for_stored(path, count, process, timeout):
    """Poll the store until it holds ``count`` tasks, ``process`` ends or time is up."""
    deadline, stored = time.monotonic() + timeout, 0
    while stored < count and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        try:
            with h5py.File(path, "r") as f:
                stored = len(f["tasks"])
        except (OSError, KeyError):  # not made yet, or being written
            continue
    return stored


def test_a_client_killed_mid_run_is_resumed(client, serial_fits, tmp_path):
    path = tmp_path / "fits.h5"
    script = CLIENT_SCRIPT.format(tests=os.path.dirname(__file__), store=str(path),
                                  address=client.scheduler.address)
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        stored = wait_for_stored(path, 3, child, timeout=120)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert 3 <= stored < 10, stored
    fits = pg.fit_many(rate_model(), items(), executor=client, store=path, resume=True,
                       **FIT_SETTINGS)
    assert same_fits(serial_fits, fits)
    assert stored_tasks(path) == list(range(10))


def test_the_dashboard_link_is_printed_with_progress(client, capsys):
    run_tasks(_double, 2, 3, seed=0, executor=client, progress=True)
    assert "Dask dashboard:" in capsys.readouterr().err


def _double(payload, index, seed_sequence, argument):
    return {"value": payload * index}


def test_the_a1835_sources_are_fitted_from_a_loader(shared_data, tmp_path):
    from pgmsim.models import xray_agn

    load, n = xray_agn.source_items(size=16, data_home=shared_data)
    assert n == 26
    settings = dict(n_items=2, nwalkers=10, nsteps=30, seed=3, store=tmp_path / "a1835.h5")
    fits = pg.fit_many(None, load, **settings)
    assert fits.meta["param_names"] == ["x0", "y0", "F", "b", "sigma"]
    assert len(fits) == 2 and np.all(fits["F_median"] > 0)
    # a new loader of the same sources is the same run: the resume fits nothing
    again, _ = xray_agn.source_items(size=16, data_home=shared_data)
    resumed = pg.fit_many(None, again, resume=True, **settings)
    assert np.array_equal(resumed["wall_s"], fits["wall_s"])
    other, _ = xray_agn.source_items(size=20, data_home=shared_data)
    with pytest.raises(StoreError, match="was made by another run"):
        pg.fit_many(None, other, resume=True, **settings)


def test_a_model_from_a_file_is_fitted_on_dask_and_in_a_spawned_pool(client,
                                                                     scaled_model_file):
    from pgmsim.cli import default_mock

    model, _ = default_mock(str(scaled_model_file))
    serial = pg.fit_many(model, items(4), **FIT_SETTINGS)
    on_dask = pg.fit_many(model, items(4), executor=client, **FIT_SETTINGS)
    assert same_fits(serial, on_dask)
    # a spawned worker starts without the file's module: it loads the file
    with concurrent.futures.ProcessPoolExecutor(
            2, mp_context=multiprocessing.get_context("spawn")) as pool:
        in_pool = pg.fit_many(model, items(4), executor=pool, **FIT_SETTINGS)
    assert same_fits(serial, in_pool)


def test_a_function_the_workers_cannot_import_fails_its_task(client, monkeypatch):
    import types

    module = types.ModuleType("client_only_functions")
    exec("def doubled(lam):\n    return 2.0 * lam\n", module.__dict__)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    m = rate_model()
    m.deterministic("mu", module.doubled)
    # an error of the task, not a worker that cannot read its messages (Dask would
    # restart it for ever)
    with pytest.raises(ModuleNotFoundError, match="client_only_functions"):
        pg.fit_many(m, items(2), executor=client, **FIT_SETTINGS)


def _total(payload, index, seed_sequence, argument):
    return {"value": float(np.sum(payload))}


def test_the_payload_travels_once_not_with_every_task(client, monkeypatch):
    payload = np.arange(100_000.0)  # 800 kB, as the inputs of a large image
    sent = []
    submit = client.submit

    def measured(function, *args, **kwargs):
        sent.append(sum(len(a) for a in args if isinstance(a, bytes)))
        assert not any(isinstance(a, np.ndarray) for a in args)
        return submit(function, *args, **kwargs)

    monkeypatch.setattr(client, "submit", measured)
    records = run_tasks(_total, payload, 4, seed=0, executor=client)
    assert [r["value"] for r in records] == [float(np.sum(payload))] * 4
    assert len(sent) == 4 and 0 < max(sent) < 2_000, sent  # the task's own bytes only


def test_only_a_lost_scheduler_is_said_to_be_lost(tmp_path):
    from distributed.client import FutureCancelledError
    from distributed.comm import CommClosedError

    from pgmsim._cli_checks import speak_of_flags
    from pgmsim.distributed import _lost_message, _scheduler_lost
    from pgmsim.fit.store import ResultsStore

    lost = FutureCancelledError("_call-1", "scheduler-connection-lost")
    assert _scheduler_lost(lost)
    assert _scheduler_lost(CommClosedError("in <TCP>: Stream is closed"))
    assert not _scheduler_lost(FutureCancelledError("_call-1", "cancelled by the user"))
    assert not _scheduler_lost(BlockingIOError(11, "unable to lock file"))
    store = ResultsStore(tmp_path / "r.h5", "fit_many", {})
    said = speak_of_flags(_lost_message(lost, 3, 10, store))
    assert said.startswith("the connection to the Dask scheduler was lost after 3 of 10 "
                           "tasks (_call-1 cancelled for reason: scheduler-connection-lost.)")
    assert f"'{store.filename}': run the same call with --resume once" in said
    assert "pass store= to keep them" in _lost_message(lost, 3, 10, None)
