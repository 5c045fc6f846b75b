"""Where briefs run on this machine: `count` worker processes, each building brief after
brief on its own warm kernel (see `execute.Worker`).

Workers are started with multiprocessing's `spawn` method, the one every system has.
Each talks to the parent through a pipe of its own, so failures stay apart. A worker that
is killed (SIGKILL, the out-of-memory killer, a crash inside a C library) takes down its
own brief only: the parent knows which brief it was and what stage it had reached,
because each worker reports its stages, and it starts another worker for the briefs
still waiting. (A shared pool cannot do this: when one of its processes dies, the pool
breaks and every brief in it fails.)
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from ..exceptions import BuildError, WorkerDiedError
from .execute import Worker, WorkerSettings
from .plan import BriefJob

STARTING = "starting"
START_METHOD = "spawn"
# Seconds a stopped worker has to shut its kernel down before it is killed.
STOP_TIMEOUT = 10


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


def _worker_process(serve: Callable, settings: WorkerSettings, conn) -> None:
    worker = Worker(settings)

    def end(code: int) -> None:
        # At once, and raising nothing: an exception raised by a signal handler while a
        # finalizer runs is printed ("Exception ignored in ...") and dropped, and the
        # worker would go on. Its brief is abandoned anyway, and its kernel goes first,
        # so that nothing writes to the brief's staging folder once the worker is gone.
        worker.kill()
        os._exit(code)

    # Ctrl-C reaches the whole process group: the build alone answers it, by stopping
    # its workers (SIGTERM), so that the terminal shows one line and no traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: end(128 + signum))
    _end_with_the_build(lambda: end(1))
    serve(worker, conn)


def _end_with_the_build(end: Callable[[], None]) -> None:
    """Call `end` when the build that started this worker ends without stopping it
    (killed): a brief of minutes would otherwise go on running for nobody."""
    build = multiprocessing.parent_process()
    if build is None:
        return

    def watch() -> None:
        build.join()
        end()

    threading.Thread(target=watch, name="build watch", daemon=True).start()


class _BuildGone(Exception):
    """The build this worker reports to has ended: there is nobody left to tell."""


def _serve(worker, conn) -> None:
    """A worker (an `execute.Worker`): start its warm kernel, then build each brief the
    parent sends, telling it each stage and the result, until the parent sends None or
    goes away."""

    def tell(message) -> None:
        try:
            conn.send(message)
        except OSError:  # a broken pipe: the build was killed
            raise _BuildGone from None

    try:
        with contextlib.suppress(Exception):  # if it fails, the first brief says why
            worker.start()  # now: the kernel warms up while the worker waits for a brief
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


class LocalWorkers:
    """Up to `count` worker processes on this machine, each building brief after brief.
    `warm_up()` starts them (their kernels start and do their imports while the caller
    goes on); `run()` starts any not started yet. Use as a context manager: leaving it
    stops the workers and their kernels."""

    def __init__(self, count: int, settings: WorkerSettings):
        self.count, self.settings = max(1, count), settings
        self._context = multiprocessing.get_context(START_METHOD)
        self._slots: list[_Slot] = []

    def warm_up(self) -> None:
        while len(self._slots) < self.count:
            self._start_worker()

    def _start_worker(self) -> _Slot:
        parent_end, worker_end = self._context.Pipe(duplex=True)
        process = self._context.Process(target=_worker_process,
                                        args=(_serve, self.settings, worker_end),
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
        self.warm_up()
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
                elif not queue and slot.running is None:
                    # Nothing left for it: it shuts its kernel down now, while the others
                    # finish, rather than after the last of them.
                    self._retire(slot)
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
        """Ask each worker to stop: an idle one through its pipe (it shuts its kernel
        down), a busy one (an interrupted build) by SIGTERM (it kills its kernel, and
        ends). One that has not stopped in time is killed; its kernel then ends on its
        own."""
        for slot in self._slots:
            if slot.running is None:
                self._retire(slot)
            else:
                with contextlib.suppress(OSError):  # already gone
                    slot.process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for slot in self._slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            slot.conn.close()
        self._slots = []

    def __enter__(self) -> LocalWorkers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
