"""What the arguments of a distribution must satisfy: constant arguments checked
when a distribution is made, argument values from arrays checked when a
posterior is built, and arguments beyond float64 refused."""

import math

import numpy as np
import pytest
from scipy import stats

import pgmsim as pg
from pgmsim.distributions import Distribution

BUILTINS = [pg.Uniform, pg.LogUniform, pg.Normal, pg.LogNormal, pg.HalfNormal,
            pg.Exponential, pg.Gamma, pg.Beta, pg.Poisson]


# -- ranges beyond float64 ---------------------------------------------------
def test_a_log_uniform_prior_over_600_decades_is_represented_not_zero():
    prior = pg.LogUniform(1e-300, 1e300)
    log_norm = math.log(math.log(1e300) - math.log(1e-300))
    for x in (1e-300, 1.0, 1e299):
        assert prior.logpdf(x) == pytest.approx(-math.log(x) - log_norm, rel=1e-14)
    assert prior.logpdf(np.array([1.0, 1e301]))[1] == -np.inf
    # the paths of the posterior: one point (math) and a batch (numpy)
    assert prior._logpdf_scalar(1.0, 1e-300, 1e300) == pytest.approx(-log_norm)
    hierarchical = pg.LogUniform("lo", "hi")
    assert hierarchical.logpdf(1.0, params=(1e-300, 1e300)) == pytest.approx(-log_norm)
    m = pg.Model("wide")
    m.param("a", pg.LogUniform(1e-300, 1e300))
    m.data("y", pg.Normal(0.0, "a"))
    post = m.posterior(data={"y": 0.0})
    lp = -math.log(2.0) - log_norm - math.log(2.0) - 0.5 * math.log(2 * math.pi)
    assert post.log_prior([2.0]) == pytest.approx(-math.log(2.0) - log_norm)
    assert post.log_prob([2.0]) == pytest.approx(lp)
    np.testing.assert_allclose(post.log_prob(np.array([[2.0], [2.0]])), [lp, lp])
    assert 0.0 < float(prior.mean()) < np.inf


@pytest.mark.parametrize("make, args", [
    (lambda: pg.Uniform(-1e308, 1e308), "Uniform(-1e+308, 1e+308)"),
    (lambda: pg.Uniform(-1.7e308, 0.5e308), "Uniform(-1.7e+308, 5e+307)"),
    (lambda: pg.LogNormal(1e308, 1.0), "LogNormal(1e+308, 1)"),
    (lambda: pg.LogNormal(-800.0, 1.0), "LogNormal(-800, 1)"),
    (lambda: pg.Exponential(5e-324), "Exponential(4.94066e-324)"),
    (lambda: pg.Gamma(1.0, 1e-310), "Gamma(1, 1e-310)"),
    (lambda: pg.Gamma(1e308, 1e308), "Gamma(1e+308, 1e+308)"),
    (lambda: pg.Beta(1e308, 1e308), "Beta(1e+308, 1e+308)"),
    (lambda: pg.Poisson(1e20), "Poisson(1e+20)"),
], ids=lambda c: c if isinstance(c, str) else "")
def test_constant_arguments_beyond_float64_are_refused_naming_them(make, args):
    with pytest.raises(ValueError, match=r"cannot be represented in float64") as err:
        make()
    assert args in str(err.value)


@pytest.mark.parametrize("dist", [
    pg.Uniform(-1e307, 1e307), pg.Uniform(0.0, 5e-324), pg.LogUniform(5e-324, 1.7e308),
    pg.Normal(0.0, 5e-324), pg.Normal(1e308, 1e308), pg.LogNormal(700.0, 1.0),
    pg.HalfNormal(1e-320), pg.Exponential(1e300), pg.Exponential(1e-300),
    pg.Gamma(1e-300, 1.0), pg.Beta(1e-300, 1e-300), pg.Poisson(2.0**52),
], ids=repr)
def test_extreme_but_representable_arguments_are_accepted(dist):
    point = dist._typical(*dist.args)
    assert np.isfinite(dist.logpdf(point))


def test_every_builtin_declares_its_typical_point():
    for cls in BUILTINS:
        assert cls._typical is not None, cls.__name__


# -- constant arguments: the declarations -------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: pg.Uniform(3, 1), "Uniform needs low < high, got low=3.0, high=1.0"),
    (lambda: pg.LogUniform(0, 1), "LogUniform needs low > 0 and low < high, got low=0.0"),
    (lambda: pg.Gamma(1, -2), "Gamma needs alpha > 0 and beta > 0, got alpha=1.0, beta=-2.0"),
    (lambda: pg.Poisson(-1), "Poisson needs mu >= 0, got mu=-1.0"),
    (lambda: pg.Exponential(0), "Exponential needs rate > 0"),
])
def test_constant_arguments_are_checked_against_the_declared_constraints(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("make, message", [
    (lambda: pg.Normal("mu", -1.0), "Normal needs sigma > 0, got sigma=-1.0"),
    (lambda: pg.Gamma("a", 0.0), "Gamma needs beta > 0, got beta=0.0"),
    (lambda: pg.LogUniform(-1.0, "hi"), "LogUniform needs low > 0, got low=-1.0"),
])
def test_a_constant_argument_beside_a_node_argument_is_checked_too(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_constraint_between_a_constant_and_a_node_waits_for_the_node():
    assert pg.Uniform("lo", 1.0).parents == ("lo",)
    assert pg.LogUniform(1e-3, "hi").parents == ("hi",)


def test_every_declared_constraint_names_an_argument():
    for cls in BUILTINS:
        assert set(cls.arg_constraints) <= set(cls.arg_names), cls.__name__


# -- argument values from arrays, when a posterior is built -------------------
def test_a_negative_sigma_from_an_array_is_refused_naming_the_node():
    with pytest.raises(ValueError) as err:
        pg.Normal("mu", "sigma").check_arguments({"sigma": np.array([-1.0, 2.0])}, "y")
    assert str(err.value) == ("node 'y': Normal needs sigma > 0; 1 value(s) are not, "
                              "first -1 at index 0")
    with pytest.raises(ValueError, match=r"2 value\(s\) are not, first 0 at index 2"):
        pg.Normal("mu", "sigma").check_arguments({"sigma": [1.0, 2.0, 0.0, -3.0]}, "y")


@pytest.mark.parametrize("dist, known, message", [
    (pg.Poisson("mu"), {"mu": [1.0, -0.5]}, "node 'n': Poisson needs mu >= 0; 1 value"
     r"\(s\) are not, first -0.5 at index 1"),
    (pg.Exponential("rate"), {"rate": 0.0}, "node 'n': Exponential needs rate > 0; "
     r"1 value\(s\) are not, first 0 at index 0"),
    (pg.Gamma("a", "b"), {"alpha": [1.0, 2.0], "beta": [[1.0, 1.0], [1.0, -1.0]]},
     r"node 'n': Gamma needs beta > 0; 1 value\(s\) are not, first -1 at index \(1, 1\)"),
    (pg.Uniform("lo", "hi"), {"low": [0.0, 2.0, 3.0], "high": 2.5},
     r"node 'n': Uniform needs low < high; 1 value\(s\) are not, first low=3, high=2.5 at "
     "index 2"),
    (pg.Normal("mu", 1.0), {"mu": [0.0, np.inf]}, "node 'n': Normal needs a finite mu; "
     r"1 value\(s\) are not, first inf at index 1"),
    (pg.Normal("mu", "s"), {"sigma": [1.0, np.nan]}, "node 'n': Normal needs a finite sigma"),
    (pg.Uniform("lo", "hi"), {"low": [-1e308, 0.0], "high": [1e308, 1.0]},
     r"node 'n': Uniform\(low, high\) cannot be represented in float64 at 1 value\(s\), "
     "first low=-1e.308, high=1e.308 at index 0"),
])
def test_known_argument_values_are_checked_elementwise(dist, known, message):
    with pytest.raises(ValueError, match=message):
        dist.check_arguments(known, "n")


def test_valid_known_arguments_and_unknown_ones_pass():
    pg.Normal("mu", "sigma").check_arguments({"sigma": np.full(5, 0.1)}, "y")
    pg.Normal("mu", "sigma").check_arguments({}, "y")
    pg.Uniform("lo", "hi").check_arguments({"low": np.array([5.0, 6.0])}, "b")
    pg.Poisson("mu").check_arguments({"mu": np.zeros((3, 4))}, "N")


def test_known_arguments_of_the_wrong_kind_are_refused_naming_the_node():
    with pytest.raises(TypeError, match="node 'y': Normal argument sigma must be numeric"):
        pg.Normal("mu", "sigma").check_arguments({"sigma": np.array(["a", "b"])}, "y")
    with pytest.raises(ValueError, match="node 'y': Normal argument 'tau' is not one of "
                                         r"\(mu, sigma\)"):
        pg.Normal("mu", "sigma").check_arguments({"tau": 1.0}, "y")
    with pytest.raises(ValueError, match="node 'b': Uniform arguments low and high do not "
                                         "broadcast"):
        pg.Uniform("lo", "hi").check_arguments({"low": np.zeros(3), "high": np.ones(4)}, "b")


class Declarative(Distribution):
    """A user distribution that declares a constraint, and one that declares none."""

    arg_names = ("scale",)
    latex_name = "D"
    arg_constraints = {"scale": pg.distributions.constraints.positive}

    def _logpdf(self, x, scale):
        return stats.expon.logpdf(x, scale=scale)

    def _sample(self, rng, size, scale):
        return rng.exponential(scale, size)

    def _support(self, scale):
        return (0.0, np.inf)


class Undeclared(Declarative):
    arg_constraints = {}


def test_user_distributions_use_their_declarations_and_none_is_fine():
    with pytest.raises(ValueError, match="Declarative needs scale > 0, got scale=-1.0"):
        Declarative(-1.0)
    with pytest.raises(ValueError, match="node 'z': Declarative needs scale > 0"):
        Declarative("s").check_arguments({"scale": [-2.0]}, "z")
    assert Undeclared(-1.0).args == (-1.0,)
    Undeclared("s").check_arguments({"scale": [-2.0]}, "z")


def test_map_prior_has_no_arguments_to_check():
    prior = pg.MapPrior(np.ones((2, 2)), (0, 1, 0, 1))
    assert prior.arg_constraints == {}
    prior.check_arguments({}, "x0")
