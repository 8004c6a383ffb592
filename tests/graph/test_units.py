"""Units of nodes: declared once, Quantity values converted to them where they
are given, and refused (naming the node and both units) when they cannot be."""

import astropy.units as u
import numpy as np
import pytest

import pgmsim as pg
from pgmsim.fit.initialization import initial_walkers
from pgmsim.graph.nodes import ModelError
from pgmsim.graph.units import plain_value

DATA = {"N": [3, 5, 4]}


def rate_model(units=True):
    """Counts from a rate times an exposure time, with or without units."""
    unit = (lambda text: text) if units else (lambda text: None)
    m = pg.Model("rate")
    m.plate("obs", size=3)
    m.fixed("t", unit=unit("s"))
    m.param("rate", pg.LogUniform(1e-3, 10.0), unit=unit("ct / s"))
    m.deterministic("mu", lambda rate, t: rate * t, unit=unit("ct"))
    m.data("N", pg.Poisson("mu"), plate="obs", unit=unit("ct"))
    return m


def test_every_kind_of_node_stores_its_unit():
    m = rate_model()
    assert m.node("t").unit == u.s
    assert m.node("rate").unit == u.ct / u.s
    assert m.node("mu").unit == u.ct and m.node("N").unit == u.ct
    assert all(isinstance(m.node(n).unit, u.UnitBase) for n in m.graph)
    plain = rate_model(units=False)
    assert all(plain.node(n).unit is None for n in plain.graph)


def test_a_unit_object_and_the_decorator_form_are_accepted():
    m = pg.Model()
    m.fixed("x", plate="pix", unit=u.arcsec)
    m.param("F", pg.LogUniform(1e-3, 1.0), unit="ct / (s cm2)")

    @m.deterministic(plate="pix", unit=u.ct / u.s / u.cm**2)
    def flux(F, x):
        return F * np.exp(-x**2)

    assert m.node("x").unit == u.arcsec
    assert m.node("F").unit == u.ct / (u.s * u.cm**2)
    assert m.node("flux").unit == m.node("F").unit


def test_a_joint_prior_takes_one_unit_per_parameter():
    m = pg.Model()
    m.param(("x0", "y0"), pg.MapPrior(np.ones((4, 4)), (0, 40, 0, 40)), unit=("pix", "deg"))
    assert (m.node("x0").unit, m.node("y0").unit) == (u.pix, u.deg)
    with pytest.raises(ModelError, match="'a', 'b': give one unit per name, got unit='pix'"):
        m.param(("a", "b"), pg.MapPrior(np.ones((4, 4)), (0, 40, 0, 40)), unit="pix")
    assert "a" not in m.graph


@pytest.mark.parametrize("declare", [
    lambda m: m.fixed("t", unit="furlongs per fortnight"),
    lambda m: m.param("t", pg.Uniform(0, 1), unit="secnds"),
    lambda m: m.deterministic("t", lambda: 1.0, unit="ct /"),
    lambda m: m.data("t", pg.Normal(0, 1), unit="bogus"),
    lambda m: m.fixed("t", unit=5),
])
def test_an_unreadable_unit_is_refused_when_declared_naming_the_node(declare):
    m = pg.Model()
    with pytest.raises(ModelError, match="node 't'.*unit"):
        declare(m)
    assert "t" not in m.graph


def test_a_quantity_input_is_converted_to_the_node_s_unit():
    m = rate_model()
    in_ks = m.posterior(data=DATA, inputs={"t": 0.1 * u.ks})
    in_s = m.posterior(data=DATA, inputs={"t": 100.0})   # a number is in the node's unit
    assert in_ks.inputs["t"] == 100.0
    theta = np.array([[0.02], [0.04], [0.05]])
    np.testing.assert_array_equal(in_ks.log_prob(theta), in_s.log_prob(theta))


def test_quantity_data_params_and_initial_values_are_converted():
    m = rate_model()
    post = m.posterior(data={"N": [3, 5, 4] * u.ct}, inputs={"t": 100 * u.s})
    np.testing.assert_array_equal(post.data["N"], [3, 5, 4])
    per_hour = 36.0 * u.ct / u.h
    np.testing.assert_allclose(post.pack({"rate": per_hour}), [0.01])
    walkers = initial_walkers(post, 8, initial={"rate": per_hour}, ball=1e-6, seed=1)
    np.testing.assert_allclose(walkers, 0.01, rtol=1e-3)
    sim = m.simulate(inputs={"t": 1 * u.h}, params={"rate": per_hour}, seed=1)
    assert sim["t"] == 3600.0 and sim["rate"] == pytest.approx(0.01)
    assert sim["mu"] == pytest.approx(36.0)


def test_a_quantity_for_a_node_without_a_unit_is_refused():
    """Not silently stripped: 0.1 ks would be taken as 0.1."""
    m = rate_model(units=False)
    with pytest.raises(ValueError, match="fixed node 't' has no unit; got a Quantity in ks"):
        m.posterior(data=DATA, inputs={"t": 0.1 * u.ks})
    with pytest.raises(ValueError, match="data node 'N' has no unit; got a Quantity in ct"):
        m.posterior(data={"N": [3, 5, 4] * u.ct}, inputs={"t": 100.0})
    with pytest.raises(ValueError, match="parameter node 'rate' has no unit"):
        m.simulate(inputs={"t": 100.0}, params={"rate": 0.1 / u.s})


def test_a_dimensionless_quantity_is_a_plain_number():
    m = rate_model(units=False)
    post = m.posterior(data=DATA, inputs={"t": 2 * u.m / u.cm})
    assert post.inputs["t"] == 200.0


@pytest.mark.parametrize("call, message", [
    (lambda m: m.posterior(data=DATA, inputs={"t": 3 * u.m}),
     "fixed node 't' is in s; got a Quantity in m, which cannot be converted"),
    (lambda m: m.posterior(data={"N": [3, 5, 4] * u.erg}, inputs={"t": 1.0}),
     "data node 'N' is in ct; got a Quantity in erg"),
    (lambda m: m.simulate(inputs={"t": 1.0}, params={"rate": 1 * u.Hz}),
     r"parameter node 'rate' is in ct / s; got a Quantity in Hz"),
    (lambda m: m.posterior(data=DATA, inputs={"t": 1.0}).pack({"rate": 1 * u.ct}),
     r"parameter node 'rate' is in ct / s; got a Quantity in ct"),
])
def test_a_quantity_in_an_incompatible_unit_names_the_node_and_both_units(call, message):
    with pytest.raises(ValueError, match=message):
        call(rate_model())


def test_plain_value_leaves_plain_values_alone():
    node = rate_model().node("t")
    values = np.arange(3.0)
    assert plain_value(node, values, "inputs") is values
    assert plain_value(node, [1, 2], "inputs") == [1, 2]
    np.testing.assert_array_equal(plain_value(node, [1, 2] * u.min, "inputs"), [60, 120])


def test_a_list_of_quantities_is_one_quantity():
    m = rate_model()
    post = m.posterior(data={"N": [3 * u.ct, 5 * u.ct, 4 * u.ct]}, inputs={"t": 100.0})
    np.testing.assert_array_equal(post.data["N"], [3, 5, 4])
    node = m.node("t")
    np.testing.assert_array_equal(plain_value(node, [1 * u.s, 2 * u.ks], "inputs"), [1, 2000])
    for mixed in ([1 * u.s, 2], (1 * u.s, 2 * u.m)):
        with pytest.raises(ValueError, match="inputs: fixed node 't' .*list of Quantities"):
            plain_value(node, mixed, "inputs")
