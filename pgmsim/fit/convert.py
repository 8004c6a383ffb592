"""A :class:`~pgmsim.fit.results.SamplingResult` in the formats of the PyData
world: an ArviZ ``InferenceData`` and a pandas ``DataFrame``.

Both are optional dependencies, imported when a conversion is asked for
(``pip install pgmsim[arviz]`` brings both).

In ArviZ's terms, emcee's walkers are the chains: R-hat and ESS are computed
across walkers. The walkers of an ensemble are not independent chains (each
move reads the others), which ArviZ does not know; pgmsim's own
:meth:`~pgmsim.fit.results.SamplingResult.diagnostics` makes the same
assumption, so the two agree.
"""

from __future__ import annotations

import warnings

import numpy as np

from .selection import parameter_entries

__all__ = ["ResultConversions", "import_arviz"]

#: Most array elements (draws x walkers x data) of log-likelihood computed at
#: once: the pointwise values of a long chain on a large plate are computed
#: in blocks of draws, each well within memory.
LOG_LIKELIHOOD_BLOCK = 1 << 22


def import_arviz():
    """The :mod:`arviz` module, or an ImportError that says how to install it.

    ArviZ 0.x announces its coming refactor with a FutureWarning on import,
    once a day; that notice is not about pgmsim's use of it, so it is silenced
    here.

    Returns
    -------
    module
        ArviZ itself.

    Raises
    ------
    ImportError
        If ArviZ is not installed; the message gives the command that installs it.

    Examples
    --------
    >>> from pgmsim.fit.convert import import_arviz
    >>> hasattr(import_arviz(), "from_dict")
    True
    """
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing",
                                    category=FutureWarning)
            import arviz
    except ImportError as err:
        raise ImportError("to_arviz needs ArviZ: pip install pgmsim[arviz]") from err
    return arviz


def _import_pandas():
    try:
        import pandas
    except ImportError as err:
        raise ImportError("to_pandas needs pandas: pip install pgmsim[arviz] "
                          "(or pip install pandas)") from err
    return pandas


class ResultConversions:
    """``to_arviz`` and ``to_pandas``, methods of
    :class:`~pgmsim.fit.results.SamplingResult`.

    Examples
    --------
    >>> import numpy as np, pgmsim as pg
    >>> res = pg.SamplingResult(np.zeros((4, 3, 1)), np.zeros((4, 3)), np.ones(3), ["mu"])
    >>> isinstance(res, ResultConversions)
    True
    """

    def to_pandas(self, discard=None, thin=1):
        """The kept samples as a table: one row per walker and step.

        Parameters
        ----------
        discard : int, optional
            Burn-in; :attr:`burn_in` by default, as for ``flat_samples``.
        thin : int
            Keep every ``thin``-th step.

        Returns
        -------
        pandas.DataFrame
            Columns ``walker``, ``step`` (the step's index in the whole
            chain), then one per parameter entry, named as in
            ``param_names`` (``F[3]``). Rows in the order of
            ``flat_samples``: step by step, walkers within.

        Raises
        ------
        ImportError
            If pandas is not installed.
        ValueError
            If a parameter is called ``walker`` or ``step``.

        Examples
        --------
        >>> import numpy as np, pgmsim as pg
        >>> res = pg.SamplingResult(np.arange(24.0).reshape(4, 3, 2), np.zeros((4, 3)),
        ...                         np.ones(3), ["mu", "a[0]"])
        >>> res.to_pandas(discard=2)
           walker  step    mu  a[0]
        0       0     2  12.0  13.0
        1       1     2  14.0  15.0
        2       2     2  16.0  17.0
        3       0     3  18.0  19.0
        4       1     3  20.0  21.0
        5       2     3  22.0  23.0
        """
        pd = _import_pandas()
        clash = {"walker", "step"}.intersection(self.param_names)
        if clash:
            raise ValueError(f"parameter(s) {', '.join(map(repr, sorted(clash)))} share a "
                             "name with the columns walker and step of to_pandas; use "
                             "flat_samples() instead")
        discard = self._discard(discard)
        chain = self.get_chain(discard=discard, thin=thin)
        nsteps, nwalkers, _ = chain.shape
        table = pd.DataFrame(chain.reshape(-1, self.ndim), columns=self.param_names)
        table.insert(0, "walker", np.tile(np.arange(nwalkers), nsteps))
        table.insert(1, "step", np.repeat(discard + thin * np.arange(nsteps), nwalkers))
        return table

    def to_arviz(self, discard=None, thin=1, log_likelihood=True):
        """The result as an ArviZ ``InferenceData``, built with ``arviz.from_dict``.

        Parameters
        ----------
        discard : int, optional
            Burn-in; :attr:`burn_in` by default.
        thin : int
            Keep every ``thin``-th step.
        log_likelihood : bool
            Compute the pointwise log-likelihood of every kept draw (for LOO
            and WAIC); it holds draws x walkers x data values, which may be
            large for an image: thin, or pass False to leave it out.

        Returns
        -------
        arviz.InferenceData
            Groups ``posterior`` (walkers as chains; a parameter on a plate
            has the plate as a named dimension, with coordinates 0 ... K-1),
            ``sample_stats`` (``lp``: the log-posterior; ``acceptance_rate``:
            1 where the walker moved at that step, 0 where it stayed), and,
            when the result carries its posterior, ``observed_data``,
            ``constant_data`` (fixed inputs) and ``log_likelihood`` (one
            variable per data node, the plate as its dimension). A result
            loaded from a checkpoint without its posterior has the first two
            groups only.

        Raises
        ------
        ImportError
            If ArviZ is not installed.

        Examples
        --------
        >>> import pgmsim as pg
        >>> m = pg.Model("groups")
        >>> _ = m.plate("g", size=3)
        >>> _ = m.param("mu", pg.Normal(0.0, 10.0))
        >>> _ = m.param("a", pg.Normal("mu", 1.0), plate="g")
        >>> _ = m.data("z", pg.Normal("a", 1.0), plate="g")
        >>> post = m.posterior(data={"z": [0.5, 1.0, 1.5]})
        >>> res = pg.sample(post, nwalkers=8, nsteps=400, seed=1, progress=False)
        >>> idata = res.to_arviz()
        >>> idata.groups()
        ['posterior', 'log_likelihood', 'sample_stats', 'observed_data']
        >>> idata.posterior["a"].dims, idata.log_likelihood["z"].dims
        (('chain', 'draw', 'g'), ('chain', 'draw', 'g'))
        >>> idata.posterior.sizes["draw"] == 400 - res.burn_in
        True
        """
        az = import_arviz()
        discard = self._discard(discard)
        # ArviZ's order: (chain, draw, ...) with walkers as chains
        chain = np.swapaxes(self.get_chain(discard=discard, thin=thin), 0, 1)
        post = self.posterior
        dims, coords = {}, {}
        posterior = {}
        for name, columns in parameter_entries(self.param_names).items():
            values = chain[..., columns]
            if post is None:
                posterior[name] = values if len(columns) > 1 else values[..., 0]
                continue
            posterior[name] = values.reshape(values.shape[:2] + post._param_shapes[name])
            _plate_dims(post, name, dims, coords)
        groups = dict(posterior=posterior, sample_stats=_sample_stats(self, discard, thin))
        if post is not None:
            for name in [*post.data, *post.inputs]:
                _plate_dims(post, name, dims, coords)
            # a node on no plate is a 1-vector here, as ArviZ makes scalars anyway
            groups["observed_data"] = dict(post.data)
            if post.inputs:
                groups["constant_data"] = {name: np.asarray(value)
                                           for name, value in post.inputs.items()}
            if log_likelihood:
                groups["log_likelihood"] = _log_likelihood(post, chain)
        attrs = dict(created_by="pgmsim", inference_library="emcee", discard=discard,
                     thin=int(thin), model=post.model.name if post is not None else "")
        with warnings.catch_warnings():
            # ArviZ's guess at a transposed array; an ensemble often has more
            # walkers than kept draws, and the order here is known
            warnings.filterwarnings("ignore", message=r"More chains \(\d+\) than draws",
                                    category=UserWarning)
            return az.from_dict(**groups, dims=dims, coords=coords, attrs=attrs)


def _plate_dims(post, name, dims, coords):
    """The plate of node ``name`` as its first dimension, with coordinates."""
    plate = post.model.node(name).plate
    if plate is not None:
        dims[name] = [plate]
        coords[plate] = np.arange(post.sizes[plate])


def _sample_stats(result, discard, thin):
    lp = result.log_prob[discard::thin].T
    # an emcee walker stays put exactly when its proposal is refused
    moved = np.any(np.diff(result.chain, axis=0) != 0, axis=-1).astype(float)
    first = np.broadcast_to(result.acceptance_fraction, (1, result.nwalkers))
    moved = np.concatenate([first, moved])  # step 0 has no previous position
    return {"lp": lp, "acceptance_rate": moved[discard::thin].T}


def _log_likelihood(post, chain):
    """``{data node: (walkers, draws, K)}``, computed in blocks of draws; K = 1
    for a node on no plate."""
    nwalkers, ndraws, ndim = chain.shape
    elements = sum(max(1, np.size(value)) for value in post.data.values())
    block = max(1, LOG_LIKELIHOOD_BLOCK // (nwalkers * elements))
    out = {}
    for start in range(0, ndraws, block):
        part = chain[:, start:start + block]
        points = post.pointwise_log_likelihood(part.reshape(-1, ndim))
        for name, values in points.items():
            if name not in out:
                out[name] = np.empty((nwalkers, ndraws) + post.data[name].shape)
            out[name][:, start:start + block] = values.reshape(
                part.shape[:2] + post.data[name].shape)
    return out
