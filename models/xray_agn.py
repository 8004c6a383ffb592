r"""X-ray postage stamp of an AGN: a point source on a uniform background.

The physics. An active galactic nucleus is unresolved by an X-ray telescope:
its image is the point-spread function (PSF), here a circular Gaussian of
width ``sigma`` pixels, centred on the source position ``(x0, y0)``. The
source emits ``F`` counts per second in total, spread over the pixels by the
PSF. A uniform background adds ``b`` counts per second per pixel. The
telescope's effective exposure time ``ex_k`` (seconds) varies over the field
(vignetting), so the expected counts in pixel ``k`` are

.. math::

    \mu_k = \mathrm{ex}_k \left[ \frac{F}{2\pi\sigma^2}
            \exp\left(-\frac{(x_k-x_0)^2 + (y_k-y_0)^2}{2\sigma^2}\right) + b \right],

and the detected photon counts are independent Poisson draws,
:math:`N_k \sim \mathrm{Poisson}(\mu_k)`.

The nodes.

- ``ex`` (fixed, plate ``pixels``): exposure of each pixel, seconds.
- ``x``, ``y`` (fixed, plate ``pixels``): pixel column and row, from 0.
- ``x0``, ``y0`` (parameters): source position in pixels, uniform over the stamp.
- ``F`` (parameter): source count rate, counts/s, log-uniform.
- ``b`` (parameter): background rate, counts/s/pixel, log-uniform.
- ``sigma`` (parameter): PSF width in pixels, uniform.
- ``mu`` (deterministic, plate ``pixels``): expected counts.
- ``N`` (data, plate ``pixels``): observed counts.
"""

import numpy as np

import pgmsim as pg

__all__ = ["build", "default_inputs", "as_image", "TRUTH", "DESCRIPTION"]

DESCRIPTION = "X-ray postage stamp of an AGN: Gaussian PSF on a uniform background, Poisson counts"

#: parameter values of the demo mock (a 40x40 stamp)
TRUTH = {"x0": 19.3, "y0": 21.6, "F": 0.03, "b": 5e-6, "sigma": 1.6}


def build(size=40):
    """The AGN postage-stamp model.

    Parameters
    ----------
    size : int
        Side of the square stamp in pixels; bounds the position priors.

    Returns
    -------
    pgmsim.Model

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> m = xray_agn.build()
    >>> print(m.factorization())
    p(x0, y0, F, b, sigma, {N_k}) = p(x0) p(y0) p(F) p(b) p(sigma) prod_k p(N_k | x0, y0, F, b, sigma)
    """
    m = pg.Model("xray_agn")
    m.fixed("ex", plate="pixels")
    m.fixed("x", plate="pixels")
    m.fixed("y", plate="pixels")
    m.param("x0", pg.Uniform(0, size))
    m.param("y0", pg.Uniform(0, size))
    m.param("F", pg.LogUniform(1e-3, 1.0))
    m.param("b", pg.LogUniform(1e-6, 1e-2))
    m.param("sigma", pg.Uniform(0.5, 4.0))

    @m.deterministic(plate="pixels")
    def mu(x0, y0, F, b, sigma, ex, x, y):
        r2 = (x - x0) ** 2 + (y - y0) ** 2
        return ex * (F * np.exp(-0.5 * r2 / sigma**2) / (2 * np.pi * sigma**2) + b)

    m.data("N", pg.Poisson("mu"), plate="pixels")
    return m


def default_inputs(size=40, seed=0, exposure=1.2e4):
    """Inputs of a mock stamp: pixel coordinates and a vignetted exposure map.

    The exposure falls off with the distance to the telescope's optical axis,
    which lies outside the stamp in a direction chosen by ``seed``, as for a
    source a few arcminutes off-axis: across the stamp it drops from about
    ``exposure`` to about 80 percent of it.

    Parameters
    ----------
    size : int
        Side of the square stamp in pixels.
    seed : int
        Chooses the direction of the optical axis.
    exposure : float
        On-axis exposure time, seconds.

    Returns
    -------
    dict
        ``ex``, ``x``, ``y``: vectors of length ``size**2`` (row-major pixels).
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(float)
    angle = rng.uniform(0, 2 * np.pi)
    axis_x = size / 2 + 1.5 * size * np.cos(angle)
    axis_y = size / 2 + 1.5 * size * np.sin(angle)
    # vignetting: effective area drops roughly quadratically off-axis
    r2 = ((x - axis_x) ** 2 + (y - axis_y) ** 2) / (4.0 * size) ** 2
    ex = exposure * (1.0 - 0.45 * r2)
    return {"ex": ex.ravel(), "x": x.ravel(), "y": y.ravel()}


def as_image(values, inputs):
    """Reshape a plate vector (e.g. counts) into the stamp image ``[y, x]``."""
    shape = (int(np.max(inputs["y"])) + 1, int(np.max(inputs["x"])) + 1)
    return np.asarray(values).reshape(shape)
