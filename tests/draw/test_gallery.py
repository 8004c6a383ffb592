"""The gallery of classic PGMs: every drawing clean, no more edge crossings
than daft's hand-placed originals, TikZ at the layout's positions.

``pytest -s`` shows the table of crossings, ours beside daft's.
"""

import functools
import importlib
import subprocess

import numpy as np
import pytest
from scipy import stats

from pgmsim.cli import MODELS
from pgmsim.draw import gallery
from pgmsim.draw.gallery import (CLASSIC_MODELS, FORWARD_VIEWS, LinearNormal,
                                 classic_models, recursive)
from pgmsim.draw.layout import layout
from pgmsim.draw.tikz import to_tikz

from daft_gallery_positions import DAFT_POSITIONS
from test_tikz import BAYESNET, TEX, assert_tikz_matches_layout

GALLERY = [build.__name__ for build in CLASSIC_MODELS]
#: nested plates are drawn, not simulated (see the module docstring of the gallery)
NESTED = {"exoplanets", "yike", "hierarchical_regression"}


def build(name):
    return getattr(gallery, name)()


@functools.lru_cache(maxsize=None)
def crossing_counts(name):
    """``(ours, daft's)`` edge crossings of a gallery graph."""
    model = build(name)
    return (len(layout(model).crossings()),
            len(layout(model, positions=DAFT_POSITIONS[name]).crossings()))


def test_the_gallery_lists_at_least_eight_models_in_a_fixed_order():
    models = classic_models()
    assert len(models) >= 8
    assert list(models) == GALLERY == [m.name for m in models.values()]
    assert models["gaia"] is not classic_models()["gaia"]  # built afresh
    assert set(FORWARD_VIEWS) <= set(models)
    assert set(DAFT_POSITIONS) <= set(models)


@pytest.mark.parametrize("name", GALLERY)
def test_gallery_drawing_has_no_problems(name):
    assert layout(build(name)).problems() == []


@pytest.mark.parametrize("name", MODELS)
def test_ready_made_model_drawing_has_no_problems(name):
    model = importlib.import_module(f"pgmsim.models.{name}").build()
    assert layout(model).problems() == []


@pytest.mark.parametrize("name", list(DAFT_POSITIONS))
def test_daft_positions_name_every_node_of_the_gallery_graph(name):
    assert set(DAFT_POSITIONS[name]) == set(build(name).graph)


def test_crossing_table():
    """Printed with ``pytest -s``: edge crossings, ours against daft's hand-placed ones."""
    rows = [f"{'graph':24s} {'pgmsim':>6s} {'daft':>6s}"]
    for name in DAFT_POSITIONS:
        ours, theirs = crossing_counts(name)
        rows.append(f"{name:24s} {ours:6d} {theirs:6d}")
    print("\nedge crossings, automatic layout against daft's hand-placed originals")
    print("\n".join(rows))
    assert len(rows) == len(DAFT_POSITIONS) + 1


@pytest.mark.parametrize("name", list(DAFT_POSITIONS))
def test_no_more_crossings_than_daft(name):
    ours, theirs = crossing_counts(name)
    assert ours <= theirs, f"{name}: {ours} edge crossings, daft's original has {theirs}"


def test_bad_positions_give_crossings_and_problems():
    """Negative controls: the counts and checks above can fail."""
    model = build("exoplanets")
    twisted = dict(DAFT_POSITIONS["exoplanets"])
    twisted["x"], twisted["p"] = twisted["p"], twisted["x"]  # speckle and planet swapped
    ours, _ = crossing_counts("exoplanets")
    assert len(layout(model, positions=twisted).crossings()) > ours
    stacked = {n: (0.0, 0.0) for n in build("gaia").graph}
    assert layout(build("gaia"), positions=stacked).problems() != []


@pytest.mark.parametrize("name", GALLERY)
def test_gallery_tikz_has_the_layout_positions(name):
    assert_tikz_matches_layout(build(name))


@pytest.mark.skipif(not (TEX and BAYESNET),
                    reason="no pdflatex with tikz-bayesnet on this machine")
@pytest.mark.parametrize("name", GALLERY)
def test_gallery_standalone_tikz_compiles(tmp_path, name):
    (tmp_path / "pgm.tex").write_text(to_tikz(build(name), standalone=True))
    subprocess.run([TEX, "-interaction=nonstopmode", "-halt-on-error", "pgm.tex"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=120)
    assert (tmp_path / "pgm.pdf").stat().st_size > 1000


def _inputs(model):
    """Fixed inputs for a simulation: evenly spaced values along their plates."""
    inputs = {}
    for name in model.graph:
        node = model.node(name)
        if node.kind.value == "fixed":
            size = model.plates[node.plate].size or 6 if node.plate else None
            inputs[name] = np.linspace(0.5, 1.5, size) if size else 1.0
    return inputs


@pytest.mark.parametrize("name", [n for n in GALLERY if n not in NESTED])
def test_gallery_model_simulates_and_has_a_finite_posterior(name):
    model = build(name)
    inputs = _inputs(model)
    sim = model.simulate(inputs=inputs, seed=3)
    assert all(np.all(np.isfinite(v)) for v in sim.values())
    if name in FORWARD_VIEWS:
        assert not any(model.node(n).kind.value == "parameter" for n in model.graph)
        return
    data = {n: sim[n] for n in model.graph if model.node(n).kind.value == "data"}
    post = model.posterior(data=data, inputs=inputs)
    theta = post.prior_transform(np.full(post.ndim, 0.5))
    assert np.isfinite(post.log_prob(theta))


def test_linear_normal_matches_scipy_and_a_wrong_mean_does_not():
    dist = LinearNormal(1.0, 2.0, 3.0, 0.5)
    x = np.linspace(5.0, 9.0, 7)
    np.testing.assert_allclose(dist.logpdf(x), stats.norm(7.0, 0.5).logpdf(x), rtol=1e-12)
    assert not np.allclose(dist.logpdf(x), stats.norm(6.0, 0.5).logpdf(x))
    draws = dist.sample(np.random.default_rng(0), size=20000)
    assert abs(draws.mean() - 7.0) < 5 * 0.5 / np.sqrt(draws.size)
    with pytest.raises(ValueError, match="sigma"):
        LinearNormal(1.0, 2.0, 3.0, -1.0)


@pytest.mark.parametrize("levels", [0, 2.5, "4"])
def test_recursive_refuses_a_depth_that_is_not_a_positive_integer(levels):
    with pytest.raises(ValueError, match="levels must be a positive integer"):
        recursive(levels=levels)
