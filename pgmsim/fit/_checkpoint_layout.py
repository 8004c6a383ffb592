"""The HDF5 layout of a checkpoint: writing the empty file, and reading back the
committed steps with their checksums verified.

See :mod:`pgmsim.fit.backends` for what the file holds and why.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Optional

import h5py
import numpy as np

__all__ = ["CheckpointError", "GROUP", "COMMIT", "DIGEST_FIELDS", "sha256_hex",
           "random_state_rows", "write_empty", "Committed", "read_verified"]

#: HDF5 group holding the run (emcee's default)
GROUP = "mcmc"
#: the commit record, ``[iteration, slot]``
COMMIT = "pgmsim_commit"
#: layout version: 2 adds the start walkers and the checksums
FORMAT = 2
#: what a commit record's checksums cover, in the order they are stored
DIGEST_FIELDS = ("chain", "log_prob", "accepted", "random_state", "start", "provenance")
_DESCRIBED = {"chain": "chain (walker positions)",
              "log_prob": "log_prob (log-posterior values)", "accepted": "acceptance counts",
              "random_state": "random state", "start": "start walkers",
              "provenance": "provenance"}


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used: corrupt, from another run, or in use.

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

    __module__ = "pgmsim.fit.backends"  # its public home

    def __init__(self, message, filename):
        super().__init__(message)
        self.filename = str(filename)


def corrupt(filename, what, err=None):
    """The error for a damaged file, saying what is damaged."""
    reason = f": {type(err).__name__}: {err}" if err is not None else ""
    return CheckpointError(
        f"checkpoint file '{filename}' is corrupt or truncated ({what}){reason}. "
        "It was left untouched; move it away (or pass overwrite=True) to start a "
        "new run", filename)


def sha256_hex(*values):
    """SHA-256 of arrays' bytes (C order) and texts (UTF-8), as a commit stores it."""
    digest = hashlib.sha256()
    for value in values:
        digest.update(value.encode() if isinstance(value, str)
                      else np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()


def random_state_rows(state):
    """emcee's RandomState tuple (always an MT19937 state) as (keys uint32[624],
    [pos, has_gauss, gauss])."""
    _, keys, pos, has_gauss, gauss = state
    return np.asarray(keys, dtype=np.uint32), np.array([pos, has_gauss, gauss], float)


def _random_state(keys, rest):
    return ("MT19937", keys, int(rest[0]), int(rest[1]), float(rest[2]))


def write_empty(path, nwalkers, ndim, capacity, info_text, start, start_random_state):
    """Write a checkpoint with no committed step; slot 0 holds the start.

    Returns
    -------
    dict
        The digests fixed for the life of the file (``start``, ``provenance``).
    """
    keys, rest = (random_state_rows(start_random_state) if start is not None
                  else (np.zeros(624, np.uint32), np.zeros(3)))
    accepted = np.zeros(nwalkers)
    fixed = {"start": sha256_hex(*(() if start is None else (start,))),
             "provenance": sha256_hex(info_text)}
    digests = {"chain": sha256_hex(), "log_prob": sha256_hex(),
               "accepted": sha256_hex(accepted), "random_state": sha256_hex(keys, rest),
               **fixed}
    with h5py.File(path, "w", locking=False) as f:
        g = f.create_group(GROUP)
        g.attrs["nwalkers"] = nwalkers
        g.attrs["ndim"] = ndim
        g.attrs["has_blobs"] = False
        g.attrs["iteration"] = np.int64(0)
        g.attrs["pgmsim_info"] = info_text
        g.attrs["pgmsim_format"] = FORMAT
        g.attrs[COMMIT] = np.zeros(2, dtype=np.int64)
        early = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        early.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        chunk = max(1, min(1024, (1 << 18) // (8 * nwalkers * max(ndim, 1))))
        g.create_dataset("chain", (capacity, nwalkers, ndim),
                         maxshape=(None, nwalkers, ndim), dtype=np.float64,
                         chunks=(chunk, nwalkers, ndim), dcpl=early.copy())
        g.create_dataset("log_prob", (capacity, nwalkers), maxshape=(None, nwalkers),
                         dtype=np.float64, chunks=(chunk, nwalkers), dcpl=early.copy())
        g.create_dataset("accepted", data=accepted)
        g.create_dataset("pgmsim_accepted", data=np.zeros((2, nwalkers)))
        g.create_dataset("pgmsim_rng_keys", data=np.stack([keys, keys]))
        g.create_dataset("pgmsim_rng_state", data=np.stack([rest, rest]))
        if start is not None:
            g.create_dataset("pgmsim_start", data=start)
        row = digest_row(digests)
        g.create_dataset("pgmsim_sha256", data=np.stack([row, row]))
    return fixed


def digest_row(digests):
    """The digests as one stored row, in the order of :data:`DIGEST_FIELDS`."""
    return np.array([digests[k] for k in DIGEST_FIELDS], dtype="S64")


@dataclass
class Committed:
    """What a checkpoint holds at its last commit, verified."""

    n: int
    slot: int
    info: dict
    chain: np.ndarray
    log_prob: np.ndarray
    accepted: np.ndarray
    random_state: Optional[tuple]
    start: Optional[np.ndarray]
    start_random_state: Optional[tuple]
    #: running SHA-256 of the committed rows of chain and log_prob
    row_hashes: dict
    #: the digests fixed for the life of the file
    fixed_digests: dict


def read_verified(filename, attempts=5):
    """The committed steps of a checkpoint, every checksum verified.

    A reader racing a writer may read a slot while it is rewritten; it then
    finds the commit record moved on, and reads again.

    Raises
    ------
    CheckpointError
        If the file is not a readable pgmsim checkpoint of this format, or a
        checksum does not match.
    """
    for attempt in range(attempts):
        seen = []
        try:
            return _read(filename, seen)
        except CheckpointError:
            if attempt == attempts - 1 or not seen or _record(filename) in (None, seen[0]):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _record(filename):
    try:
        with h5py.File(filename, "r", locking=False) as f:
            return [int(v) for v in f[GROUP].attrs[COMMIT]]
    except Exception:  # noqa: BLE001 -- the first error is the one to report
        return None


def _read(filename, seen):
    try:
        f = h5py.File(filename, "r", locking=False)
    except OSError as err:
        raise corrupt(filename, "not a readable HDF5 file", err) from err
    try:
        with f:
            if GROUP not in f or "pgmsim_info" not in f[GROUP].attrs:
                raise CheckpointError(
                    f"'{filename}' is an HDF5 file but not a pgmsim checkpoint (no group "
                    f"{GROUP!r} with pgmsim provenance); choose another file name", filename)
            g = f[GROUP]
            if g.attrs.get("pgmsim_format") != FORMAT:
                raise CheckpointError(
                    f"checkpoint file '{filename}' was written by an earlier pgmsim, "
                    "without checksums, and cannot be verified; start a new run "
                    "(overwrite=True)", filename)
            seen.append([int(v) for v in g.attrs[COMMIT]])
            n, slot = seen[0]
            info_text = g.attrs["pgmsim_info"]
            nwalkers, ndim = int(g.attrs["nwalkers"]), int(g.attrs["ndim"])
            chain, log_prob = g["chain"], g["log_prob"]
            if (slot not in (0, 1) or n < 0 or chain.shape[0] < n
                    or chain.shape[1:] != (nwalkers, ndim)
                    or log_prob.shape != (chain.shape[0], nwalkers)):
                raise corrupt(filename, f"{n} committed steps, chain of shape {chain.shape}")
            chain, log_prob = chain[:n], log_prob[:n]
            accepted = g["pgmsim_accepted"][slot]
            keys, rest = g["pgmsim_rng_keys"][slot], g["pgmsim_rng_state"][slot]
            start = g["pgmsim_start"][...] if "pgmsim_start" in g else None
            stored = dict(zip(DIGEST_FIELDS, (d.decode() for d in g["pgmsim_sha256"][slot])))
            info = json.loads(info_text)
    except CheckpointError:
        raise
    except Exception as err:  # h5py and json raise many kinds on damaged files
        raise corrupt(filename, "unreadable contents", err) from err
    row_hashes = {"chain": hashlib.sha256(np.ascontiguousarray(chain).tobytes()),
                  "log_prob": hashlib.sha256(np.ascontiguousarray(log_prob).tobytes())}
    actual = {"chain": row_hashes["chain"].hexdigest(),
              "log_prob": row_hashes["log_prob"].hexdigest(),
              "accepted": sha256_hex(accepted), "random_state": sha256_hex(keys, rest),
              "start": sha256_hex(*(() if start is None else (start,))),
              "provenance": sha256_hex(info_text)}
    damaged = [_DESCRIBED[k] for k in DIGEST_FIELDS if stored.get(k) != actual[k]]
    if damaged:
        raise corrupt(filename, f"SHA-256 checksum mismatch: the stored {', '.join(damaged)} "
                                "differ from what the run wrote")
    if not (np.all(np.isfinite(chain)) and not np.any(np.isnan(log_prob))):
        raise corrupt(filename, "non-finite walker positions among the committed steps")
    start_random_state = None if start is None else _random_state(keys, rest)
    return Committed(
        n=n, slot=slot, info=info, chain=chain, log_prob=log_prob, accepted=accepted,
        # before the first commit, the slot holds the random state of the start
        random_state=_random_state(keys, rest) if n > 0 else start_random_state,
        start=start, start_random_state=start_random_state, row_hashes=row_hashes,
        fixed_digests={k: actual[k] for k in ("start", "provenance")})
