"""Bad input: every case gets a located message and exit code 2, never a traceback."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.exceptions import DataError, DataWarning
from analysis.inputs import load

HEADER = "event_id,date_start,date_end"


def validate(capsys, *args):
    code = main(["validate", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path, text, name="attacks.csv", mode="w"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def edit(dataset, old, new, table="attacks.csv"):
    path = dataset / table
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_missing_required_column(tmp_path, capsys):
    path = write(tmp_path, "event_id,date_start\nA,2021-01-01\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:1: date_end: '': required column is missing" in err


def test_unknown_column_is_a_warning_not_an_error(tmp_path, capsys):
    path = write(tmp_path, HEADER + ",colour\nA,2021-01-01,2021-01-02,red\n")
    code, out, err = validate(capsys, path)
    assert code == 0
    assert "valid attacks table, 1 rows" in out
    assert f"warning: {path}:1: colour: unknown column, ignored" in err
    with pytest.warns(DataWarning):
        table = load.load_attacks(path)
    assert "colour" not in table.columns


@pytest.mark.parametrize("bad", ["2021-02-30", "20/01/2021", "yesterday", "2021-1-5",
                                 "2021/01/01", " 2021-1-01", "٢٠٢١-٠١-٠١", "2021-01-01T00"])
def test_unparseable_or_impossible_date(tmp_path, capsys, bad):
    path = write(tmp_path, f"{HEADER}\nA,2021-01-01,2021-01-02\nB,{bad},2021-03-01\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:3: date_start: {bad!r}:" in err
    assert "date" in err.split(bad)[-1]


def test_date_end_before_date_start(tmp_path, capsys):
    path = write(tmp_path, f"{HEADER}\nA,2021-03-05,2021-03-01\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:2: date_end: '2021-03-01': date_end is before date_start" in err


def test_duplicate_event_id(tmp_path, capsys):
    path = write(tmp_path, f"{HEADER}\nA,2021-01-01,2021-01-01\nA,2021-01-02,2021-01-02\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:3: event_id: 'A': duplicate value; must be unique" in err


@pytest.mark.parametrize("bad", ["-1", "2.5", "two", "٣", "²", "1e3"])
def test_negative_or_non_integer_count(tmp_path, capsys, bad):
    path = write(tmp_path, f"{HEADER},munitions\nA,2021-01-01,2021-01-01,{bad}\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:2: munitions: {bad!r}: not a whole number of 0 or more" in err


def test_a_count_too_long_for_a_64_bit_integer_is_reported_not_a_crash(tmp_path, capsys):
    path = write(tmp_path, f"{HEADER},munitions\nA,2021-01-01,2021-01-01,{'9' * 19}\n"
                           f"B,2021-01-01,2021-01-01,{'9' * 18}\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert err.count("munitions") == 1
    assert (f"{path}:2: munitions: '{'9' * 19}': not a whole number of 0 or more, of at "
            "most 18 digits") in err


def test_category_outside_allowed_set(tmp_path, capsys):
    path = write(tmp_path, f"{HEADER},weapon\nA,2021-01-01,2021-01-01,mortar\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:2: weapon: 'mortar': not one of: rocket, ied, drone, other, unknown" in err


def test_source_id_not_in_sources(dataset, capsys):
    path = edit(dataset, "USIRQ-2021-005,2021-01-20,2021-04-20,,,unknown,unknown,,unknown,,,"
                "us-iraq-attacks-2021-04", "USIRQ-2021-005,2021-01-20,2021-04-20,,,unknown,"
                "unknown,,unknown,,,no-such-source")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:6: source_id: 'no-such-source': source_id is not in sources.csv" in err


def test_quote_not_found_in_source(dataset, capsys):
    path = edit(dataset, "two rockets fell near Balad", "three rockets fell near Balad")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:2: quote: 'On April 4, three rockets" in err
    assert "quote is not found verbatim in source 'us-iraq-attacks-2021-04'" in err


def test_quote_whitespace_is_normalised(dataset, capsys):
    path = edit(dataset, "two rockets fell near", "two  rockets\nfell near")
    assert validate(capsys, path)[0] == 0


def test_missing_source_document(dataset, capsys):
    shutil.rmtree(dataset / "seeds")
    code, _, err = validate(capsys, dataset / "sources.csv")
    assert code == 2
    assert "sources.csv:2: path: 'seeds/us-iraq-attacks-article.txt': source document " \
           "does not exist" in err


def test_empty_file(tmp_path, capsys):
    path = write(tmp_path, "")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:0: -: '': file is empty; expected a header row" in err


def test_header_only_is_valid_with_zero_attacks(tmp_path, capsys):
    path = write(tmp_path, HEADER + "\n")
    code, out, _ = validate(capsys, path)
    assert code == 0 and "0 rows" in out
    assert len(load.load_attacks(path)) == 0


def test_non_utf8_bytes(tmp_path, capsys):
    path = write(tmp_path, (HEADER + "\nA,2021-01-01,2021-01-01\nB,2021-01-02,2021-01-02"
                            "\n").encode() .replace(b"B", b"\xe9B"))
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:3: -: 'e9': not valid UTF-8" in err


def test_utf8_bom_crlf_and_quoted_commas_and_newlines(tmp_path, capsys):
    text = (f"{HEADER},location,notes\r\n"
            'A,2021-01-01,2021-01-01,"Erbil, airport","two\r\nlines"\r\n'
            "B,2021-01-02,2021-01-03,Baghdad,\r\n")
    path = write(tmp_path, "\ufeff".encode() + text.encode())
    code, _, _ = validate(capsys, path)
    assert code == 0
    table = load.load_attacks(path)
    assert list(table.columns[:3]) == ["event_id", "date_start", "date_end"]
    assert table.loc[0, "location"] == "Erbil, airport"
    assert table.loc[0, "notes"] == "two\r\nlines"


def test_lines_count_quoted_newlines(tmp_path, capsys):
    path = write(tmp_path, f'{HEADER},notes\nA,2021-01-01,2021-01-01,"a\nb\nc"\n'
                           "B,2021-13-01,2021-01-01,\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:5: date_start: '2021-13-01'" in err


def test_blank_lines_do_not_shift_the_lines_named(tmp_path, capsys):
    """pandas skips lines that are empty or hold only spaces and tabs; the line named is
    still the one the row is on, whether the problem is in a value or in the shape."""
    rows = f'{HEADER},notes\n\nA,2021-01-01,2021-01-01,"a\n\nb"\n \t\nB,2021-13-01,2021-01-01,\n'
    code, _, err = validate(capsys, write(tmp_path, rows))
    assert code == 2
    assert f"{tmp_path / 'attacks.csv'}:7: date_start: '2021-13-01'" in err
    shape = write(tmp_path, f"{HEADER}\n\nA,2021-01-01,2021-01-01\n\nB,2021,01,01,2021-01-01\n",
                  name="shape.csv")
    code, _, err = validate(capsys, shape)
    assert code == 2
    assert f"{shape}:5: -: '5 fields'" in err


def test_too_many_fields_names_the_line(tmp_path, capsys):
    path = write(tmp_path, f"{HEADER}\nA,2021-01-01,2021-01-01\nB,2021,01,01,2021-01-01\n")
    code, _, err = validate(capsys, path)
    assert code == 2
    assert f"{path}:3: -: '5 fields': row has 5 fields but the header has 3" in err


def test_path_that_does_not_exist(tmp_path, capsys):
    code, _, err = validate(capsys, tmp_path / "nope.csv")
    assert code == 2
    assert "nope.csv:0: -: '': file does not exist" in err


def test_every_problem_is_reported_at_once(tmp_path, capsys):
    path = write(tmp_path, f"{HEADER},weapon,munitions\n"
                           "A,2021-02-30,2021-01-01,rocket,1\n"
                           "A,2021-01-01,2021-01-01,laser,-3\n"
                           "C,2021-05-01,2021-04-01,,\n")
    with pytest.raises(DataError) as info:
        load.load_attacks(path)
    found = {(p.line, p.column) for p in info.value.problems}
    assert found == {(2, "date_start"), (3, "event_id"), (3, "weapon"), (3, "munitions"),
                     (4, "date_end")}


def test_required_columns_only_is_a_valid_user_file(tmp_path):
    path = write(tmp_path, f"{HEADER}\nX1,2020-05-01,2020-05-03\n")
    table = load.load_attacks(path)
    assert table.loc[0, "region"] == "unknown"
    assert pd.isna(table.loc[0, "munitions"])


def test_kinds_are_recognised_by_columns_whatever_the_name(dataset, tmp_path, capsys):
    claims = tmp_path / "whatever.csv"
    shutil.copy(dataset / "claims.csv", claims)
    code, out, _ = validate(capsys, claims, "--sources", dataset / "sources.csv")
    assert code == 0 and "valid claims table" in out
    code, out, _ = validate(capsys, "--kind", "context", dataset / "context_events.csv")
    assert code == 0 and "valid context_events table" in out


def test_attacks_checked_as_attacks_whatever_the_name(tmp_path, capsys):
    path = write(tmp_path, "foo,bar\n1,2\n", name="claims.csv")
    code, _, err = validate(capsys, path)
    assert code == 2 and "event_id: '': required column is missing" in err


def test_validate_many_files_reports_all(tmp_path, capsys):
    good = write(tmp_path, f"{HEADER}\n", name="good.csv")
    bad = write(tmp_path, f"{HEADER}\nA,x,2021-01-01\n", name="bad.csv")
    code, out, err = validate(capsys, good, bad, tmp_path / "missing.csv")
    assert code == 2
    assert "good.csv: valid" in out
    assert "bad.csv:2: date_start" in err and "missing.csv:0:" in err


def test_limits_refuse_large_files(tmp_path, capsys):
    path = write(tmp_path, f"{HEADER}\n" + "".join(
        f"E{i},2021-01-01,2021-01-01\n" for i in range(20)))
    code, _, err = validate(capsys, "--max-rows", "10", path)
    assert code == 2 and "more rows than the limit of 10" in err
    code, _, err = validate(capsys, "--max-bytes", "100", path)
    assert code == 2 and "larger than the limit of 100 bytes" in err


def test_data_error_is_a_value_error_with_problems(tmp_path):
    path = write(tmp_path, f"{HEADER}\nA,bad,2021-01-01\n")
    with pytest.raises(ValueError, match=r"1 problem in the input data"):
        load.load_attacks(path)


def test_loader_resolves_relative_paths_from_the_project_root():
    assert len(load.load_attacks("data/attacks.csv")) == 20
    assert Path("data/attacks.csv").is_absolute() is False


# ---------------------------------------------------------------------------------------
# Matches files (decisions on duplicates between attacks tables)

def two_tables(tmp_path):
    a = write(tmp_path, f"{HEADER}\nA1,2021-01-05,2021-01-05\nA2,2021-02-01,2021-02-10\n",
              name="a.csv")
    b = write(tmp_path, f"{HEADER}\nB1,2021-01-05,2021-01-06\nB2,2021-03-01,2021-03-01\n",
              name="b.csv")
    return a, b


def test_a_matches_file_alone_is_checked_for_its_columns_and_decisions(tmp_path, capsys):
    good = write(tmp_path, "event_id_a,event_id_b,decision\nA1,B1,same\nA2,B2,\n",
                 name="matches.csv")
    code, out, _ = validate(capsys, good)
    assert code == 0
    assert f"{good}: valid matches table, 2 rows, its ids not checked" in out
    bad = write(tmp_path, "event_id_a,event_id_b,decision\nA1,B1,yes\n", name="bad.csv")
    code, _, err = validate(capsys, bad)
    assert code == 2
    assert f"{bad}:2: decision: 'yes': not one of: same, different, or blank" in err
    attacks, _ = two_tables(tmp_path)
    code, _, err = validate(capsys, "--kind", "matches", attacks)
    assert code == 2
    assert f"{attacks}:1: event_id_a: '': required column is missing" in err


def test_a_matches_file_is_checked_against_the_tables_given_with_it(tmp_path, capsys):
    a, b = two_tables(tmp_path)
    matches = write(tmp_path, "event_id_a,event_id_b,decision\nA1,B1,same\nA2,B2,\n",
                    name="matches.csv")
    code, out, _ = validate(capsys, matches, a, b)  # in any order
    assert code == 0
    assert f"{matches}: valid matches table, 2 rows, against {a}, {b}" in out
    wrong = write(tmp_path, "event_id_a,event_id_b,decision\nA1,B9,\nA2,B1,same\n",
                  name="wrong.csv")
    code, _, err = validate(capsys, a, b, wrong)
    assert code == 2
    assert f"{wrong}:2: event_id_b: 'B9': no such event_id in the tables" in err
    dates = write(tmp_path, "event_id_a,event_id_b,decision\nA2,B1,same\n", name="dates.csv")
    code, _, err = validate(capsys, a, b, dates)
    assert code == 2
    assert f"{dates}:2: decision: 'same':" in err and "share no day" in err
