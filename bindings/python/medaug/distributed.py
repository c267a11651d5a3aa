"""Dataset expansion at cluster scale on Dask or Ray.

Both functions run the plan of :func:`medaug.expand_dataset`
(:func:`medaug.expand_dataset_plan`) as tasks of step ranges: several ranges
per worker, each written by :func:`medaug.expand_dataset_steps` into a staging
folder beside the output, then the client assembles the manifest and renames
the folder into place (:func:`medaug.expand_dataset_finish`). Each worker
process loads the generator once and keeps it for every range it writes.

Every new pair's seed derives from the run's seed and the pair's index, as in
:func:`medaug.expand_dataset`, so on the same CPU tier and ``threads`` per
task the output folder is byte-identical to the in-process expansion's,
whatever the scheduling. A failed run leaves no output: the staging folder is
removed when the engine gives up (a worker that dies is retried by the engine
first: Dask's scheduler reschedules its tasks, Ray restarts the actor).

The staging folder and the output must be reachable under the same path from
every worker (a shared file system on a multi-machine cluster).

Dask and Ray are optional: ``pip install 'medaug[dask]'`` or ``'medaug[ray]'``.
"""
from __future__ import annotations

import functools
import os
import pickle
import secrets
import shutil
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _ffi
from ._library import PathLike
from ._model import Model, load_model
from ._data import _invalid
from ._errors import CancelledError, Error
from ._staged import (ExpansionPlan, expand_dataset_finish, expand_dataset_plan, expand_dataset_steps,
                      make_staging_folder)

__all__ = ["DistributedExpansion", "expand_dataset_dask", "expand_dataset_ray"]


@dataclass(frozen=True)
class DistributedExpansion:
    """What a distributed expansion did."""

    output: str                  #: the dataset folder written
    steps: int                   #: new pairs made
    tasks: int                   #: step ranges run (retries not counted)
    workers: Dict[str, int]      #: ranges written per worker process, keyed "host/pid"
    seconds: float               #: wall time, planning to rename


# One copy of each generator per worker process, reused by every range it
# writes (keyed by the file's identity, so a replaced file is reloaded).
_models: Dict[Tuple[str, int, int], Model] = {}
_models_lock = threading.Lock()


def _worker_model(path: Optional[str]) -> Optional[Model]:
    if path is None:
        return None
    status = os.stat(path)
    key = (os.path.realpath(path), status.st_size, status.st_mtime_ns)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            model = _models[key] = load_model(path)
        return model


def _worker_name() -> str:
    return f"{socket.gethostname()}/{os.getpid()}"


def _write_range(first: int, count: int, *, input: str, staging: str, target: int, generator: Optional[str],
                 options: Dict[str, Any]) -> Tuple[int, int, str]:
    """One task: a range of steps, written into the staging folder."""
    expand_dataset_steps(input, staging, target, _worker_model(generator), first, count, **options)
    return first, count, _worker_name()


class _Run:
    """The client's side of one run: the plan, the staging folder, the
    progress count, and the finish (or the clean-up when anything fails)."""

    def __init__(self, input: PathLike, output: PathLike, target: int, generator: Any, overwrite: bool,
                 options: Dict[str, Any]):
        if isinstance(generator, Model):
            raise _invalid("generator must be a model file path (each worker loads its own copy), not a Model")
        options = dict(options)
        self.progress: Optional[Callable[[int, int], Any]] = options.pop("progress", None)
        self.started = time.monotonic()
        self.input, self.output = os.path.abspath(os.fspath(input)), os.path.abspath(os.fspath(output))
        self.generator = None if generator is None else os.path.abspath(os.fspath(generator))
        if self.generator is not None and not os.path.isfile(self.generator):
            raise _invalid(f"the generator '{self.generator}' is not a file")
        self.target, self.overwrite, self.options = target, overwrite, options
        self.threads = int(options.get("threads") or 1)
        self.plan: ExpansionPlan = expand_dataset_plan(self.input, target, **options)   # validates the options
        self.staging = make_staging_folder(self.output, overwrite)
        self.done = 0
        self.workers: Dict[str, int] = {}

    def ranges(self, workers: int, tasks_per_worker: int) -> List[Tuple[int, int]]:
        if not isinstance(tasks_per_worker, int) or isinstance(tasks_per_worker, bool) or tasks_per_worker < 1:
            raise _invalid(f"tasks_per_worker must be a positive int; got {tasks_per_worker!r}")
        return self.plan.ranges(max(1, workers) * tasks_per_worker) if self.plan.steps else []

    def task(self) -> Callable[[int, int], Tuple[int, int, str]]:
        return functools.partial(_write_range, input=self.input, staging=self.staging, target=self.target,
                                 generator=self.generator, options=self.options)

    def finished(self, count: int, worker: str) -> None:
        self.done += count
        self.workers[worker] = self.workers.get(worker, 0) + 1
        if self.progress is not None and self.progress(self.done, len(self.plan.steps)) is False:
            raise CancelledError("the expansion was cancelled; nothing was written", _ffi.MEDAUG_CANCELLED)

    def finish(self, tasks: int) -> DistributedExpansion:
        expand_dataset_finish(self.input, self.staging, self.output, self.target, overwrite=self.overwrite,
                              **self.options)
        return DistributedExpansion(self.output, len(self.plan.steps), tasks, dict(self.workers),
                                    time.monotonic() - self.started)

    def discard(self) -> None:
        # Renamed first: tasks still running elsewhere then fail to write
        # instead of filling the folder again while it is being removed.
        for folder in (self.staging, self.staging + ".steps-aside"):
            doomed = f"{folder}.discarded-{secrets.token_hex(4)}"
            try:
                os.rename(folder, doomed)
            except OSError:
                continue
            shutil.rmtree(doomed, ignore_errors=True)


def _engine(module: str, extra: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as error:
        raise ImportError(f"this needs {module.split('.')[0]}: pip install 'medaug[{extra}]'") from error


def expand_dataset_dask(input: PathLike, output: PathLike, target: int, generator: Optional[PathLike], *,
                        client: Any = None, overwrite: bool = False, tasks_per_worker: int = 4,
                        **options: Any) -> DistributedExpansion:
    """:func:`medaug.expand_dataset` on a Dask cluster.

    Args:
        input, output, target, overwrite: as :func:`medaug.expand_dataset`.
        generator: the generator's model file path (None only with ``generated_share=0``).
        client: a ``distributed.Client``; None: the current one, else a
            ``LocalCluster`` of single-threaded worker processes (one per ``threads``
            cores) for the duration of the call.
        tasks_per_worker: step ranges per worker (more balance the load, fewer cost
            less overhead).
        **options: those of :func:`medaug.expand_dataset`; ``threads`` is per task
            (byte identity with an in-process run needs the same value there), and
            ``progress(done, total)`` is called on the client as ranges finish.

    Returns:
        :class:`DistributedExpansion`. Raises what the failing task raised; the
        output is then not written.
    """
    distributed = _engine("distributed", "dask")
    run = _Run(input, output, target, generator, overwrite, options)
    cluster = None
    futures: List[Any] = []
    try:
        if client is None:
            try:
                client = distributed.get_client()
            except ValueError:
                cluster = distributed.LocalCluster(n_workers=max(1, (os.cpu_count() or 1) // run.threads),
                                                   threads_per_worker=1, processes=True, dashboard_address=None)
                client = distributed.Client(cluster)
        ranges = run.ranges(len(client.scheduler_info()["workers"]), tasks_per_worker)
        token = secrets.token_hex(6)
        futures = client.map(run.task(), [first for first, _ in ranges], [count for _, count in ranges],
                             key=[f"medaug-expand-{token}-{first}" for first, _ in ranges], pure=False)
        for future in distributed.as_completed(futures):
            _, count, worker = future.result()
            run.finished(count, worker)
        return run.finish(len(ranges))
    except BaseException:
        if futures and client is not None:
            client.cancel(futures)
        run.discard()
        raise
    finally:
        if cluster is not None:
            client.close()
            cluster.close()


class _RayRangeWriter:
    """A Ray Data actor: holds the generator, writes the ranges it is given."""

    def __init__(self, input: str, staging: str, target: int, generator: Optional[str], options: Dict[str, Any]):
        self.write = functools.partial(_write_range, input=input, staging=staging, target=target,
                                       generator=generator, options=options)
        self.failure: Optional[Error] = None
        try:
            _worker_model(generator)    # load once, before the first range
        except Error as failure:        # reported with the first range (a failing constructor is retried forever)
            self.failure = failure

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        import numpy as np
        rows: Dict[str, List[Any]] = {"first": [], "count": [], "worker": [], "error": []}
        for first, count in zip(batch["first"], batch["count"]):
            try:
                if self.failure is not None:
                    raise self.failure
                done = self.write(int(first), int(count))
                error = b""
            except Error as failure:
                # Returned, not raised: Ray Data would wrap it in its own
                # exception types and lose the medaug one the caller expects.
                done, error = (int(first), 0, _worker_name()), pickle.dumps(failure)
            for key, value in zip(rows, (*done, error)):
                rows[key].append(value)
        return {"first": np.array(rows["first"], dtype=np.int64), "count": np.array(rows["count"], dtype=np.int64),
                "worker": np.array(rows["worker"], dtype=object), "error": np.array(rows["error"], dtype=object)}


def expand_dataset_ray(input: PathLike, output: PathLike, target: int, generator: Optional[PathLike], *,
                       overwrite: bool = False, workers: Optional[int] = None, tasks_per_worker: int = 4,
                       **options: Any) -> DistributedExpansion:
    """:func:`medaug.expand_dataset` on Ray: Ray Data ``map_batches`` over an actor
    pool whose actors each hold the generator.

    Args:
        input, output, target, overwrite: as :func:`medaug.expand_dataset`.
        generator: the generator's model file path (None only with ``generated_share=0``).
        workers: actors in the pool; None: the cluster's CPUs divided by ``threads``.
            Ray is initialised with its defaults if it is not yet.
        tasks_per_worker: step ranges per actor.
        **options: those of :func:`medaug.expand_dataset`; ``threads`` is per actor
            (also its ``num_cpus``), ``progress(done, total)`` runs on the client.

    Returns:
        :class:`DistributedExpansion`. Raises what the failing task raised; the
        output is then not written.
    """
    ray = _engine("ray", "ray")
    data = _engine("ray.data", "ray")
    run = _Run(input, output, target, generator, overwrite, options)
    try:
        if not ray.is_initialized():
            ray.init()
        if workers is None:
            workers = max(1, int(ray.cluster_resources().get("CPU", 1)) // run.threads)
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise _invalid(f"workers must be a positive int; got {workers!r}")
        ranges = run.ranges(workers, tasks_per_worker)
        if ranges:
            dataset = data.from_items([{"first": first, "count": count} for first, count in ranges],
                                      override_num_blocks=len(ranges))
            written = dataset.map_batches(
                _RayRangeWriter, batch_size=1, compute=data.ActorPoolStrategy(size=min(workers, len(ranges))),
                num_cpus=run.threads, fn_constructor_kwargs={
                    "input": run.input, "staging": run.staging, "target": run.target,
                    "generator": run.generator, "options": run.options})
            for row in written.iter_rows():
                if row["error"]:
                    raise pickle.loads(row["error"])
                run.finished(int(row["count"]), str(row["worker"]))
        return run.finish(len(ranges))
    except BaseException:
        run.discard()
        raise

