"""The eight-schools model (Rubin 1981; Gelman et al., Bayesian Data Analysis,
section 5.5), non-centred, with built-in distributions only: its posterior
against the published values and against quadrature."""

import numpy as np
import pytest

import pgmsim as pg

Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
# posterior mean and sd of mu and tau published with the model for
# mu ~ Normal(0, 5), tau ~ HalfCauchy(5) (the Stan and PyMC case studies),
# rounded to 0.1
PUBLISHED = {"mu": (4.4, 3.3), "tau": (3.6, 3.2)}
ROUNDING = 0.05


def eight_schools():
    m = pg.Model("eight_schools")
    m.fixed("sigma", plate="schools")
    m.param("mu", pg.Normal(0.0, 5.0))
    m.param("tau", pg.HalfCauchy(5.0))
    m.param("eta", pg.Normal(0.0, 1.0), plate="schools")  # non-centred
    m.deterministic("theta", lambda mu, tau, eta: mu + tau * eta, plate="schools")
    m.data("y", pg.Normal("theta", "sigma"), plate="schools")
    return m


def quadrature(mu_sd, tau_scale, n_mu=401, n_tau=2001):
    """Posterior mean and sd of mu and tau, with the school effects integrated
    out (y_j ~ Normal(mu, sqrt(sigma_j**2 + tau**2))), on a grid uniform in the
    prior quantile of tau."""
    mu = np.linspace(-40.0, 50.0, n_mu)[:, None, None]
    tau = tau_scale * np.tan(0.5 * np.pi * (np.arange(n_tau) + 0.5) / n_tau)[None, :, None]
    var = SIGMA**2 + tau**2
    log_post = (-0.5 * (mu[..., 0] / mu_sd) ** 2
                - 0.5 * np.sum((Y - mu) ** 2 / var + np.log(var), axis=-1))
    weight = np.exp(log_post - log_post.max())
    weight /= weight.sum()
    out = {}
    for name, grid in (("mu", mu[..., 0]), ("tau", tau[..., 0])):
        mean = np.sum(weight * grid)
        out[name] = (mean, np.sqrt(np.sum(weight * (grid - mean) ** 2)))
    return out


def test_the_published_values_are_the_posterior_of_this_prior():
    exact = quadrature(5.0, 5.0)
    for name, (mean, sd) in PUBLISHED.items():
        assert exact[name][0] == pytest.approx(mean, abs=ROUNDING)
        assert exact[name][1] == pytest.approx(sd, abs=ROUNDING)
    # a flat prior on mu (BDA's choice) moves mu well away from them
    assert quadrature(1e6, 5.0)["mu"][0] > PUBLISHED["mu"][0] + 3.0


@pytest.fixture(scope="module")
def run():
    post = eight_schools().posterior(data={"y": Y}, inputs={"sigma": SIGMA})
    return pg.sample(post, nwalkers=40, nsteps=6000, seed=8, progress=False)


def test_non_centred_eight_schools_matches_the_published_posterior(run):
    assert run.converged, run.problems()  # so that the Monte Carlo errors hold
    discard = 1000
    samples = run.flat_samples(discard=discard)
    ess = dict(zip(run.param_names, run.ess(discard=discard)))
    index = {name: run.param_names.index(name) for name in PUBLISHED}
    for name, (mean, sd) in PUBLISHED.items():
        draws = samples[:, index[name]]
        assert ess[name] > 800, (name, ess[name])
        # 4.5 Monte Carlo standard errors (false-alarm rate ~1e-5 each) plus the
        # rounding of the published figures; the sd's error for a kurtosis of
        # up to 7 (tau's, by quadrature, is 6.1)
        mean_error = draws.std() / np.sqrt(ess[name])
        sd_error = draws.std() * np.sqrt((2.0 + 7.0) / (4.0 * ess[name]))
        assert abs(draws.mean() - mean) < 4.5 * mean_error + ROUNDING, name
        assert abs(draws.std() - sd) < 4.5 * sd_error + ROUNDING, name
    # negative control: the flat-prior posterior mean of mu is rejected
    flat = quadrature(1e6, 5.0, n_mu=201, n_tau=801)["mu"][0]
    mu = samples[:, index["mu"]]
    assert abs(mu.mean() - flat) > 4.5 * mu.std() / np.sqrt(ess["mu"]) + ROUNDING
