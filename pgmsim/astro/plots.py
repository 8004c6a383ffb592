"""Figures that compare data with model draws."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

__all__ = ["image_comparison"]


def image_comparison(observed, simulated, titles=("observed", "simulated", "difference")):
    """Observed, simulated and difference images side by side.

    The first two share a logarithmic colour scale (counts images are mostly
    faint); the difference uses a symmetric linear scale.

    Parameters
    ----------
    observed, simulated : numpy.ndarray, shape (ny, nx)
        Images indexed ``[y, x]``, drawn with ``origin='lower'``.
    titles : tuple of str

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If the two images differ in shape.

    Examples
    --------
    >>> from pgmsim.models import xray_agn
    >>> from pgmsim.astro.plots import image_comparison
    >>> m, inputs = xray_agn.build(), xray_agn.default_inputs()
    >>> mock = m.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=1)["N"]
    >>> replica = m.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=2)["N"]
    >>> fig = image_comparison(m.image(mock), m.image(replica))
    >>> len(fig.axes)  # three images and two colour bars
    5
    """
    observed, simulated = np.asarray(observed, float), np.asarray(simulated, float)
    if observed.shape != simulated.shape or observed.ndim != 2:
        raise ValueError(f"need two 2-D images of one shape, got {observed.shape} "
                         f"and {simulated.shape}")
    fig = Figure(figsize=(12, 4), layout="constrained")
    axes = fig.subplots(1, 3)
    top = max(observed.max(), simulated.max(), 1.0)
    norm = LogNorm(vmin=0.5, vmax=top)
    for ax, image, title in zip(axes[:2], (observed, simulated), titles):
        # zero counts sit below vmin and are shown in the "under" colour
        shown = ax.imshow(np.where(image > 0, image, 0.1), origin="lower", norm=norm,
                          cmap="viridis")
        ax.set_title(title)
    fig.colorbar(shown, ax=axes[:2], label="counts", shrink=0.8)
    diff = observed - simulated
    lim = max(np.abs(diff).max(), 1.0)
    shown = axes[2].imshow(diff, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
    axes[2].set_title(titles[2])
    fig.colorbar(shown, ax=axes[2], label="counts", shrink=0.8)
    for ax in axes:
        ax.set_xlabel("x [pixel]")
    axes[0].set_ylabel("y [pixel]")
    return fig
