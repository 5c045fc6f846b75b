"""Nothing is lost: a killed build, two builds at once, a full disk or a read-only
folder never leave a broken brief where the last good one was."""

import errno
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader

from analysis import build as build_module
from analysis.cli import main

pytestmark = pytest.mark.slow


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def args_for(dataset: Path, out: Path) -> list[str]:
    return ["build", "--out", str(out), "--only", "since-inauguration", "--jobs", "1",
            "--data", str(dataset / "attacks.csv"), "--claims", str(dataset / "claims.csv"),
            "--context", str(dataset / "context_events.csv"),
            "--sources", str(dataset / "sources.csv")]


@pytest.fixture(scope="module")
def good_brief(tmp_path_factory):
    """One good brief, built once; each test works on a copy."""
    from conftest import DATA, SEEDS

    root = tmp_path_factory.mktemp("good")
    shutil.copytree(DATA, root / "data")
    shutil.copytree(SEEDS, root / "seeds")
    assert main(args_for(root / "data", root / "reports")) == 0
    return root


@pytest.fixture
def workspace(good_brief, tmp_path):
    shutil.copytree(good_brief, tmp_path / "ws")
    return tmp_path / "ws"


def test_sigkill_during_pdf_rendering_keeps_the_last_good_brief(workspace):
    out = workspace / "reports"
    before = snapshot(out / "since-inauguration")
    # A real process, killed by SIGKILL halfway through writing the PDF.
    script = textwrap.dedent(f"""
        import os, signal
        from analysis import pdf
        from analysis.cli import main

        def dying_pdf(html, pdf_path):
            with open(pdf_path, "wb") as fh:
                fh.write(b"%PDF-1.7 half written")
            os.kill(os.getpid(), signal.SIGKILL)

        pdf.html_to_pdf = dying_pdf
        main({args_for(workspace / 'data', out) + ['--force']!r})
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=300)
    assert result.returncode == -9
    assert snapshot(out / "since-inauguration") == before
    # The half-built staging folder is swept by the next build, which then skips.
    assert list(out.glob(".since-inauguration.staging-*"))
    assert main(args_for(workspace / "data", out)) == 0
    assert not list(out.glob(".since-inauguration.staging-*"))
    assert snapshot(out / "since-inauguration") == before


def test_crash_between_the_two_renames_is_recovered(workspace):
    out = workspace / "reports"
    before = snapshot(out / "since-inauguration")
    os.rename(out / "since-inauguration", out / ".since-inauguration.old")
    build_module.recover(out, ["since-inauguration"])
    assert snapshot(out / "since-inauguration") == before


def test_two_builds_at_once_serialise_and_both_outputs_stay_valid(workspace):
    out = workspace / "reports"
    command = [sys.executable, "-m", "analysis", *args_for(workspace / "data", out),
               "--force"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    results = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, results
    assert any("waiting for another build" in err for _, err in results)
    brief = out / "since-inauguration"
    reader = PdfReader(brief / "since-inauguration.pdf")
    assert "Page 1 of" in reader.pages[0].extract_text()
    assert (brief / "since-inauguration.html").read_text().rstrip().endswith("</html>")
    assert not list(out.glob(".since-inauguration.*"))


def test_full_disk_gives_a_clear_error_and_keeps_the_brief(workspace, monkeypatch, capsys):
    out = workspace / "reports"
    before = snapshot(out / "since-inauguration")

    def disk_full(html, pdf_path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(pdf_path))

    monkeypatch.setattr("analysis.pdf.html_to_pdf", disk_full)
    assert main(args_for(workspace / "data", out) + ["--force"]) == 1
    err = capsys.readouterr().err
    assert "brief 'since-inauguration': could not write the brief: No space left on device" \
        in err
    assert "Traceback" not in err
    assert snapshot(out / "since-inauguration") == before
    assert not list(out.glob(".since-inauguration.staging-*"))


def test_read_only_out_gives_a_clear_error(workspace, monkeypatch, capsys):
    out = workspace / "reports"
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == out
                        else real_access(p, mode))
    assert main(args_for(workspace / "data", out)) == 2
    assert f"--out: '{out}': {out} is not writable" in capsys.readouterr().err


def test_size_and_row_limits_refuse_large_data(workspace, capsys):
    out = workspace / "reports"
    assert main(args_for(workspace / "data", out) + ["--max-bytes", "100"]) == 2
    assert "larger than the limit of 100 bytes" in capsys.readouterr().err
    before = snapshot(out / "since-inauguration")
    assert main(args_for(workspace / "data", out) + ["--max-rows", "5", "--force"]) == 2
    err = capsys.readouterr().err
    assert "more rows than the limit of 5" in err
    assert snapshot(out / "since-inauguration") == before
