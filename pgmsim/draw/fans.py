"""Room for arrowheads: the parents of a crowded node moved so that its arrows fan out.

The repair (:mod:`pgmsim.draw.repair`) leaves the arrows into a node at
least :func:`~pgmsim.draw.checks.min_arrow_angle` apart, so that their heads
do not touch. Where many arrows meet a small node (the expected counts of an
X-ray image model have eight or more parents) they still form a tight comb.
This pass widens such fans towards :func:`comfortable_angle`, at which
neighbouring heads are a head's width apart: it moves a parent of the node
sideways, alone, with the rest of its row on that side or with the parents
beyond it in the fan, or a fraction of a row down towards the node (still
half a row above its lowest child), the drawing growing by half a column on
each side at most. A move is kept only where it brings the gaps of all fans
closer to comfortable, leaves the drawing without defects and with no more
edge crossings, and narrows no fan below the comfortable angle or its
narrowest gap; the best move of each round is taken, so the result depends
on the graph only.
"""

from __future__ import annotations

import math

from .checks import HEAD_HALF_WIDTH, HEAD_LENGTH, arrivals, head_scale

__all__ = ["comfortable_angle", "narrowest_gaps", "spread_fans"]

_STEPS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
_DOWN = (0.25, 0.45)        # fractions of a row a parent may come down
_GAIN = math.radians(0.5)   # smaller widenings are not worth a move
_MARGIN = 0.5               # how far beyond its nodes the drawing may widen


def comfortable_angle(radius, scale=1.0):
    """Angle between two arrows into a node of ``radius`` whose heads are a head's width apart.

    Parameters
    ----------
    radius : float
        Where the arrows stop, in layout units.
    scale : float
        Size of the heads relative to daft's (:func:`.checks.head_scale`).

    Returns
    -------
    float
        The angle in radians: the bases of neighbouring heads, at
        ``radius + HEAD_LENGTH`` from the centre, two head widths apart.

    Examples
    --------
    >>> import math
    >>> from pgmsim.draw.fans import comfortable_angle
    >>> round(math.degrees(comfortable_angle(0.16)), 1)   # a deterministic dot
    20.2
    """
    half_chord = 2 * scale * HEAD_HALF_WIDTH     # the bases' corners a head width apart
    return 2 * math.asin(min(1.0, half_chord / (radius + scale * HEAD_LENGTH)))


def narrowest_gaps(plan):
    """The narrowest angle between two arrows into each node with two or more parents.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    dict
        Node name to the angle in radians.

    Examples
    --------
    >>> import math
    >>> from pgmsim.draw.layout import Layout
    >>> from pgmsim.draw.fans import narrowest_gaps
    >>> plan = Layout(positions={"a": (-1.0, 1.0), "b": (1.0, 1.0), "c": (0.0, 0.0)},
    ...               radii={"a": 0.25, "b": 0.25, "c": 0.25}, edges=[("a", "c"), ("b", "c")])
    >>> round(math.degrees(narrowest_gaps(plan)["c"]), 1)
    90.0
    """
    return {child: min(gap for gap, _ in found) for child, found in _fan_gaps(plan).items()}


def _fan_gaps(plan):
    """Node name to ``(angle, (parent, parent))`` for each pair of
    neighbouring arrows into it, for nodes with two or more parents."""
    gaps = {}
    for child, found in arrivals(plan).items():
        if len(found) > 1:
            gaps[child] = [(b - a, (p, q)) for (a, p), (b, q) in zip(found, found[1:])]
            (first, p), (last, q) = found[0], found[-1]
            gaps[child].append((2 * math.pi - (last - first), (q, p)))
    return gaps


def spread_fans(model, result, fixed, budget=20000):
    """Widen the crowded fans of a clean drawing, in place.

    Parameters
    ----------
    model : Model
        Its graph says which nodes are parents and children.
    result : Layout
        A drawing without defects; it stays without defects.
    fixed : set of str
        Nodes placed by hand, never moved.
    budget : int
        Most moves tried in all (each costs a check of the drawing).

    Examples
    --------
    >>> import math
    >>> from pgmsim.draw.layout import layout
    >>> from pgmsim.draw.fans import narrowest_gaps
    >>> from pgmsim.models import xray_agn
    >>> math.degrees(narrowest_gaps(layout(xray_agn.build()))["mu"]) > 15
    True
    """
    graph = model.graph
    comfort = {child: comfortable_angle(result.radii[child], head_scale(graph.in_degree(child)))
               for child in graph}
    tries = [budget]
    crossings = len(result.crossings())
    # the drawing may grow by half a column on each side, no more: a fan that
    # cannot open within that stays as it is
    xs = [x for x, _ in result.positions.values()]
    frame = (min(xs) - _MARGIN, max(xs) + _MARGIN)
    done = set()
    while tries[0] > 0:
        lacking = {child: _shortfall(found, comfort[child])
                   for child, found in _fan_gaps(result).items() if child not in done}
        crowded = sorted((-lack, child) for child, lack in lacking.items() if lack > 0)
        if not crowded:
            break
        child = crowded[0][1]
        best = _best_move(model, result, child, comfort, crossings, frame, fixed, tries)
        if best is None:
            done.add(child)     # nothing widens this fan: on to the next one
            continue
        result.positions.update(best)
        result.refit(model)
        crossings = len(result.crossings())
        done.clear()            # a fan given up on may open now that others moved


def _total_shortfall(fans, comfort):
    return sum(_shortfall(found, comfort[child]) for child, found in fans.items())


def _shortfall(found, comfort):
    """How far the gaps of one fan are from comfortable, summed (radians)."""
    return sum(max(0.0, comfort - gap) for gap, _ in found)


def _moves(model, result, name, child, fixed):
    """Moves of a parent ``name`` of ``child``: sideways steps of the parent
    alone, with its row on that side, and with every parent of ``child``
    beyond it in the fan (the fan opens outwards); and steps a fraction of a
    row down (staying half a row above the parent's children)."""
    graph = model.graph
    x0, y0 = result.positions[name]
    angle = {parent: a for a, parent in arrivals(result)[child]}
    row = [n for n, (_, y) in sorted(result.positions.items()) if y == y0 and n not in fixed]
    fan = sorted(p for p in angle if p not in fixed)
    low = max(result.positions[c][1] for c in graph.successors(name))
    heights = [y0] + [y0 - d for d in _DOWN if y0 - d >= low + 0.5]
    moves = []
    for step in (s for size in _STEPS for s in (size, -size)):
        for y in heights:
            moves.append({name: (x0 + step, y)})
        moves.append({n: (result.positions[n][0] + step, y0) for n in row
                      if (result.positions[n][0] - x0) * step >= 0})
        # angles grow to the left: a step right takes the parents at smaller angles
        moves.append({n: (result.positions[n][0] + step, result.positions[n][1]) for n in fan
                      if (angle[name] - angle[n]) * step >= 0})
    return moves


def _best_move(model, result, child, comfort, crossings, frame, fixed, tries):
    """The move of a parent of ``child`` that most lowers the shortfall of
    all fans (:func:`_shortfall`), or None."""
    fans = _fan_gaps(result)
    narrowest = {n: min(gap for gap, _ in found) for n, found in fans.items()}
    # the shortfall of all fans together must fall: the pass cannot go round in circles
    best, best_lack = None, _total_shortfall(fans, comfort) - _GAIN
    # only the arrows at gaps narrower than comfortable
    parents = sorted({p for gap, pair in fans[child] if gap < comfort[child] for p in pair}
                     - set(fixed))
    moves = (m for p in parents for m in _moves(model, result, p, child, fixed)
             if all(frame[0] <= x <= frame[1] for x, _ in m.values()))
    for move in moves:
        if tries[0] <= 0:
            break
        tries[0] -= 1
        before = {n: result.positions[n] for n in move}
        result.positions.update(move)
        result.refit(model, labels=False)
        after = _fan_gaps(result)
        lack = _total_shortfall(after, comfort)
        if (lack < best_lack
                and all(min(gap for gap, _ in after[n]) >= min(narrowest[n], comfort[n]) - 1e-9
                        for n in after)
                and len(result.crossings()) <= crossings):
            result.refit(model)
            if not result.problems():
                best, best_lack = move, lack
        result.positions.update(before)
    result.refit(model)
    return best
