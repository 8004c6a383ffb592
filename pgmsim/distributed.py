"""Many independent fits on any engine: serial, a local pool, or a Dask cluster.

Every many-fit workload (:func:`fit_many` here, :func:`pgmsim.sbc`) is a list
of tasks, one fit each, run by :func:`run_tasks` on the engine given as
``executor``:

- ``None``: one after the other, in this process;
- a :class:`concurrent.futures.Executor` (``ProcessPoolExecutor``,
  ``ThreadPoolExecutor``): a local pool. A process pool sends each task with
  :mod:`pickle`, so the model's functions must be defined at module level;
- a ``dask.distributed.Client``: a Dask cluster, local
  (``LocalCluster``) or on a batch system (``dask-jobqueue``); Dask sends
  tasks with cloudpickle (closures too), shows a dashboard, and retries a
  task elsewhere when its worker dies.

Task ``i`` draws its random numbers from the ``i``-th child of
``numpy.random.SeedSequence(seed)``, so the results do not depend on the
engine, the number of workers or the order in which tasks finish: the same
seed gives bit-identical results on every engine.

With ``store=``, each result is written to a results store
(:class:`pgmsim.fit.store.ResultsStore`, one HDF5 file per run) as its task
finishes; the same call with ``resume=True`` after an interruption skips the
tasks stored and gives the results of an uninterrupted run.
"""

from __future__ import annotations

import concurrent.futures
import functools
import json
import logging
import os
import pickle
import socket
import sys
import time
import warnings

import numpy as np

from ._model_source import import_model_files, loaded_model_files

__all__ = ["run_tasks", "fit_many", "describe_model"]

logger = logging.getLogger(__name__)


def _is_dask_client(executor):
    distributed = sys.modules.get("distributed")  # loaded if a Client was made
    return distributed is not None and isinstance(executor, distributed.Client)


def _pickled_payload(executor, payload):
    """The payload as its workers receive it (None in this process); refuses an
    unknown engine, and a payload that cannot reach its workers."""
    if executor is None or isinstance(executor, concurrent.futures.ThreadPoolExecutor):
        return None
    if _is_dask_client(executor):
        import cloudpickle as dumper

        _model_files_by_value()
    elif isinstance(executor, concurrent.futures.Executor):
        dumper = pickle
    else:
        raise TypeError("executor must be a dask.distributed.Client, a "
                        f"concurrent.futures.Executor or None, got {type(executor).__name__}")
    try:
        return dumper.dumps(payload)
    except (pickle.PicklingError, AttributeError, TypeError) as err:
        raise TypeError(
            f"the model cannot be sent to worker processes: {err}; define its functions "
            "at module level, or use a dask.distributed.Client (which sends closures "
            "too)") from err


def _model_files_by_value():
    """Have cloudpickle send the functions of model files by value.

    A model file is imported under a name made up here, which no worker can
    import; by value, the functions reach workers on any machine.
    """
    import cloudpickle

    for name in loaded_model_files():
        cloudpickle.register_pickle_by_value(sys.modules[name])


@functools.lru_cache(maxsize=4)
def _unpickled_payload(blob):
    """The payload, unpickled once per worker process (not once per task)."""
    return pickle.loads(blob)


def _call(task, payload, index, seed_sequence, argument):
    """Run one task on a worker; add its wall time and the worker's name."""
    started = time.perf_counter()
    record = task(payload, index, seed_sequence, argument)
    record["wall_s"] = time.perf_counter() - started
    record["worker"] = f"{socket.gethostname()}:{os.getpid()}"
    return record


def _call_pickled(files, payload_blob, call_blob):
    """:func:`_call` of a task that travelled as bytes.

    Unpickled here, inside the task, what a worker cannot import (a module
    only the client has) is an error of this task, which comes back to the
    client; unpickled by Dask on its way in, it would break the worker's
    connection, and Dask would restart the worker for ever.
    """
    import_model_files(files)
    task, *per_task = pickle.loads(call_blob)
    return _call(task, _unpickled_payload(payload_blob), *per_task)


def _submitted(executor, todo, task, call, payload, payload_blob):
    """Futures of the tasks to run, and an iterator over them as they finish.

    ``call(index)`` gives what task ``index`` gets besides the payload.
    """
    if _is_dask_client(executor):
        import cloudpickle
        from distributed import as_completed

        # the payload travels once to each worker, not with every task; under a key of
        # this run's own (hash=False): a key named by its content is shared with other
        # clients, and released under this run when one of them leaves
        shared = executor.scatter(payload_blob, broadcast=True, hash=False)
        futures = {executor.submit(_call_pickled, {}, shared,
                                   cloudpickle.dumps((task, *call(index))), pure=False): index
                   for index in todo}
        return futures, as_completed(futures)
    if payload_blob is None:  # threads share this process's objects
        futures = {executor.submit(_call, task, payload, *call(index)): index
                   for index in todo}
    else:
        files = loaded_model_files()
        futures = {executor.submit(_call_pickled, files, payload_blob,
                                   pickle.dumps((task, *call(index)))): index
                   for index in todo}
    return futures, concurrent.futures.as_completed(futures)


def _scheduler_lost(err):
    """Whether ``err`` is how Dask says that the client lost its scheduler.

    The client cancels every future it waits for (``FutureCancelledError``,
    reason ``scheduler-connection-lost``), or a result on its way breaks off
    (``CommClosedError``); its workers close themselves.
    """
    from distributed.comm import CommClosedError

    if isinstance(err, concurrent.futures.CancelledError):  # Dask < 2024 gives no reason
        return getattr(err, "reason", "scheduler-connection-lost") == "scheduler-connection-lost"
    return isinstance(err, CommClosedError)


def _lost_message(err, n_finished, n_tasks, store):
    """What happened, what is kept, and how to go on."""
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    said = (f"the connection to the Dask scheduler was lost after {n_finished} of "
            f"{n_tasks} tasks ({reason}); ")
    if store is None:
        return said + ("the finished tasks are lost with it: pass store= to keep them, "
                       "and resume=True to go on after such a loss")
    return said + (f"the finished tasks are in the results store '{store.filename}': run "
                   "the same call with resume=True once a scheduler and its workers are "
                   "up again")


def _announce_dashboard(executor, progress):
    try:
        link = executor.dashboard_link
    except (AttributeError, KeyError):  # a cluster started without a dashboard
        return
    logger.info("Dask dashboard: %s", link)
    if progress:
        print(f"Dask dashboard: {link}", file=sys.stderr)


def run_tasks(task, payload, n_tasks, *, seed, arguments=None, executor=None, store=None,
              progress=False, desc="tasks"):
    """Run ``task`` for indexes ``0`` to ``n_tasks - 1`` on an engine; results by index.

    Parameters
    ----------
    task : callable
        A module-level function ``task(payload, index, seed_sequence,
        argument) -> dict`` (the record of the task: numbers, arrays, text).
    payload : object
        What every task needs (models, settings); sent to the workers.
    n_tasks : int
        Number of tasks.
    seed : int or None
        Task ``i`` gets the ``i``-th child of ``numpy.random.SeedSequence(seed)``.
    arguments : sequence, optional
        One argument per task (e.g. its dataset), sent with that task only;
        ``None`` for every task by default.
    executor : None, concurrent.futures.Executor or dask.distributed.Client
        The engine (see the module notes).
    store : pgmsim.fit.store.ResultsStore, optional
        Where each record is written as its task finishes; its tasks
        already stored are not run again.
    progress : bool
        Show a progress bar of finished tasks (and the Dask dashboard link).
    desc : str
        Label of the progress bar.

    Returns
    -------
    list of dict
        The records in index order, each with ``wall_s`` (seconds the task
        ran) and ``worker`` (``host:pid``) added.

    Raises
    ------
    TypeError
        An unknown executor, or a payload that cannot be pickled for it.
    ConnectionError
        The Dask client lost its scheduler (killed, restarted, unreachable):
        the message says how many tasks finished and how to resume.

    Examples
    --------
    >>> def square(payload, index, seed_sequence, argument):
    ...     return {"value": payload * index}
    >>> [r["value"] for r in run_tasks(square, 10, 3, seed=1)]
    [0, 10, 20]
    """
    from tqdm.auto import tqdm

    payload_blob = _pickled_payload(executor, payload)
    seeds = np.random.SeedSequence(seed).spawn(int(n_tasks))
    arguments = [None] * int(n_tasks) if arguments is None else list(arguments)
    records = store.read() if store is not None else {}
    todo = [i for i in range(int(n_tasks)) if i not in records]

    def call(index):
        return index, seeds[index], arguments[index]

    bar = tqdm(total=int(n_tasks), initial=int(n_tasks) - len(todo), desc=desc,
               disable=not progress)
    futures = {}
    try:
        if executor is None:
            finished = ((index, _call(task, payload, *call(index))) for index in todo)
        else:
            if _is_dask_client(executor):
                _announce_dashboard(executor, progress)
            futures, done = _submitted(executor, todo, task, call, payload,
                                        payload_blob)
            finished = ((futures[future], future.result()) for future in done)
        for index, record in finished:
            if store is not None:
                store.write(index, record)
            records[index] = record
            bar.update(1)
    except (concurrent.futures.CancelledError, OSError) as err:
        if not (_is_dask_client(executor) and _scheduler_lost(err)):
            raise
        raise ConnectionError(_lost_message(err, len(records), int(n_tasks), store)) from err
    finally:
        bar.close()
        for future in futures:  # after a failure: the other tasks are not wanted
            future.cancel()
    return [records[i] for i in range(int(n_tasks))]


def describe_model(model):
    """What identifies a model in a run's fingerprint: name, distributions, code.

    Parameters
    ----------
    model : pgmsim.Model or None

    Returns
    -------
    dict or None
        ``name``, ``distributions`` (every stochastic node's, as text) and
        ``code`` (SHA-256 of each deterministic node's function source).

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("rate")
    >>> _ = m.param("lam", pg.Gamma(3.0, 1.0))
    >>> describe_model(m)["distributions"]
    {'lam': 'Gamma(3.0, 1.0)'}
    """
    if model is None:
        return None
    from .fit._code_fingerprint import model_code_fingerprints

    return {"name": str(model.name),
            "distributions": {name: repr(model.node(name).distribution)
                              for name in model.order
                              if model.node(name).distribution is not None},
            "code": model_code_fingerprints(model)}


def _describe_callable(function):
    """A callable by name (and a partial's arguments): the same in every process."""
    if isinstance(function, functools.partial):
        return {"function": _describe_callable(function.func), "args": list(function.args),
                "keywords": dict(function.keywords)}
    name = getattr(function, "__qualname__", type(function).__qualname__)
    return f"{getattr(function, '__module__', '')}.{name}"


def _check_item(item, where):
    if not isinstance(item, dict) or "data" not in item \
            or not set(item) <= {"data", "inputs", "model"}:
        raise ValueError(f"{where} must be a dict with keys 'data' (and optionally "
                         f"'inputs', 'model'), got {item!r:.120}")
    return item


def _fit_one(job, index, seed_sequence, item):
    """One fit: the item's posterior, its MAP, an emcee run, the summary row."""
    from .fit.diagnostics import ConvergenceWarning
    from .fit.optimize import MapWarning
    from .fit.sampling import sample

    if item is None:
        item = _check_item(job["load"](index), f"load({index})")
    model = item.get("model", job["model"])
    post = model.posterior(data=item["data"], inputs=item.get("inputs"))
    rng = np.random.default_rng(seed_sequence)
    initial = None
    if job["initial"] == "map":
        with warnings.catch_warnings():
            # the MAP is only where the walkers start; the chain explores from it
            warnings.simplefilter("ignore", MapWarning)
            initial = post.find_map(seed=rng)
    with warnings.catch_warnings():
        # the verdict is the row's `converged` column, not a warning per item
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = sample(post, nwalkers=job["nwalkers"], nsteps=job["nsteps"], seed=rng,
                        initial=initial, progress=False)
        summary = result.summary()
        converged = result.converged
    return {"param_names": json.dumps(list(post.param_names)),
            "median": np.asarray(summary["median"]), "lower": np.asarray(summary["lower"]),
            "upper": np.asarray(summary["upper"]), "ess_min": float(np.min(summary["ess"])),
            "converged": bool(converged)}


def _table(records):
    from astropy.table import Table

    names = json.loads(records[0]["param_names"])
    columns = {"index": np.arange(len(records))}
    for k, name in enumerate(names):
        for stat in ("median", "lower", "upper"):
            columns[f"{name}_{stat}"] = [r[stat][k] for r in records]
    for key in ("ess_min", "converged", "wall_s", "worker"):
        columns[key] = [r[key] for r in records]
    table = Table(columns)
    for name in table.colnames:
        if table[name].dtype.kind == "f":
            table[name].format = ".4g"
    table.meta["param_names"] = names
    return table


def fit_many(model, datasets, *, n_items=None, nwalkers=32, nsteps=2000, initial="map",
             seed=None, executor=None, store=None, resume=False, progress=False):
    """Fit one model to many datasets, one task per dataset, on any engine.

    Parameters
    ----------
    model : pgmsim.Model or None
        The model fitted to every item; ``None`` when every item carries its
        own (``"model"``).
    datasets : list of dict, or callable
        The items: each a dict ``{"data": {...}, "inputs": {...}, "model":
        Model}`` (``inputs`` and ``model`` optional), as
        :meth:`pgmsim.Model.posterior` takes them. Or a module-level function
        ``load(i)`` returning item ``i``, called on the worker (nothing but
        its name travels; e.g. one stamp per source of an image, see
        :func:`pgmsim.models.xray_agn.source_items`), with ``n_items``.
    n_items : int, optional
        Number of items of a ``load`` function.
    nwalkers, nsteps : int
        Size of each emcee run.
    initial : {"map", None}
        Walkers start around each item's MAP (default) or at prior draws.
    seed : int, optional
        Item ``i`` uses the ``i``-th child of ``numpy.random.SeedSequence(seed)``;
        needed with a ``store``.
    executor : None, concurrent.futures.Executor or dask.distributed.Client
        The engine (see the module notes).
    store : str or os.PathLike, optional
        HDF5 results store written as each fit finishes
        (:class:`pgmsim.fit.store.ResultsStore`).
    resume : bool
        Continue the run in ``store``: the items stored are not fitted again.
    progress : bool
        Show a progress bar of finished fits.

    Returns
    -------
    astropy.table.Table
        One row per item: ``index``, ``NAME_median``, ``NAME_lower``,
        ``NAME_upper`` (16th and 84th percentiles) per parameter, ``ess_min``
        (smallest effective sample size), ``converged``
        (:attr:`pgmsim.SamplingResult.converged`), ``wall_s`` and ``worker``
        (``host:pid``).

    Raises
    ------
    ValueError
        A bad item (names it), count or ``initial``, no seed with a store, or
        a store of another run (:class:`pgmsim.fit.store.StoreError`).
    TypeError
        An unknown executor, or a model that cannot be sent to its workers.

    Examples
    --------
    >>> import pgmsim as pg
    >>> m = pg.Model("rate")
    >>> _ = m.param("lam", pg.Gamma(3.0, 1.0))
    >>> _ = m.data("N", pg.Poisson("lam"), plate="obs")
    >>> items = [{"data": {"N": [2, 3, 4]}}, {"data": {"N": [9, 11, 10]}}]
    >>> table = pg.fit_many(m, items, nwalkers=4, nsteps=100, seed=1)
    >>> table.colnames[:4], len(table)
    (['index', 'lam_median', 'lam_lower', 'lam_upper'], 2)
    >>> bool(table["lam_median"][1] > table["lam_median"][0])
    True
    """
    from .fit.store import ResultsStore

    if initial not in ("map", None):
        raise ValueError(f"initial must be 'map' or None, got {initial!r}")
    for name, value in (("nwalkers", nwalkers), ("nsteps", nsteps)):
        if isinstance(value, bool) or int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if callable(datasets):
        if n_items is None or isinstance(n_items, bool) or int(n_items) != n_items \
                or n_items < 1:
            raise ValueError("n_items must be a positive integer with a load function "
                             f"as datasets, got {n_items!r}")
        items, load, n = None, datasets, int(n_items)
        described = _describe_callable(datasets)
    else:
        items = [_check_item(item, f"datasets[{i}]") for i, item in enumerate(datasets)]
        if not items:
            raise ValueError("datasets is empty: give at least one item")
        if model is None and any("model" not in item for item in items):
            raise ValueError("model is None, so every item needs its own 'model'")
        load, n = None, len(items)
        described = [{**item, "model": describe_model(item.get("model"))} for item in items]
    job = {"model": model, "load": load, "nwalkers": int(nwalkers), "nsteps": int(nsteps),
           "initial": initial}
    settings = {"model": describe_model(model), "datasets": described, "n_items": n,
                "nwalkers": int(nwalkers), "nsteps": int(nsteps), "initial": initial,
                "seed": seed}
    results = None
    if store is not None:
        if seed is None:
            raise ValueError("a run with a store needs a seed: seed=None draws new random "
                             "numbers at each call, so a resumed run could not repeat it")
        results = ResultsStore(store, "fit_many", settings, resume=resume)
    records = run_tasks(_fit_one, job, n, seed=seed, arguments=items, executor=executor,
                        store=results, progress=progress, desc="fits")
    table = _table(records)
    table.meta.update({k: v for k, v in settings.items() if k in ("nwalkers", "nsteps",
                                                                   "initial", "seed")})
    return table
