"""The benchmark's data and its hand-written numpy log-posteriors.

Two models, each as a pgmsim posterior and as numpy written by hand:

* ``xray_agn`` on a 40x40 mock stamp (:func:`stamp`): a careful hand-written
  log-posterior, with the priors as a bounds check plus constants and the
  Poisson ``-log N!`` summed once (:class:`StampNumpy`);
* ``xray_cluster`` on the 648x648 XMM-Newton image of Abell 1835
  (:func:`cluster`), point sources and unexposed pixels dropped by
  :func:`pgmsim.models.xray_cluster.load`: the same careful numpy on the kept
  pixels (:class:`ClusterNumpy`), and the model written the straightforward
  way, on every pixel of the image with the mask as a weight,
  ``np.sum(keep * (N * np.log(mu) - mu))`` (:class:`ClusterStraightforward`).

Each hand-written posterior has a dense variant (``N * log(mu)`` on every
pixel) and a sparse one (``log(mu)`` only where ``N > 0``, as pgmsim's Poisson
likelihood does), so that the benchmark can show what the sparse log buys.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy import special

import pgmsim as pg
from pgmsim.astro import datasets, io
from pgmsim.models import xray_agn, xray_cluster

__all__ = [
    "Case",
    "stamp",
    "cluster",
    "StampNumpy",
    "ClusterNumpy",
    "ClusterStraightforward",
    "walker_ball",
    "cluster_arguments",
]


class Case:
    """One benchmark model with its data.

    Attributes
    ----------
    name : str
    model : pgmsim.Model
    inputs, data : dict
        As passed to :meth:`pgmsim.Model.posterior`.
    post : pgmsim.Posterior
    theta : numpy.ndarray, shape (ndim,)
        A point near the posterior mode.
    priors : dict
        Prior of each parameter as ``(kind, low, high)``, kind ``"uniform"`` or
        ``"loguniform"``, for the hand-written and peer models.
    """

    def __init__(self, name, model, inputs, data, theta, priors):
        self.name = name
        self.model = model
        self.inputs = inputs
        self.data = data
        self.post = model.posterior(data=data, inputs=inputs)
        self.theta = np.asarray(theta, dtype=float)
        self.priors = priors


def _bounds(priors, names):
    low = np.array([priors[n][1] for n in names])
    high = np.array([priors[n][2] for n in names])
    # the constant part of the log-prior, and which parameters are log-uniform
    const = -sum(math.log(priors[n][2] - priors[n][1]) if priors[n][0] == "uniform"
                 else math.log(math.log(priors[n][2] / priors[n][1])) for n in names)
    logs = [i for i, n in enumerate(names) if priors[n][0] == "loguniform"]
    return low, high, const, logs


def walker_ball(theta, n, seed=0, scale=1e-3):
    """``n`` walkers in a small ball (relative size ``scale``) around ``theta``.

    Returns
    -------
    numpy.ndarray, shape (n, ndim)
    """
    rng = np.random.default_rng(seed)
    return theta * (1.0 + scale * rng.standard_normal((n, len(theta))))


# ---------------------------------------------------------------------------
# xray_agn: a 40x40 stamp


STAMP_PRIORS = {"x0": ("uniform", 0.0, 40.0), "y0": ("uniform", 0.0, 40.0),
                "F": ("loguniform", 1e-3, 1.0), "b": ("loguniform", 1e-6, 1e-2),
                "sigma": ("uniform", 0.5, 4.0)}


def stamp(seed=1):
    """The ``xray_agn`` model on its 40x40 mock stamp, simulated at ``TRUTH``.

    Returns
    -------
    Case
    """
    model = xray_agn.build(size=40)
    inputs = xray_agn.default_inputs(size=40)
    counts = model.simulate(inputs=inputs, params=xray_agn.TRUTH, seed=seed)["N"]
    case = Case("xray_agn", model, inputs, {"N": counts}, None, STAMP_PRIORS)
    case.theta = case.post.pack(xray_agn.TRUTH)
    return case


class StampNumpy:
    """The ``xray_agn`` log-posterior written by hand in numpy.

    Parameters
    ----------
    case : Case
        The stamp (:func:`stamp`).
    sparse : bool
        Take ``log(mu)`` only where ``N > 0``.
    """

    def __init__(self, case, sparse=False):
        names = ["x0", "y0", "F", "b", "sigma"]
        self.low, self.high, self.const, _ = _bounds(case.priors, names)
        self.x, self.y, self.ex = (np.asarray(case.inputs[k], float) for k in ("x", "y", "ex"))
        self.n = np.asarray(case.data["N"], float)
        self.log_fact = float(np.sum(special.gammaln(self.n + 1.0)))
        self.nz = np.flatnonzero(self.n > 0)
        self.n_nz = self.n[self.nz]
        self.sparse = sparse
        self.lo, self.hi = self.low.tolist(), self.high.tolist()

    def _loglike(self, mu):
        if self.sparse:
            return np.log(mu[..., self.nz]) @ self.n_nz - mu.sum(axis=-1) - self.log_fact
        return np.sum(self.n * np.log(mu) - mu, axis=-1) - self.log_fact

    def __call__(self, theta):
        """Log-posterior at one point, shape ``(5,)``."""
        x0, y0, F, b, s = theta
        lo, hi = self.lo, self.hi
        if not (lo[0] <= x0 <= hi[0] and lo[1] <= y0 <= hi[1] and lo[2] <= F <= hi[2]
                and lo[3] <= b <= hi[3] and lo[4] <= s <= hi[4]):
            return -np.inf
        r2 = (self.x - x0) ** 2 + (self.y - y0) ** 2
        mu = self.ex * (F * np.exp(-0.5 * r2 / s**2) / (2 * np.pi * s**2) + b)
        return self.const - math.log(F) - math.log(b) + self._loglike(mu)

    def batch(self, theta):
        """Log-posterior of a batch, shape ``(nwalkers, 5)``, in one pass."""
        x0, y0, F, b, s = (theta[:, i:i + 1] for i in range(5))
        inside = np.all((theta >= self.low) & (theta <= self.high), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            lp = np.where(inside, self.const - np.log(theta[:, 2]) - np.log(theta[:, 3]),
                          -np.inf)
        r2 = (self.x - x0) ** 2 + (self.y - y0) ** 2
        mu = self.ex * (F * np.exp(-0.5 * r2 / s**2) / (2 * np.pi * s**2) + b)
        return lp + self._loglike(mu)


# ---------------------------------------------------------------------------
# xray_cluster: the A1835 image


CLUSTER_PRIORS = {"x0": ("uniform", 0.0, 648.0), "y0": ("uniform", 0.0, 648.0),
                  "S0": ("loguniform", 1e-6, 1.0), "rc": ("loguniform", 0.3, 300.0),
                  "beta": ("uniform", 0.3, 2.0), "b": ("loguniform", 1e-9, 1e-3)}

#: the posterior mode of the one-component model on the A1835 image, as found
#: by ``post.find_map(initial=xray_cluster.initial_guess(inputs, data))``
#: (log-posterior -46353.9), rounded: the point of the timings and the
#: centre of the walkers of the sampling runs.
A1835_MODE = {"x0": 327.814, "y0": 346.895, "S0": 5.891e-3, "rc": 4.697, "beta": 0.6400,
              "b": 1.546e-7}


def cluster(data_home=None):
    """The ``xray_cluster`` model on the A1835 image with its point-source mask.

    Parameters
    ----------
    data_home : str or os.PathLike, optional
        Folder holding ``a1835_xmm/`` (see :func:`pgmsim.astro.datasets.a1835`).

    Returns
    -------
    Case
        With extra attributes ``images`` (the full ``N``, ``ex``, ``pb`` and
        ``keep`` images) and ``paths``.

    Raises
    ------
    FileNotFoundError
        If the data are not there.
    """
    paths = datasets.a1835(data_home)
    inputs, data, keep = xray_cluster.load(**paths)
    model = xray_cluster.build(keep=keep)
    case = Case("xray_cluster", model, inputs, data, None, CLUSTER_PRIORS)
    case.theta = case.post.pack(A1835_MODE)
    images = io.load_counts_exposure(paths["image"], paths["expmap"], paths["bkgmap"])
    ex = images["exposure"].data
    case.images = {
        "N": images["counts"].data.astype(float),
        "ex": ex.astype(float),
        "pb": images["background"].data.astype(float),
        "keep": xray_cluster.keep_mask(ex, io.read_regions(paths["regions"])),
    }
    case.paths = paths
    return case


def _beta_model_inplace(theta, x, y, ex, pb):
    x0, y0, S0, rc, beta, b = theta
    u = x - x0
    u *= u
    v = y - y0
    v *= v
    u += v
    u *= 1.0 / rc**2
    np.log1p(u, out=u)
    u *= 0.5 - 3.0 * beta
    np.exp(u, out=u)
    u *= S0
    u += b
    u *= ex
    u += pb
    return u


class ClusterNumpy:
    """The ``xray_cluster`` log-posterior written by hand, on the kept pixels.

    The expected counts are computed in place (no temporaries beyond two
    plate-sized arrays), the Poisson ``-log N!`` is summed once.

    Parameters
    ----------
    case : Case
        The cluster (:func:`cluster`).
    sparse : bool
        Take ``log(mu)`` only where ``N > 0``.
    """

    names = ["x0", "y0", "S0", "rc", "beta", "b"]

    def __init__(self, case, sparse=False):
        self.low, self.high, self.const, self.logs = _bounds(case.priors, self.names)
        self.lo, self.hi = self.low.tolist(), self.high.tolist()
        self.x, self.y, self.ex, self.pb = (np.asarray(case.inputs[k], float)
                                            for k in ("x", "y", "ex", "pb"))
        self.n = np.asarray(case.data["N"], float)
        self.log_fact = float(np.sum(special.gammaln(self.n + 1.0)))
        self.nz = np.flatnonzero(self.n > 0)
        self.n_nz = self.n[self.nz]
        self.sparse = sparse

    def _loglike(self, mu):
        if self.sparse:
            return np.log(mu[..., self.nz]) @ self.n_nz - mu.sum(axis=-1) - self.log_fact
        return np.sum(self.n * np.log(mu) - mu, axis=-1) - self.log_fact

    def __call__(self, theta):
        """Log-posterior at one point, shape ``(6,)``."""
        t = theta.tolist()
        if not all(lo <= v <= hi for v, lo, hi in zip(t, self.lo, self.hi)):
            return -np.inf
        lp = self.const - math.log(t[2]) - math.log(t[3]) - math.log(t[5])
        return lp + self._loglike(_beta_model_inplace(t, self.x, self.y, self.ex, self.pb))

    def batch(self, theta):
        """Log-posterior of a batch, shape ``(nwalkers, 6)``, all walkers in
        one pass (temporaries of ``nwalkers x K`` doubles)."""
        inside = np.all((theta >= self.low) & (theta <= self.high), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            lp = np.where(inside, self.const - np.log(theta[:, self.logs]).sum(axis=1), -np.inf)
        columns = [theta[:, i:i + 1] for i in range(6)]
        return lp + self._loglike(_beta_model_inplace(columns, self.x, self.y, self.ex,
                                                      self.pb))


class ClusterStraightforward:
    """The ``xray_cluster`` log-posterior written the straightforward way.

    Every pixel of the 648x648 image, the point sources and unexposed pixels
    masked by a weight, one expression:
    ``lp + np.sum(keep * (N * np.log(mu) - mu))``.

    Parameters
    ----------
    case : Case
        The cluster (:func:`cluster`).
    """

    def __init__(self, case):
        self.low, self.high, self.const, _ = _bounds(case.priors, ClusterNumpy.names)
        img = case.images
        ny, nx = img["N"].shape
        self.y, self.x = np.mgrid[0:ny, 0:nx].astype(float)
        self.n, self.ex, self.pb = img["N"], img["ex"], img["pb"]
        self.keep = img["keep"].astype(float)
        self.fraction = float(img["keep"].mean())

    def __call__(self, theta):
        """Log-posterior at one point (up to the constant ``-sum log N!``)."""
        x0, y0, S0, rc, beta, b = theta
        if not (np.all(theta >= self.low) and np.all(theta <= self.high)):
            return -np.inf
        lp = self.const - np.log(S0) - np.log(rc) - np.log(b)
        r2 = (self.x - x0) ** 2 + (self.y - y0) ** 2
        mu = (S0 * (1 + r2 / rc**2) ** (-3 * beta + 0.5) + b) * self.ex + self.pb
        return lp + np.sum(self.keep * (self.n * np.log(mu) - mu))


def check_agreement(case, funcs, theta, constant=None):
    """Largest difference between pgmsim's log-posterior and hand-written ones.

    Parameters
    ----------
    case : Case
    funcs : dict of str to callable
        One-point log-posteriors.
    theta : numpy.ndarray, shape (n, ndim)
    constant : dict of str to float, optional
        Constant offsets (terms a function leaves out).

    Returns
    -------
    dict of str to float
        Largest absolute difference of each function from pgmsim.
    """
    ref = np.array([case.post.log_prob(t) for t in theta])
    out = {}
    for name, func in funcs.items():
        got = np.array([func(t) for t in theta]) + (constant or {}).get(name, 0.0)
        out[name] = float(np.max(np.abs(got - ref)))
    return out


def pgmsim_version():
    """The version of pgmsim being measured."""
    return pg.__version__


def cluster_arguments(description, nsteps):
    """The command line the pool benchmarks on the A1835 cluster share.

    Parameters
    ----------
    description : str
    nsteps : int
        The default number of steps.

    Returns
    -------
    argparse.ArgumentParser
        With ``--data-home``, ``--nwalkers`` (32) and ``--nsteps``.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-home", default=None,
                        help="folder holding a1835_xmm/ (default: $PGMSIM_DATA)")
    parser.add_argument("--nwalkers", type=int, default=32)
    parser.add_argument("--nsteps", type=int, default=nsteps)
    return parser
