"""Rendering a layout with daft: node styles and the saved figures."""

import pytest

import pgmsim as pg
from pgmsim.draw.layout import DOT_RADIUS, layout
from pgmsim.draw.render import node_specs
from pgmsim.models import xray_agn


def test_xray_agn_has_the_teaching_convention(tmp_path):
    m = xray_agn.build()
    plan = layout(m)
    specs = node_specs(m, plan)
    for p in ["x0", "y0", "F", "b", "sigma"]:      # open circles
        assert (specs[p]["fixed"], specs[p]["observed"]) == (False, False)
    assert (specs["N"]["fixed"], specs["N"]["observed"]) == (False, True)
    assert specs["N"]["content"] == "$N_k$" and specs["x0"]["content"] == "$x_0$"
    for f in ["ex", "x", "y"]:                      # small dots
        assert specs[f]["fixed"] is True and specs[f]["scale"] < specs["x0"]["scale"]
    # the deterministic mu: a small dot inside an invisible, wider disc where
    # its eight incoming arrows stop
    assert specs["mu"]["dot"] == DOT_RADIUS and specs["mu"]["scale"] < specs["x0"]["scale"]
    assert specs["mu"]["plot_params"] == {"ec": "none", "fc": "none"}
    assert node_specs(m, plan, observed=False)["N"]["observed"] is False
    pgm = m.render()
    for ext in ("png", "pdf", "svg"):
        pgm.savefig(tmp_path / f"pgm.{ext}")
        assert (tmp_path / f"pgm.{ext}").stat().st_size > 1000


def test_ten_node_model_with_two_plates_renders(two_plate_model):
    two_plate_model.render().savefig("/dev/null", format="png")


def test_an_unknown_observed_style_is_refused():
    m = xray_agn.build()
    with pytest.raises(ValueError, match="observed_style"):
        m.render(observed_style="dotted")


def test_an_empty_model_is_refused_with_its_name():
    with pytest.raises(ValueError, match="model 'empty' has no nodes to draw"):
        pg.Model("empty").render()
