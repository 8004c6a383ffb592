"""Geometric defects of a drawing, found from its plain data alone.

Every check takes a :class:`pgmsim.draw.layout.Layout` and returns the
defects it finds as tuples naming the nodes, edges or plates involved, so
that a test can assert ``layout(model).problems() == []`` and a failure says
what to look at. The arrowhead and label sizes here are those the daft
renderer draws (:mod:`pgmsim.draw.render`), in layout units.
"""

from __future__ import annotations

import itertools
import math

__all__ = ["PROBLEM_KINDS", "CLEARANCE", "HEAD_LENGTH", "HEAD_HALF_WIDTH", "head_scale", "min_arrow_angle",
           "arrivals",
           "overlapping_nodes", "hidden_edges", "misplaced_nodes", "overlapping_plates",
           "crowded_arrowheads", "arrowhead_shortfall", "crossed_labels", "label_collisions",
           "visible_segments", "edge_crossings"]

#: the checks that :meth:`pgmsim.draw.layout.Layout.problems` gathers, in order
PROBLEM_KINDS = ("overlapping_nodes", "hidden_edges", "misplaced_nodes",
                 "overlapping_plates", "crowded_arrowheads", "crossed_labels")
#: gap kept between a node and any other node or edge, in layout units
CLEARANCE = 0.06
#: daft's arrowhead (0.25 cm long, 0.1 cm wide) at 2 cm per layout unit
HEAD_LENGTH = 0.125
HEAD_HALF_WIDTH = 0.025
_ANGLE_MARGIN = math.radians(2.0)


def head_scale(parents):
    """Size of the arrowheads into a node with ``parents`` parents, relative to daft's.

    Beyond eight arrows, heads shrink so that they still fit side by side
    around the node (the drawing passes the same scale to daft).

    Parameters
    ----------
    parents : int
        Number of arrows into the node.

    Returns
    -------
    float
        1 up to eight arrows, ``8 / parents`` beyond.

    Examples
    --------
    >>> from pgmsim.draw.checks import head_scale
    >>> head_scale(3), head_scale(16)
    (1.0, 0.5)
    """
    return min(1.0, 8 / max(parents, 1))


def min_arrow_angle(radius, scale=1.0):
    """Smallest angle between two arrows into a node of ``radius`` whose heads stay apart.

    Two heads with tips on the rim of the node touch when their bases, at
    ``radius + HEAD_LENGTH`` from the centre, are closer than a head's width.

    Parameters
    ----------
    radius : float
        The node's radius in layout units.
    scale : float
        Size of the heads relative to daft's (:func:`head_scale`).

    Returns
    -------
    float
        The angle in radians, with a margin of two degrees.

    Examples
    --------
    >>> import math
    >>> from pgmsim.draw.checks import min_arrow_angle
    >>> round(math.degrees(min_arrow_angle(0.25)), 1)
    9.6
    """
    return (2 * math.asin(scale * HEAD_HALF_WIDTH / (radius + scale * HEAD_LENGTH))
            + _ANGLE_MARGIN)


def segment_distance(c, p, q):
    """Distance from point ``c`` to the segment ``p``-``q``.

    Examples
    --------
    >>> from pgmsim.draw.checks import segment_distance
    >>> segment_distance((0.0, 1.0), (-1.0, 0.0), (1.0, 0.0))
    1.0
    """
    dx, dy = q[0] - p[0], q[1] - p[1]
    t = ((c[0] - p[0]) * dx + (c[1] - p[1]) * dy) / max(dx * dx + dy * dy, 1e-12)
    t = min(max(t, 0.0), 1.0)
    return math.hypot(p[0] + t * dx - c[0], p[1] + t * dy - c[1])


def _segments_cross(a, b, c, d):
    """Whether segments a-b and c-d properly intersect (not at an end)."""
    def side(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    d1, d2 = side(c, d, a), side(c, d, b)
    d3, d4 = side(a, b, c), side(a, b, d)
    return d1 * d2 < -1e-12 and d3 * d4 < -1e-12


def _segment_hits_box(p, q, box):
    """Whether the segment p-q passes through the rectangle (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box
    if (max(p[0], q[0]) < x0 or min(p[0], q[0]) > x1
            or max(p[1], q[1]) < y0 or min(p[1], q[1]) > y1):
        return False
    # Liang-Barsky clipping
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for step, gap in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if step == 0:
            if gap < 0:
                return False
            continue
        t = gap / step
        if step < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _box_hits_disc(box, centre, radius):
    x0, y0, x1, y1 = box
    if (centre[0] + radius < x0 or centre[0] - radius > x1
            or centre[1] + radius < y0 or centre[1] - radius > y1):
        return False
    nearest = (min(max(centre[0], x0), x1), min(max(centre[1], y0), y1))
    return math.hypot(nearest[0] - centre[0], nearest[1] - centre[1]) < radius


def overlapping_nodes(plan):
    """Pairs of nodes whose discs are closer than the sum of their radii plus a clearance.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    list of tuple
        ``(node, node)`` pairs, empty for a clean drawing.

    Examples
    --------
    >>> from pgmsim.draw.layout import layout
    >>> from pgmsim.draw.checks import overlapping_nodes
    >>> from pgmsim.models import xray_agn
    >>> overlapping_nodes(layout(xray_agn.build()))
    []
    """
    out = []
    for a, b in itertools.combinations(plan.positions, 2):
        d = math.dist(plan.positions[a], plan.positions[b])
        if d < plan.radii[a] + plan.radii[b] + CLEARANCE:
            out.append((a, b))
    return out


def hidden_edges(plan):
    """``((parent, child), node)`` where an edge or link passes under a node it does not touch.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    list of tuple
        ``((parent, child), node)``, empty for a clean drawing.

    Examples
    --------
    >>> from pgmsim.draw.layout import layout
    >>> from pgmsim.draw.checks import hidden_edges
    >>> from pgmsim.models import xray_agn
    >>> hidden_edges(layout(xray_agn.build()))
    []
    """
    out = []
    reach = max(plan.radii.values(), default=0.0) + CLEARANCE
    for edge in plan.edges + plan.links:
        p, q = (plan.positions[n] for n in edge)
        # only nodes near the edge's bounding box can touch it
        x0, x1 = min(p[0], q[0]) - reach, max(p[0], q[0]) + reach
        y0, y1 = min(p[1], q[1]) - reach, max(p[1], q[1]) + reach
        for name, c in plan.positions.items():
            if (x0 <= c[0] <= x1 and y0 <= c[1] <= y1 and name not in edge
                    and segment_distance(c, p, q) < plan.radii[name] + CLEARANCE):
                out.append((edge, name))
    return out


def misplaced_nodes(plan):
    """``(node, plate)``: a node's disc not inside a plate it is on, or touching one it is not on.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    list of tuple
        ``(node, plate)``, empty for a clean drawing.

    Examples
    --------
    >>> from pgmsim.draw.layout import layout
    >>> from pgmsim.draw.checks import misplaced_nodes
    >>> from pgmsim.models import xray_agn
    >>> plan = layout(xray_agn.build())
    >>> plan.positions["x0"] = plan.positions["N"][0] + 1.0, plan.positions["N"][1]
    >>> misplaced_nodes(plan)
    [('x0', 'pixels')]
    """
    out = []
    for plate, (x, y, w, h) in plan.plates.items():
        for name, (px, py) in plan.positions.items():
            r = plan.radii[name]
            if name in plan.members[plate]:
                bad = not (x < px - r and px + r < x + w and y < py - r and py + r < y + h)
            else:
                # a disc just touching the rectangle counts: it is drawn on the line
                bad = x - r <= px <= x + w + r and y - r <= py <= y + h + r
            if bad:
                out.append((name, plate))
    return out


def overlapping_plates(plan):
    """``(plate, plate)``: sibling plates whose rectangles meet, or a nested one sticking out.

    Plates are nested when one's members contain the other's (sibling plates
    never share a node).

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    list of tuple
        ``(plate, plate)`` in name order, empty for a clean drawing.

    Examples
    --------
    >>> from pgmsim.draw.layout import Layout
    >>> from pgmsim.draw.checks import overlapping_plates
    >>> plan = Layout(positions={}, radii={}, plates={"a": (0, 0, 2, 2), "b": (1, 1, 2, 2)},
    ...               members={"a": {"u"}, "b": {"v"}})
    >>> overlapping_plates(plan)
    [('a', 'b')]
    """
    out = []
    for a, b in itertools.combinations(sorted(plan.plates), 2):
        ax, ay, aw, ah = plan.plates[a]
        bx, by, bw, bh = plan.plates[b]
        # nested plates share members (a plate holding only an inner plate
        # has the same members): the outer one is the larger
        if plan.members[b] <= plan.members[a] or plan.members[a] <= plan.members[b]:
            (ox, oy, ow, oh), (ix, iy, iw, ih) = sorted(
                (plan.plates[a], plan.plates[b]), key=lambda r: -r[2] * r[3])
            if not (ox < ix and oy < iy and ix + iw < ox + ow and iy + ih < oy + oh):
                out.append((a, b))
        elif ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
            out.append((a, b))
    return out


def crowded_arrowheads(plan):
    """``((parent, child), (parent, child))``: arrows into one node at less than :func:`min_arrow_angle`.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    list of tuple
        Pairs of ``(parent, child)`` edges, empty for a clean drawing.

    Examples
    --------
    >>> from pgmsim.draw.layout import Layout
    >>> from pgmsim.draw.checks import crowded_arrowheads
    >>> plan = Layout(positions={"a": (0, 1), "b": (-0.05, 1), "c": (0, 0)},
    ...               radii=dict.fromkeys("abc", 0.25), edges=[("a", "c"), ("b", "c")])
    >>> crowded_arrowheads(plan)
    [(('a', 'c'), ('b', 'c'))]
    """
    return [pair for pair, _ in _crowded_pairs(plan)]


def arrowhead_shortfall(plan):
    """How far the crowded arrowheads of a drawing are from apart: the sum of
    the angles they lack, zero when :func:`crowded_arrowheads` is empty.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    float
        In radians; the layout's repair lowers it where it cannot yet remove
        a crowded pair.

    Examples
    --------
    >>> from pgmsim.draw.layout import Layout
    >>> from pgmsim.draw.checks import arrowhead_shortfall
    >>> plan = Layout(positions={"a": (0, 1), "b": (-0.05, 1), "c": (0, 0)},
    ...               radii=dict.fromkeys("abc", 0.25), edges=[("a", "c"), ("b", "c")])
    >>> arrowhead_shortfall(plan) > 0
    True
    """
    return sum(lack for _, lack in _crowded_pairs(plan))


def arrivals(plan):
    """The directions the arrows into each node come from.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    dict
        Node name to a list of ``(angle, parent)``, sorted by angle (radians,
        counter-clockwise from the positive x axis, seen from the node).

    Examples
    --------
    >>> from pgmsim.draw.layout import Layout
    >>> from pgmsim.draw.checks import arrivals
    >>> plan = Layout(positions={"a": (0.0, 1.0), "b": (1.0, 0.0), "c": (0.0, 0.0)},
    ...               radii={"a": 0.25, "b": 0.25, "c": 0.25}, edges=[("a", "c"), ("b", "c")])
    >>> [(round(angle, 4), parent) for angle, parent in arrivals(plan)["c"]]
    [(0.0, 'b'), (1.5708, 'a')]
    """
    found = {}
    for parent, child in plan.edges:
        (px, py), (cx, cy) = plan.positions[parent], plan.positions[child]
        found.setdefault(child, []).append((math.atan2(py - cy, px - cx), parent))
    for directions in found.values():
        directions.sort()
    return found


def _crowded_pairs(plan):
    """``(pair of edges, angle lacking)`` for the arrows into one node too close."""
    out = []
    for child, found in arrivals(plan).items():
        limit = min_arrow_angle(plan.radii[child], head_scale(len(found)))
        for (a1, p1), (a2, p2) in itertools.combinations(found, 2):
            gap = abs(a2 - a1)
            gap = min(gap, 2 * math.pi - gap)
            if gap < limit:
                out.append((((p1, child), (p2, child)), limit - gap))
    return out


def crossed_labels(plan):
    """``(label, thing)``: a label box crossed by an edge, touching a node, plate side or label.

    ``label`` is a node name or ``"plate:<name>"``; ``thing`` is an edge, a
    node name, ``"plate:<name>"`` or another label's name.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    list of tuple
        ``(label, thing)``, empty for a clean drawing.

    Examples
    --------
    >>> from pgmsim.draw.layout import Layout
    >>> from pgmsim.draw.checks import crossed_labels
    >>> plan = Layout(positions={"a": (0, 1), "c": (0, 0)}, radii={"a": 0.06, "c": 0.06},
    ...               edges=[("a", "c")], labels={"a": (-0.1, 0.3, 0.1, 0.5)})
    >>> crossed_labels(plan)
    [('a', ('a', 'c'))]
    """
    out = []
    segments = visible_segments(plan)
    for label in plan.labels:
        out += [(label, thing)
                for thing in label_collisions(plan, label, others=False, segments=segments)]
    for a, b in itertools.combinations(sorted(plan.labels), 2):
        (a0, a1, a2, a3), (b0, b1, b2, b3) = plan.labels[a], plan.labels[b]
        if a0 < b2 and b0 < a2 and a1 < b3 and b1 < a3:
            out.append((a, b))
    return out


def label_collisions(plan, label, others=True, segments=None):
    """What the box of one label touches: edges, nodes, plate sides and (``others``) labels.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).
    label : str
        A key of ``plan.labels``: a node name or ``"plate:<name>"``.
    others : bool
        Whether other labels' boxes count.
    segments : dict, optional
        :func:`visible_segments` of ``plan``, when already computed.

    Returns
    -------
    list
        Edges (tuples), node names, ``"plate:<name>"`` and label names.

    Examples
    --------
    >>> from pgmsim.draw.layout import Layout
    >>> from pgmsim.draw.checks import label_collisions
    >>> plan = Layout(positions={"a": (0, 1), "c": (0, 0)}, radii={"a": 0.06, "c": 0.06},
    ...               edges=[("a", "c")], labels={"a": (0.1, 0.9, 0.3, 1.1)})
    >>> label_collisions(plan, "a")
    []
    """
    box = plan.labels[label]
    segments = segments or visible_segments(plan)
    out = [edge for edge, (p, q) in segments.items() if _segment_hits_box(p, q, box)]
    out += [name for name, centre in plan.positions.items()
            if _box_hits_disc(box, centre, plan.radii[name] + 0.5 * CLEARANCE)]
    for plate, (x, y, w, h) in plan.plates.items():
        sides = [((x, y), (x + w, y)), ((x + w, y), (x + w, y + h)),
                 ((x + w, y + h), (x, y + h)), ((x, y + h), (x, y))]
        if label != f"plate:{plate}" and any(_segment_hits_box(p, q, box) for p, q in sides):
            out.append(f"plate:{plate}")
    if others:
        b0, b1, b2, b3 = box
        out += [other for other, (a0, a1, a2, a3) in plan.labels.items()
                if other != label and a0 < b2 and b0 < a2 and a1 < b3 and b1 < a3]
    return out


def visible_segments(plan):
    """Edge (or link) to its visible part, from rim to rim of its two nodes.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    dict
        ``(parent, child)`` to its two end points ``((x, y), (x, y))``.

    Examples
    --------
    >>> from pgmsim.draw.layout import Layout
    >>> from pgmsim.draw.checks import visible_segments
    >>> plan = Layout(positions={"a": (0, 1), "c": (0, 0)}, radii={"a": 0.25, "c": 0.5},
    ...               edges=[("a", "c")])
    >>> visible_segments(plan)
    {('a', 'c'): ((0.0, 0.75), (0.0, 0.5))}
    """
    return {edge: _outside_discs(plan, edge) for edge in plan.edges + plan.links}


def _outside_discs(plan, edge):
    """The visible part of an edge: from rim to rim of its two nodes."""
    (px, py), (qx, qy) = (plan.positions[n] for n in edge)
    length = max(math.hypot(qx - px, qy - py), 1e-12)
    ux, uy = (qx - px) / length, (qy - py) / length
    ra, rb = plan.radii[edge[0]], plan.radii[edge[1]]
    return (px + ux * ra, py + uy * ra), (qx - ux * rb, qy - uy * rb)


def edge_crossings(plan):
    """Pairs of edges (links included) that cross away from their ends.

    Parameters
    ----------
    plan : Layout
        The drawing's plain data (:class:`pgmsim.draw.layout.Layout`).

    Returns
    -------
    list of tuple
        Pairs of edges that cross.

    Examples
    --------
    >>> from pgmsim.draw.layout import Layout
    >>> from pgmsim.draw.checks import edge_crossings
    >>> plan = Layout(positions={"a": (0, 1), "b": (1, 1), "c": (0, 0), "d": (1, 0)},
    ...               radii=dict.fromkeys("abcd", 0.1), edges=[("a", "d"), ("b", "c")])
    >>> edge_crossings(plan)
    [(('a', 'd'), ('b', 'c'))]
    """
    out = []
    for e, f in itertools.combinations(plan.edges + plan.links, 2):
        if set(e) & set(f):
            continue
        if _segments_cross(*(plan.positions[n] for n in e), *(plan.positions[n] for n in f)):
            out.append((e, f))
    return out
