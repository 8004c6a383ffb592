"""Trace and corner plots of chosen parameters; the default for many."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import pgmsim as pg
from pgmsim.fit.plots import corner_plot, trace_plot
from pgmsim.fit.selection import MAX_PANELS


def many_parameters(nsteps=40, nwalkers=6, seed=0):
    """A result of 2 scalar and 30 plate-parameter entries, no posterior."""
    names = ["mu", "tau", *(f"F[{k}]" for k in range(30))]
    chain = np.random.default_rng(seed).normal(size=(nsteps, nwalkers, len(names)))
    return pg.SamplingResult(chain, np.zeros((nsteps, nwalkers)), np.full(nwalkers, 0.3),
                             names)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_trace_of_a_plate_parameter_by_name_and_of_one_entry():
    res = many_parameters()
    fig = trace_plot(res, params=["F[3]", "mu"])
    assert [ax.get_ylabel() for ax in fig.axes] == ["F[3]", "mu"]
    np.testing.assert_array_equal(fig.axes[0].lines[2].get_ydata(), res.chain[:, 2, 5])
    assert fig.texts == []
    fig = trace_plot(res, params="F")
    assert len(fig.axes) == 30


def test_the_default_trace_of_many_parameters_is_readable_and_says_what_is_missing():
    fig = trace_plot(many_parameters())
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert len(labels) == MAX_PANELS and labels[:3] == ["mu", "tau", "F[0]"]
    assert fig.get_figheight() < 21
    (note,) = fig.texts
    assert note.get_text().startswith("not shown: F[10], F[11], F[12]")
    assert "and 14 more; choose with params=[...]" in note.get_text()


def test_unknown_parameters_are_refused_by_name():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) 'sigma'"):
        trace_plot(many_parameters(), params=["sigma"])
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) 'F\[30\]'"):
        corner_plot(many_parameters(), params=["F[30]"], discard=0)


def test_corner_of_chosen_entries_with_partial_truths():
    res = many_parameters(nsteps=200)
    fig = corner_plot(res, params=["mu", "F[1]", "F[2]"], discard=0,
                      truths={"mu": 0.5, "F": np.arange(30.0)})
    assert len(fig.axes) == 9
    assert fig.axes[6].get_xlabel() == "mu" and fig.axes[8].get_xlabel() == "F[2]"
    # truth lines: mu at 0.5 on its histogram, F[2] at 2 on its own
    assert [0.5, 0.5] in [list(line.get_xdata()) for line in fig.axes[0].lines]
    assert [2.0, 2.0] in [list(line.get_xdata()) for line in fig.axes[8].lines]
    fig = corner_plot(res, params=["mu", "tau"], discard=0, truths={"tau": 1.0})
    assert [1.0, 1.0] in [list(line.get_xdata()) for line in fig.axes[3].lines]
    assert not any(list(line.get_xdata()) == [1.0, 1.0] for line in fig.axes[0].lines)


def test_the_default_corner_of_many_parameters_has_at_most_the_limit():
    # points only: the contours of 66 panels take long and are not the point here
    fig = corner_plot(many_parameters(nsteps=100), discard=0, plot_contours=False,
                      plot_density=False)
    assert len(fig.axes) == MAX_PANELS ** 2
    assert fig.texts[-1].get_text().startswith("not shown: F[10]")


def test_bad_truths_are_refused_with_their_name():
    res = many_parameters(nsteps=100)
    with pytest.raises(ValueError, match=r"truths names unknown parameter\(s\) 'sigma'"):
        corner_plot(res, params=["mu"], discard=0, truths={"sigma": 1.0})
    with pytest.raises(ValueError, match=r"truths\['F'\] has 2 values, parameter 'F' has 30"):
        corner_plot(res, params=["mu"], discard=0, truths={"F": [1.0, 2.0]})
    with pytest.raises(ValueError, match="truths has 3 values, the result has 32"):
        corner_plot(res, params=["mu"], discard=0, truths=[1.0, 2.0, 3.0])


def scaled(rate, eff):
    return rate * eff


def test_truths_in_units_are_converted_to_the_parameter_s():
    import astropy.units as u

    m = pg.Model("rate")
    m.param("rate", pg.LogUniform(0.1, 10), unit="ct / s")
    m.param("eff", pg.Uniform(0.5, 1))
    m.deterministic("mu", scaled)
    m.data("N", pg.Poisson("mu"), plate="obs")
    post = m.posterior(data={"N": [3, 5, 4]})
    chain = np.random.default_rng(1).uniform(0.6, 0.9, size=(100, 6, 2))
    res = pg.SamplingResult(chain, np.zeros((100, 6)), np.full(6, 0.3), post.param_names, post)
    fig = corner_plot(res, discard=0, truths={"rate": 0.5 * u.ct / u.ms})
    assert [500.0, 500.0] in [list(line.get_xdata()) for line in fig.axes[0].lines]
