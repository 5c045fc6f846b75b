"""Imports that share a folder or die midway: every command that writes beside others
takes the folder's lock, and an import is one transaction (the table, its sources row and
the decisions file appear together or not at all), finished or removed by the next
command after a crash. Concurrency and kills use real processes."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import files
from analysis.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "import"
CURRENT, OLDER = FIXTURES / "acled-current.csv", FIXTURES / "acled-older.csv"
DAY = "2024-05-01"
sys.path.insert(0, str(ROOT / "bench"))

from acled_export import write as write_export  # noqa: E402


def command(source: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "analysis", "import", "acled", str(source), "--out",
            str(out), "--imported-on", DAY]


def run_import(source: Path, out: Path) -> int:
    return main(["import", "acled", str(source), "--out", str(out), "--imported-on", DAY])


def state(folder: Path, out: str = "out.csv") -> tuple[bytes | None, bytes | None]:
    def read(path):
        return path.read_bytes() if path.exists() else None
    return read(folder / out), read(folder / "sources.csv")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(".") and p.name != files.LOCK_NAME)


@pytest.fixture(scope="module")
def big_export(tmp_path_factory) -> Path:
    """Large enough that an import takes a while, so that starts overlap and a kill lands
    in the middle of it."""
    return write_export(5_000, tmp_path_factory.mktemp("export") / "acled-big.csv")


def start_together(*commands) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c in commands]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=300), *p.communicate())
            for p in procs]


@pytest.mark.slow
def test_two_imports_into_one_folder_keep_both_sources_rows(tmp_path, big_export, capsys):
    for attempt in range(5):
        folder = tmp_path / f"run{attempt}"
        folder.mkdir()
        results = start_together(command(big_export, folder / "big.csv"),
                                 command(CURRENT, folder / "small.csv"))
        assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
        assert main(["validate", str(folder / "big.csv"), str(folder / "small.csv")]) == 0
        assert capsys.readouterr().out.count("valid attacks table") == 2
        sources = (folder / "sources.csv").read_text(encoding="utf-8")
        assert "acled-acled-big-" in sources and "acled-acled-current-" in sources
        assert leftovers(folder) == []


@pytest.mark.slow
def test_two_imports_to_the_same_out_end_as_one_order_whole(tmp_path, big_export):
    expected = []
    for first, second in ((big_export, CURRENT), (CURRENT, big_export)):
        folder = tmp_path / f"{first.stem}-then-{second.stem}"
        folder.mkdir()
        assert run_import(first, folder / "out.csv") == 0
        assert run_import(second, folder / "out.csv") == 0
        expected.append(state(folder))
    for attempt in range(3):
        folder = tmp_path / f"together{attempt}"
        folder.mkdir()
        results = start_together(command(big_export, folder / "out.csv"),
                                 command(CURRENT, folder / "out.csv"))
        assert [r.returncode for r in results] == [0, 0]
        assert state(folder) in expected
        assert leftovers(folder) == []


def test_a_second_command_waits_for_the_lock(tmp_path):
    with files.folder_lock(tmp_path):
        proc = subprocess.Popen(command(CURRENT, tmp_path / "out.csv"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert proc.poll() is None
        assert not (tmp_path / "out.csv").exists()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "waiting for another command writing into" in err
    assert (tmp_path / "out.csv").exists()


# ---------------------------------------------------------------------------------------
# Crashes


class Crash(BaseException):
    """What a kill does to the process: nothing after it runs (not even cleanup that
    catches Exception)."""


def test_a_crash_between_the_renames_is_finished_by_the_next_command(tmp_path, monkeypatch,
                                                                     capsys):
    reference = tmp_path / "reference"
    reference.mkdir()
    assert run_import(CURRENT, reference / "out.csv") == 0
    assert run_import(OLDER, reference / "out.csv") == 0
    new = state(reference)

    folder = tmp_path / "work"
    folder.mkdir()
    assert run_import(CURRENT, folder / "out.csv") == 0
    old = state(folder)
    real_replace, renames = os.replace, []

    def replace_then_die(src, dst):
        if Path(dst).parent == folder and Path(src).name.startswith(files.TXN_PREFIX):
            renames.append(Path(dst).name)
            if len(renames) == 2:
                raise Crash
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_then_die)
    with pytest.raises(Crash):
        run_import(OLDER, folder / "out.csv")
    monkeypatch.undo()
    assert renames == ["sources.csv", "out.csv"]
    # Torn, as a kill would leave it: the new sources row, the old table, a commit marker.
    assert state(folder) == (old[0], new[1])
    assert any(name.endswith(".commit") for name in leftovers(folder))
    capsys.readouterr()
    assert main(["validate", str(folder / "out.csv")]) == 0
    assert "left by a command cut short; finished or removed" in capsys.readouterr().err
    assert state(folder) == new
    assert leftovers(folder) == []


def test_an_uncommitted_transaction_is_removed_and_a_committed_one_finished(tmp_path):
    assert run_import(CURRENT, tmp_path / "out.csv") == 0
    old = state(tmp_path)
    # Killed before its marker: half-written files, never to be used.
    (tmp_path / ".txn-0123abcd.out.csv").write_bytes(b"event_id,date_st")
    (tmp_path / ".txn-0123abcd.sources.csv").write_bytes(b"source_id\n")
    # Killed after its marker, before any rename: to be finished.
    (tmp_path / ".txn-89abcdef.notes.csv").write_bytes(b"finished\n")
    (tmp_path / ".txn-89abcdef.commit").write_bytes(b"")
    # Left by an earlier version of the importer, killed while checking its tables.
    (tmp_path / ".out.csv.attacks.k2j4h5g6.csv").write_bytes(b"x" * 100)
    assert files.recover(tmp_path) == [".txn-89abcdef.commit", ".txn-89abcdef.notes.csv",
                                       ".out.csv.attacks.k2j4h5g6.csv",
                                       ".txn-0123abcd.out.csv", ".txn-0123abcd.sources.csv"]
    assert state(tmp_path) == old
    assert (tmp_path / "notes.csv").read_bytes() == b"finished\n"
    assert leftovers(tmp_path) == []


def test_the_next_import_removes_debris(tmp_path, capsys):
    (tmp_path / ".txn-0123abcd.out.csv").write_bytes(b"half")
    assert run_import(CURRENT, tmp_path / "out.csv") == 0
    assert ".txn-0123abcd.out.csv: left by a command cut short" in capsys.readouterr().err
    assert leftovers(tmp_path) == []


def test_a_failed_import_leaves_nothing_behind(tmp_path):
    assert run_import(CURRENT, tmp_path / "out.csv") == 0
    old = state(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text(CURRENT.read_text(encoding="utf-8").replace(",2021-02-15,", ",2021-02-30,"),
                   encoding="utf-8")
    assert run_import(bad, tmp_path / "out.csv") == 2
    assert state(tmp_path) == old
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_kill_9_at_any_moment_leaves_the_last_good_table_and_no_debris(tmp_path):
    big = write_export(200_000, tmp_path / "acled-200k.csv")
    reference = tmp_path / "reference"
    reference.mkdir()
    assert run_import(CURRENT, reference / "out.csv") == 0
    old = state(reference)
    started = time.monotonic()
    done = subprocess.run(command(big, reference / "out.csv"), capture_output=True)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    new = state(reference)
    rng = random.Random(26)
    for attempt in range(4):
        folder = tmp_path / f"kill{attempt}"
        folder.mkdir()
        (folder / "out.csv").write_bytes(old[0])
        (folder / "sources.csv").write_bytes(old[1])
        proc = subprocess.Popen(command(big, folder / "out.csv"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, took))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        files.recover_pending(folder)
        assert state(folder) in (old, new), f"attempt {attempt}: torn"
        assert leftovers(folder) == []
        assert run_import(CURRENT, folder / "out.csv") == 0
        assert leftovers(folder) == []


def test_match_writes_under_the_lock_and_clears_debris(tmp_path):
    assert run_import(CURRENT, tmp_path / "a.csv") == 0
    assert run_import(OLDER, tmp_path / "b.csv") == 0
    (tmp_path / ".txn-0123abcd.matches.csv").write_bytes(b"half")
    out = tmp_path / "matches.csv"
    assert main(["match", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--out",
                 str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("event_id_a,")
    assert leftovers(tmp_path) == []
