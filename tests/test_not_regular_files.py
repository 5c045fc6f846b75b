"""A FIFO, a device or a folder named as a data file or as a source document is refused
at once, at the sources row that names it, and never opened: opening a FIFO waits for a
writer, for ever."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.inputs.documents import not_regular

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")

ATTACKS = ("event_id,date_start,date_end,source_id,quote\n"
           "e1,2021-01-01,2021-01-01,s1,Two rockets\n")


def validate(*paths: Path) -> subprocess.CompletedProcess:
    """`validate` in its own process, so that a read that blocks fails the test instead
    of hanging it."""
    return subprocess.run([sys.executable, "-m", "analysis", "validate", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def folder_naming(tmp_path: Path, document: str) -> Path:
    data = tmp_path / "data"
    (data / "docs").mkdir(parents=True)
    (data / "sources.csv").write_text("source_id,path,title\n"
                                      f"s1,{document},A source\n", encoding="utf-8")
    (data / "attacks.csv").write_text(ATTACKS, encoding="utf-8")
    return data


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@needs_fifo
def test_a_fifo_named_as_a_source_document_is_refused_at_its_row(tmp_path):
    data = folder_naming(tmp_path, "docs/pipe.txt")
    make_fifo(data / "docs" / "pipe.txt")
    result = validate(data / "attacks.csv", data / "sources.csv")
    assert result.returncode == 2, result.stderr
    assert (f"{data / 'sources.csv'}:2: path: 'docs/pipe.txt': a FIFO (named pipe), not a "
            "regular file" in result.stderr)


def test_a_folder_named_as_a_source_document_is_refused_at_its_row(tmp_path):
    data = folder_naming(tmp_path, "docs")
    result = validate(data / "sources.csv")
    assert result.returncode == 2
    assert f"{data / 'sources.csv'}:2: path: 'docs': a folder, not a regular file" in (
        result.stderr)


@needs_fifo
def test_a_fifo_or_a_folder_given_as_a_data_file_is_refused(tmp_path):
    fifo = make_fifo(tmp_path / "attacks.csv")
    result = validate(fifo, tmp_path)
    assert result.returncode == 2
    assert f"{fifo}:0: -: '': a FIFO (named pipe), not a regular file" in result.stderr
    assert f"{tmp_path}:0: -: '': a folder, not a regular file" in result.stderr


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null on this system")
def test_a_device_given_as_a_data_file_is_refused():
    assert not_regular(Path("/dev/null")).startswith("a device, not a regular file")
    result = validate(Path("/dev/null"))
    assert result.returncode == 2 and "/dev/null:0: -: '': a device" in result.stderr


@needs_fifo
def test_a_build_refuses_a_fifo_before_any_notebook_runs(tmp_path):
    data = folder_naming(tmp_path, "docs/pipe.txt")
    make_fifo(data / "docs" / "pipe.txt")
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--data", str(data / "attacks.csv"),
         "--sources", str(data / "sources.csv"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "sources.csv:2: path: 'docs/pipe.txt': a FIFO (named pipe)" in result.stderr
    fifo = make_fifo(tmp_path / "fifo.csv")
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--data", str(fifo),
         "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "a FIFO (named pipe), not a regular file" in (
        result.stderr), result.stderr


def test_a_regular_file_and_a_missing_one(tmp_path):
    (tmp_path / "a.csv").write_text("x\n")
    assert not_regular(tmp_path / "a.csv") == ""
    assert not_regular(tmp_path / "missing.csv") == "does not exist"
