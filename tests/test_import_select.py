"""`import --select [RULES.toml] [--decisions FILE.csv]`: only the events kept are written,
each with the rule or decision that took it in; the counts by event type are printed;
the sources row names the rules and their SHA-256; decisions hold on every rerun. An
import without --select says that every event became an attack."""

import csv
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import files
from analysis.cli import main
from analysis.inputs import selection

FIXTURES = Path(__file__).parent / "fixtures"
MIXED = FIXTURES / "select" / "acled-mixed.csv"
TRUTH = FIXTURES / "select" / "acled-mixed-truth.csv"
UCDP_MIXED = FIXTURES / "select" / "ucdp-mixed.csv"
TRACKER, MAP = FIXTURES / "import" / "tracker.csv", FIXTURES / "import" / "tracker-map.toml"
DAY = "2024-05-01"


def run(*args) -> int:
    return main(["import", *map(str, args), "--imported-on", DAY])


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def by_id(path: Path) -> dict[str, dict]:
    return {row["event_id"]: row for row in read_rows(path)}


def export_rows() -> dict[str, dict]:
    return {row["event_id_cnty"]: row for row in read_rows(MIXED)}


def test_only_kept_events_are_written_each_with_its_reason(tmp_path, capsys):
    out = tmp_path / "attacks.csv"
    assert run("acled", MIXED, "--out", out, "--select") == 0
    rows = read_rows(out)
    assert {r["selection"] for r in rows} <= {"selected", "review"}
    assert all(r["selection_reason"].startswith("rule ") for r in rows)
    export = pd.read_csv(MIXED, dtype=str, keep_default_na=False)
    decided = selection.decide(export.rename(columns=str.lower), selection.load_rules("acled"))
    kept = export.loc[decided["selection"] != "rejected", "event_id_cnty"]
    assert {r["event_id"] for r in rows} == set(kept)
    assert main(["validate", str(out)]) == 0


def test_counts_by_event_type_are_printed_as_a_table(tmp_path, capsys):
    assert run("acled", MIXED, "--out", tmp_path / "a.csv", "--select") == 0
    out = capsys.readouterr().out.splitlines()
    head = out[0].split()
    assert head == ["event_type", "read", "selected", "review", "kept", "dropped",
                    "rejected"]
    table = {line.rsplit(None, 6)[0]: [int(n.replace(",", "")) for n in
                                       line.rsplit(None, 6)[1:]]
             for line in out[1:] if not line.startswith(str(tmp_path))
             and ":" not in line}
    types = {r["event_type"] for r in export_rows().values()}
    assert set(table) == types | {"all"}
    read, *outcomes = table["all"]
    assert read == len(export_rows()) == sum(outcomes)
    for name in types:
        assert table[name][0] == sum(table[name][1:])
    assert table["Protests"][1] == 0  # no protest is an attack
    widths = {len(line) for line in out[:len(table) + 1]}
    assert len(widths) == 1  # aligned
    summary = out[len(table) + 1]
    assert f"{table['all'][1] + table['all'][2]} attacks imported" in summary


def test_sources_row_names_the_rules_and_their_digest(tmp_path):
    assert run("acled", MIXED, "--out", tmp_path / "a.csv", "--select") == 0
    rules = selection.load_rules("acled")
    (row,) = read_rows(tmp_path / "sources.csv")
    assert f"Selected with the rules {rules.name} (SHA-256 {rules.sha256})" in row["notes"]
    assert rules.sha256 == hashlib.sha256(rules.path.read_bytes()).hexdigest()


def test_a_rules_file_of_ones_own(tmp_path):
    own = tmp_path / "my-rules.toml"
    shutil.copy(selection.bundled_path("acled"), own)
    assert run("acled", MIXED, "--out", tmp_path / "a.csv", "--select", own) == 0
    (row,) = read_rows(tmp_path / "sources.csv")
    assert "Selected with the rules my-rules.toml" in row["notes"]


def test_a_bad_rules_file_exits_2_located_and_writes_nothing(tmp_path, capsys):
    own = tmp_path / "bad.toml"
    own.write_text('[[rule]]\nid = "x"\ndecision = "select"\nmentions.nowhere = ["a"]\n',
                   encoding="utf-8")
    assert run("acled", MIXED, "--out", tmp_path / "a.csv", "--select", own) == 2
    assert f"{own}:" in capsys.readouterr().err
    assert not (tmp_path / "a.csv").exists() and not (tmp_path / "sources.csv").exists()


def test_target_type_comes_from_the_rules(tmp_path):
    out = tmp_path / "a.csv"
    assert run("acled", MIXED, "--out", out, "--select") == 0
    notes = export_rows()
    airports = [r for r in read_rows(out) if "hosts" in notes[r["event_id"]]["notes"]
                and "airport" in notes[r["event_id"]]["notes"].lower()]
    assert airports and {r["target_type"] for r in airports} == {"military_base"}


def test_without_select_every_event_is_an_attack_and_the_import_says_so(tmp_path, capsys):
    out = tmp_path / "a.csv"
    assert run("acled", MIXED, "--out", out) == 0
    captured = capsys.readouterr()
    assert "imported without --select: every event of the export became an attack" in (
        captured.err)
    assert captured.out.splitlines()[0].split() == ["event_type", "read", "unselected"]
    rows = read_rows(out)
    assert len(rows) == len(export_rows())
    assert {r["selection"] for r in rows} == {"unselected"}
    (source,) = read_rows(tmp_path / "sources.csv")
    assert "every event of the export became a row" in source["notes"]


# ---------------------------------------------------------------------------------------
# Decisions


def decide(path: Path, decisions: dict[str, str]) -> None:
    rows = read_rows(path)
    for row in rows:
        row["decision"] = decisions.get(row["event_id"], row["decision"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_decisions_list_the_review_events_and_hold_on_every_rerun(tmp_path, capsys):
    out, decisions = tmp_path / "attacks.csv", tmp_path / "decisions.csv"
    assert run("acled", MIXED, "--out", out, "--select", "--decisions", decisions) == 0
    listed = read_rows(decisions)
    review = [r["event_id"] for r in read_rows(out) if r["selection"] == "review"]
    assert [r["event_id"] for r in listed] and {r["event_id"] for r in listed} == set(review)
    assert {r["decision"] for r in listed} == {""}
    assert "events to review; write keep or drop" in capsys.readouterr().out
    keep, drop = listed[0]["event_id"], listed[1]["event_id"]
    selected = next(r["event_id"] for r in read_rows(out) if r["selection"] == "selected")
    decide(decisions, {keep: "keep", drop: "drop"})
    with decisions.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow([selected, "selected", "", "drop"])
    for _ in range(2):  # and again: the decisions hold
        assert run("acled", MIXED, "--out", out, "--select", "--decisions", decisions) == 0
        rows = by_id(out)
        assert rows[keep]["selection"] == "kept"
        assert "kept by the analyst" in rows[keep]["selection_reason"]
        assert drop not in rows and selected not in rows
        written = {r["event_id"]: r["decision"] for r in read_rows(decisions)}
        assert (written[keep], written[drop], written[selected]) == ("keep", "drop", "drop")
    printed = capsys.readouterr().out
    assert "1 kept and 2 dropped by decision" in printed
    (source,) = read_rows(tmp_path / "sources.csv")
    assert "decisions in decisions.csv kept 1 and dropped 2" in source["notes"]


def test_an_unknown_id_in_the_decisions_exits_2_and_writes_nothing(tmp_path, capsys):
    out, decisions = tmp_path / "attacks.csv", tmp_path / "decisions.csv"
    decisions.write_text("event_id,selection,reason,decision\nIRQ00000,review,,keep\n",
                         encoding="utf-8")
    before = decisions.read_bytes()
    assert run("acled", MIXED, "--out", out, "--select", "--decisions", decisions) == 2
    assert f"{decisions}:2: event_id: 'IRQ00000'" in capsys.readouterr().err
    assert decisions.read_bytes() == before
    assert not out.exists() and not (tmp_path / "sources.csv").exists()
    # At most the folder's lock file: an operating system's lock leaves it, filelock's
    # own lock (where there is no other) removes it.
    assert [p.name for p in tmp_path.iterdir()
            if p.name.startswith(".") and p.name != files.LOCK_NAME] == []


@pytest.mark.parametrize(("args", "expected"), [
    (["--decisions", "d.csv"], "needs --select"),
    (["--select", "--decisions", "other/d.csv"], "must be in the folder of --out"),
    (["--select", "--decisions", "d.txt"], "must be a .csv file"),
])
def test_decisions_options_are_checked(tmp_path, capsys, args, expected):
    (tmp_path / "other").mkdir()
    args = [str(tmp_path / a) if a.endswith((".csv", ".txt")) else a for a in args]
    assert run("acled", MIXED, "--out", tmp_path / "a.csv", *args) == 2
    assert expected in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# UCDP and tables


def test_ucdp_counts_by_type_of_violence(tmp_path, capsys):
    out = tmp_path / "u.csv"
    assert run("ucdp", UCDP_MIXED, "--out", out, "--select") == 0
    printed = capsys.readouterr().out
    assert printed.split()[0] == "type_of_violence"
    assert "state-based conflict" in printed or "one-sided violence" in printed
    assert {r["selection"] for r in read_rows(out)} <= {"selected", "review"}
    assert main(["validate", str(out)]) == 0


def test_a_table_prints_one_line_and_keeps_its_mapped_target_type(tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert run("table", TRACKER, "--map", MAP, "--out", out, "--select") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["events", "read"] and lines[1].split()[0] == "all"
    rows = by_id(out)
    assert rows["TR-001"]["target_type"] == "military_base"  # "Base" in the map
    assert rows["TR-002"]["target_type"] == "logistics_convoy"
