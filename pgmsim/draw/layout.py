"""Automatic layout of a model graph for drawing: positions, sizes and plates.

The layout is plain data (:class:`Layout`), computed without daft, so that it
can be tested alone; :mod:`pgmsim.draw.render` turns it into a ``daft.PGM``.

The method is a layered drawing:

1. rows by topological depth (longest path from the roots); fixed inputs sit
   just above their first child; a plate starts below every node outside it
   that points into it, so parameters sit above the plates they feed;
2. columns inside each plate first, innermost plates first, each plate a
   rectangle of columns; nodes outside a plate are kept clear of its
   rectangle; within a row, nodes are ordered by the mean position of their
   neighbours (barycentre heuristic), which keeps edges short and straight;
3. the repair pass of :mod:`pgmsim.draw.repair` moves nodes sideways until
   the checks of :mod:`pgmsim.draw.checks` find no defect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import checks
from .checks import PROBLEM_KINDS
from .labels import place_labels
from .ordering import canonical_order, neighbours, sorted_plates
from .repair import repair
from ..graph.nodes import NodeKind

__all__ = ["Layout", "layout", "NODE_RADIUS", "DOT_RADIUS", "DET_RADIUS", "FACTOR_RADIUS",
           "PROBLEM_KINDS"]

#: radius of a parameter or data node, in layout units (one column = 1)
NODE_RADIUS = 0.25
#: radius of a fixed-input dot
DOT_RADIUS = 0.06
#: radius at which arrows into a deterministic dot stop: their heads spread
#: around the dot instead of piling up on it
DET_RADIUS = 0.16
#: radius of the circle around the small square of a factor (``m.factor``):
#: the layout keeps the square's corners clear
FACTOR_RADIUS = 0.1
_RADII = {NodeKind.PARAMETER: NODE_RADIUS, NodeKind.DATA: NODE_RADIUS,
          NodeKind.FIXED: DOT_RADIUS, NodeKind.DETERMINISTIC: DET_RADIUS,
          NodeKind.FACTOR: FACTOR_RADIUS}
_ROW_GAP = 1.0
_PLATE_PAD = 0.4


@dataclass
class Layout:
    """Positions of nodes and plates, in layout units (x right, y up).

    Attributes
    ----------
    positions : dict
        Node name to ``(x, y)``.
    radii : dict
        Node name to radius.
    plates : dict
        Plate name to rectangle ``(x, y, width, height)`` (lower-left corner).
    edges : list of tuple
        ``(parent, child)`` pairs.
    members : dict
        Plate name to the set of node names inside it (nested ones included).
    links : list of tuple
        Undirected ``(node, node)`` pairs: parameters that share a joint
        prior, drawn joined by a line.
    labels : dict
        Boxes ``(x0, y0, x1, y1)`` of the labels drawn outside a node: node
        name (dots) or ``"plate:<name>"`` to its box.

    Examples
    --------
    >>> from pgmsim.draw.layout import layout
    >>> from pgmsim.models import xray_agn
    >>> plan = layout(xray_agn.build())
    >>> list(plan.plates), plan.members["pixels"] == {"ex", "x", "y", "mu", "N"}
    (['pixels'], True)
    >>> plan.positions["x0"][1] > plan.positions["N"][1]  # parameters above the data
    True
    """

    positions: dict
    radii: dict
    plates: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)
    members: dict = field(default_factory=dict)
    links: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)

    def overlapping_nodes(self):
        """Pairs of nodes whose discs overlap; see :func:`.checks.overlapping_nodes`.

        Returns
        -------
        list of tuple
            ``(node, node)`` pairs closer than the sum of their radii plus a
            small clearance.

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_agn
        >>> layout(xray_agn.build()).overlapping_nodes()
        []
        """
        return checks.overlapping_nodes(self)

    def hidden_edges(self):
        """``(edge, node)`` pairs where an edge passes under a node it does not touch.

        Returns
        -------
        list of tuple
            ``((parent, child), node)`` for each such crossing.

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_agn
        >>> plan = layout(xray_agn.build())
        >>> plan.positions["x0"] = plan.positions["N"][0], plan.positions["N"][1] + 0.5
        >>> (("mu", "N"), "x0") in plan.hidden_edges()  # x0 moved onto the arrow to N
        True
        """
        return checks.hidden_edges(self)

    def misplaced_nodes(self):
        """``(node, plate)`` pairs: a node inside a plate it is not on, or outside its own.

        Returns
        -------
        list of tuple

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_agn
        >>> plan = layout(xray_agn.build())
        >>> plan.positions["x0"] = plan.positions["N"][0] + 1.0, plan.positions["N"][1]
        >>> ("x0", "pixels") in plan.misplaced_nodes()  # x0 moved into the plate
        True
        """
        return checks.misplaced_nodes(self)

    def overlapping_plates(self):
        """Sibling plates that meet, or a nested plate sticking out of its outer one.

        Returns
        -------
        list of tuple
            ``(plate, plate)`` pairs.

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import spectrum_2d
        >>> layout(spectrum_2d.build()).overlapping_plates()
        []
        """
        return checks.overlapping_plates(self)

    def crowded_arrowheads(self):
        """Pairs of arrows into one node whose heads would touch.

        Returns
        -------
        list of tuple
            ``((parent, child), (parent, child))``, closer than
            :func:`.checks.min_arrow_angle` of the child's radius.

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_cluster
        >>> layout(xray_cluster.build()).crowded_arrowheads()
        []
        """
        return checks.crowded_arrowheads(self)

    def crossed_labels(self):
        """Labels of dots and plates touched by an edge, a node, a plate side or a label.

        Returns
        -------
        list of tuple
            ``(label, thing)``; see :func:`.checks.crossed_labels`.

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_cluster
        >>> layout(xray_cluster.build()).crossed_labels()
        []
        """
        return checks.crossed_labels(self)

    def crossings(self):
        """Pairs of edges that cross: counted, not a defect (some graphs need them).

        Returns
        -------
        list of tuple
            ``(edge, edge)`` pairs.

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_agn
        >>> len(layout(xray_agn.build()).crossings()) >= 0
        True
        """
        return checks.edge_crossings(self)

    def problems(self):
        """Every defect of the drawing; empty when the layout is clean.

        Returns
        -------
        list of tuple
            :meth:`overlapping_nodes`, :meth:`hidden_edges`,
            :meth:`misplaced_nodes`, :meth:`overlapping_plates`,
            :meth:`crowded_arrowheads` then :meth:`crossed_labels`.

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_agn
        >>> layout(xray_agn.build()).problems()
        []
        """
        return [item for kind in PROBLEM_KINDS for item in getattr(self, kind)()]

    def refit(self, model, labels=True):
        """Place the plates around the nodes again, then (``labels``) the labels beside the dots.

        Parameters
        ----------
        model : Model
            The model drawn.
        labels : bool
            Whether the labels are placed too (costlier; the repair places
            them once nodes and plates are clean).

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_agn
        >>> m = xray_agn.build()
        >>> plan = layout(m)
        >>> x, y = plan.positions["N"]
        >>> plan.positions["N"] = (x, y - 1.0)
        >>> plan.refit(m)
        >>> plan.plates["pixels"][1] < y - 1.0    # the plate grew downwards with N
        True
        """
        _place_plates(model, self)
        if labels:
            place_labels(model, self)

    def bounds(self):
        """``(xmin, ymin, xmax, ymax)`` of everything drawn.

        Returns
        -------
        tuple of float
            In layout units; node labels are allowed a little room above.

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_agn
        >>> xmin, ymin, xmax, ymax = layout(xray_agn.build()).bounds()
        >>> xmax > xmin and ymax > ymin
        True
        """
        xs, ys = [], []
        for name, (x, y) in self.positions.items():
            r = self.radii[name]
            xs += [x - r, x + r]
            ys += [y - r, y + r + 0.2]
        for x, y, w, h in self.plates.values():
            xs += [x, x + w]
            ys += [y, y + h]
        return min(xs), min(ys), max(xs), max(ys)


def _ranks(model):
    graph = model.graph
    order = canonical_order(model)
    rank = {}
    for n in order:
        parents = list(graph.predecessors(n))
        rank[n] = max((rank[p] + 1 for p in parents), default=0)
    members = {p: {n for n in graph if p in model.plate_chain(model.node(n).plate)}
               for p in model.plates}

    def entry(child, outside):
        """Top row of the outermost plate that holds ``child`` but not ``outside``."""
        held = set(model.plate_chain(model.node(outside).plate))
        chain = [p for p in model.plate_chain(model.node(child).plate) if p not in held]
        return min(rank[m] for m in members[chain[-1]]) if chain else rank[child]

    for _ in range(len(order) + len(model.plates) + 2):
        changed = False
        # fixed inputs just above their first child (above its plate, if
        # the input is outside that plate)
        for n in order:
            node = model.node(n)
            children = list(graph.successors(n))
            if node.kind is NodeKind.FIXED and children:
                target = min(entry(c, n) for c in children) - 1
                if target > rank[n]:
                    rank[n] = target
                    changed = True
        # a plate starts below every outside node that points into it
        for plate, inside in members.items():
            feeders = {p for n in inside for p in graph.predecessors(n)} - inside
            if not feeders or not inside:
                continue
            need = max(rank[p] for p in feeders) + 1 - min(rank[n] for n in inside)
            if need > 0:
                for n in inside:
                    rank[n] += need
                changed = True
        for n in order:
            low = max((rank[p] + 1 for p in graph.predecessors(n)), default=rank[n])
            if low > rank[n]:
                rank[n] = low
                changed = True
        if not changed:
            break
    return rank, members


def _spread(desired, forbidden, spacing=1.0):
    """Positions near ``desired`` (sorted), at least ``spacing`` apart and
    outside the ``forbidden`` intervals."""
    # overlapping intervals merged first: a side of one may lie inside another
    merged = []
    for a, b in sorted(forbidden):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    placed = []
    for want in desired:
        lo = placed[-1] + spacing if placed else -np.inf
        x = max(want, lo)
        for a, b in merged:
            if a < x < b:
                # go to the nearer side, unless the left one breaks the order
                x = a if (x - a < b - x and a >= lo) else b
        placed.append(x)
    return placed


def layout(model, positions=None):
    """Lay out a model's graph.

    Parameters
    ----------
    model : Model
    positions : dict, optional
        Node name to ``(x, y)``, overriding the automatic position of those
        nodes.

    Returns
    -------
    Layout
        Positions, radii, plate rectangles, edges; check it with
        :meth:`Layout.problems`.

    Raises
    ------
    ValueError
        If ``positions`` names an unknown node.

    Examples
    --------
    >>> from pgmsim.draw.layout import layout
    >>> from pgmsim.models import xray_agn
    >>> plan = layout(xray_agn.build(), positions={"N": (0.0, -6.0)})
    >>> plan.positions["N"], plan.problems()
    ((0.0, -6.0), [])
    """
    positions = dict(positions or {})
    unknown = set(positions) - set(model.graph)
    if unknown:
        raise ValueError(f"positions given for unknown node(s) {sorted(unknown)}; "
                         f"known nodes: {', '.join(model.graph)}")
    graph = model.graph
    rank, members = _ranks(model)
    radii = {n: _RADII[model.node(n).kind] for n in graph}
    x = {}
    order = canonical_order(model)
    plates = sorted_plates(model, model.plates)

    # innermost plates first: each becomes a block of columns
    depth = {p: len(model.plate_chain(p)) for p in plates}
    groups = sorted(plates, key=lambda p: -depth[p]) + [None]
    for group in groups:
        direct = [n for n in order if model.node(n).plate == group]
        children = [p for p in plates if model.plates[p].within == group and members[p]]
        # child blocks side by side, left to right in the order of their members
        cursor = 0.0
        blocks = []
        for child in children:
            inside = members[child]
            xs = [x[n] for n in inside]
            left = min(xs) - _PLATE_PAD - NODE_RADIUS
            shift = cursor - left
            for n in inside:
                x[n] += shift
            right = max(xs) + shift + _PLATE_PAD + NODE_RADIUS
            rows = {rank[n] for n in inside}
            blocks.append((cursor, right, min(rows), max(rows)))
            cursor = right + 0.6
        # direct nodes, row by row, near the mean of their placed neighbours
        # barycentre sweeps, down then up, twice: fewer crossings between rows
        for sweep in range(4):
            for row in sorted({rank[n] for n in direct}, reverse=bool(sweep % 2)):
                in_row = [n for n in direct if rank[n] == row]
                forbidden = [(a - NODE_RADIUS - 0.15, b + NODE_RADIUS + 0.15)
                             for a, b, top, bottom in blocks if top <= row <= bottom]
                want = {}
                for i, n in enumerate(in_row):
                    near = [x[m] for m in neighbours(graph, n) if m in x and m not in in_row]
                    want[n] = float(np.mean(near)) if near else x.get(n, float(i))
                ordered = sorted(in_row, key=lambda n: want[n])
                placed = _spread([want[n] for n in ordered], forbidden)
                # centre the row on its wishes where no block is in the way
                if not forbidden and placed:
                    shift = np.mean([want[n] for n in ordered]) - np.mean(placed)
                    placed = [p + shift for p in placed]
                for n, px in zip(ordered, placed):
                    x[n] = px

    pos = {n: (float(x[n]), -_ROW_GAP * rank[n]) for n in graph}
    pos.update({n: tuple(map(float, p)) for n, p in positions.items()})
    groups = dict.fromkeys(model.prior_group(n) for n in graph)
    links = sorted(pair for g in groups for pair in zip(g[:-1], g[1:]))
    result = Layout(positions=pos, radii=radii, edges=sorted(graph.edges), links=links,
                    members=members)
    result.refit(model)
    return repair(model, result, set(positions))


def _place_plates(model, result):
    """Each plate's rectangle around its nodes and nested plates, innermost first."""
    depth = {p: len(model.plate_chain(p)) for p in model.plates}
    result.plates = {}
    for plate in sorted(model.plates, key=lambda p: (-depth[p], p)):
        inside = result.members[plate]
        if not inside:
            continue
        xs = [result.positions[n][0] for n in inside]
        ys = [result.positions[n][1] for n in inside]
        x0 = min(xs) - NODE_RADIUS - _PLATE_PAD
        x1 = max(xs) + NODE_RADIUS + _PLATE_PAD
        # room for the label at the bottom
        y0 = min(ys) - NODE_RADIUS - _PLATE_PAD - 0.15
        y1 = max(ys) + NODE_RADIUS + _PLATE_PAD
        for child, (cx, cy, cw, ch) in result.plates.items():
            if model.plates[child].within == plate:
                x0, y0 = min(x0, cx - 0.15), min(y0, cy - 0.3)
                x1, y1 = max(x1, cx + cw + 0.15), max(y1, cy + ch + 0.15)
        result.plates[plate] = (x0, y0, x1 - x0, y1 - y0)
