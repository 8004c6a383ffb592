"""The repair pass: moves that cure the defects of a spoiled drawing."""

from pgmsim.draw.layout import layout
from pgmsim.draw.repair import repair
from pgmsim.models import xray_agn


def test_two_nodes_on_one_spot_are_moved_apart_and_the_layered_drawing_is_kept():
    m = xray_agn.build()
    plan = layout(m)
    plan.positions["F"] = plan.positions["b"]
    assert ("F", "b") in plan.overlapping_nodes() or ("b", "F") in plan.overlapping_nodes()
    spoiled = dict(plan.positions)
    repaired = repair(m, plan, fixed=set())
    assert repaired.problems() == []
    assert plan.positions == spoiled     # the drawing it started from is left alone


def test_nodes_placed_by_hand_are_never_moved():
    m = xray_agn.build()
    plan = layout(m)
    plan.positions["F"] = plan.positions["b"]
    repaired = repair(m, plan, fixed={"F", "b"})
    assert repaired.positions["F"] == repaired.positions["b"] == plan.positions["b"]
    assert repaired.overlapping_nodes() != []    # nothing else can cure it
