"""`build --data` is about the user's data only: without --briefs it makes the starter
briefs (monthly from the data's first day, weekly since the inauguration), titled by the
table they count, with none of the article's tables; and a brief on other data speaks of
its own data, not the article's."""

import json
import subprocess
import sys

import pytest

from analysis import config
from analysis.batch.plan import BuildRequest, plan

ROWS = ("event_id,date_start,date_end,governorate,weapon,selection,selection_reason\n"
        "a1,2020-11-02,2020-11-02,Anbar,rocket,selected,rule base: named base\n"
        "a2,2020-12-01,2020-12-31,Baghdad,rocket,selected,rule embassy: Green Zone\n"
        "a3,2021-01-25,2021-01-25,Erbil,drone,kept,kept by the analyst\n"
        "a4,2021-02-10,2021-02-10,Baghdad,ied,review,rule convoy: supply convoy?\n"
        "a5,2021-03-01,2021-03-07,Anbar,rocket,selected,rule base: named base\n")


def test_data_without_briefs_makes_the_starter_briefs_of_that_data_alone(tmp_path):
    (tmp_path / "mine.csv").write_text(ROWS)
    jobs = plan(BuildRequest(data=[str(tmp_path / "mine.csv")], out=str(tmp_path / "out")))
    assert [job.name for job in jobs] == ["monthly", "weekly-since-inauguration"]
    for job in jobs:
        assert job.parameters["data_path"] == str(tmp_path / "mine.csv")
        assert (job.parameters["claims_path"], job.parameters["context_path"],
                job.parameters["sources_path"]) == ("", "", "")
        assert job.parameters["title"].startswith("Attacks in mine.csv, by ")
    assert jobs[0].parameters["start"] == ""
    # Without --data, the article's briefs, as before.
    assert [job.name for job in plan(BuildRequest(out=str(tmp_path / "out")))] == [
        "since-2019", "since-inauguration", "since-2019-all-sources"]


@pytest.mark.slow
def test_a_build_on_the_users_data_holds_only_their_briefs_about_their_data(tmp_path):
    (tmp_path / "mine.csv").write_text(ROWS)
    result = subprocess.run([sys.executable, "-m", "analysis", "build", "--data", "mine.csv",
                             "--out", "out", "--jobs", "1"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=900)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "index.html", "monthly", "weekly-since-inauguration"]
    monthly = json.loads((out / "monthly" / "summary.json").read_text())
    assert monthly["title"] == "Attacks in mine.csv, by month from the data's first day"
    assert monthly["window_start"] == monthly["data_start"] == "2020-11-02"
    assert monthly["awaiting_review"] == 1 and monthly["unselected_rows"] == 0
    assert (monthly["attacks_min"], monthly["attacks_max"]) == (4, 5)
    assert monthly["sources"] == []
    html = (out / "monthly" / "monthly.html").read_text(encoding="utf-8")
    text = " ".join(html.split())
    assert "1 event possibly in the window awaits review" in text
    assert "counted as possible only, not in the expected count, until a decision keeps it" \
        in text
    for article in ("twenty attacks", "late January", "fall of 2019", config.CLAIMS_CSV.name):
        assert article not in text, article
