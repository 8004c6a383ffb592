"""SamplingResult: chain accessors, summary, autocorrelation time and ESS.

Most tests use chains with known properties instead of a sampler run: a
first-order autoregressive (AR(1)) chain ``x[t] = phi x[t-1] + e[t]`` has the
integrated autocorrelation time ``1 + 2 phi / (1 - phi)``, and emcee's own
functions are the oracle for the accessors.
"""

import emcee
import matplotlib.pyplot as plt
import numpy as np
import pytest
from emcee.autocorr import integrated_time
from scipy.signal import lfilter

import pgmsim as pg

PHIS = np.array([0.5, 0.8])
TAUS = 1 + 2 * PHIS / (1 - PHIS)        # 3 and 9 steps


def ar1_chain(phis, nsteps, nwalkers, seed):
    """Independent stationary AR(1) walkers with unit innovations, one column per phi."""
    rng = np.random.default_rng(seed)
    columns = []
    for phi in phis:
        noise = rng.standard_normal((nsteps, nwalkers))
        noise[0] /= np.sqrt(1 - phi**2)     # start in the stationary distribution
        columns.append(lfilter([1.0], [1.0, -phi], noise, axis=0))
    return np.stack(columns, axis=-1)


def result_of(chain, names=None, posterior=None, seed=0):
    nsteps, nwalkers, ndim = chain.shape
    log_prob = -0.5 * np.sum(chain**2, axis=-1)
    acceptance = np.random.default_rng(seed).uniform(0.2, 0.5, nwalkers)
    names = names or [f"p{k}" for k in range(ndim)]
    return pg.SamplingResult(chain, log_prob, acceptance, names, posterior)


def emcee_backend(chain):
    """An emcee in-memory backend holding ``chain``: the oracle of the accessors."""
    nsteps, nwalkers, ndim = chain.shape
    backend = emcee.backends.Backend()
    backend.reset(nwalkers, ndim)
    backend.grow(nsteps, None)
    backend.chain[:] = chain
    backend.log_prob[:] = -0.5 * np.sum(chain**2, axis=-1)
    backend.iteration = nsteps
    return backend


@pytest.fixture(scope="module")
def ar1():
    return result_of(ar1_chain(PHIS, nsteps=4000, nwalkers=16, seed=1))


def sokal_sd(tau, nsamples, c=5.0):
    """Standard deviation of a windowed estimate of tau (Sokal 1997): the
    variance is 2 (2 M + 1) / N tau^2 for a window M = c tau."""
    return tau * np.sqrt(2 * (2 * c * tau + 1) / nsamples)


def test_autocorr_time_of_an_ar1_chain_is_the_analytic_one(ar1):
    kept = ar1.nsteps - ar1.burn_in
    tau = ar1.autocorr_time
    # 5 standard deviations of the estimator
    assert np.all(np.abs(tau - TAUS) < 5 * sokal_sd(TAUS, kept * ar1.nwalkers)), tau
    # negative control: the slower column is not mistaken for the faster one
    assert abs(tau[1] - TAUS[0]) > 5 * sokal_sd(TAUS[0], kept * ar1.nwalkers)


def test_autocorr_time_and_ess_are_emcee_s_after_the_default_burn_in(ar1):
    # the default burn-in is 5 tau of the slower column, rounded up
    assert ar1.burn_in == int(np.ceil(5 * integrated_time(ar1.chain[2000:], tol=0)[1]))
    assert 5 * TAUS[1] - 10 < ar1.burn_in < 5 * TAUS[1] + 10
    after_burn_in = ar1.chain[ar1.burn_in:]
    expected = integrated_time(after_burn_in, quiet=False)
    np.testing.assert_array_equal(ar1.autocorr_time, expected)
    np.testing.assert_array_equal(
        ar1.ess(), after_burn_in.shape[0] * ar1.nwalkers / expected)
    expected = integrated_time(ar1.chain[100:], quiet=True)
    np.testing.assert_array_equal(ar1.ess(discard=100),
                                  (ar1.nsteps - 100) * ar1.nwalkers / expected)


def test_ess_of_an_ar1_chain_is_samples_over_tau(ar1):
    n = (ar1.nsteps - ar1.burn_in) * ar1.nwalkers
    ess = ar1.ess()
    expected = n / TAUS
    # ess = n / tau_hat: the relative error of tau_hat, to first order
    assert np.all(np.abs(ess - expected) < 5 * expected * sokal_sd(TAUS, n) / TAUS), ess


def test_ess_of_independent_draws_is_the_number_of_draws():
    rng = np.random.default_rng(3)
    res = result_of(rng.standard_normal((2000, 8, 2)))
    n = (2000 - res.burn_in) * 8
    assert np.all(np.abs(res.ess() - n) < 5 * n * sokal_sd(1.0, n)), res.ess()
    # the floor at tau = 1: an anticorrelated chain does not claim more samples
    flip = np.where(np.arange(2000) % 2, 1.0, -1.0)[:, None, None]
    anti = result_of(rng.standard_normal((2000, 8, 1)) * 0.1 + flip)
    assert anti.ess()[0] == (2000 - anti.burn_in) * 8


def test_summary_against_numpy_and_the_monte_carlo_error(ar1):
    table = ar1.summary()
    samples = ar1.chain[ar1.burn_in:].reshape(-1, ar1.ndim)
    assert list(table["name"]) == ["p0", "p1"]
    np.testing.assert_allclose(table["median"], np.median(samples, axis=0), rtol=1e-13)
    np.testing.assert_allclose(table["lower"], np.percentile(samples, 16, axis=0), rtol=1e-13)
    np.testing.assert_allclose(table["upper"], np.percentile(samples, 84, axis=0), rtol=1e-13)
    np.testing.assert_allclose(table["mean"], samples.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(table["std"], samples.std(axis=0, ddof=1), rtol=1e-13)
    np.testing.assert_array_equal(table["ess"], ar1.ess())
    assert table.meta == {"discard": ar1.burn_in, "thin": 1, "nwalkers": 16, "nsteps": 4000,
                          "mean_acceptance": float(np.mean(ar1.acceptance_fraction))}
    # the stationary law is Normal(0, 1 / (1 - phi^2)): mean within 5 Monte
    # Carlo standard errors, from the effective sample size
    sd = 1 / np.sqrt(1 - PHIS**2)
    assert np.all(np.abs(table["mean"]) < 5 * sd / np.sqrt(TAUS ** -1 * len(samples)))
    assert np.all(np.abs(table["std"] / sd - 1) < 5 * np.sqrt(TAUS / (2 * len(samples))))


def test_summary_with_burn_in_and_thinning():
    res = result_of(ar1_chain(PHIS, nsteps=400, nwalkers=8, seed=2))
    table = res.summary(discard=40, thin=3)
    samples = res.chain[40::3].reshape(-1, 2)
    np.testing.assert_allclose(table["mean"], samples.mean(axis=0), rtol=1e-13)
    np.testing.assert_array_equal(table["ess"], res.ess(40))
    assert (table.meta["discard"], table.meta["thin"]) == (40, 3)


@pytest.mark.parametrize("discard", [0, 1, 37, 399])
@pytest.mark.parametrize("flat", [False, True])
def test_get_chain_is_emcee_s(discard, flat):
    chain = ar1_chain(PHIS, nsteps=400, nwalkers=6, seed=4)
    got = result_of(chain).get_chain(discard=discard, flat=flat)
    np.testing.assert_array_equal(got, emcee_backend(chain).get_chain(discard=discard,
                                                                      flat=flat))


@pytest.mark.parametrize("discard, thin", [(0, 1), (10, 3), (5, 7), (398, 5)])
def test_get_chain_thins_from_the_first_kept_step(discard, thin):
    chain = ar1_chain(PHIS, nsteps=400, nwalkers=6, seed=4)
    res = result_of(chain)
    np.testing.assert_array_equal(res.get_chain(discard=discard, thin=thin),
                                  chain[discard::thin])
    np.testing.assert_array_equal(res.get_chain(discard=discard, thin=thin, flat=True),
                                  chain[discard::thin].reshape(-1, 2))
    np.testing.assert_array_equal(res.flat_samples(discard=discard, thin=thin),
                                  chain[discard::thin].reshape(-1, 2))


def test_flat_samples_drop_five_autocorrelation_times_by_default():
    chain = ar1_chain(PHIS, nsteps=401, nwalkers=4, seed=5)
    res = result_of(chain)
    burn_in = int(np.ceil(5 * np.max(integrated_time(chain[200:], tol=0))))
    assert res.burn_in == burn_in > 0
    np.testing.assert_array_equal(res.flat_samples(), chain[burn_in:].reshape(-1, 2))
    np.testing.assert_array_equal(res.get_chain(), chain)      # no burn-in by default


@pytest.mark.parametrize("discard", [-1, 50, 51, 10**6])
def test_a_burn_in_outside_the_chain_is_refused(discard):
    res = result_of(ar1_chain(PHIS, nsteps=50, nwalkers=4, seed=6))
    for call in (res.get_chain, res.flat_samples, res.ess, res.summary):
        with pytest.raises(ValueError, match=rf"discard must be in \[0, 50\), got {discard}"):
            call(discard=discard)
    for thin in (0, -2, 1.5, True):      # a negative step would reverse the chain
        with pytest.raises(ValueError, match="thin must be a positive integer"):
            res.get_chain(thin=thin)


def test_short_chain_warns_about_the_autocorrelation_time():
    m = pg.Model()
    m.param("a", pg.Normal(0, 1))
    m.data("y", pg.Normal("a", 1.0))
    res = pg.sample(m.posterior(data={"y": 0.3}), nwalkers=4, nsteps=40, seed=1,
                    progress=False)
    with pytest.warns(pg.ConvergenceWarning,
                      match=r"too short for a reliable autocorrelation time of a \("):
        tau = res.autocorr_time
    assert tau.shape == (1,)


def test_ess_does_not_warn_for_a_short_chain():
    res = result_of(ar1_chain(PHIS, nsteps=40, nwalkers=4, seed=7))
    ess = res.ess()      # warnings are errors in this suite
    assert ess.shape == (2,) and np.all(ess > 0)


def counts_posterior():
    m = pg.Model("counts")
    m.param("lam", pg.Gamma(2.0, 1.0))
    m.plate("bands", size=2, index="b")
    m.param("eff", pg.Uniform(0.5, 1.0), plate="bands")
    m.data("N", pg.Poisson("lam"), plate="obs")
    m.data("z", pg.Normal("eff", 0.1), plate="bands")  # every parameter is used
    return m.posterior(data={"N": [3, 5, 4], "z": [0.7, 0.9]})


def test_from_sampler_keeps_only_the_steps_done():
    post = counts_posterior()
    sampler = emcee.EnsembleSampler(8, post.ndim, post.log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(0).get_state()
    sampler.run_mcmc(post.sample_prior(seed=0, n=8), 30, progress=False)
    sampler.backend.grow(20, None)      # room for steps never taken (an interrupted run)
    res = pg.SamplingResult.from_sampler(sampler, post)
    assert (res.nsteps, res.nwalkers, res.ndim) == (30, 8, 3)
    np.testing.assert_array_equal(res.chain, sampler.get_chain()[:30])
    np.testing.assert_array_equal(res.log_prob, sampler.get_log_prob()[:30])
    np.testing.assert_array_equal(res.acceptance_fraction, sampler.acceptance_fraction)
    assert res.param_names == post.param_names == ["lam", "eff[0]", "eff[1]"]
    assert res.posterior is post


def test_labels_come_from_the_model_with_plate_indices():
    post = counts_posterior()
    chain = np.ones((5, 6, 3))
    assert result_of(chain, post.param_names, post).labels() == [
        r"$\lambda$", r"$\mathrm{eff}[0]$", r"$\mathrm{eff}[1]$"]
    assert result_of(chain, post.param_names).labels() == post.param_names


def test_repr_names_the_shape_and_the_acceptance():
    res = pg.SamplingResult(np.zeros((7, 4, 2)), np.zeros((7, 4)), [0.25, 0.5, 0.25, 0.5],
                            ("a", "b"))
    assert repr(res) == ("<SamplingResult: 7 steps x 4 walkers x 2 parameters, "
                         "mean acceptance 0.38>")
    assert res.param_names == ["a", "b"] and res.posterior is None


def test_corner_marks_the_truth_of_a_single_parameter():
    m = pg.Model()
    m.param("a", pg.Normal(0, 1))
    m.data("y", pg.Normal("a", 1.0))
    post = m.posterior(data={"y": 0.3})
    res = result_of(ar1_chain([0.5], nsteps=200, nwalkers=4, seed=8), ["a"], post)
    fig = res.corner(truths={"a": 0.7})
    try:
        assert len(fig.axes) == 1
        assert [0.7, 0.7] in [list(line.get_xdata()) for line in fig.axes[0].lines]
    finally:
        plt.close(fig)


def test_trace_draws_every_walker_of_every_parameter():
    chain = ar1_chain(PHIS, nsteps=60, nwalkers=5, seed=9)
    fig = result_of(chain).trace(discard=10)
    try:
        assert len(fig.axes) == 2
        for k, ax in enumerate(fig.axes):
            assert len(ax.lines) == 5
            np.testing.assert_array_equal(ax.lines[3].get_ydata(), chain[10:, 3, k])
        assert fig.axes[0].get_ylabel() == "p0"
    finally:
        plt.close(fig)


def flux_posterior():
    """Two parameters, one with a unit and one without."""
    m = pg.Model("flux")
    m.param("F", pg.LogUniform(1e-3, 1.0), unit="ct / (s cm2)")
    m.param("w", pg.Uniform(0.5, 1.5))
    m.deterministic("mu", lambda F, w: F * w)
    m.data("N", pg.Poisson("mu"), plate="obs")
    return m.posterior(data={"N": [0, 1, 0]})


def test_summary_gives_each_parameter_its_unit():
    post = flux_posterior()
    res = result_of(np.abs(ar1_chain(PHIS, nsteps=80, nwalkers=4, seed=3)), ["F", "w"], post)
    table = res.summary()
    assert table.colnames == ["name", "unit", "median", "lower", "upper", "mean", "std", "ess"]
    assert list(table["unit"]) == ["ct / (s cm2)", ""]
    assert "ct / (s cm2)" in "\n".join(table.pformat())


def test_summary_without_units_or_without_a_posterior_has_no_unit_column():
    chain = ar1_chain(PHIS, nsteps=80, nwalkers=4, seed=3)
    assert result_of(chain, ["F", "w"]).summary().colnames[:2] == ["name", "median"]
    post = counts_posterior()
    three = result_of(np.abs(ar1_chain([0.5] * 3, nsteps=80, nwalkers=4, seed=3)),
                      post.param_names, post)
    assert "unit" not in three.summary().colnames


def test_corner_and_trace_label_axes_with_units():
    post = flux_posterior()
    res = result_of(np.abs(ar1_chain(PHIS, nsteps=80, nwalkers=4, seed=3)), ["F", "w"], post)
    unit = r"[$\mathrm{ct\,s^{-1}\,cm^{-2}}$]"
    assert res.labels() == [f"$F$ {unit}", r"$w$"]
    fig = res.corner()
    try:
        assert fig.axes[2].get_xlabel() == f"$F$ {unit}"
        assert fig.axes[2].get_ylabel() == "$w$"
    finally:
        plt.close(fig)
    fig = res.trace()
    try:
        assert [ax.get_ylabel() for ax in fig.axes] == [f"$F$ {unit}", "$w$"]
    finally:
        plt.close(fig)


def test_a_result_without_a_posterior_has_no_units():
    res = result_of(np.abs(ar1_chain(PHIS, nsteps=80, nwalkers=4, seed=3)), ["F", "w"])
    assert res.labels() == ["F", "w"]
    fig = res.trace()
    try:
        assert [ax.get_ylabel() for ax in fig.axes] == ["F", "w"]
    finally:
        plt.close(fig)


def test_trace_and_corner_take_params_by_name_or_entry():
    names = ["mu", "a[0]", "a[1]", "a[2]"]
    res = result_of(ar1_chain([0.5] * 4, nsteps=200, nwalkers=6, seed=10), names)
    fig = res.trace(params=["a"])
    try:
        assert [ax.get_ylabel() for ax in fig.axes] == ["a[0]", "a[1]", "a[2]"]
    finally:
        plt.close(fig)
    fig = res.corner(params=["a[2]", "mu"], discard=0, truths={"a": [0.0, 1.0, 2.0]})
    try:
        assert len(fig.axes) == 4 and fig.axes[2].get_xlabel() == "a[2]"
        assert [2.0, 2.0] in [list(line.get_xdata()) for line in fig.axes[0].lines]
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) 'b'"):
        res.trace(params=["b"])
    # true values passed where the parameters go: refused, not plotted silently
    with pytest.raises(TypeError, match="params takes parameter names, got a dict"):
        res.corner({"mu": 1.0})


def test_trace_and_corner_of_a_plate_parameter_use_the_model_s_labels():
    m = pg.Model("groups")
    m.plate("g", size=2)
    m.param("mu", pg.Normal(0.0, 10.0))
    m.param("a", pg.Normal("mu", 1.0), plate="g")
    m.data("z", pg.Normal("a", 1.0), plate="g")
    post = m.posterior(data={"z": [0.5, 1.5]})
    res = result_of(ar1_chain([0.5] * 3, nsteps=100, nwalkers=6, seed=11), post.param_names,
                    post)
    fig = res.trace(params="a[1]")
    try:
        assert [ax.get_ylabel() for ax in fig.axes] == [res.labels()[2]]
    finally:
        plt.close(fig)
