"""Every input of a build checked before anything runs: each brief's tables, loaded with
the loader and contract that `validate` uses; each brief's parameters, against the
notebook's own (read with papermill) and by the checks its notebook makes; and each
sweep expanded into its briefs. Raises one DataError with every problem found; starts
nothing and writes nothing, except the checked tables it hands over (see `hand_over`)."""

from __future__ import annotations

import ast
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from .. import handover
from ..exceptions import DataError, ParameterError, Problem
from . import memory
from .plan import TABLE_OPTIONS, BriefJob, BuildRequest, chosen, line_of, swept

# Called with the kind of event ("unchanged", "planned" (with the number of briefs about
# to run), "stage", "built", "error", "warning") and a line that says it; the command
# line decides where each kind is shown.
Report = Callable[[str, str], None]

HANDED_OVER = "checked_inputs"  # the notebook's parameter for the tables handed over


def notebook_defaults(notebook: Path) -> dict:
    """The notebook's parameters and their default values, as papermill reads them from
    its cell tagged "parameters"; a default that is not a literal is kept as its source
    text."""
    import papermill
    from papermill.exceptions import PapermillException

    try:
        found = papermill.inspect_notebook(str(notebook))
    except (OSError, ValueError, PapermillException) as err:
        raise ParameterError("notebook", str(notebook),
                             f"not a notebook with a readable parameters cell ({err})"
                             ) from None
    defaults = {}
    for name, parameter in found.items():
        try:
            defaults[name] = ast.literal_eval(parameter["default"])
        except (ValueError, TypeError, SyntaxError):
            defaults[name] = parameter["default"]
    return defaults


class _Loaded(NamedTuple):
    """One set of tables as loaded: the arguments, the tables (None when they have
    problems) and the DataWarnings the loading gave."""

    arguments: dict
    inputs: object
    warned: list[str]


def _table_arguments(job: BriefJob) -> dict:
    """The brief's tables, as its notebook will ask `load_inputs` for them."""
    from ..brief import table_arguments

    return table_arguments(**{k: job.parameters.get(k, "") for k in TABLE_OPTIONS})


class Loader:
    """Each brief's tables, loaded and checked once however many briefs share them, with
    the problems gathered (located in the briefs file where a parameter is to blame) and
    each warning reported once."""

    def __init__(self, request: BuildRequest, report: Report):
        self.request, self.briefs_toml, self.report = request, request.briefs_file, report
        self.loaded: dict[str, _Loaded] = {}
        self.problems: list[Problem] = []
        self.shown: set[str] = set()

    def problem(self, job: BriefJob, err: ParameterError) -> None:
        self.problems.append(Problem(str(self.briefs_toml),
                                     line_of(self.briefs_toml, job.table, err.name),
                                     err.name, str(err.value), f"brief {job.name!r}: {err.reason}"))

    @staticmethod
    def _key(job: BriefJob) -> str:
        return json.dumps(_table_arguments(job), sort_keys=True)

    def get(self, job: BriefJob):
        """The brief's tables, or None when they have problems (recorded)."""
        key = self._key(job)
        if key not in self.loaded:
            self.loaded[key] = self._load(job, _table_arguments(job))
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

    def hand_over(self, jobs: list[BriefJob], folder: Path) -> None:
        """Write each set of checked tables into `folder` (see `handover`), give each
        brief the path of its own as its notebook's parameter, then let go of them here:
        a build's kernels need the memory more."""
        folder.mkdir()
        paths = {}
        for number, (key, loaded) in enumerate(self.loaded.items(), start=1):
            if loaded.inputs is not None:
                paths[key] = folder / f"tables-{number}.pickle"
                handover.store(paths[key], loaded.arguments, loaded.inputs,
                               handover.files_of(loaded.arguments), loaded.warned)
        for job in jobs:
            job.parameters[HANDED_OVER] = str(paths[self._key(job)])
        self.loaded.clear()
        loaded = None  # the loop's name would keep the last set of tables alive
        memory.give_back()


def _expand(job: BriefJob, loader: Loader, defaults: dict, made: dict[str, str],
            problems: list[Problem]) -> list[BriefJob]:
    """A sweep's briefs: one per known value of its column among the attacks that can
    fall in its window."""
    from ..filters import Filters, apply, name_part, values_in_window

    window = loader.window(job, defaults)
    if window is None:
        return []
    base = {**defaults, **job.parameters, job.sweep_over: ""}
    limited, _ = apply(loader.get(job), Filters.from_parameters(**base), window)
    values = values_in_window(limited.attacks, job.sweep_over, window)
    if not values:
        loader.report("warning", f"sweep {job.name!r}: no attack that can fall in its "
                                 f"window has a known {job.sweep_over}, so it makes no brief")
    out = []
    for value in values:
        name = f"{job.name}-{name_part(job.sweep_over, value)}"
        if name in made:
            problems.append(Problem(
                str(loader.briefs_toml), line_of(loader.briefs_toml, job.name, "", "sweeps"),
                job.sweep_over, value,
                f"sweep {job.name!r}: the brief {name!r} is also made by {made[name]}"))
            continue
        made[name] = f"sweep {job.name!r} ({job.sweep_over} {value!r})"
        out.append(swept(job, name, value))
    return out


def check_inputs(jobs: list[BriefJob], loader: Loader) -> tuple[list[BriefJob], dict]:
    """Check every input of `jobs`, with every sweep expanded into its briefs (names
    that two briefs would share are an error) and `--only` applied to them. Returns the
    briefs and each one's window (name -> Window); raises one DataError with every
    problem found.

    The tables are loaded first, and a build whose tables have problems stops there,
    with all of them: the notebook's parameters (papermill, and its imports) are read
    only for tables that can be built from."""
    for job in jobs:
        loader.get(job)
    loader.raise_problems()
    defaults = notebook_defaults(jobs[0].notebook)
    made = {job.name: f"brief {job.name!r}" for job in jobs if not job.sweep_over}
    expanded, windows, problems = [], {}, []
    for job in jobs:
        for key in job.parameters:
            if key not in defaults:
                loader.problems.append(Problem(
                    str(loader.briefs_toml), line_of(loader.briefs_toml, job.table, key),
                    key, str(job.parameters[key]),
                    "the notebook has no such parameter; it has: " + ", ".join(defaults)))
        briefs = _expand(job, loader, defaults, made, problems) if job.sweep_over else [job]
        for brief in briefs:
            window = loader.window(brief, defaults)
            if window is not None:
                windows[brief.name] = window
        expanded += briefs
    loader.raise_problems()
    if problems:
        raise DataError(problems)
    expanded = chosen(expanded, jobs, loader.request.only)
    return expanded, {job.name: windows[job.name] for job in expanded}
