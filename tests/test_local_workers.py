"""Local workers, with the brief-building replaced by a stand-in (no kernels): how the
briefs are shared out, when workers stop, and at what priority they run."""

import os
import time
from pathlib import Path

from analysis.batch import workers as executors
from analysis.batch.execute import WorkerSettings
from analysis.batch.plan import BriefJob


def stand_in_worker(settings: WorkerSettings, conn) -> None:
    """Builds nothing. The brief named "slow" finishes only once the worker of any other
    brief has stopped (or after a minute), so the test needs no clock."""
    stopped = Path(settings.env["STOPPED_DIR"])
    name = None
    while True:
        task = conn.recv()
        if task is None:
            (stopped / f"stopped-after-{name}").touch()
            return
        job, _ = task
        name = job.name
        if name == "slow":
            deadline = time.monotonic() + 60
            while not any(stopped.iterdir()) and time.monotonic() < deadline:
                time.sleep(0.01)
        conn.send(("done", 0.0))


def test_a_worker_with_nothing_left_stops_while_the_others_finish(tmp_path, monkeypatch):
    """Its kernel is shut down at once, rather than after the last brief of the build."""
    monkeypatch.setattr(executors, "_serve", stand_in_worker)
    stopped = tmp_path / "stopped"
    stopped.mkdir()
    settings = WorkerSettings(env={"STOPPED_DIR": str(stopped)})
    tasks = [(BriefJob(name, tmp_path / "nb.ipynb", {}, tmp_path, "A4"), tmp_path)
             for name in ("slow", "quick")]
    with executors.LocalWorkers(2, settings) as workers:
        finished = [outcome.job.name for outcome in workers.run(tasks)]
        assert finished == ["quick", "slow"]
        # The slow brief could finish only because the quick one's worker had stopped.
        assert [p.name for p in stopped.iterdir()] == ["stopped-after-quick"]
    assert sorted(p.name for p in stopped.iterdir()) == ["stopped-after-quick",
                                                         "stopped-after-slow"]


def reports_its_priority(settings: WorkerSettings, conn) -> None:
    conn.recv()
    conn.send(("done", float(os.nice(0))))
    conn.recv()


def test_workers_run_at_a_lower_priority_than_the_build(tmp_path, monkeypatch):
    """So that the input check, which every brief waits for, is not slowed down by the
    kernels starting beside it. Kernels inherit it: from their worker, or from the kernel
    template, which the build starts at the same priority."""
    monkeypatch.setattr(executors, "_serve", reports_its_priority)
    task = (BriefJob("brief", tmp_path / "nb.ipynb", {}, tmp_path, "A4"), tmp_path)
    with executors.LocalWorkers(1, WorkerSettings()) as workers:
        [outcome] = workers.run([task])
    assert outcome.seconds == min(os.nice(0) + executors.WORKER_NICENESS, 19)


class ReportsToNobody:
    """A stand-in for `execute.Worker` that reports a stage of its brief."""

    closed = False

    def __init__(self, settings):
        pass

    def start(self):
        pass

    def build(self, job, staging, on_stage):
        on_stage("executing the notebook")
        return 0.0

    def close(self):
        ReportsToNobody.closed = True


def test_a_worker_whose_build_has_gone_stops_quietly(tmp_path, monkeypatch):
    """Where the build's end cannot be watched (not Linux), a worker finds it out when it
    next reports, through a broken pipe: it shuts its kernel down and ends, without the
    traceback that would land on the dead build's terminal."""
    import multiprocessing
    import signal

    from analysis.batch import execute

    monkeypatch.setattr(execute, "Worker", ReportsToNobody)
    monkeypatch.setattr(ReportsToNobody, "closed", False)
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # the test process's own
    build_end, worker_end = multiprocessing.Pipe(duplex=True)
    build_end.send((BriefJob("brief", tmp_path / "nb.ipynb", {}, tmp_path, "A4"), tmp_path))
    build_end.close()
    executors._serve(WorkerSettings(), worker_end)  # returns: no BrokenPipeError
    assert ReportsToNobody.closed


STOPPED_IN_A_FINALIZER = """
import os, signal, sys, time, weakref
from analysis.batch import workers as executors
signal.signal(signal.SIGTERM, executors._stop)
class Held:
    pass
held = Held()
weakref.finalize(held, lambda: os.kill(os.getpid(), signal.SIGTERM))
del held  # the stop arrives while a finalizer runs
deadline = time.monotonic() + 60
while time.monotonic() < deadline:  # the brief goes on, unless the worker stops
    pass
sys.exit(3)
"""


def test_a_worker_stops_even_when_told_to_inside_a_finalizer():
    """Python prints and ignores an exception raised in a finalizer or a weakref callback,
    so a stop that lands in one would leave the worker building its brief, after a
    traceback on the build's terminal."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", STOPPED_IN_A_FINALIZER],
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (143, "")
