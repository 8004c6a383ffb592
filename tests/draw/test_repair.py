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


def test_a_swap_in_a_row_removes_a_crossing_the_repair_left():
    """Crossings are no defect, but where swapping two neighbours of a row
    removes one without a defect, the swap is made."""
    import pgmsim as pg
    m = pg.Model("crossed")
    m.param("a", pg.Normal(0, 1))
    m.param("b", pg.Normal(0, 1))
    m.data("c", pg.Normal("a", 1))
    m.data("d", pg.Normal("b", 1))
    plan = layout(m)
    plan.positions.update({"a": (0.0, 0.0), "b": (1.0, 0.0), "c": (1.0, -1.0), "d": (0.0, -1.0)})
    plan.refit(m)
    assert len(plan.crossings()) == 1 and plan.problems() == []
    repaired = repair(m, plan, fixed=set())
    assert repaired.crossings() == [] and repaired.problems() == []
    assert {repaired.positions["a"], repaired.positions["b"]} == {(0.0, 0.0), (1.0, 0.0)}
