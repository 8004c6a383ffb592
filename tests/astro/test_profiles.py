"""Radial profiles: annulus sums against a brute-force oracle, and the profile plot."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from pgmsim.astro.profiles import RadialProfile, log_bins, plot_radial_profile, radial_profile


def _brute_force(values, x, y, center, edges):
    """One boolean mask per annulus (a loop over annuli, not pixels)."""
    r = np.hypot(x - center[0], y - center[1])
    npix, total, radius = [], [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (r >= lo) & (r < hi)
        npix.append(inside.sum())
        total.append(values[..., inside].sum(axis=-1))
        radius.append(r[inside].mean() if inside.any() else np.nan)
    return np.array(npix), np.stack(total, axis=-1), np.array(radius)


@pytest.fixture
def plate():
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:30, 0:40]
    keep = rng.random((30, 40)) > 0.2  # a masked plate
    return {"x": x[keep].astype(float), "y": y[keep].astype(float),
            "counts": rng.poisson(3.0, keep.sum()).astype(float),
            "exposure": rng.uniform(1e3, 2e3, keep.sum())}


def test_sums_match_brute_force(plate):
    edges = np.array([0.0, 1.5, 4.0, 7.5, 12.0, 30.0])
    center = (17.3, 12.8)
    prof = radial_profile(plate["counts"], plate["x"], plate["y"], center, edges,
                          exposure=plate["exposure"])
    npix, total, radius = _brute_force(plate["counts"], plate["x"], plate["y"], center, edges)
    np.testing.assert_array_equal(prof.npix, npix)
    np.testing.assert_allclose(prof.total, total, rtol=1e-12)
    np.testing.assert_allclose(prof.radius, radius, rtol=1e-12)
    _, exposure, _ = _brute_force(plate["exposure"], plate["x"], plate["y"], center, edges)
    np.testing.assert_allclose(prof.exposure, exposure, rtol=1e-12)
    np.testing.assert_allclose(prof.mean, total / npix)
    np.testing.assert_allclose(prof.error, np.sqrt(total) / npix)
    np.testing.assert_allclose(prof.rate, total / exposure)


def test_batch_of_draws_equals_one_profile_per_draw(plate):
    rng = np.random.default_rng(3)
    draws = rng.gamma(2.0, 1.0, size=(5, len(plate["x"])))
    batch = radial_profile(draws, plate["x"], plate["y"], (20, 15), 6)
    assert batch.total.shape == (5, 6)
    for row, values in zip(batch.total, draws):
        single = radial_profile(values, plate["x"], plate["y"], (20, 15), batch.edges)
        np.testing.assert_allclose(row, single.total, rtol=1e-12)


def test_integer_bins_cover_every_pixel(plate):
    prof = radial_profile(plate["counts"], plate["x"], plate["y"], (0.0, 0.0), 8)
    assert prof.edges[0] == 0 and prof.edges[1] == 1 and len(prof.edges) == 9
    assert prof.npix.sum() == len(plate["x"])
    assert prof.total.sum() == pytest.approx(plate["counts"].sum())
    np.testing.assert_allclose(log_bins(100, 3, rmin=1), [0, 1, 10, 100])


def test_image_with_nan_equals_plate(plate):
    image = np.full((30, 40), np.nan)
    image[plate["y"].astype(int), plate["x"].astype(int)] = plate["counts"]
    from_image = radial_profile(image, center=(10, 10), bins=[0, 3, 9, 27])
    from_plate = radial_profile(plate["counts"], plate["x"], plate["y"], (10, 10),
                                [0, 3, 9, 27])
    np.testing.assert_array_equal(from_image.npix, from_plate.npix)
    np.testing.assert_allclose(from_image.total, from_plate.total)


def test_poisson_profile_is_consistent_with_the_mean():
    """Counts drawn with mean 4 everywhere: each annulus mean is within its
    Poisson error; the chi-square over 10 annuli stays under its 99.9% point."""
    rng = np.random.default_rng(11)
    image = rng.poisson(4.0, size=(200, 200))
    prof = radial_profile(image, center=(100, 100), bins=10)
    chi2 = np.sum((prof.mean - 4.0) ** 2 / (4.0 / prof.npix))
    assert chi2 < 29.6  # scipy.stats.chi2(10).ppf(0.999)


def test_errors(plate):
    with pytest.raises(ValueError, match="2-D image"):
        radial_profile(np.ones(10))
    with pytest.raises(ValueError, match="both x and y"):
        radial_profile(np.ones(10), x=np.arange(10.0))
    with pytest.raises(ValueError, match="shape"):
        radial_profile(np.ones(9), np.arange(10.0), np.arange(10.0))
    with pytest.raises(ValueError, match="increasing edges"):
        radial_profile(plate["counts"], plate["x"], plate["y"], (0, 0), [0, 5, 3])
    with pytest.raises(ValueError, match="exposure must have shape"):
        radial_profile(plate["counts"], plate["x"], plate["y"], (0, 0), 4, exposure=[1.0])
    prof = radial_profile(plate["counts"], plate["x"], plate["y"], (0, 0), 4)
    with pytest.raises(ValueError, match="without an exposure"):
        prof.rate
    with pytest.raises(ValueError, match="nbins"):
        log_bins(10, 1)


def test_plot_radial_profile(plate):
    center = (20.0, 15.0)
    data = radial_profile(plate["counts"], plate["x"], plate["y"], center, 6)
    draws = radial_profile(np.full((20, len(plate["x"])), 3.0)
                           * np.linspace(0.9, 1.1, 20)[:, None],
                           plate["x"], plate["y"], center, data.edges)
    background = radial_profile(np.full(len(plate["x"]), 1.0), plate["x"], plate["y"],
                                center, data.edges)
    fig = plot_radial_profile(data, draws, components={"background": background},
                              title="mock")
    assert isinstance(fig, Figure)
    main, residuals = fig.axes
    assert main.get_xscale() == main.get_yscale() == residuals.get_xscale() == "log"
    labels = main.get_legend_handles_labels()[1]
    assert labels[:3] == ["model (posterior median)", "95% credible band", "background"]
    assert len(plot_radial_profile(data).axes) == 1
    other = radial_profile(plate["counts"], plate["x"], plate["y"], center, 5)
    with pytest.raises(ValueError, match="same annuli"):
        plot_radial_profile(data, other)
    assert isinstance(data, RadialProfile)
