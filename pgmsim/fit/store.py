"""The results store of a run of many fits: one HDF5 file, one group per finished task.

A run of many independent tasks (:func:`pgmsim.fit_many`, :func:`pgmsim.sbc`)
writes each task's result as soon as the task finishes, so that nothing
finished is lost when the run is interrupted, and a resumed run skips what is
stored.

What the file holds
-------------------
- attributes ``pgmsim_store`` (the kind of run: ``"fit_many"``, ``"sbc"``),
  ``fingerprint`` (SHA-256 of the run's arguments: models, data, settings,
  seed, number of tasks) and ``settings`` (those arguments as JSON text, to
  say what differs when a resume is refused);
- group ``tasks``: one group per finished task, named by its index
  (``"000012"``), with one dataset per numeric value of its record and one
  attribute per text value.

Crash safety
------------
Only the client writes the file; a write waits (up to :data:`LOCK_WAIT_S`)
while another process has the file open to read it. A task's group is written under a temporary
name, flushed, then renamed to its index, and the file is closed after each
task, so a client killed at any moment leaves a readable file whose tasks are
whole; a half-written group (killed mid-write) is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

import h5py
import numpy as np

__all__ = ["ResultsStore", "StoreError", "fingerprint"]

_PARTIAL = "partial_"

#: seconds a write waits for the file while another process reads it
LOCK_WAIT_S = 30.0


class StoreError(ValueError):
    """A results store that cannot be used for this run; names the file.

    Parameters
    ----------
    message : str
        What is wrong and what to do.
    filename : str
        The store file.

    Examples
    --------
    >>> err = StoreError("results store 'a.h5' was made by another run", "a.h5")
    >>> err.filename
    'a.h5'
    """

    def __init__(self, message, filename):
        super().__init__(message)
        self.filename = str(filename)


def _canonical(value):
    """JSON-able form of a setting; arrays become their SHA-256."""
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, np.ndarray) or (hasattr(value, "__array__") and not np.isscalar(value)):
        array = np.ascontiguousarray(value)
        digest = hashlib.sha256(f"{array.dtype}:{array.shape}:".encode())
        digest.update(array.tobytes())
        return "sha256:" + digest.hexdigest()
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def fingerprint(settings):
    """The SHA-256 of a run's arguments, and their JSON text.

    Parameters
    ----------
    settings : dict
        Names to values: numbers, text, lists, dicts, arrays (hashed by
        content); other objects count by their ``repr``.

    Returns
    -------
    digest : str
        64 hexadecimal digits.
    text : str
        The canonical JSON of ``settings``.

    Examples
    --------
    >>> import numpy as np
    >>> a, _ = fingerprint({"seed": 1, "data": np.arange(3.0)})
    >>> b, _ = fingerprint({"data": np.arange(3.0), "seed": 1})
    >>> c, _ = fingerprint({"seed": 1, "data": np.arange(4.0)})
    >>> a == b, a == c, len(a)
    (True, False, 64)
    """
    text = json.dumps(_canonical(settings), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest(), text


def _short(value, width=60):
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


class ResultsStore:
    """One run's results on disk, one record per finished task.

    Parameters
    ----------
    filename : str or os.PathLike
        The HDF5 file of the run; its folder must exist.
    kind : str
        The kind of run (``"fit_many"``, ``"sbc"``).
    settings : dict
        The run's arguments (see :func:`fingerprint`): a resume must give
        the same.
    resume : bool
        Continue the run stored in ``filename``, if the file exists. Without
        it, an existing file is refused.

    Raises
    ------
    StoreError
        The file exists and ``resume`` is not set, holds another kind of run,
        or was made with other arguments (the message lists which).
    FileNotFoundError
        The folder of ``filename`` does not exist.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.h5"
    >>> store = ResultsStore(path, "fit_many", {"seed": 1, "n_items": 3})
    >>> store.write(2, {"median": [1.5, 2.5], "worker": "host:12"})
    >>> ResultsStore(path, "fit_many", {"seed": 1, "n_items": 3}, resume=True).done()
    [2]
    >>> ResultsStore(path, "fit_many", {"seed": 2, "n_items": 3}, resume=True)
    Traceback (most recent call last):
      ...
    pgmsim.fit.store.StoreError: results store '...run.h5' was made by another run (seed: ...
    """

    def __init__(self, filename, kind, settings, *, resume=False):
        self.filename = os.fspath(filename)
        self.kind = kind
        self.fingerprint, self.settings = fingerprint(settings)
        folder = os.path.dirname(os.path.abspath(self.filename))
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"results store '{self.filename}': folder '{folder}' "
                                    "does not exist")
        if os.path.exists(self.filename):
            if not resume:
                raise StoreError(
                    f"results store '{self.filename}' holds an earlier run: pass "
                    "resume=True to continue it, or choose another file", self.filename)
            self._check_same_run()
        else:
            with h5py.File(self.filename, "w") as f:
                f.attrs["pgmsim_store"] = kind
                f.attrs["fingerprint"] = self.fingerprint
                f.attrs["settings"] = self.settings
                f.create_group("tasks")

    def _check_same_run(self):
        try:
            with h5py.File(self.filename, "r") as f:
                kind = f.attrs.get("pgmsim_store")
                stored, text = f.attrs.get("fingerprint"), f.attrs.get("settings", "{}")
        except OSError as err:
            raise StoreError(f"results store '{self.filename}' cannot be read: {err}",
                             self.filename) from err
        if kind != self.kind:
            raise StoreError(f"results store '{self.filename}' holds a {kind!r} run, not "
                             f"{self.kind!r}; choose another file", self.filename)
        if stored != self.fingerprint:
            before, now = json.loads(text), json.loads(self.settings)
            changed = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
            what = "; ".join(f"{k}: stored {_short(before.get(k))}, now {_short(now.get(k))}"
                             for k in changed)
            raise StoreError(
                f"results store '{self.filename}' was made by another run ({what}); "
                "resume with the same arguments, or choose another file", self.filename)

    def done(self):
        """The indexes of the tasks stored, in increasing order.

        Returns
        -------
        list of int

        Examples
        --------
        >>> import pathlib, tempfile
        >>> store = ResultsStore(pathlib.Path(tempfile.mkdtemp()) / "r.h5", "sbc", {})
        >>> store.write(4, {"ranks": [3]}); store.write(1, {"ranks": [0]})
        >>> store.done()
        [1, 4]
        """
        with h5py.File(self.filename, "r") as f:
            return sorted(int(name) for name in f["tasks"] if not name.startswith(_PARTIAL))

    def write(self, index, record):
        """Store the record of task ``index``, replacing none: each task once.

        Parameters
        ----------
        index : int
            The task.
        record : dict
            Names to numbers, booleans, arrays (datasets) or text (attributes).

        Raises
        ------
        StoreError
            Task ``index`` is already stored, or another process keeps the
            file open for more than :data:`LOCK_WAIT_S` seconds.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> store = ResultsStore(pathlib.Path(tempfile.mkdtemp()) / "r.h5", "sbc", {})
        >>> store.write(0, {"ranks": [3, 1], "worker": "host:1"})
        >>> store.read()[0]["worker"]
        'host:1'
        """
        name = f"{int(index):06d}"
        with self._open_for_writing() as f:
            tasks = f["tasks"]
            if name in tasks:
                raise StoreError(f"results store '{self.filename}' already holds task "
                                 f"{index}", self.filename)
            partial = _PARTIAL + name
            if partial in tasks:  # left by a client killed while writing it
                del tasks[partial]
            group = tasks.create_group(partial)
            for key, value in record.items():
                if isinstance(value, str):
                    group.attrs[key] = value
                else:
                    group.create_dataset(key, data=np.asarray(value))
            f.flush()
            tasks.move(partial, name)  # the task appears whole, or not at all

    def _open_for_writing(self):
        """The file, opened to append, once no other process reads it.

        HDF5 locks a file while it is open: a user (or a script) looking at
        the store as the run goes must delay a write, not end the run.
        """
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                return h5py.File(self.filename, "a")
            except BlockingIOError as err:
                if time.monotonic() > deadline:
                    raise StoreError(f"results store '{self.filename}' is locked by another "
                                     f"process for more than {LOCK_WAIT_S:g} s: close what "
                                     "holds it open", self.filename) from err
                time.sleep(0.05)

    def read(self):
        """Every stored record, by task index.

        Returns
        -------
        dict
            Index to record: arrays for array values, Python scalars for
            scalars, text for text.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> store = ResultsStore(pathlib.Path(tempfile.mkdtemp()) / "r.h5", "sbc", {})
        >>> store.write(0, {"ranks": [3, 1], "acceptance": 0.4})
        >>> record = store.read()[0]
        >>> record["ranks"].tolist(), record["acceptance"]
        ([3, 1], 0.4)
        """
        out = {}
        with h5py.File(self.filename, "r") as f:
            for name, group in f["tasks"].items():
                if name.startswith(_PARTIAL):
                    continue
                record = {key: (value[()].item() if value.ndim == 0 else value[()])
                          for key, value in group.items()}
                record.update({key: str(value) for key, value in group.attrs.items()})
                out[int(name)] = record
        return out

    def __repr__(self):
        return f"<ResultsStore {self.kind} '{self.filename}'>"
