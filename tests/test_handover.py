"""Checked tables handed over from a build to its kernels: found by the same arguments,
refused when a file changed since, and never used outside a build."""

import os
import warnings

import pytest

from analysis import brief, handover
from analysis.exceptions import DataWarning


@pytest.fixture
def handed(dataset, tmp_path, monkeypatch):
    arguments = brief.table_arguments(str(dataset / "attacks.csv"),
                                      sources_path=str(dataset / "sources.csv"))
    inputs = brief.load_inputs(**arguments)
    folder = tmp_path / "handed"
    folder.mkdir()
    handover.store(folder, arguments, inputs, handover.files_of(arguments),
                   ["attacks.csv:1: extra: unknown column, ignored"])
    monkeypatch.setenv(handover.ENV, str(folder))
    return arguments, inputs


def test_a_kernel_gets_the_checked_tables_and_their_warnings(handed):
    arguments, inputs = handed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = brief.load_inputs(**arguments)
    assert got is not inputs
    assert got.attacks.equals(inputs.attacks) and got.rows.equals(inputs.rows)
    assert list(got.attacks.dtypes) == list(inputs.attacks.dtypes)
    assert [str(w.message) for w in caught if w.category is DataWarning] == [
        "attacks.csv:1: extra: unknown column, ignored"]


def test_other_arguments_or_a_changed_file_load_the_files(handed, dataset):
    arguments, _ = handed
    assert handover.fetch({**arguments, "claims_path": "other.csv"}) is None
    attacks = dataset / "attacks.csv"
    attacks.write_text(attacks.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert handover.fetch(arguments) is None


def test_outside_a_build_nothing_is_handed_over(handed, monkeypatch):
    arguments, _ = handed
    monkeypatch.delenv(handover.ENV)
    assert handover.fetch(arguments) is None
    assert os.environ.get(handover.ENV) is None


def test_the_build_holds_no_table_when_it_gives_memory_back(dataset, tmp_path, monkeypatch):
    import gc
    import weakref

    from analysis.batch import pipeline
    from analysis.batch.plan import BuildRequest

    arguments = brief.table_arguments(str(dataset / "attacks.csv"))
    loader = pipeline._Loader(BuildRequest(), tmp_path / "briefs.toml", lambda *a: None)
    inputs = brief.load_inputs(**arguments)
    table = weakref.ref(inputs.attacks)
    loader.loaded["attacks"] = pipeline._Loaded(arguments, inputs, [])
    del inputs
    alive = []

    def give_back():
        gc.collect()
        alive.append(table() is not None)

    monkeypatch.setattr(pipeline.memory, "give_back", give_back)
    loader.hand_over(tmp_path / "handed")
    assert alive == [False]
    assert list((tmp_path / "handed").iterdir())  # and the tables were handed over


def test_long_columns_are_unpickled_one_at_a_time(tmp_path, monkeypatch):
    """Unpickled in one piece, every object column's list of cells would stay in the
    unpickler's memo until the last table was built; one by one, only one column's is
    alive at a time. Shared tables stay shared."""
    import tracemalloc

    import pandas as pd

    rows = 200_000
    table = pd.DataFrame({name: pd.array([f"{name}-{i}" for i in range(rows)], dtype="string")
                          for name in ("a", "b", "c", "d")})
    handover.store(tmp_path, {"data_path": "x"}, {"attacks": table, "tables": [table]}, [], [])
    monkeypatch.setenv(handover.ENV, str(tmp_path))
    del table
    tracemalloc.start()
    try:
        got = handover.fetch({"data_path": "x"})
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_list = rows * 8
    assert peak - kept < 3 * one_list  # at once, it would be 4 lists and more
    assert got["tables"][0] is got["attacks"]
    assert list(got["attacks"]["d"][:2]) == ["d-0", "d-1"]


def test_long_columns_of_strings_come_back_the_same_however_they_are_stored(tmp_path,
                                                                            monkeypatch):
    """Distinct strings (ids) are stored joined by NUL. A column with a missing cell, with
    a NUL in a cell, or whose equal cells share one string object (as pandas' parser
    makes them, and as pickle keeps them), is stored as it is. All come back equal, with
    their dtypes."""
    import numpy as np
    import pandas as pd

    ids = [f"id-{i}" for i in range(handover.SEPARATE_CELLS)]
    joined, missing, nul = (np.array(cells, dtype=object)
                            for cells in (ids, [pd.NA, *ids[1:]], ["a\x00b", *ids[1:]]))
    assert isinstance(handover._JoinedStrings.of(joined), handover._JoinedStrings)
    assert handover._JoinedStrings.of(missing) is missing
    assert handover._JoinedStrings.of(nul) is nul
    repeated = np.array(["Anbar"] * len(ids), dtype=object)
    assert handover._JoinedStrings.of(repeated) is repeated
    table = pd.DataFrame({"joined": pd.array(joined, dtype="string"),
                          "missing": pd.array(missing, dtype="string"),
                          "nul": pd.array(nul, dtype="string"),
                          "objects": pd.Series(joined, dtype=object),
                          "repeated": pd.array(repeated, dtype="string")})
    handover.store(tmp_path, {"data_path": "x"}, {"attacks": table}, [], [])
    monkeypatch.setenv(handover.ENV, str(tmp_path))
    got = handover.fetch({"data_path": "x"})["attacks"]
    assert got.equals(table)
    assert list(got.dtypes) == list(table.dtypes)
    assert got["missing"].isna().tolist()[:2] == [True, False]
    assert got["nul"].iloc[0] == "a\x00b"
