"""What a posterior checks when it is built: each mistake refused (or warned
about) with the node's name, and the valid models it used to refuse."""

import warnings

import numpy as np
import pytest

import pgmsim as pg
from pgmsim.graph.checks import ModelWarning


def summed_model(reduce):
    """A scalar node computed from a plate vector by ``reduce``."""
    m = pg.Model("reduce")
    m.fixed("x", plate="p")
    m.param("a", pg.Normal(0.0, 1.0))
    m.deterministic("s", reduce)
    m.data("y", pg.Normal("s", 1.0))
    return m


def test_a_reduction_over_all_axes_mixes_walkers_and_is_refused():
    m = summed_model(lambda a, x: np.sum(a * x))
    with pytest.raises(ValueError, match=r"node 's'.*mixes walkers.*axis=-1"):
        m.posterior(data={"y": 1.0}, inputs={"x": [1.0, 2.0, 3.0]})


def test_a_reduction_over_the_last_axis_is_accepted():
    # negative control: the same model written correctly builds, and a batch
    # equals the points one by one
    m = summed_model(lambda a, x: np.sum(a * x, axis=-1, keepdims=True))
    post = m.posterior(data={"y": 1.0}, inputs={"x": [1.0, 2.0, 3.0]})
    theta = np.array([[0.1], [0.7], [-0.3]])
    assert np.array_equal(post.log_prob(theta), [post.log_prob(t) for t in theta])


def test_a_mean_without_axis_is_refused():
    m = pg.Model("mean")
    m.fixed("x", plate="p")
    m.param("a", pg.Normal(0.0, 1.0))
    m.deterministic("mu", lambda a, x: a * x - np.mean(a * x), plate="p")
    m.data("y", pg.Normal("mu", 1.0), plate="p")
    with pytest.raises(ValueError, match=r"node 'mu'.*mixes walkers"):
        m.posterior(data={"y": [0.0, 1.0]}, inputs={"x": [1.0, 2.0]})


def one_step_model(func):
    m = pg.Model("dtype")
    m.param("a", pg.Normal(0.0, 1.0))
    m.deterministic("mu", func)
    m.data("y", pg.Normal("mu", 1.0))
    return m


@pytest.mark.parametrize("func, kind", [
    (lambda a: a + 0j, "complex"),
    (lambda a: np.asarray(a, dtype=object), "object"),
    (lambda a: np.where(np.asarray(a) > 0, "up", "down"), "str"),
])
def test_a_function_that_returns_no_real_numbers_is_refused(func, kind):
    with pytest.raises(TypeError, match=rf"node 'mu' returned {kind}"):
        one_step_model(func).posterior(data={"y": 1.0})


def test_booleans_and_integers_are_real_numbers():
    post = one_step_model(lambda a: (np.asarray(a) > 0) * 1).posterior(data={"y": 1.0})
    assert np.isfinite(post.log_prob([0.5]))


def test_a_negative_sigma_from_a_fixed_input_is_refused():
    m = pg.Model("sigma")
    m.fixed("s", plate="p")
    m.param("a", pg.Normal(0.0, 1.0))
    m.data("y", pg.Normal("a", "s"), plate="p")
    with pytest.raises(ValueError, match=r"node 'y': Normal needs sigma > 0; 1 value\(s\) are not, "
                       r"first -1 at index 1 \(sigma is the fixed node 's'\)"):
        m.posterior(data={"y": [0.0, 1.0]}, inputs={"s": [1.0, -1.0]})
    # negative control
    m.posterior(data={"y": [0.0, 1.0]}, inputs={"s": [1.0, 2.0]})


def in_place_model():
    """mu = x += a: a function that changes its fixed input in place."""
    m = pg.Model("inplace")
    m.fixed("x", plate="p")
    m.param("a", pg.Normal(0.0, 1.0))

    def shifted(a, x):
        x += a
        return x

    m.deterministic("mu", shifted, plate="p")
    m.data("y", pg.Normal("mu", 1.0), plate="p")
    return m


def test_a_function_that_changes_a_fixed_input_in_place_is_refused():
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"node 'mu' changes its input\(s\) 'x' in place"):
        in_place_model().posterior(data={"y": [0.0, 1.0]}, inputs={"x": x})
    assert np.array_equal(x, [1.0, 2.0])


def test_a_parameter_that_no_data_depends_on_is_warned_about():
    m = pg.Model("unused")
    m.param("a", pg.Gamma(2.0, 1.0))
    m.param("b", pg.Gamma(2.0, 1.0))
    m.deterministic("mu", lambda a, c=1.0: a * c)   # meant to read b
    m.data("N", pg.Poisson("mu"))
    with pytest.warns(ModelWarning, match=r"parameter\(s\) 'b' used by no data node"):
        m.posterior(data={"N": 3})


def test_hierarchical_parameters_are_used_through_their_children():
    m = pg.Model("groups")
    m.param("mu", pg.Normal(0.0, 10.0))
    m.param("a", pg.Normal("mu", 1.0), plate="g")
    m.data("z", pg.Normal("a", 1.0), plate="g")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.posterior(data={"z": [0.5, 1.0, 1.5]})


def test_nan_at_prior_draws_is_warned_about_with_the_values():
    m = pg.Model("nan")
    m.param("a", pg.Normal(0.0, 1.0))
    m.deterministic("r", lambda a: np.sqrt(a))
    m.data("y", pg.Normal("r", 1.0))
    with pytest.warns(ModelWarning, match=r"node 'r' is NaN at .*prior draw.*'a'"):
        m.posterior(data={"y": 1.0})


def bounded_model():
    """b ~ Uniform(0, 1 - a): a prior argument that is a deterministic node."""
    m = pg.Model("bounded")
    m.param("a", pg.Uniform(0.0, 1.0))
    m.deterministic("ub", lambda a: 1.0 - a)
    m.param("b", pg.Uniform(0.0, "ub"))
    m.data("y", pg.Normal("a", 0.1))
    m.data("z", pg.Normal("b", 0.1))
    return m


def test_a_prior_argument_may_be_a_deterministic_node():
    post = bounded_model().posterior(data={"y": 0.3, "z": 0.2})
    # p(a, b) = 1 / (1 - a) on 0 < b < 1 - a
    assert post.log_prior([0.3, 0.2]) == pytest.approx(-np.log(0.7), rel=1e-12)
    assert post.log_prior([0.3, 0.8]) == -np.inf
    batch = np.array([[0.3, 0.2], [0.3, 0.8], [0.5, 0.4]])
    assert np.array_equal(post.log_prob(batch), [post.log_prob(t) for t in batch])
    # prior draws: E[b] = E[(1 - a) / 2] = 1/4, Var[b] = 7/144
    draws = post.sample_prior(seed=3, n=20000)
    assert np.all(draws[:, 1] <= 1.0 - draws[:, 0])
    assert abs(draws[:, 1].mean() - 0.25) < 4.5 * np.sqrt(7 / 144 / 20000)


def test_uniform_bounds_may_both_be_parameters():
    m = pg.Model("bounds")
    m.param("lo", pg.Uniform(0.0, 1.0))
    m.param("hi", pg.Uniform(1.0, 2.0))
    m.param("b", pg.Uniform("lo", "hi"))
    m.data("y", pg.Normal("b", 1.0))
    m.data("w", pg.Normal("lo", 1.0))
    m.data("v", pg.Normal("hi", 1.0))
    post = m.posterior(data={"y": 1.0, "w": 0.5, "v": 1.5})
    assert post.log_prior([0.5, 1.5, 1.0]) == pytest.approx(0.0)
    assert post.log_prior([0.5, 1.5, 1.6]) == -np.inf
    draws = post.sample_prior(seed=0, n=1000)
    assert np.all((draws[:, 2] >= draws[:, 0]) & (draws[:, 2] <= draws[:, 1]))
    res = pg.sample(post, nwalkers=8, nsteps=200, seed=1, progress=False)
    flat = res.flat_samples()
    assert np.all((flat[:, 2] >= flat[:, 0]) & (flat[:, 2] <= flat[:, 1]))


def autoregressive_model():
    """y_t ~ Normal(alpha + beta y_{t-1}, 1): a deterministic node reads data."""
    m = pg.Model("ar1")
    m.plate("t", size=4)
    m.param("alpha", pg.Normal(0.0, 1.0))
    m.param("beta", pg.Normal(0.0, 1.0))
    m.data("previous", pg.Normal(0.0, 1.0), plate="t")
    m.deterministic("mu", lambda alpha, beta, previous: alpha + beta * previous, plate="t")
    m.data("y", pg.Normal("mu", 1.0), plate="t")
    return m


def test_a_deterministic_node_may_read_a_data_node():
    m = autoregressive_model()
    series = np.array([0.3, -0.2, 0.8, 1.1, 0.4])
    post = m.posterior(data={"previous": series[:-1], "y": series[1:]})
    alpha, beta = 0.2, 0.5
    mu = alpha + beta * series[:-1]
    expected = (-0.5 * np.sum((series[1:] - mu) ** 2) - 0.5 * np.sum(series[:-1] ** 2)
                - 4 * np.log(2 * np.pi))
    assert post.log_likelihood([alpha, beta]) == pytest.approx(expected, rel=1e-12)
    batch = np.array([[0.2, 0.5], [-0.1, 0.9]])
    assert np.array_equal(post.log_prob(batch), [post.log_prob(t) for t in batch])
    # simulate draws the data in order: previous, then mu from it, then y
    mock = m.simulate(params={"alpha": 0.0, "beta": 2.0}, seed=1)
    assert np.array_equal(mock["mu"], 2.0 * mock["previous"])
    assert mock["y"].shape == (4,)


def test_find_map_refuses_a_posterior_that_is_zero_everywhere_it_looked():
    m = pg.Model("impossible")
    m.param("lam", pg.Uniform(0.0, 1.0))
    m.deterministic("mu", lambda lam: lam * 0.0)
    m.data("N", pg.Poisson("mu"))
    post = m.posterior(data={"N": 3})
    with pytest.raises(ValueError, match="zero posterior density"):
        post.find_map(seed=0)


def test_counts_beyond_exact_float_range_are_refused_with_their_exact_value():
    m = pg.Model("big")
    m.param("lam", pg.Gamma(2.0, 1.0))
    m.data("N", pg.Poisson("lam"), plate="obs")
    with pytest.raises(ValueError, match=r"node 'N'.*9007199254740993.*index 1"):
        m.posterior(data={"N": np.array([3, 2**53 + 1])})
    m.posterior(data={"N": np.array([3, 2**52])})      # negative control


def test_a_prior_that_cannot_draw_does_not_stop_the_build():
    class Flat(pg.Distribution):
        """An improper flat density: no sampler."""
        arg_names = ()
        latex_name = r"\mathrm{Flat}"

        def _logpdf(self, x):
            return np.zeros_like(x)

        def _support(self):
            return (-np.inf, np.inf)

    m = pg.Model("flat")
    m.param("a", Flat())
    m.data("y", pg.Normal("a", 1.0))
    with pytest.warns(ModelWarning, match=r"parameter 'a'.*Flat defines no _sample.*not "
                                          r"checked at prior draws"):
        post = m.posterior(data={"y": 1.0})
    assert post.log_prob([1.0]) == pytest.approx(-0.5 * np.log(2 * np.pi))


def test_simulate_refuses_a_function_that_changes_its_inputs_in_place():
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"node 'mu' changes its input\(s\) 'x' in place"):
        in_place_model().simulate(inputs={"x": x}, seed=0)
    assert np.array_equal(x, [1.0, 2.0])


def test_a_user_written_likelihood_that_mixes_walkers_is_refused():
    class Gaussian(pg.Distribution):
        arg_names = ("mu",)
        latex_name = r"\mathcal{G}"

        def _logpdf(self, x, mu):
            return -0.5 * (x - mu) ** 2 - 0.5 * np.log(2 * np.pi)

        def _sample(self, rng, size, mu):
            return rng.normal(mu, 1.0, size)

        def _support(self, mu):
            return (-np.inf, np.inf)

    class SummedEverywhere(Gaussian):
        def loglike(self, x):
            return lambda mu: np.sum(self._logpdf(x, mu))      # no axis=-1

    for dist, mixes in ((Gaussian, False), (SummedEverywhere, True)):
        m = pg.Model("user")
        m.param("a", pg.Normal(0.0, 1.0))
        m.data("y", dist("a"), plate="obs")
        if mixes:
            with pytest.raises(ValueError, match=r"data node 'y'.*mixes walkers"):
                m.posterior(data={"y": [0.5, 1.0]})
        else:
            post = m.posterior(data={"y": [0.5, 1.0]})
            theta = np.array([[0.1], [0.4]])
            assert np.allclose(post.log_prob(theta), [post.log_prob(t) for t in theta])
