"""A file separated by something other than commas is named as such, at line 1, with no
raw pandas warning printed, by `import` and by `validate`."""

from pathlib import Path

import pytest

from analysis.cli import main

CURRENT = Path(__file__).parent / "fixtures" / "import" / "acled-current.csv"


def resaved(tmp_path: Path, delimiter: str) -> Path:
    import csv

    with CURRENT.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    path = tmp_path / "export.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return path


@pytest.mark.parametrize(("delimiter", "named"), [
    (";", "';' (semicolons)"), ("\t", "tabs"), ("|", "'|'")])
def test_other_delimiters_are_named(tmp_path, capsys, delimiter, named):
    source = resaved(tmp_path, delimiter)
    assert main(["import", "acled", str(source), "--out", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert f"{source}:1: -: " in err
    assert f"this file is separated by {named}, not by commas; save it as comma-separated" in err
    assert "ParserWarning" not in err and "Warning" not in err
    assert err.count("\n") == 1
    assert not (tmp_path / "a.csv").exists()


def test_validate_names_the_delimiter_too(tmp_path, capsys):
    source = resaved(tmp_path, ";")
    assert main(["validate", str(source)]) == 2
    err = capsys.readouterr().err
    assert "separated by ';' (semicolons)" in err and "Warning" not in err
