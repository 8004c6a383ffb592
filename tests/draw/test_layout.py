"""Automatic layout of a model graph, as data: positions, radii, plates, edges.

The geometric checks here are written from the model and the coordinates
alone, not with :meth:`Layout.problems`, so that they also check it.
"""

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.draw.layout import DET_RADIUS, DOT_RADIUS, NODE_RADIUS, Layout, layout
from pgmsim.graph.nodes import NodeKind
from pgmsim.models import (ccd_frames, point_source_image, source_with_prior_map,
                           spectrum_2d, xray_agn, xray_cluster)

from conftest import build_nested_plate_model, build_two_plate_model

BUILDERS = {
    "xray_agn": xray_agn.build,
    "xray_cluster two components": lambda: xray_cluster.build(two_components=True),
    "point_source_image": point_source_image.build,
    "source_with_prior_map (joint prior)": source_with_prior_map.build,
    "spectrum_2d": spectrum_2d.build,
    "ccd_frames": ccd_frames.build,
    "two plates": build_two_plate_model,
    "nested plates": build_nested_plate_model,
}

# arrows into a deterministic dot stop on a wider circle, where their heads fit
RADIUS_OF_KIND = {NodeKind.PARAMETER: NODE_RADIUS, NodeKind.DATA: NODE_RADIUS,
                  NodeKind.FIXED: DOT_RADIUS, NodeKind.DETERMINISTIC: DET_RADIUS}


@pytest.fixture(scope="module")
def plans():
    """Each model with its layout, computed once."""
    out = {}
    for name, build in BUILDERS.items():
        model = build()
        out[name] = (model, layout(model))
    return out


def nodes_not_placed_once(model, plan):
    names = set(model.graph)
    return sorted(names ^ set(plan.positions)) + sorted(names ^ set(plan.radii))


def nodes_outside_their_plates(model, plan):
    """``(node, plate)`` where the node's disc is not inside the rectangle of a
    plate it is on, or touches the rectangle of a plate it is not on."""
    out = []
    for plate, (x0, y0, w, h) in plan.plates.items():
        for name, (x, y) in plan.positions.items():
            r = plan.radii[name]
            on_plate = plate in model.plate_chain(model.node(name).plate)
            inside = x0 < x - r and x + r < x0 + w and y0 < y - r and y + r < y0 + h
            clear = x + r < x0 or x - r > x0 + w or y + r < y0 or y - r > y0 + h
            if (on_plate and not inside) or (not on_plate and not clear):
                out.append((name, plate))
    return out


def overlapping_discs(plan):
    return [(a, b) for a, b in itertools.combinations(plan.positions, 2)
            if np.hypot(*np.subtract(plan.positions[a], plan.positions[b]))
            <= plan.radii[a] + plan.radii[b]]


def parents_not_above_children(model, plan):
    return [(p, c) for p, c in model.graph.edges
            if not plan.positions[p][1] > plan.positions[c][1]]


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_node_is_placed_once_inside_its_plates_without_overlap(plans, name):
    model, plan = plans[name]
    assert nodes_not_placed_once(model, plan) == []
    assert all(len(p) == 2 and np.all(np.isfinite(p)) for p in plan.positions.values())
    for node, radius in plan.radii.items():
        assert radius == RADIUS_OF_KIND[model.node(node).kind]
    assert set(plan.plates) == {p for p in model.plates if plan.members[p]}
    for plate, inside in plan.members.items():
        assert inside == {n for n in model.graph
                          if plate in model.plate_chain(model.node(n).plate)}
    assert nodes_outside_their_plates(model, plan) == []
    assert overlapping_discs(plan) == []
    assert sorted(plan.edges) == sorted(model.graph.edges)
    assert plan.problems() == []


@pytest.mark.parametrize("name", list(BUILDERS))
def test_parents_sit_above_their_children(plans, name):
    model, plan = plans[name]
    assert parents_not_above_children(model, plan) == []


def test_the_checks_catch_a_broken_layout(plans):
    """Negative control: the same checks on a layout spoiled by hand."""
    model, plan = plans["xray_agn"]
    spoiled = Layout(positions=dict(plan.positions), radii=dict(plan.radii),
                     plates=dict(plan.plates), edges=list(plan.edges),
                     members=dict(plan.members), links=list(plan.links))
    spoiled.positions["F"] = spoiled.positions["x0"]            # on top of x0
    spoiled.positions["sigma"] = spoiled.positions["N"]         # into the plate, under N
    assert {"F", "x0"} in [set(pair) for pair in overlapping_discs(spoiled)]
    assert ("sigma", "pixels") in nodes_outside_their_plates(model, spoiled)
    assert ("sigma", "mu") in parents_not_above_children(model, spoiled)
    assert {"F", "x0"} in [set(pair) for pair in spoiled.overlapping_nodes()]
    del spoiled.positions["b"]
    assert nodes_not_placed_once(model, spoiled) == ["b"]
    assert ("sigma", "pixels") in spoiled.misplaced_nodes()


def test_xray_agn_layout_is_clean():
    m = xray_agn.build()
    plan = layout(m)
    assert plan.problems() == []
    assert set(plan.plates) == {"pixels"}
    assert plan.members["pixels"] == {"ex", "x", "y", "mu", "N"}


def test_parameters_sit_above_the_plate_they_feed():
    plan = layout(xray_agn.build())
    top_of_plate = plan.plates["pixels"][1] + plan.plates["pixels"][3]
    for p in ["x0", "y0", "F", "b", "sigma"]:
        assert plan.positions[p][1] > top_of_plate


def test_ten_node_model_with_two_plates_has_no_overlaps(two_plate_model):
    assert len(two_plate_model.graph) == 10
    plan = layout(two_plate_model)
    assert plan.problems() == []
    assert set(plan.plates) == {"sources", "pixels"}


def test_nested_plates_are_drawn_nested(nested_plate_model):
    plan = layout(nested_plate_model)
    assert plan.problems() == []
    fx, fy, fw, fh = plan.plates["frames"]
    px, py, pw, ph = plan.plates["pixels"]
    assert fx < px and fy < py and px + pw < fx + fw and py + ph < fy + fh


def test_fixed_inputs_sit_above_their_first_child_by_half_a_row_to_one(plans):
    # one row above in the layered drawing; widening the fan of arrows into
    # the child may bring an input down, never below half a row above it
    model, plan = plans["xray_agn"]
    for name in ("ex", "x", "y"):
        (child,) = model.graph.successors(name)
        assert 0.5 <= plan.positions[name][1] - plan.positions[child][1] <= 1.0


def test_positions_override_the_layout():
    m = xray_agn.build()
    plan = layout(m, positions={"N": (0.0, -6.0)})
    assert plan.positions["N"] == (0.0, -6.0)
    with pytest.raises(ValueError, match="unknown node"):
        layout(m, positions={"nope": (0, 0)})


def test_given_positions_are_kept_and_the_rest_is_repaired_around_them():
    m = xray_agn.build()
    auto = layout(m)
    # x0 put where F's arrow to mu runs: the repair may move others, never x0
    given = {"x0": auto.positions["F"], "N": (0, -5)}
    plan = layout(m, positions={k: list(v) for k, v in given.items()})
    for name, where in given.items():
        assert plan.positions[name] == tuple(map(float, where))
    assert overlapping_discs(plan) == []
    assert nodes_outside_their_plates(m, plan) == []
    with pytest.raises(ValueError,
                       match=r"unknown node\(s\) \['u', 'v'\]; known nodes: ex, x, y, x0"):
        layout(m, positions={"v": (0, 0), "u": (1, 1), "x0": (0, 0)})


def test_joint_prior_parameters_are_linked_not_joined_by_an_arrow(plans):
    model, plan = plans["source_with_prior_map (joint prior)"]
    assert plan.links == [("x0", "y0")]
    assert ("x0", "y0") not in plan.edges and ("y0", "x0") not in plan.edges
    assert plans["xray_agn"][1].links == []


def test_bounds_hold_every_node_and_plate(plans):
    for model, plan in plans.values():
        xmin, ymin, xmax, ymax = plan.bounds()
        for name, (x, y) in plan.positions.items():
            r = plan.radii[name]
            assert xmin <= x - r and x + r <= xmax and ymin <= y - r and y + r <= ymax
        for x, y, w, h in plan.plates.values():
            assert xmin <= x and x + w <= xmax and ymin <= y and y + h <= ymax


def test_a_model_without_plates_is_one_column_per_row():
    m = pg.Model("chain")
    m.param("a", pg.Normal(0, 1))
    m.param("b", pg.Normal("a", 1))
    m.data("y", pg.Normal("b", 1))
    plan = layout(m)
    assert plan.plates == {} and plan.members == {}
    assert [plan.positions[n] for n in "ab"] + [plan.positions["y"]] == [
        (0.0, 0.0), (0.0, -1.0), (0.0, -2.0)]


def _layout_in_a_fresh_interpreter(hash_seed):
    code = ("import json; from pgmsim.draw.layout import layout; "
            "import conftest; "
            "print(json.dumps(layout(conftest.build_two_plate_model()).positions))")
    env = dict(os.environ, PYTHONHASHSEED=str(hash_seed))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=os.path.dirname(__file__), check=True)
    return {k: tuple(v) for k, v in json.loads(out.stdout).items()}


def test_the_same_model_gets_the_same_positions(plans):
    """Same positions on every call and in another interpreter, whatever the
    order of its sets (another string hash seed)."""
    here = [plans["xray_agn"][1].positions, plans["two plates"][1].positions]
    assert [layout(m).positions for m in (xray_agn.build(), build_two_plate_model())] == here
    assert _layout_in_a_fresh_interpreter(hash_seed=12345) == here[1]


@pytest.mark.parametrize("seed", range(8))
def test_the_same_graph_declared_in_three_orders_gets_the_same_drawing(seed):
    from conftest import declare, random_spec
    spec = random_spec(seed, max_nodes=12)
    plans = [layout(declare(spec, order_seed)) for order_seed in (None, 1, 2)]
    assert [list(declare(spec, s).graph) for s in (None, 1, 2)].count(list(spec[1])) <= 3
    assert plans[0].positions == plans[1].positions == plans[2].positions
    assert plans[0].plates == plans[1].plates == plans[2].plates
    assert plans[0].labels == plans[1].labels == plans[2].labels


def test_overlapping_forbidden_intervals_do_not_hang_the_row_placement():
    """Seed 25 of the fuzz graphs once sent a node back and forth between two
    overlapping plate blocks for ever."""
    from pgmsim.draw.layout import _spread
    assert _spread([1.0], [(0.0, 2.0), (1.5, 3.0)]) == [0.0]
    from conftest import build_random_model
    assert layout(build_random_model(25)).positions


def test_a_plate_holding_only_a_nested_plate_is_not_a_sibling_overlap():
    from conftest import build_random_model
    plan = layout(build_random_model(10))
    assert plan.members["P0"] == plan.members["P1"]
    assert plan.overlapping_plates() == []


FUZZ_SEEDS = range(200)
#: the fuzz seeds in groups of twenty, one test each
FUZZ_GROUPS = [FUZZ_SEEDS[i:i + 20] for i in range(0, len(FUZZ_SEEDS), 20)]


@pytest.fixture(scope="module")
def crossing_tally():
    """Edge crossings of every fuzz graph drawn, their total printed at the end."""
    tally = {}
    yield tally
    print(f"\n{len(tally)} random graphs: {sum(tally.values())} edge crossings in all")


@pytest.mark.parametrize("seeds", FUZZ_GROUPS, ids=lambda g: f"seeds{g.start}-{g.stop - 1}")
def test_random_graphs_are_drawn_without_defects(seeds, crossing_tally):
    """Random DAGs of 3 to 20 nodes of every kind on 0 to 3 plates, nested
    and sibling: no defect, checked by :meth:`Layout.problems` and by the
    independent checks above; edge crossings are printed, not asserted."""
    from conftest import build_random_model
    defects = {}
    for seed in seeds:
        model = build_random_model(seed)
        plan = layout(model)
        found = (plan.problems() + nodes_outside_their_plates(model, plan)
                 + overlapping_discs(plan) + parents_not_above_children(model, plan))
        if found:
            defects[seed] = found
        crossing_tally[seed] = len(plan.crossings())
        print(f"seed {seed}: {len(model.graph)} nodes, {crossing_tally[seed]} edge crossings")
    print(f"seeds {seeds.start}-{seeds.stop - 1}: "
          f"{sum(crossing_tally[s] for s in seeds)} edge crossings")
    assert defects == {}


def test_the_random_graphs_cover_plates_nested_and_sibling():
    """The fuzz graphs hold what they are meant to: 0 to 3 plates, nested and
    sibling ones, and 3 to 20 nodes."""
    from conftest import build_random_model
    models = [build_random_model(seed) for seed in FUZZ_SEEDS]
    assert {len(m.plates) for m in models} == {0, 1, 2, 3}
    assert any(p.within is not None for m in models for p in m.plates.values())
    assert any(sum(p.within is None for p in m.plates.values()) >= 2 for m in models)
    assert min(len(m.graph) for m in models) <= 5 and max(len(m.graph) for m in models) >= 18
