"""Hostile input: property-based tests of the densities and of every ready-made
model's log-posterior, and bad data, inputs and parameters.

The hypothesis profile (fixed examples, bounded count) is set in conftest.py.
"""

import functools
import importlib
import math
from typing import Callable, NamedTuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs
from scipy import special, stats

import astropy.units as u

import pgmsim as pg
from pgmsim import distributions
from pgmsim.cli import MODELS
from pgmsim.fit.backends import CheckpointError, load_result
from pgmsim.graph.nodes import NodeKind


def floats(lo, hi, **kw):
    return hs.floats(lo, hi, allow_nan=False, **kw)


def ordered(lo, hi, min_width):
    """(low, high) with low < high."""
    return hs.tuples(floats(lo, hi), floats(min_width, hi - lo)).map(
        lambda t: (t[0], t[0] + t[1])).filter(lambda t: t[0] < t[1])


def positive_ordered():
    return hs.tuples(floats(1e-10, 1e3), floats(1.0 + 1e-6, 1e10)).map(
        lambda t: (t[0], t[0] * t[1])).filter(lambda t: 0 < t[0] < t[1])


def above(x):
    return hs.floats(min_value=x, exclude_min=True)


def below(x):
    return hs.floats(max_value=x, exclude_max=True)


class Oracle:
    """How to test one distribution: valid arguments, points inside and outside
    its support (as strategies), and the scipy.stats equivalent."""

    def __init__(self, args, scipy, inside, outside, discrete=False):
        self.args, self.scipy, self.inside, self.outside = args, scipy, inside, outside
        self.discrete = discrete

    def reference(self, args, x):
        frozen = self.scipy(*args)
        with np.errstate(all="ignore"):
            return frozen.logpmf(x) if self.discrete else frozen.logpdf(x)


INF = hs.sampled_from([np.inf, -np.inf])


class FoldedAtZero:
    """The density of ``|X|`` for ``X`` symmetric about 0 (scipy has no half Student t)."""

    def __init__(self, frozen):
        self.frozen = frozen

    def logpdf(self, x):
        return np.where(np.asarray(x) >= 0, np.log(2.0) + self.frozen.logpdf(x), -np.inf)

ORACLES = {
    "Uniform": Oracle(
        ordered(-1e6, 1e6, 1e-3),
        lambda lo, hi: stats.uniform(loc=lo, scale=hi - lo),
        lambda lo, hi: hs.floats(lo, hi),
        lambda lo, hi: hs.one_of(below(lo), above(hi))),
    "LogUniform": Oracle(
        positive_ordered(), stats.loguniform,
        lambda lo, hi: hs.floats(lo, hi),
        lambda lo, hi: hs.one_of(below(lo), above(hi))),
    "Normal": Oracle(
        hs.tuples(floats(-1e6, 1e6), floats(1e-6, 1e6)),
        lambda mu, sigma: stats.norm(mu, sigma),
        lambda mu, sigma: floats(-1e8, 1e8),
        lambda mu, sigma: INF),
    "LogNormal": Oracle(
        hs.tuples(floats(-50, 50), floats(1e-3, 20)),
        lambda mu, sigma: stats.lognorm(s=sigma, scale=math.exp(mu)),
        lambda mu, sigma: floats(1e-300, 1e300),
        lambda mu, sigma: hs.one_of(hs.floats(max_value=0.0), INF)),
    "HalfNormal": Oracle(
        hs.tuples(floats(1e-6, 1e6)),
        lambda sigma: stats.halfnorm(scale=sigma),
        lambda sigma: floats(0.0, 1e8),
        lambda sigma: hs.one_of(hs.floats(max_value=-1e-300), INF)),
    "Exponential": Oracle(
        hs.tuples(floats(1e-6, 1e6)),
        lambda rate: stats.expon(scale=1.0 / rate),
        lambda rate: floats(0.0, 1e300),
        lambda rate: hs.one_of(hs.floats(max_value=-1e-300), INF)),
    "Gamma": Oracle(
        hs.tuples(floats(1e-2, 1e3), floats(1e-3, 1e3)),
        lambda alpha, beta: stats.gamma(alpha, scale=1.0 / beta),
        lambda alpha, beta: floats(1e-300, 1e300),
        lambda alpha, beta: hs.one_of(below(0.0), INF)),
    # pgmsim takes the open supports (0, 1) for Beta and (0, inf) for Gamma:
    # at the end points the density is 0 or infinite except for a = 1 or
    # b = 1 (alpha = 1), where scipy gives a finite value; a set of measure
    # zero, left out of both sides of the comparison
    "Beta": Oracle(
        hs.tuples(floats(1e-2, 1e3), floats(1e-2, 1e3)),
        stats.beta,
        lambda a, b: hs.floats(0.0, 1.0, exclude_min=True, exclude_max=True),
        lambda a, b: hs.one_of(below(0.0), above(1.0))),
    "Poisson": Oracle(
        hs.tuples(hs.one_of(hs.just(0.0), floats(1e-6, 1e6))),
        stats.poisson,
        lambda mu: hs.integers(0, 10**6).map(float),
        lambda mu: hs.one_of(below(0.0), floats(0.0, 1e6).filter(lambda x: x != int(x)),
                             INF),
        discrete=True),
    "StudentT": Oracle(
        hs.tuples(floats(0.1, 1e3), floats(-1e6, 1e6), floats(1e-6, 1e6)),
        lambda nu, mu, sigma: stats.t(nu, mu, sigma),
        lambda nu, mu, sigma: floats(-1e8, 1e8),
        lambda nu, mu, sigma: INF),
    "HalfStudentT": Oracle(
        hs.tuples(floats(0.1, 1e3), floats(1e-6, 1e6)),
        lambda nu, sigma: FoldedAtZero(stats.t(nu, 0.0, sigma)),
        lambda nu, sigma: floats(0.0, 1e8),
        lambda nu, sigma: hs.one_of(hs.floats(max_value=-1e-300), INF)),
    "Cauchy": Oracle(
        hs.tuples(floats(-1e6, 1e6), floats(1e-6, 1e6)),
        lambda mu, gamma: stats.cauchy(mu, gamma),
        lambda mu, gamma: floats(-1e8, 1e8),
        lambda mu, gamma: INF),
    "HalfCauchy": Oracle(
        hs.tuples(floats(1e-6, 1e6)),
        lambda gamma: stats.halfcauchy(scale=gamma),
        lambda gamma: floats(0.0, 1e300),
        lambda gamma: hs.one_of(hs.floats(max_value=-1e-300), INF)),
    "Laplace": Oracle(
        hs.tuples(floats(-1e6, 1e6), floats(1e-6, 1e6)),
        lambda mu, b: stats.laplace(mu, b),
        lambda mu, b: floats(-1e8, 1e8),
        lambda mu, b: INF),
    "InverseGamma": Oracle(
        hs.tuples(floats(1e-2, 1e3), floats(1e-3, 1e3)),
        lambda alpha, beta: stats.invgamma(alpha, scale=beta),
        lambda alpha, beta: floats(1e-300, 1e300),
        lambda alpha, beta: hs.one_of(hs.floats(max_value=0.0), INF)),
    "Binomial": Oracle(
        hs.tuples(hs.integers(0, 10**4).map(float), floats(0.0, 1.0)),
        stats.binom,
        lambda n, p: hs.integers(0, int(n)).map(float),
        lambda n, p: hs.one_of(below(0.0), above(n),
                               floats(0.0, n + 1.0).filter(lambda x: x != int(x))),
        discrete=True),
    "Bernoulli": Oracle(
        hs.tuples(floats(0.0, 1.0)),
        stats.bernoulli,
        lambda p: hs.sampled_from([0.0, 1.0]),
        lambda p: hs.one_of(below(0.0), above(1.0),
                            hs.floats(0.0, 1.0, exclude_min=True, exclude_max=True)),
        discrete=True),
    # |eta| <= 15: beyond, scipy's 1 - expit(eta) loses the digits of ln(1 - p)
    "BernoulliLogit": Oracle(
        hs.tuples(floats(-15.0, 15.0)),
        lambda eta: stats.bernoulli(special.expit(eta)),
        lambda eta: hs.sampled_from([0.0, 1.0]),
        lambda eta: hs.one_of(below(0.0), above(1.0),
                              hs.floats(0.0, 1.0, exclude_min=True, exclude_max=True)),
        discrete=True),
    "NegativeBinomial": Oracle(
        hs.tuples(hs.one_of(hs.just(0.0), floats(1e-6, 1e6)), floats(1e-2, 1e3)),
        lambda mu, alpha: stats.nbinom(alpha, alpha / (alpha + mu)),
        lambda mu, alpha: hs.integers(0, 10**6).map(float),
        lambda mu, alpha: hs.one_of(below(0.0), INF,
                                    floats(0.0, 1e6).filter(lambda x: x != int(x))),
        discrete=True),
}


def all_distributions():
    # one-variable distributions; the joint ones are tested in distributions/test_joint.py,
    # those of vectors in distributions/test_multivariate.py, those made of other
    # distributions and the improper ones (no scipy oracle) in
    # distributions/test_truncated.py, test_mixture.py and test_improper.py
    return [name for name in distributions.__all__
            if name != "Distribution"
            and issubclass(getattr(distributions, name), distributions.Distribution)
            and not issubclass(getattr(distributions, name),
                               (distributions.JointDistribution,
                                distributions.MultivariateDistribution,
                                distributions.Truncated, distributions.Mixture,
                                distributions.Flat))]


def test_every_distribution_has_an_oracle():
    missing = sorted(set(all_distributions()) - set(ORACLES))
    assert not missing, f"add a scipy.stats oracle for {missing} to ORACLES"


@pytest.mark.parametrize("name", sorted(ORACLES))
@given(data=hs.data())
def test_logpdf_inside_the_support_is_finite_and_agrees_with_scipy(name, data):
    oracle = ORACLES[name]
    args = data.draw(oracle.args, label="args")
    x = data.draw(oracle.inside(*args), label="x")
    ours = getattr(pg, name)(*args).logpdf(x)
    ref = oracle.reference(args, x)
    assert not np.isnan(ours)
    if np.isfinite(ref):
        assert np.isfinite(ours)
        assert ours == pytest.approx(ref, rel=1e-7, abs=1e-7)
    elif ref == -np.inf and oracle.discrete:
        assert ours == -np.inf  # Poisson mu = 0: only N = 0 is possible; Binomial p = 0
    else:
        # scipy under- or overflows (e.g. Beta with a = 1000 at x = 1e-5);
        # pgmsim's density is computed in logs and stays finite
        assert ours < np.inf


@pytest.mark.parametrize("name", sorted(ORACLES))
@given(data=hs.data())
def test_logpdf_outside_the_support_is_minus_infinity(name, data):
    oracle = ORACLES[name]
    args = data.draw(oracle.args, label="args")
    x = data.draw(oracle.outside(*args), label="x")
    assert getattr(pg, name)(*args).logpdf(x) == -np.inf
    ref = oracle.reference(args, x)
    # the oracle agrees, except within rounding of the end points (scipy
    # tests x - loc <= scale) and where scipy gives NaN at x = inf
    low, high = getattr(pg, name)(*args).support()
    near_end = min(abs(x - low), abs(x - high)) <= 1e-12 * max(abs(low), abs(high), 1.0)
    assert ref == -np.inf or near_end or (np.isnan(ref) and np.isinf(x))


@pytest.mark.parametrize("name", sorted(ORACLES))
@given(data=hs.data())
def test_logpdf_is_never_nan_even_with_invalid_arguments(name, data):
    cls = getattr(pg, name)
    n = len(cls.arg_names)
    # arguments that name nodes take any value at run time, invalid ones too
    dist = cls(*(f"p{i}" for i in range(n)))
    params = data.draw(hs.tuples(*[hs.floats()] * n), label="params")
    x = np.array(data.draw(hs.lists(hs.floats(), min_size=1, max_size=8), label="x"))
    out = dist.logpdf(x, params=params)
    assert out.shape == x.shape
    assert not np.any(np.isnan(out))
    assert np.all(out[np.isnan(x)] == -np.inf)
    valid = data.draw(ORACLES[name].args, label="valid args")
    # the vectorised density is the scalar density, element by element
    assert np.array_equal(cls(*valid).logpdf(x),
                          [cls(*valid).logpdf(v) for v in x])


@pytest.mark.parametrize("name", sorted(ORACLES))
@given(data=hs.data())
def test_draws_lie_in_the_support(name, data):
    args = data.draw(ORACLES[name].args, label="args")
    seed = data.draw(hs.integers(0, 2**32 - 1), label="seed")
    dist = getattr(pg, name)(*args)
    draws = dist.sample(seed, size=20)
    low, high = dist.support()
    assert np.all((draws >= low) & (draws <= high))
    assert not np.any(np.isnan(dist.logpdf(draws)))


# ---------------------------------------------------------------------------
# the log-posterior of every ready-made model


@functools.lru_cache(maxsize=None)
def ready_made(name):
    """Posterior of a model's default mock; the module, model and inputs."""
    module = importlib.import_module(f"pgmsim.models.{name}")
    # a mock that keeps part of its image declares that part as the plate
    keep = getattr(module, "default_keep", None)
    model = module.build() if keep is None else module.build(keep=keep(seed=0))
    inputs = module.default_inputs(seed=0)
    sim = model.simulate(inputs=inputs, params=getattr(module, "TRUTH", None), seed=0)
    data = {n: sim[n] for n in model.names(NodeKind.DATA)}
    return module, model, inputs, data, model.posterior(data=data, inputs=inputs)


EXTREMES = [0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 1e300, -1e300,
            1.7976931348623157e308, -1.7976931348623157e308, np.inf, -np.inf, np.nan,
            -1.0, 1.0, 1e20, -1e20]
VALUES = hs.one_of(hs.sampled_from(EXTREMES), hs.floats(), floats(-1e3, 1e3))


def assert_valid_log_prob(post, theta):
    """log_prob is -inf or finite, never NaN or +inf; a NaN made inside the
    support would be a NonFiniteError naming its node."""
    try:
        value = post.log_prob(theta)
    except pg.NonFiniteError as err:
        assert err.node is not None and f"'{err.node}'" in str(err)
        return None
    value = np.asarray(value)
    assert not np.any(np.isnan(value)), theta
    assert not np.any(value == np.inf), theta
    return value


@pytest.mark.parametrize("name", MODELS)
@given(data=hs.data())
def test_log_prob_of_every_model_is_never_nan(name, data):
    *_, post = ready_made(name)
    seed = data.draw(hs.integers(0, 2**32 - 1), label="seed")
    base = post.sample_prior(seed, 3)
    # a prior draw with some coordinates replaced by extreme values, so that
    # the likelihood is reached with extreme but in-support parameters too
    theta = base.copy()
    changes = data.draw(hs.lists(hs.tuples(hs.integers(0, 2), hs.integers(0, post.ndim - 1),
                                           VALUES), max_size=2 * post.ndim), label="changes")
    for row, col, value in changes:
        theta[row, col] = value
    batch = assert_valid_log_prob(post, theta)
    points = [assert_valid_log_prob(post, row) for row in theta]
    if batch is not None and None not in points:
        # one walker or a batch: the same value
        np.testing.assert_allclose(batch, np.array(points, dtype=float), rtol=1e-9)


@pytest.mark.parametrize("name", MODELS)
def test_log_prob_refuses_badly_typed_theta(name):
    *_, post = ready_made(name)
    theta = post.sample_prior(1, 1)[0]
    with pytest.raises(TypeError, match="theta must hold real numbers"):
        post.log_prob(theta.astype(complex))
    with pytest.raises(TypeError, match="theta must hold real numbers"):
        post.log_prob(np.array(["a"] * post.ndim))
    with pytest.raises(ValueError, match=f"theta must have shape \\({post.ndim},\\)"):
        post.log_prob(theta[:-1])
    # integers are numbers
    assert np.isfinite(post.log_prob(theta)) or post.log_prob(theta) == -np.inf
    np.testing.assert_equal(post.log_prob(theta.astype(np.float32).astype(object)),
                            post.log_prob(theta.astype(np.float32).astype(float)))


def test_an_overflowing_mean_is_zero_density_and_the_sampler_carries_on():
    # a wide prior lets walkers reach exp(a) = inf: the Poisson likelihood of
    # finite counts is then zero (-inf), not NaN, and emcee just rejects them
    m = pg.Model("exp_rate")
    m.param("a", pg.Normal(0, 1000))

    @m.deterministic(plate="obs")
    def mu(a):
        return np.exp(a) * np.ones(3)

    m.data("N", pg.Poisson("mu"), plate="obs")
    post = m.posterior(data={"N": [3, 0, 2]})
    assert post.log_prob(np.array([710.0])) == -np.inf
    assert np.array_equal(post.log_prob(np.array([[710.0], [1e5], [1.0]]))[:2],
                          [-np.inf, -np.inf])
    start = 700.0 + np.random.default_rng(1).uniform(0, 8, size=(8, 1))
    res = pg.sample(post, nwalkers=8, nsteps=100, seed=2, initial=start, progress=False)
    assert np.all(np.isfinite(res.chain)) and np.all(res.log_prob > -np.inf)
    # a NaN made inside the support is still named
    m2 = pg.Model("nan_rate")
    m2.param("a", pg.Normal(0, 1))

    @m2.deterministic(plate="obs")
    def rate(a):
        return np.sqrt(a) * np.ones(2)

    m2.data("N", pg.Poisson("rate"), plate="obs")
    with pytest.warns(pg.ModelWarning, match="node 'rate' is NaN at"):
        post2 = m2.posterior(data={"N": [1, 2]})
    with pytest.raises(pg.NonFiniteError, match="node 'rate' returned NaN"):
        post2.log_prob(np.array([-1.0]))


# ---------------------------------------------------------------------------
# bad data and inputs: clear errors naming the node

def _ragged(n):
    return [[1, 2]] + [[1]] * (n - 1)


BAD_DATA = {
    # case: (make bad values from good ones, error type, message pattern)
    "NaN": (lambda v: np.where(np.arange(v.size) == 1, np.nan, v), ValueError,
            "non-finite value.*first at index 1"),
    "inf": (lambda v: np.where(np.arange(v.size) == 1, np.inf, v), ValueError,
            "non-finite value.*first at index 1"),
    "strings": (lambda v: v.astype(str), TypeError, "must be numeric.*dtype <U"),
    "complex": (lambda v: v.astype(complex), TypeError, "must be numeric.*complex128"),
    "object": (lambda v: v.astype(object), TypeError, "must be numeric.*dtype object"),
    "bool": (lambda v: v > 0, TypeError, "must be numeric.*dtype bool"),
    "None": (lambda v: None, TypeError, "must be numeric.*dtype object"),
    "masked": (lambda v: np.ma.masked_array(v, mask=np.arange(v.size) < 2), ValueError,
               "masked array with 2 masked value"),
}
BAD_PLATE_DATA = {
    "one short": (lambda v: v[:-1], ValueError, "has length"),
    "2-D": (lambda v: np.stack([v, v]), ValueError, "must be a 1-D vector along it"),
    "scalar": (lambda v: v[0], ValueError, "must be a 1-D vector along it"),
    "empty": (lambda v: v[:0], ValueError, "has length 0"),
    "ragged": (lambda v: _ragged(v.size), ValueError, "not a regular array"),
}
BAD_COUNTS = {
    "negative": (lambda v: np.where(np.arange(v.size) == 1, -3, v), ValueError,
                 "must be non-negative counts.*first -3 at index 1"),
    "non-integer": (lambda v: np.where(np.arange(v.size) == 1, 2.5, v), ValueError,
                    "must be integer counts.*first 2.5 at index 1"),
}


def data_cases():
    cases = []
    for name in MODELS:
        _, model, *_ = ready_made(name)
        for node in model.names(NodeKind.DATA):
            on_plate = model.node(node).plate is not None
            kinds = dict(BAD_DATA)
            if on_plate:
                kinds.update(BAD_PLATE_DATA)
            if isinstance(model.node(node).distribution, pg.Poisson):
                kinds.update(BAD_COUNTS)
            cases += [(name, node, kind) for kind in kinds
                      if on_plate or kind not in ("NaN", "inf", "masked")
                      and kind not in BAD_COUNTS]
    return cases


@pytest.mark.parametrize("name, node, kind", data_cases())
def test_bad_data_is_refused_naming_the_node(name, node, kind):
    _, model, inputs, data, _ = ready_made(name)
    make, error, pattern = {**BAD_DATA, **BAD_PLATE_DATA, **BAD_COUNTS}[kind]
    good = np.asarray(data[node], dtype=float).reshape(-1)
    bad = make(good)
    with pytest.raises(error, match=f"node '{node}'.*{pattern}|{pattern}.*node '{node}'"):
        model.posterior(data={**data, node: bad}, inputs=inputs)


@pytest.mark.parametrize("name", MODELS)
def test_bad_inputs_and_containers_are_refused_naming_the_node(name):
    _, model, inputs, data, _ = ready_made(name)
    with pytest.raises(TypeError, match="data must be a dict of node name to value, got list"):
        model.posterior(data=list(data.values()), inputs=inputs)
    with pytest.raises(ValueError, match="data name 'nonexistent' is not a node"):
        model.posterior(data={**data, "nonexistent": 1.0}, inputs=inputs)
    first = model.names(NodeKind.DATA)[0]
    with pytest.raises(ValueError, match=f"no value for data node\\(s\\) '{first}'"):
        model.posterior(data={k: v for k, v in data.items() if k != first}, inputs=inputs)
    for node, value in inputs.items():
        value = np.asarray(value, dtype=float)
        if value.ndim != 1 or value.size < 2:
            continue
        nan = value.copy()
        nan[1] = np.nan
        with pytest.raises(ValueError, match=f"inputs value for node '{node}' contains NaN"):
            model.posterior(data=data, inputs={**inputs, node: nan})
        with pytest.raises(TypeError, match=f"inputs value for node '{node}' must be numeric"):
            model.posterior(data=data, inputs={**inputs, node: value.astype(str)})
        with pytest.raises(ValueError, match=f"'{node}' has length|length.*'{node}'"):
            model.posterior(data=data, inputs={**inputs, node: value[:-1]})


@given(index=hs.integers(0, 1599), kind=hs.sampled_from(["NaN", "inf", "negative",
                                                          "non-integer"]),
       value=hs.one_of(floats(-1e6, -1e-9), floats(0.01, 1e6).filter(lambda v: v != int(v))))
def test_one_bad_count_anywhere_is_found_and_located(index, kind, value):
    _, model, inputs, data, _ = ready_made("xray_agn")
    counts = np.asarray(data["N"], dtype=float).copy()
    counts[index] = {"NaN": np.nan, "inf": np.inf, "negative": -abs(value),
                     "non-integer": abs(value)}[kind]
    if kind == "non-integer" and counts[index] == int(counts[index]):
        counts[index] += 0.5
    with pytest.raises(ValueError, match=f"node 'N'.*first.*at index {index}$"):
        model.posterior(data={"N": counts}, inputs=inputs)


def test_bad_parameter_values_in_a_simulation_name_the_node():
    from pgmsim.models import xray_agn

    m = xray_agn.build()
    inputs = xray_agn.default_inputs(seed=0)
    truth = xray_agn.TRUTH
    with pytest.raises(ValueError, match="params value for node 'F' contains NaN"):
        m.simulate(inputs=inputs, params={**truth, "F": np.nan})
    with pytest.raises(TypeError, match="params value for node 'F' must be numeric"):
        m.simulate(inputs=inputs, params={**truth, "F": "bright"})
    with pytest.raises(ValueError, match="params value for node 'F' must be a scalar"):
        m.simulate(inputs=inputs, params={**truth, "F": [0.1, 0.2]})
    with pytest.raises(ValueError, match=r"cannot draw node 'N' from Poisson\(mu\): lam < 0.*"
                                         r"mu='mu' from -\d"):
        m.simulate(inputs=inputs, params={**truth, "F": -1.0})
    with pytest.raises(ValueError, match=r"cannot draw node 'N' .*too large"):
        m.simulate(inputs=inputs, params={**truth, "F": 1e300})
    with pytest.raises(TypeError, match="params must be a dict"):
        m.simulate(inputs=inputs, params=[1, 2, 3, 4, 5])


# ---------------------------------------------------------------------------
# mistakes through the public API and the command line: one entry each
#
# Each mistake is done in a fresh work folder (also the current folder); it
# must raise the expected error (or warning) with a message that names every
# string of ``names`` (the node, file or flag at fault), and leave every file
# of the folder as it was: none changed, none added. A mistake of the command
# line (expected ``SystemExit``) must end with exit status 2 and one line on
# stderr that speaks of flags, not of Python arguments.


class Mistake(NamedTuple):
    make: Callable  # make(folder) does the mistake
    expected: type  # the exception or warning it raises
    names: tuple  # what the message must name
    setup: Callable = None  # setup(folder) makes the files that exist before


def counts_model():
    m = pg.Model("counts")
    m.param("lam", pg.Gamma(2.0, 1.0))
    m.data("N", pg.Poisson("lam"), plate="obs")
    return m


def counts_post():
    return counts_model().posterior(data={"N": [3, 5, 4]})


def line_model():
    m = pg.Model("line")
    m.param("a", pg.Normal(0, 1))
    m.fixed("x", plate="obs")

    @m.deterministic(plate="obs")
    def mu(a, x):
        return a * x

    m.data("y", pg.Normal("mu", 1.0), plate="obs")
    return m


def declare(*steps):
    """Declare a model step by step; each step is (method, args...)."""
    def make(folder):
        m = pg.Model("mistake")
        for method, *args in steps:
            getattr(m, method)(*args)
    return make


def self_reading_node(folder):
    m = pg.Model("cycle")
    m.param("a", pg.Normal(0, 1))
    m.deterministic("b", lambda b, a: a)


def sample_counts(**options):
    def make(folder):
        backend = options.pop("backend", None)
        backend = None if backend is None else folder / backend
        pg.sample(counts_post(), **{"nwalkers": 8, "nsteps": 5, "progress": False,
                                    "backend": backend, **options})
    return make


def file_at(name, content=b"not an HDF5 or FITS file\n"):
    def setup(folder):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return setup


def counts_checkpoint(name="run.h5"):
    def setup(folder):
        pg.sample(counts_post(), nwalkers=8, nsteps=5, seed=1, progress=False,
                  backend=folder / name)
    return setup


@functools.lru_cache(maxsize=None)
def agn_chain_bytes():
    """The bytes of a checkpoint of ``pgmsim run xray_agn --nwalkers 10``."""
    import tempfile

    *_, post = ready_made("xray_agn")
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/chain.h5"
        pg.sample(post, nwalkers=10, nsteps=3, seed=0, progress=False, backend=path)
        with open(path, "rb") as f:
            return f.read()


def agn_checkpoint(folder_name="out"):
    def setup(folder):
        file_at(f"{folder_name}/chain.h5", agn_chain_bytes())(folder)
    return setup


def earlier_outputs(folder_name="out"):
    def setup(folder):
        for name in ("summary.ecsv", "corner.png"):
            file_at(f"{folder_name}/{name}", b"an earlier run's output\n")(folder)
    return setup


def cli(*argv):
    """Run ``pgmsim ARGV`` in the work folder; ``{tmp}`` is the folder."""
    from pgmsim.cli import main

    return lambda folder: main([a.format(tmp=folder) for a in argv])


def one_function_model(func, plate=None, fixed_unit=None):
    """a ~ Normal(0, 1); mu = func(a, x); y ~ Normal(mu, 1), x a fixed input."""
    m = pg.Model("function")
    m.fixed("x", plate="obs", unit=fixed_unit)
    m.param("a", pg.Normal(0.0, 1.0))
    m.deterministic("mu", func, plate=plate)
    m.data("y", pg.Normal("mu", 1.0), plate=plate)
    return m


def build(model, **values):
    """Build the posterior of ``model`` with data and inputs given by keyword."""
    return lambda f: model().posterior(**values)


def shift_in_place(a, x):
    x += a
    return x


def sigma_model():
    m = pg.Model("sigma")
    m.fixed("s", plate="obs")
    m.param("a", pg.Normal(0.0, 1.0))
    m.data("y", pg.Normal("a", "s"), plate="obs")
    return m


def unused_model():
    m = pg.Model("unused")
    m.param("a", pg.Gamma(2.0, 1.0))
    m.param("b", pg.Gamma(2.0, 1.0))
    m.deterministic("mu", lambda a, c=1.0: a * c)   # meant to read b
    m.data("N", pg.Poisson("mu"))
    return m


def impossible_model():
    m = pg.Model("impossible")
    m.param("lam", pg.Uniform(0.0, 1.0))
    m.deterministic("mu", lambda lam: lam * 0.0)
    m.data("N", pg.Poisson("mu"))
    return m


def flipped_bit_checkpoint(name="run.h5"):
    """A checkpoint of ``counts_post`` with one bit of its chain flipped."""
    def setup(folder):
        import h5py

        counts_checkpoint(name)(folder)
        with h5py.File(folder / name, "r+") as f:
            chain = f["mcmc/chain"]
            values = chain[...]
            values.view(np.uint64).flat[5] ^= np.uint64(1)
            chain[...] = values
    return setup


def counts_with_rate(factor):
    m = pg.Model("counts")
    m.param("lam", pg.Gamma(2.0, 1.0))
    m.deterministic("rate", lambda lam: factor * lam)
    m.data("N", pg.Poisson("rate"), plate="obs")
    return m.posterior(data={"N": [3, 5, 4]})


def rate_checkpoint(folder):
    pg.sample(counts_with_rate(2.0), nwalkers=8, nsteps=5, seed=1, progress=False,
              backend=folder / "run.h5")


def second_writer(folder):
    """Resume a checkpoint whose writer's lock another run holds."""
    from pgmsim.fit._checkpoint_lock import WriterLock

    lock = WriterLock(folder / "run.h5")
    lock.acquire()
    try:
        sample_counts(backend="run.h5", resume=True, nsteps=10)(folder)
    finally:
        lock.release()


RUN = ("run", "xray_agn", "--out", "{tmp}/out", "--no-progress")
DEMO = ("demo", "--out", "{tmp}/out", "--no-progress")
RESUME = (*RUN, "--resume", "--nsteps", "6", "--nwalkers", "10")
M = Mistake
MISTAKES = {
    # declaring a model
    "duplicate node name": M(declare(("param", "a", pg.Normal(0, 1)),
                                     ("param", "a", pg.Normal(0, 1))), pg.ModelError, ("'a'",)),
    "node name not an identifier": M(declare(("param", "a b", pg.Normal(0, 1))),
                                     pg.ModelError, ("'a b'",)),
    "parameter without prior": M(declare(("param", "q", None)), pg.ModelError, ("'q'",)),
    "data without distribution": M(declare(("data", "y", None)), pg.ModelError, ("'y'",)),
    "unknown parent": M(declare(("data", "y", pg.Normal("mu_typo", 1.0))), pg.ModelError,
                        ("'y'", "'mu_typo'")),
    "unknown argument of a function": M(declare(("param", "a", pg.Normal(0, 1)),
                                                ("deterministic", "b", lambda a, c: a)),
                                        pg.ModelError, ("'b'", "'c'")),
    "node that reads itself": M(self_reading_node, pg.ModelError, ("'b'",)),
    "label not a string": M(declare(("param", "a", pg.Normal(0, 1), None, None, None, 3)),
                            pg.ModelError, ("'a'",)),
    "plate declared twice": M(declare(("plate", "obs", 3), ("plate", "obs", 3)),
                              pg.ModelError, ("'obs'",)),
    "plate name not an identifier": M(declare(("plate", "bad name", 3)), pg.ModelError,
                                      ("'bad name'",)),
    "Uniform low above high": M(lambda f: pg.Uniform(1, 0), ValueError, ("low=1", "high=0")),
    "negative Normal sigma": M(lambda f: pg.Normal(0, -1), ValueError, ("sigma=-1",)),
    "too few distribution arguments": M(lambda f: pg.Normal(0), TypeError, ("Normal",)),
    "unknown node looked up": M(lambda f: counts_model().node("lam_typo"), KeyError,
                                ("'lam_typo'",)),
    # data and inputs of a posterior
    "data not a dict": M(lambda f: counts_model().posterior(data=[[3, 5]]), TypeError,
                         ("data",)),
    "data name not a node": M(lambda f: counts_model().posterior(data={"N": [3], "M": [1]}),
                              ValueError, ("'M'",)),
    "data missing": M(lambda f: counts_model().posterior(data={}), ValueError, ("'N'",)),
    "negative counts": M(lambda f: counts_model().posterior(data={"N": [3, -1]}),
                         ValueError, ("'N'", "-1")),
    "non-integer counts": M(lambda f: counts_model().posterior(data={"N": [3, 2.5]}),
                            ValueError, ("'N'", "2.5")),
    "NaN counts": M(lambda f: counts_model().posterior(data={"N": [3, np.nan]}), ValueError,
                    ("'N'",)),
    "string data": M(lambda f: counts_model().posterior(data={"N": ["3", "5"]}), TypeError,
                     ("'N'",)),
    "data and input of other lengths": M(
        lambda f: line_model().posterior(data={"y": [1.0, 2.0, 3.0]}, inputs={"x": [1, 2]}),
        ValueError, ("'y'", "'obs'", "'x'")),
    "fixed input missing": M(lambda f: line_model().posterior(data={"y": [1.0, 2.0]}),
                             ValueError, ("'x'",)),
    "NaN in a fixed input": M(lambda f: line_model().posterior(
        data={"y": [1.0, 2.0]}, inputs={"x": [1.0, np.nan]}), ValueError, ("'x'",)),
    # parameters of a simulation and of the log-posterior
    "params not a dict": M(lambda f: counts_model().simulate(params=[1.0]), TypeError,
                           ("params",)),
    "params name not a node": M(lambda f: line_model().simulate(
        inputs={"x": [1.0]}, params={"a_typo": 1.0}), ValueError, ("'a_typo'",)),
    "NaN parameter": M(lambda f: line_model().simulate(inputs={"x": [1.0]},
                                                       params={"a": np.nan}),
                       ValueError, ("'a'",)),
    "string parameter": M(lambda f: line_model().simulate(inputs={"x": [1.0]},
                                                          params={"a": "one"}),
                          TypeError, ("'a'",)),
    "vector for a scalar parameter": M(lambda f: line_model().simulate(
        inputs={"x": [1.0]}, params={"a": [1.0, 2.0]}), ValueError, ("'a'",)),
    "theta of the wrong length": M(lambda f: counts_post().log_prob(np.array([1.0, 2.0])),
                                   ValueError, ("theta",)),
    "complex theta": M(lambda f: counts_post().log_prob(np.array([1j])), TypeError,
                       ("theta",)),
    # what a posterior checks when it is built (pgmsim.graph.checks)
    "a reduction that mixes walkers": M(build(
        lambda: one_function_model(lambda a, x: np.sum(a * x)),
        data={"y": 1.0}, inputs={"x": [1.0, 2.0]}), ValueError, ("'mu'", "axis=-1")),
    "a mean without axis": M(build(
        lambda: one_function_model(lambda a, x: a * x - np.mean(a * x), plate="obs"),
        data={"y": [1.0, 2.0]}, inputs={"x": [1.0, 2.0]}), ValueError,
        ("'mu'", "mixes walkers")),
    "a function that returns complex numbers": M(build(
        lambda: one_function_model(lambda a, x: a + 0j * x, plate="obs"),
        data={"y": [1.0, 2.0]}, inputs={"x": [1.0, 2.0]}), TypeError, ("'mu'", "complex")),
    "a function that returns strings": M(build(
        lambda: one_function_model(lambda a, x: np.where(a > x, "hi", "lo"), plate="obs"),
        data={"y": [1.0, 2.0]}, inputs={"x": [1.0, 2.0]}), TypeError, ("'mu'", "str")),
    "a function that changes a fixed input in place": M(build(
        lambda: one_function_model(shift_in_place, plate="obs"),
        data={"y": [1.0, 2.0]}, inputs={"x": [1.0, 2.0]}), ValueError,
        ("'mu'", "'x'", "in place")),
    "a negative sigma from a fixed input": M(
        lambda f: sigma_model().posterior(data={"y": [1.0, 2.0]}, inputs={"s": [1.0, -2.0]}),
        ValueError, ("'y'", "sigma > 0", "'s'", "index 1")),
    "a parameter no data node uses": M(lambda f: unused_model().posterior(data={"N": 3}),
                                       pg.ModelWarning, ("'b'", "no data node")),
    "NaN at prior draws": M(build(lambda: one_function_model(lambda a, x: np.sqrt(a) * x,
                                                             plate="obs"),
                                  data={"y": [1.0, 2.0]}, inputs={"x": [1.0, 2.0]}),
                            pg.ModelWarning, ("'mu'", "NaN", "'a'")),
    "a prior range that overflows": M(lambda f: pg.Uniform(-1e308, 1e308), ValueError,
                                      ("Uniform", "1e+308")),
    "counts beyond exact float range": M(
        lambda f: counts_model().posterior(data={"N": np.array([3, 2**53 + 1])}),
        ValueError, ("'N'", "9007199254740993")),
    "a MAP where the posterior is zero": M(
        lambda f: impossible_model().posterior(data={"N": 3}).find_map(seed=0),
        ValueError, ("zero posterior density",)),
    # units
    "a Quantity for a node without a unit": M(build(
        lambda: one_function_model(lambda a, x: a * x, plate="obs"),
        data={"y": [1.0, 2.0]}, inputs={"x": [1.0, 2.0] * u.ks}), ValueError, ("'x'", "ks")),
    "a Quantity of another dimension": M(build(
        lambda: one_function_model(lambda a, x: a * x, plate="obs", fixed_unit="s"),
        data={"y": [1.0, 2.0]}, inputs={"x": [1.0, 2.0] * u.m}), ValueError,
        ("'x'", "s", "m")),
    "a unit that cannot be read": M(declare(("fixed", "t", None, "secnds")), pg.ModelError,
                                    ("'t'", "secnds")),
    # sampling and checkpoints
    "zero steps": M(sample_counts(nsteps=0), ValueError, ("nsteps",)),
    "too few walkers": M(sample_counts(nwalkers=1), ValueError, ("walkers",)),
    "zero threads": M(sample_counts(parallel=0), ValueError, ("parallel",)),
    "resume without a backend": M(sample_counts(resume=True), ValueError, ("resume",)),
    "a new run over a checkpoint": M(sample_counts(backend="run.h5"), CheckpointError,
                                     ("run.h5",), counts_checkpoint()),
    "resume of a missing checkpoint": M(sample_counts(backend="gone.h5", resume=True),
                                        CheckpointError, ("gone.h5",)),
    "resume of a file that is not HDF5": M(sample_counts(backend="run.h5", resume=True),
                                           CheckpointError, ("run.h5",), file_at("run.h5")),
    "resume with other walkers": M(sample_counts(backend="run.h5", resume=True, nwalkers=10),
                                   CheckpointError, ("run.h5", "nwalkers=8"),
                                   counts_checkpoint()),
    "resume of another model": M(
        lambda f: pg.sample(line_model().posterior(data={"y": [1.0]}, inputs={"x": [1.0]}),
                            nwalkers=8, nsteps=9, progress=False, backend=f / "run.h5",
                            resume=True),
        CheckpointError, ("run.h5", "'counts'"), counts_checkpoint()),
    "load of a missing checkpoint": M(lambda f: load_result(f / "gone.h5"),
                                      CheckpointError, ("gone.h5",)),
    "load of a file that is not HDF5": M(lambda f: load_result(f / "run.h5"),
                                         CheckpointError, ("run.h5",), file_at("run.h5")),
    "load of a chain with a flipped bit": M(lambda f: load_result(f / "run.h5"),
                                            CheckpointError, ("run.h5", "checksum"),
                                            flipped_bit_checkpoint()),
    "resume of a chain with a flipped bit": M(
        sample_counts(backend="run.h5", resume=True, nsteps=10), CheckpointError,
        ("run.h5", "checksum"), flipped_bit_checkpoint()),
    "resume with a changed function": M(
        lambda f: pg.sample(counts_with_rate(2.5), nwalkers=8, nsteps=10, progress=False,
                            backend=f / "run.h5", resume=True),
        CheckpointError, ("run.h5", "other code", "'rate'"), rate_checkpoint),
    "a second writer of one checkpoint": M(second_writer, CheckpointError,
                                           ("run.h5", "being written by another run"),
                                           counts_checkpoint()),
    # the command line: counts and seeds
    "--nsteps zero": M(cli(*RUN, "--nsteps", "0"), SystemExit, ("--nsteps", "got 0")),
    "--nsteps negative": M(cli(*RUN, "--nsteps", "-5"), SystemExit,
                           ("--nsteps must be a positive integer, got -5",)),
    "--nsteps not an integer": M(cli(*RUN, "--nsteps", "2.5"), SystemExit, ("--nsteps",)),
    "--nsteps not a number": M(cli(*RUN, "--nsteps", "many"), SystemExit, ("--nsteps",)),
    "--nwalkers zero": M(cli(*RUN, "--nwalkers", "0"), SystemExit, ("--nwalkers", "got 0")),
    "--nwalkers negative": M(cli(*RUN, "--nwalkers", "-4"), SystemExit, ("--nwalkers",)),
    "--nwalkers not an integer": M(cli(*RUN, "--nwalkers", "9.5"), SystemExit,
                                   ("--nwalkers",)),
    "--nwalkers fewer than twice the parameters": M(
        cli(*RUN, "--nwalkers", "9"), SystemExit, ("--nwalkers", "5 parameters", "got 9")),
    "--seed negative": M(cli(*RUN, "--seed", "-1"), SystemExit, ("--seed", "got -1")),
    "demo --nsteps negative": M(cli(*DEMO, "--nsteps", "-5"), SystemExit, ("--nsteps",)),
    "demo --seed negative": M(cli(*DEMO, "--seed", "-3"), SystemExit, ("--seed",)),
    "simulate --seed negative": M(cli("simulate", "xray_agn", "-o", "{tmp}/mock.fits",
                                      "--seed", "-1"), SystemExit, ("--seed",)),
    # the command line: model names and output paths
    "run of an unknown model": M(cli("run", "nope", "--out", "{tmp}/out"), SystemExit,
                                 ("'nope'", "xray_agn")),
    "render of an unknown model": M(cli("render", "nope", "-o", "{tmp}/pgm.png"),
                                    SystemExit, ("'nope'",)),
    "simulate of an unknown model": M(cli("simulate", "nope", "-o", "{tmp}/mock.fits"),
                                      SystemExit, ("'nope'",)),
    "unknown command": M(cli("fit", "xray_agn"), SystemExit, ("'fit'",)),
    "run without a model name": M(cli("run"), SystemExit, ("name",)),
    "--out is a file": M(cli(*RUN, "--out", "{tmp}/taken"), SystemExit,
                         ("--out", "taken", "is a file"), file_at("taken")),
    "--out in a missing folder": M(cli(*RUN, "--out", "{tmp}/missing/out"), SystemExit,
                                   ("--out", "missing")),
    "--out holds an earlier run's outputs": M(cli(*RUN), SystemExit,
                                              ("summary.ecsv", "--overwrite"),
                                              earlier_outputs()),
    "demo --out holds an earlier demo": M(cli(*DEMO), SystemExit, ("corner.png", "--overwrite"),
                                          earlier_outputs()),
    "--out holds an earlier checkpoint": M(cli(*RUN), SystemExit,
                                           ("chain.h5", "--resume", "--overwrite"),
                                           agn_checkpoint()),
    "render to an unknown format": M(cli("render", "xray_agn", "-o", "{tmp}/pgm.xyz"),
                                     SystemExit, ("--output", "pgm.xyz", ".png")),
    "simulate to an unknown format": M(cli("simulate", "xray_agn", "-o", "{tmp}/mock.xyz"),
                                       SystemExit, ("--output", "mock.xyz", ".fits")),
    "render into a missing folder": M(cli("render", "xray_agn", "-o", "{tmp}/no/pgm.png"),
                                      SystemExit, ("--output", "no/pgm.png")),
    "simulate into a missing folder": M(cli("simulate", "xray_agn", "-o",
                                            "{tmp}/no/mock.fits"),
                                        SystemExit, ("--output", "no/mock.fits")),
    "render to a folder": M(cli("render", "xray_agn", "-o", "{tmp}/pgm.png"), SystemExit,
                            ("--output", "pgm.png", "folder"),
                            lambda f: (f / "pgm.png").mkdir()),
    "render over an existing file": M(cli("render", "xray_agn", "-o", "{tmp}/pgm.png"),
                                      SystemExit, ("pgm.png", "--overwrite"),
                                      file_at("pgm.png")),
    "simulate over an existing file": M(cli("simulate", "xray_agn", "-o", "{tmp}/data.fits"),
                                        SystemExit, ("data.fits", "--overwrite"),
                                        file_at("data.fits", b"SIMPLE  =  T real data")),
    # the command line: resuming
    "--resume without a checkpoint": M(cli(*RESUME), SystemExit, ("chain.h5", "--resume")),
    "--resume of a file that is not HDF5": M(cli(*RESUME), SystemExit,
                                             ("chain.h5", "not a readable HDF5", "--overwrite"),
                                             file_at("out/chain.h5")),
    "--resume of another model's run": M(
        cli("run", "point_source_image", "--out", "{tmp}/out", "--resume", "--nsteps", "6",
            "--nwalkers", "10", "--no-progress"),
        SystemExit, ("chain.h5", "'xray_agn'"), agn_checkpoint()),
    "--resume with other walkers": M(cli(*RESUME[:-1], "12"), SystemExit,
                                     ("chain.h5", "--nwalkers 10, not 12"), agn_checkpoint()),
    "--resume with another seed": M(cli(*RESUME, "--seed", "1"), SystemExit,
                                    ("chain.h5", "other data", "--seed"), agn_checkpoint()),
    "--resume with --overwrite": M(cli(*RESUME, "--overwrite"), SystemExit,
                                   ("--resume", "--overwrite"), agn_checkpoint()),
}


def files_in(folder):
    """Every file under ``folder``: its bytes and modification time."""
    return {p: (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_table_holds_at_least_40_mistakes():
    assert len(MISTAKES) >= 40
    assert sum(m.expected is SystemExit for m in MISTAKES.values()) >= 20


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_a_mistake_is_refused_naming_the_culprit(case, tmp_path, monkeypatch, capsys):
    mistake = MISTAKES[case]
    monkeypatch.chdir(tmp_path)
    if mistake.setup is not None:
        mistake.setup(tmp_path)
    before = files_in(tmp_path)
    capsys.readouterr()
    if issubclass(mistake.expected, Warning):
        with pytest.warns(mistake.expected) as record:
            mistake.make(tmp_path)
        message = " ".join(str(w.message) for w in record)
    else:
        with pytest.raises(mistake.expected) as raised:
            mistake.make(tmp_path)
        message = str(raised.value)
    if mistake.expected is SystemExit:
        assert raised.value.code == 2
        printed = capsys.readouterr()
        message = printed.err
        assert message.startswith("pgmsim") and ": error: " in message
        assert message.count("\n") == 1, message  # one line, no traceback
        assert "=True" not in message  # flags, not Python arguments
        assert printed.out == ""
    for name in mistake.names:
        assert name in message, f"{name!r} not named in: {message}"
    assert files_in(tmp_path) == before, "a file was changed or added"
