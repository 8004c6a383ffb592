"""The repair pass of the layout: nodes moved sideways until the drawing has no defect.

The layered drawing of :func:`pgmsim.draw.layout.layout` keeps edges short
and straight but does not look at the geometry. The repair does: it takes
the defects :mod:`pgmsim.draw.checks` finds and moves the nodes involved
sideways, one node, its row, its plate or everything on one side of it
(a move that spreads crowded arrowheads counts as progress); as a last
resort a node leaves its row by a fraction, still between its parents and
its children. The smallest helpful move is taken first; where that gets stuck,
other orders of moves start again from the layered drawing, and the
cleanest result is kept. A clean result then loses what edge crossings a
swap of two neighbours in a row (with a short repair around them) removes
without a defect, and crowded fans of arrows are widened
(:mod:`pgmsim.draw.fans`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from . import checks
from .checks import PROBLEM_KINDS
from .fans import spread_fans

__all__ = ["repair", "STRATEGIES"]

#: orders of the repair's moves, tried in turn until one leaves no defect:
#: ``(smallest_first, weigh_crowding)``, smallest move first, then spreading
#: crowded arrowheads counted as progress
STRATEGIES = ((True, False), (True, True), (False, True), (False, False))


def repair(model, layered, fixed):
    """The cleanest drawing the repair's strategies reach from a layered one.

    Parameters
    ----------
    model : Model
        Its graph says which nodes are parents, children and plate members.
    layered : Layout
        The layered drawing, plates and labels placed; left unchanged.
    fixed : set of str
        Nodes placed by hand, never moved.

    Returns
    -------
    Layout
        The first result without defects (its crossings thinned by swaps
        within rows), else the one with fewest.

    Examples
    --------
    >>> from pgmsim.draw.layout import layout
    >>> from pgmsim.draw.repair import repair
    >>> from pgmsim.models import xray_agn
    >>> m = xray_agn.build()
    >>> plan = layout(m)
    >>> plan.positions["F"] = plan.positions["b"]          # two nodes on one spot
    >>> repair(m, plan, fixed=set()).problems()
    []
    """
    best = None
    # a greedy repair may get stuck where another order of moves gets
    # through: the next strategy starts from the same layered drawing
    for smallest_first, weigh_crowding in STRATEGIES:
        attempt = dataclasses.replace(layered, positions=dict(layered.positions))
        _repair(model, attempt, fixed, smallest_first, weigh_crowding)
        found = len(attempt.problems())
        if best is None or found < best[0]:
            best = (found, attempt)
        if not found:
            _uncross(model, attempt, fixed)
            spread_fans(model, attempt, fixed)
            break
    return best[1]


def _uncross(model, result, fixed, max_tries=20):
    """Swap a node at the end of a crossing edge with its neighbour in the row
    where that leaves fewer crossings and no defect, after a short repair
    around the swapped pair where it needs room (at most ``max_tries`` swaps
    are tried: a clean drawing is kept as it is otherwise)."""
    tries = max_tries
    crossings = len(result.crossings())
    while crossings and tries > 0:
        ends = dict.fromkeys(n for pair in result.crossings() for edge in pair for n in edge)
        swaps = []
        for name in ends:
            x, y = result.positions[name]
            row = sorted((px, n) for n, (px, py) in result.positions.items() if py == y)
            i = row.index((x, name))
            swaps += [(name, row[j][1]) for j in (i - 1, i + 1) if 0 <= j < len(row)]
        for a, b in dict.fromkeys(tuple(sorted(pair)) for pair in swaps):
            if tries <= 0:
                return
            if a in fixed or b in fixed:
                continue
            tries -= 1
            before = dict(result.positions)
            result.positions[a], result.positions[b] = before[b], before[a]
            result.refit(model)
            if len(result.crossings()) < crossings and result.problems():
                # the swap may need its neighbours to make room: a short repair
                _repair(model, result, fixed | {a, b}, True, False, max_tries=12)
            if len(result.crossings()) < crossings and not result.problems():
                crossings = len(result.crossings())
                break
            result.positions.update(before)
            result.refit(model)
        else:
            return


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
        result.refit(model, labels)
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
    result.refit(model)


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
        result.refit(model, labels)
        if _below(result, kinds, count):
            return True
        if (crowding is not None and checks.arrowhead_shortfall(result) < crowding - 1e-3
                and _below(result, kinds, count + 1)):
            return True
        result.positions.update(before)
    return False
