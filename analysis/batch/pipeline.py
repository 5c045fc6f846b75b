"""A build from start to end, in the order the data flow: plan the briefs; check every
input (before anything starts); under the output folder's lock, hand the checked tables
over, warm the workers up and run the briefs that are out of date; publish each one
whole; write the index. Raises for bad input; returns what happened to each brief."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..exceptions import BuildError
from . import publish
from .checking import Loader, Report, check_inputs
from .execute import WorkerSettings
from .plan import BriefJob, BuildRequest, is_up_to_date, mark_inputs, plan


def _ignore(kind: str, message: str) -> None:
    pass


@dataclass
class BuildReport:
    built: dict[str, float] = field(default_factory=dict)  # name -> seconds
    unchanged: list[str] = field(default_factory=list)
    errors: list[BuildError] = field(default_factory=list)
    # name -> stage -> seconds, for every brief that ran (built or failed)
    timings: dict[str, dict[str, float]] = field(default_factory=dict)


def _executor(request: BuildRequest, count: int, settings: WorkerSettings):
    """Where the briefs run: worker processes here, or a Dask cluster's workers."""
    if request.scheduler:
        from .cluster import ClusterWorkers

        return ClusterWorkers(request.scheduler, settings)
    from .workers import LocalWorkers

    return LocalWorkers(min(request.jobs, count), settings)


def _stale(jobs: list[BriefJob], request: BuildRequest) -> list[BriefJob]:
    """The briefs to build: all of them with --force, else those out of date (a sweep
    is, until it is expanded into its briefs)."""
    return [job for job in jobs if request.force or job.sweep_over or not is_up_to_date(job)]


def build_briefs(request: BuildRequest, *, report: Report = _ignore) -> BuildReport:
    """Build the briefs the request asks for. Raises ParameterError or DataError (bad
    input: nothing was started or written); returns a BuildReport, whose `errors` list
    the briefs that failed (their last good versions are untouched)."""
    outcome = BuildReport()
    jobs = plan(request)
    if not jobs:
        return outcome
    loader = Loader(request, report)
    windows = None
    if _stale(jobs, request):
        jobs, windows = check_inputs(jobs, loader)
    out_dir = Path(request.out).expanduser().resolve()
    with publish.OutputLock(out_dir):
        publish.recover(out_dir)
        todo = _stale(jobs, request)
        if todo and windows is None:  # another build changed them while this one waited
            jobs, windows = check_inputs(jobs, loader)
            todo = _stale(jobs, request)
        building = {job.name for job in todo}
        for job in jobs:
            if job.name not in building:
                publish.failed_notebook_path(out_dir, job.name).unlink(missing_ok=True)
                outcome.unchanged.append(job.name)
                report("unchanged", f"unchanged {job.name}: {job.final_dir}")
        if todo:
            _run(todo, windows, loader, request, out_dir, outcome, report)
        # The index is read from the briefs' summaries: rewritten when one may have
        # changed, and not otherwise, so a no-change build stays quick (the module
        # imports pandas).
        if todo or not (out_dir / config.INDEX_FILE).is_file():
            from ..render.index import write_index

            write_index(out_dir)
    return outcome


def _run(todo: list[BriefJob], windows: dict, loader: Loader, request: BuildRequest,
         out_dir: Path, outcome: BuildReport, report: Report) -> None:
    """Run the briefs `todo` and publish each one that builds; under the lock."""
    from .. import editions

    # The notebook's kernel loads any table the build has not handed over itself, so it
    # must apply the same limits.
    settings = WorkerSettings(
        env={config.MAX_BYTES_ENV: str(request.max_bytes),
             config.MAX_ROWS_ENV: str(request.max_rows)},
        cell_timeout=request.cell_timeout or None, paper=request.paper)
    handed_over = out_dir / f".checked-inputs{publish.STAGING_MARK}{uuid.uuid4().hex[:8]}"
    tasks = [(job, publish.make_staging(out_dir, job.name)) for job in todo]
    try:
        with _executor(request, len(tasks), settings) as executor:
            executor.warm_up()  # the kernels start while the tables are handed over
            loader.hand_over(todo, handed_over)
            for job, staging in tasks:
                job.parameters["previous_edition"] = editions.carry_editions(
                    job.final_dir, staging, f"{windows[job.name].end:%Y-%m-%d}")
            report("planned", str(len(tasks)))
            for result in executor.run(tasks, lambda name, stage: report("stage",
                                                                         f"{name}: {stage}")):
                _publish(result, outcome, report)
    finally:
        for _, staging in tasks:
            publish.discard(staging)
        publish.discard(handed_over)


def _publish(result, outcome: BuildReport, report: Report) -> None:
    job = result.job
    outcome.timings[job.name] = result.timings
    if result.error is None:
        try:
            mark_inputs(job, result.staging)
            publish.publish(result.staging, job.final_dir)
        except OSError as err:
            result.error = BuildError(job.name, f"could not publish the brief: "
                                                f"{err.strerror or err}")
    if result.error is not None:
        outcome.errors.append(result.error)
        report("error", str(result.error))
    else:
        outcome.built[job.name] = result.seconds
        report("built", f"built {job.name} in {result.seconds:.1f} s: {job.final_dir}")
