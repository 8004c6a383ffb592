"""Checkpoints: an emcee run stored in an HDF5 file as it grows, and resumed.

A :class:`Checkpoint` is an emcee backend. It keeps the chain in memory, as
emcee's default backend does, and commits the new steps to an HDF5 file at
most every ``every`` seconds, at the end of the run, and when the run is
interrupted (Ctrl-C or an exception). Opening and closing an HDF5 file costs
milliseconds, as much as a step of a small model, so committing every step
would multiply the run time; committing every second costs well under one
percent.

What the file holds
-------------------
Group ``mcmc`` (the layout of :class:`emcee.backends.HDFBackend`): datasets
``chain`` ``(capacity, nwalkers, ndim)`` and ``log_prob`` ``(capacity,
nwalkers)``, attributes ``nwalkers``, ``ndim``, ``iteration``. pgmsim adds the
provenance of the run (model name, parameter names, the priors and sampling
distributions, a SHA-256 fingerprint of the data and fixed inputs, the
number of walkers) and, in two alternating slots, the walkers' acceptance
counts and the state of emcee's random generator after the last committed
step.

Crash safety
------------
A commit writes the new rows and the spare slot, flushes the file, and only
then overwrites one small attribute, ``pgmsim_commit = [iteration, slot]``,
in place. A process killed at any moment (``SIGKILL``, power cut excepted:
the file is flushed to the operating system, not synced to disk) therefore
leaves a file whose committed steps, acceptance counts and random state are
mutually consistent, and a resumed run continues exactly where the committed
steps end. The file is created under a temporary name and renamed, so a run
killed while creating it leaves no half-made checkpoint. The writer opens the
file without HDF5 file locking, so that a reader (``h5ls``,
:func:`load_result`) never blocks or crashes the run.

Determinism
-----------
emcee draws from a legacy :class:`numpy.random.RandomState`; its full state
after the last committed step is restored on resume, and the stored walker
positions and log-posterior values are bit-for-bit those of the run. So a run
resumed from a checkpoint gives the same chain, bit for bit, as the same run
made in one go (tested, also across a ``SIGKILL``), provided that the
log-posterior of each walker is itself deterministic. What is true of the
pieces:

- emcee's ``vectorize=True`` path, which :func:`pgmsim.sample` uses, calls the
  log-posterior once per half-ensemble, in a fixed order: deterministic.
  emcee's own ``pool`` argument is not used on that path.
- ``pgmsim.sample(parallel=n)`` splits each batch of walkers over threads;
  the Poisson and Normal log-likelihoods are row sums, so a walker's value
  does not depend on which batch it is in, and the chain is the same as on
  one thread (a run started with threads can be resumed without them).
- What breaks it: another number of walkers (refused on resume) or other
  ``moves`` (not detectable, the chain then differs); another machine, numpy
  or BLAS build (``exp`` and ``log`` may differ in the last bit); a
  user-written deterministic node that mixes walkers, e.g. a matrix product
  over the batch, whose BLAS kernel groups rows differently for different
  batch sizes; a posterior whose data or priors changed (refused).
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import time

import h5py
import numpy as np
from emcee.backends import Backend

from .results import SamplingResult

__all__ = ["Checkpoint", "CheckpointError", "provenance", "load_result"]

#: HDF5 group holding the run (emcee's default)
GROUP = "mcmc"
_COMMIT = "pgmsim_commit"


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: corrupt, or from another run.

    Parameters
    ----------
    message : str
        What is wrong, naming the file.
    filename : str or pathlib.Path
        The file at fault.

    Attributes
    ----------
    filename : str
        The file at fault.

    Examples
    --------
    >>> err = CheckpointError("checkpoint file 'run.h5' is corrupt", "run.h5")
    >>> isinstance(err, ValueError), err.filename
    (True, 'run.h5')
    """

    def __init__(self, message, filename):
        super().__init__(message)
        self.filename = str(filename)


def _sha256_arrays(arrays):
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name], dtype=np.float64)
        digest.update(f"{name}:{value.shape}:".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def provenance(post, nwalkers):
    """What identifies a run: the model, its parameters, data and inputs.

    Parameters
    ----------
    post : Posterior
        The density being sampled.
    nwalkers : int
        Number of walkers.

    Returns
    -------
    dict
        ``model`` (name), ``param_names`` (list), ``distributions`` (the
        prior or sampling distribution of every stochastic node, as text),
        ``data_sha256`` (SHA-256 of the data and fixed inputs, as float64),
        ``nwalkers`` and ``ndim``.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> info = provenance(m.posterior(data={"N": [3, 5, 4]}), nwalkers=8)
    >>> info["model"], info["param_names"], len(info["data_sha256"])
    ('counts', ['lam'], 64)
    """
    model = post.model
    distributions = {
        name: repr(model.node(name).distribution)
        for name in model.order
        if model.node(name).distribution is not None
    }
    return {
        "model": str(model.name),
        "param_names": list(post.param_names),
        "distributions": distributions,
        "data_sha256": _sha256_arrays({**post.data, **post.inputs}),
        "nwalkers": int(nwalkers),
        "ndim": int(post.ndim),
    }


def _random_state_rows(state):
    """emcee's RandomState tuple (always an MT19937 state) as (keys uint32[624],
    [pos, has_gauss, gauss])."""
    _, keys, pos, has_gauss, gauss = state
    return np.asarray(keys, dtype=np.uint32), np.array([pos, has_gauss, gauss], float)


class Checkpoint(Backend):
    """An emcee backend that commits the chain to an HDF5 file as it grows.

    Pass it, or simply a file name, as ``backend`` to :func:`pgmsim.sample`.

    Parameters
    ----------
    filename : str or pathlib.Path
        The HDF5 file.
    overwrite : bool
        Allow a new run to replace an existing file. Without it, starting a
        new run on an existing file raises :class:`CheckpointError`.
    every : float
        Commit the new steps at most every ``every`` seconds (and always at
        the end of the run and on interruption); ``0`` commits every step.

    Attributes
    ----------
    filename : pathlib.Path
    committed : int
        Number of steps stored in the file.
    info : dict
        The run's provenance (see :func:`provenance`).

    Raises
    ------
    ValueError
        If ``every`` is negative.

    Examples
    --------
    >>> import pgmsim as pg, tempfile, pathlib
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> post = m.posterior(data={"N": [3, 5, 4]})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.h5"
    >>> res = pg.sample(post, nwalkers=8, nsteps=50, seed=1, progress=False,
    ...                 backend=path)
    >>> more = pg.sample(post, nwalkers=8, nsteps=80, seed=1, progress=False,
    ...                  backend=path, resume=True)
    >>> more.nsteps, bool((more.chain[:50] == res.chain).all())
    (80, True)
    """

    def __init__(self, filename, *, overwrite=False, every=1.0):
        super().__init__()
        if not every >= 0:
            raise ValueError(f"every must be a non-negative number of seconds, got {every!r}")
        self.filename = pathlib.Path(filename)
        self.overwrite = bool(overwrite)
        self.every = float(every)
        self.committed = 0
        self.info = None
        self._capacity = 0
        self._slot = 0
        self._last_commit = time.monotonic()
        self._snapshot = None

    def __repr__(self):
        return f"Checkpoint({str(self.filename)!r}, committed={self.committed})"

    # ------------------------------------------------------------------
    # opening
    def open(self, post, nwalkers, nsteps, resume=False):
        """Prepare the file for a run: check it can be made, or load it to resume.

        A new file is created by :meth:`reset`, which emcee calls when the
        sampler is made, after the walkers are placed: a run that fails to
        start leaves no file behind.

        Parameters
        ----------
        post : Posterior
            The density to sample; checked against the file's provenance.
        nwalkers : int
        nsteps : int
            Total length of the run; the file's capacity.
        resume : bool
            Continue the run stored in the file.

        Raises
        ------
        CheckpointError
            The file exists and neither ``resume`` nor ``overwrite`` is set;
            it does not exist and ``resume`` is set; it is corrupt or
            truncated; or it holds a run of another model, other parameters,
            other priors, other data or inputs, or another number of walkers.

        Examples
        --------
        >>> import pgmsim as pg, tempfile, pathlib
        >>> m = pg.Model("counts")
        >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
        >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
        >>> post = m.posterior(data={"N": [3, 5, 4]})
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.h5"
        >>> _ = pg.sample(post, nwalkers=8, nsteps=30, seed=1, progress=False, backend=path)
        >>> store = Checkpoint(path)
        >>> store.open(post, nwalkers=8, nsteps=100, resume=True)
        >>> store.iteration
        30
        >>> Checkpoint(path).open(post, nwalkers=8, nsteps=100)
        Traceback (most recent call last):
          ...
        pgmsim.fit.backends.CheckpointError: checkpoint file '...' already exists; ...
        """
        info = provenance(post, nwalkers)
        exists = self.filename.exists()
        if resume:
            if not exists:
                raise CheckpointError(
                    f"cannot resume: checkpoint file '{self.filename}' does not exist; "
                    "start the run without resume=True", self.filename)
            self._load()
            self._check_provenance(info)
            self._reserve(nsteps)
            return
        if exists and not self.overwrite:
            raise CheckpointError(
                f"checkpoint file '{self.filename}' already exists; pass resume=True "
                "to continue the run it holds, or remove it, or pass "
                f"backend=pgmsim.fit.backends.Checkpoint('{self.filename}', overwrite=True) "
                "to start again", self.filename)
        self.info = info
        self._capacity = int(nsteps)
        self.iteration = 0  # nothing done yet; the file is made by reset()

    def reset(self, nwalkers, ndim, capacity=None):
        """Start an empty run and create its file (atomically).

        Parameters
        ----------
        nwalkers, ndim : int
            Shape of the ensemble.
        capacity : int, optional
            Steps to allocate in the file; by default the ``nsteps`` given
            to :meth:`open`.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> store = Checkpoint(pathlib.Path(tempfile.mkdtemp()) / "run.h5")
        >>> store.reset(nwalkers=4, ndim=2, capacity=10)
        >>> store.shape, store.committed
        ((4, 2), 0)
        """
        super().reset(nwalkers, ndim)
        capacity = self._capacity if capacity is None else int(capacity)
        info = self.info or {"model": "", "param_names": [], "distributions": {},
                             "data_sha256": "", "nwalkers": int(nwalkers), "ndim": int(ndim)}
        self.info = info
        self.filename.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.filename.with_name(self.filename.name + f".{os.getpid()}.tmp")
        try:
            with h5py.File(tmp, "w", locking=False) as f:
                g = f.create_group(GROUP)
                g.attrs["nwalkers"] = int(nwalkers)
                g.attrs["ndim"] = int(ndim)
                g.attrs["has_blobs"] = False
                g.attrs["iteration"] = np.int64(0)
                g.attrs["pgmsim_info"] = json.dumps(info)
                g.attrs[_COMMIT] = np.zeros(2, dtype=np.int64)
                early = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                early.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
                chunk = max(1, min(1024, (1 << 18) // (8 * nwalkers * max(ndim, 1))))
                g.create_dataset("chain", (capacity, nwalkers, ndim),
                                 maxshape=(None, nwalkers, ndim), dtype=np.float64,
                                 chunks=(chunk, nwalkers, ndim), dcpl=early.copy())
                g.create_dataset("log_prob", (capacity, nwalkers), maxshape=(None, nwalkers),
                                 dtype=np.float64, chunks=(chunk, nwalkers), dcpl=early.copy())
                g.create_dataset("accepted", data=np.zeros(nwalkers))
                g.create_dataset("pgmsim_accepted", data=np.zeros((2, nwalkers)))
                g.create_dataset("pgmsim_rng_keys", data=np.zeros((2, 624), np.uint32))
                g.create_dataset("pgmsim_rng_state", data=np.zeros((2, 3)))
            os.replace(tmp, self.filename)
        finally:
            if tmp.exists():
                tmp.unlink()
        self.committed = 0
        self._slot = 0
        self._snapshot = None
        self._last_commit = time.monotonic()

    def _fail(self, what, err=None):
        reason = f": {type(err).__name__}: {err}" if err is not None else ""
        raise CheckpointError(
            f"checkpoint file '{self.filename}' is corrupt or truncated ({what}){reason}. "
            "It was left untouched; move it away (or pass overwrite=True) to start a "
            "new run", self.filename) from err

    def _load(self):
        """Read the committed steps of the file into memory."""
        try:
            f = h5py.File(self.filename, "r", locking=False)
        except OSError as err:
            self._fail("not a readable HDF5 file", err)
        try:
            with f:
                if GROUP not in f or "pgmsim_info" not in f[GROUP].attrs:
                    raise CheckpointError(
                        f"'{self.filename}' is an HDF5 file but not a pgmsim checkpoint "
                        f"(no group {GROUP!r} with pgmsim provenance); choose another "
                        "file name", self.filename)
                g = f[GROUP]
                info = json.loads(g.attrs["pgmsim_info"])
                n, slot = (int(v) for v in g.attrs[_COMMIT])
                nwalkers, ndim = int(g.attrs["nwalkers"]), int(g.attrs["ndim"])
                chain, log_prob = g["chain"], g["log_prob"]
                if (slot not in (0, 1) or n < 0 or chain.shape[0] < n
                        or chain.shape[1:] != (nwalkers, ndim)
                        or log_prob.shape != (chain.shape[0], nwalkers)):
                    self._fail(f"{n} committed steps, chain of shape {chain.shape}")
                chain = chain[:n]
                log_prob = log_prob[:n]
                accepted = g["pgmsim_accepted"][slot]
                keys = g["pgmsim_rng_keys"][slot]
                pos, has_gauss, gauss = g["pgmsim_rng_state"][slot]
        except CheckpointError:
            raise
        except Exception as err:  # h5py and json raise many kinds on damaged files
            self._fail("unreadable contents", err)
        if not (np.all(np.isfinite(chain)) and not np.any(np.isnan(log_prob))):
            self._fail("non-finite walker positions among the committed steps")
        super().reset(nwalkers, ndim)
        self.chain = np.array(chain, dtype=self.dtype)
        self.log_prob = np.array(log_prob, dtype=self.dtype)
        self.accepted = np.array(accepted, dtype=self.dtype)
        self.iteration = n
        self.random_state = (("MT19937", keys.astype(np.uint32), int(pos), int(has_gauss),
                              float(gauss)) if n > 0 else None)
        self.committed = n
        self._slot = slot
        self._snapshot = None
        self.info = info

    def _check_provenance(self, info):
        stored = self.info
        name = f"checkpoint file '{self.filename}'"
        if stored.get("model") != info["model"]:
            raise CheckpointError(
                f"{name} holds a run of model {stored.get('model')!r}, not "
                f"{info['model']!r}; use another file", self.filename)
        if stored.get("param_names") != info["param_names"]:
            raise CheckpointError(
                f"{name} was made with parameters {stored.get('param_names')}, but the "
                f"posterior has parameters {info['param_names']}", self.filename)
        if stored.get("distributions") != info["distributions"]:
            changed = sorted(k for k in set(stored.get("distributions", {}))
                             | set(info["distributions"])
                             if stored.get("distributions", {}).get(k)
                             != info["distributions"].get(k))
            raise CheckpointError(
                f"{name} was made with other priors or sampling distributions for "
                f"node(s) {', '.join(map(repr, changed))}: stored "
                f"{ {k: stored.get('distributions', {}).get(k) for k in changed} }, now "
                f"{ {k: info['distributions'].get(k) for k in changed} }", self.filename)
        if stored.get("data_sha256") != info["data_sha256"]:
            raise CheckpointError(
                f"{name} was made with other data or fixed inputs (SHA-256 "
                f"{stored.get('data_sha256', '')[:12]}... in the file, "
                f"{info['data_sha256'][:12]}... now)", self.filename)
        if stored.get("nwalkers") != info["nwalkers"]:
            raise CheckpointError(
                f"{name} holds a run with {stored.get('nwalkers')} walkers; resume it "
                f"with nwalkers={stored.get('nwalkers')}, not {info['nwalkers']}",
                self.filename)

    def _reserve(self, nsteps):
        """Make room in the file for ``nsteps`` steps in all."""
        try:
            with h5py.File(self.filename, "a", locking=False) as f:
                g = f[GROUP]
                for key in ("chain", "log_prob"):
                    if g[key].shape[0] < nsteps:
                        g[key].resize(nsteps, axis=0)
        except OSError as err:
            self._fail("cannot be opened for writing", err)

    # ------------------------------------------------------------------
    # emcee's backend interface
    def save_step(self, state, accepted):
        """Store a step in memory, and commit to the file when it is time.

        Called by emcee after each step.

        Parameters
        ----------
        state : emcee.State
            Walker positions, log-posterior values and random state.
        accepted : numpy.ndarray of bool, shape (nwalkers,)
            Which walkers moved.

        Examples
        --------
        >>> import numpy as np, emcee, tempfile, pathlib
        >>> store = Checkpoint(pathlib.Path(tempfile.mkdtemp()) / "run.h5", every=0)
        >>> store.reset(nwalkers=4, ndim=1)
        >>> state = emcee.State(np.zeros((4, 1)), log_prob=np.zeros(4),
        ...                     random_state=np.random.RandomState(1).get_state())
        >>> store.grow(1, None)
        >>> store.save_step(state, np.ones(4, bool))
        >>> store.committed
        1
        """
        super().save_step(state, accepted)
        # one assignment: a Ctrl-C cannot leave it half made
        self._snapshot = (self.iteration, self.random_state, self.accepted.copy())
        if time.monotonic() - self._last_commit >= self.every:
            self.commit()

    def commit(self):
        """Write the steps not yet in the file, crash-safely.

        Returns
        -------
        int
            Number of steps in the file.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> store = Checkpoint(pathlib.Path(tempfile.mkdtemp()) / "run.h5")
        >>> store.reset(nwalkers=4, ndim=1)
        >>> store.commit()  # nothing new to write
        0
        """
        snapshot = self._snapshot
        if snapshot is None or snapshot[0] == self.committed:
            return self.committed
        n, random_state, accepted = snapshot
        keys, rest = _random_state_rows(random_state)
        slot = 1 - self._slot
        with h5py.File(self.filename, "a", locking=False) as f:
            g = f[GROUP]
            for key, values in (("chain", self.chain), ("log_prob", self.log_prob)):
                if g[key].shape[0] < n:
                    g[key].resize(n, axis=0)
                g[key][self.committed:n] = values[self.committed:n]
            g["pgmsim_accepted"][slot] = accepted
            g["pgmsim_rng_keys"][slot] = keys
            g["pgmsim_rng_state"][slot] = rest
            f.flush()
            # the commit: one small attribute overwritten in place
            g.attrs.modify(_COMMIT, np.array([n, slot], dtype=np.int64))
            f.flush()
            # for readers that know emcee's layout only
            g.attrs.modify("iteration", np.int64(n))
            g["accepted"][:] = accepted
        self.committed = n
        self._slot = slot
        self._last_commit = time.monotonic()
        return n


def load_result(filename, posterior=None):
    """The committed steps of a checkpoint, as a :class:`SamplingResult`.

    Safe to call while the run is still writing the file.

    Parameters
    ----------
    filename : str or pathlib.Path
    posterior : Posterior, optional
        Attached to the result (for labels, predictive draws); when given,
        it is checked against the file's provenance.

    Returns
    -------
    SamplingResult
        With ``meta`` holding the file's provenance.

    Raises
    ------
    CheckpointError
        If the file is missing, corrupt, or (with ``posterior``) from another
        run.

    Examples
    --------
    >>> import pgmsim as pg, tempfile, pathlib
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.h5"
    >>> _ = pg.sample(m.posterior(data={"N": [3, 5]}), nwalkers=4, nsteps=20, seed=1,
    ...               progress=False, backend=path)
    >>> res = load_result(path)
    >>> res.chain.shape, res.meta["model"], res.meta["committed"]
    ((20, 4, 1), 'counts', 20)
    """
    store = Checkpoint(filename)
    if not store.filename.exists():
        raise CheckpointError(f"checkpoint file '{store.filename}' does not exist",
                              store.filename)
    store._load()
    if posterior is not None:
        store._check_provenance(provenance(posterior, store.info["nwalkers"]))
    n = max(store.iteration, 1)
    result = SamplingResult(store.chain, store.log_prob, store.accepted / n,
                            store.info["param_names"], posterior)
    result.meta = dict(store.info, filename=str(store.filename), committed=store.committed)
    return result
