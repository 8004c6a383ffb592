"""Drawing a model's PGM with daft, laid out automatically.

The teaching convention of the astronomy courses: parameters as open circles,
observed data as double circles (or shaded), fixed inputs and deterministic
nodes as small dots, a labelled plate around every plate's nodes.
"""

from __future__ import annotations

import re

from .layout import DOT_RADIUS, NODE_RADIUS, layout
from ..graph.nodes import NodeKind, indexed

__all__ = ["render", "node_specs", "NODE_STYLES"]

_GRID_UNIT = 2.0  # cm per layout unit
_NODE_UNIT = 1.0  # cm per daft node scale

#: daft node options by node kind (``observed`` is decided per call); a node's
#: daft diameter is ``scale * node_unit``, its layout diameter ``2 * radius``
NODE_STYLES = {
    NodeKind.PARAMETER: {"scale": 2 * NODE_RADIUS * _GRID_UNIT / _NODE_UNIT},
    NodeKind.DATA: {"scale": 2 * NODE_RADIUS * _GRID_UNIT / _NODE_UNIT},
    NodeKind.FIXED: {"scale": 2 * DOT_RADIUS * _GRID_UNIT / _NODE_UNIT, "fixed": True},
    # the label goes to the right: arrows arrive at a deterministic dot from above
    NodeKind.DETERMINISTIC: {"scale": 2 * DOT_RADIUS * _GRID_UNIT / _NODE_UNIT,
                             "fixed": True, "offset": (14, -10)},
}

_OBSERVED_STYLES = ("inner", "shaded", "outer")


def render(model, observed=True, observed_style="inner", positions=None, dpi=150):
    """Draw the PGM of a model as a ``daft.PGM``, laid out automatically.

    Parameters
    ----------
    model : Model
    observed : bool
        ``True`` draws the data nodes as observed (inference view);
        ``False`` as open circles (the forward, mock-data view).
    observed_style : {"inner", "shaded", "outer"}
        daft's style of observed nodes: ``"inner"`` is a double circle.
    positions : dict, optional
        Node name to ``(x, y)`` in layout units (one column = 1), overriding
        the automatic layout for those nodes.
    dpi : int
        Resolution of the figure.

    Returns
    -------
    daft.PGM
        Already rendered: save it with ``pgm.savefig("pgm.png")`` (PNG, PDF
        or SVG by extension); the figure is ``pgm.figure``.

    Raises
    ------
    ValueError
        If the model has no nodes, ``observed_style`` is unknown or
        ``positions`` names unknown nodes.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> pgm = m.render()
    >>> pgm.figure is not None
    True
    """
    import daft  # here, not at import: daft brings matplotlib

    if not model.graph:
        raise ValueError(f"model {model.name!r} has no nodes to draw; declare some first")
    if observed_style not in _OBSERVED_STYLES:
        raise ValueError(f"observed_style must be one of {_OBSERVED_STYLES}, "
                         f"got {observed_style!r}")
    plan = layout(model, positions=positions)
    xmin, ymin, xmax, ymax = plan.bounds()
    margin = 0.3
    pgm = daft.PGM(shape=(xmax - xmin + 2 * margin, ymax - ymin + 2 * margin),
                   origin=(xmin - margin, ymin - margin), grid_unit=_GRID_UNIT,
                   node_unit=_NODE_UNIT,
                   observed_style=observed_style, dpi=dpi)
    # outer plates first: daft fills plates in white, which would hide inner ones
    for plate in sorted(plan.plates, key=lambda p: len(model.plate_chain(p))):
        x, y, w, h = plan.plates[plate]
        pgm.add_plate([x, y, w, h], label=model.plates[plate].label,
                      position="bottom left", label_offset=(4, 3))
    for name, spec in node_specs(model, plan, observed).items():
        pgm.add_node(name, **spec)
    for parent, child in plan.edges:
        pgm.add_edge(parent, child)
    for a, b in plan.links:  # parameters of one joint prior
        pgm.add_edge(a, b, directed=False)
    pgm.render()
    return pgm


def _visible_length(latex):
    """Rough width of a LaTeX label in characters; subscripts count less."""
    text = re.sub(r"\\(mathrm|mathcal|mathbf|operatorname)", "", latex)
    text = re.sub(r"\\[A-Za-z]+", "x", text)
    main, _, sub = text.strip("$").partition("_")
    return len(re.sub(r"[{}$]", "", main)) + 0.6 * len(re.sub(r"[{}$_]", "", sub))


def node_specs(model, plan, observed=True):
    """The arguments of ``daft.PGM.add_node`` for every node, as plain data.

    Parameters
    ----------
    model : Model
    plan : Layout
        Positions from :func:`pgmsim.draw.layout.layout`.
    observed : bool
        Whether data nodes are drawn as observed.

    Returns
    -------
    dict
        Node name to a dict with ``content``, ``x``, ``y``, ``scale`` and the
        style flags (``fixed``, ``observed``).

    Examples
    --------
    >>> from pgmsim.draw.layout import layout
    >>> from pgmsim.models import xray_agn
    >>> from pgmsim.draw.render import node_specs
    >>> m = xray_agn.build()
    >>> spec = node_specs(m, layout(m))["N"]
    >>> spec["content"], spec["observed"], spec["fixed"]
    ('$N_k$', True, False)
    """
    specs = {}
    for name, (x, y) in plan.positions.items():
        node = model.node(name)
        index = model.plate_index(node.plate)
        spec = {"content": f"${indexed(node.label, index)}$", "x": x, "y": y,
                "fixed": False, "observed": False}
        # daft edits a node's offset in place: give each node its own list
        spec.update({k: list(v) if k == "offset" else v
                     for k, v in NODE_STYLES[node.kind].items()})
        if node.kind is NodeKind.DATA:
            spec["observed"] = observed
        if not spec["fixed"]:
            # widen circles into ellipses for long labels such as m_{obs,j}
            spec["aspect"] = min(1.6, max(1.0, _visible_length(spec["content"]) / 2.8))
        specs[name] = spec
    return specs
