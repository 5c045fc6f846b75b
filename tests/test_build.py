"""End-to-end builds: real papermill, real nbconvert, real WeasyPrint, on the small
article dataset copied into a temporary folder."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import snapshot
from pypdf import PdfReader

from analysis import config
from analysis.render.text import count_range

pytestmark = pytest.mark.slow

BRIEF_FILES = ["{n}.ipynb", "{n}.html", "{n}.pdf", "counts.csv", "summary.json",
               "figures/frequency.svg", "figures/frequency.png", "figures/cumulative.svg",
               "figures/cumulative.png"]


def build(dataset: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "analysis", "build", "--out", str(out),
            "--briefs", str(config.BRIEFS_TOML), "--data", str(dataset / "attacks.csv"),
            "--claims", str(dataset / "claims.csv"),
            "--context", str(dataset / "context_events.csv"),
            "--sources", str(dataset / "sources.csv"), *extra]
    return subprocess.run(args, capture_output=True, text=True, cwd=out.parent, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Both briefs, built once for the module; later tests rebuild from here."""
    root = tmp_path_factory.mktemp("build")

    from conftest import copy_dataset

    copy_dataset(root)
    out = root / "reports"
    result = build(root / "data", out)
    assert result.returncode == 0, result.stderr
    return root / "data", out, result


def test_build_writes_every_file_of_both_briefs(built):
    _, out, result = built
    for name in ("since-2019", "since-inauguration"):
        for pattern in BRIEF_FILES:
            path = out / name / pattern.format(n=name)
            assert path.is_file() and path.stat().st_size > 0, path
        assert f"built {name}" in result.stdout


def test_html_is_a_brief_not_a_notebook(built):
    _, out, _ = built
    html = (out / "since-2019" / "since-2019.html").read_text(encoding="utf-8")
    summary = json.loads((out / "since-2019" / "summary.json").read_text())
    assert "<script" not in html
    assert "brief.load_inputs" not in html and "import" not in html.split("<body")[1]
    assert "In&nbsp;[" not in html and "In [" not in html
    assert html.count('<figure class="chart">') >= 2
    assert html.count('class="chart-svg"') >= 2  # inline SVG, not images
    assert 'aria-label="Bar chart of attacks per month' in html
    assert f"{summary['attacks_expected']:.1f}" in html
    assert f">{count_range(summary['attacks_min'], summary['attacks_max'])}<" in html
    assert "Notes on the data" in html
    assert "two rockets fell near Balad Air Base" in html
    assert "<title>Attacks on US interests in Iraq since 2019</title>" in html


def test_pdf_has_searchable_text_page_numbers_and_metadata(built):
    _, out, _ = built
    summary = json.loads((out / "since-inauguration" / "summary.json").read_text())
    reader = PdfReader(out / "since-inauguration" / "since-inauguration.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Attacks on US interests in Iraq since President Biden" in text
    assert f"{summary['attacks_expected']:.1f}" in text
    assert "Page 1 of" in text
    assert reader.metadata.title.startswith("Attacks on US interests in Iraq")
    assert "2021" in str(reader.metadata.get("/CreationDate", ""))


def test_second_run_skips_and_force_is_byte_identical(built):
    dataset, out, _ = built
    before = snapshot(out / "since-2019")
    again = build(dataset, out)
    assert again.returncode == 0, again.stderr
    assert "unchanged since-2019" in again.stdout
    assert "unchanged since-inauguration" in again.stdout
    forced = build(dataset, out, "--force", "--only", "since-2019")
    assert forced.returncode == 0, forced.stderr
    assert "built since-2019" in forced.stdout
    assert snapshot(out / "since-2019") == before


def test_changed_data_rebuilds(built, tmp_path):
    dataset, out, _ = built
    import shutil

    shutil.copytree(out, tmp_path / "reports")
    attacks = dataset / "attacks.csv"
    original = attacks.read_text(encoding="utf-8")
    try:
        attacks.write_text(original.replace("Exactly dated.", "Exactly dated!"), "utf-8")
        result = build(dataset, tmp_path / "reports", "--only", "since-inauguration")
        assert result.returncode == 0, result.stderr
        assert "built since-inauguration" in result.stdout
    finally:
        attacks.write_text(original, encoding="utf-8")


def test_bad_data_is_refused_before_any_notebook_runs(built, tmp_path):
    dataset, out, _ = built
    import shutil

    shutil.copytree(out, tmp_path / "reports")
    before = snapshot(tmp_path / "reports" / "since-2019")
    bad = tmp_path / "bad.csv"
    bad.write_text("event_id,date_start,date_end\nx,2021-03-05,2021-03-01\n")
    result = build(dataset, tmp_path / "reports", "--only", "since-2019", "--data",
                   str(bad))
    assert result.returncode == 2
    # The build runs in tmp_path, so the file is named as typed there.
    assert result.stderr == "bad.csv:2: date_end: '2021-03-01': date_end is before date_start\n"
    failed = tmp_path / "reports" / "since-2019.failed.ipynb"
    failed.write_text("{}")  # left by an earlier failure
    assert snapshot(tmp_path / "reports" / "since-2019") == before
    assert not list((tmp_path / "reports").glob(".since-2019.staging-*"))
    # Back on good data the brief is unchanged, and a stale failure is cleared.
    again = build(dataset, tmp_path / "reports", "--only", "since-2019")
    assert again.returncode == 0 and "unchanged since-2019" in again.stdout
    assert not failed.exists()


def test_bad_arguments_exit_2_with_a_clear_message(built, tmp_path):
    dataset, _, _ = built
    out = tmp_path / "reports"
    cases = [(["--only", "nope"], "no such brief"),
             (["--as-of", "2021-02-30"], "--as-of: '2021-02-30'"),
             (["--as-of", '"); import os; os.system("true'], "must be a date"),
             (["--data", str(tmp_path / "missing.csv")], "file does not exist")]
    for extra, message in cases:
        result = build(dataset, out, *extra)
        assert result.returncode == 2, (extra, result.stderr)
        assert message in result.stderr, (extra, result.stderr)
    (tmp_path / "file").write_text("x")
    result = build(dataset, tmp_path / "file")
    assert result.returncode == 2 and "is a file, not a folder" in result.stderr


def test_title_with_code_stays_a_string(tmp_path, dataset):
    """Parameters are data: papermill injects them as string literals."""
    from analysis.batch.execute import build_brief
    from analysis.batch.plan import BriefJob, read_brief_definitions

    hostile = '"); import os; os.system("touch PWNED'
    job = BriefJob("hostile", read_brief_definitions()[0],
                   {"title": hostile, "start": "2021-01-20", "freq": "week",
                    "compare_at": "", "data_path": str(dataset / "attacks.csv"),
                    "claims_path": "", "context_path": "", "sources_path": "",
                    "as_of": ""}, tmp_path, "A4")
    (tmp_path / "hostile").mkdir()
    build_brief(job, tmp_path / "hostile")
    import html as html_lib
    import re

    page = (tmp_path / "hostile" / "hostile.html").read_text(encoding="utf-8")
    heading = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert html_lib.unescape(heading) == hostile
    assert not list(tmp_path.rglob("PWNED"))


def test_timings_name_every_stage_of_each_brief_that_ran(built):
    dataset, out, _ = built
    result = build(dataset, out, "--force", "--timings")
    assert result.returncode == 0, result.stderr
    table = result.stdout.split("seconds per stage", 1)[1].splitlines()[1:]
    assert table[0].split() == ["brief", "starting", "notebook", "HTML", "PDF", "total"]
    names = {line.split()[0] for line in table[1:-1]}
    assert names == {"since-2019", "since-inauguration", "since-2019-all-sources"}
    for line in table[1:]:
        *stages, total = map(float, line.split()[-5:])
        starting, *work = stages  # a warm kernel's wait can print as 0.00
        assert starting >= 0 and all(s > 0 for s in work)
        assert total == pytest.approx(sum(stages), abs=0.001)
