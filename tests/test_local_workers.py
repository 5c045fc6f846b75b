"""Local workers, with the brief-building replaced by a stand-in (no kernels): how the
briefs are shared out, and when workers stop."""

import time
from pathlib import Path

from analysis.batch import workers as workers_module
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

    from analysis.batch import execute

    monkeypatch.setattr(execute, "Worker", ReportsToNobody)
    monkeypatch.setattr(ReportsToNobody, "closed", False)
    build_end, worker_end = multiprocessing.Pipe(duplex=True)
    build_end.send((BriefJob("brief", tmp_path / "nb.ipynb", {}, tmp_path, "A4"), tmp_path))
    build_end.close()
    workers_module._serve(WorkerSettings(), worker_end)  # returns: no BrokenPipeError
    assert ReportsToNobody.closed
