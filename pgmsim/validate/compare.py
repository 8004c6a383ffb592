"""Model comparison: the evidence ``ln Z`` and PSIS-LOO, side by side.

Two questions, two numbers. The evidence (from :func:`pgmsim.nested`) is the
probability of the data under the model, averaged over its prior: the ratio
of two evidences, the Bayes factor, weighs the models with their priors, and
an extra component with a wide prior pays for the volume it adds. The
expected log predictive density estimated by leave-one-out cross-validation
(PSIS-LOO, ArviZ's ``loo`` on the pointwise log-likelihood) asks how well
each model predicts a data point it was not fitted to, whatever the prior.
:func:`compare` tabulates both, with the differences to the best model and a
sentence that says what they support.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["compare", "ComparisonWarning", "verdict"]

#: ln Bayes factors on the scale of Kass & Raftery (1995): (upper bound, words)
EVIDENCE_SCALE = ((1.0, "not worth more than a bare mention"), (3.0, "positive"),
                  (5.0, "strong"), (np.inf, "very strong"))
#: PSIS-LOO is unreliable for points whose Pareto k exceeds this (ArviZ lowers
#: it for few draws: ``min(1 - 1 / log10(S), 0.7)``)
PARETO_K_LIMIT = 0.7


class ComparisonWarning(UserWarning):
    """A comparison number that cannot be fully trusted (Pareto k of LOO).

    Examples
    --------
    >>> issubclass(ComparisonWarning, UserWarning)
    True
    """


def compare(results, max_draws=1000):
    """Compare fitted models by evidence and by PSIS-LOO.

    Parameters
    ----------
    results : dict
        Model name to a result: a :class:`~pgmsim.NestedResult` gives ``ln Z``
        and LOO, a :class:`~pgmsim.SamplingResult` LOO only. Each must carry
        its posterior (for the pointwise log-likelihood); all are fitted to
        the same data.
    max_draws : int
        Most posterior draws whose pointwise log-likelihood enters LOO (it
        holds draws x data points: an image of 10^5 pixels needs few).

    Returns
    -------
    astropy.table.Table
        One row per model, best first: ``model``, ``log_evidence``,
        ``log_evidence_err``, ``delta_log_evidence`` (to the best ``ln Z``;
        NaN without evidence), ``elpd_loo``, ``elpd_loo_se``,
        ``delta_elpd_loo`` and ``delta_elpd_se`` (the standard error of the
        pointwise difference to the best model), ``pareto_k_bad`` (points
        with Pareto k above 0.7, or ArviZ's lower limit for few draws). ``meta["verdict"]`` says what the numbers support.

    Raises
    ------
    ValueError
        Fewer than two models, a result without its posterior, or results
        fitted to different numbers of data points.
    TypeError
        If ``results`` is not a dict.

    Warns
    -----
    ComparisonWarning
        Naming the model whose LOO has points with too high a Pareto k.

    Examples
    --------
    >>> import pgmsim as pg
    >>> def fit(prior):
    ...     m = pg.Model("mean")
    ...     _ = m.param("mu", prior)
    ...     _ = m.data("y", pg.Normal("mu", 1.0), plate="obs")
    ...     post = m.posterior(data={"y": [0.9, 1.3, 0.4, 1.1]})
    ...     return pg.nested(post, nlive=50, seed=1, progress=False)
    >>> table = pg.compare({"near": fit(pg.Normal(1, 0.5)), "far": fit(pg.Normal(3, 0.5))})
    >>> table["model"].tolist()
    ['near', 'far']
    >>> print(table.meta["verdict"])
    The evidence favours 'near' over 'far' by ln B = ...; LOO prefers 'near' ...
    """
    from astropy.table import Table

    if not isinstance(results, dict):
        raise TypeError(f"compare takes a dict of model name to result, got "
                        f"{type(results).__name__}")
    if len(results) < 2:
        raise ValueError(f"compare needs at least two models, got {len(results)}")
    rows, pointwise = [], {}
    for name, result in results.items():
        if getattr(result, "posterior", None) is None:
            raise ValueError(f"the result of model {name!r} carries no posterior: its "
                             "pointwise log-likelihood cannot be computed")
        loo, pointwise[name] = _loo(name, result, max_draws)
        rows.append(dict(model=name,
                         log_evidence=getattr(result, "log_evidence", np.nan),
                         log_evidence_err=getattr(result, "log_evidence_err", np.nan),
                         elpd_loo=float(loo.elpd_loo), elpd_loo_se=float(loo.se),
                         pareto_k_bad=_bad_points(loo)))
    sizes = {name: len(values) for name, values in pointwise.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"the models were fitted to different numbers of data points "
                         f"{sizes}: compare fits to the same data")
    with_evidence = np.isfinite([row["log_evidence"] for row in rows]).all()
    key = "log_evidence" if with_evidence else "elpd_loo"
    rows.sort(key=lambda row: -row[key])
    best = rows[0]
    for row in rows:
        row["delta_log_evidence"] = row["log_evidence"] - best["log_evidence"]
        difference = pointwise[row["model"]] - pointwise[best["model"]]
        row["delta_elpd_loo"] = row["elpd_loo"] - best["elpd_loo"]
        row["delta_elpd_se"] = float(np.sqrt(len(difference) * np.var(difference)))
    names = ["model", "log_evidence", "log_evidence_err", "delta_log_evidence", "elpd_loo",
             "elpd_loo_se", "delta_elpd_loo", "delta_elpd_se", "pareto_k_bad"]
    table = Table(rows=[[row[n] for n in names] for row in rows], names=names)
    for col in names[1:-1]:
        table[col].format = ".4g"
    table.meta["verdict"] = verdict(table)
    return table


def _loo(name, result, max_draws):
    """ArviZ's PSIS-LOO of a result over all its data points, and the pointwise
    elpd; Pareto k warnings passed on naming the model."""
    from ..fit.convert import import_arviz

    az = import_arviz()
    if hasattr(result, "log_evidence"):
        idata = result.to_arviz(draws=max_draws)
    else:
        kept = (result.nsteps - result.burn_in) * result.nwalkers
        idata = result.to_arviz(thin=max(1, -(-kept // max_draws)))
    # every data node's points together: LOO over the whole data set
    draws = [idata.log_likelihood[var].values for var in idata.log_likelihood.data_vars]
    stacked = np.concatenate([d.reshape(d.shape[:2] + (-1,)) for d in draws], axis=-1)
    # the draws as one chain: LOO needs no chains, and ArviZ takes many walkers with
    # few draws each for a transposed array
    stacked = stacked.reshape(1, -1, stacked.shape[-1])
    single = az.from_dict(log_likelihood={"all": stacked},
                          posterior={"_": np.zeros(stacked.shape[:2])})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loo = az.loo(single, pointwise=True)
    bad = _bad_points(loo)
    if bad or any("Pareto" in str(w.message) for w in caught):
        warnings.warn(
            f"model {name!r}: PSIS-LOO is unreliable for {bad} of {stacked.shape[-1]} data "
            f"points (Pareto k > {_k_limit(loo):.2g}); its elpd_loo may be off: refit "
            "without those points or use more posterior draws", ComparisonWarning,
            stacklevel=3)
    return loo, np.asarray(loo.loo_i).ravel()


def _k_limit(loo):
    return min(PARETO_K_LIMIT, float(getattr(loo, "good_k", PARETO_K_LIMIT)))


def _bad_points(loo):
    """Points whose Pareto k is above ArviZ's limit for this many draws."""
    return int(np.sum(np.asarray(loo.pareto_k) > _k_limit(loo)))


def verdict(table):
    """The sentence that says what a comparison table supports.

    Parameters
    ----------
    table : astropy.table.Table
        As made by :func:`compare`, best model first.

    Returns
    -------
    str

    Examples
    --------
    >>> from astropy.table import Table
    >>> t = Table(rows=[["two", -10.0, 0.2, 0.0, -50.0, 4.0, 0.0, 0.0, 0],
    ...                 ["one", -14.5, 0.2, -4.5, -60.0, 4.5, -10.0, 3.0, 0]],
    ...           names=["model", "log_evidence", "log_evidence_err", "delta_log_evidence",
    ...                  "elpd_loo", "elpd_loo_se", "delta_elpd_loo", "delta_elpd_se",
    ...                  "pareto_k_bad"])
    >>> print(verdict(t))
    The evidence favours 'two' over 'one' by ln B = 4.5 +- 0.28 (strong); LOO prefers 'two' by 10 +- 3 in elpd.
    """
    best, second = table[0], table[1]
    first_name, second_name = str(best["model"]), str(second["model"])
    parts = []
    if np.isfinite(best["log_evidence"]) and np.isfinite(second["log_evidence"]):
        log_b = best["log_evidence"] - second["log_evidence"]
        error = float(np.hypot(best["log_evidence_err"], second["log_evidence_err"]))
        words = next(text for bound, text in EVIDENCE_SCALE if abs(log_b) < bound)
        parts.append(f"The evidence favours {first_name!r} over {second_name!r} by "
                     f"ln B = {log_b:.3g} +- {error:.2g} ({words})")
    loo_best = table[int(np.argmax(table["elpd_loo"]))]
    others = [row for row in table if row["model"] != loo_best["model"]]
    runner = max(others, key=lambda row: row["elpd_loo"])
    gap = loo_best["elpd_loo"] - runner["elpd_loo"]
    loo_name, runner_name = str(loo_best["model"]), str(runner["model"])
    # the SE of the pointwise difference, as computed against the evidence's best
    se = max(float(runner["delta_elpd_se"]), float(loo_best["delta_elpd_se"]))
    if gap > 2 * se:
        loo = f"LOO prefers {loo_name!r} by {gap:.3g} +- {se:.2g} in elpd"
    else:
        loo = (f"LOO cannot tell {loo_name!r} and {runner_name!r} apart "
               f"(elpd difference {gap:.3g} +- {se:.2g})")
    if parts:
        return f"{parts[0]}; {loo}."
    return loo[0].upper() + loo[1:] + "."
