"""Where briefs run on this machine: in `count` worker processes, started from a fork
server (clean: no threads or sockets inherited from the parent), each building brief
after brief on its own warm kernel, forked from the build's kernel template where the
system allows (see `kernel_template`).

Each worker talks to the parent through a pipe of its own, so failures stay apart. A
worker that is killed (SIGKILL, the out-of-memory killer, a crash inside a C library)
takes down its own brief only: the parent knows which brief it was and what stage it had
reached, because each worker reports its stages, and it starts another worker for the
briefs still waiting. (A shared pool cannot do this: when one of its processes dies, the
pool breaks and every brief in it fails.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from ..exceptions import BuildError, WorkerDiedError
from . import kernel_template
from .execute import WorkerSettings
from .plan import BriefJob

STARTING = "starting"


@dataclass
class Outcome:
    """How one brief ended: `seconds` when it was built, else `error`. `timings` gives
    the seconds spent in each stage, as the parent saw them (STARTING is the wait for a
    worker to be ready: its start-up and its kernel's, for the first brief it takes)."""

    job: BriefJob
    staging: Path
    seconds: float | None = None
    error: BuildError | None = None
    timings: dict[str, float] = field(default_factory=dict)


# Workers, and the kernels they start, run at a lower CPU priority than the build's own
# process. While the kernels start, that process checks the inputs, and every brief waits
# for the check: at a million rows, sharing two cores evenly with four starting processes
# made a 1.9 s check take 4.3 s, and the build 1.3 s longer. At the article's size the
# build takes as long either way: its briefs then wait for the kernels instead.
WORKER_NICENESS = 10


def _worker_process(serve: Callable, settings: WorkerSettings, conn, build: int) -> None:
    with contextlib.suppress(AttributeError, OSError):  # os.nice: POSIX only
        os.nice(WORKER_NICENESS)
    _stop_with(build)
    serve(settings, conn)


def _stop(signum, frame) -> None:
    # The notebook being run is cut short, and nbclient's tasks for it end as its kernel
    # is shut down: nbclient would log "Kernel died", and asyncio print each task's error
    # as unread, on the terminal of a build that has already said why it stopped.
    logging.disable()
    sys.unraisablehook = _stop_again
    sys.exit(128 + signum)


def _stop_again(unraisable) -> None:
    """A stop that landed in a finalizer or a weakref callback, whose exceptions Python
    prints and ignores: the worker would go on with its brief. The stop is raised again,
    once the finalizer is over, and nothing is printed."""
    if isinstance(unraisable.exc_value, SystemExit):
        # Sent from this hook, it would be handled in it, and ignored again; from a
        # thread, a little later, it reaches the main thread once the hook is over (and
        # should it land in a finalizer again, it comes back here).
        again = threading.Timer(0.05, signal.raise_signal, (signal.SIGTERM,))
        again.daemon = True
        again.start()
    else:
        sys.__unraisablehook__(unraisable)


def _stop_with(build: int) -> None:
    """Stop this worker, as an interrupted build stops it, when the process `build` ends
    without stopping it first (killed): a brief of minutes would otherwise go on running
    for nobody. Linux only (a pidfd); elsewhere the worker stops at its next report."""
    try:
        handle = os.pidfd_open(build)
    except (AttributeError, OSError):  # not Linux; or the build has gone, and the
        return  # worker's first read of its pipe ends it
    kernel_template.when_ended(handle, lambda: os.kill(os.getpid(), signal.SIGTERM),
                               "build watch")


class _BuildGone(Exception):
    """The build this worker reports to has ended: there is nobody left to tell."""


def _serve(settings: WorkerSettings, conn) -> None:
    """A worker: start a warm kernel, then build each brief the parent sends, telling it
    each stage and the result, until the parent sends None or goes away."""
    from .execute import Worker

    def tell(message) -> None:
        try:
            conn.send(message)
        except OSError:  # a broken pipe: the build was killed
            raise _BuildGone from None

    # Stopped by the parent (an interrupted build): shut the kernel down on the way out.
    signal.signal(signal.SIGTERM, _stop)
    worker = Worker(settings)
    try:
        with contextlib.suppress(Exception):  # if it fails, the first brief says why
            worker.start()  # now, so that the kernel warms up while the parent checks inputs
        while True:
            try:
                task = conn.recv()
            except EOFError:
                break
            if task is None:
                break
            job, staging = task
            try:
                seconds = worker.build(job, staging, lambda stage: tell(("stage", stage)))
                tell(("done", seconds))
            except _BuildGone:
                raise
            except BuildError as err:
                tell(("failed", err))
            except Exception as err:  # a library bug: one line, not a traceback
                tell(("failed", BuildError(job.name, f"{type(err).__name__}: {err}")))
    except _BuildGone:
        pass  # quietly: a traceback here would land on the terminal of a build that is gone
    finally:
        worker.close()
        conn.close()


def stage_seconds(marks: list[tuple[str, float]]) -> dict[str, float]:
    """The seconds spent in each stage, from the moment each began (the last one lasting
    until now)."""
    ends = [t for _, t in marks[1:]] + [time.perf_counter()]
    return {stage: round(end - start, 3)
            for (stage, start), end in zip(marks, ends, strict=True)}


@dataclass
class _Running:
    job: BriefJob
    staging: Path
    stage: str = STARTING
    marks: list[tuple[str, float]] = field(default_factory=list)

    def enter(self, stage: str) -> None:
        self.stage = stage
        self.marks.append((stage, time.perf_counter()))

    def timings(self) -> dict[str, float]:
        return stage_seconds(self.marks)


@dataclass
class _Slot:
    process: multiprocessing.process.BaseProcess
    conn: object
    running: _Running | None = None
    retired: bool = False  # told to stop once it is done


def start_kernel_template(settings: WorkerSettings, count: int | None = None,
                          ) -> kernel_template.KernelTemplate | None:
    """Start the process that this machine's workers fork their kernels from (see
    `kernel_template`), for `count` workers (None: `expect` says later); None where the
    system does not allow it, and each worker starts its kernel the usual way."""
    if not kernel_template.supported():
        return None
    # The workers' environment is the fork server's, as it was when it started. Started
    # now, it is the template's: a build that imports pandera before it starts its
    # workers (to expand a sweep) would otherwise give them two variables that pandera
    # sets on import, and the template would decline to fork their kernels.
    from multiprocessing import forkserver

    forkserver.ensure_running()
    try:
        return kernel_template.KernelTemplate({**os.environ, **settings.env},
                                              WORKER_NICENESS, count)
    except OSError:  # a socket path too long for the system, say
        return None


class LocalWorkers:
    """Up to `count` worker processes on this machine, started at once (their kernels
    warm up while the caller goes on), each building brief after brief. Use as a context
    manager: leaving it stops the workers and their kernels."""

    def __init__(self, count: int, settings: WorkerSettings,
                 template: kernel_template.KernelTemplate | None = None):
        """`template`: a kernel template that the caller started, and will close, before
        it knew how many workers there would be (see `start_kernel_template`)."""
        self._own_template = template is None
        if template is None:
            template = start_kernel_template(settings, count)
        else:
            template.expect(count)
        self._template = template
        if template is not None:
            settings = dataclasses.replace(settings, kernel_template=template.address)
        self.settings = settings
        self._context = multiprocessing.get_context("forkserver")
        self._slots: list[_Slot] = []
        for _ in range(count):
            self._start_worker()

    def _start_worker(self) -> _Slot:
        parent_end, worker_end = self._context.Pipe(duplex=True)
        process = self._context.Process(target=_worker_process,
                                        args=(_serve, self.settings, worker_end,
                                              os.getpid()),
                                        name="brief worker", daemon=True)
        process.start()
        worker_end.close()  # the worker holds the only other end: EOF means it ended
        slot = _Slot(process, parent_end)
        self._slots.append(slot)
        return slot

    def run(self, tasks: list[tuple[BriefJob, Path]],
            on_stage: Callable[[str, str], None] = lambda name, stage: None,
            ) -> Iterator[Outcome]:
        """Build each (job, staging folder); yield outcomes as they come. A worker that
        dies takes its own brief down only: the brief fails, naming the stage it had
        reached, and a new worker takes over the briefs still waiting. One batch per
        instance: a worker that has nothing left to build stops."""
        queue = deque(tasks)
        while queue or any(slot.running for slot in self._slots):
            for slot in self._slots:
                if queue and slot.running is None and not slot.retired:
                    job, staging = queue.popleft()
                    slot.running = _Running(job, staging)
                    slot.running.enter(STARTING)
                    on_stage(job.name, STARTING)
                    try:
                        slot.conn.send((job, staging))
                    except OSError:  # it died while idle: the wait below reports it
                        pass
            by_conn = {slot.conn: slot for slot in self._slots if slot.running}
            for conn in wait(list(by_conn)):
                slot = by_conn[conn]
                state = slot.running
                try:
                    kind, value = conn.recv()
                except EOFError:
                    slot.process.join()
                    conn.close()
                    self._slots.remove(slot)
                    if queue:
                        self._start_worker()
                    yield Outcome(state.job, state.staging, error=WorkerDiedError(
                        state.job.name, state.stage, slot.process.exitcode),
                        timings=state.timings())
                    continue
                except Exception as err:  # a result that cannot be unpickled
                    kind, value = "failed", BuildError(
                        state.job.name, f"its result could not be read: {err}")
                if kind == "stage":
                    state.enter(value)
                    on_stage(state.job.name, value)
                    continue
                slot.running = None
                if not queue:
                    # Nothing left for it: it shuts its kernel down now, while the others
                    # finish, rather than after the last of them.
                    self._retire(slot)
                done = kind == "done"
                yield Outcome(state.job, state.staging, seconds=value if done else None,
                              error=None if done else value, timings=state.timings())

    @staticmethod
    def _retire(slot: _Slot) -> None:
        if slot.retired:
            return
        slot.retired = True
        try:
            slot.conn.send(None)
        except OSError:  # already gone
            pass

    def close(self) -> None:
        """Ask each worker to stop (it shuts its kernel down); stop by force any that is
        still building (interrupted) or does not stop in time."""
        for slot in self._slots:
            if slot.running is None:
                self._retire(slot)
            else:
                try:
                    slot.process.terminate()
                except OSError:  # already gone
                    pass
        deadline = time.monotonic() + 10
        for slot in self._slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.terminate()
                slot.process.join()
            slot.conn.close()
        self._slots = []
        if self._own_template and self._template is not None:
            self._template.close()
        self._template = None

    def __enter__(self) -> LocalWorkers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
