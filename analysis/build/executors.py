"""Where briefs run: each brief in a worker process of its own, at most `workers` at a
time, started from a fork server (clean: no threads or sockets inherited from the
parent).

A process per brief keeps failures apart. A worker that is killed (SIGKILL, the
out-of-memory killer, a crash inside a C library) takes down its own brief only; the
parent knows which brief it was and what stage it had reached, because each worker
reports its stages through a pipe, and the other briefs go on. (A shared pool cannot do
this: when one of its processes dies, the pool breaks and every brief in it fails.)
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from ..exceptions import BuildError, WorkerDiedError
from .plan import BriefJob

STARTING = "starting"


@dataclass
class Outcome:
    """How one brief ended: `seconds` when it was built, else `error`. `timings` gives
    the seconds spent in each stage, as the parent saw them (STARTING is the worker's
    own start-up)."""

    job: BriefJob
    staging: Path
    seconds: float | None = None
    error: BuildError | None = None
    timings: dict[str, float] = field(default_factory=dict)


def _work(job: BriefJob, staging: Path, conn) -> None:
    """The worker: build one brief, telling the parent each stage, then the result."""
    from .execute import build_brief

    try:
        seconds = build_brief(job, staging, lambda stage: conn.send(("stage", stage)))
        conn.send(("done", seconds))
    except BuildError as err:
        conn.send(("failed", err))
    except Exception as err:  # a dead kernel, a library bug: one line, not a traceback
        conn.send(("failed", BuildError(job.name, f"{type(err).__name__}: {err}")))
    finally:
        conn.close()


@dataclass
class _Running:
    job: BriefJob
    staging: Path
    process: multiprocessing.process.BaseProcess
    stage: str = STARTING
    outcome: Outcome | None = None
    marks: list[tuple[str, float]] = field(default_factory=list)

    def enter(self, stage: str) -> None:
        self.stage = stage
        self.marks.append((stage, time.perf_counter()))

    def timings(self) -> dict[str, float]:
        ends = [t for _, t in self.marks[1:]] + [time.perf_counter()]
        return {stage: round(end - start, 3)
                for (stage, start), end in zip(self.marks, ends, strict=True)}


def run_local(tasks: list[tuple[BriefJob, Path]], workers: int,
              on_stage: Callable[[str, str], None] = lambda name, stage: None,
              ) -> Iterator[Outcome]:
    """Build each (job, staging folder) in its own process; yield outcomes as they come."""
    context = multiprocessing.get_context("forkserver")
    queue = deque(tasks)
    running: dict = {}
    try:
        while queue or running:
            while queue and len(running) < workers:
                job, staging = queue.popleft()
                receive, send = context.Pipe(duplex=False)
                process = context.Process(target=_work, args=(job, staging, send),
                                          name=f"brief {job.name}", daemon=True)
                process.start()
                send.close()  # the worker holds the only sending end: EOF means it ended
                running[receive] = _Running(job, staging, process)
                running[receive].enter(STARTING)
                on_stage(job.name, STARTING)
            for conn in wait(list(running)):
                state = running[conn]
                try:
                    kind, value = conn.recv()
                except EOFError:
                    state.process.join()
                    conn.close()
                    del running[conn]
                    outcome = state.outcome or Outcome(state.job, state.staging, error=(
                        WorkerDiedError(state.job.name, state.stage, state.process.exitcode)))
                    outcome.timings = state.timings()
                    yield outcome
                    continue
                except Exception as err:  # a result that cannot be unpickled
                    state.outcome = Outcome(state.job, state.staging, error=BuildError(
                        state.job.name, f"its result could not be read: {err}"))
                    continue
                if kind == "stage":
                    state.enter(value)
                    on_stage(state.job.name, value)
                elif kind == "done":
                    state.outcome = Outcome(state.job, state.staging, seconds=value)
                else:
                    state.outcome = Outcome(state.job, state.staging, error=value)
    finally:
        # Interrupted (Ctrl-C, an error in the caller): stop the workers still running.
        for state in running.values():
            state.process.terminate()
        for state in running.values():
            state.process.join()
