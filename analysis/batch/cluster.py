"""Briefs built on a Dask distributed cluster (`build --scheduler tcp://HOST:PORT`): one
task per brief, run by the cluster's workers (`dask scheduler`, `dask worker`), each
worker thread keeping a warm kernel for the briefs of one build.

Only the executing moves: the build checks the inputs, holds the lock, carries the
editions and publishes each brief here, as on one machine. So the workers must see the
output folder (where each brief's staging folder is), the notebook and the input tables
at the same paths as this machine, and have this package installed. A task whose worker
cannot see its staging folder fails with a message saying so.

Imported only when --scheduler is given: a build without it never imports Dask.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from ..exceptions import BuildError, ParameterError
from .execute import Worker, WorkerSettings
from .plan import BriefJob
from .workers import STARTING, Outcome, stage_seconds

SENT = "sent to the cluster"
CONNECT_TIMEOUT = "20s"

# On a cluster worker: one Worker per thread that runs briefs, for one build at a time.
_local = threading.local()
_all_workers: dict[int, tuple[str, Worker]] = {}
_all_lock = threading.Lock()


def _worker_for(build_id: str, settings: WorkerSettings) -> Worker:
    held = getattr(_local, "held", None)
    if held is not None and held[0] == build_id:
        return held[1]
    if held is not None:
        held[1].close()  # an earlier build's kernel: its code or limits may differ
    worker = Worker(settings)
    _local.held = (build_id, worker)
    with _all_lock:
        _all_workers[threading.get_ident()] = _local.held
    return worker


def build_on_worker(job: BriefJob, staging: Path, settings: WorkerSettings,
                    build_id: str) -> tuple[float, dict[str, float]]:
    """The task, run on a cluster worker: build one brief into `staging`. Returns its
    seconds and the seconds of each stage."""
    marks = [(STARTING, time.perf_counter())]
    if not staging.is_dir():
        raise BuildError(job.name, f"a Dask worker cannot see the staging folder {staging}: "
                                   "the output folder must be shared with the cluster's "
                                   "workers, at the same path")
    seconds = _worker_for(build_id, settings).build(
        job, staging, lambda stage: marks.append((stage, time.perf_counter())))
    return seconds, stage_seconds(marks)


def close_build(build_id: str) -> int:
    """Run on each cluster worker when a build ends: shut down its kernels. Returns how
    many it shut down."""
    with _all_lock:
        ending = [key for key, (held, _) in _all_workers.items() if held == build_id]
        workers = [_all_workers.pop(key)[1] for key in ending]
    for worker in workers:
        worker.close()
    return len(workers)


class ClusterWorkers:
    """The executor for a Dask cluster; the same `run` and context manager as
    `workers.LocalWorkers`."""

    def __init__(self, address: str, settings: WorkerSettings):
        try:
            from distributed import Client
        except ImportError as err:
            # Not installed, or installed but unable to load here: say which.
            raise ParameterError("--scheduler", address,
                                 f"needs Dask (pip install '.[cluster]'), which cannot be "
                                 f"imported: {err}") from None
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise ParameterError("--scheduler", address,
                                 f"no Dask scheduler answers there: {err}") from None
        self.settings = settings
        self.build_id = uuid.uuid4().hex

    def warm_up(self) -> None:
        """Nothing to do ahead: each cluster worker starts its kernel with its first
        brief, and keeps it for the build's later ones."""

    def run(self, tasks: list[tuple[BriefJob, Path]],
            on_stage: Callable[[str, str], None] = lambda name, stage: None,
            ) -> Iterator[Outcome]:
        from distributed import as_completed

        futures = {}
        for job, staging in tasks:
            future = self.client.submit(build_on_worker, job, staging, self.settings,
                                        self.build_id, pure=False,
                                        key=f"build-brief-{job.name}-{self.build_id}")
            futures[future] = (job, staging)
            on_stage(job.name, SENT)
        for future in as_completed(futures, loop=self.client.loop):
            job, staging = futures[future]
            try:
                seconds, timings = future.result()
            except BuildError as err:
                yield Outcome(job, staging, error=err)
            except Exception as err:  # a lost worker (KilledWorker), a broken connection
                yield Outcome(job, staging, error=BuildError(
                    job.name, f"the cluster could not build it: {type(err).__name__}: {err}"))
            else:
                yield Outcome(job, staging, seconds=seconds, timings=timings)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # workers that are gone have no kernel to stop
            self.client.run(close_build, self.build_id)
        self.client.close()

    def __enter__(self) -> ClusterWorkers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
