"""The fast paths of the log-prior: strategies over the prior terms.

The general path sums the prior terms one by one (:func:`prior_sum`). Two
strategies take over the priors they can, each for a measured reason, and
give the same numbers (``tests/fit/test_posterior_strategies.py``):

* :class:`MathPriors`, for one point: scalar parameters whose prior arguments
  are numbers or other scalar parameters, in :mod:`math`;
* :class:`GroupedPriors`, for a batch of walkers: scalar parameters whose
  priors have numeric arguments, one numpy call per distribution class.

Each keeps the terms it cannot take in ``terms``, for :func:`prior_sum`. A
batch of walkers goes through the likelihood in chunks sized to the cache
(:func:`in_chunks`).

Examples
--------
>>> import numpy as np, pgmsim as pg
>>> from pgmsim.graph.evaluate import PriorTerm
>>> from pgmsim.fit._fast_paths import GroupedPriors, MathPriors, prior_sum
>>> priors = [PriorTerm(("a",), pg.Normal(0.0, 1.0)), PriorTerm(("b",), pg.Normal("a", 2.0)),
...           PriorTerm(("c",), pg.Normal(1.0, 1.0))]
>>> columns = {"a": 0, "b": 1, "c": 2}
>>> point = MathPriors(priors, columns, numbers={})
>>> batch = GroupedPriors(priors, columns)
>>> [t.names for t in point.terms], [t.names for t in batch.terms]
([], [('b',)])
>>> theta = np.array([[0.5, 1.0, 2.0]])
>>> values = {"a": theta[:, :1], "b": theta[:, 1:2], "c": theta[:, 2:]}
>>> general = prior_sum(priors, values, batch=True)
>>> bool(np.isclose(point(theta[0].tolist()), general[0]))
True
>>> bool(np.isclose(batch(theta) + prior_sum(batch.terms, values, True), general)[0])
True
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Optional

import numpy as np

__all__ = ["prior_sum", "MathPriors", "GroupedPriors", "in_chunks"]


def prior_sum(terms, values, batch):
    """The general path: the log-prior terms summed one by one.

    Parameters
    ----------
    terms : sequence of PriorTerm
    values : dict
        Node values: scalars (one point) or ``(nwalkers, 1)`` columns and
        ``(nwalkers, J)`` plate blocks (a batch).
    batch : bool
        Whether ``values`` hold a batch; its terms are summed over the last
        axis.

    Returns
    -------
    float or numpy.ndarray of shape (nwalkers,)
        May be NaN where an argument is invalid.
    """
    total = 0.0
    for term in terms:
        lp = term.logpdf(values)
        total = total + (np.sum(lp, axis=-1) if batch else np.sum(lp))
    return total


class _MathPrior(NamedTuple):
    """The prior of one scalar parameter: ``logpdf(point[column], *arguments)``.

    ``consts`` holds the numeric arguments (0.0 where an argument is a
    parameter), ``refs`` the ``theta`` column of each argument that is a
    parameter (``None`` when none is).
    """

    column: int
    logpdf: Callable
    consts: tuple
    refs: Optional[tuple]


class MathPriors:
    """Priors of scalar parameters at one point, evaluated with :mod:`math`.

    It exists because a numpy call on a scalar costs about a microsecond,
    ten times the arithmetic (``Distribution._logpdf_scalar``).

    Parameters
    ----------
    priors : sequence of PriorTerm
    columns : dict
        ``theta`` column of each scalar parameter.
    numbers : dict
        Values of the scalar fixed inputs (and of deterministic nodes of
        fixed inputs only).

    Attributes
    ----------
    terms : list of PriorTerm
        The priors left to :func:`prior_sum`: on plates, joint, or with an
        argument that is neither a number nor a scalar parameter.
    """

    def __init__(self, priors, columns, numbers):
        self._scalars, self.terms = [], []
        for term in priors:
            if (len(term.names) == 1 and term.names[0] in columns
                    and all(not isinstance(a, str) or a in columns or a in numbers
                            for a in term.args)):
                refs = tuple(columns.get(a) if isinstance(a, str) else None for a in term.args)
                consts = tuple(numbers.get(a, 0.0) if isinstance(a, str) else a
                               for a in term.args)
                self._scalars.append(_MathPrior(
                    columns[term.names[0]], term.distribution._logpdf_scalar, consts,
                    refs if any(r is not None for r in refs) else None))
            else:
                self.terms.append(term)

    def __call__(self, point):
        """The sum of the scalar priors at ``point``, a list of floats (``theta.tolist()``)."""
        total = 0.0
        for col, logpdf, consts, refs in self._scalars:
            if refs is None:
                total += logpdf(point[col], *consts)
            else:
                total += logpdf(point[col], *[c if r is None else point[r]
                                              for c, r in zip(consts, refs)])
        return total


class _PriorGroup(NamedTuple):
    """Priors of one distribution class: ``logpdf(theta[:, columns], *args)``,
    with one array of values per argument."""

    logpdf: Callable
    columns: np.ndarray
    args: list


class GroupedPriors:
    """Priors of scalar parameters for a batch, one numpy call per
    distribution class.

    It exists because one numpy call on the ``(nwalkers, k)`` block of
    ``theta`` costs little more than one call on a single column.

    Parameters
    ----------
    priors : sequence of PriorTerm
    columns : dict
        ``theta`` column of each scalar parameter.

    Attributes
    ----------
    terms : list of PriorTerm
        The priors left to :func:`prior_sum`: on plates, joint,
        hierarchical, or of a distribution that holds more than its
        arguments.
    """

    def __init__(self, priors, columns):
        groups, self.terms = {}, []
        for term in priors:
            dist = term.distribution
            # only stateless distributions (their density depends on the
            # arguments alone) with numeric arguments
            if (len(term.names) == 1 and term.names[0] in columns
                    and set(vars(dist)) == {"args"} and not dist.parents):
                groups.setdefault(type(dist), []).append(term)
            else:
                self.terms.append(term)
        self._groups = [
            _PriorGroup(terms[0].distribution._logpdf,
                        np.array([columns[term.names[0]] for term in terms]),
                        [np.array(a) for a in zip(*(term.args for term in terms))])
            for terms in groups.values()]

    def __call__(self, theta):
        """The sum of the grouped priors for ``theta`` of shape ``(nwalkers, ndim)``."""
        total = np.zeros(len(theta))
        for logpdf, cols, args in self._groups:
            total += logpdf(theta[:, cols], *args).sum(axis=1)
        return total


def in_chunks(theta, rows, chunk, batch_sum, point_sum):
    """A function of a batch of walkers, evaluated ``chunk`` walkers at a time.

    It exists because on a large plate the temporaries of a whole batch no
    longer fit in the processor's cache (see
    :data:`pgmsim.fit.posterior.BATCH_ELEMENTS`). ``theta[start:stop]``
    slices are views, so the parameter columns stay views of ``theta``.
    Chunks of one walker take the one-point path (scalars are cheaper than
    ``(1, 1)`` columns), so that a batch is never slower than a loop of calls.

    Parameters
    ----------
    theta : numpy.ndarray, shape (nwalkers, ndim)
    rows : numpy.ndarray of int or None
        The walkers to evaluate; all when ``None``.
    chunk : int
        Walkers per call of ``batch_sum``.
    batch_sum, point_sum : callable
        The function for a block of walkers (``(n,)`` values) and for one.

    Returns
    -------
    numpy.ndarray, shape (len(rows),) or (nwalkers,)

    Examples
    --------
    >>> import numpy as np
    >>> from pgmsim.fit._fast_paths import in_chunks
    >>> theta = np.arange(10.0).reshape(5, 2)
    >>> in_chunks(theta, None, 2, lambda t: t.sum(axis=1), lambda t: t.sum())
    array([ 1.,  5.,  9., 13., 17.])
    >>> in_chunks(theta, np.array([4, 0]), 1, None, lambda t: t.sum())
    array([17.,  1.])
    """
    n = len(theta) if rows is None else len(rows)
    if n <= chunk:
        return batch_sum(theta if rows is None else theta[rows])
    out = np.empty(n)
    if chunk == 1:
        for i, row in enumerate(theta if rows is None else theta[rows]):
            out[i] = point_sum(row)
        return out
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        out[start:stop] = batch_sum(theta[start:stop] if rows is None
                                    else theta[rows[start:stop]])
    return out
