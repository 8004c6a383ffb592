"""Node kinds and nodes: the plain data a model graph is made of (plates are in
:mod:`.plates`)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Callable, Optional

from ..distributions import Distribution

__all__ = ["ModelError", "NodeKind", "Node", "default_label"]


class ModelError(ValueError):
    """A mistake in the declaration of a model; the message names the node.

    Raised when the node is declared, not later when the model is used.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("demo")
    >>> m.data("N", pg.Poisson("mu"))
    Traceback (most recent call last):
      ...
    pgmsim.graph.nodes.ModelError: node 'N' refers to unknown node(s) 'mu'; known nodes: none yet (declare parents before their children)
    """


class NodeKind(enum.Enum):
    """What a node holds; decides how it is simulated, factorised and drawn.

    ``PARAMETER``: a prior, sampled by emcee, drawn as an open circle.
    ``FIXED``: a known input, conditioned on, drawn as a dot.
    ``DETERMINISTIC``: a function of its parents, folded into its children's
    factors, drawn as a dot. ``DATA``: a sampling distribution, drawn as a
    circle (a double circle when observed). ``FACTOR``: a free term
    ``func(parents)`` added to the log-density (Stan's ``target +=``), written
    as a factor :math:`\\psi` in the factorization.

    Examples
    --------
    >>> from pgmsim.graph.nodes import NodeKind
    >>> NodeKind("data"), NodeKind.DATA.stochastic, NodeKind.FIXED.stochastic
    (<NodeKind.DATA: 'data'>, True, False)
    """

    PARAMETER = "parameter"
    FIXED = "fixed"
    DETERMINISTIC = "deterministic"
    DATA = "data"
    FACTOR = "factor"

    @property
    def stochastic(self):
        """Whether nodes of this kind have a distribution (parameters and data)."""
        return self in (NodeKind.PARAMETER, NodeKind.DATA)


@dataclass(frozen=True)
class Node:
    """One vertex of the model graph.

    Parameters
    ----------
    name : str
        Identifier, also the argument name under which user functions receive it.
    kind : NodeKind
    label : str
        LaTeX label without the plate index, e.g. ``\\sigma``.
    plate : str or None
        The plate the node lives on; its value is then a vector along it.
    distribution : Distribution or None
        Prior (parameters) or sampling distribution (data).
    func : callable or None
        The function of a deterministic node.
    parents : tuple of str
        Names of the nodes this one depends on.
    unit : astropy.units.UnitBase or None
        The unit of its values, if declared (see :mod:`pgmsim.graph.units`).
    shape : tuple of int
        ``(D,)`` for a vector parameter declared with ``shape=D``; ``()`` otherwise.

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> node = xray_agn.build().node("mu")
    >>> node.kind, node.plate, node.parents
    (<NodeKind.DETERMINISTIC: 'deterministic'>, 'pixels', ('x0', 'y0', 'F', 'b', 'sigma', 'ex', 'x', 'y'))
    """

    name: str
    kind: NodeKind
    label: str
    plate: Optional[str] = None
    distribution: Optional[Distribution] = None
    func: Optional[Callable] = None
    parents: tuple = ()
    unit: Optional[object] = None
    shape: tuple = ()


_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon",
    "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi",
    "Sigma", "Upsilon", "Phi", "Psi", "Omega",
}


def _symbol(word):
    if word in _GREEK:
        return "\\" + word
    if word == "lam":
        return r"\lambda"
    return word


def default_label(name):
    r"""LaTeX label guessed from a node name.

    ``x0`` becomes ``x_0``, ``sigma`` becomes ``\sigma``, ``sigma_pop`` becomes
    ``\sigma_{\mathrm{pop}}`` and ``S02`` becomes ``S_{02}``.

    Parameters
    ----------
    name : str
        A node name.

    Returns
    -------
    str
        LaTeX, without ``$`` delimiters: Greek letter names become Greek
        letters, trailing digits and the part after an underscore become a
        subscript, other words of several letters are set upright.

    Examples
    --------
    >>> default_label("x0"), default_label("sigma"), default_label("mu_pop")
    ('x_0', '\\sigma', '\\mu_{\\mathrm{pop}}')
    """
    head, _, tail = name.partition("_")
    match = re.fullmatch(r"([A-Za-z]+?)(\d+)", head)
    if match and not tail:
        base, digits = match.groups()
        sub = digits if len(digits) == 1 else "{" + digits + "}"
        return f"{_symbol(base)}_{sub}"
    if not tail:
        if len(head) > 1 and head not in _GREEK and head != "lam":
            return rf"\mathrm{{{head}}}"
        return _symbol(head)
    sub = _symbol(tail) if tail in _GREEK or len(tail) == 1 else rf"\mathrm{{{tail}}}"
    return f"{default_label(head)}_{{{sub}}}"


def indexed(label, index):
    """Append a plate index to a LaTeX label: ``N`` -> ``N_k``, ``x_0`` -> ``x_{0,k}``."""
    if not index:
        return label
    match = re.fullmatch(r"(.*)_\{(.*)\}", label) or re.fullmatch(r"(.*)_(\w)", label)
    if match:
        base, sub = match.groups()
        return f"{base}_{{{sub},{index}}}"
    return f"{label}_{index}" if len(index) == 1 else f"{label}_{{{index}}}"
