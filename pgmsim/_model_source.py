"""Where the ``pgmsim`` command finds a model: a built-in name, a file or a module.

Every command that takes a model accepts

- the name of a ready-made model (``pgmsim list``), e.g. ``xray_agn``;
- ``path/to/file.py``, a Python file of one's own;
- ``package.module``, an importable module;

each optionally followed by ``:function``, the function to call instead of
``build``. The module follows the contract of the ready-made models: it
defines ``build()``, returning a :class:`pgmsim.Model`, and where it has
them, ``default_inputs(seed=...)``, ``TRUTH``, ``DESCRIPTION``,
``initial_guess(inputs, data)``, ``default_keep(seed=...)`` and
``view_image(image, inputs)`` are used as for the ready-made models.

Whatever is wrong with the source (a missing file, a syntax error, an error
while importing it, no ``build``) is a :class:`ModelSourceError` of one
line that names the file or module.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import pathlib
import re
import sys
import traceback
import types
from dataclasses import dataclass

__all__ = ["ModelSourceError", "ModelSource", "load_model", "MODEL_CONTRACT"]

#: what a model file or module may define, as said in messages
MODEL_CONTRACT = ("build() returning a pgmsim.Model; for run and simulate also "
                  "default_inputs(seed=...) giving the fixed inputs of a mock, and for run "
                  "TRUTH, the parameter values of that mock")

#: the start of the module names of model files
_FILE_PREFIX = "pgmsim_model_"
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*\Z")
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\Z")


class ModelSourceError(ValueError):
    """A model file or module that cannot be used; the message names it.

    Examples
    --------
    >>> try:
    ...     load_model("no/such/model.py")
    ... except ModelSourceError as err:
    ...     print(err)
    model file 'no/such/model.py' does not exist
    """


@dataclass(frozen=True)
class ModelSource:
    """A model's module and the function that builds it.

    Parameters
    ----------
    label : str
        The model as the user gave it (a name, a path or a module), for
        messages.
    module : module
        The module holding the model.
    function : str
        The name of the function that builds the model.
    builtin : bool
        A ready-made model of :mod:`pgmsim.models`; its errors are not
        wrapped in :class:`ModelSourceError` (they would be pgmsim's bugs).

    Examples
    --------
    >>> source = load_model("xray_agn")
    >>> source.builtin, source.function, source.build().name
    (True, 'build', 'xray_agn')
    """

    label: str
    module: types.ModuleType
    function: str = "build"
    builtin: bool = False

    @property
    def what(self):
        """How messages name the source: ``model file 'x.py'``, ``model 'pkg.mod'``.

        Returns
        -------
        str

        Examples
        --------
        >>> load_model("xray_agn").what
        "model 'xray_agn'"
        """
        kind = "model file" if self.label.split(":")[0].endswith(".py") else "model"
        return f"{kind} {self.label!r}"

    @property
    def description(self):
        """``DESCRIPTION``, or else the first line of the module's docstring.

        Returns
        -------
        str
            Empty when the module has neither.

        Examples
        --------
        >>> load_model("xray_agn").description
        'X-ray postage stamp of an AGN: Gaussian PSF on a uniform background, Poisson counts'
        """
        text = getattr(self.module, "DESCRIPTION", None) or self.module.__doc__ or ""
        lines = text.strip().splitlines()
        return lines[0] if lines else ""

    def has(self, name):
        """Whether the module defines ``name``.

        Parameters
        ----------
        name : str

        Returns
        -------
        bool

        Examples
        --------
        >>> source = load_model("xray_agn")
        >>> source.has("TRUTH"), source.has("default_keep")
        (True, False)
        """
        return hasattr(self.module, name)

    def require(self, name, needed_for):
        """Refuse a source that does not define ``name``.

        Parameters
        ----------
        name : str
            What is needed, e.g. ``"TRUTH"``.
        needed_for : str
            What for, for the message: ``"by run to simulate the mock it fits"``.

        Raises
        ------
        ModelSourceError
            Naming the source, what it lacks and what a model defines.

        Examples
        --------
        >>> load_model("xray_agn").require("TRUTH", "by run")
        >>> load_model("pgmsim.models.xray_agn:load_stamp").require("LABELS", "by nothing")
        Traceback (most recent call last):
          ...
        pgmsim._model_source.ModelSourceError: model '...' defines no LABELS, needed by nothing; ...
        """
        if not self.has(name):
            raise ModelSourceError(f"{self.what} defines no {name}, needed {needed_for}; "
                                   f"a model defines {MODEL_CONTRACT}")

    def call(self, name, *args, **kwargs):
        """Call the module's function ``name``; a user's error becomes one line.

        Parameters
        ----------
        name : str
            ``default_inputs``, ``initial_guess``, ...
        *args, **kwargs
            Its arguments.

        Returns
        -------
        object
            What it returned.

        Raises
        ------
        ModelSourceError
            What it raised, with the line of the source, for a model that is
            not a ready-made one.

        Examples
        --------
        >>> sorted(load_model("xray_agn").call("default_inputs", seed=1))
        ['ex', 'x', 'y']
        """
        function = getattr(self.module, name)
        if self.builtin:
            return function(*args, **kwargs)
        try:
            return function(*args, **kwargs)
        except Exception as err:  # anything the user's code raises, said in one line
            raise ModelSourceError(
                f"{self.what}: {name}() raised {_said(err, self.module.__file__)}") from err

    def build(self, **kwargs):
        """The model, as the source's build function makes it.

        Parameters
        ----------
        **kwargs
            Passed to the function (``keep=`` of a model whose mocks drop
            pixels).

        Returns
        -------
        pgmsim.Model

        Raises
        ------
        ModelSourceError
            The function raised, or returned something else than a model.

        Examples
        --------
        >>> load_model("pgmsim.models.xray_agn").build(size=20).plates["pixels"].size
        400
        """
        from .graph.model import Model

        model = self.call(self.function, **kwargs)
        if not isinstance(model, Model):
            raise ModelSourceError(f"{self.what}: {self.function}() returned "
                                   f"{type(model).__name__}, not a pgmsim.Model")
        return model


def _said(err, filename=None):
    """``Kind: message (line N)``, N the last line of ``filename`` in the traceback.

    Without ``filename``: ``(file F, line N)`` of the last frame outside importlib.
    """
    text = f"{type(err).__name__}: {err}"
    frames = [frame for frame in traceback.extract_tb(err.__traceback__)
              if (frame.filename == filename if filename
                  else not frame.filename.startswith("<frozen"))]
    if not frames:
        return text
    if filename:
        return f"{text} (line {frames[-1].lineno})"
    return f"{text} (file {frames[-1].filename!r}, line {frames[-1].lineno})"


def _split_function(spec):
    """``(source, function)`` of ``source:function``; function ``build`` without one."""
    head, colon, tail = spec.rpartition(":")
    if colon and head and _IDENTIFIER.match(tail):
        return head, tail
    return spec, "build"


def loaded_model_files():
    """The model files imported in this process, as ``{module name: path}``.

    A worker process that receives a model pickled here needs the same
    modules, which only :func:`import_model_files` can give it: their names
    are made up by this loader, so no worker can import them by name.
    """
    return {name: module.__file__ for name, module in list(sys.modules.items())
            if name.startswith(_FILE_PREFIX)}


def import_model_files(files):
    """Import, in a worker process, the model files the caller had loaded.

    Parameters
    ----------
    files : dict
        :func:`loaded_model_files` of the caller. A module the worker has
        already (a forked worker, a task after the first) is not imported again.
    """
    for name, path in files.items():
        if name not in sys.modules:
            _file_module(pathlib.Path(path), path)


def _file_module(path, label):
    """Import a Python file under a name of its own, registered in :data:`sys.modules`.

    The name holds a hash of the resolved path: two files called
    ``model.py`` do not collide, and the functions of a file pickle by
    reference (within this process) as those of any module do.
    """
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise ModelSourceError(f"model file {label!r} {what}")
    resolved = path.resolve()
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:12]
    stem = re.sub(r"\W", "_", path.stem)
    name = f"{_FILE_PREFIX}{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    # as `python file.py` does: the file may import the modules beside it
    sys.path.insert(0, str(resolved.parent))
    try:
        spec.loader.exec_module(module)
    except SyntaxError as err:
        del sys.modules[name]
        raise ModelSourceError(f"model file {label!r} has a syntax error at line "
                               f"{err.lineno}: {err.msg}") from err
    except Exception as err:  # anything the user's code raises on import, in one line
        del sys.modules[name]
        raise ModelSourceError(
            f"model file {label!r} failed to import: {_said(err, str(resolved))}") from err
    finally:
        sys.path.remove(str(resolved.parent))
    return module


def _imported_module(name, label, builtin_names):
    """Import ``package.module``; a module that is not there is an unknown model."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        parts = name.split(".")
        if err.name in {".".join(parts[:i + 1]) for i in range(len(parts))}:
            raise ModelSourceError(
                f"unknown model {label!r}; known models: {', '.join(builtin_names)}; or give "
                "path/to/model.py or package.module") from err
        raise ModelSourceError(f"model {label!r} failed to import: {_said(err)}") from err
    except Exception as err:  # anything the module raises on import, in one line
        raise ModelSourceError(f"model {label!r} failed to import: {_said(err)}") from err


def load_model(spec, builtin_names=None):
    """The model source that ``spec`` names.

    Parameters
    ----------
    spec : str, pathlib.Path, module or ModelSource
        A ready-made model's name, ``path/to/file.py`` or ``package.module``,
        each optionally followed by ``:function``; or a module, taken as it
        is.
    builtin_names : sequence of str, optional
        The ready-made models; those of :mod:`pgmsim.models` by default.

    Returns
    -------
    ModelSource

    Raises
    ------
    ModelSourceError
        An unknown name, a missing file, a syntax error or an error raised
        while importing, no ``build`` (or no ``:function``).

    Examples
    --------
    >>> load_model("xray_agn").module.__name__
    'pgmsim.models.xray_agn'
    >>> load_model("pgmsim.models.xray_agn:default_inputs").function
    'default_inputs'
    >>> load_model("nope")
    Traceback (most recent call last):
      ...
    pgmsim._model_source.ModelSourceError: unknown model 'nope'; known models: ...
    """
    if isinstance(spec, ModelSource):
        return spec
    if builtin_names is None:
        from .cli import MODELS as builtin_names
    if isinstance(spec, types.ModuleType):
        # a module of a model file, as load_model(path).module gave it, is named by its file
        label = spec.__file__ if spec.__name__.startswith(_FILE_PREFIX) else spec.__name__
        source = ModelSource(label, spec, builtin=spec.__name__.startswith("pgmsim.models."))
    else:
        spec = str(spec)
        path, function = _split_function(spec)
        if path.endswith(".py") or "/" in path or "\\" in path:
            source = ModelSource(spec, _file_module(pathlib.Path(path), path), function)
        elif path in builtin_names:
            module = importlib.import_module(f"pgmsim.models.{path}")
            source = ModelSource(spec, module, function, builtin=True)
        elif _DOTTED.match(path):
            module = _imported_module(path, spec, builtin_names)
            source = ModelSource(spec, module, function,
                                 builtin=module.__name__.startswith("pgmsim.models."))
        else:
            raise ModelSourceError(f"unknown model {spec!r}; known models: "
                                   f"{', '.join(builtin_names)}; or give path/to/model.py "
                                   "or package.module")
    if not callable(getattr(source.module, source.function, None)):
        if source.function == "build":
            raise ModelSourceError(f"{source.what} defines no build(); a model defines "
                                   f"{MODEL_CONTRACT}")
        raise ModelSourceError(f"{source.what} has no function {source.function!r}")
    return source
