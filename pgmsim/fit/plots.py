"""Trace and corner plots of a :class:`~pgmsim.fit.results.SamplingResult`,
for a chosen set of parameters (:mod:`.selection`).

By default a plot shows at most :data:`~pgmsim.fit.selection.MAX_PANELS`
parameter entries, the scalar (population) parameters first; a line of text
at the foot of the figure names what was left out. Figures are returned,
never shown.
"""

from __future__ import annotations

import numpy as np

from ..graph.units import plain_value
from .selection import left_out_note, parameter_entries, select_params

__all__ = ["trace_plot", "corner_plot"]


def trace_plot(result, params=None, discard=0):
    """Every walker's path, one panel per chosen parameter entry.

    Parameters
    ----------
    result : SamplingResult
    params : str or sequence of str, optional
        Parameters (all their entries) or entries (``"F[3]"``); see
        :func:`~pgmsim.fit.selection.select_params` for the default.
    discard : int
        Steps not drawn at the start.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``params`` names no parameter or entry of the result.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.fit.plots import trace_plot
    >>> names = ["mu"] + [f"a[{k}]" for k in range(20)]
    >>> res = pg.SamplingResult(np.zeros((50, 4, 21)), np.zeros((50, 4)), np.ones(4), names)
    >>> fig = trace_plot(res)
    >>> len(fig.axes), fig.texts[0].get_text()
    (12, 'not shown: a[11], a[12], a[13], a[14], a[15], a[16] and 3 more; choose with params=[...]')
    >>> len(trace_plot(res, params=["mu", "a[3]"]).axes)
    2
    >>> import matplotlib.pyplot as plt; plt.close("all")
    """
    import matplotlib.pyplot as plt

    columns, left_out = select_params(result.param_names, params)
    labels = result.labels()
    chain = result.get_chain(discard=discard)
    fig, axes = plt.subplots(len(columns), 1, sharex=True, squeeze=False,
                             figsize=(7, 1.6 * len(columns) + 0.6))
    for ax, k in zip(axes[:, 0], columns):
        ax.plot(chain[:, :, k], color="k", alpha=0.25, lw=0.5)
        ax.set_ylabel(labels[k])
    axes[-1, 0].set_xlabel("step")
    note = left_out_note(left_out)
    # room at the foot for the note of what was left out
    fig.tight_layout(rect=(0, 0.3 / fig.get_figheight() if note else 0, 1, 1))
    if note:
        fig.text(0.01, 0.01, note, fontsize="small", va="bottom")
    return fig


def corner_plot(result, params=None, truths=None, discard=None, thin=1, **options):
    """Corner plot of the chosen parameter entries, with :mod:`corner`.

    Parameters
    ----------
    result : SamplingResult
    params : str or sequence of str, optional
        As for :func:`trace_plot`.
    truths : dict or array_like, optional
        True values to mark: a dict by parameter (an array for a parameter
        with several entries) or entry name, which may leave some out; or a
        packed vector of all the entries.
    discard : int, optional
        Burn-in; the result's default when None.
    thin : int
    **options
        Passed to :func:`corner.corner`.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``params`` or a key of ``truths`` names no parameter or entry, or a
        packed ``truths`` does not have one value per entry.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> from pgmsim.fit.plots import corner_plot
    >>> rng = np.random.default_rng(0)
    >>> names = ["mu", "a[0]", "a[1]", "a[2]"]
    >>> res = pg.SamplingResult(rng.normal(size=(200, 8, 4)), np.zeros((200, 8)),
    ...                         np.ones(8), names)
    >>> fig = corner_plot(res, params=["mu", "a[1]"], truths={"mu": 0.0, "a": [0, 1, 2]})
    >>> len(fig.axes)   # a 2 x 2 grid
    4
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    import corner

    columns, left_out = select_params(result.param_names, params)
    if truths is not None:
        truths = _truths(result, truths)[columns]
        truths = [None if np.isnan(t) else t for t in truths]
    labels = result.labels()
    options.setdefault("labels", [labels[k] for k in columns])
    options.setdefault("quantiles", [0.16, 0.5, 0.84])
    options.setdefault("show_titles", True)
    options.setdefault("title_fmt", ".3g")
    samples = result.flat_samples(discard=discard, thin=thin)[:, columns]
    if len(columns) > 1:
        fig = corner.corner(samples, truths=truths, **options)
    else:
        # corner cannot mark truths on a single histogram: draw the line here
        fig = corner.corner(samples, **options)
        if truths is not None and truths[0] is not None:
            fig.axes[0].axvline(truths[0], color=options.get("truth_color", "#4682b4"))
    note = left_out_note(left_out)
    if note:
        fig.text(0.01, 0.005, note, fontsize="small", va="bottom")
    return fig


def _truths(result, truths):
    """A value per entry of ``theta`` (NaN for entries not given)."""
    names = result.param_names
    if not isinstance(truths, dict):
        values = np.asarray(truths, dtype=float).reshape(-1)
        if values.size != len(names):
            raise ValueError(f"truths has {values.size} values, the result has "
                             f"{len(names)} parameter entries; pass a dict by name "
                             "to mark some only")
        return values
    entries = parameter_entries(names)
    unknown = [key for key in truths if key not in entries and key not in names]
    if unknown:
        raise ValueError(f"truths names unknown parameter(s) "
                         f"{', '.join(map(repr, unknown))}; the parameters are "
                         f"{', '.join(entries)}")
    out = np.full(len(names), np.nan)
    model = result.posterior.model if result.posterior is not None else None
    for key, value in truths.items():
        base = key.partition("[")[0]
        if model is not None:
            value = plain_value(model.node(base), value, "truths")
        columns = entries[key] if key in entries else [names.index(key)]
        value = np.asarray(value, dtype=float).reshape(-1)
        if value.size not in (1, len(columns)):
            raise ValueError(f"truths[{key!r}] has {value.size} values, parameter "
                             f"{key!r} has {len(columns)} entries")
        out[columns] = value
    return out
