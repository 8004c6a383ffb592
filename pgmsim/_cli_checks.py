"""Checks of the ``pgmsim`` command's arguments, and its one-line errors.

A mistake on the command line ends the command with one line on stderr,
``pgmsim COMMAND: error: MESSAGE``, and exit status 2, before anything is
written. The checks raise the builtin errors of the library and speak of
Python arguments (``nsteps``, ``overwrite=True``), as :func:`pgmsim.cli.run_model`
does; :func:`speak_of_flags` rewrites such a message in terms of the flags.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

import numpy as np

__all__ = ["UsageError", "Parser", "speak_of_flags", "check_count", "steps_argument",
           "check_output_folder", "check_output_file", "FITS_SUFFIXES"]

#: file names that :mod:`astropy.io.fits` writes (gzip-compressed with ``.gz``)
FITS_SUFFIXES = ("fits", "fit", "fts", "fits.gz", "fit.gz", "fts.gz")

_SWITCHES = re.compile(r"(?<![\w-])(resume|overwrite)=True\b")
_VALUES = re.compile(r"(?<![\w-])(out|output|nsteps|nwalkers|seed|max_steps)=")
_WORDS = re.compile(r"(?<![\w/.-])(nsteps|nwalkers|seed|max_steps)(?![\w/.-])")


class UsageError(SystemExit):
    """A mistake on the command line: exit status 2.

    Parameters
    ----------
    line : str
        The line printed on stderr, which is also the text of the error.

    Examples
    --------
    >>> err = UsageError("pgmsim run: error: --nsteps must be a positive integer, got -5")
    >>> err.code, str(err)
    (2, 'pgmsim run: error: --nsteps must be a positive integer, got -5')
    """

    def __init__(self, line):
        super().__init__(2)
        self.line = line

    def __str__(self):
        return self.line


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, exit status 2.

    argparse prints the usage before its error; the usage is one
    ``--help`` away, and one line is what scripts and users read.

    Examples
    --------
    >>> import contextlib, io
    >>> parser = Parser(prog="pgmsim")
    >>> _ = parser.add_argument("--nsteps", type=int)
    >>> printed = io.StringIO()
    >>> with contextlib.redirect_stderr(printed):
    ...     try:
    ...         parser.parse_args(["--nsteps", "2.5"])
    ...     except SystemExit as err:
    ...         print(err.code)
    2
    >>> printed.getvalue()
    "pgmsim: error: argument --nsteps: invalid int value: '2.5'\\n"
    """

    def error(self, message):
        """Print ``PROG: error: MESSAGE`` on one line of stderr and exit with status 2.

        Parameters
        ----------
        message : str
            What is wrong; line breaks become spaces.

        Raises
        ------
        UsageError
            Always, with exit status 2.

        Examples
        --------
        >>> import contextlib, io
        >>> with contextlib.redirect_stderr(io.StringIO()):
        ...     Parser(prog="pgmsim render").error("unknown model 'nope'")
        Traceback (most recent call last):
          ...
        pgmsim._cli_checks.UsageError: pgmsim render: error: unknown model 'nope'
        """
        line = f"{self.prog}: error: {' '.join(str(message).split())}"
        print(line, file=sys.stderr)
        raise UsageError(line)


def speak_of_flags(message):
    """A message about Python arguments, said in terms of the command's flags.

    Parameters
    ----------
    message : str or Exception

    Returns
    -------
    str
        One line: ``resume=True`` becomes ``--resume``, ``nwalkers=8``
        becomes ``--nwalkers 8``, a bare ``nsteps`` becomes ``--nsteps``.

    Examples
    --------
    >>> speak_of_flags("nsteps must be a positive integer, got -5")
    '--nsteps must be a positive integer, got -5'
    >>> speak_of_flags("pass resume=True to continue it, or overwrite=True to start again")
    'pass --resume to continue it, or --overwrite to start again'
    >>> speak_of_flags("resume it with nwalkers=8, not 10; file '/tmp/seed/chain.h5'")
    "resume it with --nwalkers 8, not 10; file '/tmp/seed/chain.h5'"
    >>> speak_of_flags('max_steps=500 limits nsteps="auto" runs only')
    '--max-steps 500 limits --nsteps auto runs only'
    """
    line = " ".join(str(message).split()).replace('"auto"', "auto")
    line = _SWITCHES.sub(r"--\1", line)
    line = _VALUES.sub(lambda m: f"--{m[1].replace('_', '-')} ", line)
    return _WORDS.sub(lambda m: f"--{m[1].replace('_', '-')}", line)


def steps_argument(text):
    """The value of ``--nsteps``: ``auto`` or an integer (its sign is checked later).

    Parameters
    ----------
    text : str

    Returns
    -------
    int or str

    Raises
    ------
    argparse.ArgumentTypeError
        Neither an integer nor ``auto``; argparse names the flag.

    Examples
    --------
    >>> steps_argument("2000"), steps_argument("auto")
    (2000, 'auto')
    >>> steps_argument("often")
    Traceback (most recent call last):
      ...
    argparse.ArgumentTypeError: must be a positive integer or auto, got 'often'
    """
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a positive integer or auto, got {text!r}") from None


def check_count(name, value, minimum=1):
    """Refuse a count or seed that is not an integer of at least ``minimum``.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
    minimum : int
        1 for counts, 0 for seeds.

    Raises
    ------
    ValueError
        Naming the argument and the value.

    Examples
    --------
    >>> check_count("nsteps", 100)
    >>> check_count("nsteps", -5)
    Traceback (most recent call last):
      ...
    ValueError: nsteps must be a positive integer, got -5
    >>> check_count("seed", 2.5, minimum=0)
    Traceback (most recent call last):
      ...
    ValueError: seed must be a non-negative integer, got 2.5
    """
    integer = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not (integer and value >= minimum):
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}")
        raise ValueError(f"{name} must be {kind}, got {value!r}")


def _check_parent(path, name):
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise FileNotFoundError(f"{name}={str(path)!r}: the folder '{parent}' {what}; "
                                "create it first or choose another path")


def check_output_folder(out):
    """Refuse an output folder that is a file or whose parent folder is missing.

    Parameters
    ----------
    out : str or pathlib.Path

    Returns
    -------
    pathlib.Path
        ``out``, which exists as a folder or can be made with one ``mkdir``.

    Raises
    ------
    NotADirectoryError
        ``out`` is a file.
    FileNotFoundError
        The folder that would hold ``out`` is missing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> top = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_folder(top / "run") == top / "run"
    True
    >>> check_output_folder(top / "missing" / "run")
    Traceback (most recent call last):
      ...
    FileNotFoundError: out='.../missing/run': the folder '.../missing' does not exist; ...
    """
    out = pathlib.Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"out={str(out)!r} is a file, not a folder; "
                                 "choose a folder for the outputs")
    _check_parent(out, "out")
    return out


def check_output_file(path, suffixes, overwrite=False):
    """Refuse an output file of unknown format, in a missing folder, or that exists.

    Parameters
    ----------
    path : str or pathlib.Path
    suffixes : iterable of str
        The file name endings (without the dot) of the formats that can be
        written.
    overwrite : bool
        Whether an existing file may be replaced.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        The file name ends with no known suffix.
    IsADirectoryError
        ``path`` is a folder.
    FileNotFoundError
        Its folder is missing.
    FileExistsError
        It exists and ``overwrite`` is not set.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> top = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_file(top / "mock.fits", FITS_SUFFIXES).name
    'mock.fits'
    >>> check_output_file(top / "mock.xyz", FITS_SUFFIXES)
    Traceback (most recent call last):
      ...
    ValueError: output='.../mock.xyz': unknown format; name the file ... .fits, .fit, ...
    """
    path = pathlib.Path(path)
    suffixes = list(suffixes)
    if not any(path.name.lower().endswith("." + s) for s in suffixes):
        raise ValueError(f"output={str(path)!r}: unknown format; name the file with one "
                         f"of the suffixes {', '.join('.' + s for s in suffixes)}")
    if path.is_dir():
        raise IsADirectoryError(f"output={str(path)!r} is a folder; give a file name")
    _check_parent(path, "output")
    if path.exists() and not overwrite:
        raise FileExistsError(f"output={str(path)!r} already exists; pass overwrite=True "
                              "to replace it, or choose another name")
    return path
