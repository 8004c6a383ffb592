"""Choosing parameters by name: a parameter on a plate by its name (all its
entries) or one entry (``F[3]``), and a readable default for many parameters.

Works from the entry names alone (``param_names`` of a result), so that a
result loaded from a checkpoint without its posterior is selected the same way.
"""

from __future__ import annotations

__all__ = ["MAX_PANELS", "parameter_entries", "select_params", "left_out_note"]

#: Most parameters a plot shows by default (panels of a trace plot, rows of a
#: corner plot): beyond it a figure is too tall or its panels too small to read.
MAX_PANELS = 12


def parameter_entries(param_names):
    """The entries of ``theta`` of each parameter, by parameter name.

    Parameters
    ----------
    param_names : sequence of str
        Entry names: ``mu`` for a scalar, ``a[0]``, ``a[1]``, ... for a
        parameter with several entries.

    Returns
    -------
    dict
        Parameter name to the list of its entries' column indices, in order.

    Examples
    --------
    >>> from pgmsim.fit.selection import parameter_entries
    >>> parameter_entries(["mu", "a[0]", "a[1]", "tau"])
    {'mu': [0], 'a': [1, 2], 'tau': [3]}
    """
    entries = {}
    for column, name in enumerate(param_names):
        entries.setdefault(name.partition("[")[0], []).append(column)
    return entries


def select_params(param_names, params=None, limit=MAX_PANELS):
    """Columns of the parameters to show, and the entries left out.

    Parameters
    ----------
    param_names : sequence of str
        Entry names, as :attr:`SamplingResult.param_names`.
    params : str or sequence of str, optional
        Parameters by name (all their entries) or entries (``"F[3]"``), in
        the order to show them. By default every entry when there are at
        most ``limit``; otherwise the parameters with one entry (population
        and scalar parameters) first, then the first entries of the others,
        taken in turn, up to ``limit`` in all.
    limit : int
        Most entries shown by default.

    Returns
    -------
    columns : list of int
        Column indices of the entries to show.
    left_out : list of str
        Entries not shown: empty when ``params`` is given.

    Raises
    ------
    ValueError
        If ``params`` is empty or names something that is neither a
        parameter nor an entry; the message lists the parameters.
    TypeError
        If ``params`` is a dict (true values go in ``truths``).

    Examples
    --------
    >>> from pgmsim.fit.selection import select_params
    >>> names = ["mu", "tau", "a[0]", "a[1]", "a[2]", "b[0]", "b[1]"]
    >>> select_params(names, ["a", "mu"])
    ([2, 3, 4, 0], [])
    >>> select_params(names, ["a[1]"])
    ([3], [])
    >>> select_params(names, limit=4)
    ([0, 1, 2, 5], ['a[1]', 'a[2]', 'b[1]'])
    >>> select_params(names, ["sigma", "a[7]"])
    Traceback (most recent call last):
      ...
    ValueError: unknown parameter(s) 'sigma', 'a[7]'; the parameters are mu, tau, a[0..2], b[0..1] (name one entry as a[0])
    """
    entries = parameter_entries(param_names)
    if params is None:
        return _default(entries, param_names, limit)
    if isinstance(params, dict):
        raise TypeError("params takes parameter names, got a dict; pass true values "
                        "as truths={...}")
    if isinstance(params, str):
        params = [params]
    params = list(params)
    if not params:
        raise ValueError("params is empty: name at least one parameter, or pass "
                         "params=None for the default choice")
    index = {name: column for column, name in enumerate(param_names)}
    unknown = [p for p in params if p not in entries and p not in index]
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(map(repr, unknown))}; the "
                         f"parameters are {_listing(entries, param_names)} (name one "
                         "entry as " + _first_entry(entries, param_names) + ")")
    columns = []
    for p in params:
        for column in (entries[p] if p in entries else [index[p]]):
            if column not in columns:
                columns.append(column)
    return columns, []


def _default(entries, param_names, limit):
    if len(param_names) <= limit:
        return list(range(len(param_names))), []
    scalars = [cols[0] for cols in entries.values() if len(cols) == 1]
    vectors = [cols for cols in entries.values() if len(cols) > 1]
    columns = scalars[:limit]
    depth = 0
    while len(columns) < limit:
        # the first entries of every vector parameter, then the second ones ...
        columns.extend(cols[depth] for cols in vectors if depth < len(cols))
        depth += 1
    columns = columns[:limit]
    shown = set(columns)
    return columns, [name for c, name in enumerate(param_names) if c not in shown]


def _listing(entries, param_names):
    """``mu, tau, a[0..2]``: the parameters and the range of their entries."""
    return ", ".join(
        param_names[cols[0]] if len(cols) == 1 else f"{name}[0..{len(cols) - 1}]"
        for name, cols in entries.items())


def _first_entry(entries, param_names):
    vectors = [cols for cols in entries.values() if len(cols) > 1]
    return param_names[vectors[0][0]] if vectors else "name[0]"


def left_out_note(left_out, limit=6):
    """One line naming the entries a default plot leaves out.

    Parameters
    ----------
    left_out : sequence of str
        Entry names, as from :func:`select_params`.
    limit : int
        Most entries named one by one; the others are counted.

    Returns
    -------
    str
        Empty when nothing is left out.

    Examples
    --------
    >>> from pgmsim.fit.selection import left_out_note
    >>> left_out_note(["a[1]", "a[2]"])
    'not shown: a[1], a[2]; choose with params=[...]'
    >>> left_out_note([f"a[{k}]" for k in range(1, 20)])
    'not shown: a[1], a[2], a[3], a[4], a[5], a[6] and 13 more; choose with params=[...]'
    """
    if not left_out:
        return ""
    named = ", ".join(left_out[:limit])
    more = f" and {len(left_out) - limit} more" if len(left_out) > limit else ""
    return f"not shown: {named}{more}; choose with params=[...]"
