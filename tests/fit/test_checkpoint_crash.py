"""Crash tests of checkpointed runs: SIGKILL at twenty moments, then resume; two
writers of one file.

The runs are forked from one helper process that has imported pgmsim once, so
that twenty kills cost seconds, not twenty interpreter starts. Each run sleeps
1 ms per log-posterior call (values unchanged) so that its lifetime, about a
second, is long against the timing of a kill.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.fit.backends import Checkpoint, CheckpointError, load_result

NSTEPS = 300
SEED = 5

MODEL_CODE = """
import pgmsim as pg
m = pg.Model("counts")
m.param("lam", pg.Gamma(2.0, 1.0))
m.param("eps", pg.Normal(0.0, 1.0))
m.data("N", pg.Poisson("lam"), plate="obs")
m.data("y", pg.Normal("eps", 0.5))
post = m.posterior(data={"N": [3, 5, 4, 6, 2, 4, 7, 3], "y": 0.2})
"""

# reads commands on stdin, forks one run per command, answers one JSON line each
HELPER = MODEL_CODE + textwrap.dedent("""
    import glob, json, os, signal, sys, time
    import h5py
    from pgmsim.fit.backends import Checkpoint, CheckpointError

    fast_log_prob = post.log_prob
    def slow_log_prob(theta):
        time.sleep(0.001)
        return fast_log_prob(theta)
    post.log_prob = slow_log_prob

    def run(path, every, nsteps, seed, pause_while_creating):
        if pause_while_creating:  # hold the half-written temporary file open
            create = h5py.Group.create_dataset
            def slow_create(group, name, *args, **kwargs):
                if name == "log_prob":
                    time.sleep(30)
                return create(group, name, *args, **kwargs)
            h5py.Group.create_dataset = slow_create
        pg.sample(post, nwalkers=8, nsteps=nsteps, seed=seed, progress=False,
                  backend=Checkpoint(path, every=every))

    def fork(path, every, nsteps, seed, pause=False):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run(path, every, nsteps, seed, pause)
            except CheckpointError as err:
                code = 3 if path in str(err) else 4
            except BaseException:
                code = 5
            os._exit(code)
        return pid

    print("ready", flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        path = command["path"]
        if command["what"] == "kill":
            temporaries = path + ".*.tmp"
            pid = fork(path, command["every"], command["nsteps"], command["seed"],
                       command["while_creating"])
            if command["while_creating"]:
                deadline = time.monotonic() + 20
                while not glob.glob(temporaries) and time.monotonic() < deadline:
                    time.sleep(0.001)
            else:
                time.sleep(command["delay"])
            had_temporary = bool(glob.glob(temporaries))
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            print(json.dumps({"killed": os.WIFSIGNALED(status),
                              "temporary": had_temporary}), flush=True)
        else:  # two runs creating the same new file at once
            started = time.monotonic()
            pids = [fork(path, 0.05, command["nsteps"], seed) for seed in command["seeds"]]
            codes, seconds = {}, {}
            while len(codes) < len(pids):
                for k, pid in enumerate(pids):
                    if k not in codes:
                        done, status = os.waitpid(pid, os.WNOHANG)
                        if done:
                            seconds[k] = time.monotonic() - started
                            codes[k] = os.WEXITSTATUS(status)
                time.sleep(0.005)
            print(json.dumps({"seconds": [seconds[k] for k in range(len(pids))],
                              "codes": [codes[k] for k in range(len(pids))]}), flush=True)
""")


def counts_posterior():
    scope = {}
    exec(MODEL_CODE, scope)
    return scope["post"]


@pytest.fixture(scope="module")
def helper(tmp_path_factory):
    script = tmp_path_factory.mktemp("helper") / "helper.py"
    script.write_text(HELPER)
    # one thread per process: forking a process that holds thread pools is unsafe
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout.readline().strip() == "ready"

    def ask(**command):
        process.stdin.write(json.dumps(command) + "\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    yield ask
    process.stdin.close()
    process.wait(timeout=30)
    process.stdout.close()


def kill_moments():
    """Twenty (delay in s, commit interval in s, kill while creating the file)."""
    rng = np.random.default_rng(20240610)
    moments = [(0.0, 0.0, False), (0.0, 0.0, False)]       # before the file exists
    moments.append((0.0, 0.0, True))                         # half-written temporary file
    # commits only at the end: a kill mid-run leaves a file with zero steps
    moments += [(float(d), 1e6, False) for d in rng.uniform(0.05, 0.5, size=3)]
    moments += [(float(d), 0.0, False) for d in rng.uniform(0.0, 0.01, size=2)]  # early
    moments += [(float(d), 0.0, False) for d in rng.uniform(0.01, 1.0, size=12)]
    assert len(moments) == 20
    return moments


def test_sigkill_at_twenty_moments_then_resume(tmp_path, helper):
    """After each kill: if the file exists, the run is resumed from it (neither
    seed nor initial given: everything comes from the file); if it does not
    (killed before it was published), the run is started again with its seed.
    Either way the chain, log-posterior values and acceptance fractions must be
    bit for bit those of the uninterrupted seeded run, and the folder must hold
    the checkpoint only (no temporary file, no lock file)."""
    post = counts_posterior()
    plain = pg.sample(post, nwalkers=8, nsteps=NSTEPS, seed=SEED, progress=False)
    seen = {"no file": 0, "temporary file": 0, "zero steps": 0, "mid-run": 0}
    for k, (delay, every, while_creating) in enumerate(kill_moments()):
        folder = tmp_path / f"kill{k}"
        folder.mkdir()
        path = folder / "run.h5"
        report = helper(what="kill", path=str(path), delay=delay, every=every,
                        nsteps=NSTEPS, seed=SEED, while_creating=while_creating)
        seen["temporary file"] += report["temporary"]
        if path.exists():
            before = load_result(path)
            assert report["killed"] or before.nsteps == NSTEPS
            seen["zero steps"] += before.nsteps == 0
            seen["mid-run"] += 0 < before.nsteps < NSTEPS
            resumed = pg.sample(post, nwalkers=8, nsteps=NSTEPS, progress=False,
                                backend=path, resume=True)
            assert np.array_equal(resumed.chain[:before.nsteps], before.chain)
        else:
            assert report["killed"]
            seen["no file"] += 1
            resumed = pg.sample(post, nwalkers=8, nsteps=NSTEPS, seed=SEED, progress=False,
                                backend=path)
        assert np.array_equal(resumed.chain, plain.chain), f"kill {k} at {delay:.3f} s"
        assert np.array_equal(resumed.log_prob, plain.log_prob)
        assert np.array_equal(resumed.acceptance_fraction, plain.acceptance_fraction)
        assert np.array_equal(load_result(path).chain, plain.chain)
        assert os.listdir(folder) == ["run.h5"], f"kill {k}: stray files"
    # the moments that matter were all hit
    assert seen["no file"] >= 2 and seen["temporary file"] >= 1, seen
    assert seen["zero steps"] >= 3 and seen["mid-run"] >= 5, seen


def test_a_second_writer_is_refused_at_once(tmp_path, helper):
    """Two runs create the same new file at the same moment: one writes it, the
    other is refused within a fraction of the first's run time, and the file
    holds one run entirely. Then, while a run writes the file, a resume and an
    overwrite by another process are refused too."""
    post = counts_posterior()
    nsteps = 1000  # about 2.5 s a run in the helper
    path = tmp_path / "run.h5"
    report = helper(what="race", path=str(path), nsteps=nsteps, seeds=[11, 12])
    # exit codes: 0 the run finished, 3 a CheckpointError naming the file
    assert sorted(report["codes"]) == [0, 3], report
    refused, winner = (report["seconds"][report["codes"].index(c)] for c in (3, 0))
    assert refused < 0.3 * winner, report                   # refused at once
    stored = load_result(path).chain
    runs = [pg.sample(post, nwalkers=8, nsteps=nsteps, seed=s, progress=False).chain
            for s in (11, 12)]
    assert sum(np.array_equal(stored, run) for run in runs) == 1, "never a mix"
    assert os.listdir(tmp_path) == ["run.h5"]

    # a writer in another process, and this process trying to write the same file
    script = tmp_path / "writer.py"
    script.write_text(MODEL_CODE + textwrap.dedent(f"""
        import sys, time
        fast = post.log_prob
        post.log_prob = lambda theta: (time.sleep(0.001), fast(theta))[1]
        pg.sample(post, nwalkers=8, nsteps=20000, seed=1, progress=False,
                  backend={str(tmp_path / 'busy.h5')!r})
        """))
    writer = subprocess.Popen([sys.executable, str(script)])
    busy = tmp_path / "busy.h5"
    try:
        deadline = time.monotonic() + 60
        while not busy.exists() and time.monotonic() < deadline:
            assert writer.poll() is None
            time.sleep(0.01)
        for resume, overwrite in [(True, False), (False, True)]:
            started = time.monotonic()
            with pytest.raises(CheckpointError,
                               match=f"'{busy}' is being written by another run"):
                pg.sample(post, nwalkers=8, nsteps=20000, seed=2, progress=False,
                          backend=Checkpoint(busy, overwrite=overwrite),
                          resume=resume)
            assert time.monotonic() - started < 1.0
        assert writer.poll() is None, "the first writer runs on undisturbed"
    finally:
        writer.kill()
        writer.wait()
    assert load_result(busy).meta["model"] == "counts"
