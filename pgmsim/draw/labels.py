"""Where the labels of dots and plates go: boxes that no edge, node or plate side touches.

Parameters and data carry their label inside their circle; fixed inputs and
deterministic nodes are small, so their label sits beside them, on the first
side (right, left, above, below, then the diagonals) where its box is clear.
Sizes are estimated from the LaTeX source at daft's 10 pt font, 2 cm per
layout unit.
"""

from __future__ import annotations

import re

from .checks import label_collisions, visible_segments
from ..graph.nodes import indexed

__all__ = ["label_text", "label_size", "node_label_boxes", "plate_label_box", "place_labels"]

_CHAR_WIDTH = 0.11   # layout units per character at 10 pt
_TEXT_HEIGHT = 0.2
_GAP = 0.05          # between a dot's rim and its label
#: offsets of a plate's label from the lower-left corner of the plate
PLATE_LABEL_OFFSET = (0.07, 0.05)
_SIDES = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)]


def label_text(model, name):
    """The LaTeX label of a node, with its plate index.

    Parameters
    ----------
    model : Model
        The model the node belongs to.
    name : str
        The node's name.

    Returns
    -------
    str
        LaTeX between dollars, bold for a vector.

    Examples
    --------
    >>> from pgmsim.draw.labels import label_text
    >>> from pgmsim.models import xray_agn
    >>> label_text(xray_agn.build(), "N")
    '$N_k$'
    """
    node = model.node(name)
    # a vector (declared with shape=) is written in bold
    label = rf"\boldsymbol{{{node.label}}}" if getattr(node, "shape", ()) else node.label
    return f"${indexed(label, model.plate_index(node.plate))}$"


def visible_length(latex):
    """Rough width of a LaTeX label in characters; subscripts count less.

    Examples
    --------
    >>> from pgmsim.draw.labels import visible_length
    >>> visible_length("$N_k$")
    1.6
    """
    text = re.sub(r"\\(mathrm|mathcal|mathbf|boldsymbol|operatorname)", "", latex)
    text = re.sub(r"\\[A-Za-z]+", "x", text)
    main, _, sub = text.strip("$").partition("_")
    return len(re.sub(r"[{}$]", "", main)) + 0.6 * len(re.sub(r"[{}$_]", "", sub))


def label_size(latex):
    """``(width, height)`` of a label's box in layout units.

    Parameters
    ----------
    latex : str
        The label's LaTeX source.

    Returns
    -------
    tuple of float
        Width and height.

    Examples
    --------
    >>> from pgmsim.draw.labels import label_size
    >>> width, height = label_size("$N_k$")
    >>> 0.1 < width < 0.4 and height == 0.2
    True
    """
    return _CHAR_WIDTH * visible_length(latex) + 0.04, _TEXT_HEIGHT


def _box_beside(centre, radius, size, side):
    (x, y), (w, h), (sx, sy) = centre, size, side
    cx = x + sx * (radius + _GAP + w / 2)
    cy = y + sy * (radius + _GAP + h / 2)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def plate_label_box(rectangle, text):
    """The box of a plate's label, in the plate's lower-left corner.

    Parameters
    ----------
    rectangle : tuple of float
        The plate's ``(x, y, width, height)``.
    text : str
        The plate's label.

    Returns
    -------
    tuple of float
        ``(x0, y0, x1, y1)``.

    Examples
    --------
    >>> from pgmsim.draw.labels import plate_label_box
    >>> plate_label_box((0.0, 0.0, 3.0, 2.0), "pixels $k$")[:2]
    (0.07, 0.05)
    """
    x, y = rectangle[0] + PLATE_LABEL_OFFSET[0], rectangle[1] + PLATE_LABEL_OFFSET[1]
    w, h = label_size(text)
    return (x, y, x + w, y + h)


def node_label_boxes(plan, texts):
    """Boxes of outside labels, for every node in ``texts``, placed one by one.

    Parameters
    ----------
    plan : Layout
        Positions, radii, edges and plates (its ``labels`` are replaced).
    texts : dict
        Node name to LaTeX label, for the nodes labelled beside themselves.

    Returns
    -------
    dict
        Node name to ``(x0, y0, x1, y1)``; a node whose every side is taken
        keeps its first side, and :meth:`Layout.problems` reports it.

    Examples
    --------
    >>> from pgmsim.draw.layout import layout
    >>> from pgmsim.models import xray_agn
    >>> plan = layout(xray_agn.build())
    >>> sorted(plan.labels)
    ['ex', 'mu', 'plate:pixels', 'x', 'y']
    """
    fixed = {k: v for k, v in plan.labels.items() if k not in texts}
    plan.labels = dict(fixed)
    segments = visible_segments(plan)
    for name in sorted(texts):
        size = label_size(texts[name])
        first = None
        for side in _SIDES:
            box = _box_beside(plan.positions[name], plan.radii[name], size, side)
            plan.labels[name] = box
            first = first or box
            if not label_collisions(plan, name, segments=segments):
                break
        else:
            plan.labels[name] = first
    return {k: v for k, v in plan.labels.items() if k in texts}


def place_labels(model, plan):
    """Set ``plan.labels``: the boxes of plate labels, then of every dot's label.

    Parameters
    ----------
    model : Model
        The model drawn.
    plan : Layout
        Positions, radii, edges and plates; its ``labels`` are set (:class:`pgmsim.draw.layout.Layout`).

    Examples
    --------
    >>> from pgmsim.draw.layout import layout
    >>> from pgmsim.models import xray_agn
    >>> plan = layout(xray_agn.build())
    >>> x0, y0, x1, y1 = plan.labels["mu"]
    >>> x1 > x0 and y1 > y0
    True
    """
    plan.labels = {f"plate:{p}": plate_label_box(rect, model.plates[p].label)
                   for p, rect in plan.plates.items()}
    texts = {n: label_text(model, n) for n in plan.positions
             if not model.node(n).kind.stochastic}
    node_label_boxes(plan, texts)
