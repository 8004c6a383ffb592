"""The ``pgmsim`` command: the demo, the ready-made models and models of one's own.

A model argument is a ready-made model's name, ``path/to/model.py`` or
``package.module``, optionally followed by ``:function``; such a module
follows the contract of the ready-made models (:doc:`/user_guide/own_models`).
"""

from __future__ import annotations

import pkgutil
import sys
import time
import warnings

import numpy as np

from ._cli_checks import (FITS_SUFFIXES, Parser, check_count, check_output_file,
                          check_output_folder, speak_of_flags, steps_argument)
from ._model_source import ModelSourceError, load_model

__all__ = ["main", "run_model", "default_mock", "MODELS", "OUTPUTS"]


def _model_names():
    import pgmsim.models

    return sorted(m.name for m in pkgutil.iter_modules(pgmsim.models.__path__)
                  if not m.name.startswith("_"))


#: ready-made models, by name (the modules of ``pgmsim.models``)
MODELS = _model_names()


def _load(name):
    """The module of a model, as every command takes it (name, file or module)."""
    return load_model(name, MODELS).module


def default_mock(module, seed=0):
    """A model's default inputs and the model of their pixels.

    Parameters
    ----------
    module : module or str
        A module of :mod:`pgmsim.models` or one of one's own, or anything
        the commands take: a model's name, ``path/to/model.py`` or
        ``package.module``, optionally with ``:function``.
    seed : int
        Seed of ``default_inputs``.

    Returns
    -------
    model : pgmsim.Model
        ``build()``, or ``build(keep=default_keep(seed=seed))`` for a model
        whose default inputs drop pixels.
    inputs : dict
        ``default_inputs(seed=seed)``; empty for a model without fixed
        inputs that does not define it.

    Raises
    ------
    ValueError
        The model cannot be loaded, or has fixed inputs but no
        ``default_inputs``.

    Examples
    --------
    >>> from pgmsim.cli import default_mock
    >>> from pgmsim.models import xray_cluster
    >>> model, inputs = default_mock(xray_cluster)
    >>> model.plates["pixels"].size == inputs["x"].size
    True
    >>> model, inputs = default_mock("xray_agn", seed=3)
    >>> sorted(inputs)
    ['ex', 'x', 'y']
    """
    source = load_model(module, MODELS)
    if not source.has("default_inputs"):
        model = source.build()
        if model.names("fixed"):
            source.require("default_inputs", "to make a mock of the fixed inputs "
                                             + ", ".join(model.names("fixed")))
        return model, {}
    inputs = source.call("default_inputs", seed=seed)
    if source.has("default_keep"):  # the default inputs drop pixels
        return source.build(keep=source.call("default_keep", seed=seed)), inputs
    return source.build(), inputs


#: the help of a command's model argument
MODEL_HELP = ("model: a name (see `pgmsim list`), path/to/model.py or package.module, "
              "optionally with :function, the function that builds it instead of build")

#: what :func:`run_model` writes into its output folder, besides ``chain.h5``
OUTPUTS = ("pgm.png", "factorization.tex", "mock.png", "corner.png", "summary.ecsv",
           "diagnostics.ecsv")


def run_model(name, out, nsteps=2000, nwalkers=32, seed=0, progress=True, echo=print,
              checkpoint=False, resume=False, overwrite=False, max_steps=None):
    """Simulate a model's default mock, draw it, write it out and fit it.

    Writes into ``out``: ``pgm.png``, ``factorization.tex``, ``mock.png``
    (observed, simulated and difference images, for image models),
    ``corner.png`` (truth marked), ``summary.ecsv`` and ``diagnostics.ecsv``
    (:meth:`SamplingResult.diagnostics`); with ``checkpoint``, also
    ``chain.h5``, the chain committed as it grows. Every argument is checked,
    and the run to resume too, before anything is written. After the run it
    prints what is wrong with it (:meth:`SamplingResult.problems`), or
    ``converged: ...``, instead of a :class:`pgmsim.ConvergenceWarning`.

    Parameters
    ----------
    name : str
        A ready-made model (see :data:`MODELS`), ``path/to/model.py`` or
        ``package.module``, optionally with ``:function`` (the function
        that builds the model, ``build`` by default). The module defines
        ``build()``, ``default_inputs(seed=...)`` (unless the model has no
        fixed inputs) and ``TRUTH``, the parameters of the mock.
    out : str or pathlib.Path
        Output folder, created if needed; its parent folder must exist.
    nsteps : int or "auto"
        Length of the emcee run; ``"auto"`` runs until the chain is long
        enough (see :func:`pgmsim.sample`).
    nwalkers : int
        Width of the emcee run; at least two walkers per parameter.
    seed : int
        Seed of the mock and of the sampler, non-negative.
    progress : bool
        Show a progress bar.
    echo : callable
        Where to print messages.
    checkpoint : bool
        Store the chain in ``out/chain.h5`` as it grows.
    resume : bool
        Continue the run stored in ``out/chain.h5`` (same model, seed and
        walkers) up to ``nsteps`` steps, and replace that run's figures and
        summary; the MAP search is skipped.
    overwrite : bool
        Replace the outputs of an earlier run in ``out``, its ``chain.h5``
        included, by a new run.
    max_steps : int, optional
        The most steps of an ``nsteps="auto"`` run.

    Returns
    -------
    SamplingResult
        The chain of the run.

    Raises
    ------
    ValueError
        An unknown model, a model file or module that cannot be loaded or
        lacks ``TRUTH`` or ``default_inputs``, counts that are not positive integers (nor
        ``"auto"`` for ``nsteps``), ``max_steps`` without ``nsteps="auto"``, fewer
        walkers than twice the model's parameters, a negative seed, or both
        ``resume`` and ``overwrite``.
    FileExistsError
        ``out`` holds outputs of an earlier run and neither ``resume`` nor
        ``overwrite`` is set.
    NotADirectoryError, FileNotFoundError
        ``out`` is a file, or its parent folder is missing.
    pgmsim.fit.backends.CheckpointError
        ``out/chain.h5`` exists and neither ``resume`` nor ``overwrite`` is
        set, is missing with ``resume``, is corrupt, or holds another run.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from pgmsim.cli import run_model
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "agn"
    >>> result = run_model("xray_agn", out, nsteps=20, progress=False,
    ...                    echo=lambda *lines: None)
    >>> sorted(p.name for p in out.iterdir())
    ['corner.png', 'diagnostics.ecsv', 'factorization.tex', 'mock.png', 'pgm.png', 'summary.ecsv']
    >>> result.chain.shape
    (20, 32, 5)

    A second run into the same folder would replace the first one's outputs:

    >>> run_model("xray_agn", out, nsteps=20)
    Traceback (most recent call last):
      ...
    FileExistsError: out='...agn' already holds corner.png, ... pass overwrite=True ...
    """
    import matplotlib.pyplot as plt

    import pgmsim as pg
    from .astro.plots import image_comparison

    from .fit._run_length import check_run_length

    check_run_length(nsteps, max_steps)
    check_count("nwalkers", nwalkers)
    check_count("seed", seed, minimum=0)
    source = load_model(name, MODELS)
    source.require("TRUTH", "by run to simulate the mock it fits")
    out = check_output_folder(out)
    stored = out / "chain.h5"
    _check_earlier_run(out, stored, checkpoint, resume, overwrite)
    model, inputs = default_mock(source, seed)
    truth = source.module.TRUTH
    sim = model.simulate(inputs=inputs, params=truth, seed=seed)
    data = {n: sim[n] for n in model.names("data")}
    post = model.posterior(data=data, inputs=inputs)
    if nwalkers < 2 * post.ndim:
        raise ValueError(f"nwalkers must be at least twice the {post.ndim} parameters of "
                         f"model {name!r}, i.e. {2 * post.ndim} or more, got {nwalkers}")
    if resume:
        _check_resumable(stored, post, nwalkers)
    out.mkdir(exist_ok=True)

    factorization = model.factorization(verbose=True)
    echo(f"Model {model.name}: {source.description}\n")
    echo(str(factorization) + "\n")
    (out / "factorization.tex").write_text(
        "% joint density of the pgmsim model " + model.name + "\n"
        "\\[\n" + factorization.latex + "\n\\]\n")
    pgm = model.render()
    pgm.savefig(out / "pgm.png")
    plt.close(pgm.figure)

    backend = None
    if checkpoint or resume:
        from .fit.backends import Checkpoint

        backend = Checkpoint(stored, overwrite=overwrite)
    found = None
    if resume:
        echo(f"resuming the run stored in {backend.filename}")
    else:
        started = time.perf_counter()
        guess = (source.call("initial_guess", inputs, data)
                 if source.has("initial_guess") else None)
        found = post.find_map(initial=guess, seed=seed)
        echo(f"MAP found in {time.perf_counter() - started:.1f} s: "
             + ", ".join(f"{k}={np.array2string(np.asarray(v), precision=4)}"
                   for k, v in found.params.items()))
    with warnings.catch_warnings():
        # the same lines are printed below, after the summary
        warnings.simplefilter("ignore", pg.ConvergenceWarning)
        result = pg.sample(post, nwalkers=nwalkers, nsteps=nsteps, seed=seed, initial=found,
                           progress=progress, backend=backend, resume=resume,
                           max_steps=max_steps)
    summary = result.summary()
    summary.write(out / "summary.ecsv", overwrite=True)
    diagnostics = result.diagnostics()
    diagnostics.write(out / "diagnostics.ecsv", overwrite=True)
    echo(f"\nPosterior summary ({result!r}):")
    echo("\n".join(summary.pformat(max_width=-1)))
    echo("\n" + _convergence_report(result, diagnostics))
    echo("\ntruth: " + ", ".join(f"{k}={v}" for k, v in truth.items()))

    fig = result.corner(truths=truth)
    fig.savefig(out / "corner.png", dpi=100)
    plt.close(fig)
    if any(plate.shape is not None for plate in model.plates.values()):
        median = post.unpack(np.median(result.flat_samples(), axis=0))
        replica = model.simulate(inputs=inputs, params=median, seed=seed + 1)
        data_node = model.names("data")[0]
        view = getattr(source.module, "view_image", lambda image, inputs: image)
        observed, simulated = (view(model.image(values, fill=0.0), inputs)
                               for values in (sim[data_node], replica[data_node]))
        fig = image_comparison(observed, simulated,
                               titles=("observed (mock)", "simulated at posterior median",
                                       "difference"))
        fig.savefig(out / "mock.png", dpi=100)  # a Figure outside pyplot: nothing to close
    echo(f"\nwrote {', '.join(sorted(p.name for p in out.iterdir()))} to {out}/")
    return result


def _convergence_report(result, diagnostics):
    """The problems of a run, as the warning lists them, or one line saying it converged."""
    problems = diagnostics.meta["problems"]
    stopped = result.meta["run_length"]
    if stopped["stopped"] == "max_steps":
        problems = [f"nsteps=auto stopped at max_steps={stopped['max_steps']} before the "
                    "chain was long enough; pass a larger max_steps", *problems]
    if problems:
        return "the run is not converged:\n" + "\n".join(f"- {p}" for p in problems)
    return (f"converged: {result.nsteps} steps, burn-in {diagnostics['burn_in'][0]}, "
            f"largest tau {np.max(diagnostics['tau']):.1f}, smallest bulk ESS "
            f"{np.min(diagnostics['ess_bulk']):.0f}, largest R-hat "
            f"{np.max(diagnostics['r_hat']):.3f}")


def _check_earlier_run(out, stored, checkpoint, resume, overwrite):
    """Refuse to resume nothing, or to replace an earlier run without ``overwrite``."""
    from .fit.backends import CheckpointError

    if resume and overwrite:
        raise ValueError("resume=True continues the run stored in "
                         f"'{stored}' and overwrite=True replaces it: pass one of them")
    if resume and not stored.exists():
        raise CheckpointError(f"cannot resume: checkpoint file '{stored}' does not exist; "
                              "start the run without resume=True", stored)
    if not (resume or overwrite):
        if checkpoint and stored.exists():
            raise CheckpointError(
                f"'{stored}' holds the chain of an earlier run: pass resume=True to "
                "continue it, or overwrite=True to start again", stored)
        earlier = [n for n in sorted(OUTPUTS) if (out / n).exists()]
        if earlier:
            raise FileExistsError(
                f"out={str(out)!r} already holds {', '.join(earlier)} of an earlier run: "
                "pass overwrite=True to replace them, or choose another folder")


def _check_resumable(stored, post, nwalkers):
    """Refuse, before anything is written, a checkpoint that cannot be resumed."""
    from .fit.backends import CheckpointError, load_result

    try:
        walkers = load_result(stored, posterior=post).meta["nwalkers"]
    except CheckpointError as err:
        if "other data or fixed inputs" not in str(err):
            raise
        # the mock data and inputs follow from the model and the seed
        raise CheckpointError(f"{err}; resume with the seed of the run that made it",
                              stored) from err
    if walkers != nwalkers:
        raise CheckpointError(f"checkpoint file '{stored}' holds a run with {walkers} "
                              f"walkers; resume it with nwalkers={walkers}, not {nwalkers}",
                              stored)


def _parser():
    parser = Parser(
        prog="pgmsim",
        description="Probabilistic graphical models for astronomy: one graph, four "
                    "uses (simulate, factorization, PGM drawing, posterior sampling).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add_run_options(p, nsteps):
        p.add_argument("--out", default="demo_output",
                       help="output folder, in an existing folder (default: %(default)s)")
        p.add_argument("--nsteps", type=steps_argument, default=nsteps,
                       help="emcee steps, or auto: until the chain is 50 autocorrelation "
                            "times long after the burn-in (default: %(default)s)")
        p.add_argument("--max-steps", type=int, default=None,
                       help="the most steps of an --nsteps auto run (default: 100000)")
        p.add_argument("--nwalkers", type=int, default=32,
                       help="emcee walkers, at least 2 per parameter (default: %(default)s)")
        p.add_argument("--seed", type=int, default=0,
                       help="random seed, >= 0 (default: %(default)s)")
        p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        p.add_argument("--overwrite", action="store_true",
                       help="replace the outputs of an earlier run in OUT")
        p.set_defaults(handler=_run, parser=p)

    demo = commands.add_parser(
        "demo", help="run the X-ray AGN demo on mock data",
        description="Simulate a mock X-ray postage stamp of an AGN, print the "
                    "factorization, draw the PGM, sample the posterior with emcee and "
                    "write pgm.png, mock.png, corner.png, summary.ecsv and "
                    "factorization.tex.")
    add_run_options(demo, 5000)
    commands.add_parser("list", help="list the ready-made models")
    run = commands.add_parser("run", help="run a model on its default mock",
                              description="Same outputs as the demo, for any model.")
    run.add_argument("name", help=MODEL_HELP)
    add_run_options(run, 2000)
    run.add_argument("--resume", action="store_true",
                     help="continue the run checkpointed in OUT/chain.h5 up to NSTEPS "
                          "steps, and replace its figures and summary")
    run.add_argument("--no-checkpoint", action="store_true",
                     help="do not store the chain in OUT/chain.h5 as it grows")
    render = commands.add_parser("render", help="draw a model's PGM")
    render.add_argument("name", help=MODEL_HELP)
    render.add_argument("-o", "--output", default="pgm.png",
                        help="image file, PNG, PDF or SVG, or .tex for tikz-bayesnet "
                             "source (default: %(default)s)")
    render.add_argument("--standalone", action="store_true",
                        help="with a .tex OUTPUT: a whole document that compiles alone")
    render.add_argument("--forward", action="store_true",
                        help="draw data as unobserved (the mock-data view)")
    render.add_argument("--overwrite", action="store_true",
                        help="replace an existing OUTPUT file")
    render.set_defaults(handler=_render, parser=render)
    simulate = commands.add_parser("simulate", help="simulate a model's default mock")
    simulate.add_argument("name", help=MODEL_HELP)
    simulate.add_argument("-o", "--output", default="mock.fits",
                          help="FITS file with one table row per plate element "
                               "(default: %(default)s)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed, >= 0")
    simulate.add_argument("--overwrite", action="store_true",
                          help="replace an existing OUTPUT file")
    simulate.set_defaults(handler=_simulate, parser=simulate)
    from ._cli_many import add_commands  # sbc, fit-many: many fits on an engine

    add_commands(commands)
    from ._cli_compare import add_command as add_compare  # evidence and LOO

    add_compare(commands)
    return parser


def _run(args):
    import matplotlib

    matplotlib.use("Agg")
    name = "xray_agn" if args.command == "demo" else args.name
    stored = {} if args.command == "demo" else {
        "checkpoint": not args.no_checkpoint, "resume": args.resume}
    run_model(name, args.out, nsteps=args.nsteps, nwalkers=args.nwalkers, seed=args.seed,
              progress=not args.no_progress, overwrite=args.overwrite,
              max_steps=args.max_steps, **stored)


def _render(args):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backend_bases import FigureCanvasBase

    source = load_model(args.name, MODELS)
    output = check_output_file(args.output,
                               sorted(FigureCanvasBase.get_supported_filetypes()) + ["tex"],
                               overwrite=args.overwrite)
    tikz = output.suffix.lower() == ".tex"
    if args.standalone and not tikz:
        raise ValueError(f"--standalone makes a LaTeX document: name the --output file "
                         f"*.tex, not {output.name!r}")
    if tikz:
        output.write_text(source.build().render(observed=not args.forward, format="tikz",
                                                standalone=args.standalone))
    else:
        source.build().render(observed=not args.forward).savefig(output)
    print(f"wrote {output}")


def _simulate(args):
    from astropy.io import fits
    from astropy.table import Table

    check_count("seed", args.seed, minimum=0)
    source = load_model(args.name, MODELS)
    output = check_output_file(args.output, FITS_SUFFIXES, overwrite=args.overwrite)
    model, inputs = default_mock(source, args.seed)
    # without TRUTH, the parameters are drawn from their priors
    sim = model.simulate(inputs=inputs, params=getattr(source.module, "TRUTH", None),
                         seed=args.seed)
    tables = {}
    for name, value in sim.items():
        plate = model.node(name).plate
        tables.setdefault(plate, {})[name] = np.atleast_1d(value)
    hdus = [fits.PrimaryHDU()]
    scalars = tables.pop(None, {})
    header = hdus[0].header
    header["MODEL"] = model.name
    header["SEED"] = args.seed
    for name, value in scalars.items():
        header[f"HIERARCH {name}"] = float(value[0])
    for plate, columns in tables.items():
        hdu = fits.table_to_hdu(Table(columns))
        hdu.name = plate.upper()
        hdus.append(hdu)
    fits.HDUList(hdus).writeto(output, overwrite=args.overwrite)
    print(f"wrote {output}: " + ", ".join(f"{k}" for k in sim))


def main(argv=None):
    """Entry point of the ``pgmsim`` command.

    A mistake of the user (a bad count, seed, model name, output path or
    checkpoint) ends the command with one line on stderr, ``pgmsim COMMAND:
    error: MESSAGE``, naming the flag or file, and exit status 2, before
    anything is written. No existing file is replaced without ``--overwrite``.

    Parameters
    ----------
    argv : list of str, optional
        The command-line arguments after ``pgmsim``; ``sys.argv[1:]`` by
        default.

    Returns
    -------
    int
        The exit status, 0 on success.

    Raises
    ------
    SystemExit
        For ``--help`` (status 0), and for a mistake (status 2; the text of
        the exception is the line printed on stderr).

    Examples
    --------
    ``pgmsim list`` prints one line per ready-made model:

    >>> import contextlib, io
    >>> from pgmsim.cli import main
    >>> printed = io.StringIO()
    >>> with contextlib.redirect_stdout(printed):
    ...     status = main(["list"])
    >>> status, "xray_agn " in printed.getvalue()
    (0, True)

    A mistake is one line on stderr and exit status 2:

    >>> with contextlib.redirect_stderr(io.StringIO()):
    ...     main(["run", "xray_agn", "--nsteps", "-5"])
    Traceback (most recent call last):
      ...
    pgmsim._cli_checks.UsageError: pgmsim run: error: --nsteps must be a positive integer, got -5
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "list":
        for name in MODELS:
            print(f"{name:22s} {_load(name).DESCRIPTION}")
        return 0
    try:
        args.handler(args)
    except ModelSourceError as err:
        # names the file or module; its words (seed=...) are not the flags
        args.parser.error(err)
    except (ValueError, TypeError, OSError) as err:
        # the user's mistakes, as the library reports them (CheckpointError and
        # ModelError are ValueErrors); said in terms of the flags
        args.parser.error(speak_of_flags(err))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
