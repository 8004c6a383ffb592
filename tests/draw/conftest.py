"""Models shared by the layout and the rendering tests."""

import numpy as np
import pytest

import pgmsim as pg


def build_two_plate_model():
    """Ten nodes on two plates, with parameters feeding both."""
    m = pg.Model("two plates")
    m.param("alpha", pg.Normal(0, 1))
    m.param("beta", pg.HalfNormal(1))
    m.param("gamma", pg.Uniform(0, 1))
    m.plate("sources", index="j")
    m.param("F", pg.Normal("alpha", "beta"), plate="sources")
    m.fixed("d", plate="sources")
    m.data("m_obs", pg.Normal("F", "gamma"), plate="sources")
    m.fixed("x", plate="pixels")
    m.fixed("ex", plate="pixels")

    @m.deterministic(plate="pixels")
    def mu(x, ex, gamma, alpha):
        return ex * gamma * np.exp(-x**2) + alpha**2

    m.data("N", pg.Poisson("mu"), plate="pixels")
    return m


def build_nested_plate_model():
    """A pixel plate inside a frame plate."""
    m = pg.Model("nested")
    m.plate("frames", index="i")
    m.plate("pixels", index="k", within="frames")
    m.param("g", pg.Uniform(0, 2))
    m.fixed("t", plate="frames")
    m.fixed("flat", plate="pixels")

    @m.deterministic(plate="pixels")
    def mu(g, t, flat):
        return g * t * flat

    m.data("D", pg.Poisson("mu"), plate="pixels")
    return m


@pytest.fixture
def two_plate_model():
    return build_two_plate_model()


@pytest.fixture
def nested_plate_model():
    return build_nested_plate_model()


def _function_of(names):
    """A function whose argument names are ``names`` (the parents of a node)."""
    scope = {}
    exec(f"def f({', '.join(names)}):\n    return 0.0", scope)
    return scope["f"]


def random_spec(seed, max_nodes=20):
    """A random DAG of 3 to ``max_nodes`` nodes of every kind, on 0 to 3 plates
    (nested and sibling): ``(plates, nodes)``, each node ``(name, kind, plate,
    parents)``, parents declared before their children."""
    rng = np.random.default_rng(seed)
    plates = {}
    for i in range(rng.integers(0, 4)):
        outer = [None, *plates][rng.integers(len(plates) + 1)]
        plates[f"P{i}"] = ("ijl"[i], outer)

    def chain(plate):
        return {None} if plate is None else {plate} | chain(plates[plate][1])

    nodes = []
    for i in range(rng.integers(3, max_nodes + 1)):
        plate = [None, *plates][rng.integers(len(plates) + 1)]
        candidates = [n for n, kind, p, _ in nodes if p in chain(plate) and kind != "data"]
        count = min(len(candidates), rng.integers(1, 5))
        parents = sorted(rng.choice(candidates, size=count, replace=False).tolist()
                         if candidates else [])
        kinds = ["param", "fixed", "det", "data"] if parents else ["param", "fixed"]
        kind = kinds[rng.integers(len(kinds))]
        nodes.append((f"v{i}", kind, plate, parents if kind != "fixed" else []))
    return plates, nodes


def declare(spec, order_seed=None):
    """The model of a :func:`random_spec`, its nodes declared in a random
    topological order (``order_seed``) or in the spec's order."""
    plates, nodes = spec
    m = pg.Model("random")
    for name in sorted(plates, key=lambda p: len(p)):
        index, outer = plates[name]
        m.plate(name, index=index, within=outer)
    rng = np.random.default_rng(order_seed)
    waiting, done = list(nodes), set()
    while waiting:
        ready = [node for node in waiting if set(node[3]) <= done]
        name, kind, plate, parents = ready[rng.integers(len(ready)) if order_seed else 0]
        waiting = [node for node in waiting if node[0] != name]
        done.add(name)
        args = (parents[:2] + [0.0, 1.0][len(parents[:2]):])
        if kind == "param":
            m.param(name, pg.Normal(*args), plate=plate)
        elif kind == "fixed":
            m.fixed(name, plate=plate)
        elif kind == "det":
            m.deterministic(name, _function_of(parents), plate=plate)
        else:
            m.data(name, pg.Normal(*args), plate=plate)
    return m


def build_random_model(seed, max_nodes=20):
    """The random model of ``seed``, for the fuzz tests of the layout."""
    return declare(random_spec(seed, max_nodes))
