"""The Dask scheduler killed in the middle of a run, then restarted: the client ends
with an error that says how to resume, and the resumed run stores every task once,
identical to the serial run.

The scheduler and the two workers are separate ``dask scheduler`` / ``dask worker``
processes on 127.0.0.1, each in a process group of its own that the test kills
whatever happens; the client is a subprocess too, so that a hang cannot block the
suite: every wait has a timeout.
"""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import pgmsim as pg

pytest.importorskip("distributed")

# the helpers and the serial run (a fixture) of the Dask tests
from test_distributed import (FIT_SETTINGS, items, rate_model, same_fits,  # noqa: E402,F401
                              serial_fits, stored_tasks, wait_for_stored)

#: seconds each item takes to load on a worker: room to kill the scheduler mid-run
LOAD_SECONDS = 0.6


def load_slowly(index):
    """Item ``index`` of :func:`test_distributed.items`, made slowly on the worker."""
    time.sleep(LOAD_SECONDS)
    return items()[index]


CLIENT_SCRIPT = textwrap.dedent("""
    import sys, warnings
    import pgmsim as pg
    from distributed import Client
    from test_distributed import FIT_SETTINGS, rate_model
    from test_scheduler_restart import load_slowly
    warnings.simplefilter("ignore")
    with Client({address!r}, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)
        pg.fit_many(rate_model(), load_slowly, n_items=10, executor=client,
                    store={store!r}, resume={resume!r}, **FIT_SETTINGS)
    print("finished")
""")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Processes started in groups of their own, all killed by :meth:`kill_all`."""

    def __init__(self, folder):
        self.folder = folder
        # the workers unpickle this module's loader: they import it from tests/
        tests = os.path.dirname(os.path.abspath(__file__))
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [tests, os.environ.get("PYTHONPATH", "")])}
        self.started = []

    def start(self, name, *args):
        log = open(self.folder / f"{name}.log", "w")
        process = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        log.close()
        self.started.append(process)
        return process

    def cluster(self, address, port, tag):
        """A scheduler at ``address`` and two workers (each with its nanny)."""
        dask = os.path.join(os.path.dirname(sys.executable), "dask")
        scheduler = self.start(f"scheduler{tag}", dask, "scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard")
        workers = [self.start(f"worker{tag}{k}", dask, "worker", address, "--nthreads", "1",
                              "--host", "127.0.0.1", "--no-dashboard")
                   for k in range(2)]
        return scheduler, workers

    def client(self, address, store, resume):
        script = CLIENT_SCRIPT.format(address=address, store=str(store), resume=resume)
        return self.start(f"client{int(resume)}", sys.executable, "-c", script)

    def log(self, name):
        return (self.folder / f"{name}.log").read_text()

    def kill_all(self):
        for process in self.started:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the nanny and its worker too
            except ProcessLookupError:
                pass
            process.wait()


def test_a_run_whose_scheduler_was_killed_is_resumed_on_a_new_one(serial_fits, tmp_path):
    path = tmp_path / "fits.h5"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    processes = Processes(tmp_path)
    try:
        scheduler, workers = processes.cluster(address, port, "a")
        client = processes.client(address, path, resume=False)
        stored = wait_for_stored(path, 2, client, timeout=120)
        os.kill(scheduler.pid, signal.SIGKILL)
        assert 2 <= stored < 10, (stored, processes.log("client0"))
        # the client ends, with an error that says how to go on; it does not hang
        assert client.wait(timeout=60) != 0
        said = processes.log("client0")
        assert "ConnectionError: the connection to the Dask scheduler was lost" in said, said
        assert "run the same call with resume=True" in said
        processes.cluster(address, port, "b")
        # a worker whose scheduler is gone closes, and its nanny with it
        assert [worker.wait(timeout=60) for worker in workers] == [0, 0]
        assert "scheduler-connection-broken" in processes.log("workera0")
        resumed = processes.client(address, path, resume=True)
        assert resumed.wait(timeout=120) == 0, processes.log("client1")
    finally:
        processes.kill_all()
    assert stored_tasks(path) == list(range(10))  # every task exactly once
    # the whole run, as the store holds it: nothing is fitted here
    fits = pg.fit_many(rate_model(), load_slowly, n_items=10, store=path, resume=True,
                       **FIT_SETTINGS)
    assert same_fits(serial_fits, fits)
    assert not any(worker.endswith(f":{os.getpid()}") for worker in fits["worker"])
    assert len(set(fits["worker"])) >= 2  # the workers before the restart, and after
    assert np.all(fits["converged"] == serial_fits["converged"])
