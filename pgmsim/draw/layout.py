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
3. a repair pass moves nodes sideways where an edge would pass under a node
   it does not touch, or nodes would overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..graph.nodes import NodeKind

__all__ = ["Layout", "layout", "NODE_RADIUS", "DOT_RADIUS"]

#: radius of a parameter or data node, in layout units (one column = 1)
NODE_RADIUS = 0.25
#: radius of a fixed-input or deterministic dot
DOT_RADIUS = 0.06
_ROW_GAP = 1.0
_PLATE_PAD = 0.4
_CLEARANCE = 0.06


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

    def overlapping_nodes(self):
        """Pairs of nodes whose discs overlap.

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
        names = list(self.positions)
        out = []
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                d = np.hypot(*np.subtract(self.positions[a], self.positions[b]))
                if d < self.radii[a] + self.radii[b] + _CLEARANCE:
                    out.append((a, b))
        return out

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
        >>> plan = layout(xray_agn.build(), positions={"x0": (1.65, -1.0)})
        >>> plan.hidden_edges()  # x0 moved onto the arrow from F to mu
        [(('F', 'mu'), 'x0')]
        """
        out = []
        for edge in self.edges + self.links:
            p, q = (np.asarray(self.positions[n], float) for n in edge)
            for name, c in self.positions.items():
                if name in edge:
                    continue
                if _segment_distance(np.asarray(c, float), p, q) < self.radii[name] + _CLEARANCE:
                    out.append((edge, name))
        return out

    def misplaced_nodes(self):
        """``(node, plate)`` pairs: a node inside a plate it is not on, or outside its own.

        Returns
        -------
        list of tuple

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_agn
        >>> plan = layout(xray_agn.build(), positions={"x0": (1.65, -2.0)})
        >>> ("x0", "pixels") in plan.misplaced_nodes()  # x0 moved into the plate
        True
        """
        out = []
        for plate, (x, y, w, h) in self.plates.items():
            for name, (px, py) in self.positions.items():
                inside = x < px < x + w and y < py < y + h
                if inside != (name in self.members[plate]):
                    out.append((name, plate))
        return out

    def problems(self):
        """Every overlap, hidden edge and misplaced node; empty when the layout is clean.

        Returns
        -------
        list of tuple
            :meth:`overlapping_nodes`, then :meth:`hidden_edges`, then
            :meth:`misplaced_nodes`.

        Examples
        --------
        >>> from pgmsim.draw.layout import layout
        >>> from pgmsim.models import xray_agn
        >>> layout(xray_agn.build()).problems()
        []
        """
        return (self.overlapping_nodes() + self.hidden_edges() + self.misplaced_nodes())

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


def _segment_distance(c, p, q):
    d = q - p
    t = np.clip(np.dot(c - p, d) / max(np.dot(d, d), 1e-12), 0.0, 1.0)
    return float(np.hypot(*(p + t * d - c)))


def _ranks(model):
    graph = model.graph
    order = model.order
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
    placed = []
    for want in desired:
        lo = placed[-1] + spacing if placed else -np.inf
        x = max(want, lo)
        moved = True
        while moved:
            moved = False
            for a, b in forbidden:
                if a < x < b:
                    # go to the nearer side, unless the left one breaks the order
                    x = a if (x - a < b - x and a >= lo) else b
                    moved = True
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
    radii = {n: NODE_RADIUS if model.node(n).kind.stochastic else DOT_RADIUS for n in graph}
    x = {}

    # innermost plates first: each becomes a block of columns
    depth = {p: len(model.plate_chain(p)) for p in model.plates}
    groups = sorted(model.plates, key=lambda p: -depth[p]) + [None]
    for group in groups:
        direct = [n for n in model.order if model.node(n).plate == group]
        children = [p for p in model.plates
                    if model.plates[p].within == group and members[p]]
        # child blocks side by side, left to right in declaration order
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
        for sweep in range(2):
            for row in sorted({rank[n] for n in direct}, reverse=bool(sweep)):
                in_row = [n for n in direct if rank[n] == row]
                forbidden = [(a - NODE_RADIUS - 0.15, b + NODE_RADIUS + 0.15)
                             for a, b, top, bottom in blocks if top <= row <= bottom]
                want = {}
                for i, n in enumerate(in_row):
                    near = [x[m] for m in (*graph.predecessors(n), *graph.successors(n))
                            if m in x and m not in in_row]
                    want[n] = float(np.mean(near)) if near else x.get(n, float(i))
                ordered = sorted(in_row, key=lambda n: want[n])
                placed = _spread([want[n] for n in ordered], forbidden)
                # centre the row on its wishes where no block is in the way
                if not forbidden and placed:
                    shift = np.mean([want[n] for n in ordered]) - np.mean(placed)
                    placed = [p + shift for p in placed]
                for n, px in zip(ordered, placed):
                    x[n] = px

    pos = {n: (x[n], -_ROW_GAP * rank[n]) for n in graph}
    pos.update({n: tuple(map(float, p)) for n, p in positions.items()})
    groups = dict.fromkeys(model.prior_group(n) for n in graph)
    links = [pair for g in groups for pair in zip(g[:-1], g[1:])]
    result = Layout(positions=pos, radii=radii, edges=list(graph.edges), links=links,
                    members=members)
    _place_plates(model, result)
    _repair(model, result, fixed=set(positions))
    return result


def _place_plates(model, result):
    depth = {p: len(model.plate_chain(p)) for p in model.plates}
    result.plates = {}
    for plate in sorted(model.plates, key=lambda p: -depth[p]):
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


def _repair(model, result, fixed, max_moves=200):
    """Move nodes sideways until no edge passes under a node and nothing overlaps."""
    for _ in range(max_moves):
        problems = result.problems()
        if not problems:
            return
        culprits = []
        for item in problems:
            if isinstance(item[0], tuple):      # (edge, node): move the node
                culprits.append(item[1])
            else:                               # node pair or (node, plate)
                culprits.append(item[0] if item[0] not in model.plates else item[1])
        movable = [n for n in culprits if n not in fixed and n in result.positions]
        if not movable:
            return
        best = None
        for name in dict.fromkeys(movable):
            x0, y0 = result.positions[name]
            for step in (0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0, 3.0, -3.0):
                result.positions[name] = (x0 + step, y0)
                _place_plates(model, result)
                count = len(result.problems())
                if best is None or count < best[0]:
                    best = (count, name, (x0 + step, y0))
            result.positions[name] = (x0, y0)
            _place_plates(model, result)
        if best[0] >= len(problems):
            return
        result.positions[best[1]] = best[2]
        _place_plates(model, result)
