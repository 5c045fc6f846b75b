"""Reproducible briefs: the committed briefs are exactly what `make briefs` builds from
the committed data, on a machine without a single system font and into another folder.
The PDF's fonts come from the package, not the machine."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow

EMPTY_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig></fontconfig>
"""
COMMITTED = sorted([*(ROOT / "reports").glob("index.html"),
                    *(p for p in (ROOT / "reports").glob("*/*")
                      if p.suffix in {".pdf", ".html", ".csv", ".json"})])


@pytest.fixture(scope="module")
def fontless_build(tmp_path_factory) -> Path:
    """Every brief, built from the committed data with no system fonts at all."""
    tmp = tmp_path_factory.mktemp("fontless")
    (tmp / "fonts.conf").write_text(EMPTY_FONTCONFIG, encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(tmp / "fonts.conf")}
    out = tmp / "elsewhere" / "reports"
    result = subprocess.run([sys.executable, "-m", "analysis", "build", "--out", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    return out


def test_there_are_committed_briefs():
    assert {p.suffix for p in COMMITTED} == {".pdf", ".html", ".csv", ".json"}


@pytest.mark.parametrize("committed", COMMITTED, ids=lambda p: str(p.relative_to(ROOT / "reports")))
def test_a_fontless_build_elsewhere_equals_the_committed_brief(fontless_build, committed):
    built = fontless_build / committed.relative_to(ROOT / "reports")
    assert built.read_bytes() == committed.read_bytes(), (
        f"{committed.relative_to(ROOT)} differs from a fresh build: run `make briefs` "
        "and commit the result")


def test_the_pdf_embeds_only_the_packaged_fonts(fontless_build):
    from pypdf import PdfReader

    for pdf in fontless_build.glob("*/*.pdf"):
        fonts = set()
        for page in PdfReader(pdf).pages:
            for font in page["/Resources"].get("/Font", {}).values():
                fonts.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
        assert fonts and all(name.startswith("DejaVu") for name in fonts), (pdf, fonts)
