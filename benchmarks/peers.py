"""The benchmark models written for PyMC and NumPyro.

The same data, priors and expected counts as pgmsim's ``xray_agn`` and
``xray_cluster``: uniform priors as uniform, log-uniform priors as
``numpyro.distributions.LogUniform`` in NumPyro and as a uniform prior on the
logarithm in PyMC (which has no log-uniform distribution; the two are the same
prior). Both peers are optional (``pip install ".[bench]"``): every function
here imports them lazily and raises ImportError with an install hint.

NumPyro runs in double precision (``jax_enable_x64``), as pgmsim does.
"""

from __future__ import annotations

import math
import time

import numpy as np

__all__ = ["have", "pymc_model", "pymc_logp", "numpyro_model", "numpyro_logp",
           "numpyro_setup"]

_HINT = "install the benchmark extra: pip install '.[bench]' (pymc, numpyro, jax)"


def have(peer):
    """Whether ``peer`` ("pymc" or "numpyro") can be imported."""
    try:
        if peer == "pymc":
            import pymc  # noqa: F401
        else:
            import jax  # noqa: F401
            import numpyro  # noqa: F401
    except ImportError:
        return False
    return True


def _arrays(case):
    data = {k: np.asarray(v, float) for k, v in case.inputs.items()}
    data["N"] = np.asarray(case.data["N"], float)
    return data


# ---------------------------------------------------------------------------
# PyMC


def pymc_model(case):
    """The case's model in PyMC.

    Parameters
    ----------
    case : cases.Case

    Returns
    -------
    pymc.Model
        With a Deterministic for every log-uniform parameter, under its own
        name, so that traces carry every parameter of the pgmsim model.
    """
    try:
        import pymc as pm
        import pytensor.tensor as pt
    except ImportError as err:
        raise ImportError(f"PyMC is not installed; {_HINT}") from err
    d = _arrays(case)
    with pm.Model() as model:
        p = {}
        for name, (kind, low, high) in case.priors.items():
            if kind == "uniform":
                p[name] = pm.Uniform(name, low, high)
            else:
                log = pm.Uniform(f"ln_{name}", math.log(low), math.log(high))
                p[name] = pm.Deterministic(name, pt.exp(log))
        if case.name == "xray_agn":
            s = p["sigma"]
            r2 = (d["x"] - p["x0"]) ** 2 + (d["y"] - p["y0"]) ** 2
            mu = d["ex"] * (p["F"] * pt.exp(-0.5 * r2 / s**2) / (2 * np.pi * s**2) + p["b"])
        else:
            r2 = (d["x"] - p["x0"]) ** 2 + (d["y"] - p["y0"]) ** 2
            profile = (1 + r2 / p["rc"] ** 2) ** (-3 * p["beta"] + 0.5)
            mu = (p["S0"] * profile + p["b"]) * d["ex"] + d["pb"]
        pm.Poisson("N", mu, observed=d["N"])
    return model


def pymc_logp(case):
    """A compiled PyMC log-density of the case, ready to time.

    Returns
    -------
    call : callable
        No arguments; one evaluation of the model's log-density (the
        compiled pytensor function, inputs trusted) at its initial point.
    info : dict
        ``compile_s``: seconds to build and compile; ``loglike``: PyMC's
        log-likelihood at the case's ``theta`` (a check that the models agree).
    """
    start = time.perf_counter()
    model = pymc_model(case)
    logp = model.compile_logp()
    point = model.initial_point()
    func = logp.f
    func.trust_input = True
    args = {k: np.asarray(v, dtype=float) for k, v in point.items()}
    func(**args)
    info = {"compile_s": time.perf_counter() - start, "loglike": _pymc_loglike(case, model)}
    return (lambda: func(**args)), info


def _pymc_loglike(case, model):
    """PyMC's log-likelihood at the case's ``theta`` (a check that the models agree)."""
    import pymc as pm
    import pytensor

    values = case.post.unpack(case.theta)
    inputs, args = [], []
    for name, (kind, _, _) in case.priors.items():
        inputs.append(model[name if kind == "uniform" else f"ln_{name}"])
        args.append(float(values[name]) if kind == "uniform" else math.log(float(values[name])))
    loglike = pm.logp(model["N"], np.asarray(case.data["N"], float)).sum()
    return float(pytensor.function(inputs, loglike, on_unused_input="ignore")(*args))


# ---------------------------------------------------------------------------
# NumPyro


def numpyro_setup(devices=1):
    """Configure JAX before its first use: double precision, CPU devices.

    Parameters
    ----------
    devices : int
        Number of host devices (for chains run in parallel); effective only
        before JAX is first imported.
    """
    import os

    if devices > 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + f" --xla_force_host_platform_device_count={devices}")
    try:
        import jax
    except ImportError as err:
        raise ImportError(f"JAX is not installed; {_HINT}") from err
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")


def numpyro_model(case):
    """The case's model as a NumPyro model function.

    Returns
    -------
    model : callable
        ``model(N=None)``.
    data : dict
        The keyword arguments for conditioning on the data, ``{"N": counts}``.
    """
    try:
        import jax.numpy as jnp
        import numpyro
        import numpyro.distributions as dist
    except ImportError as err:
        raise ImportError(f"NumPyro is not installed; {_HINT}") from err
    d = {k: jnp.asarray(v) for k, v in _arrays(case).items()}
    priors = case.priors
    agn = case.name == "xray_agn"

    def model(N=None):
        p = {}
        for name, (kind, low, high) in priors.items():
            prior = dist.Uniform(low, high) if kind == "uniform" else dist.LogUniform(low, high)
            p[name] = numpyro.sample(name, prior)
        r2 = (d["x"] - p["x0"]) ** 2 + (d["y"] - p["y0"]) ** 2
        if agn:
            s = p["sigma"]
            mu = d["ex"] * (p["F"] * jnp.exp(-0.5 * r2 / s**2) / (2 * jnp.pi * s**2) + p["b"])
        else:
            profile = (1 + r2 / p["rc"] ** 2) ** (-3 * p["beta"] + 0.5)
            mu = (p["S0"] * profile + p["b"]) * d["ex"] + d["pb"]
        numpyro.sample("N", dist.Poisson(mu), obs=N)

    return model, {"N": d["N"]}


def numpyro_logp(case):
    """A jit-compiled NumPyro potential (minus log-density) of the case.

    Returns
    -------
    call : callable
        No arguments; one evaluation at the initial point, waited for.
    info : dict
        ``compile_s``: seconds to trace and compile; ``loglike``: NumPyro's
        log-likelihood at the case's ``theta`` (a check that the models agree).
    """
    numpyro_setup()
    import jax
    import jax.numpy as jnp
    from numpyro.infer.util import initialize_model, log_likelihood

    start = time.perf_counter()
    model, data = numpyro_model(case)
    init, potential, _, _ = initialize_model(jax.random.PRNGKey(0), model, model_kwargs=data,
                                             dynamic_args=False)
    func = jax.jit(potential)
    z = init.z
    func(z).block_until_ready()
    info = {"compile_s": time.perf_counter() - start}
    params = {k: jnp.asarray(v)[None] for k, v in case.post.unpack(case.theta).items()}
    info["loglike"] = float(log_likelihood(model, params, **data)["N"].sum())
    return (lambda: func(z).block_until_ready()), info
