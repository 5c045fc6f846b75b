"""Text from the data is shown as inert text: in the HTML brief, in the charts, in the
PDF, and in a real browser."""

import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from analysis.build.execute import build_brief
from analysis.build.plan import BriefJob, read_brief_definitions
from analysis.cli import main

pytestmark = pytest.mark.slow

SCRIPT = "<script>document.body.setAttribute('data-pwned', '1')</script>"
IMG = "<img src=x onerror=\"document.title='PWNED'\">"
LINKS = "[click](javascript:alert(1)) <a href=\"javascript:alert(1)\">link</a>"
MARKUP = "*bold* _it_ # head `code` $x$ \\begin{x} {{ 7*7 }} {% raw %} <b>b</b>"
BIDI = "\u202eevil\u202c zero\u200bwidth"
HOSTILE = f"{SCRIPT} {IMG} {LINKS} {MARKUP} {BIDI}"
MATH = " $\\frac{1}{$ end"  # invalid mathtext, were matplotlib to parse it


def csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@pytest.fixture(scope="module")
def hostile_dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "data").mkdir()
    (root / "data" / "seeds").mkdir()
    quote = f"Two rockets hit {HOSTILE} on the day."
    (root / "data" / "seeds" / "doc.txt").write_text(f"Preamble. {quote} End.", encoding="utf-8")
    note = "long note " * 10_000  # 100 kB
    (root / "data" / "sources.csv").write_text(
        "source_id,path,title,publisher,language,published,as_of,notes\n"
        f"s1,seeds/doc.txt,{csv_field('Title ' + HOSTILE)},{csv_field(IMG)},en,"
        f"2021-04-20,2021-04-20,{csv_field(MARKUP)}\n", encoding="utf-8")
    (root / "data" / "attacks.csv").write_text(
        "event_id,date_start,date_end,location,governorate,region,target_type,target,"
        "weapon,munitions,casualties,source_id,quote,notes\n"
        f"{csv_field(SCRIPT)},2021-02-01,2021-02-01,{csv_field(HOSTILE)},{csv_field(IMG)},"
        f"Federal Iraq,military_base,{csv_field(LINKS)},rocket,2,,s1,{csv_field(quote)},"
        f"{csv_field(note + HOSTILE)}\n"
        f"e2,2021-01-25,2021-03-01,{csv_field(BIDI)},,Kurdistan Region,other,,drone,,,s1,"
        f"{csv_field(quote)},{csv_field(MARKUP)}\n", encoding="utf-8")
    (root / "data" / "claims.csv").write_text(
        "claim_id,period_start,period_end,count_min,count_max,description,source_id,quote,"
        "notes\n"
        f"{csv_field('C$1$')},2021-01-20,2021-04-20,2,,{csv_field(HOSTILE)},s1,"
        f"{csv_field(quote)},{csv_field(MARKUP)}\n", encoding="utf-8")
    (root / "data" / "context_events.csv").write_text(
        "context_id,date,label,description,source_id,quote,notes\n"
        f"x1,2021-02-10,{csv_field(IMG + MATH)},{csv_field(SCRIPT)},s1,"
        f"{csv_field(quote)},\n", encoding="utf-8")
    return root / "data"


@pytest.fixture(scope="module")
def brief_html(hostile_dataset, tmp_path_factory) -> Path:
    data = hostile_dataset
    assert main(["validate", *(str(data / n) for n in ("attacks.csv", "claims.csv",
                                                       "context_events.csv",
                                                       "sources.csv"))]) == 0
    out = tmp_path_factory.mktemp("out")
    notebook, _ = read_brief_definitions()
    job = BriefJob(
        "hostile", notebook,
        {"title": f"Brief {MARKUP}", "start": "2021-01-20", "freq": "week",
         "compare_at": "2021-02-15", "as_of": "",
         "data_path": str(data / "attacks.csv"), "claims_path": str(data / "claims.csv"),
         "context_path": str(data / "context_events.csv"),
         "sources_path": str(data / "sources.csv")}, out, "A4")
    (out / "hostile").mkdir()
    build_brief(job, out / "hostile")
    return out / "hostile" / "hostile.html"


def test_the_brief_holds_no_active_content(brief_html):
    page = brief_html.read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    assert not soup.find_all("script")
    for element in soup.find_all(True):
        for attribute, value in element.attrs.items():
            assert not attribute.lower().startswith("on"), (element.name, attribute)
            text = " ".join(value) if isinstance(value, list) else str(value)
            assert not text.strip().lower().startswith("javascript:"), (element.name, text)
    # The charts are inline SVG: no image to fetch, and no script or handler in them.
    assert not soup.find_all("img") and soup.find_all("svg")
    assert soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})


def test_hostile_text_shows_as_text(brief_html):
    soup = BeautifulSoup(brief_html.read_text(encoding="utf-8"), "html.parser")
    text = soup.get_text()
    assert SCRIPT in text  # the quote and the claim description, as text
    assert "{{ 7*7 }}" in text and "{% raw %}" in text
    assert "$x$" in text and "\\begin{x}" in text
    assert BIDI in text
    assert soup.find("h1").get_text() == f"Brief {MARKUP}"


def test_the_pdf_renders(brief_html):
    reader = PdfReader(brief_html.with_suffix(".pdf"))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Brief *bold*" in text
    assert "{{ 7*7 }}" in text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed; this test "
                                                "needs Debian's chromium package")
def test_no_script_runs_in_a_real_browser(brief_html, tmp_path):
    result = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=2000", "--dump-dom", brief_html.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = BeautifulSoup(result.stdout, "html.parser")
    assert dom.find("body") is not None
    assert not dom.find("body").has_attr("data-pwned")
    assert dom.find("title").get_text() != "PWNED"
    assert SCRIPT in dom.get_text()
