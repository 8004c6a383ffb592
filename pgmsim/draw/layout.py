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
   it does not touch, or nodes would overlap: one node, its row, its plate
   or everything on one side of it; as a last resort a node leaves its row
   by a fraction, still between its parents and its children. The smallest
   helpful move is taken first; where that gets stuck, other orders of moves
   start again from the layered drawing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import checks
from .labels import place_labels
from .ordering import canonical_order, neighbours, sorted_plates
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
#: the :class:`Layout` checks that :meth:`Layout.problems` gathers
PROBLEM_KINDS = ("overlapping_nodes", "hidden_edges", "misplaced_nodes",
                 "overlapping_plates", "crowded_arrowheads", "crossed_labels")
_RADII = {NodeKind.PARAMETER: NODE_RADIUS, NodeKind.DATA: NODE_RADIUS,
          NodeKind.FIXED: DOT_RADIUS, NodeKind.DETERMINISTIC: DET_RADIUS,
          NodeKind.FACTOR: FACTOR_RADIUS}
_ROW_GAP = 1.0
#: orders of the repair's moves, tried in turn until one leaves no defect
#: (smallest move first, spreading crowded arrowheads counts as progress)
_STRATEGIES = ((True, False), (True, True), (False, True), (False, False))
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
    _finish(model, result)
    layered = dict(result.positions)
    best = None
    # a greedy repair may get stuck where another order of moves gets
    # through: the next strategy starts from the same layered drawing, and
    # the cleanest result is kept
    for smallest_first, weigh_crowding in _STRATEGIES:
        attempt = Layout(**{**vars(result), "positions": dict(layered)})
        _repair(model, attempt, set(positions), smallest_first, weigh_crowding)
        found = len(attempt.problems())
        if best is None or found < best[0]:
            best = (found, attempt)
        if not found:
            break
    return best[1]


def _place_plates(model, result):
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


def _finish(model, result, labels=True):
    """Plates around the nodes, then the labels beside the dots."""
    _place_plates(model, result)
    if labels:
        place_labels(model, result)


def _culprits(model, result, kind, item):
    """The nodes whose moving sideways may cure one defect."""
    if kind == "crowded_arrowheads":
        return [item[0][0], item[1][0], item[0][1]]
    if kind == "hidden_edges":
        return [item[1], *item[0]]
    if kind == "misplaced_nodes":
        return [item[0], *sorted(result.members[item[1]])]
    if kind == "overlapping_plates":
        return sorted(result.members[item[0]] ^ result.members[item[1]])
    names = [n for part in item for n in (part if isinstance(part, tuple) else (part,))]
    names = [n.removeprefix("plate:") for n in names]
    return [n for n in names if n in result.positions] or [
        n for n in names if n in result.members for n in sorted(result.members[n])]


def _repair(model, result, fixed, smallest_first, weigh_crowding, max_tries=4000):
    """Move nodes sideways until the layout has no defect, no move helps, or
    ``max_tries`` moves were tried: nodes, edges and plates first, then
    labels, which are costlier to check. Each round takes the first move that
    helps: the smallest of any culprit's (``smallest_first``), or the first of
    the first culprit's; with ``weigh_crowding``, a move that leaves as many
    defects but spreads crowded arrowheads helps too."""
    tries = [max_tries]
    for kinds in (PROBLEM_KINDS[:-1], PROBLEM_KINDS):
        labels = "crossed_labels" in kinds
        _finish(model, result, labels)
        while tries[0] > 0:
            found = {kind: getattr(result, kind)() for kind in kinds}
            count = sum(map(len, found.values()))
            culprits = [n for kind, items in found.items() for item in items
                        for n in _culprits(model, result, kind, item)]
            movable = [n for n in dict.fromkeys(culprits) if n not in fixed]
            moves = [move for name in movable
                     for move in _moves(model, result, name, fixed) if move]
            if smallest_first:   # the drawing stays close to the layered one
                moves.sort(key=lambda move: _cost(result, move))
            # with as many defects, crowded arrowheads further apart also count
            crowding = (checks.arrowhead_shortfall(result)
                        if weigh_crowding and found.get("crowded_arrowheads") else None)
            if not _improves(model, result, moves, (count, kinds, labels, crowding), tries):
                break
    _finish(model, result)


def _below(result, kinds, count):
    """Whether the layout has fewer than ``count`` defects of ``kinds``;
    the checks stop as soon as ``count`` is reached (most moves fail)."""
    found = 0
    for kind in kinds:
        found += len(getattr(result, kind)())
        if found >= count:
            return False
    return True


def _cost(result, move):
    """Moves off a row come last; the others by the largest distance moved."""
    return (any(y != result.positions[n][1] for n, (_, y) in move.items()),
            max(abs(x - result.positions[n][0]) for n, (x, _) in move.items()))


def _moves(model, result, name, fixed):
    """Steps sideways, pushes of the row, swaps within the row, gaps opened
    beside it, steps of its plate and small steps off its row, for one node."""
    x0, y0 = result.positions[name]
    steps = (0.25, -0.25, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0, 3.0, -3.0, 4.0, -4.0)
    row = sorted(n for n in result.positions if n != name and n not in fixed
                 and result.positions[n][1] == y0)
    moves = [{name: (x0 + step, y0)} for step in steps]
    # push: the node and the rest of its row on the side it moves to
    moves += [{n: (result.positions[n][0] + step, y0)
               for n in [name, *row] if (result.positions[n][0] - x0) * step >= 0}
              for step in steps]
    moves += [{name: result.positions[other], other: (x0, y0)} for other in row]
    # open a gap: everything on one side of the node, every row, moves away
    # (a node stuck against a plate or an edge gets room without new crossings)
    for step in steps[:8]:
        moves.append({n: (px + step, py) for n, (px, py) in result.positions.items()
                      if n not in fixed and (px - x0) * step >= 0 and n != name})
    # the whole innermost plate block holding the node
    plate = model.node(name).plate
    if plate is not None:
        block = [n for n in result.members[plate] if n not in fixed]
        moves += [{n: (result.positions[n][0] + step, result.positions[n][1]) for n in block}
                  for step in steps]
    # last resort: off its row by a fraction, still below its parents and
    # above its children (parallel arrows into one node fan out)
    graph = model.graph
    low = max((result.positions[c][1] for c in graph.successors(name)), default=-np.inf)
    high = min((result.positions[p][1] for p in graph.predecessors(name)), default=np.inf)
    moves += [{name: (x0, y0 + dy)} for dy in (0.3, -0.3)
              if low + 0.5 < y0 + dy < high - 0.5]
    return moves


def _improves(model, result, moves, target, tries):
    """Keep the first of ``moves`` that brings the defects below ``target``."""
    count, kinds, labels, crowding = target
    for move in moves:
        if tries[0] <= 0:
            return False
        tries[0] -= 1
        before = {n: result.positions[n] for n in move}
        result.positions.update(move)
        _finish(model, result, labels)
        if _below(result, kinds, count):
            return True
        if (crowding is not None and checks.arrowhead_shortfall(result) < crowding - 1e-3
                and _below(result, kinds, count + 1)):
            return True
        result.positions.update(before)
    return False
