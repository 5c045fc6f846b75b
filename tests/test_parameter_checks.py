"""A briefs file's parameters are checked before any kernel starts: every bad parameter
of every brief is reported in one run, each located in briefs.toml, and the window's days
(--as-of, start, compare_at) must lie in the calendar the counting supports."""

import pytest
from test_sweeps import BRIEFS, planned, user_folder

from analysis import brief, config
from analysis.batch.checking import Loader, check_inputs
from analysis.batch.plan import BuildRequest, plan
from analysis.cli import main
from analysis.exceptions import DataError, ParameterError

BAD = BRIEFS.replace('region = "Kurdistan Region"', 'region = "Kurdistan"\nweapon = "sling"') \
    .replace('start = "2020-10-01"\nfreq = "month"',
             'start = "2999-01-01"\nfreq = "fortnight"') \
    .replace('start = "2021-01-20"\nfreq = "week"\ncompare_at = ""',
             'start = "2021-01-20"\nfreq = "week"\ncompare_at = "2021-02-30"')


def problems_of(briefs_toml):
    request = BuildRequest(briefs=str(briefs_toml), out=str(briefs_toml.parent / "out"))
    jobs = plan(request)
    loader = Loader(request, lambda kind, message: None)
    with pytest.raises(DataError) as info:
        check_inputs(jobs, loader)
    return info.value.problems


def test_every_bad_parameter_of_every_brief_is_reported_at_once(tmp_path):
    briefs_toml = user_folder(tmp_path, BAD)
    lines = BAD.splitlines()
    found = {(p.line, p.column, p.value) for p in problems_of(briefs_toml)}
    assert found == {
        (lines.index('region = "Kurdistan"') + 1, "region", "Kurdistan"),
        (lines.index('weapon = "sling"') + 1, "weapon", "sling"),
        (lines.index('start = "2999-01-01"') + 1, "start", "2999-01-01"),
        (lines.index('freq = "fortnight"') + 1, "freq", "fortnight"),
        (lines.index('compare_at = "2021-02-30"') + 1, "compare_at", "2021-02-30"),
    }


def test_a_sweep_with_bad_parameters_reports_them_all_before_expanding(tmp_path):
    bad = BRIEFS.replace('start = "2021-01-20"\nfreq = "week"',
                         'start = "1066-10-14"\nfreq = "day"')
    with pytest.raises(DataError) as info:
        planned(user_folder(tmp_path, bad))
    assert {(p.column, p.value) for p in info.value.problems} == {
        ("start", "1066-10-14"), ("freq", "day")}
    start = next(p for p in info.value.problems if p.column == "start")
    assert "between 1900-01-01 and 2200-12-31" in start.message


@pytest.mark.parametrize("day", ["1899-12-31", "2201-01-01", "2999-01-01", "0201-03-04"])
def test_days_outside_the_calendar_are_refused_as_parameters(day):
    with pytest.raises(ParameterError, match="must fall between 1900-01-01 and 2200-12-31"):
        brief.parse_day("compare_at", day)


@pytest.mark.parametrize("day", [config.EARLIEST_DAY, config.LATEST_DAY])
def test_the_calendars_ends_are_days_a_window_can_count_over(tmp_path, day):
    # A window may end on the last day and start on the first, and be counted.
    path = tmp_path / "attacks.csv"
    path.write_text(f"event_id,date_start,date_end\na,{day},{day}\n")
    inputs = brief.load_inputs(str(path))
    window = brief.resolve_window(config.EARLIEST_DAY, config.LATEST_DAY, inputs.attacks,
                                  inputs.sources)
    summary = brief.summarise(inputs, window, "month", brief.coverage_of(inputs, window))
    assert summary["attacks_exact"] == 1


def test_as_of_outside_the_calendar_exits_2_before_anything_runs(tmp_path, capsys):
    status = main(["build", "--as-of", "2999-01-01", "--out", str(tmp_path / "out")])
    assert status == 2
    assert capsys.readouterr().err == ("error: --as-of: '2999-01-01': must fall between "
                                       "1900-01-01 and 2200-12-31, the days a brief can "
                                       "count over\n")
    assert not (tmp_path / "out").exists()
