"""Fuzzing the loader and the validator: whatever the bytes, the result is a table or a
DataError that names file, line and column, never another exception or a traceback."""

import io
import itertools
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.cli import main
from analysis.exceptions import DataError
from analysis.inputs import load

# Random headers name unknown columns; the warning for each is expected here.
pytestmark = pytest.mark.filterwarnings("ignore::analysis.exceptions.DataWarning")

ARTICLE_DATA = (Path(__file__).resolve().parents[1] / "data" / "attacks.csv").read_bytes()
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
# Distinct file names: hypothesis reruns a test many times in one temporary folder.
names = (f"fuzz-{i}.csv" for i in itertools.count())


def check(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / next(names)
    path.write_bytes(data)
    try:
        table = load.load_attacks(path)
        assert isinstance(table, pd.DataFrame)
    except DataError as err:
        assert err.problems
        for problem in err.problems:
            assert problem.file == str(path)
            assert isinstance(problem.line, int) and problem.line >= 0
            assert problem.column
    out, err_out = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err_out):
        code = main(["validate", str(path)])
    assert code in (0, 2)
    assert "Traceback" not in err_out.getvalue()


@FUZZ
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes(tmp_path, data):
    check(tmp_path, data)


@FUZZ
@given(st.integers(min_value=0, max_value=len(ARTICLE_DATA)))
def test_truncated_csv(tmp_path, cut):
    check(tmp_path, ARTICLE_DATA[:cut])


def mutate(data: bytes, kind: str, at: int, other: int) -> bytes:
    lines = data.split(b"\n")
    at, other = at % len(data), other % len(data)
    if kind == "swap cells":
        row = lines[1 + at % (len(lines) - 2)].split(b",")
        i, j = at % len(row), other % len(row)
        row[i], row[j] = row[j], row[i]
        lines[1 + at % (len(lines) - 2)] = b",".join(row)
        return b"\n".join(lines)
    if kind == "stray quote":
        return data[:at] + b'"' + data[at:]
    if kind == "reorder columns":
        rows = [line.split(b",") for line in lines]
        return b"\n".join(b",".join(r[::-1]) for r in rows)
    if kind == "huge field":
        return data[:at] + b"x" * 1_000_000 + data[at:]
    if kind == "nul bytes":
        return data[:at] + b"\x00" * (1 + other % 3) + data[at:]
    if kind == "mixed line ends":
        return b"".join(line + (b"\r\n", b"\r", b"\n")[i % 3]
                        for i, line in enumerate(lines))
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "duplicate header":
        return lines[0] + b"\n" + data
    if kind == "delete byte":
        return data[:at] + data[at + 1:]
    raise ValueError(kind)


KINDS = ["swap cells", "stray quote", "reorder columns", "huge field", "nul bytes",
         "mixed line ends", "bom", "duplicate header", "delete byte"]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 10**6),
                          st.integers(0, 10**6)), min_size=1, max_size=3))
def test_mutated_article_data(tmp_path, mutations):
    data = ARTICLE_DATA
    for kind, at, other in mutations:
        data = mutate(data, kind, at, other)
    check(tmp_path, data)


def test_each_mutation_alone(tmp_path):
    for kind in KINDS:
        check(tmp_path, mutate(ARTICLE_DATA, kind, 2_000, 7))
