"""Checked tables handed over from a build to its kernels, through the notebook's
`checked_inputs` parameter: used for the same arguments, refused when a file changed
since, and never used when the parameter is empty (a notebook run by hand)."""

import warnings

import pytest

from analysis import brief, handover
from analysis.exceptions import DataWarning


@pytest.fixture
def handed(dataset, tmp_path, monkeypatch):
    arguments = brief.table_arguments(str(dataset / "attacks.csv"),
                                      sources_path=str(dataset / "sources.csv"))
    inputs = brief.load_inputs(**arguments)
    path = tmp_path / "tables-1.pickle"
    handover.store(path, arguments, inputs, handover.files_of(arguments),
                   ["attacks.csv:1: extra: unknown column, ignored"])
    return arguments, inputs, path


def test_a_kernel_gets_the_checked_tables_and_their_warnings(handed):
    arguments, inputs, path = handed
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = brief.load_inputs(**arguments, checked_inputs=str(path))
    assert got is not inputs
    assert got.attacks.equals(inputs.attacks) and got.rows.equals(inputs.rows)
    assert list(got.attacks.dtypes) == list(inputs.attacks.dtypes)
    assert [str(w.message) for w in caught if w.category is DataWarning] == [
        "attacks.csv:1: extra: unknown column, ignored"]


def test_other_arguments_or_a_changed_file_load_the_files(handed, dataset):
    arguments, _, path = handed
    assert handover.fetch(path, arguments) is not None
    assert handover.fetch(path, {**arguments, "claims_path": "other.csv"}) is None
    attacks = dataset / "attacks.csv"
    attacks.write_text(attacks.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert handover.fetch(path, arguments) is None


def test_without_the_parameter_or_its_file_the_files_are_loaded(handed, monkeypatch):
    """As in Jupyter: `checked_inputs` is "" there, and the notebook reads the files."""
    arguments, _, path = handed
    assert handover.fetch("", arguments) is None
    assert handover.fetch(path.with_name("gone.pickle"), arguments) is None
    read = []
    monkeypatch.setattr(brief.load, "load_attacks",
                        lambda *args, **kw: read.append(args) or pytest.skip("read"))
    with pytest.raises(pytest.skip.Exception):
        brief.load_inputs(**arguments)
    assert read


def test_the_build_holds_no_table_when_it_gives_memory_back(dataset, tmp_path, monkeypatch):
    import gc
    import weakref

    from analysis.batch import checking
    from analysis.batch.plan import BriefJob, BuildRequest

    arguments = brief.table_arguments(str(dataset / "attacks.csv"))
    job = BriefJob("brief", tmp_path / "nb.ipynb", dict(arguments), tmp_path, "A4")
    loader = checking.Loader(BuildRequest(), lambda *a: None)
    inputs = brief.load_inputs(**arguments)
    table = weakref.ref(inputs.attacks)
    loader.loaded[loader._key(job)] = checking._Loaded(arguments, inputs, [])
    del inputs
    alive = []

    def give_back():
        gc.collect()
        alive.append(table() is not None)

    monkeypatch.setattr(checking.memory, "give_back", give_back)
    loader.hand_over([job], tmp_path / "handed")
    assert alive == [False]
    # The tables were handed over, and the brief's notebook is told where.
    assert [p.name for p in (tmp_path / "handed").iterdir()] == ["tables-1.pickle"]
    assert job.parameters["checked_inputs"] == str(tmp_path / "handed" / "tables-1.pickle")


def test_long_columns_are_unpickled_one_at_a_time(tmp_path, monkeypatch):
    """Unpickled in one piece, every object column's list of cells would stay in the
    unpickler's memo until the last table was built; one by one, only one column's is
    alive at a time. Shared tables stay shared."""
    import tracemalloc

    import pandas as pd

    rows = 200_000
    table = pd.DataFrame({name: pd.array([f"{name}-{i}" for i in range(rows)], dtype="string")
                          for name in ("a", "b", "c", "d")})
    handover.store(tmp_path / "t.pickle", {"data_path": "x"},
                   {"attacks": table, "tables": [table]}, [], [])
    del table
    tracemalloc.start()
    try:
        got = handover.fetch(tmp_path / "t.pickle", {"data_path": "x"})
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
    handover.store(tmp_path / "t.pickle", {"data_path": "x"}, {"attacks": table}, [], [])
    got = handover.fetch(tmp_path / "t.pickle", {"data_path": "x"})["attacks"]
    assert got.equals(table)
    assert list(got.dtypes) == list(table.dtypes)
    assert got["missing"].isna().tolist()[:2] == [True, False]
    assert got["nul"].iloc[0] == "a\x00b"
