"""Sphinx extension: the pages of the pgmsim documentation made from the package.

At ``builder-inited`` it writes into ``<srcdir>/_generated/`` (not under
version control):

- ``cli.inc``: the ``--help`` text of the ``pgmsim`` command and of each of its
  sub-commands, as the installed parser prints it;
- ``api/<module>.rst`` and ``api.inc``: one API page per public module of
  :mod:`pgmsim` (found by walking the package, so new modules appear without
  an edit), each documenting the names of the module's ``__all__``;
- ``models/<name>.rst`` and ``models.inc``: one page per ready-made model of
  :data:`pgmsim.cli.MODELS`, with its module docstring, its PGM drawn in the
  forward and inference views, its factorization, its default mock and a
  corner plot from a short emcee run started at the MAP;
- ``gallery/<name>.png`` and ``gallery.inc``: the PGM of every ready-made model and
  of every model of :mod:`pgmsim.draw.gallery`, each above its TikZ source;
- ``tutorials/*.ipynb`` and ``tutorials.inc``: the notebooks of the
  repository's ``notebooks/`` folder, which myst-nb executes with a reduced
  step count and caches (see ``pgmsim_notebooks``).

Model runs are done in parallel processes and cached: a model is run again
only when the source of pgmsim, of the model or of this file changes.
Files are rewritten only when their content changes, so that incremental
builds stay incremental.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import inspect
import io
import json
import os
import pkgutil
import textwrap
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sphinx.util import logging

from pgmsim_notebooks import configure, generate_tutorials

__all__ = ["setup", "run_model_job", "laplace_walkers"]

logger = logging.getLogger(__name__)

_CACHE_VERSION = "1"


# ---------------------------------------------------------------------------
# small helpers
def _write(path, text):
    """Write ``text`` to ``path`` only if it differs (atomic replace)."""
    path = Path(path)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True


def _title(text, char="="):
    return f"{text}\n{char * len(text)}\n"


def _indent(text, n=3):
    return textwrap.indent(text, " " * n, lambda line: True).replace(
        " " * n + "\n", "\n")


def _first_line(doc):
    doc = inspect.cleandoc(doc or "")
    return doc.split("\n\n")[0].replace("\n", " ").strip()


# ---------------------------------------------------------------------------
# the command line
def _help_text(argv):
    """What ``pgmsim <argv> --help`` prints, wrapped at 88 columns."""
    from pgmsim.cli import main

    out = io.StringIO()
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"
    try:
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main([*argv, "--help"])
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return out.getvalue().rstrip()


def _subcommands():
    """The sub-commands of the ``pgmsim`` parser, in declaration order."""
    from pgmsim import cli

    parser = cli._parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def generate_cli(gen):
    parts = [".. code-block:: text\n\n" + _indent("$ pgmsim --help\n" + _help_text([]))]
    for command in _subcommands():
        parts.append(_title(f"pgmsim {command}", "~"))
        parts.append(".. code-block:: text\n\n"
                     + _indent(f"$ pgmsim {command} --help\n" + _help_text([command])))
    _write(gen / "cli.inc", "\n\n".join(parts) + "\n")


# ---------------------------------------------------------------------------
# the API reference
#: the package's top level in the order of its layout: the graph, the four uses,
#: validation, the astronomy toolbox; names not listed come after, by name
LAYOUT_ORDER = ("graph", "distributions", "simulate", "factorize", "draw", "fit",
                "validate", "astro", "cli")


def public_modules():
    """``pgmsim`` and its public modules and sub-packages (``pgmsim.models`` aside),
    in the order of the package's layout, each sub-package before its modules."""
    import pgmsim

    names = []
    for info in pkgutil.walk_packages(pgmsim.__path__, "pgmsim."):
        parts = info.name.split(".")
        if parts[1] == "models" or any(p.startswith("_") for p in parts):
            continue
        names.append(info.name)
    rank = {name: i for i, name in enumerate(LAYOUT_ORDER)}

    def place(name):
        parts = name.split(".")
        return (rank.get(parts[1], len(rank)), parts[1:])

    return ["pgmsim", *sorted(names, key=place)]


def _directive(module, name, obj):
    """The autodoc directive documenting ``module.name``."""
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return f".. autoexception:: {name}\n   :members:\n"
        options = ["   :members:"]
        if issubclass(obj, tuple) and hasattr(obj, "_fields"):
            # NamedTuple fields: keep those with a docstring of their own, drop
            # the others ("Alias for field number 0"; the class docstring has them)
            bare = [f for f in obj._fields if f not in _attribute_docs(obj)]
            if bare:
                options.append(f"   :exclude-members: {', '.join(bare)}")
        if "enum" in {b.__module__ for b in type(obj).__mro__}:
            options.append("   :undoc-members:")
        return f".. autoclass:: {name}\n" + "\n".join(options) + "\n"
    if callable(obj):
        return f".. autofunction:: {name}\n"
    value = repr(obj)
    extra = "\n   :no-value:" if len(value) > 120 else ""
    return f".. autodata:: {name}{extra}\n"


def _attribute_docs(cls):
    """Fields of ``cls`` documented by a string after them in the source."""
    from sphinx.errors import PycodeError
    from sphinx.pycode import ModuleAnalyzer

    try:
        docs = ModuleAnalyzer.for_module(cls.__module__).find_attr_docs()
    except PycodeError:  # no source to read: document nothing more
        return set()
    return {attr for (owner, attr), lines in docs.items()
            if owner == cls.__qualname__ and "".join(lines).strip()}


def _canonical(obj):
    """``module.qualname`` where a re-exported object is defined, or None."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not module or not qualname:
        return None
    return f"{module}.{qualname}"


def module_page(modname, documented):
    """The reST of the API page of one module."""
    module = importlib.import_module(modname)
    names = list(getattr(module, "__all__", []))
    text = [_title(modname), f".. automodule:: {modname}\n   :no-members:\n",
            f".. currentmodule:: {modname}\n"]
    own, aliases = [], []
    for name in names:
        obj = getattr(module, name)
        home = getattr(obj, "__module__", None) if (inspect.isclass(obj)
                                                    or callable(obj)) else None
        if inspect.ismodule(obj):
            aliases.append((name, obj.__name__))
        elif home and home != modname and home in documented:
            aliases.append((name, _canonical(obj)))
        else:
            own.append((name, obj))
    if own:
        text.append(".. autosummary::\n   :nosignatures:\n\n"
                    + "\n".join(f"   {name}" for name, _ in own) + "\n")
    if aliases:
        rows = "\n".join(
            f"   * - ``{name}``\n     - :obj:`{target}`\n"
            f"     - {_first_line(getattr(module, name).__doc__)}"
            for name, target in aliases)
        text.append(".. list-table:: Names importable from here, documented where "
                    "they are defined\n   :header-rows: 1\n   :widths: 20 30 50\n\n"
                    "   * - name\n     - defined as\n     - summary\n" + rows + "\n")
    for name, obj in own:
        text.append(_directive(modname, name, obj))
    return "\n".join(text)


def generate_api(gen):
    modules = public_modules()
    documented = set(modules)
    for modname in modules:
        _write(gen / "api" / f"{modname}.rst", module_page(modname, documented))
    for stale in (gen / "api").glob("*.rst"):
        if stale.stem not in documented:
            stale.unlink()
    table = ".. autosummary::\n   :nosignatures:\n\n" + "\n".join(
        f"   {m}" for m in modules) + "\n"
    toctree = ".. toctree::\n   :hidden:\n\n" + "\n".join(
        f"   _generated/api/{m}" for m in modules) + "\n"
    _write(gen / "api.inc", table + "\n" + toctree)


# ---------------------------------------------------------------------------
# the ready-made models
def _source_hash(name):
    """Hash of everything a model page depends on."""
    import numpy
    import emcee
    import pgmsim

    digest = hashlib.sha256(_CACHE_VERSION.encode())
    for function in (run_model_job, laplace_walkers):  # not the page layout
        digest.update(inspect.getsource(function).encode())
    for folder in (Path(pgmsim.__file__).parent,):
        for path in sorted(folder.rglob("*.py")):
            digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    module = importlib.import_module(f"pgmsim.models.{name}")
    digest.update(Path(module.__file__).read_bytes())
    digest.update(f"{numpy.__version__} {emcee.__version__}".encode())
    return digest.hexdigest()


def _aligned_lines(latex):
    """Rows of the verbose factorization's ``aligned`` block, or None."""
    begin, end = r"\begin{aligned}", r"\end{aligned}"
    if not (latex.startswith(begin) and latex.rstrip().endswith(end)):
        return None
    body = latex.strip()[len(begin):-len(end)].strip()
    rows = [row.strip() for row in body.split("\\\\\n")]
    return [row[:-2].rstrip() if row.endswith("\\\\") else row for row in rows if row]


def laplace_walkers(post, theta, nwalkers, seed=0):
    """Walkers drawn from the Laplace approximation of the posterior at ``theta``.

    The Gaussian whose covariance is the inverse of the negative Hessian of
    the log-posterior (finite differences with relative steps of 1e-4): a
    short run started there needs no burn-in to spread out from a small ball.

    Parameters
    ----------
    post : pgmsim.fit.posterior.Posterior
    theta : numpy.ndarray, shape (ndim,)
        The MAP.
    nwalkers : int
    seed : int

    Returns
    -------
    numpy.ndarray or None
        Shape ``(nwalkers, ndim)``; None where the approximation does not
        exist (a MAP on the edge of the prior, a Hessian that is not negative
        definite) or reaches outside the prior.
    """
    import numpy as np

    from pgmsim.astro.imagestats import hessian

    theta = np.asarray(theta, float)
    step = 1e-4 * np.where(theta != 0, np.abs(theta), 1.0)
    try:
        curvature = -hessian(lambda t: post.log_prob(t), theta, step=step)
        cov = np.linalg.inv(0.5 * (curvature + curvature.T))
        chol = np.linalg.cholesky(cov)
    except (ValueError, np.linalg.LinAlgError):
        return None
    rng = np.random.default_rng(seed)
    walkers = theta + rng.standard_normal((nwalkers, theta.size)) @ chol.T
    for _ in range(20):
        bad = ~np.isfinite(post.log_prob(walkers))
        if not bad.any():
            return walkers
        walkers[bad] = theta + rng.standard_normal((bad.sum(), theta.size)) @ chol.T
    return None


def run_model_job(name, outdir, settings):
    """Draw, write out, simulate and sample one ready-made model.

    Runs in a worker process. Writes ``<name>_pgm.png``,
    ``<name>_pgm_forward.png``, ``<name>_corner.png`` and, for image models,
    ``<name>_mock.png`` into ``outdir``.

    Parameters
    ----------
    name : str
        A module of :mod:`pgmsim.models`.
    outdir : str
        Folder for the images.
    settings : dict
        ``nwalkers``, ``min_steps``, ``max_steps`` and ``budget`` (seconds
        of sampling at most).

    Returns
    -------
    dict
        What the page says: factorization, run settings, timings, summary.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    import pgmsim as pg
    from pgmsim.fit.initialization import initial_walkers
    from pgmsim.fit.optimize import MapWarning
    from pgmsim.astro.plots import image_comparison
    from pgmsim.cli import default_mock

    outdir = Path(outdir)
    started = time.perf_counter()
    module = importlib.import_module(f"pgmsim.models.{name}")
    model, inputs = default_mock(module, seed=0)
    for observed, suffix in ((True, "pgm"), (False, "pgm_forward")):
        pgm = model.render(observed=observed)
        pgm.savefig(outdir / f"{name}_{suffix}.png", dpi=110)
    plt.close("all")
    factorization = model.factorization(verbose=True)
    short = model.factorization()

    truth = dict(module.TRUTH)
    sim = model.simulate(inputs=inputs, params=truth, seed=0)
    data = {n: sim[n] for n in model.names("data")}
    post = model.posterior(data=data, inputs=inputs)

    t0 = time.perf_counter()
    guess = module.initial_guess(inputs, data) if hasattr(module, "initial_guess") else None
    with warnings.catch_warnings():
        # a model page illustrates a fit made on a time budget: what find_map
        # and the short run would warn about is not the page's subject
        warnings.simplefilter("ignore", MapWarning)
        found = post.find_map(initial=guess, n_starts=1 if guess is not None else 4, seed=0)
    t_map = time.perf_counter() - t0

    nwalkers = max(settings["nwalkers"], 2 * post.ndim + 2)
    t0 = time.perf_counter()
    walkers = laplace_walkers(post, found.theta, nwalkers, seed=0)
    start = "laplace"
    if walkers is None:
        walkers = initial_walkers(post, nwalkers, initial=found, seed=0)
        start = "ball"
    t_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    repeats = 3
    for _ in range(repeats):
        post.log_prob(walkers)
    t_step = (time.perf_counter() - t0) / repeats
    nsteps = int(settings["budget"] / max(t_step, 1e-9)) // 50 * 50
    nsteps = int(min(settings["max_steps"], max(settings["min_steps"], nsteps)))

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pg.ConvergenceWarning)
        result = pg.sample(post, nwalkers=nwalkers, nsteps=nsteps, seed=0, initial=walkers,
                           progress=False)
    t_sample = time.perf_counter() - t0

    fig = result.corner(truths=truth)
    fig.savefig(outdir / f"{name}_corner.png", dpi=90 if post.ndim <= 6 else 60)
    plt.close("all")

    summary = result.summary()
    discard = int(summary.meta["discard"])
    median = post.unpack(np.median(result.flat_samples(), axis=0))
    has_mock = any(plate.shape is not None for plate in model.plates.values())
    if has_mock:
        replica = model.simulate(inputs=inputs, params=median, seed=1)
        node = model.names("data")[0]
        view = getattr(module, "view_image", lambda image, inputs: image)
        fig = image_comparison(view(model.image(sim[node], fill=0.0), inputs),
                               view(model.image(replica[node], fill=0.0), inputs),
                               titles=("mock data (seed 0, TRUTH)",
                                       "simulated at the posterior median",
                                       "difference"))
        fig.savefig(outdir / f"{name}_mock.png", dpi=80)
        plt.close("all")

    def number(value):
        return float(np.asarray(value).ravel()[0]) if np.ndim(value) else float(value)

    rows = []
    for row in summary:
        base = row["name"].partition("[")[0]
        true = truth.get(base)
        if true is not None and "[" in row["name"]:
            index = int(row["name"].partition("[")[2].rstrip("]"))
            true = np.asarray(true).ravel()[index]
        rows.append({"name": row["name"], "truth": None if true is None else number(true),
                     "median": float(row["median"]), "lower": float(row["lower"]),
                     "upper": float(row["upper"]), "ess": float(row["ess"])})
    return {
        "name": name,
        "description": getattr(module, "DESCRIPTION", ""),
        "exports": list(getattr(module, "__all__", [])),
        "text": str(factorization),
        "latex": factorization.latex,
        "latex_short": short.latex,
        "nodes": {kind: model.names(kind) for kind in ("parameter", "fixed",
                                                         "deterministic", "data")},
        "truth": {k: (np.asarray(v).tolist()) for k, v in truth.items()},
        "ndim": post.ndim,
        "nwalkers": nwalkers,
        "nsteps": nsteps,
        "discard": discard,
        "max_steps": settings["max_steps"],
        "t_step": t_step,
        "t_start": t_start,
        "start": start,
        "t_map": t_map,
        "t_sample": t_sample,
        "t_total": time.perf_counter() - started,
        "acceptance": float(np.mean(result.acceptance_fraction)),
        "map": {k: np.asarray(v).tolist() for k, v in found.params.items()},
        "has_mock": has_mock,
        "summary": rows,
    }


def _fmt(value):
    if value is None:
        return ""
    return f"{value:.4g}"


def _count(names, what):
    return f"{len(names)} {what}{'' if len(names) == 1 else 's'}"


def model_page(info):
    """The reST of a model page, from what :func:`run_model_job` returned."""
    name = info["name"]
    lines = [f".. _model-{name}:\n", _title(f"``{name}``")]
    if info["description"]:
        lines.append(f"**{info['description']}.**\n")
    lines.append(
        f"Import it with ``from pgmsim.models import {name}``; "
        f"``pgmsim run {name}`` simulates its default mock and fits it, "
        f"``pgmsim render {name} -o pgm.png`` draws it (see :doc:`/user_guide/cli`).\n")
    lines.append(f".. automodule:: pgmsim.models.{name}\n   :no-members:\n")
    nodes = info["nodes"]
    lines.append(_title("The graph", "-"))
    lines.append(
        f"``{name}.build()`` declares {_count(nodes['parameter'], 'parameter')} "
        f"({', '.join(f'``{n}``' for n in nodes['parameter'])}), "
        f"{_count(nodes['fixed'], 'fixed input')}, "
        f"{_count(nodes['deterministic'], 'deterministic node')} and "
        f"{_count(nodes['data'], 'data node')} "
        f"({', '.join(f'``{n}``' for n in nodes['data'])}). Drawn by "
        "``m.render()`` with the automatic layout: parameters as open circles, "
        "observed data as double circles, fixed inputs and deterministic nodes as "
        "dots, plates as labelled boxes.\n")
    lines.append(f".. figure:: {name}_pgm.png\n   :alt: PGM of {name}, data observed\n\n"
                 "   The inference view, ``m.render()``: the data are observed.\n")
    lines.append(f".. figure:: {name}_pgm_forward.png\n"
                 f"   :alt: PGM of {name}, forward view\n\n"
                 "   The forward view, ``m.render(observed=False)``: the graph that "
                 "makes mock data.\n")
    lines.append(_title("Joint density", "-"))
    lines.append("``m.factorization(verbose=True)``: the joint density as a product of "
                 "factors, then the distribution of each stochastic node.\n")
    rows = _aligned_lines(info["latex"])
    math = "\n\n".join(rows) if rows else info["latex_short"]
    lines.append(".. math::\n\n" + _indent(math) + "\n")
    lines.append("As plain text, ``print(m.factorization(verbose=True))``:\n")
    lines.append(".. code-block:: text\n\n" + _indent(info["text"]) + "\n")

    lines.append(_title("Default mock and posterior", "-"))
    truth = ", ".join(f"``{k}={v}``" for k, v in info["truth"].items())
    lines.append(
        f"The mock is ``m.simulate(inputs={name}.default_inputs(seed=0), "
        f"params={name}.TRUTH, seed=0)`` with ``TRUTH``: {truth}. The posterior of "
        "that mock is maximised with ``post.find_map`` (started from the module's "
        "``initial_guess`` where it has one) and sampled with emcee (``pg.sample``, "
        "seed 0), the walkers started at the MAP.\n")
    if info["has_mock"]:
        lines.append(
            f".. figure:: {name}_mock.png\n   :alt: mock data of {name}\n\n"
            "   The mock data, a replica drawn at the posterior median, and their "
            "difference (``pgmsim.astro.plots.image_comparison``).\n")
    lines.append(
        f".. figure:: {name}_corner.png\n   :alt: corner plot of {name}\n\n"
        "   ``result.corner(truths=TRUTH)``: 1-D and 2-D marginal posteriors; the "
        "blue lines mark the true values, the dashed ones the 16th, 50th and 84th "
        "percentiles.\n")
    short = info["nsteps"] < info["max_steps"]
    if info["start"] == "laplace":
        start = ("drawn from the Laplace approximation at the MAP (a Gaussian whose "
                 "covariance is the inverse of the negative Hessian of the "
                 "log-posterior), so that they start spread over the posterior")
    else:
        start = ("in a small ball around the MAP (the Laplace approximation does "
                 "not exist there: the MAP is on the edge of the prior or the "
                 "Hessian is not negative definite)")
    lines.append(
        f"The run behind this plot is short, made while building this page: "
        f"{info['nsteps']} steps of {info['nwalkers']} walkers {start}; the first "
        f"{info['discard']} steps are dropped as burn-in. It took "
        f"{info['t_sample']:.1f} s "
        f"({1e3 * info['t_sample'] / info['nsteps']:.1f} ms per step), after "
        f"{info['t_map']:.1f} s for the MAP. Mean acceptance fraction "
        f"{info['acceptance']:.2f}.")
    if short:
        lines.append(
            f" The log-posterior of this model is slow enough that the build used fewer "
            f"steps than the {info['max_steps']} of the faster models.")
    lines.append(
        " The effective sample sizes below come from such a short chain and are "
        f"rough; for a converged posterior run ``pgmsim run {name} --nsteps 5000`` "
        "or longer and check ``result.autocorr_time`` "
        "(see :doc:`/user_guide/sampling`).\n")
    table = [".. list-table:: Posterior summary of the mock (``result.summary()``)",
             "   :header-rows: 1", "",
             "   * - parameter", "     - truth", "     - median", "     - 16%",
             "     - 84%", "     - ESS"]
    for row in info["summary"]:
        table += [f"   * - ``{row['name']}``", f"     - {_fmt(row['truth'])}",
                  f"     - {_fmt(row['median'])}", f"     - {_fmt(row['lower'])}",
                  f"     - {_fmt(row['upper'])}", f"     - {row['ess']:.0f}"]
    lines.append("\n".join(table) + "\n")

    lines.append(_title("Reference", "-"))
    lines.append(f".. currentmodule:: pgmsim.models.{name}\n")
    module = importlib.import_module(f"pgmsim.models.{name}")
    for export in info["exports"]:
        lines.append(_directive(f"pgmsim.models.{name}", export, getattr(module, export)))
    return "\n".join(lines)


def _failed_page(name, message):
    return (f".. _model-{name}:\n\n" + _title(f"``{name}``")
            + f"\nThe page of this model could not be made:\n\n.. code-block:: text\n\n"
            + _indent(message) + "\n")


def generate_models(app, gen):
    from pgmsim.cli import MODELS

    folder = gen / "models"
    folder.mkdir(parents=True, exist_ok=True)
    config = app.config
    settings = {"nwalkers": config.pgmsim_docs_nwalkers,
                "min_steps": config.pgmsim_docs_min_steps,
                "max_steps": config.pgmsim_docs_max_steps,
                "budget": config.pgmsim_docs_sampling_budget}
    infos, todo = {}, {}
    for name in MODELS:
        key = _source_hash(name) + json.dumps(settings, sort_keys=True)
        cache = folder / f"{name}.json"
        images = [folder / f"{name}_{s}.png" for s in ("pgm", "pgm_forward", "corner")]
        if cache.is_file() and all(p.is_file() for p in images):
            stored = json.loads(cache.read_text())
            if stored.get("key") == key and (not stored["info"]["has_mock"]
                                             or (folder / f"{name}_mock.png").is_file()):
                infos[name] = stored["info"]
                continue
        todo[name] = key
    if todo:
        workers = config.pgmsim_docs_workers or min(len(todo), os.cpu_count() or 1)
        logger.info(f"pgmsim_docs: running models {', '.join(todo)} "
                    f"({workers} process(es))")
        started = time.perf_counter()
        import corner  # noqa: F401  (slow to import: once, before the workers fork)

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {name: pool.submit(run_model_job, name, str(folder), settings)
                       for name in todo}
            for name, future in futures.items():
                try:
                    info = future.result()
                except Exception:  # reported as a Sphinx warning, the build goes on
                    message = traceback.format_exc()
                    logger.warning(f"pgmsim_docs: model {name!r} failed:\n{message}")
                    _write(folder / f"{name}.rst", _failed_page(name, message))
                    continue
                infos[name] = info
                _write(folder / f"{name}.json",
                       json.dumps({"key": todo[name], "info": info}, indent=1))
                logger.info(f"pgmsim_docs: {name}: {info['nsteps']} steps x "
                            f"{info['nwalkers']} walkers in {info['t_total']:.1f} s")
        logger.info(f"pgmsim_docs: models done in {time.perf_counter() - started:.1f} s")
    for name, info in infos.items():
        _write(folder / f"{name}.rst", model_page(info))
    for stale in folder.glob("*.rst"):
        if stale.stem not in MODELS:
            stale.unlink()
    table = [".. list-table::", "   :header-rows: 1", "   :widths: 25 75", "",
             "   * - model", "     - what it describes"]
    for name in MODELS:
        module = importlib.import_module(f"pgmsim.models.{name}")
        table += [f"   * - :doc:`{name} <_generated/models/{name}>`",
                  f"     - {getattr(module, 'DESCRIPTION', _first_line(module.__doc__))}"]
    toctree = ".. toctree::\n   :hidden:\n\n" + "\n".join(
        f"   _generated/models/{name}" for name in MODELS) + "\n"
    _write(gen / "models.inc", "\n".join(table) + "\n\n" + toctree)


# ---------------------------------------------------------------------------
# the PGM gallery
def _gallery_entries():
    """``(section, name, title, model, observed)`` of every ready-made model,
    then of every model of :mod:`pgmsim.draw.gallery`."""
    from pgmsim.cli import MODELS
    from pgmsim.draw import gallery

    for name in MODELS:
        module = importlib.import_module(f"pgmsim.models.{name}")
        yield ("Ready-made models", name,
               getattr(module, "DESCRIPTION", _first_line(module.__doc__)), module.build(), True)
    for build in gallery.CLASSIC_MODELS:
        yield ("Classic PGMs", build.__name__, _first_line(build.__doc__), build(),
               build.__name__ not in gallery.FORWARD_VIEWS)


def generate_gallery(gen):
    """``gallery.inc`` and ``gallery/<name>.png``: each PGM drawn, above its TikZ
    source; the images are drawn again only when the source of pgmsim changes."""
    import matplotlib.pyplot as plt
    import pgmsim
    from pgmsim.draw.layout import layout

    folder = gen / "gallery"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(inspect.getsource(generate_gallery).encode())
    package = Path(pgmsim.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    key = digest.hexdigest()
    stamp = folder / "key.txt"
    fresh = stamp.is_file() and stamp.read_text() == key
    parts, section = [], None
    for heading, name, title, model, observed in _gallery_entries():
        if heading != section:
            parts.append(_title(heading, "-"))
            section = heading
        png = folder / f"{name}.png"
        # laid out once: given every position, the drawing and the source agree
        positions = layout(model).positions
        if not (fresh and png.is_file()):
            pgm = model.render(observed=observed, positions=positions)
            pgm.savefig(png, dpi=110)
            plt.close(pgm.figure)
        view = "" if observed else " Forward view: ``m.render(observed=False)``."
        source = model.render(format="tikz", observed=observed, positions=positions)
        parts.append(_title(f"``{name}``", "~") + f"\n{title}{view}\n\n"
                     f".. image:: /_generated/gallery/{name}.png\n"
                     f"   :alt: PGM of {name}\n\n"
                     ".. code-block:: latex\n\n" + _indent(source) + "\n")
    _write(stamp, key)
    _write(gen / "gallery.inc", "\n".join(parts))


# ---------------------------------------------------------------------------
def generate(app):
    gen = Path(app.srcdir) / "_generated"
    gen.mkdir(exist_ok=True)
    generate_cli(gen)
    generate_api(gen)
    generate_tutorials(app, gen, _write)
    generate_models(app, gen)
    generate_gallery(gen)


def setup(app):
    """Register the generator and its settings (see ``docs/conf.py``)."""
    app.add_config_value("pgmsim_docs_nwalkers", 32, "env")
    app.add_config_value("pgmsim_docs_min_steps", 100, "env")
    app.add_config_value("pgmsim_docs_max_steps", 600, "env")
    app.add_config_value("pgmsim_docs_sampling_budget", 12.0, "env")
    app.add_config_value("pgmsim_docs_workers", None, "env")
    app.add_config_value("pgmsim_docs_notebook_nsteps", 300, "env")
    app.add_config_value("pgmsim_docs_data", None, "env")
    app.connect("config-inited", configure)
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
