"""Models shared by the layout and the rendering tests."""

import numpy as np
import pytest

import pgmsim as pg


def build_two_plate_model():
    """Ten nodes on two plates, with parameters feeding both."""
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


def build_nested_plate_model():
    """A pixel plate inside a frame plate."""
    m = pg.Model("nested")
    m.plate("frames", index="i")
    m.plate("pixels", index="k", within="frames")
    m.param("g", pg.Uniform(0, 2))
    m.fixed("t", plate="frames")
    m.fixed("flat", plate="pixels")

    @m.deterministic(plate="pixels")
    def mu(g, t, flat):
        return g * t * flat

    m.data("D", pg.Poisson("mu"), plate="pixels")
    return m


@pytest.fixture
def two_plate_model():
    return build_two_plate_model()


@pytest.fixture
def nested_plate_model():
    return build_nested_plate_model()
