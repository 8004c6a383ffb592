"""The provenance of a checkpointed run: what identifies it, and how two differ.

A resume must sample the density the run started with: the same model,
parameters, priors, data and code (:func:`provenance`).
"""

from __future__ import annotations

import hashlib

import numpy as np

from ._code_fingerprint import model_code_fingerprints

__all__ = ["provenance", "provenance_mismatch"]


def _sha256_arrays(arrays):
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name], dtype=np.float64)
        digest.update(f"{name}:{value.shape}:".encode())
        digest.update(value.tobytes())
    return digest.hexdigest()


def provenance(post, nwalkers):
    """What identifies a run: the model, its parameters, data and inputs.

    Parameters
    ----------
    post : Posterior
        The density being sampled.
    nwalkers : int
        Number of walkers.

    Returns
    -------
    dict
        ``model`` (name), ``param_names`` (list), ``distributions`` (the
        prior or sampling distribution of every stochastic node, as text),
        ``data_sha256`` (SHA-256 of the data and fixed inputs, as float64),
        ``code_sha256`` (node name to the SHA-256 of the source of its
        deterministic function, or of its distribution class when that is
        not defined in pgmsim: any edit of that source, its default values,
        or the numbers and arrays it closes over changes it),
        ``nwalkers`` and ``ndim``.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("counts")
    >>> _ = m.param("lam", pg.Gamma(2.0, 1.0))
    >>> _ = m.deterministic("rate", lambda lam: 2 * lam)
    >>> _ = m.data("N", pg.Poisson("rate"), plate="obs")
    >>> info = provenance(m.posterior(data={"N": [3, 5, 4]}), nwalkers=8)
    >>> info["model"], info["param_names"], len(info["data_sha256"])
    ('counts', ['lam'], 64)
    >>> list(info["code_sha256"]), len(info["code_sha256"]["rate"])
    (['rate'], 64)
    """
    model = post.model
    distributions = {
        name: repr(model.node(name).distribution)
        for name in model.order
        if model.node(name).distribution is not None
    }
    return {
        "model": str(model.name),
        "param_names": list(post.param_names),
        "distributions": distributions,
        "data_sha256": _sha256_arrays({**post.data, **post.inputs}),
        "code_sha256": model_code_fingerprints(model),
        "nwalkers": int(nwalkers),
        "ndim": int(post.ndim),
    }


def provenance_mismatch(stored, info):
    """What differs between a stored provenance and the current one, if anything.

    Parameters
    ----------
    stored, info : dict
        Provenances (see :func:`provenance`): the file's and the posterior's.

    Returns
    -------
    str or None
        The first difference, worded to follow "checkpoint file 'NAME'"; None
        when they agree.

    Examples
    --------
    >>> provenance_mismatch({"model": "a"}, {"model": "b"})
    "holds a run of model 'a', not 'b'; use another file"
    """
    if stored.get("model") != info["model"]:
        return (
            f"holds a run of model {stored.get('model')!r}, not "
            f"{info['model']!r}; use another file")
    if stored.get("param_names") != info["param_names"]:
        return (
            f"was made with parameters {stored.get('param_names')}, but the "
            f"posterior has parameters {info['param_names']}")
    if stored.get("distributions") != info["distributions"]:
        before, now = stored.get("distributions", {}), info["distributions"]
        changed = _changed_keys(before, now)
        return (
            f"was made with other priors or sampling distributions for "
            f"node(s) {', '.join(map(repr, changed))}: stored "
            f"{ {k: before.get(k) for k in changed} }, now "
            f"{ {k: now.get(k) for k in changed} }")
    if stored.get("code_sha256") != info["code_sha256"]:
        changed = _changed_keys(stored.get("code_sha256", {}), info["code_sha256"])
        return (
            f"was made with other code for node(s) "
            f"{', '.join(map(repr, changed))}: the source of a deterministic node's "
            "function, or of a distribution class not defined in pgmsim, differs "
            "from the run's; resume with the code the run started with, or start a "
            "new run")
    if stored.get("data_sha256") != info["data_sha256"]:
        return (
            f"was made with other data or fixed inputs (SHA-256 "
            f"{stored.get('data_sha256', '')[:12]}... in the file, "
            f"{info['data_sha256'][:12]}... now)")
    if stored.get("nwalkers") != info["nwalkers"]:
        return (
            f"holds a run with {stored.get('nwalkers')} walkers; resume it "
            f"with nwalkers={stored.get('nwalkers')}, not {info['nwalkers']}")
    return None


def _changed_keys(before, now):
    """Keys whose values differ between two dicts (present in either)."""
    return sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
