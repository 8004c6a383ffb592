"""Results in ArviZ and pandas: the groups, dimensions and values of
``to_arviz``, ArviZ's diagnostics against pgmsim's own, ``to_pandas``."""

import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib import MatplotlibDeprecationWarning

import pgmsim as pg
from pgmsim.fit import diagnostics
from pgmsim.fit.backends import load_result
from pgmsim.fit.convert import import_arviz
from pgmsim.models import xray_agn

az = import_arviz()

GROUPS, PER_GROUP = 6, 10


def group_means(theta, group):
    """The mean of each observation: its group's theta."""
    return theta[..., group.astype(int)]


def hierarchical_model():
    """Observations in groups; the group means theta_j share a population N(mu, tau)."""
    m = pg.Model("groups")
    m.plate("groups", size=GROUPS)
    m.fixed("group", plate="obs")
    m.param("mu", pg.Normal(0.0, 5.0))
    m.param("tau", pg.HalfNormal(3.0))
    m.param("theta", pg.Normal("mu", "tau"), plate="groups")
    m.deterministic("m", group_means, plate="obs")
    m.data("y", pg.Normal("m", 1.0), plate="obs")
    return m


def hierarchical_posterior(seed=0):
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(GROUPS), PER_GROUP)
    theta = rng.normal(1.0, 3.0, GROUPS)
    y = rng.normal(theta[group], 1.0)
    return hierarchical_model().posterior(data={"y": y}, inputs={"group": group})


@pytest.fixture(scope="module")
def agn():
    m = xray_agn.build()
    inputs = xray_agn.default_inputs()
    sim = m.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=21)
    post = m.posterior(data={"N": sim["N"]}, inputs=inputs)
    return pg.sample(post, nwalkers=32, nsteps=2000, seed=4, initial="map", progress=False)


@pytest.fixture(scope="module")
def hierarchical():
    post = hierarchical_posterior()
    # from prior draws: the MAP of a hierarchical model lies at tau -> 0, a
    # funnel's neck that walkers started there take long to leave
    return pg.sample(post, nwalkers=32, nsteps=3000, seed=5, progress=False)


@pytest.mark.parametrize("run", ["agn", "hierarchical"])
def test_arviz_summary_loo_and_trace_plot_agree_with_pgmsim(run, request):
    """ArviZ's summary, LOO and trace plot run on the conversion, and its R-hat
    and ESS agree with :meth:`SamplingResult.diagnostics`.

    ESS: both compute Vehtari et al.'s bulk and tail ESS of the same chains
    (each walker split in halves). The ESS's own Monte Carlo error is a
    relative sd of about sqrt(2 (2M + 1) / N) for N draws and a window
    M = 5 tau, tau = N / ESS (Sokal 1997): 9 % for the AGN's bulk ESS. The
    bulk ESS agree far closer: 2 % is asserted. The tail ESS, the ESS of the
    indicator of a 5 % or 95 % quantile, differ where the two place the
    quantile (interpolation): within one Sokal sd is asserted.

    R-hat: ArviZ takes every walker as a chain; on the same chains pgmsim's
    formula gives ArviZ's value (1e-6). pgmsim's reported R-hat pools the
    walkers into 4 groups, chains 8 times longer. Split R-hat of chains of
    length L with autocorrelation time tau is about 1 + (tau - 1) / (2 L)
    at convergence: with L = n / 2 for ArviZ (n kept steps) it exceeds
    pgmsim's by up to about tau / n; the walkers of an ensemble are
    correlated with each other, which adds to it. Asserted: ArviZ's R-hat
    lies between pgmsim's - 0.002 and pgmsim's + 3 tau / n.
    """
    res = request.getfixturevalue(run)
    idata = res.to_arviz(log_likelihood=False)
    table = res.diagnostics()
    summary = az.summary(idata)
    assert len(summary) == res.ndim
    kept = res.get_chain(discard=res.burn_in)
    rhat, bulk, tail = (az.rhat(idata), az.ess(idata, method="bulk"),
                        az.ess(idata, method="tail"))
    arviz_rhat = np.concatenate([np.ravel(rhat[name]) for name in rhat.data_vars])
    arviz_bulk = np.concatenate([np.ravel(bulk[name]) for name in bulk.data_vars])
    arviz_tail = np.concatenate([np.ravel(tail[name]) for name in tail.data_vars])
    np.testing.assert_allclose(arviz_rhat, diagnostics.split_rhat(kept, groups=res.nwalkers),
                               rtol=1e-6)
    np.testing.assert_allclose(arviz_bulk, table["ess_bulk"], rtol=0.02)
    # the tail ESS of a quantile indicator hinges on the draws at the quantile,
    # which the two place by different interpolations: within one Sokal sd
    draws = kept.shape[0] * kept.shape[1]
    tau_tail = draws / np.asarray(table["ess_tail"])
    sokal = np.sqrt(2 * (2 * 5 * tau_tail + 1) / draws)
    assert np.all(np.abs(arviz_tail / table["ess_tail"] - 1) < sokal)
    inflation = 3 * np.asarray(table["tau"]) / len(kept)
    assert np.all(arviz_rhat > table["r_hat"] - 0.002)
    assert np.all(arviz_rhat < table["r_hat"] + inflation), (arviz_rhat, table["r_hat"])

    thinned = res.to_arviz(thin=20)
    loo = az.loo(thinned)
    (data_node,) = thinned.log_likelihood.data_vars
    assert loo.n_data_points == thinned.observed_data[data_node].size
    assert np.all(loo.pareto_k < 0.7)
    with warnings.catch_warnings():
        # ArviZ 0.x calls a matplotlib function that matplotlib 3.11 deprecates
        warnings.filterwarnings("ignore", category=MatplotlibDeprecationWarning,
                                message="Passing a dict or None as alias_mapping")
        axes = az.plot_trace(idata, var_names=list(idata.posterior.data_vars)[:3])
    try:
        assert axes.shape == (3, 2)
    finally:
        plt.close("all")


def test_the_groups_hold_the_chain_the_data_and_the_inputs(hierarchical):
    res = hierarchical
    post = res.posterior
    idata = res.to_arviz(discard=100, thin=7)
    assert set(idata.groups()) == {"posterior", "sample_stats", "observed_data",
                                   "constant_data", "log_likelihood"}
    chain = res.get_chain(discard=100, thin=7)
    theta = idata.posterior["theta"]
    assert theta.dims == ("chain", "draw", "groups")
    assert theta.shape == (res.nwalkers, len(chain), GROUPS)
    np.testing.assert_array_equal(theta.coords["groups"], np.arange(GROUPS))
    np.testing.assert_array_equal(theta.values, np.swapaxes(chain[:, :, 2:], 0, 1))
    np.testing.assert_array_equal(idata.posterior["mu"].values, chain[:, :, 0].T)
    np.testing.assert_array_equal(idata.sample_stats["lp"].values, res.log_prob[100::7].T)
    np.testing.assert_array_equal(idata.observed_data["y"].values, post.data["y"])
    assert idata.observed_data["y"].dims == ("obs",)
    np.testing.assert_array_equal(idata.constant_data["group"].values, post.inputs["group"])
    assert idata.attrs["discard"] == 100 and idata.attrs["thin"] == 7


def test_the_log_likelihood_is_pointwise_and_sums_to_the_posterior_s(hierarchical):
    res = hierarchical
    idata = res.to_arviz(discard=2000, thin=50)
    pointwise = idata.log_likelihood["y"]
    assert pointwise.dims == ("chain", "draw", "obs")
    theta = np.swapaxes(res.get_chain(discard=2000, thin=50), 0, 1).reshape(-1, res.ndim)
    total = res.posterior.log_likelihood(theta).reshape(pointwise.shape[:2])
    np.testing.assert_allclose(pointwise.sum("obs").values, total, rtol=1e-12)


def test_the_log_likelihood_in_small_blocks_is_the_same(hierarchical, monkeypatch):
    from pgmsim.fit import convert

    whole = hierarchical.to_arviz(discard=2900).log_likelihood["y"].values
    monkeypatch.setattr(convert, "LOG_LIKELIHOOD_BLOCK", 1)   # one draw at a time
    blocks = hierarchical.to_arviz(discard=2900).log_likelihood["y"].values
    np.testing.assert_array_equal(blocks, whole)


def test_acceptance_rate_marks_the_steps_where_a_walker_moved(hierarchical):
    res = hierarchical
    rate = res.to_arviz(discard=0, log_likelihood=False).sample_stats["acceptance_rate"]
    assert set(np.unique(rate.values[:, 1:])) <= {0.0, 1.0}
    # emcee counts the first move too, which the chain does not show
    np.testing.assert_allclose(rate.values[:, 1:].mean(axis=1), res.acceptance_fraction,
                               atol=1.5 / res.nsteps)


def test_a_checkpoint_converts_with_or_without_its_posterior(tmp_path):
    post = hierarchical_posterior()
    path = tmp_path / "run.h5"
    pg.sample(post, nwalkers=16, nsteps=60, seed=1, progress=False, backend=path)
    alone = load_result(path).to_arviz(discard=10)
    assert set(alone.groups()) == {"posterior", "sample_stats"}
    assert alone.posterior["theta"].shape == (16, 50, GROUPS)
    full = load_result(path, posterior=post).to_arviz(discard=10)
    assert full.posterior["theta"].dims == ("chain", "draw", "groups")
    assert "log_likelihood" in full.groups()
    np.testing.assert_array_equal(full.posterior["theta"].values,
                                  alone.posterior["theta"].values)


def test_a_scalar_data_node_is_one_observation():
    m = pg.Model("one")
    m.param("a", pg.Normal(0.0, 1.0))
    m.data("z", pg.Normal("a", 1.0))
    res = pg.sample(m.posterior(data={"z": 0.5}), nwalkers=8, nsteps=100, seed=2,
                    progress=False)
    idata = res.to_arviz(discard=50)
    # ArviZ makes an observed scalar a 1-vector: the pointwise values follow
    assert idata.observed_data["z"].dims == ("z_dim_0",)
    assert idata.log_likelihood["z"].dims == ("chain", "draw", "z_dim_0")
    theta = idata.posterior["a"].values.reshape(-1, 1)
    np.testing.assert_allclose(idata.log_likelihood["z"].values.ravel(),
                               res.posterior.log_likelihood(theta))
    assert "constant_data" not in idata.groups()


def test_without_arviz_the_error_says_how_to_install_it(monkeypatch):
    res = pg.SamplingResult(np.zeros((4, 3, 1)), np.zeros((4, 3)), np.ones(3), ["a"])
    monkeypatch.setitem(sys.modules, "arviz", None)
    with pytest.raises(ImportError, match=r"pip install pgmsim\[arviz\]"):
        res.to_arviz(discard=0)


def test_without_pandas_the_error_says_how_to_install_it(monkeypatch):
    res = pg.SamplingResult(np.zeros((4, 3, 1)), np.zeros((4, 3)), np.ones(3), ["a"])
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"to_pandas needs pandas: pip install"):
        res.to_pandas(discard=0)


def test_to_pandas_has_a_column_per_entry_and_walker_and_step(hierarchical):
    res = hierarchical
    table = res.to_pandas(discard=1000, thin=4)
    assert list(table.columns) == ["walker", "step", "mu", "tau",
                                   *(f"theta[{j}]" for j in range(GROUPS))]
    assert table.shape == (500 * res.nwalkers, 2 + res.ndim)
    np.testing.assert_array_equal(table[res.param_names].to_numpy(),
                                  res.flat_samples(discard=1000, thin=4))
    assert table["step"].iloc[0] == 1000 and table["step"].iloc[-1] == 2996
    assert table["walker"].iloc[:res.nwalkers].tolist() == list(range(res.nwalkers))
    default = res.to_pandas()
    assert len(default) == (res.nsteps - res.burn_in) * res.nwalkers
    assert default["step"].min() == res.burn_in


def test_to_pandas_refuses_a_parameter_named_like_its_columns():
    res = pg.SamplingResult(np.zeros((4, 3, 2)), np.zeros((4, 3)), np.ones(3),
                            ["step", "a"])
    with pytest.raises(ValueError, match=r"parameter\(s\) 'step' share a name"):
        res.to_pandas(discard=0)


def test_to_pandas_checks_thin_and_discard():
    res = pg.SamplingResult(np.zeros((4, 3, 1)), np.zeros((4, 3)), np.ones(3), ["a"])
    with pytest.raises(ValueError, match="thin must be a positive integer"):
        res.to_pandas(discard=0, thin=0)
    with pytest.raises(ValueError, match=r"discard must be in \[0, 4\)"):
        res.to_pandas(discard=4)
