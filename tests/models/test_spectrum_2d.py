"""The 2D-spectrum model: extraction over many mocks and the posterior on one."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

import pgmsim as pg
from pgmsim.draw.layout import layout
from pgmsim.models import spectrum_2d

N_MOCKS = 100


def test_factorization_is_pinned():
    assert str(spectrum_2d.build().factorization()) == (
        "p(c0, c1, line_x, line_sigma, line_flux, y0, y1, sigma_y, b0, b1, {D_k}) = "
        "p(c0) p(c1) p(line_x) p(line_sigma) p(line_flux) p(y0) p(y1) p(sigma_y) p(b0) "
        "p(b1) prod_k p(D_k | c0, c1, line_x, line_sigma, line_flux, y0, y1, sigma_y, b0, b1)")
    poisson = spectrum_2d.build(noise="poisson", background="constant")
    assert poisson.factorization().latex == (
        r"p(c_0,c_1,x_\ell,\sigma_\ell,F_\ell,y_0,y_1,\sigma_{y},b_0,\{D_k\}) = "
        r"p(c_0)\,p(c_1)\,p(x_\ell)\,p(\sigma_\ell)\,p(F_\ell)\,p(y_0)\,p(y_1)\,"
        r"p(\sigma_{y})\,p(b_0)\,\prod_k p(D_k\mid c_0,c_1,x_\ell,\sigma_\ell,F_\ell,"
        r"y_0,y_1,\sigma_{y},b_0)")


@pytest.mark.parametrize("noise", ["normal", "poisson"])
@pytest.mark.parametrize("background", ["linear", "constant"])
def test_layout_is_clean(noise, background):
    assert layout(spectrum_2d.build(noise=noise, background=background)).problems() == []


def test_renders(tmp_path):
    pgm = spectrum_2d.build().render()
    pgm.savefig(tmp_path / "pgm.png")
    plt.close(pgm.figure)
    assert (tmp_path / "pgm.png").stat().st_size > 10_000


def test_mock_has_the_spectrum_on_its_trace():
    inputs = spectrum_2d.default_inputs()
    model = spectrum_2d.build()
    sim = model.simulate(inputs=inputs, params=spectrum_2d.TRUTH, seed=2)
    image = model.image(sim["D"])
    assert image.shape == (25, 100)
    prof = model.image(sim["prof"])
    assert np.allclose(prof.sum(axis=0), 1.0, atol=1e-9)   # the trace is well inside
    # the brightest column is the line's, the brightest row the trace's
    assert abs(np.argmax(image.sum(axis=0)) - spectrum_2d.TRUTH["line_x"]) <= 2
    assert abs(np.argmax(image.sum(axis=1)) - spectrum_2d.TRUTH["y0"]) <= 1
    # the Normal noise has the variance image's variance
    z = (sim["D"] - sim["mu"]) / np.sqrt(inputs["var"])
    assert abs(z.var() - 1) < 4 * np.sqrt(2 / z.size)


@pytest.mark.parametrize("noise", ["normal", "poisson"])
def test_optimal_extraction_has_lower_variance_than_box_extraction(noise):
    """Over 100 mocks: each extraction's scatter matches its predicted variance,
    optimal extraction is unbiased, and its variance is below that of the box,
    raw or aperture-corrected, for narrow, standard and wide boxes."""
    ext = spectrum_2d.extraction_comparison(N_MOCKS, seed=0, noise=noise)
    nx = ext.truth.size
    var_box = ext.box.var(axis=0, ddof=1)
    var_opt = ext.optimal.var(axis=0, ddof=1)
    # relative error of a variance estimated from N_MOCKS draws, averaged over columns
    rel = np.sqrt(2 / (N_MOCKS - 1)) / np.sqrt(nx)
    assert abs(var_box.mean() / ext.box_var.mean() - 1) < 4 * rel
    assert abs(var_opt.mean() / ext.optimal_var.mean() - 1) < 4 * rel
    bias = np.mean(ext.optimal - ext.truth)
    assert abs(bias) < 4 * np.sqrt(ext.optimal_var.mean() / (N_MOCKS * nx))
    assert var_opt.sum() / var_box.sum() < 1 - 4 * rel
    for aperture in (1.0, 2.5, 4.0):
        ext = spectrum_2d.extraction_comparison(N_MOCKS, seed=0, noise=noise, aperture=aperture)
        corrected = ext.box / ext.box_fraction
        assert abs(np.mean(corrected - ext.truth)) < 4 * np.sqrt(
            np.mean(ext.box_var / ext.box_fraction**2) / (N_MOCKS * nx))
        ratio = ext.optimal.var(axis=0, ddof=1).sum() / corrected.var(axis=0, ddof=1).sum()
        assert ratio < 1 - 4 * rel, aperture


@pytest.mark.parametrize("noise, background", [("normal", "linear"), ("poisson", "constant")])
def test_posterior_recovers_the_truth_and_the_line_flux(noise, background):
    params = dict(spectrum_2d.TRUTH)
    if background == "constant":
        params.pop("b1")
    inputs = spectrum_2d.default_inputs(noise=noise)
    model = spectrum_2d.build(noise=noise, background=background)
    data = {"D": model.simulate(inputs=inputs, params=params, seed=23)["D"]}
    post = model.posterior(data=data, inputs=inputs)
    guess = {k: v for k, v in spectrum_2d.initial_guess(inputs, data).items() if k in params}
    found = post.find_map(initial=guess, n_starts=0, seed=1)
    result = pg.sample(post, nwalkers=32, nsteps=400, seed=2, initial=found, progress=False)
    samples = result.flat_samples()
    low, high = np.percentile(samples, [0.5, 99.5], axis=0)
    truth = post.pack(params)
    outside = [n for n, lo, t, hi in zip(post.param_names, low, truth, high)
               if not lo < t < hi]
    assert outside == []
    flux = samples[:, post.param_names.index("line_flux")]
    # a 3% measurement of the line: the data do constrain it
    assert flux.std() < 0.05 * params["line_flux"]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="noise must be one of"):
        spectrum_2d.build(noise="gaussian")
    with pytest.raises(ValueError, match="background must be one of"):
        spectrum_2d.build(background="quadratic")
    with pytest.raises(ValueError, match="ny must be an integer >= 2"):
        spectrum_2d.build(ny=1)
    with pytest.raises(ValueError, match="noise must be one of"):
        spectrum_2d.default_inputs(noise="counts")
    inputs = spectrum_2d.default_inputs()
    with pytest.raises(ValueError, match="aperture must be positive"):
        spectrum_2d.extract(np.zeros(2500), inputs, aperture=0)
    with pytest.raises(ValueError, match="2500 pixels"):
        spectrum_2d.extract(np.zeros(100), inputs)
    # a variance image with the Poisson model is an unknown input
    with pytest.raises(ValueError, match="'var' is not a node"):
        spectrum_2d.build(noise="poisson").simulate(inputs=inputs, params=spectrum_2d.TRUTH)
