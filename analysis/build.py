"""Build the briefs: execute the notebook once per parameter set with papermill, render
the executed notebook to HTML with the brief exporter and to PDF with WeasyPrint.

Safety rules, in the manner of papermill's "save the failed notebook, then raise":
- each brief is built in a staging folder beside its final place and moved in only when
  complete, so a failed or killed build leaves the last good brief untouched;
- one build at a time writes into an output folder (a lock file serialises them);
- a brief whose inputs hash the same as last time is skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import config
from .exceptions import (
    AnalysisError,
    BuildError,
    BuildLockedError,
    NotebookCellError,
    ParameterError,
)

INPUTS_FILE = ".build-inputs"
BAD_INPUT_ERRORS = {"DataError", "ParameterError"}
PAPERS = ("A4", "Letter")


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=str(config.ATTACKS_CSV), metavar="PATH",
                        help="attacks table (default: the article's data/attacks.csv)")
    parser.add_argument("--claims", default=str(config.CLAIMS_CSV), metavar="PATH",
                        help="aggregate claims table; '' for none")
    parser.add_argument("--context", default=str(config.CONTEXT_CSV), metavar="PATH",
                        help="context events table; '' for none")
    parser.add_argument("--sources", default=str(config.SOURCES_CSV), metavar="PATH",
                        help="sources table; '' for none")
    parser.add_argument("--out", default=str(config.REPORTS_DIR), metavar="DIR",
                        help="folder that receives one subfolder per brief "
                             "(default: reports/)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="build only this brief (repeatable); names are in "
                             "notebooks/briefs.toml")
    parser.add_argument("--as-of", default="", metavar="DATE",
                        help="last day of every brief's window, YYYY-MM-DD (default: the "
                             "sources' as_of, else the latest date_end)")
    parser.add_argument("--jobs", type=int, default=2, metavar="N",
                        help="briefs built in parallel (default: %(default)s)")
    parser.add_argument("--force", action="store_true",
                        help="rebuild even when the inputs are unchanged")
    parser.add_argument("--paper", choices=PAPERS, default="A4",
                        help="PDF page size (default: %(default)s)")


# ---------------------------------------------------------------------------------------
# Planning


def read_brief_definitions(path: Path = config.BRIEFS_TOML) -> tuple[Path, dict[str, dict]]:
    """The notebook and the parameter set of each brief, from briefs.toml."""
    with path.open("rb") as fh:
        spec = tomllib.load(fh)
    return path.parent / spec["notebook"], dict(spec["briefs"])


@dataclass
class BriefJob:
    name: str
    notebook: Path
    parameters: dict
    out_dir: Path
    paper: str
    inputs_hash: str = ""
    show_stages: bool = False

    @property
    def final_dir(self) -> Path:
        return self.out_dir / self.name

    def outputs(self, folder: Path | None = None) -> list[Path]:
        folder = folder or self.final_dir
        return [folder / f"{self.name}.{ext}" for ext in ("ipynb", "html", "pdf")] + [
            folder / "counts.csv", folder / "summary.json"]


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


def plan(args: argparse.Namespace) -> list[BriefJob]:
    """Check the arguments and describe each brief to build. Raises ParameterError."""
    notebook, definitions = read_brief_definitions()
    names = args.only or list(definitions)
    unknown = [n for n in names if n not in definitions]
    if unknown:
        raise ParameterError("--only", ", ".join(unknown),
                             "no such brief; known: " + ", ".join(definitions))
    if str(args.as_of).strip():
        from .brief import parse_day

        parse_day("--as-of", args.as_of)
    if args.jobs < 1:
        raise ParameterError("--jobs", args.jobs, "must be 1 or more")
    out = Path(args.out).expanduser()
    if out.exists() and not out.is_dir():
        raise ParameterError("--out", args.out, "is a file, not a folder")
    writable = out if out.exists() else next(p for p in out.resolve().parents if p.exists())
    if not os.access(writable, os.W_OK):
        raise ParameterError("--out", args.out, f"{writable} is not writable")
    data = {"data_path": args.data, "claims_path": args.claims,
            "context_path": args.context, "sources_path": args.sources}
    files = []
    for option, value in zip(("--data", "--claims", "--context", "--sources"),
                             data.values(), strict=True):
        if option == "--data" and not str(value).strip():
            raise ParameterError("--data", value, "an attacks table is required")
        if str(value).strip():
            path = Path(value).expanduser()
            if not path.is_file():
                raise ParameterError(option, value, "file does not exist")
            if path.stat().st_size > args.max_bytes:
                raise ParameterError(option, value, f"file is larger than the limit of "
                                                    f"{args.max_bytes} bytes (--max-bytes)")
            files.append(path)
    if str(args.sources).strip():
        files += _source_documents(Path(args.sources).expanduser())
    show_stages = sys.stderr.isatty()
    # Read every input file once, however many briefs share it.
    shared = _digest([notebook, *files, *_package_files()])
    jobs = []
    for name in names:
        parameters = {k: str(v) for k, v in definitions[name].items()}
        parameters.update({k: _param_path(v) for k, v in data.items()})
        parameters["as_of"] = str(args.as_of).strip()
        # Paths are left out of the hash on purpose: the same content anywhere builds
        # the same brief.
        hashed = {k: v for k, v in parameters.items() if not k.endswith("_path")}
        inputs_hash = hashlib.sha256(json.dumps(
            {"files": shared, "parameters": hashed, "paper": args.paper, "name": name},
            sort_keys=True).encode()).hexdigest()
        jobs.append(BriefJob(name, notebook, parameters, out.resolve(), args.paper,
                             inputs_hash, show_stages))
    return jobs


def _source_documents(sources_csv: Path) -> list[Path]:
    """Source documents are inputs too: a quote check depends on them. A sources table
    that cannot be read is reported by the notebook's loader, not here."""
    import csv

    from .provenance import document_path

    try:
        with sources_csv.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    docs = [document_path(sources_csv, row.get("path") or "") for row in rows]
    return [d for d in docs if d.is_file()]


def is_up_to_date(job: BriefJob) -> bool:
    marker = job.final_dir / INPUTS_FILE
    return (marker.is_file() and marker.read_text().strip() == job.inputs_hash
            and all(p.is_file() for p in job.outputs()))


# ---------------------------------------------------------------------------------------
# Building one brief


def _stage(job: BriefJob, message: str) -> None:
    if job.show_stages:
        print(f"  {job.name}: {message}", file=sys.stderr, flush=True)


def build_brief(job: BriefJob) -> float:
    """Build one brief into a staging folder, then move it into place. Returns seconds.
    Raises NotebookCellError (with the failed notebook saved) or BuildError."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    try:
        staging = Path(_mkdtemp(job.out_dir, f".{job.name}.staging-"))
        staging.chmod(0o755)  # mkdtemp makes it private; a brief is for reading
    except OSError as err:
        raise _write_error(job, err) from None
    try:
        notebook_out = staging / f"{job.name}.ipynb"
        _stage(job, "executing the notebook")
        try:
            papermill.execute_notebook(
                str(job.notebook), str(notebook_out),
                parameters={**job.parameters, "output_dir": str(staging)},
                kernel_name="python3", cwd=str(job.notebook.parent),
                progress_bar=False, log_output=False, report_mode=False,
                # The kernel's own start-up warnings are noise in a build's output;
                # errors in cells still arrive through papermill.
                extra_arguments=["--log-level=CRITICAL"],
            )
        except PapermillExecutionError as err:
            failed = job.out_dir / f"{job.name}.failed.ipynb"
            shutil.copyfile(notebook_out, failed)
            first_line = next((line for line in (err.source or "").splitlines()
                               if line.strip()), "")
            raise NotebookCellError(job.name, int(err.cell_index), err.ename, err.evalue,
                                    str(failed), first_line) from None
        _render(job, notebook_out, staging)
        (staging / INPUTS_FILE).write_text(job.inputs_hash + "\n")
        _replace_dir(staging, job.final_dir)
        _forget_failure(job)
    except OSError as err:
        raise _write_error(job, err) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return time.perf_counter() - started


def _forget_failure(job: BriefJob) -> None:
    """A failure saved by an earlier build no longer describes this brief."""
    (job.out_dir / f"{job.name}.failed.ipynb").unlink(missing_ok=True)


def _write_error(job: BriefJob, err: OSError) -> BuildError:
    """A full disk or a folder that turned read-only: say so; the last good brief stays."""
    where = f": {err.filename}" if err.filename else ""
    return BuildError(job.name, f"could not write the brief: {err.strerror or err}{where}")


def _render(job: BriefJob, notebook_path: Path, staging: Path) -> None:
    import nbformat

    from .exporter import notebook_to_html
    from .pdf import html_to_pdf

    _stage(job, "rendering HTML")
    nb = nbformat.read(notebook_path, as_version=4)
    _strip_run_metadata(nb)
    nbformat.write(nb, notebook_path)
    html = notebook_to_html(nb, paper=job.paper)
    (staging / f"{job.name}.html").write_text(html, encoding="utf-8")
    _stage(job, "rendering PDF")
    html_to_pdf(html, staging / f"{job.name}.pdf")
    missing = [p.name for p in job.outputs(staging) if not p.is_file()]
    if missing:
        raise BuildError(job.name, "the notebook did not write " + ", ".join(missing))


def _strip_run_metadata(nb) -> None:
    """Timings and the staging path differ on every run; drop them so the executed
    notebook, like the HTML and PDF, depends only on the inputs."""
    papermill_meta = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        papermill_meta.pop(key, None)
    papermill_meta.get("parameters", {}).pop("output_dir", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        meta = cell.metadata.get("papermill")
        if meta:
            for key in ("start_time", "end_time", "duration"):
                meta.pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill gives it a random id
            cell.source = "\n".join(line for line in cell.source.splitlines()
                                    if not line.startswith("output_dir = "))


def _mkdtemp(parent: Path, prefix: str) -> str:
    import tempfile

    return tempfile.mkdtemp(prefix=prefix, dir=parent)


def _replace_dir(new: Path, final: Path) -> None:
    """Move a complete brief into place. The old one is renamed aside first and removed
    only after the new one is in place; `recover` undoes a crash between the two."""
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.rename(final, old)
    os.rename(new, final)
    shutil.rmtree(old, ignore_errors=True)


def recover(out_dir: Path, names: list[str]) -> None:
    """Under the lock, no other build is running: restore a brief left aside by a crash
    and remove half-built staging folders."""
    for name in names:
        final, old = out_dir / name, out_dir / f".{name}.old"
        if old.is_dir() and not final.exists():
            os.rename(old, final)
        for staging in out_dir.glob(f".{name}.staging-*"):
            shutil.rmtree(staging, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Locking and the command


class OutputLock:
    """An exclusive lock on an output folder, held for the whole build. A second build
    waits for the first, then finds its briefs up to date."""

    def __init__(self, out_dir: Path, wait: bool = True):
        self.path, self.wait, self.fh = out_dir / ".build.lock", wait, None

    def __enter__(self):
        import fcntl

        self.fh = self.path.open("a")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not self.wait:
                self.fh.close()
                raise BuildLockedError("*", f"another build is writing into "
                                            f"{self.path.parent}") from None
            print(f"waiting for another build writing into {self.path.parent}",
                  file=sys.stderr, flush=True)
            fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.fh.close()


def build(jobs: list[BriefJob], *, force: bool = False, workers: int = 1,
          report=print) -> list[BuildError]:
    """Build the jobs that need it; return the errors of those that failed."""
    if not jobs:
        return []
    out_dir = jobs[0].out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    errors: list[BuildError] = []
    with OutputLock(out_dir):
        recover(out_dir, [j.name for j in jobs])
        todo = [j for j in jobs if force or not is_up_to_date(j)]
        for job in jobs:
            if job not in todo:
                _forget_failure(job)  # the brief in place matches these inputs
                report(f"unchanged {job.name}: {job.final_dir}")
        if len(todo) > 1 and workers > 1:
            errors += _build_parallel(todo, min(workers, len(todo)), report)
        else:
            for job in todo:
                errors += _build_and_report(job, report)
    return errors


def _build_and_report(job: BriefJob, report) -> list[BuildError]:
    _stage(job, "started")
    try:
        seconds = build_brief(job)
    except BuildError as err:
        return [err]
    except Exception as err:  # a dead kernel, a library bug: one line, not a traceback
        return [BuildError(job.name, f"{type(err).__name__}: {err}")]
    report(f"built {job.name} in {seconds:.1f} s: {job.final_dir}")
    return []


def _build_parallel(jobs: list[BriefJob], workers: int, report) -> list[BuildError]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Workers come from a fork server: they start clean (no threads or sockets
    # inherited from this process) and faster than spawned interpreters (measured:
    # about 5.0 s against 5.5 s for the two article briefs on two cores).
    context = multiprocessing.get_context("forkserver")
    errors = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(_build_and_report, job, print): job for job in jobs}
        for future in futures:
            try:
                errors += future.result()
            except Exception as err:  # a worker died: report it, keep the others
                errors.append(BuildError(futures[future].name, f"{type(err).__name__}: "
                                                               f"{err}"))
    return errors


def run_build_command(args: argparse.Namespace) -> int:
    from .cli import EXIT_BAD_INPUT, EXIT_BUILD_FAILED, EXIT_OK

    try:
        jobs = plan(args)
    except (ParameterError, OSError, tomllib.TOMLDecodeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        # The notebook's kernel loads the data, so it must apply the same limits;
        # kernels inherit this process's environment.
        with config.temporary_environ(**{config.MAX_BYTES_ENV: str(args.max_bytes),
                                         config.MAX_ROWS_ENV: str(args.max_rows)}):
            errors = build(jobs, force=args.force, workers=args.jobs,
                           report=lambda line: print(line, flush=True))
    except AnalysisError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BUILD_FAILED
    except OSError as err:
        print(f"error: cannot write into {args.out}: {err.strerror or err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    seen = set()
    for err in errors:
        # Two briefs failing on the same bad data file report it once.
        text = str(err.evalue) if isinstance(err, NotebookCellError) else None
        print(f"error: {err}" if text not in seen else f"error: brief {err.brief!r}: "
              "failed on the same problem as above", file=sys.stderr)
        seen.add(text)
    if any(isinstance(e, NotebookCellError) and e.ename in BAD_INPUT_ERRORS
           for e in errors):
        return EXIT_BAD_INPUT
    return EXIT_BUILD_FAILED if errors else EXIT_OK
