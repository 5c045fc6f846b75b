"""What a build will do: the briefs it makes (from briefs.toml), each one's parameters,
and a content hash of everything a brief depends on, so an unchanged brief is skipped.
Checks the request's options; reads no table (see `runner` for the input check)."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..dates import parse_iso_day
from ..exceptions import ParameterError
from ..inputs.documents import document_paths

INPUTS_FILE = ".build-inputs"
PAPERS = ("A4", "Letter")
# The notebook parameters that name input tables, and the option that sets each.
TABLE_OPTIONS = {"data_path": "--data", "claims_path": "--claims",
                 "context_path": "--context", "sources_path": "--sources"}


@dataclass
class BuildRequest:
    """Everything a build is asked to do; the command line's options, as values."""

    data: str = str(config.ATTACKS_CSV)
    claims: str = str(config.CLAIMS_CSV)
    context: str = str(config.CONTEXT_CSV)
    sources: str = str(config.SOURCES_CSV)
    out: str = str(config.REPORTS_DIR)
    only: list[str] = field(default_factory=list)
    as_of: str = ""
    jobs: int = 2
    force: bool = False
    paper: str = "A4"
    max_bytes: int = config.MAX_FILE_BYTES
    max_rows: int = config.MAX_ROWS

    @property
    def tables(self) -> dict[str, str]:
        """Notebook parameter -> path ("" for none)."""
        return {"data_path": self.data, "claims_path": self.claims,
                "context_path": self.context, "sources_path": self.sources}


@dataclass
class BriefJob:
    """One brief to build: picklable, so a worker process (or a cluster) can take it."""

    name: str
    notebook: Path
    parameters: dict
    out_dir: Path
    paper: str
    inputs_hash: str = ""

    @property
    def final_dir(self) -> Path:
        return self.out_dir / self.name

    def outputs(self, folder: Path | None = None) -> list[Path]:
        folder = folder or self.final_dir
        return [folder / f"{self.name}.{ext}" for ext in ("ipynb", "html", "pdf")] + [
            folder / "counts.csv", folder / "summary.json"]


def read_brief_definitions(path: Path = config.BRIEFS_TOML) -> tuple[Path, dict[str, dict]]:
    """The notebook and the parameter set of each brief, from briefs.toml."""
    try:
        with path.open("rb") as fh:
            spec = tomllib.load(fh)
    except OSError as err:
        raise ParameterError("briefs", str(path), f"cannot be read: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise ParameterError("briefs", str(path), f"is not valid TOML: {err}") from None
    if "notebook" not in spec or not isinstance(spec.get("briefs"), dict):
        raise ParameterError("briefs", str(path), "needs a 'notebook' key and [briefs.NAME] "
                                                  "tables")
    return path.parent / spec["notebook"], dict(spec["briefs"])


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


def _digest(paths: list[Path]) -> str:
    """Content hash of files (names and bytes)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(b"\0" + path.name.encode() + b"\0")
        with path.open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    return h.hexdigest()


def check_request(request: BuildRequest) -> list[Path]:
    """Refuse options that cannot work, before anything is read or written. Returns the
    input table files given."""
    if request.paper not in PAPERS:
        raise ParameterError("--paper", request.paper, "must be one of " + ", ".join(PAPERS))
    if str(request.as_of).strip() and parse_iso_day(request.as_of) is None:
        raise ParameterError("--as-of", request.as_of, "must be a date in the form YYYY-MM-DD")
    if request.jobs < 1:
        raise ParameterError("--jobs", request.jobs, "must be 1 or more")
    out = Path(request.out).expanduser()
    if out.exists() and not out.is_dir():
        raise ParameterError("--out", request.out, "is a file, not a folder")
    writable = out if out.exists() else next(p for p in out.resolve().parents if p.exists())
    if not os.access(writable, os.W_OK):
        raise ParameterError("--out", request.out, f"{writable} is not writable")
    files = []
    for parameter, value in request.tables.items():
        option = TABLE_OPTIONS[parameter]
        if parameter == "data_path" and not str(value).strip():
            raise ParameterError(option, value, "an attacks table is required")
        if str(value).strip():
            path = Path(value).expanduser()
            if not path.is_file():
                raise ParameterError(option, value, "file does not exist")
            if path.stat().st_size > request.max_bytes:
                raise ParameterError(option, value, f"file is larger than the limit of "
                                                    f"{request.max_bytes} bytes (--max-bytes)")
            files.append(path)
    return files


def plan(request: BuildRequest, briefs_toml: Path = config.BRIEFS_TOML) -> list[BriefJob]:
    """Describe each brief to build. Raises ParameterError for options that cannot work."""
    notebook, definitions = read_brief_definitions(briefs_toml)
    names = request.only or list(definitions)
    unknown = [n for n in names if n not in definitions]
    if unknown:
        raise ParameterError("--only", ", ".join(unknown),
                             "no such brief; known: " + ", ".join(definitions))
    files = check_request(request)
    if str(request.sources).strip():
        files += document_paths(Path(request.sources).expanduser())
    # Read every input file once, however many briefs share it.
    shared = _digest([notebook, *files, *_package_files()])
    out = Path(request.out).expanduser().resolve()
    jobs = []
    for name in names:
        parameters = {k: str(v) for k, v in definitions[name].items()}
        parameters.update({k: _param_path(v) for k, v in request.tables.items()})
        parameters["as_of"] = str(request.as_of).strip()
        # Paths are left out of the hash on purpose: the same content anywhere builds
        # the same brief.
        hashed = {k: v for k, v in parameters.items() if not k.endswith("_path")}
        inputs_hash = hashlib.sha256(json.dumps(
            {"files": shared, "parameters": hashed, "paper": request.paper, "name": name},
            sort_keys=True).encode()).hexdigest()
        jobs.append(BriefJob(name, notebook, parameters, out, request.paper, inputs_hash))
    return jobs


def is_up_to_date(job: BriefJob) -> bool:
    marker = job.final_dir / INPUTS_FILE
    return (marker.is_file() and marker.read_text().strip() == job.inputs_hash
            and all(p.is_file() for p in job.outputs()))


def mark_inputs(job: BriefJob, folder: Path) -> None:
    (folder / INPUTS_FILE).write_text(job.inputs_hash + "\n")
