"""An analyst's decisions on doubtful events: keep and drop applied, every mistake in a
decisions file located at once, unknown ids, and a decisions file rewritten on each rerun
with every earlier decision kept and the same bytes for the same inputs."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.exceptions import DataError
from analysis.inputs import selection

FIXTURES = Path(__file__).parent / "fixtures" / "select"


def decided_frame(selections: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"selection": selections,
                         "selection_reason": [f"rule r{i}: x" for i in range(len(selections))],
                         "target_type": "unknown"}, index=[10 + i for i in
                                                           range(len(selections))])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_a_missing_file_has_no_decisions(tmp_path):
    decisions = selection.read_decisions(tmp_path / "decisions.csv")
    assert len(decisions) == 0
    decided = decided_frame(["review", "selected"])
    assert decisions.apply(pd.Series(["a", "b"]), decided).equals(decided)
    assert decisions.unknown(["a"]) == []


def test_keep_and_drop_are_applied_and_blank_leaves_the_rules_decision(tmp_path):
    path = write(tmp_path / "decisions.csv",
                 "event_id,selection,reason,decision\n"
                 "a,review,Checked: the base hosts US troops,keep\n"
                 "b,selected,,Drop\n"
                 "c,review,rule x: y, \n")
    decisions = selection.read_decisions(path)
    decided = decided_frame(["review", "selected", "review", "rejected"])
    out = decisions.apply(pd.Series(["a", "b", "c", "d"], index=[0, 1, 2, 3]), decided)
    assert out.index.equals(decided.index)
    assert list(out["selection"]) == ["kept", "rejected", "review", "rejected"]
    assert list(out["selection_reason"]) == [
        "kept by the analyst in decisions.csv: Checked: the base hosts US troops",
        "dropped by the analyst in decisions.csv", "rule r2: x", "rule r3: x"]
    assert list(out["target_type"]) == ["unknown"] * 4


def test_every_mistake_in_a_decisions_file_is_located_at_once(tmp_path):
    path = write(tmp_path / "decisions.csv",
                 "event_id,selection,reason,decision,notes\n"
                 "a,review,x,keep,\"a note over\ntwo lines\"\n"
                 "b,review,x,maybe,\n"
                 "a,review,x,drop,\n"
                 ",review,x,keep,\n")
    with pytest.raises(DataError) as err:
        selection.read_decisions(path)
    found = {(p.line, p.column, p.value) for p in err.value.problems}
    assert found == {(4, "decision", "maybe"), (5, "event_id", "a"), (6, "event_id", "")}
    assert all(str(p).startswith(f"{path}:") for p in err.value.problems)
    assert "already on line 2" in next(p.message for p in err.value.problems if p.line == 5)


def test_a_bad_header_is_located_on_line_1(tmp_path):
    path = write(tmp_path / "decisions.csv", "id,selection,why\nIRQ1,review,x\n")
    with pytest.raises(DataError) as err:
        selection.read_decisions(path)
    assert {(p.line, p.column) for p in err.value.problems} == {
        (1, "event_id"), (1, "reason"), (1, "decision")}


def test_decisions_on_ids_the_export_lacks_are_located(tmp_path):
    path = write(tmp_path / "decisions.csv", "event_id,selection,reason,decision\n"
                                             "a,review,x,keep\nb,review,x,\nc,review,x,drop\n")
    problems = selection.read_decisions(path).unknown(pd.Series(["a", "b"]))
    assert [(p.line, p.column, p.value) for p in problems] == [(4, "event_id", "c")]
    assert "no event with this id in the export" in problems[0].message


def doubtful(ids, notes=None) -> pd.DataFrame:
    return pd.DataFrame({"event_id": ids, "selection": "review",
                         "reason": [f"rule green-zone: {i}" for i in ids],
                         "event_date": "2020-03-11",
                         "notes": notes or [f"notes of {i}" for i in ids]})


def test_the_decisions_file_keeps_every_decision_and_is_stable(tmp_path):
    path = tmp_path / "decisions.csv"
    first = selection.decisions_csv(doubtful(["e3", "e1", "e2"]),
                                    selection.read_decisions(path))
    assert first.decode().splitlines() == [
        "event_id,selection,reason,decision,event_date,notes",
        "e3,review,rule green-zone: e3,,2020-03-11,notes of e3",
        "e1,review,rule green-zone: e1,,2020-03-11,notes of e1",
        "e2,review,rule green-zone: e2,,2020-03-11,notes of e2"]
    # The analyst decides two, writes a reason, and adds a column of their own.
    edited = ("event_id,selection,reason,decision,event_date,notes,checked_by\n"
              "e3,review,Rockets fell on the embassy's annex,keep,2020-03-11,notes of e3,AB\n"
              "e1,review,rule green-zone: e1,,2020-03-11,notes of e1,\n"
              "e2,review,rule green-zone: e2,drop,2020-03-11,notes of e2,AB\n")
    write(path, edited)
    # Rerun: e2 is no longer doubtful (the rules changed), e1 neither; e4 is new.
    again = selection.decisions_csv(doubtful(["e4", "e3"]), selection.read_decisions(path))
    assert again.decode().splitlines() == [
        "event_id,selection,reason,decision,event_date,notes,checked_by",
        "e3,review,Rockets fell on the embassy's annex,keep,2020-03-11,notes of e3,AB",
        "e2,review,rule green-zone: e2,drop,2020-03-11,notes of e2,AB",
        "e4,review,rule green-zone: e4,,2020-03-11,notes of e4,"]
    write(path, again.decode())
    # The same inputs again give the same bytes.
    assert selection.decisions_csv(doubtful(["e4", "e3"]),
                                   selection.read_decisions(path)) == again


def test_text_with_commas_quotes_and_line_breaks_survives_a_round_trip(tmp_path):
    path = tmp_path / "decisions.csv"
    notes = ['Rockets, "two", hit\nthe base', "plain"]
    data = selection.decisions_csv(doubtful(["x", "y"], notes), selection.read_decisions(path))
    write(path, data.decode())
    decisions = selection.read_decisions(path)
    assert list(decisions.rows["notes"]) == notes
    assert list(decisions.rows["line"]) == [2, 4]
    assert selection.decisions_csv(doubtful(["x", "y"], notes), decisions) == data


def test_decisions_hold_on_a_rerun_of_the_fixture(tmp_path):
    export = pd.read_csv(FIXTURES / "acled-mixed.csv", dtype=str, keep_default_na=False)
    rules = selection.load_rules("acled")
    ids = export["event_id_cnty"]
    path = tmp_path / "decisions.csv"

    def run():
        decisions = selection.read_decisions(path)
        assert decisions.unknown(ids) == []
        decided = decisions.apply(ids, selection.decide(export, rules))
        review = decided["selection"] == "review"
        rows = pd.DataFrame({"event_id": ids[review], "selection": "review",
                             "reason": decided.loc[review, "selection_reason"],
                             "event_date": export.loc[review, "event_date"],
                             "location": export.loc[review, "location"],
                             "notes": export.loc[review, "notes"]})
        path.write_bytes(selection.decisions_csv(rows, decisions))
        return decided

    first = run()
    doubtful_ids = list(ids[first["selection"] == "review"])
    selected_id = ids[first["selection"] == "selected"].iloc[0]
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(table["event_id"]) == doubtful_ids
    table.loc[0, "decision"] = "keep"
    table.loc[1, "decision"] = "drop"
    extra = pd.DataFrame([{"event_id": selected_id, "selection": "selected",
                           "reason": "a US strike, not an attack", "decision": "drop"}])
    pd.concat([table, extra]).to_csv(path, index=False, lineterminator="\n")
    for _ in range(2):
        decided = run()
        by_id = dict(zip(ids, decided["selection"], strict=True))
        assert by_id[doubtful_ids[0]] == "kept"
        assert by_id[doubtful_ids[1]] == "rejected"
        assert by_id[selected_id] == "rejected"
        reasons = dict(zip(ids, decided["selection_reason"], strict=True))
        assert reasons[selected_id] == (
            "dropped by the analyst in decisions.csv: a US strike, not an attack")
    kept = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert selected_id in set(kept["event_id"])  # a decided event stays in the file
    assert list(kept["decision"][:2]) == ["keep", "drop"]
