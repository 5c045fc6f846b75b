"""Text from the data is shown as inert text: in the Markdown of the narrative, in the HTML
brief, in the charts, in the PDF, and in a real browser, whose Content-Security-Policy
applies no style but the page's own."""

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from nbconvert.filters.markdown import markdown2html
from pypdf import PdfReader

from analysis import narrative
from analysis.batch.execute import build_brief
from analysis.batch.plan import BriefJob, read_brief_definitions
from analysis.cli import main
from analysis.render.exporter import CHART_STYLES
from analysis.render.text import esc_markdown, style_hash

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


@pytest.mark.slow
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


@pytest.mark.slow
def test_hostile_text_shows_as_text(brief_html):
    soup = BeautifulSoup(brief_html.read_text(encoding="utf-8"), "html.parser")
    text = soup.get_text()
    assert SCRIPT in text  # the quote and the claim description, as text
    assert "{{ 7*7 }}" in text and "{% raw %}" in text
    assert "$x$" in text and "\\begin{x}" in text
    assert BIDI in text
    assert soup.find("h1").get_text() == f"Brief {MARKUP}"


@pytest.mark.slow
def test_the_pdf_renders(brief_html):
    reader = PdfReader(brief_html.with_suffix(".pdf"))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Brief *bold*" in text
    assert "{{ 7*7 }}" in text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


NO_CHROMIUM = pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed; "
                                 "this test needs Debian's chromium package")


@pytest.mark.slow
@NO_CHROMIUM
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


# --- every text column through every section, the editions section included -------------

def hostile(marker: str, line_break: bool = True) -> str:
    """Markup of every kind a value could carry, between two copies of `marker`. Ids may
    hold no line break (the contract refuses it), so theirs is a space."""
    brk = "\n" if line_break else " "
    return (f"{marker}{brk}<style>body{{display:none}}</style> <img src=x onerror=alert(1)> "
            f"[x](javascript:alert(1)) `tick` ``two`` a | b | c *em* _em_ __strong__ "
            f"# {marker}.")


def flat(text: str) -> str:
    return " ".join(text.split())


TEXT_COLUMNS = {
    "attacks": ("location", "governorate", "target", "quote", "notes", "selection_reason"),
    "claims": ("description", "quote", "notes"),
    "context_events": ("label", "description", "quote", "notes"),
    "sources": ("title", "publisher", "language", "notes", "url"),
    "matches": ("reason",),
}
ID = {name: hostile(f"ID{name}", line_break=False) for name in
      ("a1", "a2", "a3", "a4", "b1", "claim", "context", "source")}
TEXT = {f"{table}.{column}": hostile(f"TX{table[:3]}{column.replace('_', '')}")
        for table, columns in TEXT_COLUMNS.items() for column in columns}
TITLE = hostile("TXtitle", line_break=False)


def write_csv(path: Path, rows: list[dict]) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def attack(event_id: str, start: str, end: str) -> dict:
    texts = {c: TEXT[f"attacks.{c}"] for c in TEXT_COLUMNS["attacks"]}
    return {"event_id": ID[event_id], "date_start": start, "date_end": end,
            "region": "Federal Iraq", "target_type": "military_base", "weapon": "rocket",
            "source_id": ID["source"], **texts}


def hostile_folder(root: Path, edition: int) -> None:
    """The user's folder for edition 1 (as of 31 March 2021) or 2 (as of 20 April 2021):
    a1 stays, a2 leaves the data, a3 (18 March) is reported late, a4 is new."""
    data = root / "data"
    (data / "docs").mkdir(parents=True, exist_ok=True)
    quotes = [TEXT[f"{t}.quote"] for t in ("attacks", "claims", "context_events")]
    (data / "docs" / "source.txt").write_text("Preamble. " + " ".join(quotes) + " End.",
                                              encoding="utf-8")
    write_csv(data / "sources.csv", [{
        "source_id": ID["source"], "path": "docs/source.txt", "published": "2021-04-20",
        "as_of": "2021-04-20", **{c: TEXT[f"sources.{c}"] for c in TEXT_COLUMNS["sources"]}}])
    rows = [attack("a1", "2021-02-01", "2021-02-01")]
    rows += ([attack("a2", "2021-02-10", "2021-02-20")] if edition == 1 else
             [attack("a3", "2021-03-18", "2021-03-18"),
              attack("a4", "2021-04-10", "2021-04-12")])
    write_csv(data / "a.csv", rows)
    write_csv(data / "b.csv", [attack("b1", "2021-02-01", "2021-02-01")])
    write_csv(data / "matches.csv", [{
        "event_id_a": ID["a1"], "event_id_b": ID["b1"], "reason": TEXT["matches.reason"],
        "decision": ""}])
    write_csv(data / "claims.csv", [{
        "claim_id": ID["claim"], "period_start": "2021-01-20", "period_end": "2021-03-31",
        "count_min": "2", "count_max": "", "source_id": ID["source"],
        **{c: TEXT[f"claims.{c}"] for c in TEXT_COLUMNS["claims"]}}])
    write_csv(data / "context_events.csv", [{
        "context_id": ID["context"], "date": "2021-02-10", "source_id": ID["source"],
        **{c: TEXT[f"context_events.{c}"] for c in TEXT_COLUMNS["context_events"]}}])
    tables = ('data_path = ["data/a.csv", "data/b.csv"]\nmatches_path = "data/matches.csv"\n'
              'sources_path = "data/sources.csv"\nclaims_path = "data/claims.csv"\n'
              'context_path = "data/context_events.csv"\nstart = "2021-01-20"\n'
              'freq = "week"\ncompare_at = "2021-02-15"\n')
    (root / "briefs.toml").write_text(
        'notebook = "attack-frequency.ipynb"\n\n'
        f"[briefs.every]\ntitle = {json.dumps(TITLE)}\n{tables}\n"
        f"[briefs.limited]\ntitle = {json.dumps(TITLE)}\n{tables}"
        f"governorate = {json.dumps(TEXT['attacks.governorate'])}\n", encoding="utf-8")


def build_in(root: Path, as_of: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--briefs", str(root / "briefs.toml"),
         "--out", "out", "--as-of", as_of], capture_output=True, text=True, cwd=root,
        timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def editions_built(tmp_path_factory) -> dict[str, Path]:
    """Both briefs, built as of 31 March, then on the changed data as of 20 April; their
    first editions' pages are kept as `<name>-1`."""
    root = tmp_path_factory.mktemp("hostile-editions")
    hostile_folder(root, 1)
    data = root / "data"
    assert main(["validate", *(str(data / n) for n in (
        "a.csv", "b.csv", "matches.csv", "claims.csv", "context_events.csv",
        "sources.csv"))]) == 0
    build_in(root, "2021-03-31")
    pages = {}
    for name in ("every", "limited"):
        for ext in ("html", "pdf"):
            first = root / f"{name}-1.{ext}"
            shutil.copyfile(root / "out" / name / f"{name}.{ext}", first)
        pages[f"{name}-1"] = root / f"{name}-1.html"
    hostile_folder(root, 2)
    build_in(root, "2021-04-20")
    for name in ("every", "limited"):
        pages[name] = root / "out" / name / f"{name}.html"
    return pages


def style_allowed(page: BeautifulSoup) -> set[str]:
    policy = page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    return set(directives["style-src"].split())


def charts_svg(page: BeautifulSoup) -> list[str]:
    """Each chart's SVG, embedded as an image or drawn inline."""
    return [base64.b64decode(img["src"].split(",", 1)[1]).decode("utf-8")
            for img in page.find_all("img")] + [str(svg) for svg in page.find_all("svg")]


URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "xlink:href", "data",
                  "poster", "background"}
PAGES = ["every-1", "limited-1", "every", "limited"]


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_no_tag_or_attribute_comes_from_the_data(editions_built, name):
    page = BeautifulSoup(editions_built[name].read_text(encoding="utf-8"), "html.parser")
    allowed = style_allowed(page)
    assert "'unsafe-inline'" not in allowed
    for style in page.find_all("style"):  # the page's own, or a chart's, by its hash
        assert style_hash(style.string or "") in allowed, style
    assert not page.find_all(["script", "a", "iframe", "object", "embed", "form", "base",
                              "link", "foreignobject", "image"])
    ids = {element["id"] for element in page.find_all(id=True)}
    for element in page.find_all(True):
        for attribute, value in element.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            assert not attribute.lower().startswith("on"), (element.name, attribute)
            if attribute.lower() in URL_ATTRIBUTES:
                # Only an inline chart's references to its own parts (markers, hatching)
                # within the page: never a place outside it.
                assert text.startswith("#") and text[1:] in ids, (element.name, text)
    # Every value shows whole, as the characters it is: no part became emphasis, code, a
    # table cell, a heading, a link or a tag (any of them would break it up).
    text = flat(page.get_text())
    for value in (*ID.values(), *TEXT.values(), TITLE):
        marker = value.split(" ", 1)[0].split("\n", 1)[0]
        starts = text.count(f"{marker} <style>")
        assert text.count(flat(value)) == starts, marker


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_chart_text_stays_text(editions_built, name):
    page = BeautifulSoup(editions_built[name].read_text(encoding="utf-8"), "html.parser")
    import xml.etree.ElementTree as ET

    for svg in charts_svg(page):
        tree = ET.fromstring(svg)  # well formed: no value broke out of its text
        tags = {element.tag.rsplit("}", 1)[-1] for element in tree.iter()}
        assert not tags & {"script", "img", "image", "a", "foreignObject", "iframe"}, tags
        styles = [e.text for e in tree.iter() if e.tag.endswith("}style")]
        assert set(styles) <= set(CHART_STYLES)
        for element in tree.iter():
            assert not any(a.lower().startswith("on") for a in element.attrib), element.tag


@pytest.mark.slow
def test_every_section_shows_the_values(editions_built):
    """The values reach the sections under test (else the tests above prove little)."""
    every = flat(BeautifulSoup(editions_built["every"].read_text(encoding="utf-8"),
                               "html.parser").get_text())
    assert "What changed since the edition of 31 March 2021" in every
    changes = every.split("What changed since", 1)[1].split("How often attacks", 1)[0]
    for new_or_gone in ("a2", "a3", "a4"):
        assert flat(ID[new_or_gone]) in changes, new_or_gone
    for key in ("sources.title", "sources.publisher", "claims.description", "attacks.quote",
                "claims.quote", "context_events.quote"):
        assert flat(TEXT[key]) in every, key
    assert flat(ID["claim"]) in every and flat(TITLE) in every
    limited = flat(BeautifulSoup(editions_built["limited"].read_text(encoding="utf-8"),
                                 "html.parser").get_text())
    assert f"Limited to governorate {flat(TEXT['attacks.governorate'])}." in limited


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_the_pdf_keeps_every_section(editions_built, name):
    reader = PdfReader(editions_built[name].with_suffix(".pdf"))
    text = flat(" ".join(page.extract_text() for page in reader.pages))
    assert len(reader.pages) >= 3
    for heading in ("How often attacks happened", "Notes on the data", "Sources"):
        assert heading in text, heading
    assert "TXsoutitle" in text


@pytest.mark.slow
@NO_CHROMIUM
def test_the_page_applies_its_own_styles_and_would_refuse_one_from_the_data(
        editions_built, tmp_path):
    """Chromium reports no policy violation for the brief (its stylesheet is allowed, and
    the data brought no style), and refuses a <style> put into the page's body."""
    def violations(page: Path) -> list[str]:
        result = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
             "--enable-logging=stderr", "--v=0", "--virtual-time-budget=2000", "--dump-dom",
             page.as_uri()], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "<main" in result.stdout
        return [line for line in result.stderr.splitlines()
                if "Content Security Policy" in line]

    page = editions_built["every"]
    assert violations(page) == []
    injected = tmp_path / "injected.html"
    injected.write_text(page.read_text(encoding="utf-8").replace(
        '<main class="brief">', '<main class="brief"><style>body{display:none}</style>', 1),
        encoding="utf-8")
    refused = violations(injected)
    assert len(refused) == 1 and "style" in refused[0], refused


# --- Markdown --------------------------------------------------------------------------

MARKDOWN_ATTACKS = [
    "a\n<style>body{display:none}</style>", "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))", "![i](x.png)", "<https://example.org>", "www.example.org",
    "`code` ``two``", "a | b |\n|---|---|\n| c | d |", "*em* _em_ __strong__ ~~del~~",
    "$x$ $$y$$ \\(z\\) \\[w\\] \\begin{x}1\\end{x}", "# head", "1. one\n2. two", "- item",
    "> quote", "a\r\n===", "    indented", "trailing  ", "\tboth\t", "&amp; &#42; &lt;b&gt;",
    "<!-- c --> <?x?>",
    "back\\slash\\", "[^1] [a]: /x", "c\u2028<b>x</b>\u2029d", "{{ 7*7 }} {% raw %}",
    "\u202eevil\u202c zero\u200bwidth", "Anbar <b>",
]


@pytest.mark.parametrize("value", MARKDOWN_ATTACKS)
@pytest.mark.parametrize("place", ["Start {} end.", "- {}", "## {}", "**{}**"])
def test_a_value_in_markdown_shows_as_itself(value, place):
    """Through the renderer the brief uses, an escaped value becomes its characters and
    nothing else: no tag, no emphasis, no formula, no link, in a sentence, a list item, a
    heading or bold type."""
    rendered = BeautifulSoup(markdown2html(place.format(esc_markdown(value))), "html.parser")
    for anchor in rendered.select("a.anchor-link"):  # a heading's own, left out of a brief
        anchor.decompose()
    expected = {"Start {} end.": ["p"], "- {}": ["li", "ul"], "## {}": ["h2"],
                "**{}**": ["p", "strong"]}[place]
    assert sorted({e.name for e in rendered.find_all(True)}) == expected
    shown = {"Start {} end.": "Start {} end."}.get(place, "{}").format(
        " ".join(value.splitlines()))
    assert rendered.get_text().strip("\n") == shown


def test_a_value_missing_from_the_data_is_a_dash():
    assert esc_markdown(None) == esc_markdown(pd.NA) == "–"


def test_the_sentence_of_a_breakdown_escapes_its_values():
    by_value = pd.DataFrame({"value": [f"<style>{v}</style>" for v in ("a*", "b_")],
                             "max": [1, 2]})
    by_value.attrs.update(column="governorate", unknown=3)
    rendered = BeautifulSoup(markdown2html(narrative.breakdown_sentence(by_value)),
                             "html.parser")
    assert [e.name for e in rendered.find_all(True)] == ["p"]
    assert "known governorate: <style>a*</style> (1), <style>b_</style> (2)." in (
        rendered.get_text())
