"""Local workers, with the brief-building replaced by a stand-in (no kernels): how the
briefs are shared out, and when workers stop."""

import signal
import sys
import time
from pathlib import Path

import pytest

from analysis.batch import workers as workers_module
from analysis.batch.execute import WorkerSettings
from analysis.batch.plan import BriefJob


def stand_in_worker(worker, conn) -> None:
    """Builds nothing. The brief named "slow" finishes only once the worker of any other
    brief has stopped (or after a minute), so the test needs no clock."""
    stopped = Path(worker.settings.env["STOPPED_DIR"])
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
    monkeypatch.setattr(workers_module, "_serve", stand_in_worker)
    stopped = tmp_path / "stopped"
    stopped.mkdir()
    settings = WorkerSettings(env={"STOPPED_DIR": str(stopped)})
    tasks = [(BriefJob(name, tmp_path / "nb.ipynb", {}, tmp_path, "A4"), tmp_path)
             for name in ("slow", "quick")]
    with workers_module.LocalWorkers(2, settings) as workers:
        finished = [outcome.job.name for outcome in workers.run(tasks)]
        assert finished == ["quick", "slow"]
        # The slow brief could finish only because the quick one's worker had stopped
        # (see stand_in_worker).
    assert sorted(p.name for p in stopped.iterdir()) == ["stopped-after-quick",
                                                         "stopped-after-slow"]


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
    """A worker whose build has gone finds it out when it next reports, through a broken
    pipe (if its watch of the build has not ended it first): it shuts its kernel down
    and ends, without the traceback that would land on the dead build's terminal."""
    import multiprocessing

    monkeypatch.setattr(ReportsToNobody, "closed", False)
    build_end, worker_end = multiprocessing.Pipe(duplex=True)
    build_end.send((BriefJob("brief", tmp_path / "nb.ipynb", {}, tmp_path, "A4"), tmp_path))
    build_end.close()
    workers_module._serve(ReportsToNobody(WorkerSettings()), worker_end)  # no BrokenPipeError
    assert ReportsToNobody.closed


class SaysItIsBusy:
    """An object whose finalizer tells the build the worker is busy, then takes its
    time: the build's signal to stop lands inside the finalizer."""

    def __init__(self, conn):
        self.conn = conn

    def __del__(self):
        self.conn.send(("stage", "executing the notebook"))
        time.sleep(60)


def busy_in_a_finalizer(worker, conn) -> None:
    """Takes its brief, then runs finalizers, as a notebook dropping DataFrames and
    figures does, until it is stopped."""
    conn.recv()
    while True:
        SaysItIsBusy(conn)


class Stop(Exception):
    pass


@pytest.mark.skipif(sys.platform == "win32",
                    reason="terminate() is TerminateProcess there: no handler runs")
def test_a_stopped_worker_ends_at_once_even_inside_a_finalizer(tmp_path, monkeypatch,
                                                                capfd):
    """An exception raised by a signal handler while a finalizer runs is printed and
    dropped: a worker stopped that way went on until it was killed, and printed a
    traceback on the terminal of a build that had said why it stopped."""
    monkeypatch.setattr(workers_module, "_serve", busy_in_a_finalizer)
    tasks = [(BriefJob("brief", tmp_path / "nb.ipynb", {}, tmp_path, "A4"), tmp_path)]
    processes = []

    def interrupt(name, stage):
        if stage != workers_module.STARTING:  # the worker is inside a finalizer
            processes.extend(slot.process for slot in workers._slots)
            raise Stop

    with pytest.raises(Stop), workers_module.LocalWorkers(1, WorkerSettings()) as workers:
        for _ in workers.run(tasks, on_stage=interrupt):
            pass
    assert [p.exitcode for p in processes] == [128 + signal.SIGTERM]  # not killed
    assert capfd.readouterr().err == ""
