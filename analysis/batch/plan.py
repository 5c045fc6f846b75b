"""What a build will do: the briefs it makes (from briefs.toml), each one's parameters
and input tables, and a content hash of everything a brief depends on, so an unchanged
brief is skipped. Checks the request's options and that every input file exists; reads
no table (see `checking` for the input check).

A brief's tables come, in order of precedence, from its own [briefs.NAME] table (paths
relative to the briefs file's folder), from the command line, or from the defaults (the
article's data). A brief that names its tables is about them, as its title says, so the
build's options never replace them; and a brief that names its own attacks tables, or a
build given --data, takes none of the article's claims, context events or sources unless
it names them too. A build given --data and no --briefs makes the briefs of
`config.STARTER_BRIEFS_TOML`, about the user's data only. "{data}" in a title is replaced
by the names of the brief's attacks tables."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..dates import day_problem
from ..exceptions import DataError, ParameterError, Problem
from ..inputs.contract import FILTER_COLUMNS
from ..inputs.documents import document_paths, not_regular

INPUTS_FILE = ".build-inputs"
PAPERS = ("A4", "Letter")
# The notebook parameters that name input tables, and the option that sets each.
TABLE_OPTIONS = {"data_path": "--data", "sources_path": "--sources",
                 "matches_path": "--matches", "claims_path": "--claims",
                 "context_path": "--context"}
# Parameters that take several files: a list in briefs.toml, a repeated option.
LIST_TABLES = ("data_path", "sources_path")
DEFAULT_TABLES = {"data_path": [str(config.ATTACKS_CSV)],
                  "sources_path": [str(config.SOURCES_CSV)], "matches_path": "",
                  "claims_path": str(config.CLAIMS_CSV), "context_path": str(config.CONTEXT_CSV)}


@dataclass
class BuildRequest:
    """Everything a build is asked to do; the command line's options, as values. A
    table option left as None (or an empty list) is not given: each brief uses its own
    table or the default. An empty string means "none"."""

    data: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    matches: str | None = None
    claims: str | None = None
    context: str | None = None
    out: str = str(config.REPORTS_DIR)
    briefs: str = ""  # "" for the default: the starter briefs with --data, else the article's
    only: list[str] = field(default_factory=list)
    as_of: str = ""
    jobs: int = 2
    force: bool = False
    paper: str = "A4"
    max_bytes: int = config.MAX_FILE_BYTES
    max_rows: int = config.MAX_ROWS
    cell_timeout: float = config.CELL_TIMEOUT  # seconds; 0 for no limit
    scheduler: str = ""  # a Dask scheduler's address, or "" to build on this machine

    @property
    def tables(self) -> dict[str, str | list[str]]:
        """The table options given on the command line: notebook parameter -> path(s)."""
        given = {parameter: getattr(self, option.removeprefix("--"))
                 for parameter, option in TABLE_OPTIONS.items()}
        return {k: v for k, v in given.items() if v is not None and v != []}

    @property
    def briefs_file(self) -> Path:
        """The briefs file to build from: the one given; else, for a build on the user's
        own data, the starter briefs about that data; else the article's briefs."""
        if str(self.briefs).strip():
            return Path(self.briefs).expanduser().resolve()
        return config.STARTER_BRIEFS_TOML if self.data else config.BRIEFS_TOML


@dataclass
class BriefJob:
    """One brief to build: picklable, so a worker process (or a cluster) can take it."""

    name: str
    notebook: Path
    parameters: dict
    out_dir: Path
    paper: str
    inputs_hash: str = ""
    # A sweep before it is expanded (see checking.check_inputs): the column it sweeps over.
    sweep_over: str = ""
    # The [briefs.NAME] or [sweeps.NAME] table that defines it, for file:line messages.
    defined_in: str = ""

    @property
    def table(self) -> str:
        return self.defined_in or self.name

    @property
    def final_dir(self) -> Path:
        return self.out_dir / self.name

    def outputs(self, folder: Path | None = None) -> list[Path]:
        folder = folder or self.final_dir
        return [folder / f"{self.name}.{ext}" for ext in ("ipynb", "html", "pdf")] + [
            folder / "counts.csv", folder / "summary.json", folder / "attack-ids.csv"]


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            spec = tomllib.load(fh)
    except OSError as err:
        raise ParameterError("--briefs", str(path), f"cannot be read: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise ParameterError("--briefs", str(path), f"is not valid TOML: {err}") from None
    briefs, sweeps = spec.get("briefs", {}), spec.get("sweeps", {})
    if ("notebook" not in spec or not isinstance(briefs, dict) or not isinstance(sweeps, dict)
            or not (briefs or sweeps)):
        raise ParameterError("--briefs", str(path), "needs a 'notebook' key and [briefs.NAME] "
                                                    "or [sweeps.NAME] tables")
    return spec


def _notebook_path(briefs_toml: Path, notebook: str) -> Path:
    """The `notebook` key: absolute, or beside the briefs file, or in notebooks/."""
    given = Path(notebook).expanduser()
    for candidate in (given, briefs_toml.parent / given, config.NOTEBOOKS_DIR / given):
        if (given.is_absolute() or candidate != given) and candidate.is_file():
            return candidate.resolve()
    raise ParameterError("notebook", notebook, f"in {briefs_toml}: no such notebook beside "
                                               f"it or in {config.NOTEBOOKS_DIR}")


def read_brief_definitions(path: Path = config.BRIEFS_TOML) -> tuple[Path, dict[str, dict]]:
    """The notebook and the parameter set of each brief, from a briefs file."""
    spec = _read_toml(path)
    return _notebook_path(path, spec["notebook"]), dict(spec.get("briefs", {}))


def _param_path(value: str) -> str:
    """Paths as the notebook will see them: relative to the project root when inside it,
    so executed notebooks do not carry one machine's folders."""
    if not str(value).strip():
        return ""
    path = Path(value).expanduser().resolve()
    try:
        return path.relative_to(config.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(path)


def _package_files() -> list[Path]:
    return sorted(p for p in config.PACKAGE_DIR.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def _file_digest(path: Path, cache: dict[Path, str]) -> str:
    """Content hash of one file, read once however many briefs share it."""
    if path not in cache:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
        cache[path] = h.hexdigest()
    return cache[path]


def _digest(paths: list[Path], cache: dict[Path, str]) -> str:
    """Content hash of files (names and bytes)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(b"\0" + path.name.encode() + b"\0" + _file_digest(path, cache).encode())
    return h.hexdigest()


def _file_problem(path: Path, max_bytes: int) -> str:
    refused = not_regular(path)  # never opened: a FIFO would wait for ever
    if refused:
        return "file does not exist" if refused == "does not exist" else refused
    if path.stat().st_size > max_bytes:
        return f"file is larger than the limit of {max_bytes} bytes (--max-bytes)"
    return ""


def check_request(request: BuildRequest) -> None:
    """Refuse options that cannot work, before anything is read or written."""
    if request.paper not in PAPERS:
        raise ParameterError("--paper", request.paper, "must be one of " + ", ".join(PAPERS))
    if str(request.as_of).strip():
        problem = day_problem(request.as_of)
        if problem:
            raise ParameterError("--as-of", request.as_of, problem)
    if request.jobs < 1:
        raise ParameterError("--jobs", request.jobs, "must be 1 or more")
    if not request.cell_timeout >= 0:
        raise ParameterError("--cell-timeout", request.cell_timeout, "must be 0 or more")
    if request.scheduler and "://" not in request.scheduler:
        raise ParameterError("--scheduler", request.scheduler,
                             "must be a scheduler address such as tcp://HOST:8786")
    out = Path(request.out).expanduser()
    if out.exists() and not out.is_dir():
        raise ParameterError("--out", request.out, "is a file, not a folder")
    writable = out if out.exists() else next(p for p in out.resolve().parents if p.exists())
    if not os.access(writable, os.W_OK):
        raise ParameterError("--out", request.out, f"{writable} is not writable")
    for parameter, value in request.tables.items():
        option = TABLE_OPTIONS[parameter]
        if parameter == "data_path" and not config.paths(value):
            raise ParameterError(option, value, "an attacks table is required")
        for item in config.paths(value):
            problem = _file_problem(Path(item).expanduser(), request.max_bytes)
            if problem:
                raise ParameterError(option, item, problem)


def line_of(briefs_toml: Path, brief: str, key: str, table: str = "") -> int:
    """The line of `key` in the [briefs.NAME] (or [sweeps.NAME]) table, for file:line
    messages; the table's own line when `key` is "" (0 if not written there, e.g. a
    default taken from the notebook)."""
    lines = briefs_toml.read_text(encoding="utf-8").splitlines()
    kinds = table or "briefs|sweeps"
    header = re.compile(r"\s*\[\s*(?:" + kinds + r")\.\"?" + re.escape(brief) + r"\"?\s*\]")
    inside = False
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("["):
            inside = bool(header.match(line))
            if inside and not key:
                return number
        elif inside and re.match(r"\s*\"?" + re.escape(key) + r"\"?\s*=", line):
            return number
    return 0


def brief_tables(name: str, definition: dict, request: BuildRequest,
                 briefs_toml: Path) -> tuple[dict[str, list[Path] | Path | None], list[Problem]]:
    """The input files of one brief, resolved, and a problem for each file its own
    [briefs.NAME] table names that cannot be used."""
    tables: dict[str, list[Path] | Path | None] = {}
    problems = []
    for parameter, default in DEFAULT_TABLES.items():
        if parameter in definition:
            value, base = definition[parameter], briefs_toml.parent
            for item in config.paths(value):
                problem = _file_problem(base / Path(item).expanduser(), request.max_bytes)
                if problem:
                    problems.append(Problem(str(briefs_toml),
                                            line_of(briefs_toml, name, parameter),
                                            parameter, item, f"brief {name!r}: {problem}"))
        elif parameter in request.tables:
            value, base = request.tables[parameter], Path.cwd()
        elif "data_path" in definition or request.data:
            value, base = "", config.PROJECT_ROOT
        else:
            value, base = default, config.PROJECT_ROOT
        files = [(base / Path(item).expanduser()).resolve() for item in config.paths(value)]
        tables[parameter] = files if parameter in LIST_TABLES else (files[0] if files else None)
    if not tables["data_path"]:
        problems.append(Problem(str(briefs_toml), line_of(briefs_toml, name, "data_path"),
                                "data_path", "", f"brief {name!r}: an attacks table is "
                                                 "required"))
    return tables, problems


def _table_parameters(tables: dict) -> dict[str, str | list[str]]:
    """The tables as notebook parameters: one path as a string, several as a list."""
    out: dict[str, str | list[str]] = {}
    for parameter, value in tables.items():
        if isinstance(value, list):
            shown = [_param_path(str(p)) for p in value]
            out[parameter] = shown[0] if len(shown) == 1 else (shown or "")
        else:
            out[parameter] = _param_path(str(value)) if value else ""
    return out


def _input_files(tables: dict) -> list[Path]:
    """Every file a brief reads: its tables and the documents its sources store."""
    files = []
    for value in tables.values():
        files += value if isinstance(value, list) else [value] if value else []
    for sources in tables["sources_path"]:
        files += document_paths(sources)
    return files


def plan(request: BuildRequest) -> list[BriefJob]:
    """Describe each brief to build; a sweep is one job with `sweep_over` set, expanded
    once its data are loaded. Raises ParameterError for options that cannot work and
    DataError for what the briefs file names but cannot be used."""
    briefs_toml = request.briefs_file
    spec = _read_toml(briefs_toml)
    notebook = _notebook_path(briefs_toml, spec["notebook"])
    definitions, sweeps = dict(spec.get("briefs", {})), dict(spec.get("sweeps", {}))
    names = []
    for name in request.only or [*definitions, *sweeps]:
        # One brief of a sweep (by-gov-anbar) is made by its sweep, then picked out.
        made_by = name if name in definitions or name in sweeps else next(
            (sweep for sweep in sweeps if name.startswith(f"{sweep}-")), None)
        if made_by is None:
            raise ParameterError("--only", name, "no such brief or sweep; known: "
                                 + ", ".join([*definitions, *sweeps]))
        names += [made_by] if made_by not in names else []
    check_request(request)
    cache: dict[Path, str] = {}
    code = _digest([notebook, *_package_files()], cache)
    out = Path(request.out).expanduser().resolve()
    jobs, problems = [], []
    for name in names:
        definition = dict(definitions.get(name) or sweeps[name])
        over = str(definition.pop("over", "")) if name in sweeps else ""
        if name in sweeps and over not in FILTER_COLUMNS:
            problems.append(Problem(str(briefs_toml), line_of(briefs_toml, name, "over",
                                                              "sweeps"),
                                    "over", over, f"sweep {name!r}: must be one of "
                                    + ", ".join(FILTER_COLUMNS)))
            continue
        tables, found = brief_tables(name, definition, request, briefs_toml)
        problems += found
        if found:
            continue
        parameters = {k: (list(map(str, v)) if isinstance(v, list) else str(v))
                      for k, v in definition.items() if k not in TABLE_OPTIONS}
        parameters.update(_table_parameters(tables))
        if "{data}" in parameters.get("title", ""):
            parameters["title"] = parameters["title"].replace("{data}", " and ".join(
                Path(p).name for p in tables["data_path"]))
        if str(request.as_of).strip():
            parameters["as_of"] = str(request.as_of).strip()
        # Paths are left out of the hash on purpose: the same content anywhere builds
        # the same brief.
        hashed = {k: v for k, v in parameters.items() if not k.endswith("_path")}
        inputs_hash = hashlib.sha256(json.dumps(
            {"code": code, "files": _digest(_input_files(tables), cache),
             "parameters": hashed, "paper": request.paper, "name": name},
            sort_keys=True).encode()).hexdigest()
        jobs.append(BriefJob(name, notebook, parameters, out, request.paper, inputs_hash,
                             sweep_over=over))
    if problems:
        raise DataError(problems)
    return jobs


def swept(template: BriefJob, name: str, value: str) -> BriefJob:
    """One brief of a sweep: the template limited to one value of its column. A title
    with "{value}" gets the value there; any other title gets it appended."""
    parameters = {**template.parameters, template.sweep_over: value}
    title = str(parameters.get("title", template.name))
    parameters["title"] = (title.replace("{value}", value) if "{value}" in title
                           else f"{title}: {value}")
    inputs_hash = hashlib.sha256(json.dumps([template.inputs_hash, name, value]).encode())
    return BriefJob(name, template.notebook, parameters, template.out_dir, template.paper,
                    inputs_hash.hexdigest(), defined_in=template.name)


def is_up_to_date(job: BriefJob) -> bool:
    marker = job.final_dir / INPUTS_FILE
    return (marker.is_file() and marker.read_text().strip() == job.inputs_hash
            and all(p.is_file() for p in job.outputs()))


def mark_inputs(job: BriefJob, folder: Path) -> None:
    (folder / INPUTS_FILE).write_text(job.inputs_hash + "\n")


def chosen(expanded: list[BriefJob], planned: list[BriefJob], only: list[str]) -> list[BriefJob]:
    """The briefs --only asks for, once sweeps are expanded: whole sweeps by their names,
    or single briefs of one (`plan` has already checked the names it can know)."""
    if not only:
        return expanded
    whole = {job.name for job in planned if job.sweep_over and job.name in only}
    picked = [job for job in expanded if job.name in only
              or any(job.name.startswith(f"{sweep}-") for sweep in whole)]
    missing = sorted(set(only) - {job.name for job in picked} - whole)
    if missing:
        planned_names = {job.name for job in planned}
        made = [job.name for job in expanded if job.name not in planned_names]
        raise ParameterError("--only", ", ".join(missing), "no sweep makes such a brief; the "
                             "sweeps make: " + (", ".join(made) or "none"))
    return picked
