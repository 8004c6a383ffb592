"""Attributes of a package that load on first use (PEP 562), so that importing
the package stays quick."""

import importlib
import sys


def load_on_first_use(package, submodules, names=None):
    """A module-level ``__getattr__`` that imports what is asked for.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    submodules : sequence of str
        Submodules returned as attributes of the package.
    names : dict, optional
        Public name to the submodule (relative to ``package``) defining it.

    Returns
    -------
    callable
        To assign to the package's ``__getattr__``.

    Examples
    --------
    >>> import sys
    >>> getattr_ = load_on_first_use("pgmsim.fit", ["optimize"], {"grid": "optimize"})
    >>> getattr_("grid").__module__
    'pgmsim.fit.optimize'
    >>> getattr_("nothing")
    Traceback (most recent call last):
        ...
    AttributeError: module 'pgmsim.fit' has no attribute 'nothing'
    """
    names = dict(names or {})

    def __getattr__(name):
        if name in submodules:
            # import_module binds the module as an attribute of the package
            return importlib.import_module(f"{package}.{name}")
        if name in names:
            value = getattr(importlib.import_module(f"{package}.{names[name]}"), name)
            setattr(sys.modules[package], name, value)  # later look-ups skip __getattr__
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
