"""Labels of dots and plates: their text, size and a place no edge or node touches."""

import pgmsim as pg
from pgmsim.draw.checks import label_collisions
from pgmsim.draw.labels import label_size, label_text, place_labels, plate_label_box
from pgmsim.draw.layout import layout
from pgmsim.models import xray_agn, xray_cluster


def test_labels_carry_the_plate_index_and_vectors_are_bold():
    m = pg.Model("m")
    _ = m.param("w", pg.Normal(0.0, 1.0), shape=3)
    _ = m.fixed("t", plate="obs")
    assert label_text(m, "t") == "$t_k$"
    assert label_text(m, "w").startswith(r"$\boldsymbol{")


def test_longer_labels_get_wider_boxes_and_plate_labels_sit_in_the_corner():
    assert label_size("$N_k$")[0] < label_size(r"$\mathrm{flux}_k$")[0]
    x0, y0, x1, y1 = plate_label_box((1.0, 2.0, 3.0, 4.0), "pixels $k$")
    assert 1.0 < x0 < x1 < 4.0 and 2.0 < y0 < y1 < 6.0


def test_every_dot_label_is_placed_clear_of_edges_nodes_and_plates():
    for model in (xray_agn.build(), xray_cluster.build()):
        plan = layout(model)
        dots = {n for n in model.graph if not model.node(n).kind.stochastic}
        assert dots <= set(plan.labels)
        assert {n: label_collisions(plan, n) for n in plan.labels} == dict.fromkeys(
            plan.labels, [])


def test_a_label_with_every_side_taken_is_reported_not_hidden():
    """Negative control: a dot boxed in by other dots on every side keeps a
    label that the checks report."""
    m = pg.Model("crowded")
    _ = m.fixed("c")
    names = [f"d{i}" for i in range(8)]
    for name in names:
        _ = m.fixed(name)
    plan = layout(m)
    offsets = [(0.3, 0), (-0.3, 0), (0, 0.3), (0, -0.3), (0.3, 0.3), (-0.3, 0.3),
               (0.3, -0.3), (-0.3, -0.3)]
    plan.positions = {"c": (0.0, 0.0), **{n: o for n, o in zip(names, offsets)}}
    place_labels(m, plan)
    assert label_collisions(plan, "c") != []
