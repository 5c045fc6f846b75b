"""Nothing is lost, on the path users take (`build` with its default parallel workers):
bad data, a failing cell, a worker killed mid-brief, the whole build killed, two builds
at once, a full disk. Each leaves the last good briefs byte-identical and no staging
folder behind."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import IN_KERNELS, inject, snapshot
from pypdf import PdfReader

from analysis import config
from analysis.batch import publish

pytestmark = pytest.mark.slow
BRIEFS = ("since-2019", "since-inauguration")


def command(dataset: Path, out: Path, *extra: str) -> list[str]:
    """What a user types, with the data and output folder moved to a scratch copy:
    no --jobs, no --only."""
    return [sys.executable, "-m", "analysis", "build", "--out", str(out),
            "--briefs", str(config.BRIEFS_TOML), "--data", str(dataset / "attacks.csv"),
            "--claims", str(dataset / "claims.csv"),
            "--context", str(dataset / "context_events.csv"),
            "--sources", str(dataset / "sources.csv"), *extra]


# Set in the environment of every build these tests start: its workers and their
# kernels inherit it, so that they can be found once the build itself is gone.
BUILD_OUT = "BRIEFS_TEST_BUILD_OUT"


def build_env(out: Path, env: dict | None = None) -> dict[str, str]:
    return {**(env or os.environ), BUILD_OUT: str(out)}


def run(dataset, out, *extra, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(command(dataset, out, *extra), capture_output=True, text=True,
                          timeout=600, env=build_env(out, env))


def leftovers(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.name.startswith(".") and p.is_dir()]


@pytest.fixture(scope="module")
def good_build(tmp_path_factory):
    """Both briefs, built once with the defaults; each test works on a copy."""

    from conftest import copy_dataset

    root = tmp_path_factory.mktemp("good")
    copy_dataset(root)
    result = run(root / "data", root / "reports")
    assert result.returncode == 0, result.stderr
    return root


class Workspace(type(Path())):
    """A scratch copy of the good build; `before` holds each brief's bytes."""

    before: dict[str, dict[str, bytes]]


@pytest.fixture
def workspace(good_build, tmp_path):
    import shutil

    shutil.copytree(good_build, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    ws.before = {name: snapshot(ws / "reports" / name) for name in BRIEFS}
    return ws


def assert_unchanged(ws: Workspace) -> None:
    for name in BRIEFS:
        assert snapshot(ws / "reports" / name) == ws.before[name], name
    assert leftovers(ws / "reports") == []


def test_an_impossible_date_stops_the_build_before_any_kernel(workspace):
    attacks = workspace / "data" / "attacks.csv"
    lines = attacks.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace("2021-01-20", "2021-02-30", 1)
    attacks.write_text("".join(lines), encoding="utf-8")
    started = time.perf_counter()
    result = run(workspace / "data", workspace / "reports")
    seconds = time.perf_counter() - started
    assert result.returncode == 2, result.stderr
    assert (f"{attacks}:3: date_start: '2021-02-30': not a real calendar date in the form "
            "YYYY-MM-DD") in result.stderr
    assert "Traceback" not in result.stderr and "BrokenProcessPool" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.count("2021-02-30") == 1  # once, not once per brief
    assert_unchanged(workspace)
    print(f"bad data refused in {seconds:.2f} s")


def test_every_problem_of_every_table_is_printed_at_once(workspace):
    data = workspace / "data"
    attacks = (data / "attacks.csv").read_text(encoding="utf-8")
    (data / "attacks.csv").write_text(attacks.replace("military_base", "airbase", 1),
                                      encoding="utf-8")
    claims = (data / "claims.csv").read_text(encoding="utf-8")
    (data / "claims.csv").write_text(claims.replace(",24,", ",dozens,", 1), encoding="utf-8")
    result = run(data, workspace / "reports")
    assert result.returncode == 2
    assert f"{data / 'attacks.csv'}:2: target_type: 'airbase': not one of" in result.stderr
    assert f"{data / 'claims.csv'}:2: count_min: 'dozens': not a whole number" in result.stderr
    assert_unchanged(workspace)


def test_a_bad_brief_parameter_names_its_line_in_briefs_toml(workspace, monkeypatch):
    result = run(workspace / "data", workspace / "reports", "--as-of", "2018-12-31")
    assert result.returncode == 2
    assert "as_of: '2018-12-31': brief 'since-2019': is before start (2019-01-01)" \
        in result.stderr
    assert_unchanged(workspace)


def test_a_failing_cell_fails_its_brief_alone(workspace, tmp_path):
    """The notebook's charts raise in one brief only: that brief keeps its last good
    version and saves its failed notebook; the other brief is built."""
    env = inject(tmp_path, (
        "import os\n"
        "from analysis.render import charts\n"
        "real = charts.cumulative_chart\n"
        "def failing(cumulative, **kw):\n"
        "    if 'inauguration' in kw.get('title', '') or cumulative['date'].iloc[0].year == 2021:\n"
        "        raise RuntimeError('injected failure')\n"
        "    return real(cumulative, **kw)\n"
        "charts.cumulative_chart = failing\n"))
    result = run(workspace / "data", workspace / "reports", "--force", env=env)
    assert result.returncode == 1, result.stderr
    assert "error: brief 'since-inauguration': cell" in result.stderr
    assert "raised RuntimeError: injected failure" in result.stderr
    assert "built since-2019" in result.stdout
    out = workspace / "reports"
    assert (out / "since-inauguration.failed.ipynb").is_file()
    assert snapshot(out / "since-inauguration") == workspace.before["since-inauguration"]
    assert leftovers(out) == []


def processes_of(out: Path) -> list[int]:
    """The processes of the build into `out` (see BUILD_OUT): its workers, and their
    kernels, whose sessions are their own."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if (process.environ().get(BUILD_OUT) == str(out)
                    and process.pid != os.getpid()):
                found.append(process.pid)
        except psutil.Error:
            continue
    return found


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until_gone(out: Path, group: int | None = None) -> None:
    """Until the processes of the build into `out` (and of its process `group`) end."""
    deadline = time.monotonic() + 60
    while processes_of(out) or (group is not None and group_alive(group)):
        assert time.monotonic() < deadline, "processes left behind"
        time.sleep(0.1)


def wait_for_a_staged_notebook(out: Path, process: subprocess.Popen) -> None:
    """Until the build into `out` has executed a notebook: mid-build."""
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".ipynb") for p in out.glob(".*staging-*/*")):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)


def test_a_worker_killed_mid_brief_is_named_with_its_stage(workspace, tmp_path):
    """kill -9 of one worker while it writes its PDF: one line names the brief and the
    stage; the other brief is built; the killed brief's last good version stays."""
    env = inject(tmp_path, (
        "import os, signal\n"
        "from analysis.render import pdf\n"
        "real = pdf.html_to_pdf\n"
        "def dying(html, pdf_path):\n"
        "    if 'since-inauguration' in str(pdf_path):\n"
        "        open(pdf_path, 'wb').write(b'%PDF-1.7 half written')\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(html, pdf_path)\n"
        "pdf.html_to_pdf = dying\n"))
    result = run(workspace / "data", workspace / "reports", "--force", env=env)
    assert result.returncode == 1
    died = [line for line in result.stderr.splitlines() if "since-inauguration" in line]
    assert died == ["error: brief 'since-inauguration': the worker was killed by signal 9 "
                    "while rendering PDF; the last good brief is unchanged"]
    assert "built since-2019" in result.stdout
    out = workspace / "reports"
    assert snapshot(out / "since-inauguration") == workspace.before["since-inauguration"]
    assert leftovers(out) == []
    wait_until_gone(out)  # the killed worker's kernel too, though it was not its child


def in_kernels(action: str) -> str:
    """sitecustomize code that does `action` in a kernel when it is about to show the key
    numbers of the since-inauguration brief."""
    return ("import os\n"
            f"if {IN_KERNELS}:  # in kernels only\n"
            "    import signal, time\n"
            "    from analysis.render import fragments\n"
            "    real = fragments.key_numbers\n"
            "    def faulty(summary):\n"
            "        if summary['window_start'] == '2021-01-20':\n"
            f"            {action}\n"
            "        return real(summary)\n"
            "    fragments.key_numbers = faulty\n")


@pytest.mark.parametrize("action, options, said", [
    ("os.kill(os.getpid(), signal.SIGKILL)", (), "the kernel died in cell 5"),
    ("time.sleep(120)", ("--cell-timeout", "3"), "the kernel did not finish a cell within "
                                                  "3 s in cell 5"),
], ids=["dies", "hangs"])
def test_a_kernel_that_dies_or_hangs_fails_its_brief_alone(workspace, tmp_path, action,
                                                           options, said):
    result = run(workspace / "data", workspace / "reports", "--force", *options,
                 env=inject(tmp_path, in_kernels(action)))
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: brief 'since-inauguration': {said}; it was replaced"]
    assert "built since-2019 " in result.stdout
    assert "built since-2019-all-sources " in result.stdout
    out = workspace / "reports"
    # Saved as far as it ran: the cells before the lost one with their outputs.
    failed = json.loads((out / "since-inauguration.failed.ipynb").read_text())["cells"]
    assert failed[4]["outputs"] and failed[5]["metadata"]["papermill"]["start_time"]
    assert snapshot(out / "since-inauguration") == workspace.before["since-inauguration"]
    assert leftovers(out) == []


def test_the_whole_build_killed_leaves_the_last_good_briefs(workspace):
    """kill -9 of the build's whole process group mid-build; the next build sweeps the
    staging folders, finds the briefs up to date and leaves them as they were."""
    out = workspace / "reports"
    process = subprocess.Popen(command(workspace / "data", out, "--force"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, env=build_env(out))
    wait_for_a_staged_notebook(out, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    wait_until_gone(out)  # kernels, in sessions of their own, go with their workers
    for name in BRIEFS:
        assert snapshot(out / name) == workspace.before[name]
    assert any(publish.STAGING_MARK in name for name in leftovers(out))
    result = run(workspace / "data", out)
    assert result.returncode == 0, result.stderr
    assert "unchanged since-2019" in result.stdout
    assert_unchanged(workspace)


def test_workers_stop_quietly_when_the_build_alone_is_killed(workspace, tmp_path):
    """kill -9 of the build's own process, not its group (as an out-of-memory killer
    does): its workers stop at once, in the middle of a cell that would run for two
    minutes, and print nothing on the terminal the build shared with them."""
    out = workspace / "reports"
    terminal = tmp_path / "stderr"
    env = inject(tmp_path, in_kernels("time.sleep(120)"))
    with terminal.open("w") as stderr:
        process = subprocess.Popen(command(workspace / "data", out, "--force"),
                                   stdout=subprocess.DEVNULL, stderr=stderr,
                                   start_new_session=True, env=build_env(out, env))
    wait_for_a_staged_notebook(out, process)
    assert processes_of(out)
    process.kill()
    process.wait()
    wait_until_gone(out, process.pid)  # within a minute, before the cell would end
    assert terminal.read_text() == ""
    for name in BRIEFS:
        assert snapshot(out / name) == workspace.before[name]


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups: POSIX")
def test_an_interrupted_build_stops_every_process_it_started(workspace):
    """Ctrl-C reaches the build's process group (the build and its workers); the kernels,
    in sessions of their own, go with their workers. One line, and no traceback."""
    out = workspace / "reports"
    process = subprocess.Popen(command(workspace / "data", out, "--force"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, start_new_session=True, env=build_env(out))
    wait_for_a_staged_notebook(out, process)
    assert processes_of(out)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert (process.returncode, err) == (130, "interrupted\n")
    wait_until_gone(out, process.pid)
    for name in BRIEFS:
        assert snapshot(out / name) == workspace.before[name]


def test_crash_between_the_two_renames_is_recovered(workspace):
    out = workspace / "reports"
    os.rename(out / "since-inauguration", out / ".since-inauguration.old")
    publish.recover(out)
    assert_unchanged(workspace)


def test_two_builds_at_once_serialise_and_both_outputs_stay_valid(workspace):
    out = workspace / "reports"
    first, second = (subprocess.Popen(command(workspace / "data", out, "--force"),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True) for _ in range(2))
    results = [p.communicate(timeout=600) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, results
    assert any("waiting for another build" in err for _, err in results)
    for name in BRIEFS:
        reader = PdfReader(out / name / f"{name}.pdf")
        assert "Page 1 of" in reader.pages[0].extract_text()
    assert leftovers(out) == []


def test_full_disk_gives_a_clear_error_and_keeps_the_briefs(workspace, tmp_path):
    env = inject(tmp_path, (
        "import errno, os\n"
        "from analysis.render import pdf\n"
        "def disk_full(html, pdf_path):\n"
        "    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(pdf_path))\n"
        "pdf.html_to_pdf = disk_full\n"))
    result = run(workspace / "data", workspace / "reports", "--force", env=env)
    assert result.returncode == 1
    for name in BRIEFS:
        assert f"brief '{name}': could not write the brief: No space left on device" \
            in result.stderr
    assert "Traceback" not in result.stderr
    assert_unchanged(workspace)


def test_read_only_out_gives_a_clear_error(workspace, monkeypatch, capsys):
    from analysis.cli import main

    out = workspace / "reports"
    real_access = os.access
    # Permission bits do not stop root, who runs CI: make the folder read-only in the
    # build's own eyes instead.
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == out
                        else real_access(p, mode))
    assert main(command(workspace / "data", out, "--force")[3:]) == 2
    assert f"--out: '{out}': {out} is not writable" in capsys.readouterr().err
    assert_unchanged(workspace)


def test_size_and_row_limits_refuse_large_data(workspace):
    result = run(workspace / "data", workspace / "reports", "--max-bytes", "100")
    assert result.returncode == 2
    assert "larger than the limit of 100 bytes" in result.stderr
    result = run(workspace / "data", workspace / "reports", "--max-rows", "5", "--force")
    assert result.returncode == 2
    assert "more rows than the limit of 5" in result.stderr
    assert_unchanged(workspace)


def test_summary_numbers_survive_a_failed_rebuild(workspace):
    summary = json.loads((workspace / "reports" / "since-2019" / "summary.json").read_text())
    assert summary["attacks_max"] >= 20
