"""The notebook: thin, clean, documented parameters, and real papermill runs."""

import json
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest

from analysis import brief, config
from analysis.counting import frequency, trend
from analysis.inputs import load

NOTEBOOK = config.NOTEBOOK
PARAMETERS = ["data_path", "matches_path", "claims_path", "context_path", "sources_path",
              "start", "as_of", "freq", "compare_at", "trend_recent", "trend_baseline",
              "breakdowns", "region", "governorate", "target_type", "weapon", "title",
              "output_dir", "previous_edition", "checked_inputs"]


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_source_notebook_is_committed_without_outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_notebook_is_thin(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                assert not line.lstrip().startswith(("def ", "class ", "lambda")), line


def test_every_parameter_is_documented(nb):
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    inferred = papermill.inspect_notebook(str(NOTEBOOK))
    assert list(inferred) == PARAMETERS
    for name, info in inferred.items():
        assert info["help"].strip(), f"{name} has no comment for --help-notebook"


def test_brief_parameter_sets_are_valid():
    from analysis.batch.plan import read_brief_definitions

    notebook, briefs = read_brief_definitions()
    assert notebook == NOTEBOOK
    assert set(briefs) == {"since-2019", "since-inauguration", "since-2019-all-sources"}
    assert briefs["since-2019"]["start"] == "2019-01-01"
    assert briefs["since-2019"]["freq"] == "month"
    assert briefs["since-inauguration"]["start"] == "2021-01-20"
    assert briefs["since-inauguration"]["freq"] == "week"
    for params in briefs.values():
        assert set(params) <= set(PARAMETERS)


def run(tmp_path, **parameters) -> Path:
    out = tmp_path / "out"
    papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "run.ipynb"),
                               parameters={"output_dir": str(out), **parameters},
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    return out


@pytest.mark.slow
def test_article_data_weekly_since_inauguration(tmp_path, dataset):
    out = run(tmp_path, data_path=str(dataset / "attacks.csv"),
              claims_path=str(dataset / "claims.csv"),
              context_path=str(dataset / "context_events.csv"),
              sources_path=str(dataset / "sources.csv"), start="2021-01-20", freq="week",
              compare_at="")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["window_start"] == "2021-01-20" and summary["window_end"] == "2021-04-20"
    assert summary["attacks_exact"] == 1
    assert summary["attacks_min"] == 20 and summary["attacks_max"] == 20
    assert summary["attacks_expected"] == pytest.approx(20)
    assert summary["rate_per_week_expected"] == pytest.approx(20 / 91 * 7)
    assert summary["sources"] == list(load.load_sources(dataset / "sources.csv")["title"])

    counts = pd.read_csv(out / "counts.csv", parse_dates=["period_start", "period_end"])
    assert list(counts.columns) == ["period_start", "period_end", "days", "exact", "min",
                                    "max", "expected", "covered"]
    assert counts["covered"].eq(1).all()  # the article covers every week of this window
    attacks = load.load_attacks(dataset / "attacks.csv")
    window = frequency.Window(pd.Timestamp("2021-01-20"), pd.Timestamp("2021-04-20"))
    truth = frequency.attacks_per_period(attacks, window, "week")
    pd.testing.assert_frame_equal(counts[["exact", "min", "max"]],
                                  truth[["exact", "min", "max"]], check_dtype=False)
    assert counts["expected"].to_numpy() == pytest.approx(truth["expected"].to_numpy(),
                                                          abs=1e-6)
    assert counts["period_start"].iloc[0] == pd.Timestamp("2021-01-20")
    assert (counts["period_start"].diff().dropna() == pd.Timedelta(days=7)).all()
    for name in ("frequency", "cumulative"):
        assert (out / "figures" / f"{name}.svg").stat().st_size > 0
        assert (out / "figures" / f"{name}.png").stat().st_size > 0
    # The trend: the last 4 weeks against the 9 before them (the window has 13); Balad
    # (4 April) is in them, and 28 of the 91 days of each of the 19 undated windows.
    assert summary["trend"]["recent"] == {"start": "2021-03-24", "end": "2021-04-20",
                                          "days": 28, "min": 1, "max": 20,
                                          "expected": pytest.approx(1 + 19 * 28 / 91)}
    assert summary["trend"]["baseline"]["start"] == "2021-01-20"
    assert summary["trend"]["verdict"] == "cannot tell"
    listed = pd.read_csv(out / "attacks.csv")
    assert len(listed) == 20 and listed["Attack ids"].is_unique
    html = "".join(o.get("data", {}).get("text/html", "") for c in
                   nbformat.read(tmp_path / "run.ipynb", as_version=4).cells
                   for o in c.get("outputs", []))
    assert "The latest weeks against those before: cannot tell" in html
    assert '<section class="attack-list">' in html and "USIRQ-2021-020" in html


@pytest.mark.slow
def test_defaults_run_top_to_bottom_from_the_notebooks_folder(tmp_path):
    """As a user opening it in Jupyter would: from notebooks/, every default kept."""
    executed = tmp_path / "defaults.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(executed), kernel_name="python3",
                               progress_bar=False, cwd=str(NOTEBOOK.parent),
                               parameters={"output_dir": str(tmp_path / "out")})
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert (summary["window_start"], summary["window_end"]) == ("2019-01-01", "2021-04-20")
    outputs = [o for c in nbformat.read(executed, as_version=4).cells
               for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]


@pytest.mark.slow
def test_user_event_list_with_only_required_columns(tmp_path):
    data = tmp_path / "mine.csv"
    data.write_text("event_id,date_start,date_end\n"
                    "a,2020-01-03,2020-01-03\nb,2020-01-10,2020-02-10\n"
                    "c,2020-03-01,2020-03-01\n")
    out = run(tmp_path, data_path=str(data), claims_path="", context_path="",
              sources_path="", start="2020-01-01", freq="month", compare_at="2020-02-01")
    summary = json.loads((out / "summary.json").read_text())
    # as_of falls back to the latest date_end, since no sources were given.
    assert summary["window_end"] == "2020-03-01"
    assert summary["attacks_min"] == 3 and summary["attacks_exact"] == 2
    assert summary["sources"] == []
    assert len(pd.read_csv(out / "counts.csv")) == 3
    assert not (out / "figures" / "breakdown-region.svg").exists()


@pytest.mark.slow
def test_breakdowns_choose_the_charts_a_brief_draws(tmp_path, dataset):
    data = tmp_path / "mine.csv"
    data.write_text("event_id,date_start,date_end,governorate,weapon\n"
                    "a,2020-01-03,2020-01-03,Anbar,rocket\nb,2020-01-10,2020-01-10,Erbil,drone\n"
                    "c,2020-03-01,2020-03-01,Erbil,rocket\n")
    out = run(tmp_path, data_path=str(data), claims_path="", context_path="",
              sources_path="", start="2020-01-01", compare_at="",
              breakdowns=["governorate"])
    assert sorted(p.name for p in (out / "figures").glob("breakdown-*.svg")) == [
        "breakdown-governorate.svg"]
    with pytest.raises(papermill.PapermillExecutionError) as info:
        run(tmp_path, data_path=str(data), claims_path="", context_path="",
            sources_path="", start="2020-01-01", breakdowns=["province"])
    assert info.value.ename == "ParameterError" and "province" in info.value.evalue


@pytest.mark.slow
def test_bad_data_fails_in_the_loading_cell_with_the_problem(tmp_path):
    data = tmp_path / "bad.csv"
    data.write_text("event_id,date_start,date_end\na,2020-01-03,2019-01-01\n")
    with pytest.raises(papermill.PapermillExecutionError) as info:
        run(tmp_path, data_path=str(data), claims_path="", context_path="", sources_path="")
    assert info.value.ename == "DataError"
    assert "date_end is before date_start" in info.value.evalue


def test_window_and_summary_helpers_agree_with_frequency():
    inputs = brief.load_inputs(config.ATTACKS_CSV, config.CLAIMS_CSV, config.CONTEXT_CSV,
                               config.SOURCES_CSV)
    window = brief.resolve_window("2019-01-01", "", inputs.attacks, inputs.sources)
    assert window.end == pd.Timestamp("2021-04-20")
    summary = brief.summarise(inputs, window, "month", brief.coverage_of(inputs, window))
    assert summary["attacks_exact"] == 1 and summary["attacks_max"] == 20
    comparison = brief.claims_against_data(inputs.claims, inputs.merged)
    c3 = comparison.set_index("claim_id").loc["C3"]
    assert (c3["data_min"], c3["data_max"]) == (20, 20)


def committed_jobs():
    from analysis.batch.plan import BuildRequest, plan

    return {job.name: job for job in plan(BuildRequest())}


@pytest.mark.parametrize("name", ["since-2019", "since-inauguration",
                                  "since-2019-all-sources"])
def test_committed_briefs_match_the_data(name):
    """The committed summary.json and counts.csv are what the data give today."""
    from analysis.batch.plan import TABLE_OPTIONS

    params = committed_jobs()[name].parameters
    inputs = brief.load_inputs(**{k: params[k] for k in TABLE_OPTIONS})
    window = brief.resolve_window(params["start"], params.get("as_of", ""), inputs.attacks,
                                  inputs.sources)
    covered = brief.coverage_of(inputs, window)
    folder = config.REPORTS_DIR / name
    committed = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    expected = brief.summarise(inputs, window, params["freq"], covered, title=params["title"])
    latest = trend.compare(inputs.merged, window, params["freq"], covered.days,
                           coverage_declared=covered.declared)
    assert committed == {**expected, "previous_edition": None,  # the committed are first
                         "trend": latest.as_dict()}
    counts = pd.read_csv(folder / "counts.csv")
    truth = brief.per_period(inputs, window, params["freq"], covered)
    columns = ["exact", "min", "max", "covered"]
    assert counts[columns].to_numpy().tolist() == truth[columns].to_numpy().tolist()
    if len(inputs.tables) == 1:
        ordinary = frequency.attacks_per_period(inputs.attacks, window, params["freq"])
        assert truth[["exact", "min", "max"]].equals(ordinary[["exact", "min", "max"]])
