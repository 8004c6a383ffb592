"""A straight line with Gaussian noise: a model of one's own for the ``pgmsim`` command.

``pgmsim run my_line.py``, ``pgmsim render my_line.py`` and ``pgmsim simulate
my_line.py`` use this file as they use a ready-made model: ``build()`` declares
the model, ``default_inputs(seed=...)`` gives the fixed inputs of a mock, and
``TRUTH`` the parameter values it is simulated with.
"""

import numpy as np

import pgmsim as pg

#: one line, printed by ``pgmsim run``
DESCRIPTION = "Straight line y = a + b x, Gaussian noise of known width"

#: the parameter values of the mock that ``pgmsim run`` fits
TRUTH = {"a": 1.0, "b": 0.5}


def line(a, b, x):
    """The line at ``x``: at module level, so that models built here pickle."""
    return a + b * x


def build():
    """The model: y_i ~ Normal(a + b x_i, sigma_i) on the plate of points."""
    m = pg.Model("my_line")
    m.fixed("x", plate="points")
    m.fixed("sigma", plate="points")  # the known noise of each point
    m.param("a", pg.Normal(0.0, 10.0))
    m.param("b", pg.Normal(0.0, 10.0))
    m.deterministic("mu", line, plate="points")
    m.data("y", pg.Normal("mu", "sigma"), plate="points")
    return m


def default_inputs(seed=0, npoints=20):
    """Fixed inputs of a mock: ``npoints`` positions in [0, 10], noise 0.5."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 10.0, npoints))
    return {"x": x, "sigma": np.full(npoints, 0.5)}
