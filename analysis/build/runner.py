"""A build from start to end: plan the briefs, check every input before any kernel
starts, then, under the output folder's lock, run the briefs that are out of date and
publish each one whole. Raises for bad input; returns what happened to each brief."""

from __future__ import annotations

import ast
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..exceptions import BuildError, DataError, ParameterError, Problem
from . import publish
from .executors import run_local
from .plan import (
    TABLE_OPTIONS,
    BriefJob,
    BuildRequest,
    is_up_to_date,
    line_of,
    mark_inputs,
    plan,
)

# Called with the kind of event ("unchanged", "stage", "built", "error", "warning") and
# a line that says it; the command line decides where each kind is shown.
Report = Callable[[str, str], None]


def _ignore(kind: str, message: str) -> None:
    pass


@dataclass
class BuildReport:
    built: dict[str, float] = field(default_factory=dict)  # name -> seconds
    unchanged: list[str] = field(default_factory=list)
    errors: list[BuildError] = field(default_factory=list)


def _notebook_defaults(notebook: Path) -> dict:
    """The notebook's parameters and their default values, read without a kernel."""
    import papermill

    defaults = {}
    for name, spec in papermill.inspect_notebook(str(notebook)).items():
        try:
            defaults[name] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            defaults[name] = spec["default"]
    return defaults


def _tables_key(parameters: dict) -> str:
    return json.dumps({k: parameters.get(k, "") for k in TABLE_OPTIONS}, sort_keys=True)


def check_inputs(request: BuildRequest, jobs: list[BriefJob], briefs_toml: Path,
                 report: Report) -> None:
    """Load and check every brief's input tables with the loader and contract that
    `validate` uses (each set of tables once, however many briefs share it), and each
    brief's parameters as its notebook will, in this process. Raises one DataError with
    every problem found; starts no kernel and writes nothing."""
    from ..brief import check_parameters, load_inputs
    from ..exceptions import DataWarning

    problems: list[Problem] = []
    loaded: dict[str, object] = {}
    shown: set[str] = set()
    defaults = _notebook_defaults(jobs[0].notebook)
    for job in jobs:
        for key in job.parameters:
            if key not in defaults:
                problems.append(Problem(str(briefs_toml), line_of(briefs_toml, job.name, key),
                                        key, str(job.parameters[key]),
                                        "the notebook has no such parameter; it has: "
                                        + ", ".join(defaults)))
        key = _tables_key(job.parameters)
        if key not in loaded:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", DataWarning)
                try:
                    loaded[key] = load_inputs(
                        **{k: job.parameters.get(k, "") for k in TABLE_OPTIONS},
                        max_bytes=request.max_bytes, max_rows=request.max_rows)
                except DataError as err:
                    problems += err.problems
                    loaded[key] = None
                except ParameterError as err:
                    problems.append(Problem(str(briefs_toml),
                                            line_of(briefs_toml, job.name, err.name),
                                            err.name, str(err.value),
                                            f"brief {job.name!r}: {err.reason}"))
                    loaded[key] = None
            for message in (str(w.message) for w in caught
                            if issubclass(w.category, DataWarning)):
                if message not in shown:
                    shown.add(message)
                    report("warning", message)
        if loaded[key] is None:
            continue
        try:
            check_parameters({**defaults, **job.parameters}, loaded[key])
        except ParameterError as err:
            problems.append(Problem(str(briefs_toml), line_of(briefs_toml, job.name, err.name),
                                    err.name, str(err.value), f"brief {job.name!r}: "
                                                              f"{err.reason}"))
    if problems:
        raise DataError(problems)


def build_briefs(request: BuildRequest, *, briefs_toml: Path = config.BRIEFS_TOML,
                 report: Report = _ignore) -> BuildReport:
    """Build the briefs the request asks for. Raises ParameterError or DataError (bad
    input: nothing was started or written); returns a BuildReport, whose `errors` list
    the briefs that failed (their last good versions are untouched)."""
    jobs = plan(request, briefs_toml)
    outcome = BuildReport()
    if not jobs:
        return outcome
    if request.force or not all(is_up_to_date(job) for job in jobs):
        check_inputs(request, jobs, briefs_toml, report)
    out_dir = jobs[0].out_dir
    # The notebook's kernel loads the data itself, so it must apply the same limits;
    # worker processes and kernels inherit this process's environment.
    limits = {config.MAX_BYTES_ENV: str(request.max_bytes),
              config.MAX_ROWS_ENV: str(request.max_rows)}
    with config.temporary_environ(**limits), publish.OutputLock(out_dir):
        publish.recover(out_dir)
        todo = []
        for job in jobs:
            if request.force or not is_up_to_date(job):
                todo.append(job)
            else:
                publish.failed_notebook_path(out_dir, job.name).unlink(missing_ok=True)
                outcome.unchanged.append(job.name)
                report("unchanged", f"unchanged {job.name}: {job.final_dir}")
        tasks = [(job, publish.make_staging(out_dir, job.name)) for job in todo]
        try:
            for result in run_local(tasks, min(request.jobs, len(tasks) or 1),
                                    lambda name, stage: report("stage", f"{name}: {stage}")):
                job = result.job
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
                    report("built", f"built {job.name} in {result.seconds:.1f} s: "
                                    f"{job.final_dir}")
        finally:
            for _, staging in tasks:
                publish.discard(staging)
    return outcome
