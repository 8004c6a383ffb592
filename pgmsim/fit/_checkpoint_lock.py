"""One writer per checkpoint file: its lock, and its exclusive creation under a
temporary name.

The lock is an exclusive :func:`fcntl.flock` on a side file ``NAME.lock``, not
on the HDF5 file itself: HDF5's own file locking (used by ``h5ls`` and by
h5py's default) takes ``flock`` locks on the HDF5 file, so a lock there would
block readers or be blocked by them. The kernel drops a ``flock`` lock when its
process dies, even by ``SIGKILL``, so a killed run leaves at most an unlocked
side file, never a stale lock. Without :mod:`fcntl` (Windows) no lock is
taken: two writers of one file are then not detected.
"""

from __future__ import annotations

import glob
import os
import weakref

try:
    import fcntl
except ImportError:  # Windows: no advisory locks (see the module docstring)
    fcntl = None

__all__ = ["HAS_LOCKS", "LockHeldError", "WriterLock", "temporary_name",
           "remove_stale_temporaries", "publish"]

#: whether writers lock the file (platforms with fcntl)
HAS_LOCKS = fcntl is not None


class LockHeldError(OSError):
    """Another process (or another open checkpoint) holds the writer's lock."""


def _release(fd, path):
    # remove the side file while still holding the lock: a process that opened
    # it meanwhile sees, once it gets the lock, that the name is gone and retries
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    os.close(fd)


class WriterLock:
    """The exclusive lock of the one process writing a checkpoint file.

    Parameters
    ----------
    filename : pathlib.Path
        The checkpoint file; the lock is taken on ``filename + ".lock"``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.h5"
    >>> one, two = WriterLock(path), WriterLock(path)
    >>> one.acquire()
    >>> try:
    ...     two.acquire()
    ... except LockHeldError:
    ...     print("refused")
    refused
    >>> one.release(); two.acquire(); two.held
    True
    >>> two.release()
    """

    def __init__(self, filename):
        self.path = filename.with_name(filename.name + ".lock")
        self._finalizer = None

    @property
    def held(self):
        """Whether this object holds the lock."""
        return self._finalizer is not None and self._finalizer.alive

    def acquire(self):
        """Take the lock at once, or raise :class:`LockHeldError`.

        Does nothing where :mod:`fcntl` is missing, or when already held.
        """
        if self.held or fcntl is None:
            return
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise LockHeldError(f"'{self.path}' is locked by another writer") from None
            except OSError:
                os.close(fd)
                raise
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the previous holder removed the name as it let go
        # released on release(), when the object is collected, or at exit
        self._finalizer = weakref.finalize(self, _release, fd, self.path)

    def release(self):
        """Let go of the lock and remove the side file (if held)."""
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None


def temporary_name(filename):
    """Where ``filename`` is written before it is published: unique per process."""
    return filename.with_name(f"{filename.name}.{os.getpid()}.tmp")


def remove_stale_temporaries(filename):
    """Remove the temporary files of runs killed while creating ``filename``.

    Only the holder of the writer's lock creates them, so the caller, holding
    it, knows they are left over. Without locks nothing is removed: another
    live process may be writing one.
    """
    if not HAS_LOCKS:
        return
    pattern = glob.escape(str(filename)) + ".*.tmp"
    for stale in glob.glob(pattern):
        try:
            os.unlink(stale)
        except FileNotFoundError:
            pass


def publish(tmp, filename, replace):
    """Give the finished temporary file its name, atomically.

    Without ``replace`` an existing ``filename`` is never replaced (a hard
    link fails if the name exists); on a file system without hard links the
    file is renamed after a check, which the writer's lock keeps exclusive.

    Raises
    ------
    FileExistsError
        If ``filename`` exists and ``replace`` is false.
    """
    if replace:
        os.replace(tmp, filename)
        return
    try:
        os.link(tmp, filename)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(filename):
            raise FileExistsError(filename) from None
        os.replace(tmp, filename)
    else:
        os.unlink(tmp)
