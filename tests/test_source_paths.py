"""Source documents stay where they belong: a sources table can name documents inside
its own folder or the project, never elsewhere on the machine, directly or by a link."""

import os
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.inputs.documents import document_paths

HEADER = "source_id,path,title,publisher,language,published,as_of,notes\n"
ATTACKS = ("event_id,date_start,date_end,source_id,quote\n"
           "a1,2021-01-01,2021-01-01,s1,root:x:0:0\n")


def write_dataset(folder: Path, path: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sources.csv").write_text(HEADER + f"s1,{path},T,,en,,,\n", encoding="utf-8")
    (folder / "attacks.csv").write_text(ATTACKS, encoding="utf-8")
    return folder


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
def test_a_path_that_climbs_out_is_refused_at_its_line(tmp_path, capsys):
    data = write_dataset(tmp_path / "data", "../../../../../../../../etc/passwd")
    assert main(["validate", str(data / "attacks.csv")]) == 2
    err = capsys.readouterr().err
    assert (f"{data / 'sources.csv'}:2: path: '../../../../../../../../etc/passwd': "
            "outside the sources table's folder") in err
    assert "resolves to /etc/passwd" in err
    assert "valid" not in err


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
def test_an_absolute_path_elsewhere_is_refused(tmp_path, capsys):
    data = write_dataset(tmp_path / "data", "/etc/passwd")
    assert main(["validate", str(data / "sources.csv")]) == 2
    assert "sources.csv:2: path: '/etc/passwd': outside" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="needs /etc/passwd")
def test_a_symlink_out_is_refused(tmp_path, capsys):
    data = write_dataset(tmp_path / "data", "docs/article.txt")
    (data / "docs").mkdir()
    os.symlink("/etc/passwd", data / "docs" / "article.txt")
    assert main(["validate", str(data / "attacks.csv")]) == 2
    err = capsys.readouterr().err
    assert "sources.csv:2: path: 'docs/article.txt': outside" in err
    assert "resolves to /etc/passwd" in err


def test_a_document_in_the_table_folder_is_read(tmp_path, capsys):
    data = write_dataset(tmp_path / "data", "docs/article.txt")
    (data / "docs").mkdir()
    (data / "docs" / "article.txt").write_text("Preamble root:x:0:0 end.", encoding="utf-8")
    assert main(["validate", str(data / "attacks.csv")]) == 0


def test_the_build_hashes_only_confined_documents(tmp_path):
    data = write_dataset(tmp_path / "data", "/etc/passwd")
    assert document_paths(data / "sources.csv") == []
    (data / "sources.csv").write_text(HEADER + "s1,doc.txt,T,,en,,,\n", encoding="utf-8")
    (data / "doc.txt").write_text("text", encoding="utf-8")
    assert document_paths(data / "sources.csv") == [(data / "doc.txt").resolve()]


def test_a_cited_source_without_a_document_has_no_quotes(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "sources.csv").write_text(
        "source_id,path,title,publisher,language,published,as_of,notes,url\n"
        "s1,,Report,Agency,en,2021-01-02,2021-01-02,,https://example.org/r\n",
        encoding="utf-8")
    (data / "attacks.csv").write_text(
        "event_id,date_start,date_end,source_id,quote\n"
        "a1,2021-01-01,2021-01-01,s1,\n"
        "a2,2021-01-01,2021-01-01,s1,A sentence nobody can check\n", encoding="utf-8")
    assert main(["validate", str(data / "attacks.csv")]) == 2
    err = capsys.readouterr().err
    assert "attacks.csv:3: quote: 'A sentence nobody can check': the source is cited " \
           "without a stored document" in err
    assert "attacks.csv:2" not in err
