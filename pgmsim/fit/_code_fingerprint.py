"""Fingerprints of the code a model is made of, for the provenance of a checkpoint.

A resumed run must sample the density the run started with. Names, priors and
data are compared directly; the code cannot be, so each deterministic node's
function and each user-written distribution class is reduced to a SHA-256 of
its source text. The digest must be the same in every process that runs the
same code, so it never includes memory addresses, ``id`` values or the order of
a set of strings (which changes with ``PYTHONHASHSEED``).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import pathlib
import textwrap
import types

import numpy as np

__all__ = ["code_fingerprint", "model_code_fingerprints"]

_PGMSIM_DIR = pathlib.Path(__file__).resolve().parents[1]
_SIMPLE = (bool, int, float, complex, str, bytes, type(None))
# nested callables followed at most this deep (closures calling helpers)
_MAX_DEPTH = 4


def model_code_fingerprints(model):
    """SHA-256 of the user code of each node: functions and distribution classes.

    Parameters
    ----------
    model : Model

    Returns
    -------
    dict
        Node name to hexadecimal digest, for every deterministic node and for
        every stochastic node whose distribution class (or an ancestor class)
        is not defined in pgmsim.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model()
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.deterministic("rate", lambda lam: 2 * lam)
    >>> _ = m.data("N", pg.Poisson("rate"), plate="obs")
    >>> sorted(model_code_fingerprints(m))
    ['rate']
    """
    fingerprints = {}
    for name in model.order:
        node = model.node(name)
        if node.func is not None:
            fingerprints[name] = code_fingerprint(node.func)
        elif node.distribution is not None:
            user = [cls for cls in type(node.distribution).__mro__ if not _ours(cls)]
            if user:
                fingerprints[name] = code_fingerprint(user)
    return fingerprints


def code_fingerprint(obj):
    """SHA-256 of what defines a callable or class: its source text.

    A function is hashed by its source (a lambda by its own text, even when it
    shares a line with others), its default values and the values it closes
    over (numbers, strings, arrays, and further functions); a function without
    source (typed in an interactive session) by its byte code and constants. A
    class is hashed by its simple attributes and its methods; a built-in or
    numpy function by its qualified name.

    Parameters
    ----------
    obj : callable, class, or list of classes

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> f, g = (lambda x: x + 1), (lambda x: x + 2)
    >>> code_fingerprint(f) == code_fingerprint(f), code_fingerprint(f) == code_fingerprint(g)
    (True, False)
    """
    digest = hashlib.sha256()
    _feed(digest, obj, _MAX_DEPTH)
    return digest.hexdigest()


def _ours(cls):
    """Whether a class is defined in pgmsim's own files (or is ``object``)."""
    if cls is object:
        return True
    if not str(getattr(cls, "__module__", "")).startswith("pgmsim"):
        return False
    # a class written in a doctest of a pgmsim module carries that module's name
    files = {getattr(getattr(f, "__code__", None), "co_filename", None)
             for f in vars(cls).values()} - {None}
    return all(_PGMSIM_DIR in pathlib.Path(f).resolve().parents for f in files)


def _feed(digest, obj, depth):
    def text(value):
        digest.update(value.encode() + b"\0")

    if depth < 0:
        text("...")
        return
    if isinstance(obj, list):
        for item in obj:
            _feed(digest, item, depth)
    elif isinstance(obj, functools.partial):
        text("partial")
        _feed(digest, obj.func, depth - 1)
        _feed_value(digest, (obj.args, sorted(obj.keywords.items())), depth - 1)
    elif isinstance(obj, types.MethodType):
        _feed(digest, obj.__func__, depth)
    elif isinstance(obj, types.FunctionType):
        _feed_function(digest, obj, depth)
    elif isinstance(obj, type):
        _feed_class(digest, obj, depth)
    elif isinstance(obj, (staticmethod, classmethod)):
        _feed(digest, obj.__func__, depth)
    elif isinstance(obj, property):
        for accessor in (obj.fget, obj.fset):
            if accessor is not None:
                _feed(digest, accessor, depth)
    else:  # built-in and numpy functions, callable instances: name and class
        text(".".join(str(getattr(obj, key, "")) for key in
                      ("__module__", "__qualname__", "__name__")))
        if not isinstance(obj, (types.BuiltinFunctionType, np.ufunc)):
            _feed_class(digest, type(obj), depth)
    wrapped = getattr(obj, "__wrapped__", None)
    if wrapped is not None and not isinstance(obj, type):
        text("wraps")
        _feed(digest, wrapped, depth - 1)


def _feed_class(digest, cls, depth):
    digest.update(f"class {cls.__qualname__}\0".encode())
    for name, value in sorted(vars(cls).items()):
        if name in ("__dict__", "__weakref__", "__module__", "__doc__"):
            continue
        if isinstance(value, _SIMPLE + (tuple,)):
            _feed_value(digest, (name, value), depth)
        elif callable(value) or isinstance(value, (staticmethod, classmethod, property)):
            digest.update(f"{name}\0".encode())
            _feed(digest, value, depth - 1)


def _feed_function(digest, func, depth):
    source = _function_source(func)
    if source is None:
        digest.update(b"code\0")
        _feed_code(digest, func.__code__)
    else:
        digest.update(source.encode() + b"\0")
    _feed_value(digest, (func.__defaults__, sorted((func.__kwdefaults__ or {}).items())),
                depth - 1)
    for cell in func.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            value = None
        if isinstance(value, type) and _ours(value):
            digest.update(f"class {value.__module__}.{value.__qualname__}\0".encode())
        elif callable(value):
            _feed(digest, value, depth - 1)
        else:
            _feed_value(digest, value, depth - 1)


def _feed_value(digest, value, depth):
    """Plain values by their text, arrays by their bytes; other objects by type
    name only (their text may hold a memory address)."""
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        digest.update(f"array {array.dtype.str} {array.shape}\0".encode())
        if array.dtype.kind in "biufc":
            digest.update(array.tobytes())
    elif isinstance(value, (tuple, list)):
        digest.update(f"seq {len(value)}\0".encode())
        for item in value:
            _feed_value(digest, item, depth)
    elif isinstance(value, _SIMPLE + (np.generic,)):
        digest.update(f"{type(value).__name__} {value!r}\0".encode())
    elif isinstance(value, types.FunctionType) and depth >= 0:
        _feed(digest, value, depth)
    else:
        digest.update(f"object {type(value).__qualname__}\0".encode())


def _feed_code(digest, code):
    """Byte code, names and constants of a code object and the ones it nests."""
    digest.update(code.co_code)
    digest.update(repr((code.co_names, code.co_varnames, code.co_argcount)).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed_code(digest, const)
        elif isinstance(const, frozenset):  # its order depends on the hash seed
            digest.update(repr(sorted(map(repr, const))).encode())
        else:
            digest.update(f"{type(const).__name__} {const!r}\0".encode())


def _function_source(func):
    """The function's source text; for a lambda, its own text; None when unknown."""
    try:
        lines, _ = inspect.getsourcelines(func)
    except (OSError, TypeError, IndexError):  # no source, or a stale one
        return None
    if func.__name__ != "<lambda>":
        return textwrap.dedent("".join(lines))
    return _lambda_source(func) or "".join(lines).strip()


def _lambda_source(func):
    """The text of one lambda among those that start on its first line.

    The whole source file is parsed (the lambda may sit inside a longer
    statement); the lambdas on the line are told apart by their argument
    names, then by compiling each and comparing constants and names.
    """
    code = func.__code__
    try:
        all_lines, _ = inspect.findsource(func)
        source = "".join(all_lines)
        tree = ast.parse(source)
    except (OSError, TypeError, IndexError, SyntaxError, ValueError):
        return None
    args = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    candidates = [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Lambda) and node.lineno == code.co_firstlineno
        and [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
        == args
    ]
    if len(candidates) > 1:
        same = [node for node in candidates if _compiles_to(node, code)]
        candidates = same or candidates
    texts = [ast.get_source_segment(source, node) for node in candidates]
    if not texts or None in texts:
        return None
    return "\n".join(texts)


def _compiles_to(node, code):
    """Whether a lambda's text compiles to ``code``: same constants and names (a
    name the lambda closes over compiles, alone, to a global name)."""
    try:
        module = compile(ast.Expression(body=node), "<lambda>", "eval")
    except (SyntaxError, ValueError, TypeError):
        return False
    made = [c for c in module.co_consts if isinstance(c, types.CodeType)]
    return bool(made) and _outline(made[0]) == _outline(code)


def _outline(code):
    constants = [repr(c) for c in code.co_consts if not isinstance(c, types.CodeType)]
    return constants, set(code.co_names) | set(code.co_freevars), code.co_varnames
