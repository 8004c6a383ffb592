"""Automatic PGM layout (as data) and daft rendering."""

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.draw.layout import layout
from pgmsim.draw.render import node_specs
from pgmsim.models import xray_agn


def ten_nodes_two_plates():
    m = pg.Model("two plates")
    m.param("alpha", pg.Normal(0, 1))
    m.param("beta", pg.HalfNormal(1))
    m.param("gamma", pg.Uniform(0, 1))
    m.plate("sources", index="j")
    m.param("F", pg.Normal("alpha", "beta"), plate="sources")
    m.fixed("d", plate="sources")
    m.data("m_obs", pg.Normal("F", "gamma"), plate="sources")
    m.fixed("x", plate="pixels")
    m.fixed("ex", plate="pixels")

    @m.deterministic(plate="pixels")
    def mu(x, ex, gamma, alpha):
        return ex * gamma * np.exp(-x**2) + alpha**2

    m.data("N", pg.Poisson("mu"), plate="pixels")
    return m


def test_xray_agn_layout_is_clean_and_has_the_teaching_convention(tmp_path):
    m = xray_agn.build()
    plan = layout(m)
    assert plan.problems() == []
    assert set(plan.plates) == {"pixels"}
    assert plan.members["pixels"] == {"ex", "x", "y", "mu", "N"}
    specs = node_specs(m, plan)
    for p in ["x0", "y0", "F", "b", "sigma"]:      # open circles
        assert (specs[p]["fixed"], specs[p]["observed"]) == (False, False)
    assert (specs["N"]["fixed"], specs["N"]["observed"]) == (False, True)
    assert specs["N"]["content"] == "$N_k$" and specs["x0"]["content"] == "$x_0$"
    for f in ["ex", "x", "y", "mu"]:                # small dots
        assert specs[f]["fixed"] is True and specs[f]["scale"] < specs["x0"]["scale"]
    assert node_specs(m, plan, observed=False)["N"]["observed"] is False
    pgm = m.render()
    for ext in ("png", "pdf", "svg"):
        pgm.savefig(tmp_path / f"pgm.{ext}")
        assert (tmp_path / f"pgm.{ext}").stat().st_size > 1000


def test_parameters_sit_above_the_plate_they_feed():
    plan = layout(xray_agn.build())
    top_of_plate = plan.plates["pixels"][1] + plan.plates["pixels"][3]
    for p in ["x0", "y0", "F", "b", "sigma"]:
        assert plan.positions[p][1] > top_of_plate


def test_ten_node_model_with_two_plates_has_no_overlaps():
    m = ten_nodes_two_plates()
    assert len(m.graph) == 10
    plan = layout(m)
    assert plan.problems() == []
    assert set(plan.plates) == {"sources", "pixels"}
    m.render().savefig("/dev/null", format="png")


def test_nested_plates_are_drawn_nested():
    m = pg.Model()
    m.plate("frames", index="i")
    m.plate("pixels", index="k", within="frames")
    m.param("g", pg.Uniform(0, 2))
    m.fixed("t", plate="frames")
    m.fixed("flat", plate="pixels")

    @m.deterministic(plate="pixels")
    def mu(g, t, flat):
        return g * t * flat

    m.data("D", pg.Poisson("mu"), plate="pixels")
    plan = layout(m)
    assert plan.problems() == []
    fx, fy, fw, fh = plan.plates["frames"]
    px, py, pw, ph = plan.plates["pixels"]
    assert fx < px and fy < py and px + pw < fx + fw and py + ph < fy + fh


def test_positions_override_the_layout():
    m = xray_agn.build()
    plan = layout(m, positions={"N": (0.0, -6.0)})
    assert plan.positions["N"] == (0.0, -6.0)
    with pytest.raises(ValueError, match="unknown node"):
        layout(m, positions={"nope": (0, 0)})
    with pytest.raises(ValueError, match="observed_style"):
        m.render(observed_style="dotted")
