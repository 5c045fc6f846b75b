"""One brief, in whatever process runs it: execute the notebook with papermill into a
staging folder, then render the executed notebook to HTML (nbconvert) and PDF
(WeasyPrint) beside it. Publishing the folder is the caller's job (`publish`).

In the manner of papermill: save the failed notebook, then raise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ..exceptions import BuildError, NotebookCellError
from ..files import write_atomic
from .plan import BriefJob
from .publish import failed_notebook_path

# The stages a brief passes through, as reported to the reader of a build.
EXECUTING, RENDERING_HTML, RENDERING_PDF = ("executing the notebook", "rendering HTML",
                                            "rendering PDF")


def build_brief(job: BriefJob, staging: Path,
                on_stage: Callable[[str], None] = lambda stage: None) -> float:
    """Build one brief into `staging`. Returns the seconds it took. Raises
    NotebookCellError (with the failed notebook saved) or BuildError."""
    started = time.perf_counter()
    try:
        notebook_out = staging / f"{job.name}.ipynb"
        on_stage(EXECUTING)
        _execute(job, notebook_out, staging)
        _render(job, notebook_out, staging, on_stage)
    except OSError as err:
        # A full disk or a folder that turned read-only: say so; the last good brief stays.
        where = f": {err.filename}" if err.filename else ""
        raise BuildError(job.name, f"could not write the brief: {err.strerror or err}"
                                   f"{where}") from None
    return time.perf_counter() - started


def _execute(job: BriefJob, notebook_out: Path, staging: Path) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(job.notebook), str(notebook_out),
            parameters={**job.parameters, "output_dir": str(staging)},
            kernel_name="python3", cwd=str(job.notebook.parent),
            progress_bar=False, log_output=False, report_mode=False,
            # The kernel's own start-up warnings are noise in a build's output; errors in
            # cells still arrive through papermill.
            extra_arguments=["--log-level=CRITICAL"],
        )
    except PapermillExecutionError as err:
        failed = failed_notebook_path(job.out_dir, job.name)
        write_atomic(failed, notebook_out.read_bytes())
        first_line = next((line for line in (err.source or "").splitlines()
                           if line.strip()), "")
        raise NotebookCellError(job.name, int(err.cell_index), err.ename, err.evalue,
                                str(failed), first_line) from None


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
