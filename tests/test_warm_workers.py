"""Warm workers: one kernel per worker, reset before each brief, so that no brief can tell
it was not the first. A kernel that dies is replaced, and its brief fails alone."""

import json
import os
from pathlib import Path

import nbformat
import pytest
from conftest import IN_KERNELS, inject, log_kernels, snapshot

from analysis.batch.execute import Worker, WorkerSettings
from analysis.batch.kernels import WarmKernel
from analysis.batch.plan import BriefJob, read_brief_definitions
from analysis.exceptions import KernelLostError

pytestmark = pytest.mark.slow

# Each run prints the state it finds, then changes every part of it that a brief could.
PROBE = [
    "print(sorted(name for name in globals() if not name.startswith('_')))",
    "import os, warnings\n"
    "import matplotlib, matplotlib.pyplot as plt\n"
    "print(matplotlib.rcParams['lines.linewidth'], plt.get_fignums(), os.getcwd(),\n"
    "      os.environ.get('PROBE'))\n"
    "warnings.warn('shown once per location, unless the registry is reset')",
    "matplotlib.rcParams['lines.linewidth'] = 9\n"
    "plt.figure()\n"
    "os.environ['PROBE'] = 'left by the last brief'\n"
    "os.chdir('/')\n"
    "warnings.simplefilter('ignore')\n"
    "leaked = 'a name left by the last brief'",
]


def run_probe(kernel: WarmKernel, folder: Path, out: Path) -> dict:
    import papermill

    kernel.reset(str(folder))
    papermill.execute_notebook(str(folder / "probe.ipynb"), str(out), progress_bar=False,
                               km=kernel.km)
    nb = json.loads(out.read_text())
    return [(cell["execution_count"], cell["outputs"]) for cell in nb["cells"]]


def test_a_reset_kernel_shows_a_brief_nothing_of_the_brief_before(tmp_path, monkeypatch):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code) for code in PROBE])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "probe.ipynb")
    kernel = WarmKernel({}, str(tmp_path))
    try:
        first = run_probe(kernel, tmp_path, tmp_path / "first.ipynb")
        # Let go of right after a brief, before any next one asks for a reset.
        kernel.release()
        kernel._run_silently("assert 'leaked' not in globals()", 10)
        client = kernel.km.notebook_client
        second = run_probe(kernel, tmp_path, tmp_path / "second.ipynb")
        # Both notebooks ran through one client, connected once (no readiness wait per
        # brief), and it did not hear the worker's own reset as the notebook's output.
        assert kernel.km.notebook_client is client and client.channels_running
    finally:
        kernel.shutdown()
    assert not client.channels_running
    # Briefs are not written into the user's IPython history (nor wait on its database).
    assert not list((tmp_path / "ipython").rglob("history.sqlite"))
    assert second == first
    assert [count for count, _ in first] == [1, 2, 3]
    printed = "".join("".join(o.get("text", "")) for _, outputs in first for o in outputs)
    assert "leaked" not in printed and str(tmp_path) in printed
    assert "shown once per location" in printed


def job(name: str, title: str, dataset: Path, out: Path) -> BriefJob:
    return BriefJob(name, read_brief_definitions()[0],
                    {"title": title, "start": "2021-01-20", "freq": "week",
                     "compare_at": "", "data_path": str(dataset / "attacks.csv"),
                     "claims_path": "", "context_path": "", "sources_path": "",
                     "as_of": ""}, out, "A4")


def test_a_kernel_that_dies_fails_its_brief_alone_and_the_next_brief_gets_a_new_one(
        tmp_path, dataset):
    env = inject(tmp_path, (
        "import os\n"
        f"if {IN_KERNELS}:  # in kernels only\n"
        "    from analysis.render import fragments\n"
        "    real = fragments.key_numbers\n"
        "    def dying(summary):\n"
        "        if 'DIES' in summary['title']:\n"
        "            os._exit(1)\n"
        "        return real(summary)\n"
        "    fragments.key_numbers = dying\n"))
    worker = Worker(WorkerSettings(env={"PYTHONPATH": env["PYTHONPATH"]}))
    staging = {name: tmp_path / name for name in ("a", "dies", "b")}
    for folder in staging.values():
        folder.mkdir()
    try:
        worker.build(job("a", "Brief A", dataset, tmp_path), staging["a"])
        first_kernel = worker.kernel.km.provisioner.pid
        with pytest.raises(KernelLostError) as lost:
            worker.build(job("dies", "DIES here", dataset, tmp_path), staging["dies"])
        stages = []
        worker.build(job("b", "Brief B", dataset, tmp_path), staging["b"], stages.append)
        assert worker.kernel.km.provisioner.pid != first_kernel
        assert stages[0] == "starting the kernel"
    finally:
        worker.close()
    error = lost.value
    assert error.reason == "died" and error.brief == "dies"
    failed = nbformat.read(error.notebook_path, as_version=4)
    assert "key_numbers" in failed.cells[error.cell_index].source
    assert (staging["b"] / "b.pdf").is_file()
    a_counts = (staging["a"] / "counts.csv").read_bytes()
    assert (staging["b"] / "counts.csv").read_bytes() == a_counts
    assert not os.path.exists(tmp_path / "dies" / "dies.pdf")


def test_the_third_brief_of_a_sweep_is_the_same_as_when_built_alone(tmp_path):
    """A sweep built with the defaults (two workers): its third brief runs on a kernel
    that has already built one, yet gives the bytes that a kernel of its own gives. Two
    kernels are started for the whole sweep."""
    from test_sweeps import BRIEFS, build, planned, user_folder

    sweep_only = "notebook" + BRIEFS.split("notebook", 1)[1].split("[briefs.")[0] + \
        "[sweeps." + BRIEFS.split("[sweeps.", 1)[1]
    briefs_toml = user_folder(tmp_path, sweep_only)
    names = [job.name for job in planned(briefs_toml)]
    assert len(names) >= 3
    kernels = tmp_path / "kernels.log"
    swept = build(briefs_toml, env=inject(tmp_path, log_kernels(kernels)))
    assert swept.returncode == 0, swept.stderr
    assert len(kernels.read_text().splitlines()) == 2
    alone = build(briefs_toml, "--only", names[2], "--out", "alone")
    assert alone.returncode == 0, alone.stderr
    third = snapshot(tmp_path / "out" / names[2])
    assert third == snapshot(tmp_path / "alone" / names[2])


def test_a_killed_kernel_is_gone_with_its_connection_file(tmp_path):
    """What a worker told to stop relies on (see `WarmKernel.kill`): jupyter_client's local
    provisioner keeps the kernel's process, which ends at once, without a message or an
    event loop, and the connection file goes with it."""
    kernel = WarmKernel({}, str(tmp_path))
    try:
        process = kernel.km.provisioner.process
        connection_file = Path(kernel.km.connection_file)
        assert process.poll() is None and connection_file.is_file()
        kernel.kill()
        assert process.poll() is not None
        assert not connection_file.exists()
    finally:
        kernel.shutdown()
