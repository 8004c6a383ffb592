"""Checkpoint and resume: crash safety (SIGKILL, SIGINT), determinism, refusals."""

import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest

import pgmsim as pg
from pgmsim.fit.backends import Checkpoint, CheckpointError, load_result, provenance
from pgmsim.cli import main

COUNTS = [3, 5, 4, 6, 2, 4, 7, 3]

# the child process of the crash tests builds exactly this model
MODEL_CODE = """
import pgmsim as pg
m = pg.Model("counts")
m.param("lam", pg.Gamma(2.0, 1.0))
m.param("eps", pg.Normal(0.0, 1.0))
m.data("N", pg.Poisson("lam"), plate="obs")
m.data("y", pg.Normal("eps", 0.5))
post = m.posterior(data={"N": %r, "y": 0.2})
""" % (COUNTS,)


def counts_posterior():
    scope = {}
    exec(MODEL_CODE, scope)
    return scope["post"]


def start_child(tmp_path, path, nsteps, every):
    """A run in a subprocess, slowed to at least 1 ms a step so that a signal sent
    after a few hundred steps always lands mid-run (the values are unchanged)."""
    script = tmp_path / "child.py"
    script.write_text(MODEL_CODE + textwrap.dedent(f"""
        import time
        from pgmsim.fit.backends import Checkpoint
        fast_log_prob = post.log_prob
        def slow_log_prob(theta):
            time.sleep(0.001)
            return fast_log_prob(theta)
        post.log_prob = slow_log_prob
        res = pg.sample(post, nwalkers=8, nsteps={nsteps}, seed=5, progress=False,
                        backend=Checkpoint({str(path)!r}, every={every}))
        print("steps", res.nsteps, flush=True)
        """))
    return subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_steps(path, at_least, child, timeout=60):
    """Poll the file that a running child writes until it holds enough steps."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert child.poll() is None, f"the run ended before the signal: {child.communicate()}"
        try:
            committed = load_result(path).nsteps
        except CheckpointError:  # not created yet, or read during a commit
            committed = 0
        if committed >= at_least:
            return committed
        time.sleep(0.01)
    child.kill()
    pytest.fail(f"{path} never reached {at_least} steps")


def test_same_seed_same_chain_with_and_without_a_resume(tmp_path):
    post = counts_posterior()
    plain = pg.sample(post, nwalkers=8, nsteps=300, seed=3, progress=False)
    stored = pg.sample(post, nwalkers=8, nsteps=300, seed=3, progress=False,
                       backend=tmp_path / "a.h5")
    assert np.array_equal(stored.chain, plain.chain)
    assert np.array_equal(stored.log_prob, plain.log_prob)
    # stop at 120 steps, then resume (a different seed is ignored on resume)
    pg.sample(post, nwalkers=8, nsteps=120, seed=3, progress=False,
              backend=Checkpoint(tmp_path / "b.h5", every=0))
    resumed = pg.sample(post, nwalkers=8, nsteps=300, seed=999, progress=False,
                        backend=tmp_path / "b.h5", resume=True)
    assert np.array_equal(resumed.chain, plain.chain)
    assert np.array_equal(resumed.log_prob, plain.log_prob)
    assert np.array_equal(resumed.acceptance_fraction, plain.acceptance_fraction)
    # the file holds the whole run, readable with emcee's own backend too
    import emcee

    assert np.array_equal(load_result(tmp_path / "b.h5").chain, plain.chain)
    assert np.array_equal(emcee.backends.HDFBackend(str(tmp_path / "b.h5"),
                                                    read_only=True).get_chain(), plain.chain)
    # resuming a finished run samples nothing and returns the stored chain
    again = pg.sample(post, nwalkers=8, nsteps=300, progress=False,
                      backend=tmp_path / "b.h5", resume=True)
    assert np.array_equal(again.chain, plain.chain)


def test_sigkill_mid_run_then_resume(tmp_path):
    path = tmp_path / "run.h5"
    nsteps = 3000
    child = start_child(tmp_path, path, nsteps, every=0.02)
    wait_for_steps(path, 200, child)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    assert child.returncode == -signal.SIGKILL
    before = load_result(path)
    assert 200 <= before.nsteps < nsteps, "the kill must land mid-run"
    post = counts_posterior()
    resumed = pg.sample(post, nwalkers=8, nsteps=nsteps, progress=False,
                        backend=path, resume=True)
    assert resumed.nsteps == nsteps
    # every step stored before the kill is in the resumed chain, unchanged ...
    assert np.array_equal(resumed.chain[:before.nsteps], before.chain)
    assert np.array_equal(resumed.log_prob[:before.nsteps], before.log_prob)
    # ... and the whole chain is bit for bit the one of an uninterrupted run
    plain = pg.sample(post, nwalkers=8, nsteps=nsteps, seed=5, progress=False)
    assert np.array_equal(resumed.chain, plain.chain)
    assert np.array_equal(load_result(path).chain, plain.chain)


def test_ctrl_c_keeps_the_steps_done_in_the_file(tmp_path):
    path = tmp_path / "run.h5"
    child = start_child(tmp_path, path, 20000, every=0.02)
    wait_for_steps(path, 300, child)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    kept = int(out.split()[-1])
    stored = load_result(path)
    assert 300 <= kept < 20000
    assert stored.nsteps == kept
    assert np.all(np.isfinite(stored.chain))


def test_keyboard_interrupt_commits_and_resume_is_exact(tmp_path):
    post = counts_posterior()
    plain = pg.sample(post, nwalkers=8, nsteps=200, seed=7, progress=False)
    original = post.log_prob
    calls = {"n": 0}

    def interrupted(theta):
        calls["n"] += 1
        # one call to place the walkers, one for their start, two per step
        if calls["n"] > 2 + 2 * 50:
            raise KeyboardInterrupt
        return original(theta)

    post.log_prob = interrupted
    # every=1e6: nothing is committed before the interruption
    res = pg.sample(post, nwalkers=8, nsteps=200, seed=7, progress=False,
                    backend=Checkpoint(tmp_path / "run.h5", every=1e6))
    assert res.nsteps == 50
    assert load_result(tmp_path / "run.h5").nsteps == 50
    post.log_prob = original
    resumed = pg.sample(post, nwalkers=8, nsteps=200, progress=False,
                        backend=tmp_path / "run.h5", resume=True)
    assert np.array_equal(resumed.chain, plain.chain)


def test_command_line_run_killed_then_resumed(tmp_path):
    out = tmp_path / "agn"
    nsteps = 10000  # several seconds: the first commit (after 1 s) lands mid-run
    child = subprocess.Popen(
        [sys.executable, "-m", "pgmsim.cli", "run", "xray_agn", "--out", str(out),
         "--nsteps", str(nsteps), "--nwalkers", "16", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_steps(out / "chain.h5", 1, child, timeout=120)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    before = load_result(out / "chain.h5")
    assert 1 <= before.nsteps < nsteps
    assert before.meta["model"] == "xray_agn"
    # a new run refuses to destroy the checkpoint
    with pytest.raises(SystemExit, match="pass --resume .* or --overwrite"):
        main(["run", "xray_agn", "--out", str(out), "--nsteps", str(nsteps),
              "--nwalkers", "16", "--no-progress"])
    assert load_result(out / "chain.h5").nsteps == before.nsteps
    assert main(["run", "xray_agn", "--out", str(out), "--nsteps", str(nsteps),
                 "--nwalkers", "16", "--no-progress", "--resume"]) == 0
    after = load_result(out / "chain.h5")
    assert after.nsteps == nsteps
    assert np.array_equal(after.chain[:before.nsteps], before.chain)
    assert (out / "corner.png").stat().st_size > 1000
    # resuming with another seed means other mock data: refused
    with pytest.raises(SystemExit, match="other data or fixed inputs"):
        main(["run", "xray_agn", "--out", str(out), "--nsteps", str(nsteps + 10),
              "--nwalkers", "16", "--no-progress", "--resume", "--seed", "1"])


def test_a_new_run_never_destroys_an_existing_file(tmp_path):
    post = counts_posterior()
    path = tmp_path / "run.h5"
    first = pg.sample(post, nwalkers=8, nsteps=30, seed=1, progress=False, backend=path)
    content = path.read_bytes()
    with pytest.raises(CheckpointError, match="already exists; pass resume=True"):
        pg.sample(post, nwalkers=8, nsteps=30, seed=2, progress=False, backend=path)
    assert path.read_bytes() == content
    second = pg.sample(post, nwalkers=8, nsteps=30, seed=2, progress=False,
                       backend=Checkpoint(path, overwrite=True))
    assert not np.array_equal(second.chain, first.chain)
    assert np.array_equal(load_result(path).chain, second.chain)
    with pytest.raises(CheckpointError, match="does not exist; start the run without resume"):
        pg.sample(post, nwalkers=8, nsteps=30, progress=False,
                  backend=tmp_path / "missing.h5", resume=True)
    with pytest.raises(ValueError, match="resume=True needs the backend file"):
        pg.sample(post, nwalkers=8, nsteps=30, progress=False, resume=True)


def _other_posteriors():
    """(description, posterior, expected message) for runs that must be refused."""
    def build(name="counts", lam_prior=pg.Gamma(2.0, 1.0), eps="eps", counts=COUNTS):
        m = pg.Model(name)
        m.param("lam", lam_prior)
        m.param(eps, pg.Normal(0.0, 1.0))
        m.data("N", pg.Poisson("lam"), plate="obs")
        m.data("y", pg.Normal(eps, 0.5))
        return m.posterior(data={"N": counts, "y": 0.2})

    return [
        ("model", build(name="other"), "holds a run of model 'counts', not 'other'"),
        ("params", build(eps="offset"), r"parameters \['lam', 'eps'\], but the posterior "
                                        r"has parameters \['lam', 'offset'\]"),
        ("prior", build(lam_prior=pg.Gamma(3.0, 1.0)), "other priors .* node\\(s\\) 'lam'"),
        ("data", build(counts=COUNTS[:-1] + [9]), "other data or fixed inputs"),
    ]


@pytest.mark.parametrize("what", ["model", "params", "prior", "data"])
def test_a_file_from_another_run_is_refused(tmp_path, what):
    path = tmp_path / "run.h5"
    pg.sample(counts_posterior(), nwalkers=8, nsteps=20, seed=1, progress=False, backend=path)
    content = path.read_bytes()
    _, post, message = {w: (w, p, m) for w, p, m in _other_posteriors()}[what]
    with pytest.raises(CheckpointError, match=message):
        pg.sample(post, nwalkers=8, nsteps=40, progress=False, backend=path, resume=True)
    assert path.read_bytes() == content


def test_other_walkers_are_refused(tmp_path):
    path = tmp_path / "run.h5"
    post = counts_posterior()
    pg.sample(post, nwalkers=8, nsteps=20, seed=1, progress=False, backend=path)
    with pytest.raises(CheckpointError, match="8 walkers; resume it with nwalkers=8, not 10"):
        pg.sample(post, nwalkers=10, nsteps=40, progress=False, backend=path, resume=True)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "foreign hdf5",
                                    "bad commit"])
def test_a_corrupt_file_is_reported_and_left_alone(tmp_path, damage):
    path = tmp_path / "run.h5"
    post = counts_posterior()
    pg.sample(post, nwalkers=8, nsteps=200, seed=1, progress=False, backend=path)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(np.random.default_rng(0).bytes(5000))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "foreign hdf5":
        path.unlink()
        with h5py.File(path, "w") as f:
            f["x"] = np.arange(3)
    else:
        with h5py.File(path, "a") as f:
            f["mcmc"].attrs["pgmsim_commit"] = np.array([10**6, 0])
    content = path.read_bytes()
    message = "not a pgmsim checkpoint" if damage == "foreign hdf5" else "corrupt or truncated"
    with pytest.raises(CheckpointError, match=f"'{path}' .*{message}") as info:
        pg.sample(post, nwalkers=8, nsteps=300, progress=False, backend=path, resume=True)
    assert info.value.filename == str(path)
    assert path.read_bytes() == content
    # a new run does not silently replace it either
    with pytest.raises(CheckpointError, match="already exists"):
        pg.sample(post, nwalkers=8, nsteps=300, progress=False, backend=path)


def test_provenance_and_options():
    post = counts_posterior()
    info = provenance(post, 8)
    assert info["param_names"] == ["lam", "eps"]
    assert info["distributions"]["lam"] == "Gamma(2.0, 1.0)"
    assert info["data_sha256"] != provenance(_other_posteriors()[3][1], 8)["data_sha256"]
    with pytest.raises(ValueError, match="every must be a non-negative"):
        Checkpoint("x.h5", every=-1)


def test_a_reader_does_not_disturb_the_run(tmp_path):
    """Another process holds the file open for reading (with HDF5 file locking)
    while the run commits to it."""
    path = tmp_path / "run.h5"
    post = counts_posterior()
    pg.sample(post, nwalkers=8, nsteps=50, seed=1, progress=False,
              backend=Checkpoint(path, every=0))
    reader = subprocess.Popen(
        [sys.executable, "-c", "import h5py, sys, time\n"
         f"f = h5py.File({str(path)!r}, 'r')\nprint('open', flush=True)\n"
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        res = pg.sample(post, nwalkers=8, nsteps=100, progress=False,
                        backend=Checkpoint(path, every=0), resume=True)
    finally:
        reader.communicate("")
    assert res.nsteps == 100 and load_result(path).nsteps == 100


def test_a_run_on_threads_resumes_on_one_thread_bit_for_bit(tmp_path):
    from pgmsim.models import xray_agn

    m = xray_agn.build()
    inputs = xray_agn.default_inputs(seed=0)
    sim = m.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=0)
    post = m.posterior(data={"N": sim["N"]}, inputs=inputs)
    plain = pg.sample(post, nwalkers=32, nsteps=80, seed=3, initial=xray_agn.TRUTH,
                      progress=False)
    pg.sample(post, nwalkers=32, nsteps=40, seed=3, initial=xray_agn.TRUTH, progress=False,
              parallel=2, backend=tmp_path / "run.h5")
    resumed = pg.sample(post, nwalkers=32, nsteps=80, progress=False,
                        backend=tmp_path / "run.h5", resume=True)
    assert np.array_equal(resumed.chain, plain.chain)


def test_a_run_that_fails_to_start_leaves_no_file(tmp_path):
    post = counts_posterior()
    path = tmp_path / "run.h5"
    with pytest.raises(ValueError, match="zero posterior density"):
        pg.sample(post, nwalkers=8, nsteps=30, progress=False, backend=path,
                  initial={"lam": -1.0, "eps": 0.0})
    assert not path.exists()
    res = pg.sample(post, nwalkers=8, nsteps=30, seed=1, progress=False, backend=path)
    assert load_result(path).nsteps == res.nsteps == 30


def test_the_committed_random_state_is_an_mt19937_state(tmp_path):
    """What a resume restores (that it is the right one, the resume tests show)."""
    post = counts_posterior()
    res = pg.sample(post, nwalkers=8, nsteps=25, seed=4, progress=False,
                    backend=tmp_path / "run.h5")
    assert isinstance(load_result(tmp_path / "run.h5"), pg.SamplingResult)
    store = Checkpoint(tmp_path / "run.h5")
    store.open(post, nwalkers=8, nsteps=25, resume=True)
    name, keys, pos, has_gauss, gauss = store.random_state
    assert name == "MT19937" and keys.dtype == np.uint32 and keys.shape == (624,)
    assert 0 <= pos <= 624 and has_gauss in (0, 1)
    np.random.RandomState().set_state(store.random_state)      # a valid state
    assert store.iteration == res.nsteps == 25
    assert np.array_equal(store.chain, res.chain)
