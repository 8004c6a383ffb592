"""Crowded fans of arrows widened towards heads a head's width apart, the drawing kept clean."""

import math

import pytest

from pgmsim.draw import repair as repair_module
from pgmsim.draw.checks import min_arrow_angle
from pgmsim.draw.fans import comfortable_angle, narrowest_gaps, spread_fans
from pgmsim.draw.layout import DET_RADIUS, NODE_RADIUS, layout
from pgmsim.models import point_source_image, source_with_prior_map, xray_agn, xray_cluster

X_RAY_MODELS = {
    "xray_agn": xray_agn.build,
    "xray_cluster": xray_cluster.build,
    "xray_cluster (two components)": lambda: xray_cluster.build(two_components=True),
    "point_source_image": point_source_image.build,
    "source_with_prior_map": source_with_prior_map.build,
}


def shortfall(model, plan):
    """Degrees by which the gaps between neighbouring arrows lack the comfortable angle."""
    from pgmsim.draw.checks import head_scale
    from pgmsim.draw.fans import _fan_gaps, _shortfall
    return math.degrees(sum(
        _shortfall(found, comfortable_angle(plan.radii[child],
                                            head_scale(model.graph.in_degree(child))))
        for child, found in _fan_gaps(plan).items()))


@pytest.fixture
def without_pass(monkeypatch):
    """Layouts as the repair leaves them, the fans not widened."""
    def draw(model):
        with monkeypatch.context() as patch:
            patch.setattr(repair_module, "spread_fans", lambda *args, **kwargs: None)
            return layout(model)
    return draw


def test_comfortable_heads_stand_a_head_width_apart_touching_ones_none():
    for radius in (DET_RADIUS, NODE_RADIUS):
        touching = min_arrow_angle(radius) - math.radians(2.0)   # without its margin
        assert comfortable_angle(radius) > 1.9 * touching
    assert math.degrees(comfortable_angle(DET_RADIUS)) == pytest.approx(20.2, abs=0.05)
    assert math.degrees(comfortable_angle(NODE_RADIUS)) == pytest.approx(15.3, abs=0.05)


def test_the_fans_of_the_x_ray_models_are_widened_and_the_drawings_stay_clean(without_pass):
    print("\nmodel                           narrowest gap at mu     shortfall (degrees)")
    for name, build in X_RAY_MODELS.items():
        model = build()
        before, after = without_pass(model), layout(model)
        gap_before = math.degrees(narrowest_gaps(before)["mu"])
        gap_after = math.degrees(narrowest_gaps(after)["mu"])
        lack_before, lack_after = shortfall(model, before), shortfall(model, after)
        print(f"{name:30s} {gap_before:6.1f} -> {gap_after:5.1f}      "
              f"{lack_before:6.1f} -> {lack_after:5.1f}")
        assert lack_before > 0                       # there was something to widen
        assert lack_after < lack_before - 1.0
        assert gap_after >= gap_before - 1e-9
        assert after.problems() == []
        assert len(after.crossings()) <= len(before.crossings())


def test_on_random_graphs_no_fan_is_narrowed_and_no_drawing_spoiled(without_pass):
    from conftest import build_random_model
    total_before = total_after = 0.0
    for seed in range(40):
        model = build_random_model(seed)
        before, after = without_pass(model), layout(model)
        assert after.problems() == [], seed
        assert len(after.crossings()) <= len(before.crossings()), seed
        gaps_before, gaps_after = narrowest_gaps(before), narrowest_gaps(after)
        for child, gap in gaps_after.items():
            comfort = comfortable_angle(after.radii[child], 1.0)
            assert gap >= min(gaps_before[child], comfort) - 1e-6, (seed, child)
        total_before += shortfall(model, before)
        total_after += shortfall(model, after)
    print(f"\n40 random graphs: shortfall {total_before:.0f} -> {total_after:.0f} degrees")
    assert total_after < 0.8 * total_before


def test_the_drawing_grows_by_half_a_column_on_each_side_at_most(without_pass):
    for build in X_RAY_MODELS.values():
        model = build()
        before, after = without_pass(model), layout(model)
        xs_before = [x for x, _ in before.positions.values()]
        xs_after = [x for x, _ in after.positions.values()]
        assert min(xs_after) >= min(xs_before) - 0.5 - 1e-9
        assert max(xs_after) <= max(xs_before) + 0.5 + 1e-9


def test_nodes_placed_by_hand_are_never_moved(without_pass):
    model = xray_agn.build()
    by_hand = {n: p for n, p in without_pass(model).positions.items()}
    plan = layout(model, positions=by_hand)
    assert plan.positions == by_hand
