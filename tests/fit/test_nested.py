"""pg.nested: evidence against closed forms, agreement with emcee, the result's
interface, checkpoints and the refusals."""

import sys

import numpy as np
import pytest
from scipy import special, stats

import pgmsim as pg
from pgmsim.distributions.improper import ImproperPriorError
from pgmsim.models import xray_agn

SEEDS = range(10)


def linear_gaussian():
    """y = a + b x + noise with Gaussian priors: y is Gaussian, ln Z exact."""
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    y = np.array([0.4, 1.2, 2.1, 2.7])
    sigma, prior_mu, prior_sd = 0.5, np.array([0.0, 1.0]), np.array([2.0, 1.0])
    m = pg.Model("line")
    m.fixed("x", plate="obs")
    m.param("a", pg.Normal(prior_mu[0], prior_sd[0]))
    m.param("b", pg.Normal(prior_mu[1], prior_sd[1]))
    m.deterministic("mu", lambda a, b, x: a + b * x, plate="obs")
    m.data("y", pg.Normal("mu", sigma), plate="obs")
    design = np.column_stack([np.ones_like(x), x])
    cov = sigma**2 * np.eye(len(x)) + design @ np.diag(prior_sd**2) @ design.T
    exact = stats.multivariate_normal(design @ prior_mu, cov).logpdf(y)
    return m.posterior(data={"y": y}, inputs={"x": x}), exact


def gamma_poisson():
    """lam ~ Gamma(alpha, beta), N_i ~ Poisson(lam): the marginal likelihood is exact."""
    counts, alpha, beta = np.array([3, 5, 4, 6, 2]), 2.0, 0.5
    m = pg.Model("counts")
    m.param("lam", pg.Gamma(alpha, beta))
    m.data("N", pg.Poisson("lam"), plate="obs")
    total, n = counts.sum(), len(counts)
    exact = (alpha * np.log(beta) - special.gammaln(alpha) + special.gammaln(alpha + total)
             - (alpha + total) * np.log(beta + n) - special.gammaln(counts + 1).sum())
    return m.posterior(data={"N": counts}), exact


@pytest.mark.parametrize("case", [linear_gaussian, gamma_poisson])
def test_evidence_matches_the_closed_form_over_ten_seeds(case):
    post, exact = case()
    misses = []
    for seed in SEEDS:
        res = pg.nested(post, nlive=60, seed=seed, progress=False)
        if abs(res.log_evidence - exact) > 3 * res.log_evidence_err:
            misses.append((seed, res.log_evidence, res.log_evidence_err))
    assert not misses, (f"{len(misses)} of {len(SEEDS)} seeds off by more than 3 sigma "
                        f"of ln Z = {exact:.4f}: {misses}")


def test_evidence_test_can_fail():
    # negative control: the evidence of another prior is far from this one
    post, exact = gamma_poisson()
    other = pg.Model("counts")
    other.param("lam", pg.Gamma(2.0, 0.05))
    other.data("N", pg.Poisson("lam"), plate="obs")
    res = pg.nested(other.posterior(data=post.data), nlive=60, seed=0, progress=False)
    assert abs(res.log_evidence - exact) > 3 * res.log_evidence_err


def test_posterior_agrees_with_emcee_on_xray_agn():
    # a 20 x 20 stamp: about 40 s for both runs on one core
    inputs = xray_agn.default_inputs(size=20)
    truth = dict(xray_agn.TRUTH, x0=9.3, y0=11.6)
    model = xray_agn.build(20)
    mock = model.simulate(inputs=inputs, params=truth, seed=1)
    post = model.posterior(data={"N": mock["N"]}, inputs=inputs)
    res = pg.nested(post, nlive=100, seed=2, progress=False)
    # from the MAP: walkers started across the prior may stay in a far corner
    chain = pg.sample(post, nwalkers=32, nsteps=1500, seed=3, progress=False, initial="map")
    emcee_table, nested_table = chain.summary(), res.summary()
    for row_e, row_n in zip(emcee_table, nested_table):
        # Monte Carlo error of the difference of the two means
        error = np.hypot(row_e["std"] / np.sqrt(row_e["ess"]),
                         row_n["std"] / np.sqrt(row_n["ess"]))
        assert abs(row_e["mean"] - row_n["mean"]) < 4 * error + 0.05 * row_e["std"], \
            row_e["name"]
        assert 0.8 < row_n["std"] / row_e["std"] < 1.25, row_e["name"]


def test_result_reads_like_an_emcee_result():
    post, exact = gamma_poisson()
    res = pg.nested(post, nlive=100, seed=4, progress=False)
    draws = res.flat_samples()
    assert draws.shape == (len(res.samples), 1)
    # the posterior is Gamma(alpha + sum N, beta + n)
    posterior = stats.gamma(2.0 + 20, scale=1.0 / (0.5 + 5))
    assert stats.kstest(draws[:, 0], posterior.cdf).pvalue > 1e-3
    assert stats.kstest(draws[:, 0] * 1.2, posterior.cdf).pvalue < 1e-6
    table = res.summary()
    assert table.colnames == ["name", "median", "lower", "upper", "mean", "std", "ess"]
    assert abs(table["mean"][0] - posterior.mean()) < 3 * posterior.std() / np.sqrt(
        res.effective_samples)
    assert table.meta["log_evidence"] == res.log_evidence
    assert res.diagnostics()["ncall"] == res.ncall > 0
    assert res.labels() == [r"$\lambda$"] or res.labels() == ["$lam$"]
    fig = res.corner()
    assert len(fig.axes) == 1
    import matplotlib.pyplot as plt

    plt.close(fig)
    idata = res.to_arviz()
    assert idata.posterior.attrs["inference_library"] == "dynesty"
    assert idata.log_likelihood["N"].shape == (1, len(res.samples), 5)


def test_same_seed_same_run():
    post, _ = gamma_poisson()
    one = pg.nested(post, nlive=40, seed=5, progress=False)
    two = pg.nested(post, nlive=40, seed=5, progress=False)
    assert one.log_evidence == two.log_evidence
    assert np.array_equal(one.samples, two.samples)


def test_checkpoint_file_is_written_and_resumed(tmp_path):
    post, exact = gamma_poisson()
    path = tmp_path / "run.save"
    res = pg.nested(post, nlive=40, seed=6, progress=False, checkpoint_file=path,
                    checkpoint_every=0)
    assert path.exists()
    # the run restored from its file (finished: dynesty says so, and adds nothing)
    with pytest.warns(UserWarning, match="resuming a finished"):
        again = pg.nested(post, nlive=40, seed=6, progress=False, checkpoint_file=path,
                          resume=True)
    assert again.log_evidence == res.log_evidence
    assert np.array_equal(again.samples, res.samples)


def test_resume_without_a_checkpoint_is_refused(tmp_path):
    post, _ = gamma_poisson()
    with pytest.raises(ValueError, match="resume=True needs an existing checkpoint_file"):
        pg.nested(post, nlive=40, progress=False, resume=True,
                  checkpoint_file=tmp_path / "none.save")


@pytest.mark.parametrize("nlive", [2, 0, 10.5, True])
def test_too_few_live_points_are_refused(nlive):
    post, _ = linear_gaussian()
    with pytest.raises(ValueError, match=r"nlive must be an integer of at least 5"):
        pg.nested(post, nlive=nlive, progress=False)


def test_improper_prior_is_refused_naming_the_parameter():
    m = pg.Model("flat")
    m.param("offset", pg.Flat())
    m.data("y", pg.Normal("offset", 1.0))
    post = m.posterior(data={"y": 0.5})
    with pytest.raises(ImproperPriorError, match="'offset' has an improper prior"):
        pg.nested(post, nlive=50, progress=False)


def test_missing_dynesty_names_the_extra(monkeypatch):
    post, _ = gamma_poisson()
    monkeypatch.setitem(sys.modules, "dynesty", None)
    with pytest.raises(ImportError, match=r"pgmsim\[nested\]"):
        pg.nested(post, nlive=50, progress=False)
