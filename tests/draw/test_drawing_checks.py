"""The defect checks of a drawing, on layouts written by hand."""

import math

from pgmsim.draw.checks import (arrowhead_shortfall, crowded_arrowheads, edge_crossings,
                                head_scale, hidden_edges, min_arrow_angle, misplaced_nodes,
                                overlapping_plates)
from pgmsim.draw.layout import Layout


def _one_node_beside_a_plate(x):
    return Layout(positions={"a": (x, 0.0), "b": (2.0, 0.0)}, radii={"a": 0.25, "b": 0.25},
                  plates={"P": (1.0, -1.0, 2.0, 2.0)}, members={"P": {"b"}})


def test_a_node_touching_a_plate_it_is_not_on_is_misplaced():
    assert misplaced_nodes(_one_node_beside_a_plate(0.75)) == [("a", "P")]  # tangent
    assert misplaced_nodes(_one_node_beside_a_plate(0.8)) == [("a", "P")]
    assert misplaced_nodes(_one_node_beside_a_plate(0.5)) == []


def test_a_member_sticking_out_of_its_plate_is_misplaced():
    plan = _one_node_beside_a_plate(0.0)
    plan.positions["b"] = (2.9, 0.0)
    assert misplaced_nodes(plan) == [("b", "P")]


def test_an_edge_under_a_node_is_hidden_and_one_beside_it_is_not():
    plan = Layout(positions={"a": (0, 2), "b": (0, 1), "c": (0, 0)},
                  radii=dict.fromkeys("abc", 0.25), edges=[("a", "c")])
    assert hidden_edges(plan) == [(("a", "c"), "b")]
    plan.positions["b"] = (0.5, 1)
    assert hidden_edges(plan) == []


def test_arrowheads_closer_than_the_minimum_angle_are_crowded():
    limit = min_arrow_angle(0.25)
    near, far = 0.9 * limit, 1.1 * limit
    for gap, expected in ((near, 1), (far, 0)):
        plan = Layout(positions={"a": (math.cos(math.pi / 2 + gap), math.sin(math.pi / 2 + gap)),
                                 "b": (0.0, 1.0), "c": (0.0, 0.0)},
                      radii=dict.fromkeys("abc", 0.25), edges=[("a", "c"), ("b", "c")])
        assert len(crowded_arrowheads(plan)) == expected
        assert (arrowhead_shortfall(plan) > 0) == bool(expected)


def test_the_shortfall_shrinks_as_crowded_arrows_spread():
    def shortfall(gap):
        plan = Layout(positions={"a": (math.cos(math.pi / 2 + gap), math.sin(math.pi / 2 + gap)),
                                 "b": (0.0, 1.0), "c": (0.0, 0.0)},
                      radii=dict.fromkeys("abc", 0.25), edges=[("a", "c"), ("b", "c")])
        return arrowhead_shortfall(plan)
    limit = min_arrow_angle(0.25)
    assert shortfall(0.2 * limit) > shortfall(0.6 * limit) > 0
    assert math.isclose(shortfall(0.25 * limit), 0.75 * limit)


def test_heads_shrink_beyond_eight_parents_and_need_a_smaller_angle():
    assert head_scale(8) == 1.0 and head_scale(16) == 0.5
    assert min_arrow_angle(0.25, head_scale(16)) < min_arrow_angle(0.25)


def test_sibling_plates_may_touch_nothing_but_nested_ones_must_stay_inside():
    apart = Layout(positions={}, radii={}, plates={"a": (0, 0, 1, 1), "b": (2, 0, 1, 1)},
                   members={"a": {"u"}, "b": {"v"}})
    assert overlapping_plates(apart) == []
    nested = Layout(positions={}, radii={}, plates={"a": (0, 0, 4, 4), "b": (1, 1, 4, 1)},
                    members={"a": {"u", "v"}, "b": {"v"}})
    assert overlapping_plates(nested) == [("a", "b")]


def test_edges_sharing_a_node_do_not_count_as_crossing():
    plan = Layout(positions={"a": (0, 1), "b": (1, 1), "c": (0, 0)},
                  radii=dict.fromkeys("abc", 0.1), edges=[("a", "c"), ("b", "c")])
    assert edge_crossings(plan) == []
