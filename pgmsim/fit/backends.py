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
nwalkers)``, attributes ``nwalkers``, ``ndim``, ``iteration``. pgmsim adds:

- the provenance of the run (:func:`provenance`: model name, parameter names,
  the priors and sampling distributions, a SHA-256 of the data and fixed
  inputs, a SHA-256 of the source of every deterministic node's function and
  of every distribution class not defined in pgmsim, the number of walkers);
- ``pgmsim_start``: the walker positions the run starts from, written when the
  file is created, with the state of emcee's random generator at the start;
- in two alternating slots, the commit records: the walkers' acceptance
  counts, the state of emcee's random generator after the last committed step
  (at the start, before the first commit), and ``pgmsim_sha256``, the SHA-256
  checksums of the committed rows of ``chain`` and ``log_prob``, of the
  acceptance counts, of the random state, of the start walkers and of the
  provenance.

Every load (:func:`load_result`) and every resume recomputes the checksums; a
stored value that changed after it was written (a flipped bit, a bad copy) is
refused with a :class:`CheckpointError` naming the file and what is corrupt.
A file written by an earlier pgmsim, without checksums, is refused as
unverifiable.

Crash safety
------------
A commit writes the new rows and the spare slot (with its checksums), flushes
the file, and only then overwrites one small attribute, ``pgmsim_commit =
[iteration, slot]``, in place. A process killed at any moment (``SIGKILL``,
power cut excepted: the file is flushed to the operating system, not synced to
disk) therefore leaves a file whose committed steps, acceptance counts,
random state and checksums are mutually consistent, and a resumed run
continues exactly where the committed steps end.

The file is written under a temporary name ``NAME.<pid>.tmp`` and then
published under its name with a hard link, which fails if the name exists
(on a file system without hard links: a rename after a check): a run killed
while creating it leaves no half-made checkpoint, and two runs never both
create it. The temporary file is removed on every exit path that Python sees
(an exception, Ctrl-C); one left by a ``SIGKILL`` is removed by the next run
that writes to the same name.

One writer at a time: from :meth:`Checkpoint.open` to the end of the run
(:meth:`Checkpoint.close`, which :func:`pgmsim.sample` calls), the writer holds
an exclusive :func:`fcntl.flock` lock on a side file ``NAME.lock``, removed
when it lets go. Another run that would write the file (resume it, create it,
or replace it with ``overwrite=True``) is refused at once. The kernel drops
the lock of a killed process, so there is no stale lock to clear by hand (the
unlocked side file it leaves is removed by the next writer).
Readers take no lock and are never blocked, and the writer opens the HDF5 file
without HDF5 file locking, so that a reader (``h5ls``, :func:`load_result`)
never blocks or crashes the run. On platforms without :mod:`fcntl` (Windows)
no lock is taken and two writers of one file are not detected.

Determinism
-----------
emcee draws from a legacy :class:`numpy.random.RandomState`; its full state
after the last committed step is restored on resume, and the stored walker
positions and log-posterior values are bit-for-bit those of the run. A file
with no committed step holds the start walkers and the random state the
seeded run starts from, so its resume *is* the seeded run. So a run resumed
from a checkpoint gives the same chain, bit for bit, as the same run made in
one go (tested, also across a ``SIGKILL`` at twenty moments, from before the
file exists to the last commit), provided that the log-posterior of each
walker is itself deterministic. What is true of the pieces:

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
  batch sizes; a posterior whose data, priors or code changed (refused; the
  code is compared by its source text, so a change of a global variable that
  a function reads is not seen).
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import time

import h5py
import numpy as np
from emcee.backends import Backend

from ._checkpoint_layout import (COMMIT, GROUP, CheckpointError, corrupt, digest_row,
                                 random_state_rows, read_verified, sha256_hex, write_empty)
from ._checkpoint_lock import (LockHeldError, WriterLock, publish, remove_stale_temporaries,
                               temporary_name)
from ._provenance import provenance, provenance_mismatch
from .results import SamplingResult

__all__ = ["Checkpoint", "CheckpointError", "provenance", "load_result"]


class Checkpoint(Backend):
    """An emcee backend that commits the chain to an HDF5 file as it grows.

    Pass it, or simply a file name, as ``backend`` to :func:`pgmsim.sample`.
    While it writes the file it holds the file's lock (see the module
    documentation): :meth:`close` lets go of it.

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
    start : numpy.ndarray or None
        The walker positions the run starts from, ``(nwalkers, ndim)``.
    start_random_state : tuple or None
        The state of emcee's random generator at the start.

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
        self.start = None
        self.start_random_state = None
        self._capacity = 0
        self._slot = 0
        self._last_commit = time.monotonic()
        self._snapshot = None
        self._lock = WriterLock(self.filename)
        # running SHA-256 of the committed rows, and the digests fixed at creation
        self._row_hashes = None
        self._fixed_digests = None

    def __repr__(self):
        return f"Checkpoint({str(self.filename)!r}, committed={self.committed})"

    # ------------------------------------------------------------------
    # opening and closing
    def open(self, post, nwalkers, nsteps, resume=False):
        """Take the file's lock and check it can be made, or load it to resume.

        A new file is created by :meth:`reset`, which emcee calls when the
        sampler is made, after the walkers are placed: a run that fails to
        start leaves no file behind. The lock is held until :meth:`close`.

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
            Another run is writing the file (it holds the lock); the file
            exists and neither ``resume`` nor ``overwrite`` is set; it does
            not exist and ``resume`` is set; it is corrupt or truncated (a
            checksum does not match); it holds neither a committed step nor
            the start of the run; or it holds a run of another model, other
            parameters, other priors, other code, other data or inputs, or
            another number of walkers.

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
        >>> Checkpoint(path).open(post, nwalkers=8, nsteps=100, resume=True)
        Traceback (most recent call last):
          ...
        pgmsim.fit.backends.CheckpointError: checkpoint file '...' is being written by another run ...
        >>> store.close()
        >>> Checkpoint(path).open(post, nwalkers=8, nsteps=100)
        Traceback (most recent call last):
          ...
        pgmsim.fit.backends.CheckpointError: checkpoint file '...' already exists; ...
        """
        info = provenance(post, nwalkers)
        self._take_lock()
        try:
            self._open_locked(info, nsteps, resume)
        except BaseException:
            self.close()
            raise

    def _open_locked(self, info, nsteps, resume):
        exists = self.filename.exists()
        if resume:
            if not exists:
                raise CheckpointError(
                    f"cannot resume: checkpoint file '{self.filename}' does not exist; "
                    "start the run without resume=True", self.filename)
            self._load()
            if self.iteration == 0 and self.start is None:
                raise CheckpointError(
                    f"checkpoint file '{self.filename}' holds no committed steps and no "
                    "start walkers (it was not made by pgmsim.sample): nothing to resume; "
                    "start a new run with overwrite=True", self.filename)
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
        self.start = self.start_random_state = None
        self._capacity = int(nsteps)
        self.iteration = 0  # nothing done yet; the file is made by reset()

    def _take_lock(self):
        self.filename.parent.mkdir(parents=True, exist_ok=True)  # the lock lives there
        try:
            self._lock.acquire()
        except LockHeldError:
            raise CheckpointError(
                f"checkpoint file '{self.filename}' is being written by another run (it "
                f"holds the lock on '{self._lock.path}'); wait for that run to end, or use "
                "another file", self.filename) from None
        except OSError as err:
            raise CheckpointError(
                f"cannot lock checkpoint file '{self.filename}' for writing ({err}); its "
                "file system may not support locks: use a local folder", self.filename) from err
        remove_stale_temporaries(self.filename)

    def close(self):
        """End the writing: release the file's lock (the file and the chain stay).

        :func:`pgmsim.sample` calls it at the end of every run; a later
        :meth:`open` takes the lock again. Idempotent.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> store = Checkpoint(pathlib.Path(tempfile.mkdtemp()) / "run.h5")
        >>> store.reset(nwalkers=4, ndim=2, capacity=10)
        >>> sorted(p.name for p in store.filename.parent.iterdir())
        ['run.h5', 'run.h5.lock']
        >>> store.close()
        >>> sorted(p.name for p in store.filename.parent.iterdir())
        ['run.h5']
        """
        self._lock.release()

    def set_start(self, coords, random_state):
        """Record where a new run starts, to store when :meth:`reset` creates the file.

        A resume from a file with no committed step then starts here, as
        the seeded run does.

        Parameters
        ----------
        coords : array_like, shape (nwalkers, ndim)
            The start walkers.
        random_state : tuple
            The state of emcee's random generator at the start
            (:meth:`numpy.random.RandomState.get_state`).

        Examples
        --------
        >>> import numpy as np, tempfile, pathlib
        >>> store = Checkpoint(pathlib.Path(tempfile.mkdtemp()) / "run.h5")
        >>> store.set_start(np.zeros((4, 2)), np.random.RandomState(1).get_state())
        >>> store.reset(nwalkers=4, ndim=2, capacity=10)
        >>> store.close()
        >>> again = Checkpoint(store.filename)
        >>> again._load()
        >>> again.start.shape, again.random_state[0]
        ((4, 2), 'MT19937')
        """
        self.start = np.array(coords, dtype=np.float64)
        self.start_random_state = random_state

    def reset(self, nwalkers, ndim, capacity=None):
        """Start an empty run and create its file (atomically, exclusively).

        Takes the file's lock if :meth:`open` did not.

        Parameters
        ----------
        nwalkers, ndim : int
            Shape of the ensemble.
        capacity : int, optional
            Steps to allocate in the file; by default the ``nsteps`` given
            to :meth:`open`.

        Raises
        ------
        ValueError
            If ``capacity`` is not a non-negative integer.
        CheckpointError
            If another run holds the file's lock, or the file exists and
            ``overwrite`` is not set.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> store = Checkpoint(pathlib.Path(tempfile.mkdtemp()) / "run.h5")
        >>> store.reset(nwalkers=4, ndim=2, capacity=10)
        >>> store.shape, store.committed
        ((4, 2), 0)
        >>> store.close()
        """
        capacity = self._capacity if capacity is None else capacity
        if int(capacity) != capacity or capacity < 0:
            raise ValueError(f"capacity must be a non-negative number of steps, "
                             f"got {capacity!r}")
        super().reset(nwalkers, ndim)
        self.info = self.info or {
            "model": "", "param_names": [], "distributions": {}, "data_sha256": "",
            "code_sha256": {}, "nwalkers": int(nwalkers), "ndim": int(ndim)}
        self._take_lock()
        try:
            self._create(int(nwalkers), int(ndim), int(capacity))
        except BaseException:
            self.close()
            raise
        self.committed = 0
        self._slot = 0
        self._snapshot = None
        self._last_commit = time.monotonic()

    def _create(self, nwalkers, ndim, capacity):
        """Write the empty file under a temporary name, then publish it."""
        tmp = temporary_name(self.filename)
        try:
            fixed = write_empty(tmp, nwalkers, ndim, capacity, json.dumps(self.info),
                                self.start, self.start_random_state)
            publish(tmp, self.filename, replace=self.overwrite)
        except FileExistsError:
            raise CheckpointError(
                f"checkpoint file '{self.filename}' already exists (made by another "
                "process meanwhile); it was left untouched", self.filename) from None
        finally:
            if tmp.exists():
                tmp.unlink()
        self._row_hashes = {"chain": hashlib.sha256(), "log_prob": hashlib.sha256()}
        self._fixed_digests = fixed

    # ------------------------------------------------------------------
    # reading
    def _load(self):
        """Read the committed steps of the file into memory, checksums verified."""
        stored = read_verified(self.filename)
        super().reset(*stored.chain.shape[1:])
        self.chain = np.array(stored.chain, dtype=self.dtype)
        self.log_prob = np.array(stored.log_prob, dtype=self.dtype)
        self.accepted = np.array(stored.accepted, dtype=self.dtype)
        self.iteration = self.committed = stored.n
        self.random_state = stored.random_state
        self.start, self.start_random_state = stored.start, stored.start_random_state
        self.info = stored.info
        self._slot = stored.slot
        self._snapshot = None
        self._row_hashes = stored.row_hashes
        self._fixed_digests = stored.fixed_digests

    def _check_provenance(self, info):
        problem = provenance_mismatch(self.info, info)
        if problem is not None:
            raise CheckpointError(f"checkpoint file '{self.filename}' {problem}",
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
            raise corrupt(self.filename, "cannot be opened for writing", err) from err

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
        >>> store.close()
        """
        super().save_step(state, accepted)
        # one assignment: a Ctrl-C cannot leave it half made
        self._snapshot = (self.iteration, self.random_state, self.accepted.copy())
        if time.monotonic() - self._last_commit >= self.every:
            self.commit()

    def commit(self):
        """Write the steps not yet in the file, with their checksums, crash-safely.

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
        >>> store.close()
        """
        snapshot = self._snapshot
        if snapshot is None or snapshot[0] == self.committed:
            return self.committed
        n, random_state, accepted = snapshot
        keys, rest = random_state_rows(random_state)
        slot = 1 - self._slot
        new_rows = {"chain": self.chain, "log_prob": self.log_prob}
        # the running digests advance only once the commit is made
        hashes = {key: self._row_hashes[key].copy() for key in new_rows}
        for key, values in new_rows.items():
            hashes[key].update(np.ascontiguousarray(values[self.committed:n]).tobytes())
        digests = {"chain": hashes["chain"].hexdigest(),
                   "log_prob": hashes["log_prob"].hexdigest(),
                   "accepted": sha256_hex(accepted), "random_state": sha256_hex(keys, rest),
                   **self._fixed_digests}
        with h5py.File(self.filename, "a", locking=False) as f:
            g = f[GROUP]
            for key, values in new_rows.items():
                if g[key].shape[0] < n:
                    g[key].resize(n, axis=0)
                g[key][self.committed:n] = values[self.committed:n]
            g["pgmsim_accepted"][slot] = accepted
            g["pgmsim_rng_keys"][slot] = keys
            g["pgmsim_rng_state"][slot] = rest
            g["pgmsim_sha256"][slot] = digest_row(digests)
            f.flush()
            # the commit: one small attribute overwritten in place
            g.attrs.modify(COMMIT, np.array([n, slot], dtype=np.int64))
            f.flush()
            # for readers that know emcee's layout only
            g.attrs.modify("iteration", np.int64(n))
            g["accepted"][:] = accepted
        self.committed = n
        self._slot = slot
        self._row_hashes = hashes
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
        If the file is missing, corrupt (a checksum does not match), or (with
        ``posterior``) from another run.

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
