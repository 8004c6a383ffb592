r"""The joint-PDF factorization of a model, in LaTeX and plain text.

One factor per stochastic node (parameter or data). Deterministic nodes are
folded into their stochastic children: a factor is conditioned on the
stochastic ancestors reached through deterministic nodes. Fixed inputs are
conditioned on throughout and do not appear. Factors of nodes on a plate are
gathered under one product over the plate's index. Vector parameters
(``shape=D``) are written in bold; factor nodes (``m.factor``) give the free
factors :math:`\psi_{\mathrm{name}}(\ldots)` at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .graph.nodes import NodeKind, indexed

__all__ = ["Factor", "Factorization", "factorization"]


@dataclass(frozen=True)
class Factor:
    """One factor ``p(node | given)``.

    Attributes
    ----------
    node : str
    given : tuple of str
        Stochastic parents after folding deterministic nodes.
    plate : str or None
    joint : tuple of str
        The other parameters of a joint prior, which share this factor:
        ``p(x_0, y_0)`` has ``node="x0"`` and ``joint=("y0",)``.
    free : bool
        Whether it is the free factor ``psi_node(given)`` of a factor node.

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> xray_agn.build().factorization().factors[-1]
    Factor(node='N', given=('x0', 'y0', 'F', 'b', 'sigma'), plate='pixels', joint=(), free=False)
    """

    node: str
    given: tuple
    plate: str | None
    joint: tuple = ()
    free: bool = False

    @property
    def nodes(self):
        """All the nodes of the factor: ``(node,) + joint``."""
        return (self.node,) + tuple(self.joint)


@dataclass
class Factorization:
    """The factorization of a model's joint density.

    ``str()`` gives plain text; :attr:`latex` (and ``_repr_latex_`` in a
    notebook) gives LaTeX.

    Attributes
    ----------
    factors : list of Factor
    latex : str
        LaTeX, without math delimiters.
    text : str
        Plain text.
    lines : list of str
        With ``verbose=True``, the plain-text line of each factor's
        distribution (``x0 ~ Uniform(0, 40)``); empty otherwise.

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> f = xray_agn.build().factorization(verbose=True)
    >>> f.lines[0], f.lines[-1]
    ('x0 ~ Uniform(0, 40)', 'N_k ~ Poisson(mu)')
    >>> "aligned" in f.latex  # one row per line, aligned on the signs
    True
    """

    factors: list
    latex: str
    text: str
    lines: list = field(default_factory=list)

    def __str__(self):
        return self.text

    def _repr_latex_(self):
        return f"$$\n{self.latex}\n$$"


def _stochastic_parents(model, name):
    """Stochastic ancestors of ``name`` reached through deterministic nodes."""
    found, stack, seen = [], list(model.node(name).parents), set()
    while stack:
        parent = stack.pop(0)
        if parent in seen:
            continue
        seen.add(parent)
        kind = model.node(parent).kind
        if kind.stochastic:
            found.append(parent)
        elif kind is NodeKind.DETERMINISTIC:
            stack.extend(model.node(parent).parents)
    order = {n: i for i, n in enumerate(model.order)}
    return tuple(sorted(found, key=order.get))


def _latex_label(model, name):
    node = model.node(name)
    if node.shape:
        return rf"\boldsymbol{{{node.label}}}"
    index = model.plate_index(node.plate)
    return indexed(node.label, index)


def _text_label(model, name):
    node = model.node(name)
    index = model.plate_index(node.plate)
    return f"{name}_{index}" if index else name


def _write(model, factors, label, comma, bar, prod, bracket, psi):
    """The factors as strings, those on one plate gathered under a product."""
    def one(f):
        if f.free:
            return f"{psi(f.node)}({comma.join(label(model, g) for g in f.given)})"
        lhs = comma.join(label(model, n) for n in f.nodes)
        if not f.given:
            return f"p({lhs})"
        return f"p({lhs}{bar}{comma.join(label(model, g) for g in f.given)})"

    parts, i = [], 0
    while i < len(factors):
        plate = factors[i].plate
        group = [f for f in factors[i:]]
        end = next((j for j, f in enumerate(group) if f.plate != plate), len(group))
        body = [one(f) for f in group[:end]]
        if plate is None:
            parts.extend(body)
        else:
            index = model.plate_index(plate)
            parts.append(prod(index, bracket(body) if len(body) > 1 else body[0]))
        i += end
    return parts


def factorization(model, verbose=False):
    r"""Write the joint density of a model as a product of factors.

    Parameters
    ----------
    model : Model
    verbose : bool
        Also list each stochastic node's distribution
        (``x_0 \sim \mathcal{U}(0, 40)``).

    Returns
    -------
    Factorization

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> m.factorization().latex
    'p(\\lambda,\\{N_k\\}) = p(\\lambda)\\,\\prod_k p(N_k\\mid \\lambda)'
    """
    stochastic = [n for n in model.order if model.node(n).kind.stochastic]
    # parameters first (they are the priors), then data; plates kept together
    plate_rank = {None: 0, **{p: i + 1 for i, p in enumerate(model.plates)}}
    kind_rank = {NodeKind.PARAMETER: 0, NodeKind.DATA: 1}
    position = {n: i for i, n in enumerate(stochastic)}

    def key(n):
        node = model.node(n)
        outer = plate_rank[model.plate_chain(node.plate)[-1]] if node.plate else 0
        return (kind_rank[node.kind], outer, plate_rank[node.plate], position[n])

    ordered = sorted(stochastic, key=key)
    factors = []
    for n in ordered:
        # the parameters of a joint prior share one factor, written at the first
        group = model.prior_group(n) if model.node(n).kind is NodeKind.PARAMETER else (n,)
        if n != group[0]:
            continue
        given = tuple(dict.fromkeys(g for m in group for g in _stochastic_parents(model, m)))
        factors.append(Factor(n, given, model.node(n).plate, joint=group[1:]))
    factors.extend(Factor(n, _stochastic_parents(model, n), None, free=True)
                   for n in model.names(NodeKind.FACTOR))

    def latex_joint(n):
        label = _latex_label(model, n)
        return rf"\{{{label}\}}" if model.node(n).plate else label

    def text_joint(n):
        label = _text_label(model, n)
        return f"{{{label}}}" if model.node(n).plate else label

    latex_parts = _write(model, factors, _latex_label, ",", r"\mid ",
                         lambda i, b: rf"\prod_{{{i}}} {b}" if "," in i else rf"\prod_{i} {b}",
                         lambda b: r"\left[" + r"\,".join(b) + r"\right]",
                         lambda n: rf"\psi_{{\mathrm{{{n}}}}}".replace("_", r"\_")
                         .replace(r"\psi\_", r"\psi_", 1))
    text_parts = _write(model, factors, _text_label, ", ", " | ",
                        lambda i, b: f"prod_{i} {b}", lambda b: "[" + " ".join(b) + "]",
                        lambda n: f"psi_{n}")
    latex = (f"p({','.join(latex_joint(n) for n in stochastic)}) = "
             + r"\,".join(latex_parts))
    text = f"p({', '.join(text_joint(n) for n in stochastic)}) = " + " ".join(text_parts)
    lines = []
    if verbose:
        labels = {n: _latex_label(model, n) for n in model.graph}
        latex_lines, text_lines = [], []
        by_node = {f.node: f for f in factors if not f.free}
        for f in (by_node[n] for n in stochastic if n in by_node):
            lhs = ", ".join(labels[n] for n in f.nodes)
            lhs_text = ", ".join(_text_label(model, n) for n in f.nodes)
            if f.joint:
                lhs, lhs_text = f"({lhs})", f"({lhs_text})"
            latex_lines.append(rf"{lhs} &\sim {model.node(f.node).distribution.latex(labels)}")
            text_lines.append(f"{lhs_text} ~ {model.node(f.node).distribution.text()}")
        latex = r"\begin{aligned}" + "\n" + latex.replace(" = ", " &= ", 1) + r"\\" + "\n" \
            + "\\\\\n".join(latex_lines) + "\n" + r"\end{aligned}"
        text = text + "\n" + "\n".join("  " + t for t in text_lines)
        lines = text_lines
    return Factorization(factors=factors, latex=latex, text=text, lines=lines)
