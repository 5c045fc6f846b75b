"""A user's own briefs file: --briefs, sweeps that make one brief per value, the index of
every brief, and the next edition saying what changed. The slow tests run real builds on
the default (parallel) path."""

import html.parser
import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest

from analysis import brief, config
from analysis.batch.checking import Loader, check_inputs, notebook_defaults
from analysis.batch.plan import BuildRequest, plan, read_brief_definitions
from analysis.counting import frequency
from analysis.exceptions import DataError, ParameterError
from analysis.filters import values_in_window

RECORD = config.DATA_DIR / "public-record"

BRIEFS = """notebook = "attack-frequency.ipynb"

[briefs.kurdistan]
title = "Attacks in the Kurdistan Region"
data_path = "attacks.csv"
sources_path = "sources.csv"
region = "Kurdistan Region"
start = "2020-10-01"
freq = "month"
compare_at = ""

[sweeps.by-gov]
over = "governorate"
title = "Attacks in {value}"
data_path = "attacks.csv"
sources_path = "sources.csv"
start = "2021-01-20"
freq = "week"
compare_at = ""
"""


def user_folder(root: Path, briefs: str = BRIEFS, drop: tuple[str, ...] = ()) -> Path:
    """A user's folder: the public record's tables (less the `drop` rows) and a briefs
    file beside them."""
    root.mkdir(parents=True, exist_ok=True)
    attacks = (RECORD / "attacks.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (root / "attacks.csv").write_text("".join(line for line in attacks
                                              if not line.startswith(drop or "\0")))
    shutil.copy(RECORD / "sources.csv", root / "sources.csv")
    (root / "briefs.toml").write_text(briefs, encoding="utf-8")
    return root / "briefs.toml"


def planned(briefs_toml: Path, **options):
    request = BuildRequest(briefs=str(briefs_toml), out=str(briefs_toml.parent / "out"),
                           **options)
    jobs = plan(request)
    loader = Loader(request, lambda kind, message: None)
    return check_inputs(jobs, loader)[0]


def test_the_notebook_is_found_beside_the_file_then_in_notebooks(tmp_path):
    briefs_toml = user_folder(tmp_path)
    assert read_brief_definitions(briefs_toml)[0] == config.NOTEBOOK
    shutil.copy(config.NOTEBOOK, tmp_path / "attack-frequency.ipynb")
    assert read_brief_definitions(briefs_toml)[0] == tmp_path / "attack-frequency.ipynb"
    briefs_toml.write_text(BRIEFS.replace('"attack-frequency.ipynb"', '"nope.ipynb"'))
    with pytest.raises(ParameterError, match="no such notebook"):
        read_brief_definitions(briefs_toml)


def test_a_sweep_makes_one_brief_per_value_in_the_window(tmp_path):
    jobs = {job.name: job for job in planned(user_folder(tmp_path))}
    record = brief.load_inputs(str(tmp_path / "attacks.csv"))
    window = frequency.Window(pd.Timestamp("2021-01-20"), pd.Timestamp("2021-04-22"))
    values = values_in_window(record.attacks, "governorate", window)
    swept = {name for name in jobs if name.startswith("by-gov-")}
    assert swept == {"by-gov-" + v.lower().replace(" ", "-") for v in values}
    assert "by-gov-salah-al-din" in swept
    job = jobs["by-gov-salah-al-din"]
    assert job.parameters["governorate"] == "Salah al-Din"
    assert job.parameters["title"] == "Attacks in Salah al-Din"
    assert len({j.inputs_hash for j in jobs.values()}) == len(jobs)


def test_only_picks_a_whole_sweep_or_one_of_its_briefs(tmp_path):
    briefs_toml = user_folder(tmp_path)
    assert {job.name for job in planned(briefs_toml, only=["by-gov-anbar", "kurdistan"])} == {
        "by-gov-anbar", "kurdistan"}
    assert all(job.name.startswith("by-gov-") for job in planned(briefs_toml, only=["by-gov"]))
    with pytest.raises(ParameterError, match="no sweep makes such a brief"):
        planned(briefs_toml, only=["by-gov-atlantis"])
    with pytest.raises(ParameterError, match="no such brief or sweep"):
        planned(briefs_toml, only=["nothing"])


def test_names_that_collide_stop_the_build_before_anything_runs(tmp_path):
    clash = BRIEFS + '\n[briefs.by-gov-anbar]\ntitle = "Mine"\ndata_path = "attacks.csv"\n'
    with pytest.raises(DataError) as info:
        planned(user_folder(tmp_path, clash))
    [problem] = info.value.problems
    assert problem.line == BRIEFS.splitlines().index("[sweeps.by-gov]") + 1
    assert "'by-gov-anbar' is also made by brief 'by-gov-anbar'" in problem.message


def test_a_swept_briefs_problem_is_located_in_its_sweep(tmp_path):
    briefs_toml = user_folder(tmp_path, BRIEFS + 'colour = "red"\n')  # in [sweeps.by-gov]
    request = BuildRequest(briefs=str(briefs_toml), out=str(tmp_path / "out"))
    jobs = plan(request)
    loader = Loader(request, lambda kind, message: None)
    with pytest.raises(DataError) as info:
        check_inputs(jobs, loader)
    lines = {(p.line, p.column) for p in info.value.problems}
    assert lines == {(len(BRIEFS.splitlines()) + 1, "colour")}


def test_a_sweep_over_a_column_that_is_not_a_filter_is_refused(tmp_path):
    with pytest.raises(DataError) as info:
        planned(user_folder(tmp_path, BRIEFS.replace('over = "governorate"', 'over = "notes"')))
    [problem] = info.value.problems
    assert (problem.column, problem.value) == ("over", "notes")


def test_a_bad_filter_is_located_in_the_briefs_file(tmp_path):
    briefs_toml = user_folder(tmp_path, BRIEFS.replace('region = "Kurdistan Region"',
                                                       'region = "Kurdistan"'))
    request = BuildRequest(briefs=str(briefs_toml), out=str(tmp_path / "out"))
    jobs = plan(request)
    loader = Loader(request, lambda kind, message: None)
    with pytest.raises(DataError) as info:
        check_inputs(jobs, loader)
    [problem] = info.value.problems
    assert (problem.line, problem.column, problem.value) == (7, "region", "Kurdistan")


# ---------------------------------------------------------------------------------------
# Real builds


def build(briefs_toml: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "build", "--briefs",
                           str(briefs_toml), "--out", "out", *args], capture_output=True,
                          text=True, cwd=briefs_toml.parent, timeout=1200, env=env)


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets = []

    def handle_starttag(self, tag, attrs):
        self.targets += [v for k, v in attrs if k in ("href", "src") and v]


@pytest.mark.slow
def test_a_users_briefs_file_builds_with_counts_by_the_contract_and_an_index(tmp_path):
    briefs_toml = user_folder(tmp_path)
    result = build(briefs_toml)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    names = sorted(p.name for p in out.iterdir() if p.is_dir())
    rows = pd.read_csv(tmp_path / "attacks.csv", parse_dates=["date_start", "date_end"])
    for name in names:
        summary = json.loads((out / name / "summary.json").read_text())
        counts = pd.read_csv(out / name / "counts.csv", parse_dates=["period_start"])
        column, [value] = next(iter(summary["filters"].items()))
        chosen = rows[rows[column] == value]
        window = frequency.Window(pd.Timestamp(summary["window_start"]),
                                  pd.Timestamp(summary["window_end"]))
        want = frequency.attacks_per_period(chosen, window, summary["freq"])
        assert counts[["exact", "min", "max"]].equals(want[["exact", "min", "max"]]), name
        assert summary["title"].endswith(value) or value in summary["title"]
    window = frequency.Window(pd.Timestamp("2021-01-20"), pd.Timestamp("2021-04-22"))
    governorates = values_in_window(brief.load_inputs(str(tmp_path / "attacks.csv")).attacks,
                                    "governorate", window)
    assert len([n for n in names if n.startswith("by-gov-")]) == len(governorates)
    links = Links()
    links.feed((out / "index.html").read_text(encoding="utf-8"))
    for name in names:
        assert f"{name}/{name}.html" in links.targets and f"{name}/{name}.pdf" in links.targets
    for target in links.targets:
        assert (out / unquote(target)).is_file(), target


@pytest.mark.slow
def test_the_next_edition_names_the_attacks_new_since_the_last(tmp_path):
    """Edition 1 as of 31 March 2021 lacks the attack of 18 March, reported later;
    edition 2 as of 20 April 2021, on the larger file, names it among the new ones."""
    only_kurdistan = BRIEFS.split("[sweeps.")[0].replace('region = "Kurdistan Region"\n', "")
    briefs_toml = user_folder(tmp_path, only_kurdistan, drop=("PR-2021-03-18-1",))
    first = build(briefs_toml, "--as-of", "2021-03-31")
    assert first.returncode == 0, first.stderr
    user_folder(tmp_path, only_kurdistan)  # the 18 March attack is reported
    second = build(briefs_toml, "--as-of", "2021-04-20")
    assert second.returncode == 0, second.stderr
    folder = tmp_path / "out" / "kurdistan"
    previous = json.loads((folder / "summary.json").read_text())["previous_edition"]
    assert previous["as_of"] == "2021-03-31"
    assert previous["new_event_ids"] == ["PR-2021-03-18-1", "PR-2021-04-04-1",
                                         "PR-2021-04-14-1", "PR-2021-04-18-1"]
    assert previous["removed_event_ids"] == []
    assert previous["changes"]["attacks_max"]["after"] == (
        previous["changes"]["attacks_max"]["before"] + 4)
    html = (folder / "kurdistan.html").read_text(encoding="utf-8")
    assert "What changed since the edition of 31 March 2021" in html
    assert "PR-2021-03-18-1" in html and "reported only later" in html
    kept = sorted(p.name for p in (folder / "editions" / "2021-03-31").iterdir())
    assert kept == ["attack-ids.csv", "counts.csv", "summary.json"]
    # The same edition again compares with the one before it, not with itself.
    again = build(briefs_toml, "--as-of", "2021-04-20", "--force")
    assert again.returncode == 0, again.stderr
    assert json.loads((folder / "summary.json").read_text())["previous_edition"] == previous


def test_the_notebook_defaults_are_papermills_read_as_values(tmp_path):
    import nbformat

    source = 'a = 1\nb: str = "x"  # with help\nc = [1, "two"]\nd = 1 + 2\n'
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})
    notebook = tmp_path / "params.ipynb"
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nbformat.write(nb, notebook)
    assert notebook_defaults(notebook) == {"a": 1, "b": "x", "c": [1, "two"], "d": "1 + 2"}
    defaults = notebook_defaults(config.NOTEBOOK)
    assert defaults["freq"] == "month" and defaults["checked_inputs"] == ""


def test_a_notebook_without_readable_parameters_is_a_parameter_error(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ParameterError, match="bad.ipynb"):
        notebook_defaults(bad)
