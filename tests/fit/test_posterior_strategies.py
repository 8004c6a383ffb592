"""The fast paths of the log-posterior give the same numbers as the plain ones.

One-point priors in :mod:`math`, grouped batch priors, batches cut into
cache-sized chunks, the sparse Poisson likelihood and threads sharing a batch:
each is checked against an independent oracle (scipy.stats, a hand-written
sum over the full image) or against the general path it replaces. No timings.
"""

import numpy as np
import pytest
from scipy import special, stats

import pgmsim as pg
from pgmsim.graph.checks import ModelWarning
import pgmsim.astro.io
import pgmsim.fit.parallel
from pgmsim.fit import posterior as posterior_module
from pgmsim.fit.parallel import ParallelLogProb
from pgmsim.models import xray_agn

# every prior with its scipy.stats oracle
PRIORS = [
    (pg.Uniform(-1.0, 3.0), stats.uniform(-1.0, 4.0)),
    (pg.LogUniform(1e-3, 10.0), stats.loguniform(1e-3, 10.0)),
    (pg.Normal(0.5, 2.0), stats.norm(0.5, 2.0)),
    (pg.LogNormal(0.3, 0.7), stats.lognorm(0.7, scale=np.exp(0.3))),
    (pg.HalfNormal(1.5), stats.halfnorm(scale=1.5)),
    (pg.Exponential(0.5), stats.expon(scale=2.0)),
    (pg.Gamma(2.5, 1.5), stats.gamma(2.5, scale=1 / 1.5)),
    (pg.Beta(2.0, 5.0), stats.beta(2.0, 5.0)),
]

# points inside, on the edges of and outside the supports, and non-finite ones
POINTS = [-2.0, -1.0, -1e-300, 0.0, 1e-3, 0.2, 0.5, 1.0, 2.9, 3.0, 10.0, 11.0,
          np.inf, -np.inf, np.nan]


@pytest.fixture(scope="module")
def agn():
    m = xray_agn.build()
    inputs = xray_agn.default_inputs()
    sim = m.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=3)
    return m.posterior(data={"N": sim["N"]}, inputs=inputs)


def oracle_logpdf(frozen, x):
    if np.isnan(x):
        return -np.inf
    with np.errstate(all="ignore"):
        value = float(frozen.logpdf(x))
    return -np.inf if np.isnan(value) else value


@pytest.mark.parametrize("dist, frozen", PRIORS, ids=lambda d: type(d).__name__)
def test_scalar_log_density_matches_scipy(dist, frozen):
    for x in POINTS:
        got = dist._logpdf_scalar(x, *dist.args)
        want = oracle_logpdf(frozen, x)
        if np.isfinite(want):
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), x
        else:
            # NaN is allowed where callers read it as -inf
            assert got == -np.inf or np.isnan(got), (x, got)


def all_priors_model():
    m = pg.Model("all_priors")
    for i, (dist, _) in enumerate(PRIORS):
        m.param(f"p{i}", dist)
    m.plate("items", size=3)
    m.param("mu_pop", pg.Normal(0.0, 1.0))
    m.param("sigma_pop", pg.HalfNormal(1.0))
    m.param("h", pg.Normal("mu_pop", "sigma_pop"))          # hierarchical, scalar
    m.param("v", pg.Normal("mu_pop", 1.0), plate="items")    # on a plate
    m.data("y", pg.Normal("h", 1.0), plate="obs")
    return m


def test_point_and_batch_priors_equal_the_sum_of_scipy_log_densities():
    m = all_priors_model()
    with pytest.warns(ModelWarning, match="'p0', 'p1'.* used by no data node"):
        post = m.posterior(data={"y": [0.1, -0.3, 0.4]})
    rng = np.random.default_rng(0)
    inside = post.sample_prior(rng, 40)
    outside = inside.copy()
    outside[::2, 0] = 5.0        # Uniform(-1, 3)
    outside[1::4, 7] = 1.5       # Beta
    outside[3::4, 9] = -0.1      # HalfNormal sigma_pop
    theta = np.vstack([inside, outside])
    names = post.param_names
    expected = []
    for row in theta:
        values = dict(zip(names, row))
        lp = sum(oracle_logpdf(frozen, values[f"p{i}"]) for i, (_, frozen) in enumerate(PRIORS))
        mu, sig = values["mu_pop"], values["sigma_pop"]
        lp += oracle_logpdf(stats.norm(0, 1), mu) + oracle_logpdf(stats.halfnorm(), sig)
        if sig > 0:
            lp += oracle_logpdf(stats.norm(mu, sig), values["h"])
            lp += sum(stats.norm(mu, 1.0).logpdf(values[f"v[{k}]"]) for k in range(3))
        else:
            lp = -np.inf
        if np.isfinite(lp):
            lp += np.sum(stats.norm(values["h"], 1.0).logpdf([0.1, -0.3, 0.4]))
        expected.append(lp)
    expected = np.array(expected)
    finite = np.isfinite(expected)
    assert finite.sum() >= 40 and (~finite).sum() >= 15
    batch = post.log_prob(theta)
    singles = np.array([post.log_prob(row) for row in theta])
    np.testing.assert_array_equal(np.isfinite(batch), finite)
    np.testing.assert_array_equal(np.isfinite(singles), finite)
    np.testing.assert_allclose(batch[finite], expected[finite], rtol=1e-11)
    np.testing.assert_allclose(singles[finite], expected[finite], rtol=1e-11)
    # and the general path (log_prior + log_likelihood) agrees with the fast one
    general = np.array([post.log_prior(row) + post.log_likelihood(row) for row in inside])
    np.testing.assert_allclose(post.log_prob(inside), general, rtol=1e-12)


def test_joint_map_prior_takes_the_general_path_with_the_same_numbers():
    density = np.arange(1.0, 17.0).reshape(4, 4)
    m = pg.Model("located")
    m.param(("x0", "y0"), pg.MapPrior(density, (0, 40, 0, 40)))
    m.param("s", pg.Uniform(0.5, 2.0))
    m.data("N", pg.Poisson("s"), plate="obs")
    with pytest.warns(ModelWarning, match="'x0', 'y0' used by no data node"):
        post = m.posterior(data={"N": [1, 0, 2]})
    theta = post.sample_prior(1, 16)
    np.testing.assert_allclose(post.log_prob(theta),
                               [post.log_prior(t) + post.log_likelihood(t) for t in theta],
                               rtol=1e-12)


def test_chunked_batches_equal_one_pass(agn, monkeypatch):
    theta = agn.sample_prior(7, 37)
    theta[5, 4] = 10.0                       # sigma outside its prior
    whole = agn.log_prob(theta)
    whole_ll = agn.log_likelihood(theta)
    assert whole[5] == -np.inf and np.isfinite(whole).sum() == 36
    for elements in (1, 1600, 3 * 1600, 10**9):
        monkeypatch.setattr(posterior_module, "BATCH_ELEMENTS", elements)
        np.testing.assert_allclose(agn.log_prob(theta), whole, rtol=1e-12)
        np.testing.assert_allclose(agn.log_likelihood(theta), whole_ll, rtol=1e-12)


def test_batch_strategy_follows_the_plate_size(monkeypatch):
    """A large plate goes through the graph a few walkers at a time, a small
    one in one pass; the scalar parameters arrive as views of theta."""
    seen = []

    def make(K):
        m = pg.Model("rate")
        m.param("a", pg.Uniform(0.5, 2.0))
        m.fixed("w", plate="pix")

        @m.deterministic(plate="pix")
        def mu(a, w):
            seen.append(a)
            return a * w

        m.data("N", pg.Poisson("mu"), plate="pix")
        return m.posterior(data={"N": np.arange(K) % 3}, inputs={"w": np.ones(K)})

    theta = np.linspace(0.6, 1.9, 5)[:, None]
    monkeypatch.setattr(posterior_module, "BATCH_ELEMENTS", 2**16)
    for K, sizes in ((100, [5]), (2**15, [2, 2, 1])):
        post = make(K)
        seen.clear()
        post.log_prob(theta)
        assert [a.shape for a in seen] == [(n, 1) for n in sizes], K
        assert all(np.shares_memory(a, theta) for a in seen)
    # one walker per pass: the walkers go through as single points (scalars)
    post = make(2**17)
    seen.clear()
    np.testing.assert_allclose(post.log_prob(theta), [post.log_prob(t) for t in theta],
                               rtol=1e-13)
    assert [np.shape(a) for a in seen[:5]] == [()] * 5
    assert [float(a) for a in seen[:5]] == theta[:, 0].tolist()


def test_sparse_poisson_likelihood_matches_scipy():
    rng = np.random.default_rng(4)
    counts = rng.poisson(0.05, 2000)
    counts[:3] = [0, 7, 1]
    assert 0 < np.count_nonzero(counts) < 300
    loglike = pg.Poisson("mu").loglike(counts)
    mu = rng.uniform(0.01, 0.2, (6, 2000))
    expected = stats.poisson.logpmf(counts, mu).sum(axis=-1)
    np.testing.assert_allclose(loglike(mu), expected, rtol=1e-12)
    np.testing.assert_allclose([loglike(row) for row in mu], expected, rtol=1e-12)
    # a rate per walker, broadcast over the plate
    rate = np.array([[0.02], [0.1]])
    np.testing.assert_allclose(loglike(rate),
                               stats.poisson.logpmf(counts, rate).sum(axis=-1), rtol=1e-12)
    # negative rates have no Poisson density, even where N = 0
    bad = mu[0].copy()
    bad[np.flatnonzero(counts == 0)[0]] = -0.1
    assert loglike(bad) == -np.inf
    assert list(loglike(np.vstack([mu[0], bad]))[1:]) == [-np.inf]
    # NaN stays NaN (the posterior names its source), beside a negative walker
    nan = mu[1].copy()
    nan[5] = np.nan
    mixed = loglike(np.vstack([mu[0], nan, bad]))
    assert mixed[0] == pytest.approx(expected[0], rel=1e-12)
    assert np.isnan(mixed[1]) and mixed[2] == -np.inf


def test_poisson_log_factorial_is_computed_once_per_dataset(monkeypatch):
    counts = np.array([0, 3, 1, 0, 12])
    loglike = pg.Poisson("mu").loglike(counts)
    mu = np.full(5, 2.0)
    expected = loglike(mu)
    calls = []
    original = special.gammaln

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(special, "gammaln", counting)
    assert loglike(mu) == expected
    assert calls == []
    assert expected == pytest.approx(stats.poisson.logpmf(counts, 2.0).sum(), rel=1e-13)


def test_dropping_masked_pixels_equals_the_masked_full_image_sum():
    """The plate of unmasked pixels gives the straightforward full-image
    posterior, sum(keep * (N log mu - mu - log N!)), at every point."""
    rng = np.random.default_rng(8)
    ny, nx = 40, 40      # the stamp of xray_agn.build(size=40)
    yy, xx = np.mgrid[0:ny, 0:nx].astype(float)
    ex = np.full((ny, nx), 1e4)
    keep = ~pgmsim.astro.io.region_mask((ny, nx), [[10, 12, 4], [30, 20, 3]])
    keep[:, :2] = False
    truth = {"x0": 19.3, "y0": 14.6, "F": 0.03, "b": 5e-6, "sigma": 1.6}
    m = xray_agn.build(size=40)
    full = {"ex": ex.ravel(), "x": xx.ravel(), "y": yy.ravel()}
    counts = m.simulate(inputs=full, params=truth, seed=2)["N"].reshape(ny, nx)
    inputs = {k: v[keep.ravel()] for k, v in full.items()}
    kept = xray_agn.build(size=40, keep=keep)      # the plate of the unmasked pixels
    post = kept.posterior(data={"N": counts[keep]}, inputs=inputs)
    theta = post.sample_prior(rng, 20)

    def straightforward(t):
        x0, y0, F, b, s = t
        mu = ex * (F * np.exp(-((xx - x0) ** 2 + (yy - y0) ** 2) / (2 * s**2))
                   / (2 * np.pi * s**2) + b)
        return np.sum(keep * (counts * np.log(mu) - mu - special.gammaln(counts + 1)))

    expected = np.array([straightforward(t) for t in theta]) + post.log_prior(theta)
    np.testing.assert_allclose(post.log_prob(theta), expected, rtol=1e-12)


def test_threads_give_exactly_the_serial_values(agn):
    theta = agn.sample_prior(9, 40)
    theta[3, 0] = -5.0
    with ParallelLogProb(agn, workers=2, min_elements=0) as log_prob:
        np.testing.assert_array_equal(log_prob(theta), agn.log_prob(theta))
        assert log_prob(theta[0]) == agn.log_prob(theta[0])
        np.testing.assert_array_equal(log_prob(theta[:1]), agn.log_prob(theta[:1]))


def test_errors_raised_in_a_thread_reach_the_caller():
    m = pg.Model("root")
    m.param("a", pg.Uniform(-1.0, 1.0))

    @m.deterministic(plate="obs")
    def rate(a):
        return np.sqrt(a) * np.ones(4000)

    m.data("N", pg.Poisson("rate"), plate="obs")
    with pytest.warns(ModelWarning, match="node 'rate' is NaN at"):
        post = m.posterior(data={"N": np.ones(4000)})
    theta = np.array([[0.5], [0.2], [-0.5], [0.9]])
    with ParallelLogProb(post, workers=2, min_elements=0) as log_prob:
        with pytest.raises(pg.NonFiniteError, match="'rate'"):
            log_prob(theta)


def test_sample_with_threads_gives_the_serial_chain(agn, monkeypatch):
    monkeypatch.setattr(pgmsim.fit.parallel, "PARALLEL_ELEMENTS", 0)   # split even small batches
    serial = pg.sample(agn, nwalkers=12, nsteps=40, seed=5, progress=False)
    threaded = pg.sample(agn, nwalkers=12, nsteps=40, seed=5, progress=False, parallel=2)
    np.testing.assert_array_equal(threaded.chain, serial.chain)
    np.testing.assert_array_equal(threaded.log_prob, serial.log_prob)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True])
def test_bad_parallel_argument_is_refused(agn, bad):
    with pytest.raises(ValueError, match="parallel"):
        pg.sample(agn, nwalkers=12, nsteps=5, seed=1, progress=False, parallel=bad)
    with pytest.raises(ValueError, match="workers"):
        ParallelLogProb(agn, workers=bad if bad != 1.5 else 1)
