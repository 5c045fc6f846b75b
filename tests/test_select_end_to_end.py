"""From a broad export to a brief, as a new user goes: import with selection, decide the
doubtful events, import again, build. The brief counts the true attacks of the labelled
export and nothing else, and the build folder holds only the user's briefs."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.counting.frequency import window_counts
from analysis.inputs.load import load_attacks

pytestmark = pytest.mark.slow

SELECT = Path(__file__).parent / "fixtures" / "select"
MIXED, TRUTH = SELECT / "acled-mixed.csv", SELECT / "acled-mixed-truth.csv"


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def decide_as_the_truth(decisions: Path, true: set[str]) -> tuple[int, int]:
    """Write keep for every true attack left to review and drop for the others."""
    table = rows(decisions)
    for row in table:
        row["decision"] = "keep" if row["event_id"] in true else "drop"
    with decisions.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(table[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    kept = sum(row["decision"] == "keep" for row in table)
    return kept, len(table) - kept


def test_a_selected_export_builds_briefs_that_count_only_the_true_attacks(tmp_path):
    true = {r["event_id"] for r in rows(TRUTH) if r["is_attack"] == "1"}
    folder = tmp_path / "my-data"
    folder.mkdir()
    out, decisions = folder / "attacks.csv", folder / "decisions.csv"
    args = ["import", "acled", str(MIXED), "--out", str(out), "--select", "--decisions",
            str(decisions), "--covers", "2019-10-01:2021-04-30", "--imported-on",
            "2024-05-01"]
    assert main(args) == 0
    kept, dropped = decide_as_the_truth(decisions, true)
    assert kept and dropped  # the fixture leaves both kinds to review

    assert main(args) == 0
    imported = rows(out)
    assert {r["event_id"] for r in imported} == true
    assert {r["selection"] for r in imported} == {"selected", "kept"}
    # The decisions hold on a rerun, and the file keeps them.
    assert main(args) == 0
    assert {r["event_id"] for r in rows(out)} == true
    assert sum(r["decision"] in ("keep", "drop") for r in rows(decisions)) == kept + dropped

    reports = tmp_path / "my-reports"
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--data", str(out), "--sources",
         str(folder / "sources.csv"), "--claims", "", "--context", "", "--out", str(reports)],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    briefs = sorted(p.name for p in reports.iterdir() if p.is_dir())
    assert briefs == ["monthly", "weekly-since-inauguration"]

    table = load_attacks(out)
    for name in briefs:
        summary = json.loads((reports / name / "summary.json").read_text(encoding="utf-8"))
        expected = window_counts(table, summary["window_start"], summary["window_end"])
        assert (summary["attacks_exact"], summary["attacks_min"], summary["attacks_max"]) \
            == (expected["exact"], expected["min"], expected["max"])
        assert summary["attacks_expected"] == pytest.approx(expected["expected"], abs=1e-6)
        assert summary["awaiting_review"] == summary["unselected_rows"] == 0
