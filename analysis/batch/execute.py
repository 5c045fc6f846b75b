"""One brief, in whatever process runs it: execute the notebook with papermill into a
staging folder, then render the executed notebook to HTML (nbconvert) and PDF
(WeasyPrint) beside it. Publishing the folder is the caller's job (`publish`).

A `Worker` builds brief after brief on one warm kernel (see `kernels`), and keeps the
HTML exporter and the PDF fonts it made for the first brief. In the manner of papermill:
save the failed notebook, then raise.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..exceptions import BuildError, KernelLostError, NotebookCellError
from ..files import write_atomic
from .plan import BriefJob
from .publish import failed_notebook_path

# The papermill engine of `engine`, by the name pyproject.toml registers it under. Only
# papermill imports that module (through its entry point), as it loads its engines.
ENGINE_NAME = "analysis-briefs"

# The stages a brief passes through, as reported to the reader of a build.
STARTING_KERNEL, EXECUTING, RENDERING_HTML, RENDERING_PDF = (
    "starting the kernel", "executing the notebook", "rendering HTML", "rendering PDF")


@dataclass(frozen=True)
class WorkerSettings:
    """What every worker of one build shares: the environment its kernels start with
    (the build's size limits, which the notebook's loader reads), how long one cell may
    run before its kernel counts as hung (None: no limit), and the paper its briefs are
    printed on."""

    env: dict[str, str] = field(default_factory=dict)
    cell_timeout: float | None = None
    paper: str = "A4"


def _prepare(paper: str) -> None:
    """What a worker imports and sets up while its kernel starts: papermill first, which
    the first brief needs as soon as the kernel is warm, then the renderers."""
    import papermill  # noqa: F401

    from ..render.exporter import brief_exporter
    from ..render.pdf import pdf_renderer

    brief_exporter(paper)
    pdf_renderer()


class Worker:
    """Builds briefs one after another on one warm kernel. `start()` starts the kernel
    ahead of the first brief; `close()` shuts it down."""

    def __init__(self, settings: WorkerSettings = WorkerSettings()):
        self.settings = settings
        self.kernel = None
        self._starting = None  # a kernel whose process exists, not yet warm
        # papermill, nbconvert and WeasyPrint import and set up in a thread while the
        # kernel starts and runs the first notebook: the worker is only waiting on the
        # kernel then. The thread starts once the kernel's process exists: started
        # earlier, it held the interpreter's lock while this thread was on its way to
        # launching the kernel, and the kernel started up to half a second later.
        self._rendering_ready = threading.Thread(target=_prepare,
                                                 args=(settings.paper,), daemon=True)

    def _start_preparing_rendering(self) -> None:
        if self._rendering_ready.ident is None:
            self._rendering_ready.start()

    def _rendering_prepared(self) -> None:
        self._start_preparing_rendering()  # if no kernel ever started, the work is done here
        self._rendering_ready.join()

    def start(self, cwd: str | Path = ".") -> None:
        if self.kernel is None:
            from .kernels import WarmKernel

            try:
                self.kernel = WarmKernel(self.settings.env, str(cwd),
                                         launched=self._launched)
            finally:
                self._starting = None

    def _launched(self, kernel) -> None:
        self._starting = kernel
        self._start_preparing_rendering()

    def close(self) -> None:
        kernel, self.kernel = self.kernel, None
        if kernel is not None:
            kernel.shutdown()

    def kill(self) -> None:
        """Kill this worker's kernel at once, one still starting included (see
        `WarmKernel.kill`), for a worker that must end now."""
        for kernel in (self.kernel, self._starting):
            if kernel is not None:
                kernel.kill()

    def build(self, job: BriefJob, staging: Path,
              on_stage: Callable[[str], None] = lambda stage: None) -> float:
        """Build one brief into `staging`. Returns the seconds it took. Raises
        NotebookCellError or KernelLostError (with the failed notebook saved) or
        BuildError."""
        started = time.perf_counter()
        try:
            notebook_out = staging / f"{job.name}.ipynb"
            self._ready_kernel(job, on_stage)
            on_stage(EXECUTING)
            try:
                self._execute(job, notebook_out, staging)
            finally:
                if self.kernel is not None:
                    self.kernel.release()
            self._rendering_prepared()
            _render(job, notebook_out, staging, on_stage)
        except OSError as err:
            # A full disk or a folder that turned read-only: say so; the last good brief
            # stays.
            where = f": {err.filename}" if err.filename else ""
            raise BuildError(job.name, f"could not write the brief: {err.strerror or err}"
                                       f"{where}") from None
        return time.perf_counter() - started

    def _ready_kernel(self, job: BriefJob, on_stage) -> None:
        cwd = str(job.notebook.parent)
        if self.kernel is not None:
            try:
                self.kernel.reset(cwd)
                return
            except Exception:  # dead, or stuck in its reset: a new one
                self._discard_kernel()
        on_stage(STARTING_KERNEL)
        try:
            self.start(cwd)
        except Exception as err:
            raise BuildError(job.name, f"its kernel could not start: "
                                       f"{type(err).__name__}: {err}") from None
        self.kernel.reset(cwd)

    def _discard_kernel(self) -> None:
        try:
            self.close()
        except Exception:  # already gone: nothing to shut down
            self.kernel = None

    def _execute(self, job: BriefJob, notebook_out: Path, staging: Path) -> None:
        import papermill
        from nbclient.exceptions import CellTimeoutError, DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        try:
            papermill.execute_notebook(
                str(job.notebook), str(notebook_out),
                parameters={**job.parameters, "output_dir": str(staging)},
                # The kernel already runs in the notebook's folder (its reset): papermill's
                # own `cwd` would change this whole process's directory, threads and all.
                progress_bar=False, log_output=False, report_mode=False,
                execution_timeout=self.settings.cell_timeout,
                km=self.kernel.km,
                # Written once, when the run ends (see `engine`), not before and after
                # every cell too: those writes are for a reader following the file live.
                request_save_on_cell_execute=False, engine_name=ENGINE_NAME,
                save_when_lost=str(notebook_out),
            )
        except PapermillExecutionError as err:
            first_line = next((line for line in (err.source or "").splitlines()
                               if line.strip()), "")
            raise NotebookCellError(job.name, int(err.cell_index), err.ename, err.evalue,
                                    _save_failed(job, notebook_out), first_line) from None
        except (CellTimeoutError, DeadKernelError) as err:
            self._discard_kernel()
            reason = (f"did not finish a cell within {self.settings.cell_timeout:g} s"
                      if isinstance(err, CellTimeoutError) else "died")
            raise KernelLostError(job.name, reason, _running_cell(notebook_out),
                                  _save_failed(job, notebook_out)) from None
        except Exception:
            self._discard_kernel()  # in an unknown state: the next brief gets a new one
            raise


def _save_failed(job: BriefJob, notebook_out: Path) -> str:
    failed = failed_notebook_path(job.out_dir, job.name)
    if notebook_out.is_file():
        write_atomic(failed, notebook_out.read_bytes())
    return str(failed)


def _running_cell(notebook_path: Path) -> int:
    """The index of the last cell papermill started before the kernel was lost."""
    import nbformat

    try:
        nb = nbformat.read(notebook_path, as_version=4)
    except (OSError, ValueError):
        return -1
    started = [i for i, cell in enumerate(nb.cells)
               if cell.metadata.get("papermill", {}).get("start_time")]
    return started[-1] if started else -1


def build_brief(job: BriefJob, staging: Path,
                on_stage: Callable[[str], None] = lambda stage: None) -> float:
    """Build one brief on a kernel of its own (started and shut down here)."""
    worker = Worker()
    try:
        return worker.build(job, staging, on_stage)
    finally:
        worker.close()


def _render(job: BriefJob, notebook_path: Path, staging: Path, on_stage) -> None:
    import nbformat

    from ..render.exporter import notebook_to_html
    from ..render.pdf import html_to_pdf

    on_stage(RENDERING_HTML)
    nb = nbformat.read(notebook_path, as_version=4)
    _strip_run_metadata(nb)
    nbformat.write(nb, notebook_path)
    html = notebook_to_html(nb, paper=job.paper)
    (staging / f"{job.name}.html").write_text(html, encoding="utf-8")
    on_stage(RENDERING_PDF)
    html_to_pdf(html, staging / f"{job.name}.pdf")
    missing = [p.name for p in job.outputs(staging) if not p.is_file()]
    if missing:
        raise BuildError(job.name, "the notebook did not write " + ", ".join(missing))


# Parameters whose values are paths of one run's scratch files: the staging folder, the
# tables handed over.
RUN_PARAMETERS = ("output_dir", "checked_inputs")


def _strip_run_metadata(nb) -> None:
    """Timings and the paths of one run's scratch files differ on every run; drop them
    so the executed notebook, like the HTML and PDF, depends only on the inputs."""
    papermill_meta = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path"):
        papermill_meta.pop(key, None)
    for name in RUN_PARAMETERS:
        papermill_meta.get("parameters", {}).pop(name, None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        meta = cell.metadata.get("papermill")
        if meta:
            for key in ("start_time", "end_time", "duration"):
                meta.pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # papermill gives it a random id
            cell.source = "\n".join(line for line in cell.source.splitlines()
                                    if not line.startswith(tuple(
                                        f"{name} = " for name in RUN_PARAMETERS)))
