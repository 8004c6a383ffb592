"""Where the walkers start: prior draws, a ball around a point, the MAP, or given."""

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.fit.initialization import MAP_BALL, POINT_BALL, initial_walkers, posterior_covariance
from pgmsim.fit.optimize import MapWarning
from pgmsim.graph.checks import ModelWarning


def counts_posterior():
    m = pg.Model("counts")
    m.param("lam", pg.Gamma(2.0, 1.0))
    m.data("N", pg.Poisson("lam"), plate="obs")
    return m.posterior(data={"N": [3, 5, 4]})


def truncated_posterior(y=0.7):
    """y ~ Uniform(0, a), a ~ Uniform(0, 1): the posterior is zero for a < y."""
    m = pg.Model("truncated")
    m.param("a", pg.Uniform(0.0, 1.0))
    m.data("y", pg.Uniform(0.0, "a"))
    return m.posterior(data={"y": y})


def normal_posterior():
    """Two parameters whose prior widths differ by a factor of 100."""
    m = pg.Model("normal")
    m.param("mu", pg.Normal(0.0, 10.0))
    m.param("s", pg.Normal(5.0, 0.1))
    m.data("y", pg.Normal("mu", 1.0), plate="obs")
    m.data("z", pg.Normal("s", 1.0))
    return m.posterior(data={"y": [1.2, 0.4, 2.1], "z": 5.0})


def test_walkers_from_the_prior_are_distributed_as_the_prior():
    walkers = initial_walkers(counts_posterior(), 400, seed=1)
    assert walkers.shape == (400, 1)
    assert stats.kstest(walkers[:, 0], stats.gamma(2.0).cdf).pvalue > 1e-3
    # negative control: the same test tells the prior from the posterior
    # Gamma(2 + 12, 1 + 3)
    assert stats.kstest(walkers[:, 0], stats.gamma(14.0, scale=1 / 4).cdf).pvalue < 1e-6


def test_prior_draws_of_zero_posterior_density_are_dropped():
    post = truncated_posterior(y=0.7)
    walkers = initial_walkers(post, 300, seed=2)
    assert np.all(np.isfinite(post.log_prob(walkers)))
    # the prior restricted to the support of the posterior: Uniform(0.7, 1)
    assert stats.kstest(walkers[:, 0], stats.uniform(0.7, 0.3).cdf).pvalue > 1e-3
    assert stats.kstest(walkers[:, 0], stats.uniform(0.0, 1.0).cdf).pvalue < 1e-6


def test_too_few_usable_prior_draws_is_an_error_with_a_way_out():
    with pytest.raises(ValueError, match=r"only \d+ of 40 prior draws have a finite "
                                         r"posterior density; start from the MAP"):
        initial_walkers(truncated_posterior(y=0.99), 10, seed=3)


def test_a_ball_around_a_point_scales_with_the_prior_widths():
    post = normal_posterior()
    centre = {"mu": 1.0, "s": 5.0}
    n, ball = 2000, 1e-3
    walkers = initial_walkers(post, n, initial=centre, seed=4, ball=ball)
    assert walkers.shape == (n, 2)
    # radius: ball x the 16-84 percentile range of the prior (2 sd), the range
    # itself estimated from 256 prior draws (about 7 percent error)
    expected_sd = ball * 2 * np.array([10.0, 0.1])
    sd = walkers.std(axis=0, ddof=1)
    assert np.all(np.abs(sd / expected_sd - 1) < 0.35), sd / expected_sd
    # the centre: 5 standard errors
    assert np.all(np.abs(walkers.mean(axis=0) - [1.0, 5.0]) < 5 * sd / np.sqrt(n))
    assert stats.normaltest(walkers[:, 0]).pvalue > 1e-3
    # the same ball from a packed vector, and from anything with a .theta
    packed = initial_walkers(post, n, initial=[1.0, 5.0], seed=4, ball=ball)
    found = post.find_map(initial=centre, seed=0)
    around_map = initial_walkers(post, n, initial=found, seed=4, ball=ball)
    np.testing.assert_array_equal(packed, walkers)
    np.testing.assert_allclose(around_map.mean(axis=0), found.theta, atol=5 * sd.max())


def test_a_ball_at_the_edge_of_the_support_keeps_only_valid_walkers():
    post = truncated_posterior(y=0.7)
    walkers = initial_walkers(post, 50, initial={"a": 0.7 + 1e-6}, seed=5, ball=1e-2)
    assert walkers.shape == (50, 1)
    assert np.all(walkers > 0.7) and np.all(np.isfinite(post.log_prob(walkers)))


def test_a_point_with_no_room_around_it_is_an_error():
    # y1 ~ Uniform(0, a) and y2 ~ Uniform(a, 1): a must lie in (0.7, 0.7 + 1e-12)
    m = pg.Model("sliver")
    m.param("a", pg.Uniform(0.0, 1.0))
    m.data("y1", pg.Uniform(0.0, "a"))
    m.data("y2", pg.Uniform("a", 1.0))
    post = m.posterior(data={"y1": 0.7, "y2": 0.7 + 1e-12})
    assert np.isfinite(post.log_prob(np.array([0.7 + 5e-13])))
    with pytest.raises(ValueError, match="could not place the walkers around the initial"):
        initial_walkers(post, 4, initial={"a": 0.7 + 5e-13}, seed=6)


def test_map_start_is_a_ball_around_the_maximum():
    # conjugate: mu | y ~ Normal(sum(y) / (n + 1 / 100), 1 / sqrt(n + 1 / 100)),
    # s | z ~ Normal((5 / 1 + 5 / 0.01) / (1 + 100), 1 / sqrt(1 + 100))
    post = normal_posterior()
    mode = np.array([3.7 / (3 + 1e-2), (5.0 / 1.0 + 5.0 / 0.01) / (1 + 100)])
    posterior_sd = 1 / np.sqrt([3 + 1e-2, 1 + 100])
    walkers = initial_walkers(post, 16, initial="map", seed=7)
    # a ball of MAP_BALL = 0.1 posterior sd: 16 walkers within 5 of its sd
    assert np.all(np.abs(walkers - mode) < 5 * MAP_BALL * posterior_sd)
    # its size both ways: 4000 walkers, sd to 10 percent (the error is 1.1 percent)
    many = initial_walkers(post, 4000, initial="map", seed=7)
    np.testing.assert_allclose(many.std(axis=0, ddof=1) / (MAP_BALL * posterior_sd), 1.0,
                               atol=0.1)


def test_map_ball_is_sized_by_the_posterior_not_the_wide_prior():
    """Uniform(-1e4, 1e4) prior, posterior sd 0.01: the walkers start within a
    posterior width of the MAP (the prior-width ball: over a hundred widths)."""
    m = pg.Model("narrow")
    m.param("a", pg.Uniform(-1e4, 1e4))
    m.data("y", pg.Normal("a", 0.01))
    post = m.posterior(data={"y": 3.0})
    walkers = initial_walkers(post, 64, initial="map", seed=8)
    assert np.all(np.abs(walkers - 3.0) < 0.01), np.abs(walkers - 3.0).max() / 0.01
    assert 0.05 < walkers.std() / (MAP_BALL * 0.01) < 1.5
    # negative control: the ball of a point scales with the prior width
    around_point = initial_walkers(post, 64, initial=[3.0], seed=8)
    assert around_point.std() > 100 * 0.01


def test_map_ball_follows_the_correlations_of_the_posterior():
    # flat priors; y ~ Normal(a + b, 0.1), w ~ Normal(a, 1): precision matrix
    # [[1 + 100, 100], [100, 100]], a correlation of -0.995
    m = pg.Model("ridge")
    m.param("a", pg.Uniform(-100, 100))
    m.param("b", pg.Uniform(-100, 100))

    @m.deterministic()
    def total(a, b):
        return a + b

    m.data("y", pg.Normal("total", 0.1))
    m.data("w", pg.Normal("a", 1.0))
    post = m.posterior(data={"y": 1.0, "w": 0.5})
    best = post.find_map(seed=0)
    cov = np.linalg.inv([[101.0, 100.0], [100.0, 100.0]])
    np.testing.assert_allclose(posterior_covariance(post, best.theta, [50.0, 50.0]), cov,
                               rtol=1e-3)
    walkers = initial_walkers(post, 4000, initial=best, seed=9)
    np.testing.assert_allclose(np.cov(walkers.T) / MAP_BALL**2, cov, rtol=0.1, atol=1e-3)


def test_without_curvature_the_map_ball_falls_back_to_the_prior_width():
    # lam: the MAP is on the bound 0 (density falling linearly); c: flat, no data
    m = pg.Model("edge")
    m.param("lam", pg.Uniform(0.0, 10.0))
    m.param("c", pg.Uniform(-1.0, 1.0))
    m.data("N", pg.Poisson("lam"), plate="obs")
    with pytest.warns(ModelWarning, match="'c' used by no data node"):
        post = m.posterior(data={"N": [0, 0, 0]})
    cov = posterior_covariance(post, [1e-12, 0.2], [3.0, 0.6])
    assert np.isnan(cov[0, 0]) and np.isnan(cov[1, 1])
    with pytest.warns(MapWarning, match="lam"):
        walkers = initial_walkers(post, 2000, initial="map", seed=10)
    assert np.all(np.isfinite(post.log_prob(walkers))) and np.all(walkers[:, 0] > 0)
    # the prior-width ball: 1e-3 x the 16-84 range of Uniform(-1, 1), 1.36
    assert walkers[:, 1].std() == pytest.approx(POINT_BALL * 1.36, rel=0.15)
    # a curved direction beside a flat one keeps its curvature
    m2 = pg.Model("half-flat")
    m2.param("a", pg.Uniform(-10, 10))
    m2.param("c", pg.Uniform(-1.0, 1.0))
    m2.data("y", pg.Normal("a", 0.5))
    with pytest.warns(ModelWarning, match="'c' used by no data node"):
        post = m2.posterior(data={"y": 1.0})
    cov = posterior_covariance(post, [1.0, 0.0], [6.8, 0.68])
    assert cov[0, 0] == pytest.approx(0.25, rel=1e-3) and np.isnan(cov[1, 1])


def test_given_positions_are_used_as_they_are():
    post = normal_posterior()
    given = np.column_stack([np.linspace(-1, 1, 6), np.full(6, 5.0)])
    np.testing.assert_array_equal(initial_walkers(post, 6, initial=given), given)
    bad = given.copy()
    bad[[2, 4], 0] = np.nan
    with pytest.raises(ValueError, match=r"2 initial walker position\(s\) have zero posterior "
                                         r"density, first \{'mu': .*nan.*, 's': .*5\.0.*\}"):
        initial_walkers(post, 6, initial=bad)
    with pytest.raises(ValueError, match=r"1 initial walker position\(s\) .*0\.2"):
        initial_walkers(truncated_posterior(y=0.7), 3, initial=[[0.8], [0.2], [0.9]])


def test_initial_positions_are_checked():
    m = pg.Model()
    m.param("a", pg.Uniform(0, 1))
    m.data("y", pg.Normal("a", 1.0))
    post = m.posterior(data={"y": 0.3})
    with pytest.raises(ValueError, match="zero posterior density"):
        pg.sample(post, nwalkers=4, nsteps=10, initial={"a": 2.0})
    with pytest.raises(ValueError, match="initial must have shape"):
        pg.sample(post, nwalkers=4, nsteps=10, initial=np.zeros((3, 1)))
    res = pg.sample(post, nwalkers=4, nsteps=10, initial={"a": 0.5}, seed=1, progress=False)
    assert np.all(np.abs(res.chain[0] - 0.5) < 0.05)


@pytest.mark.parametrize("initial, match", [
    ("prior", r"initial must be None, 'map', a dict or an array, got 'prior'"),
    ([1.0, 5.0, 0.0], r"initial must have shape \(2,\) or \(8, 2\), got \(3,\)"),
    (np.zeros((7, 2)), r"got \(7, 2\)"),
    ({"mu": 1.0}, "s"),
])
def test_bad_initial_values_are_refused(initial, match):
    post = normal_posterior()
    with pytest.raises(ValueError, match=match):
        initial_walkers(post, 8, initial=initial, seed=0)


def test_a_point_of_zero_density_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"the initial point \{'a': .*0\.5.*\} has zero "
                                         "posterior density"):
        initial_walkers(truncated_posterior(y=0.7), 8, initial={"a": 0.5})


def test_the_same_seed_gives_the_same_walkers():
    post = normal_posterior()
    for initial in (None, {"mu": 1.0, "s": 5.0}):
        one = initial_walkers(post, 8, initial=initial, seed=11)
        two = initial_walkers(post, 8, initial=initial, seed=np.random.default_rng(11))
        other = initial_walkers(post, 8, initial=initial, seed=12)
        np.testing.assert_array_equal(one, two)
        assert not np.array_equal(one, other)
