"""Drawing a model's PGM with daft, laid out automatically.

The teaching convention of the astronomy courses: parameters as open circles,
observed data as double circles (or shaded), fixed inputs and deterministic
nodes as small dots, a labelled plate around every plate's nodes.
"""

from __future__ import annotations

from .checks import head_scale
from .labels import PLATE_LABEL_OFFSET, label_text, visible_length
from .layout import DET_RADIUS, DOT_RADIUS, FACTOR_RADIUS, NODE_RADIUS, layout
from ..graph.nodes import NodeKind

__all__ = ["render", "node_specs", "NODE_STYLES"]

_GRID_UNIT = 2.0  # cm per layout unit
_NODE_UNIT = 1.0  # cm per daft node scale
_POINTS_PER_CM = 72 / 2.54


def _scale(radius):
    """daft's node scale of a disc of ``radius`` layout units."""
    return 2 * radius * _GRID_UNIT / _NODE_UNIT


#: daft node options by node kind (``observed`` is decided per call); a node's
#: daft diameter is ``scale * node_unit``, its layout diameter ``2 * radius``.
#: A deterministic node is an invisible disc of ``DET_RADIUS`` where its
#: incoming arrows stop, around a dot (``dot``) drawn after daft's nodes.
NODE_STYLES = {
    NodeKind.PARAMETER: {"scale": _scale(NODE_RADIUS)},
    NodeKind.DATA: {"scale": _scale(NODE_RADIUS)},
    NodeKind.FIXED: {"scale": _scale(DOT_RADIUS), "fixed": True},
    NodeKind.DETERMINISTIC: {"scale": _scale(DET_RADIUS), "dot": DOT_RADIUS,
                             "plot_params": {"ec": "none", "fc": "none"}},
    # a small filled square, as factor graphs draw their factors
    NodeKind.FACTOR: {"scale": _scale(FACTOR_RADIUS / 2 ** 0.5), "shape": "rectangle",
                      "plot_params": {"fc": "k"}},
}

_OBSERVED_STYLES = ("inner", "shaded", "outer")


def render(model, observed=True, observed_style="inner", positions=None, dpi=150,
           format="daft", standalone=False):
    r"""Draw the PGM of a model as a ``daft.PGM``, laid out automatically.

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
    format : {"daft", "tikz"}
        ``"tikz"`` returns ``tikz-bayesnet`` LaTeX source of the same drawing
        instead (:func:`pgmsim.draw.tikz.to_tikz`).
    standalone : bool
        With ``format="tikz"``: a whole ``standalone`` document.

    Returns
    -------
    daft.PGM or str
        Already rendered: save it with ``pgm.savefig("pgm.png")`` (PNG, PDF
        or SVG by extension); the figure is ``pgm.figure``. The LaTeX source
        with ``format="tikz"``.

    Raises
    ------
    ValueError
        If the model has no nodes, ``observed_style`` or ``format`` is
        unknown or ``positions`` names unknown nodes.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> pgm = m.render()
    >>> pgm.figure is not None
    True
    >>> print(m.render(format="tikz").splitlines()[-2])
      \edge {n-lam} {n-N};
    """
    if format not in ("daft", "tikz"):
        raise ValueError(f"format must be 'daft' or 'tikz', got {format!r}")
    if format == "tikz":
        from .tikz import to_tikz

        return to_tikz(model, observed=observed, positions=positions, standalone=standalone)
    import daft  # here, not at import: daft brings matplotlib

    if not model.graph:
        raise ValueError(f"model {model.name!r} has no nodes to draw; declare some first")
    if observed_style not in _OBSERVED_STYLES:
        raise ValueError(f"observed_style must be one of {_OBSERVED_STYLES}, "
                         f"got {observed_style!r}")
    plan = layout(model, positions=positions)
    xmin, ymin, xmax, ymax = plan.bounds()
    margin = 0.3
    origin = (xmin - margin, ymin - margin)
    pgm = daft.PGM(shape=(xmax - xmin + 2 * margin, ymax - ymin + 2 * margin),
                   origin=origin, grid_unit=_GRID_UNIT, node_unit=_NODE_UNIT,
                   observed_style=observed_style, dpi=dpi)
    # outer plates first: daft fills plates in white, which would hide inner ones
    for plate in sorted(plan.plates, key=lambda p: (len(model.plate_chain(p)), p)):
        x, y, w, h = plan.plates[plate]
        offset = tuple(v * _GRID_UNIT * _POINTS_PER_CM for v in PLATE_LABEL_OFFSET)
        pgm.add_plate([x, y, w, h], label=model.plates[plate].label,
                      position="bottom left", label_offset=offset)
    specs = node_specs(model, plan, observed)
    for name, spec in specs.items():
        daft_spec = {k: v for k, v in spec.items() if k != "dot"}
        if name in plan.labels:        # drawn below, where the layout placed it
            daft_spec["content"] = ""
        pgm.add_node(name, **daft_spec)
    parents = {child: sum(1 for _, c in plan.edges if c == child) for _, child in plan.edges}
    for parent, child in plan.edges:
        # smaller heads into a node with many parents, as the layout assumed
        scale = head_scale(parents[child])
        pgm.add_edge(parent, child, plot_params={"head_length": 0.25 * scale,
                                                 "head_width": 0.1 * scale})
    for a, b in plan.links:  # parameters of one joint prior
        pgm.add_edge(a, b, directed=False)
    pgm.render()
    _draw_dots_and_labels(pgm.ax, plan, specs, origin)
    return pgm


def _draw_dots_and_labels(ax, plan, specs, origin):
    """The dots of deterministic nodes, and the labels placed beside dots."""
    from matplotlib.patches import Circle

    def to_axes(x, y):
        return _GRID_UNIT * (x - origin[0]), _GRID_UNIT * (y - origin[1])

    for name, spec in specs.items():
        if "dot" in spec:
            ax.add_patch(Circle(to_axes(spec["x"], spec["y"]), spec["dot"] * _GRID_UNIT,
                                fc="k", ec="k", zorder=3))
        if name in plan.labels:
            x0, y0, x1, y1 = plan.labels[name]
            ax.text(*to_axes((x0 + x1) / 2, (y0 + y1) / 2), spec["content"],
                    ha="center", va="center")


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
        style flags (``fixed``, ``observed``); deterministic nodes also have
        ``dot``, the radius of the dot drawn inside their invisible disc.

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
        spec = {"content": label_text(model, name), "x": x, "y": y,
                "fixed": False, "observed": False}
        # daft edits a node's options in place: give each node its own copies
        spec.update({k: dict(v) if isinstance(v, dict) else v
                     for k, v in NODE_STYLES[node.kind].items()})
        if node.kind is NodeKind.DATA:
            spec["observed"] = observed
        if node.kind.stochastic:
            # widen circles into ellipses for long labels such as m_{obs,j}
            spec["aspect"] = min(1.6, max(1.0, visible_length(spec["content"]) / 2.8))
        specs[name] = spec
    return specs
