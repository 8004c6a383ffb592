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
        import signal, time
        # a suite started in the background by a shell ignores SIGINT (POSIX),
        # and so would this child: Ctrl-C as in a terminal
        signal.signal(signal.SIGINT, signal.default_int_handler)
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


# ----------------------------------------------------------------------
# a resume from zero committed steps, checksums, code provenance, one writer,
# no stray files

def test_a_resume_from_zero_committed_steps_is_the_seeded_run(tmp_path):
    """A run stopped before its first commit leaves a file with no steps; the
    resume starts from the walkers and random state stored when the file was
    made, so it is the seeded run, bit for bit."""
    post = counts_posterior()
    start = {"lam": 4.0, "eps": 0.2}
    plain = pg.sample(post, nwalkers=8, nsteps=60, seed=3, initial=start, progress=False)
    original = post.log_prob
    calls = {"n": 0}

    def interrupted(theta):
        calls["n"] += 1
        # one call to place the walkers, one for their start: the first step stops
        if calls["n"] > 2:
            raise KeyboardInterrupt
        return original(theta)

    post.log_prob = interrupted
    path = tmp_path / "run.h5"
    with pytest.raises(KeyboardInterrupt):
        pg.sample(post, nwalkers=8, nsteps=60, seed=3, initial=start, progress=False,
                  backend=Checkpoint(path, every=1e6))
    post.log_prob = original
    assert load_result(path).nsteps == 0
    # neither seed nor initial: both come from the file
    resumed = pg.sample(post, nwalkers=8, nsteps=60, progress=False, backend=path,
                        resume=True)
    assert np.array_equal(resumed.chain, plain.chain)
    assert np.array_equal(resumed.log_prob, plain.log_prob)
    assert np.array_equal(resumed.acceptance_fraction, plain.acceptance_fraction)
    assert np.array_equal(load_result(path).chain, plain.chain)


def test_command_line_resume_from_zero_steps_is_the_seeded_run(tmp_path, monkeypatch):
    """``pgmsim run NAME --resume`` after a run stopped before its first commit
    starts where the run started (near the MAP), not from the prior."""
    import emcee

    argv = ["run", "xray_agn", "--nsteps", "30", "--nwalkers", "16", "--no-progress"]
    assert main([*argv, "--out", str(tmp_path / "plain")]) == 0
    plain = load_result(tmp_path / "plain" / "chain.h5")

    def stopped(sampler, *args, **kwargs):
        raise KeyboardInterrupt  # before the first step: nothing committed

    with monkeypatch.context() as patch:
        patch.setattr(emcee.EnsembleSampler, "run_mcmc", stopped)
        with pytest.raises(KeyboardInterrupt):
            main([*argv, "--out", str(tmp_path / "stopped")])
    assert load_result(tmp_path / "stopped" / "chain.h5").nsteps == 0
    assert main([*argv, "--out", str(tmp_path / "stopped"), "--resume"]) == 0
    resumed = load_result(tmp_path / "stopped" / "chain.h5")
    assert np.array_equal(resumed.chain, plain.chain)
    assert np.array_equal(resumed.log_prob, plain.log_prob)


def test_a_file_without_steps_or_start_cannot_be_resumed(tmp_path):
    """A file made by emcee directly (no start recorded) holds nothing to resume."""
    path = tmp_path / "run.h5"
    store = Checkpoint(path)
    store.reset(nwalkers=8, ndim=2, capacity=10)
    store.close()
    with pytest.raises(CheckpointError, match=f"'{path}' holds no committed steps and no "
                                              "start walkers"):
        pg.sample(counts_posterior(), nwalkers=8, nsteps=10, progress=False, backend=path,
                  resume=True)


def flip_one_bit(path, dataset, index):
    """Flip the lowest bit of one stored value (of the committed slot for the
    two-slot datasets), as a bad sector or a faulty copy would."""
    with h5py.File(path, "r+") as f:
        g = f["mcmc"]
        values = g[dataset][...]
        row = values[int(g.attrs["pgmsim_commit"][1])] if dataset.startswith(
            ("pgmsim_accepted", "pgmsim_rng")) else values
        flat = row.reshape(-1)
        flat.view(np.uint8)[flat.itemsize * min(index, flat.size - 1)] ^= 1
        g[dataset][...] = values


@pytest.mark.parametrize("dataset, what", [
    ("chain", "walker positions"), ("log_prob", "log-posterior values"),
    ("pgmsim_accepted", "acceptance counts"), ("pgmsim_rng_keys", "random state"),
    ("pgmsim_rng_state", "random state"), ("pgmsim_start", "start walkers")])
def test_a_flipped_bit_is_refused_on_load_and_on_resume(tmp_path, dataset, what):
    post = counts_posterior()
    path = tmp_path / "run.h5"
    pg.sample(post, nwalkers=8, nsteps=40, seed=1, progress=False, backend=path)
    flip_one_bit(path, dataset, index=5)
    content = path.read_bytes()
    message = f"'{path}' is corrupt .*SHA-256 checksum .*{what}"
    with pytest.raises(CheckpointError, match=message) as info:
        load_result(path)
    assert info.value.filename == str(path)
    with pytest.raises(CheckpointError, match=message):
        pg.sample(post, nwalkers=8, nsteps=80, progress=False, backend=path, resume=True)
    assert path.read_bytes() == content


def counts_with_rate(rate_func, lam_prior=None):
    m = pg.Model("counts")
    m.param("lam", lam_prior or pg.Gamma(2.0, 1.0))
    m.deterministic("rate", rate_func)
    m.data("N", pg.Poisson("rate"), plate="obs")
    return m.posterior(data={"N": COUNTS})


def test_a_changed_function_is_refused_on_resume(tmp_path):
    path = tmp_path / "run.h5"
    pg.sample(counts_with_rate(lambda lam: 2.0 * lam), nwalkers=8, nsteps=20, seed=1,
              progress=False, backend=path)
    content = path.read_bytes()
    # same names, priors and data; another function
    changed = counts_with_rate(lambda lam: 2.5 * lam)
    with pytest.raises(CheckpointError, match=f"'{path}' was made with other code for "
                                              "node\\(s\\) 'rate'"):
        pg.sample(changed, nwalkers=8, nsteps=40, progress=False, backend=path, resume=True)
    with pytest.raises(CheckpointError, match="other code for node\\(s\\) 'rate'"):
        load_result(path, posterior=changed)
    assert path.read_bytes() == content
    same = pg.sample(counts_with_rate(lambda lam: 2.0 * lam), nwalkers=8, nsteps=40,
                     progress=False, backend=path, resume=True)
    assert same.nsteps == 40


def _user_gamma(body):
    """A user-written Distribution subclass whose density is ``body``."""
    scope = {}
    exec(textwrap.dedent(f"""
        import numpy as np
        from pgmsim.distributions import Distribution
        class MyGamma(Distribution):
            arg_names = ("a", "b")
            latex_name = "G"
            def _logpdf(self, x, a, b):
                return {body}
            def _sample(self, rng, size, a, b):
                return rng.gamma(a, 1 / b, size)
            def _support(self, a, b):
                return (0.0, np.inf)
        """), scope)
    return scope["MyGamma"]


def test_a_changed_user_distribution_is_refused_on_resume(tmp_path):
    path = tmp_path / "run.h5"
    one = _user_gamma("(a - 1) * np.log(x) - b * x")
    other = _user_gamma("(a - 1) * np.log(x) - b * x + 0.0")
    pg.sample(counts_with_rate(lambda lam: lam, one(2.0, 1.0)), nwalkers=8, nsteps=20,
              seed=1, progress=False, backend=path)
    with pytest.raises(CheckpointError, match="other code for node\\(s\\) 'lam'"):
        pg.sample(counts_with_rate(lambda lam: lam, other(2.0, 1.0)), nwalkers=8,
                  nsteps=40, progress=False, backend=path, resume=True)


FINGERPRINT_SCRIPT = '''
import doctest, json, sys
import pgmsim as pg
from pgmsim.fit.backends import provenance

m = pg.Model("counts")
m.param("lam", pg.Gamma(2.0, 1.0))
m.deterministic("r1", lambda lam: 2 * lam); m.deterministic("r2", lambda lam: %s * lam)
scope = {}
exec(compile("def typed(lam):\\n    return lam + {1, 2}.pop()\\n", "<stdin>", "exec"), scope)
m.deterministic("r3", scope["typed"])
for name, parent in zip("NMK", ["r1", "r2", "r3"]):
    m.data(name, pg.Poisson(parent), plate="obs")
# the last node is declared, and the provenance computed, inside a doctest
fingerprints = {}
example = doctest.DocTestParser().get_doctest("""
>>> def from_doctest(lam):
...     return lam * 3
>>> _ = m.deterministic("r4", from_doctest)
>>> _ = m.data("L", pg.Poisson("r4"), plate="obs")
>>> post = m.posterior(data={k: [3, 4] for k in "NMKL"})
>>> fingerprints.update(provenance(post, 8)["code_sha256"])
""", {"m": m, "pg": pg, "provenance": provenance, "fingerprints": fingerprints},
    "example", None, 0)
runner = doctest.DocTestRunner()
runner.run(example)
assert runner.failures == 0
print(json.dumps(fingerprints))
'''


def _fingerprints(tmp_path, factor, hash_seed):
    import json, os

    script = tmp_path / f"fingerprints_{factor}.py"
    script.write_text(FINGERPRINT_SCRIPT % factor)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": str(hash_seed)}, check=True)
    return json.loads(out.stdout)


def test_code_fingerprints_are_stable_across_processes_and_name_the_node(tmp_path):
    """Lambdas sharing a line, a function without source (as typed in a REPL) and
    a function defined in a doctest hash the same in two processes; changing one
    lambda of the line changes its node's fingerprint only."""
    first = _fingerprints(tmp_path, 3, hash_seed=1)
    assert sorted(first) == ["r1", "r2", "r3", "r4"]
    assert len(set(first.values())) == 4
    assert _fingerprints(tmp_path, 3, hash_seed=2) == first
    changed = _fingerprints(tmp_path, 4, hash_seed=3)
    assert changed["r2"] != first["r2"]
    assert {k: changed[k] for k in ("r1", "r3", "r4")} == {k: first[k] for k in ("r1", "r3", "r4")}


def test_one_writer_at_a_time_readers_are_free(tmp_path):
    import os

    post = counts_posterior()
    path = tmp_path / "run.h5"
    pg.sample(post, nwalkers=8, nsteps=20, seed=1, progress=False, backend=path)
    writer = Checkpoint(path)
    writer.open(post, nwalkers=8, nsteps=40, resume=True)  # holds the file
    content = path.read_bytes()
    held = f"'{path}' is being written by another run"
    attempts = [(path, True), (Checkpoint(path, overwrite=True), False), (path, False)]
    for backend, resume in attempts:
        started = time.monotonic()
        with pytest.raises(CheckpointError, match=held) as info:
            pg.sample(post, nwalkers=8, nsteps=40, seed=2, progress=False, backend=backend,
                      resume=resume)
        assert time.monotonic() - started < 1.0, "refused at once, not after waiting"
        assert info.value.filename == str(path)
    assert path.read_bytes() == content
    assert load_result(path).nsteps == 20  # a reader is not blocked
    writer.close()
    assert sorted(os.listdir(tmp_path)) == ["run.h5"]
    assert pg.sample(post, nwalkers=8, nsteps=40, progress=False, backend=path,
                     resume=True).nsteps == 40
    # creating a new file: the first writer holds the name before the file exists
    fresh = tmp_path / "new.h5"
    creator = Checkpoint(fresh)
    creator.open(post, nwalkers=8, nsteps=20)
    with pytest.raises(CheckpointError, match=f"'{fresh}' is being written by another run"):
        pg.sample(post, nwalkers=8, nsteps=20, seed=1, progress=False, backend=fresh)
    creator.close()
    assert sorted(os.listdir(tmp_path)) == ["run.h5"]


@pytest.mark.parametrize("failure", ["exception", "ctrl-c", "bad capacity", "no walkers",
                                     "refused second writer"])
def test_no_stray_files_on_any_failure(tmp_path, monkeypatch, failure):
    import os

    post = counts_posterior()
    path = tmp_path / "run.h5"
    if failure in ("exception", "ctrl-c"):
        error = OSError("disk full") if failure == "exception" else KeyboardInterrupt()
        create = h5py.Group.create_dataset

        def failing(group, name, *args, **kwargs):
            if name == "log_prob":  # the temporary file exists, half written
                assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
                raise error
            return create(group, name, *args, **kwargs)

        monkeypatch.setattr(h5py.Group, "create_dataset", failing)
        with pytest.raises(type(error)):
            pg.sample(post, nwalkers=8, nsteps=20, seed=1, progress=False, backend=path)
    elif failure == "bad capacity":
        with pytest.raises(ValueError):
            Checkpoint(path).reset(nwalkers=8, ndim=2, capacity=-1)
    elif failure == "no walkers":
        with pytest.raises(ValueError, match="zero posterior density"):
            pg.sample(post, nwalkers=8, nsteps=20, progress=False, backend=path,
                      initial={"lam": -1.0, "eps": 0.0})
    else:
        writer = Checkpoint(path)
        writer.open(post, nwalkers=8, nsteps=20)
        with pytest.raises(CheckpointError, match="being written by another run"):
            pg.sample(post, nwalkers=8, nsteps=20, seed=1, progress=False,
                      backend=Checkpoint(path, overwrite=True))
        writer.close()
    assert os.listdir(tmp_path) == []


def test_a_temporary_file_left_by_a_killed_run_is_removed(tmp_path):
    import os

    post = counts_posterior()
    path = tmp_path / "run.h5"
    (tmp_path / "run.h5.4242.tmp").write_bytes(b"half an HDF5 file")
    (tmp_path / "run.h5.lock").write_bytes(b"")  # unlocked: its process is gone
    (tmp_path / "other.h5.4242.tmp").write_bytes(b"not ours")
    pg.sample(post, nwalkers=8, nsteps=20, seed=1, progress=False, backend=path)
    assert sorted(os.listdir(tmp_path)) == ["other.h5.4242.tmp", "run.h5"]


def test_creation_without_hard_links_still_refuses_an_existing_file(tmp_path, monkeypatch):
    """On a file system without hard links the file is renamed into place; the
    lock keeps the creation exclusive."""
    import os

    def no_links(src, dst, *args, **kwargs):
        raise PermissionError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    post = counts_posterior()
    path = tmp_path / "run.h5"
    res = pg.sample(post, nwalkers=8, nsteps=20, seed=1, progress=False, backend=path)
    assert np.array_equal(load_result(path).chain, res.chain)
    store = Checkpoint(path)
    with pytest.raises(CheckpointError, match="already exists"):
        store.reset(nwalkers=8, ndim=2, capacity=10)
    assert sorted(os.listdir(tmp_path)) == ["run.h5"]


def test_code_fingerprints_see_closures_defaults_and_numpy_functions():
    import functools
    from pgmsim.fit._code_fingerprint import code_fingerprint

    def scaled(k):
        return lambda x: k * x

    assert code_fingerprint(scaled(2.0)) == code_fingerprint(scaled(2.0))
    assert code_fingerprint(scaled(2.0)) != code_fingerprint(scaled(3.0))

    def shifted(x, by=1.0):
        return x + by

    other = functools.partial(shifted, by=2.0)
    assert code_fingerprint(other) != code_fingerprint(functools.partial(shifted, by=3.0))
    assert len({code_fingerprint(f) for f in (np.sum, np.mean, np.exp, np.log)}) == 4


def test_a_new_file_in_a_new_folder(tmp_path):
    path = tmp_path / "runs" / "today" / "run.h5"
    res = pg.sample(counts_posterior(), nwalkers=8, nsteps=10, seed=1, progress=False,
                    backend=path)
    assert np.array_equal(load_result(path).chain, res.chain)
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.h5"]
