"""The PGM as LaTeX source for the ``tikz-bayesnet`` package, at the layout's positions.

Authors of papers draw PGMs with ``tikz-bayesnet``; this writes the same
drawing as :func:`pgmsim.draw.render.render`: one TikZ unit is one layout
unit (2 cm, as in the daft figure), nodes sit at the layout's positions, and
plates are the layout's rectangles (``\\plate`` fitted to two corner
coordinates). Node kinds map to the package's styles (:data:`TIKZ_STYLES`).
"""

from __future__ import annotations

import re

from .labels import label_text
from .layout import layout
from ..graph.nodes import NodeKind

__all__ = ["to_tikz", "tikz_name", "TIKZ_STYLES"]

#: tikz-bayesnet style by node kind; data nodes are ``obs`` when observed
TIKZ_STYLES = {
    NodeKind.PARAMETER: "latent",
    NodeKind.DATA: "obs",
    NodeKind.FIXED: "const",
    NodeKind.DETERMINISTIC: "det",
    NodeKind.FACTOR: "factor",
}
_LABELLED_BESIDE = (NodeKind.FACTOR,)   # styles drawn without text inside

_PREAMBLE = ("\\documentclass[tikz]{standalone}\n"
             "\\usepackage{amsmath,amssymb,bm}\n"
             "\\usetikzlibrary{bayesnet}\n"
             "\\begin{document}\n")


def tikz_name(name, prefix="n"):
    """A TikZ name for a model node or plate: letters, digits and dashes only.

    A name of ASCII letters, digits and underscores keeps its letters (each
    underscore made a dash); any other name is written in hexadecimal after
    ``<prefix>x-``, so that two names never get the same TikZ name.

    Parameters
    ----------
    name : str
        The node's or plate's name.
    prefix : str
        ``"n"`` for a node, ``"p"`` for a plate, ``"sw"`` and ``"ne"`` for a
        plate's corners.

    Returns
    -------
    str
        ``<prefix>-`` and the name.

    Examples
    --------
    >>> from pgmsim.draw.tikz import tikz_name
    >>> tikz_name("m_obs"), tikz_name("pixels", "p"), tikz_name("σ")
    ('n-m-obs', 'p-pixels', 'nx-cf83')
    """
    if re.fullmatch(r"[A-Za-z0-9_]+", name):
        return f"{prefix}-" + name.replace("_", "-")
    return f"{prefix}x-" + name.encode().hex()


def _text(label):
    """Escape the characters special to LaTeX outside ``$...$``."""
    parts = label.split("$")
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"([_%&#])", r"\\\1", parts[i])
    return "$".join(parts)


def _number(value):
    return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"


def to_tikz(model, observed=True, positions=None, standalone=False):
    r"""The ``tikz-bayesnet`` source of a model's PGM, laid out as its daft drawing.

    Parameters
    ----------
    model : Model
    observed : bool
        ``True`` draws data nodes as ``obs`` (shaded), ``False`` as ``latent``.
    positions : dict, optional
        Node name to ``(x, y)`` in layout units, as for
        :func:`pgmsim.draw.layout.layout`.
    standalone : bool
        Wrap the picture in a ``standalone`` document that compiles alone
        (``pdflatex pgm.tex``); otherwise only the ``tikzpicture``, for a
        paper whose preamble has ``\usetikzlibrary{bayesnet}``.

    Returns
    -------
    str
        LaTeX source.

    Raises
    ------
    ValueError
        If the model has no nodes or ``positions`` names unknown nodes.

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> source = xray_agn.build().render(format="tikz")
    >>> print(source.splitlines()[0])
    \begin{tikzpicture}[x=2cm, y=2cm]
    >>> [line for line in source.splitlines() if "(n-N)" in line][0].split(" at ")[0]
    '  \\node[obs] (n-N)'
    """
    if not model.graph:
        raise ValueError(f"model {model.name!r} has no nodes to draw; declare some first")
    plan = layout(model, positions=positions)
    lines = ["\\begin{tikzpicture}[x=2cm, y=2cm]"]
    for name, (x, y) in plan.positions.items():
        kind = model.node(name).kind
        style = TIKZ_STYLES[kind]
        if kind is NodeKind.DATA and not observed:
            style = "latent"
        text = label_text(model, name)
        if kind in _LABELLED_BESIDE:
            style, text = f"{style}, label=right:{{{text}}}", ""
        lines.append(f"  \\node[{style}] ({tikz_name(name)}) "
                     f"at ({_number(x)}, {_number(y)}) {{{text}}};")
    for plate, (x, y, w, h) in sorted(plan.plates.items()):
        sw, ne = tikz_name(plate, "sw"), tikz_name(plate, "ne")
        lines.append(f"  \\coordinate ({sw}) at ({_number(x)}, {_number(y)});")
        lines.append(f"  \\coordinate ({ne}) at ({_number(x + w)}, {_number(y + h)});")
        lines.append(f"  \\plate[inner sep=0pt] {{{tikz_name(plate, 'p')}}} {{({sw})({ne})}} "
                     f"{{{_text(model.plates[plate].label)}}};")
    for parent, child in plan.edges:
        lines.append(f"  \\edge {{{tikz_name(parent)}}} {{{tikz_name(child)}}};")
    for a, b in plan.links:
        lines.append(f"  \\edge[-] {{{tikz_name(a)}}} {{{tikz_name(b)}}};")
    lines.append("\\end{tikzpicture}")
    source = "\n".join(lines) + "\n"
    return _PREAMBLE + source + "\\end{document}\n" if standalone else source
