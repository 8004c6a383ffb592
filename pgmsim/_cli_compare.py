"""The ``pgmsim compare`` command: two models on the same mock, by evidence and LOO.

The mock is the first model's default mock, simulated at its ``TRUTH``; both
models are fitted to it with :func:`pgmsim.nested`, and :func:`pgmsim.compare`
prints the table and the sentence that says what it supports. A model is a
built-in name, ``path/to/model.py`` or ``package.module[:function]``.
"""

from __future__ import annotations

from ._cli_checks import check_count

__all__ = ["add_command"]

#: live points of each nested-sampling run, unless --nlive says otherwise
DEFAULT_NLIVE = 200


def add_command(commands):
    """Add the ``compare`` subcommand to the ``pgmsim`` parser.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subcommands of ``pgmsim``.

    Examples
    --------
    >>> from pgmsim.cli import main
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()):
    ...     main(["compare", "xray_agn", "xray_agn", "--nlive", "3"])
    Traceback (most recent call last):
      ...
    pgmsim._cli_checks.UsageError: pgmsim compare: error: --nlive must be at least 11 (2 x 5 parameters + 1) for nested sampling, got 3
    """
    from .cli import MODEL_HELP

    p = commands.add_parser(
        "compare", help="compare two models by evidence (nested sampling) and LOO",
        description="Fit both models to the first one's default mock with nested "
                    "sampling and print ln Z, PSIS-LOO and what they support.")
    p.add_argument("first", metavar="NAME1", help=MODEL_HELP + "; its mock is fitted")
    p.add_argument("second", metavar="NAME2", help=MODEL_HELP)
    p.add_argument("--nlive", type=int, default=DEFAULT_NLIVE,
                   help="live points of each run (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed, >= 0 (default: 0)")
    p.add_argument("--output", default=None, help="also write the table to this ECSV file")
    p.add_argument("--no-progress", action="store_true", help="hide dynesty's progress")
    p.set_defaults(handler=compare_command, parser=p)


def compare_command(args):
    """Run ``pgmsim compare`` with parsed arguments (see :func:`add_command`).

    Parameters
    ----------
    args : argparse.Namespace

    Raises
    ------
    ValueError
        A bad ``--nlive`` or ``--seed``, or a second model whose data or
        fixed inputs differ from the first's.

    Examples
    --------
    >>> import argparse, contextlib, io
    >>> args = argparse.Namespace(first="xray_agn", second="xray_agn", nlive=0, seed=0,
    ...                           output=None, no_progress=True)
    >>> compare_command(args)
    Traceback (most recent call last):
      ...
    ValueError: --nlive must be a positive integer, got 0
    """
    import pgmsim as pg
    from .cli import default_mock, load_model, MODELS

    check_count("--nlive", args.nlive)
    check_count("--seed", args.seed, minimum=0)
    first = load_model(args.first, MODELS)
    first.require("TRUTH", "by compare to simulate the mock both models fit")
    model, inputs = default_mock(first.module, seed=args.seed)
    mock = model.simulate(inputs=inputs, params=first.module.TRUTH, seed=args.seed)
    posteriors = {}
    for name in (args.first, args.second):
        other, _ = default_mock(load_model(name, MODELS).module, seed=args.seed)
        data = {n: mock[n] for n in other.names(pg.NodeKind.DATA) if n in mock}
        missing = [n for n in other.names(pg.NodeKind.DATA) if n not in mock]
        if missing:
            raise ValueError(f"model {name!r} has data node(s) {missing} that the mock of "
                             f"{args.first!r} does not have: compare models of the same data")
        used = {n: v for n, v in inputs.items() if n in other.names(pg.NodeKind.FIXED)}
        posteriors[name] = other.posterior(data=data, inputs=used)
    if args.first == args.second:
        posteriors = {f"{args.first} (1)": posteriors[args.first],
                      f"{args.second} (2)": posteriors[args.second]}
    results = {}
    for name, post in posteriors.items():
        smallest = 2 * post.ndim + 1
        if args.nlive < smallest:
            raise ValueError(f"--nlive must be at least {smallest} (2 x {post.ndim} "
                             f"parameters + 1) for nested sampling, got {args.nlive}")
        results[name] = pg.nested(post, nlive=args.nlive, seed=args.seed,
                                  progress=not args.no_progress)
    table = pg.compare(results)
    table.pprint(max_lines=-1, max_width=-1)  # every column, however narrow the terminal
    print(table.meta["verdict"])
    if args.output is not None:
        table.write(args.output, format="ascii.ecsv", overwrite=True)
        print(f"wrote {args.output}")
