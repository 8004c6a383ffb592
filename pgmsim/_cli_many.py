"""The ``pgmsim sbc`` and ``pgmsim fit-many`` commands: many fits on an engine.

Both write into ``--out``: ``results.h5`` (the results store, one group per
finished fit, see :mod:`pgmsim.fit.store`) and ``summary.ecsv``; ``sbc`` also
``ranks.png``, the rank histograms. The fits run here, on ``--workers N``
local Dask worker processes, or on the Dask cluster whose scheduler is at
``--scheduler ADDRESS``. ``--resume`` continues an interrupted run.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ._cli_checks import check_count, check_output_folder, steps_argument

__all__ = ["add_commands", "STORE"]

#: the results store in the output folder
STORE = "results.h5"


def add_commands(commands):
    """Add the ``sbc`` and ``fit-many`` subcommands to the ``pgmsim`` parser.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subcommands of ``pgmsim``.

    Examples
    --------
    >>> from pgmsim.cli import main
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()):
    ...     main(["sbc", "xray_agn", "--workers", "2", "--scheduler", "x:1"])
    Traceback (most recent call last):
      ...
    pgmsim._cli_checks.UsageError: pgmsim sbc: error: argument --scheduler: not allowed with argument --workers
    """
    def add_engine_options(p, nsteps):
        p.add_argument("name", help="model name (see `pgmsim list`)")
        p.add_argument("--out", required=True,
                       help=f"output folder, in an existing folder: {STORE}, summary.ecsv")
        engine = p.add_mutually_exclusive_group()
        engine.add_argument("--workers", type=int, default=None,
                            help="start N local Dask worker processes (default: run here)")
        engine.add_argument("--scheduler", default=None,
                            help="address of a running Dask scheduler, e.g. tcp://host:8786")
        p.add_argument("--resume", action="store_true",
                       help=f"continue the run stored in OUT/{STORE}")
        p.add_argument("--nsteps", type=steps_argument, default=nsteps,
                       help="emcee steps per fit (default: %(default)s)")
        p.add_argument("--nwalkers", type=int, default=32,
                       help="emcee walkers per fit (default: %(default)s)")
        p.add_argument("--seed", type=int, default=0, help="random seed, >= 0 (default: 0)")
        p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
        p.set_defaults(parser=p)

    sbc = commands.add_parser(
        "sbc", help="simulation-based calibration of a ready-made model",
        description="Draw parameters from the prior, simulate, fit, and test the ranks of "
                    "the truths; writes results.h5, ranks.png and summary.ecsv.")
    add_engine_options(sbc, 1000)
    sbc.add_argument("--n-sims", type=int, required=True, help="number of simulations")
    sbc.add_argument("--thin", type=int, default=10,
                     help="keep every THIN-th step after burn-in (default: %(default)s)")
    sbc.set_defaults(handler=_sbc)
    many = commands.add_parser(
        "fit-many", help="fit a ready-made model to many datasets",
        description="Fit every source of the model's real data (xray_agn: the A1835 point "
                    "sources), or N mocks simulated from the prior; writes results.h5 and "
                    "summary.ecsv, one row per item.")
    add_engine_options(many, 2000)
    many.add_argument("--n-items", type=int, default=None,
                      help="fit the first N items (default: every source; mocks: 10)")
    many.set_defaults(handler=_fit_many)


@contextlib.contextmanager
def _engine(args):
    """The executor the flags ask for: None, local Dask workers or a scheduler."""
    if args.workers is None and args.scheduler is None:
        yield None
        return
    flag = "--workers" if args.workers is not None else "--scheduler"
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise ValueError(f"{flag} needs Dask: pip install 'pgmsim[distributed]'") from err
    if args.scheduler is not None:
        try:
            client = Client(args.scheduler, timeout=10)
        except (OSError, ValueError, TypeError) as err:
            raise ValueError(f"--scheduler {args.scheduler}: no Dask scheduler answers "
                             f"there: {err}") from err
        with client:
            yield client
        return
    # the dashboard on a free port (printed with the progress bar): 8787 may be taken
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        yield client


def _prepare(args, count_flag, count):
    """Check the common flags, and the store against --resume; the output folder."""
    for flag, value, minimum in (("--nwalkers", args.nwalkers, 1), ("--seed", args.seed, 0),
                                 (count_flag, count, 1)):
        check_count(flag, value, minimum=minimum)
    if args.nsteps == "auto":
        raise ValueError("--nsteps must be a number of steps here: every fit of the run "
                         "has the same length")
    check_count("--nsteps", args.nsteps)
    if args.workers is not None:
        check_count("--workers", args.workers)
    out = check_output_folder(args.out)
    store = out / STORE
    if args.resume and not store.exists():
        raise ValueError(f"--resume: there is no results store '{store}' to continue; "
                         "start the run without --resume")
    out.mkdir(exist_ok=True)
    return out, store


def _sbc(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import pgmsim as pg
    from .cli import default_mock

    check_count("--thin", args.thin)
    out, store = _prepare(args, "--n-sims", args.n_sims)
    model, inputs = default_mock(args.name, args.seed)
    with _engine(args) as executor:
        result = pg.sbc(model, inputs, n_sims=args.n_sims, nwalkers=args.nwalkers,
                        nsteps=args.nsteps, thin=args.thin, seed=args.seed,
                        executor=executor, store=store, resume=args.resume,
                        progress=not args.no_progress)
    result.table().write(out / "summary.ecsv", overwrite=True)
    fig = result.plot()
    fig.savefig(out / "ranks.png", dpi=100)
    plt.close(fig)
    print(repr(result))
    print(f"wrote {STORE}, ranks.png, summary.ecsv to {out}/")


def _mock_items(model, inputs, n_items, seed):
    """``n_items`` datasets simulated from the prior, one seed each."""
    items = []
    for child in np.random.SeedSequence([seed, 1]).spawn(n_items):
        sim = model.simulate(inputs=inputs, seed=np.random.default_rng(child))
        items.append({"data": {n: sim[n] for n in model.names("data")}, "inputs": inputs})
    return items


def _fit_many(args):
    import pgmsim as pg
    from .cli import _load, default_mock

    if args.n_items is not None:
        check_count("--n-items", args.n_items)
    _, store = _prepare(args, "--n-items", 1 if args.n_items is None else args.n_items)
    module = _load(args.name)
    if hasattr(module, "source_items"):  # the model's real data
        load, n_sources = module.source_items()
        n_items = n_sources if args.n_items is None else args.n_items
        if n_items > n_sources:
            raise ValueError(f"--n-items {n_items}: model {args.name!r} has {n_sources} "
                             "sources")
        model, datasets = None, load
    else:
        n_items = 10 if args.n_items is None else args.n_items
        model, inputs = default_mock(args.name, args.seed)
        datasets = _mock_items(model, inputs, n_items, args.seed)
    with _engine(args) as executor:
        table = pg.fit_many(model, datasets, n_items=n_items, nwalkers=args.nwalkers,
                            nsteps=args.nsteps, seed=args.seed, executor=executor,
                            store=store, resume=args.resume,
                            progress=not args.no_progress)
    table.write(store.parent / "summary.ecsv", overwrite=True)
    print("\n".join(table.pformat(max_width=-1, max_lines=40)))
    print(f"{int(np.sum(table['converged']))} of {len(table)} fits converged; wrote "
          f"{STORE}, summary.ecsv to {store.parent}/")
