"""Several sources in one brief: declared coverage in the numbers and the sentences,
attacks tables merged by decisions, the `match` command, and builds that merge."""

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from analysis import brief, config, narrative
from analysis.cli import main
from analysis.exceptions import DataError, DataWarning, ParameterError

DATA = config.DATA_DIR
RECORD = DATA / "public-record"
ARTICLE = [str(DATA / "attacks.csv")], [str(DATA / "sources.csv")]
BOTH = ([str(DATA / "attacks.csv"), str(RECORD / "attacks.csv")],
        [str(DATA / "sources.csv"), str(RECORD / "sources.csv")])
D = pd.Timestamp


def brief_numbers(data, sources, start, as_of, freq="week", matches=""):
    inputs = brief.load_inputs(data, "", "", sources, matches)
    window = brief.resolve_window(start, as_of, inputs.attacks, inputs.sources)
    covered = brief.coverage_of(inputs, window)
    return (inputs, window, covered, brief.summarise(inputs, window, freq, covered),
            brief.per_period(inputs, window, freq, covered))


def record_declaring(tmp_path, start, end) -> str:
    """The public record's sources, with every source declaring [start, end]."""
    sources = pd.read_csv(RECORD / "sources.csv", dtype=str, keep_default_na=False)
    sources["coverage_start"], sources["coverage_end"] = start, end
    path = tmp_path / "sources.csv"
    sources.to_csv(path, index=False)
    return str(path)


# ---------------------------------------------------------------------------------------
# Coverage in a brief


def test_the_article_covers_the_weeks_since_the_inauguration_and_nothing_before():
    _, _, _, summary, weeks = brief_numbers(*ARTICLE, "2019-01-07", "2021-04-20")
    since = weeks["period_start"] >= D("2021-01-20")
    assert not weeks.loc[weeks["period_end"] < D("2021-01-20"), "covered"].any()
    assert summary["covered_days"] == 91
    # Twenty attacks over the 91 covered days, not over the 836 days of the window.
    assert summary["rate_per_week_expected"] == pytest.approx(20 / 91 * 7)
    assert weeks.loc[since & (weeks["days"] == 7), "covered"].eq(1).all()


def test_a_record_declared_to_cover_2019_to_2021_covers_every_week_since_the_inauguration(
        tmp_path):
    sources = [str(DATA / "sources.csv"), record_declaring(tmp_path, "2019-01-01", "2021-04-30")]
    _, window, covered, summary, weeks = brief_numbers(
        BOTH[0], sources, "2021-01-20", "2021-04-20", matches=str(RECORD / "matches.csv"))
    assert weeks["covered"].eq(1).all()
    assert summary["covered_days"] == window.days == 91
    # Quiet weeks of a complete record are real zeros: nothing is shaded or excused.
    assert narrative.shading_caption(weeks, "week") == ""
    assert "the whole window" in narrative.coverage_sentence(pd.DataFrame(), window, covered)


def test_without_declared_coverage_rates_start_on_the_datas_first_day(tmp_path):
    data = tmp_path / "attacks.csv"
    data.write_text("event_id,date_start,date_end\na,2021-02-01,2021-02-01\n"
                    "b,2021-03-01,2021-03-14\n")
    inputs, window, covered, summary, weeks = brief_numbers(str(data), "", "2019-01-01",
                                                            "2021-04-20", "month")
    assert not covered.declared
    from_data = (window.end - pd.Timestamp("2021-02-01")).days + 1
    assert summary["covered_days"] is None and summary["rate_days"] == from_data == 79
    assert summary["data_start"] == "2021-02-01"
    assert summary["rate_per_week_expected"] == pytest.approx(2 / from_data * 7, abs=1e-6)
    assert weeks["covered"].isna().all()
    note = narrative.coverage_note(covered)
    assert "never over days before the data begin" in note and "--covers START:END" in note
    assert "The attack rows begin on 1 February 2021" in narrative.coverage_sentence(
        inputs.attacks, window, covered)


def test_counts_csv_writes_covered_as_1_0_or_blank(tmp_path):
    inputs, window, _, summary, weeks = brief_numbers(*ARTICLE, "2021-01-13", "2021-02-09")
    brief.write_outputs(tmp_path, weeks, summary, {}, inputs.attacks, window)
    lines = (tmp_path / "counts.csv").read_text().splitlines()
    assert lines[0].endswith(",covered")
    assert [line.rsplit(",", 1)[1] for line in lines[1:]] == ["0", "1", "1", "1"]
    assert json.loads((tmp_path / "summary.json").read_text())["covered_days"] == 21


def test_no_rate_where_no_day_is_covered():
    _, window, covered, summary, _ = brief_numbers(*ARTICLE, "2019-01-01", "2020-12-31",
                                                   "month")
    assert summary["covered_days"] == 0 and summary["rate_per_week_expected"] is None
    assert "no weekly rate is given" in narrative.lead_sentence(summary, window,
                                                                pd.DataFrame(), covered)


def test_lead_sentence_is_computed_from_the_summary():
    _, window, covered, summary, _ = brief_numbers(*ARTICLE, "2021-01-20", "2021-04-20")
    text = narrative.lead_sentence(summary, window, pd.DataFrame(), covered)
    assert text.startswith("Between 20 January 2021 and 20 April 2021, **20** distinct")
    assert f"**{summary['attacks_expected']:.1f}**" in text
    assert "Only **1** of them are dated to the day." in text
    assert f"**{summary['rate_per_week_expected']:.2f}** a week" in text


# ---------------------------------------------------------------------------------------
# Merged tables in a brief


def test_the_article_and_the_public_record_merged_by_the_committed_decisions():
    inputs, window, _, summary, _ = brief_numbers(
        *BOTH, "2021-01-20", "2021-04-20", matches=str(RECORD / "matches.csv"))
    assert (summary["attacks_min"], summary["attacks_max"]) == (20, 31)
    assert summary["duplicate_pairs"] == {"same": 1, "different": 19, "unresolved": 228}
    assert summary["rows_in_data"] == 85 and summary["attacks_in_data"] == 84
    claims = brief.claims_against_data(
        brief.load_inputs(*BOTH[:1], str(DATA / "claims.csv"), "", BOTH[1]).claims,
        inputs.merged).set_index("claim_id")
    assert (claims.loc["C3", "data_min"], claims.loc["C3", "data_max"]) == (20, 31)


def test_without_a_matches_file_every_candidate_is_unresolved():
    inputs = brief.load_inputs(*BOTH[:1], "", "", BOTH[1])
    assert brief.duplicate_decisions(inputs) == {"same": 0, "different": 0,
                                                 "unresolved": 248}
    assert "248 candidate pairs" in narrative.merge_note(inputs)


def test_a_candidate_missing_from_the_matches_file_is_unresolved_with_a_warning(tmp_path):
    lines = (RECORD / "matches.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    matches = tmp_path / "matches.csv"
    matches.write_text("".join(lines[:-1]), encoding="utf-8")  # the last pair is gone
    with pytest.warns(DataWarning, match="1 candidate pair is not listed"):
        inputs = brief.load_inputs(*BOTH[:1], "", "", BOTH[1], str(matches))
    assert brief.duplicate_decisions(inputs)["unresolved"] == 229


def test_a_source_id_in_two_sources_tables_is_an_error(tmp_path):
    copy = tmp_path / "sources.csv"
    copy.write_text("source_id,path,title\nother,,Another report\n"
                    "us-iraq-attacks-2021-04,,A second entry for the article\n")
    with pytest.raises(DataError) as info:
        brief.load_inputs(str(DATA / "attacks.csv"), "", "", [str(DATA / "sources.csv"),
                                                              str(copy)])
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.column) == (str(copy), 3, "source_id")


def test_a_matches_file_needs_two_tables():
    with pytest.raises(ParameterError, match="two or more"):
        brief.load_inputs(str(DATA / "attacks.csv"), matches_path=str(RECORD / "matches.csv"))


def test_bad_decisions_are_reported_at_their_lines(tmp_path):
    matches = tmp_path / "matches.csv"
    text = (RECORD / "matches.csv").read_text(encoding="utf-8")
    matches.write_text(text.replace(",same\n", ",yes\n", 1), encoding="utf-8")
    with pytest.raises(DataError) as info:
        brief.load_inputs(*BOTH[:1], "", "", BOTH[1], str(matches))
    assert [(p.line, p.column, p.value) for p in info.value.problems] == [
        (2, "decision", "yes")]


# ---------------------------------------------------------------------------------------
# The match command


def pairs_written(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_match_proposes_the_balad_pair_and_only_windows_that_can_meet(tmp_path, capsys):
    out = tmp_path / "matches.csv"
    assert main(["match", str(DATA / "attacks.csv"), str(RECORD / "attacks.csv"),
                 "--out", str(out)]) == 0
    pairs = pairs_written(out)
    assert list(pairs.columns) == ["event_id_a", "event_id_b", "reason", "decision"]
    balad = pairs[(pairs["event_id_a"] == "USIRQ-2021-001")
                  & (pairs["event_id_b"] == "PR-2021-04-04-1")]
    assert len(balad) == 1 and balad["decision"].iloc[0] == ""
    assert "same governorate (Salah al-Din)" in balad["reason"].iloc[0]
    tables = [pd.read_csv(DATA / "attacks.csv"), pd.read_csv(RECORD / "attacks.csv")]
    days = {r.event_id: (D(r.date_start), D(r.date_end)) for t in tables
            for r in t.itertuples()}
    for a, b in zip(pairs["event_id_a"], pairs["event_id_b"], strict=True):
        (sa, ea), (sb, eb) = days[a], days[b]
        assert sa <= eb + pd.Timedelta(days=2) and sb <= ea + pd.Timedelta(days=2)
    assert "248 candidate pairs, 0 decided, 248 to decide" in capsys.readouterr().out


def test_match_again_keeps_every_decision(tmp_path, capsys):
    out = tmp_path / "matches.csv"
    shutil.copy(RECORD / "matches.csv", out)
    assert main(["match", str(DATA / "attacks.csv"), str(RECORD / "attacks.csv"),
                 "--out", str(out)]) == 0
    assert out.read_bytes() == (RECORD / "matches.csv").read_bytes()
    assert "20 decided (20 kept from the earlier file)" in capsys.readouterr().out


def test_match_tolerance_zero_drops_the_pairs_a_day_apart(tmp_path):
    out = tmp_path / "matches.csv"
    assert main(["match", str(DATA / "attacks.csv"), str(RECORD / "attacks.csv"),
                 "--out", str(out), "--tolerance-days", "0"]) == 0
    assert "PR-2021-04-22-1" not in set(pairs_written(out)["event_id_b"])


def test_match_reports_every_problem_of_every_table_and_writes_nothing(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("event_id,date_start,date_end\nx,2021-02-30,2021-03-01\n")
    b.write_text("event_id,date_start,date_end\ny,2021-03-05,2021-03-01\n")
    out = tmp_path / "matches.csv"
    assert main(["match", str(a), str(b), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "a.csv:2: date_start: '2021-02-30'" in err and "b.csv:2: date_end:" in err
    assert not out.exists()


def test_match_needs_two_tables(tmp_path, capsys):
    assert main(["match", str(DATA / "attacks.csv"), "--out", str(tmp_path / "m.csv")]) == 2
    assert "give two or more tables" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# Builds that merge, on the default path (parallel workers)


def run_build(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "build",
                           "--briefs", str(config.BRIEFS_TOML), *args],
                          capture_output=True, text=True, cwd=cwd, timeout=900)


@pytest.mark.slow
def test_a_build_merges_repeated_data_by_the_matches_file(tmp_path):
    result = run_build(tmp_path, "--data", str(DATA / "attacks.csv"),
                       "--data", str(RECORD / "attacks.csv"),
                       "--sources", str(DATA / "sources.csv"),
                       "--sources", str(RECORD / "sources.csv"),
                       "--matches", str(RECORD / "matches.csv"),
                       "--only", "since-inauguration", "--as-of", "2021-04-20",
                       "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "out" / "since-inauguration" / "summary.json").read_text())
    assert (summary["attacks_min"], summary["attacks_max"]) == (20, 31)
    html = (tmp_path / "out" / "since-inauguration" / "since-inauguration.html").read_text()
    assert "Several sources, counted once." in html and "228 unresolved" in html


@pytest.mark.slow
def test_a_bad_matches_file_stops_the_build_before_any_notebook_runs(tmp_path):
    matches = tmp_path / "matches.csv"
    text = (RECORD / "matches.csv").read_text(encoding="utf-8")
    matches.write_text(text.replace(",same\n", ",yes\n", 1).replace("PR-2021-04-22-1",
                                                                     "PR-9999", 1))
    result = run_build(tmp_path, "--data", str(DATA / "attacks.csv"),
                       "--data", str(RECORD / "attacks.csv"),
                       "--sources", str(DATA / "sources.csv"),
                       "--sources", str(RECORD / "sources.csv"),
                       "--matches", "matches.csv", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("matches.csv:2: decision: 'yes': not one of")
    assert any(line.startswith("matches.csv:") and "'PR-9999'" in line for line in lines)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_committed_all_sources_brief_states_the_claims_against_the_merged_count():
    folder = config.REPORTS_DIR / "since-2019-all-sources"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["tables"] == ["data/attacks.csv", "data/public-record/attacks.csv"]
    assert summary["coverage_declared"] and summary["covered_days"] == 91
    html = (folder / "since-2019-all-sources.html").read_text(encoding="utf-8")
    for claim in ("Since the fall of 2019, dozens of attacks",
                  "Overall, twenty attacks"):
        assert claim in html
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # the decisions cover every candidate
        brief.load_inputs(*BOTH[:1], "", "", BOTH[1], str(RECORD / "matches.csv"))
