"""A build from start to end: plan the briefs, check every input before any kernel
starts, then, under the output folder's lock, run the briefs that are out of date and
publish each one whole. Raises for bad input; returns what happened to each brief."""

from __future__ import annotations

import ast
import contextlib
import json
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .. import config, handover
from ..exceptions import BuildError, DataError, ParameterError, Problem
from . import memory, publish
from .execute import WorkerSettings
from .plan import (
    TABLE_OPTIONS,
    BriefJob,
    BuildRequest,
    is_up_to_date,
    line_of,
    mark_inputs,
    plan,
    swept,
)

# Called with the kind of event ("unchanged", "planned" (with the number of briefs about
# to run), "stage", "built", "error", "warning") and a line that says it; the command
# line decides where each kind is shown.
Report = Callable[[str, str], None]


def _ignore(kind: str, message: str) -> None:
    pass


@dataclass
class BuildReport:
    built: dict[str, float] = field(default_factory=dict)  # name -> seconds
    unchanged: list[str] = field(default_factory=list)
    errors: list[BuildError] = field(default_factory=list)
    # name -> stage -> seconds, for every brief that ran (built or failed)
    timings: dict[str, dict[str, float]] = field(default_factory=dict)


def _notebook_defaults(notebook: Path) -> dict:
    """The notebook's parameters and their default values: the assignments in its cell
    tagged "parameters", as papermill finds them. Read with Python's own parser rather
    than `papermill.inspect_notebook`, whose import (0.3 s) would delay every build's
    check of its inputs; a value that is not a literal is kept as its source text."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        source = next(("".join(cell["source"]) for cell in cells
                       if "parameters" in cell.get("metadata", {}).get("tags", [])), "")
        tree = ast.parse(source)
    except (ValueError, KeyError, TypeError, SyntaxError) as err:
        raise ParameterError("notebook", str(notebook),
                             f"not a notebook with a readable parameters cell ({err})"
                             ) from None
    defaults = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets = [statement.target]
        else:
            continue
        try:
            value = ast.literal_eval(statement.value)
        except (ValueError, TypeError, SyntaxError):
            value = ast.get_source_segment(source, statement.value)
        defaults.update({t.id: value for t in targets if isinstance(t, ast.Name)})
    return defaults


def _table_arguments(job: BriefJob) -> dict:
    """The brief's tables, as its notebook will ask `load_inputs` for them (and as the
    kernels will look them up among the tables handed over)."""
    from ..brief import table_arguments

    return table_arguments(**{k: job.parameters.get(k, "") for k in TABLE_OPTIONS})


class _Loaded(NamedTuple):
    """One set of tables as loaded: the arguments, the tables (None when they have
    problems) and the DataWarnings the loading gave."""

    arguments: dict
    inputs: object
    warned: list[str]


class _Loader:
    """Each brief's tables, loaded and checked once however many briefs share them, with
    the problems gathered (located in the briefs file where a parameter is to blame) and
    each warning reported once."""

    def __init__(self, request: BuildRequest, briefs_toml: Path, report: Report):
        self.request, self.briefs_toml, self.report = request, briefs_toml, report
        self.loaded: dict[str, _Loaded] = {}
        self.problems: list[Problem] = []
        self.shown: set[str] = set()

    def problem(self, job: BriefJob, err: ParameterError) -> None:
        self.problems.append(Problem(str(self.briefs_toml),
                                     line_of(self.briefs_toml, job.table, err.name),
                                     err.name, str(err.value), f"brief {job.name!r}: {err.reason}"))

    def get(self, job: BriefJob):
        """The brief's tables, or None when they have problems (recorded)."""
        arguments = _table_arguments(job)
        key = json.dumps(arguments, sort_keys=True)
        if key not in self.loaded:
            self.loaded[key] = self._load(job, arguments)
        return self.loaded[key].inputs

    def _load(self, job: BriefJob, arguments: dict) -> _Loaded:
        from ..brief import load_inputs
        from ..exceptions import DataWarning

        inputs = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataWarning)
            try:
                inputs = load_inputs(**arguments, max_bytes=self.request.max_bytes,
                                     max_rows=self.request.max_rows)
            except DataError as err:
                self.problems += err.problems
            except ParameterError as err:
                self.problem(job, err)
        warned = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
        for message in warned:
            if message not in self.shown:
                self.shown.add(message)
                self.report("warning", message)
        return _Loaded(arguments, inputs, warned)

    def hand_over(self, folder: Path) -> None:
        """Write every set of checked tables for the kernels (see `handover`), then let
        go of them here: a build's kernels need the memory more."""
        folder.mkdir()
        for loaded in self.loaded.values():
            if loaded.inputs is not None:
                handover.store(folder, loaded.arguments, loaded.inputs,
                               handover.files_of(loaded.arguments), loaded.warned)
        self.loaded.clear()
        loaded = None  # the loop's name would keep the last set of tables alive
        memory.give_back()

    def window(self, job: BriefJob, defaults: dict):
        """The brief's window, once its parameters check out as its notebook will
        check them (None, with every problem recorded, when they do not)."""
        from ..brief import parameter_problems
        from ..filters import Filters

        inputs = self.get(job)
        if inputs is None:
            return None
        parameters = {**defaults, **job.parameters}
        window, problems = parameter_problems(parameters, inputs)
        problems += Filters.problems(**parameters)
        for err in problems:
            self.problem(job, err)
        return None if problems else window

    def raise_problems(self) -> None:
        if self.problems:
            raise DataError(self.problems)


def expand_sweeps(jobs: list[BriefJob], loader: _Loader, defaults: dict) -> list[BriefJob]:
    """Each sweep becomes one brief per known value of its column among the attacks that
    can fall in its window. Names that two briefs would share are an error, before
    anything is built."""
    from ..filters import Filters, apply, name_part, values_in_window

    briefs_toml = loader.briefs_toml
    made = {job.name: f"brief {job.name!r}" for job in jobs if not job.sweep_over}
    out, problems = [], []
    for job in jobs:
        if not job.sweep_over:
            out.append(job)
            continue
        window = loader.window(job, defaults)
        if window is None:
            continue
        base = {**defaults, **job.parameters, job.sweep_over: ""}
        limited, _ = apply(loader.get(job), Filters.from_parameters(**base), window)
        values = values_in_window(limited.attacks, job.sweep_over, window)
        if not values:
            loader.report("warning", f"sweep {job.name!r}: no attack that can fall in its "
                                     f"window has a known {job.sweep_over}, so it makes no brief")
        for value in values:
            name = f"{job.name}-{name_part(job.sweep_over, value)}"
            clash = f"is also made by {made[name]}" if name in made else ""
            if clash:
                problems.append(Problem(str(briefs_toml), line_of(briefs_toml, job.name, "",
                                                                  "sweeps"),
                                        job.sweep_over, value,
                                        f"sweep {job.name!r}: the brief {name!r} {clash}"))
                continue
            made[name] = f"sweep {job.name!r} ({job.sweep_over} {value!r})"
            out.append(swept(job, name, value))
    loader.raise_problems()
    if problems:
        raise DataError(problems)
    return _only(out, jobs, loader.request.only)


def _only(expanded: list[BriefJob], planned: list[BriefJob], only: list[str]) -> list[BriefJob]:
    """The briefs --only asks for: whole sweeps by their names, or single briefs of one."""
    if not only:
        return expanded
    whole = {job.name for job in planned if job.sweep_over and job.name in only}
    chosen = [job for job in expanded if job.name in only
              or any(job.name.startswith(f"{sweep}-") for sweep in whole)]
    missing = sorted(set(only) - {job.name for job in chosen} - whole)
    if missing:
        planned_names = {job.name for job in planned}
        made = [job.name for job in expanded if job.name not in planned_names]
        raise ParameterError("--only", ", ".join(missing), "no sweep makes such a brief; the "
                             "sweeps make: " + (", ".join(made) or "none"))
    return chosen


def check_inputs(jobs: list[BriefJob], loader: _Loader, defaults: dict) -> dict:
    """Load and check every brief's input tables with the loader and contract that
    `validate` uses, and each brief's parameters as its notebook will, in this process.
    Returns each brief's window (name -> Window). Raises one DataError with every
    problem found; starts no kernel and writes nothing."""
    briefs_toml = loader.briefs_toml
    windows = {}
    for job in jobs:
        for key in job.parameters:
            if key not in defaults:
                loader.problems.append(Problem(
                    str(briefs_toml), line_of(briefs_toml, job.table, key), key,
                    str(job.parameters[key]),
                    "the notebook has no such parameter; it has: " + ", ".join(defaults)))
        window = loader.window(job, defaults)
        if window is not None:
            windows[job.name] = window
    loader.raise_problems()
    return windows


def _executor(request: BuildRequest, workers: int, settings: WorkerSettings,
              template=None):
    """Where the briefs run: worker processes here (forking their kernels from
    `template`, if the build has started one), or a Dask cluster's workers."""
    if request.scheduler:
        from .cluster import ClusterWorkers

        return ClusterWorkers(request.scheduler, settings)
    from .workers import LocalWorkers

    return LocalWorkers(workers, settings, template)


def build_briefs(request: BuildRequest, *, report: Report = _ignore) -> BuildReport:
    """Build the briefs the request asks for. Raises ParameterError or DataError (bad
    input: nothing was started or written); returns a BuildReport, whose `errors` list
    the briefs that failed (their last good versions are untouched)."""
    jobs = plan(request)
    outcome = BuildReport()
    if not jobs:
        return outcome
    loader = _Loader(request, request.briefs_file, report)
    out_dir = Path(request.out).expanduser().resolve()
    # Made under the lock, but named now: kernels learn of it when they start.
    handed_over = out_dir / f".checked-inputs{publish.STAGING_MARK}{uuid.uuid4().hex[:8]}"
    # The notebook's kernel loads any table the build has not handed over itself, so it
    # must apply the same limits.
    settings = WorkerSettings(
        env={config.MAX_BYTES_ENV: str(request.max_bytes),
             config.MAX_ROWS_ENV: str(request.max_rows), handover.ENV: str(handed_over)},
        cell_timeout=request.cell_timeout or None, paper=request.paper)
    with contextlib.ExitStack() as stack:
        windows, executor, template = {}, None, None
        # Reading the notebook's defaults imports papermill: only when they are needed,
        # so a build with nothing to do stays quick.
        defaults = None
        if any(job.sweep_over for job in jobs):
            if not request.scheduler:
                # A sweep's briefs are known once its tables are loaded and checked (at a
                # million rows, seconds): the kernels' imports are done meanwhile.
                from .workers import start_kernel_template

                template = start_kernel_template(settings)
                if template is not None:
                    stack.callback(template.close)
            defaults = _notebook_defaults(jobs[0].notebook)
            jobs = expand_sweeps(jobs, loader, defaults)
        stale = len(jobs) if request.force else sum(not is_up_to_date(job) for job in jobs)

        def start(count: int):
            # Local workers start first: their kernels warm up while the inputs are checked.
            nonlocal windows, executor
            executor = stack.enter_context(_executor(request, min(request.jobs, count),
                                                     settings, template))
            windows = check_inputs(jobs, loader,
                                   defaults or _notebook_defaults(jobs[0].notebook))

        if stale:
            start(stale)
        stack.enter_context(publish.OutputLock(out_dir))
        publish.recover(out_dir)
        todo = []
        for job in jobs:
            if request.force or not is_up_to_date(job):
                todo.append(job)
            else:
                publish.failed_notebook_path(out_dir, job.name).unlink(missing_ok=True)
                outcome.unchanged.append(job.name)
                report("unchanged", f"unchanged {job.name}: {job.final_dir}")
        if todo and executor is None:  # the inputs changed while this build waited
            start(len(todo))
        tasks = [(job, publish.make_staging(out_dir, job.name)) for job in todo]
        try:
            if tasks:
                loader.hand_over(handed_over)
                from .. import editions
            for job, staging in tasks:
                job.parameters["previous_edition"] = editions.carry_editions(
                    job.final_dir, staging, f"{windows[job.name].end:%Y-%m-%d}")
            results = []
            if tasks:
                report("planned", str(len(tasks)))
                results = executor.run(tasks, lambda name, stage: report("stage",
                                                                         f"{name}: {stage}"))
            for result in results:
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
                    report("built", f"built {job.name} in {result.seconds:.1f} s: "
                                    f"{job.final_dir}")
        finally:
            for _, staging in tasks:
                publish.discard(staging)
            publish.discard(handed_over)
        # The index is read from the briefs' summaries: rewritten when one may have
        # changed, and not otherwise, so a no-change build stays quick (the module
        # imports pandas).
        if tasks or not (out_dir / config.INDEX_FILE).is_file():
            from ..render.index import write_index

            write_index(out_dir)
    return outcome
