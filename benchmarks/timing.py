"""Side-by-side timing on a shared, noisy machine.

Every figure of the benchmark is a ratio of two functions timed in the same
run. The functions of one comparison are timed in turn, round after round
(the order rotates from round to round), and each ratio is the median over
rounds of the ratio measured within a round: a slow spell of the machine hits
both sides of a ratio alike.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["calibrate", "interleaved", "paired_ratio", "ratio_quartiles"]


def calibrate(func, target=0.02, most=100_000):
    """Number of calls of ``func`` that take about ``target`` seconds.

    Parameters
    ----------
    func : callable
        Called without arguments.
    target : float
        Seconds one timed block should last.
    most : int
        Upper bound on the number of calls.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> calibrate(lambda: None, target=1e-4) >= 1
    True
    """
    func()
    start = time.perf_counter()
    func()
    once = max(time.perf_counter() - start, 1e-7)
    return int(min(most, max(1, target / once)))


def interleaved(funcs, rounds=7, target=0.02):
    """Time functions in turn, round after round.

    Parameters
    ----------
    funcs : dict of str to callable
        Functions called without arguments.
    rounds : int
        Number of rounds; each round times every function once, for a block
        of calls lasting about ``target`` seconds.
    target : float
        Seconds per block.

    Returns
    -------
    dict of str to numpy.ndarray
        Seconds per call of each function, one value per round.

    Examples
    --------
    >>> times = interleaved({"a": lambda: None, "b": lambda: None}, rounds=3, target=1e-4)
    >>> sorted(times), times["a"].shape
    (['a', 'b'], (3,))
    """
    names = list(funcs)
    counts = {name: calibrate(funcs[name], target) for name in names}
    times = {name: [] for name in names}
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            func, n = funcs[name], counts[name]
            start = time.perf_counter()
            for _ in range(n):
                func()
            times[name].append((time.perf_counter() - start) / n)
    return {name: np.array(values) for name, values in times.items()}


def paired_ratio(times, a, b):
    """Median over rounds of ``time[a] / time[b]``.

    Parameters
    ----------
    times : dict
        As returned by :func:`interleaved`.
    a, b : str
        The two functions.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> paired_ratio({"a": np.array([2.0, 4.0, 9.0]), "b": np.array([1.0, 2.0, 3.0])}, "a", "b")
    2.0
    """
    return float(np.median(times[a] / times[b]))


def ratio_quartiles(times, a, b):
    """First and third quartiles over rounds of ``time[a] / time[b]``: the
    spread of the per-round ratios, i.e. the noise of the machine.

    Examples
    --------
    >>> import numpy as np
    >>> ratio_quartiles({"a": np.array([1.0, 2.0, 3.0]), "b": np.ones(3)}, "a", "b")
    (1.5, 2.5)
    """
    q1, q3 = np.percentile(times[a] / times[b], [25, 75])
    return float(q1), float(q3)
