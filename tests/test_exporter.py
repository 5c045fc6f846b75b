"""The brief exporter and the PDF: a brief, not a notebook dump, the same bytes every time,
and printable on A4 and Letter."""

import base64
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest
from bs4 import BeautifulSoup
from matplotlib.figure import Figure
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

from analysis.render.exporter import CHART_STYLES, NO_ALT_TEXT, BriefExporter, notebook_to_html
from analysis.render.pdf import html_to_pdf
from analysis.render.text import style_hash

TITLE = "Attacks on US interests in Iraq since 2019"
ALT = "Bar chart of attacks per month, January 2019 to April 2021"
A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)
PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJ"
           "RU5ErkJggg==")


def html_output(html: str, metadata: dict | None = None):
    return new_output("display_data", data={"text/html": html, "text/plain": "fragment"},
                      metadata=metadata or {})


def markdown_output(text: str):
    return new_output("display_data", data={"text/markdown": text, "text/plain": text})


def svg_chart() -> str:
    with matplotlib.rc_context({"svg.hashsalt": "test", "svg.fonttype": "path"}):
        fig = Figure(figsize=(9, 4.8), layout="constrained")
        ax = fig.add_subplot()
        months = list(range(1, 29))
        ax.bar(months, [(m * 7) % 5 for m in months], color="#8c2d19")
        ax.set_title("Attacks per month", loc="left", fontweight="bold")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def make_notebook() -> nbformat.NotebookNode:
    """A small executed brief notebook following the notebook/template contract."""
    key_numbers = "".join(
        f'<div class="key-number"><span class="value">{v}</span>'
        f'<span class="label">{label}</span></div>'
        for v, label in [("20.4", "attacks expected in the window"),
                         ("14–27", "attacks certainly to possibly in the window"),
                         ("12", "attacks exactly dated in the window"),
                         ("0.17", "attacks per week expected (range 0.11–0.23)")])
    rows = "".join(f"<tr><td>{m} 2020</td><td class=num>{i % 4}</td>"
                   f"<td class=num>{i % 3}</td><td class=num>{i % 5}</td></tr>"
                   for i, m in enumerate(["January", "February", "March", "April", "May",
                                          "June", "July", "August", "September"]))
    table = ('<table class="data-table"><caption>Attacks per month</caption><thead><tr>'
             "<th>Month</th><th class=num>Exactly dated</th><th class=num>Certainly</th>"
             f"<th class=num>Possibly</th></tr></thead><tbody>{rows}</tbody></table>")
    sources = ('<section class="sources"><ol><li><cite>Rocket attacks on US bases in '
               "Iraq</cite> (Example Wire, published 20 April 2021)<blockquote>Two rockets "
               "fell near Balad Air Base.</blockquote></li><li><cite>Iraq security "
               "chronology</cite><blockquote>Twenty attacks since late January."
               "</blockquote></li></ol></section>")
    cells = [
        new_markdown_cell("# How to use this notebook\n\nNOTEBOOK_ONLY_MARKER: run all cells.",
                          metadata={"tags": ["hidden-from-brief"]}),
        new_code_cell('start = "PARAMETERS_MARKER"', metadata={"tags": ["parameters"]}),
        new_code_cell('start = "INJECTED_MARKER"', metadata={"tags": ["injected-parameters"]}),
        new_code_cell(
            'print("SECRET_CODE")\nreport.title_block(title, window, sources)',
            execution_count=3,
            outputs=[
                html_output(
                    f'<header class="brief-title"><h1>{TITLE}</h1><p class="brief-meta">'
                    "Window: 1 January 2019 – 20 April 2021 · As of 20 April 2021 · "
                    "Sources: Rocket attacks on US bases in Iraq</p></header>",
                    {"brief": {"title": TITLE, "as_of": "2021-04-20",
                               "window_start": "2019-01-01",
                               "sources": ["Rocket attacks on US bases in Iraq",
                                           "Iraq security chronology"]}}),
                new_output("stream", name="stderr", text="STREAM_MARKER warning\n"),
            ]),
        new_code_cell("report.key_numbers(summary)  # SECRET_CODE", execution_count=4,
                      outputs=[html_output(f'<section class="key-numbers">{key_numbers}'
                                           "</section>")]),
        new_code_cell("Markdown(sentence)  # SECRET_CODE", execution_count=5, outputs=[
            markdown_output("Between 1 January 2019 and 20 April 2021, **14** attacks "
                            "certainly fall in the window and **27** possibly do.")]),
        new_markdown_cell("## How often attacks happened"),
        new_code_cell("report.figure(fig)  # SECRET_CODE", execution_count=6, outputs=[
            html_output('<figure class="chart"><img src="data:image/svg+xml;base64,'
                        f'{svg_chart()}" alt="{ALT}"><figcaption>Attacks per month. Solid: '
                        "exactly dated; hatched: date-uncertain share.</figcaption></figure>"),
            html_output('<p class="source-line">Source: Rocket attacks on US bases in Iraq. '
                        "12 of 27 attacks in the data are exactly dated.</p>")]),
        new_code_cell("report.counts_table(counts)  # SECRET_CODE", execution_count=7,
                      outputs=[html_output(table)]),
        new_markdown_cell("## Notes on the data\n\n**What a row is.** Each row is one "
                          "attack, with the earliest and latest day it can have happened."),
        new_markdown_cell("## Sources"),
        new_code_cell("report.sources_list(sources)  # SECRET_CODE", execution_count=8,
                      outputs=[html_output(sources)]),
    ]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


@pytest.fixture(scope="module")
def nb():
    return make_notebook()


@pytest.fixture(scope="module")
def html(nb):
    return notebook_to_html(nb)


@pytest.fixture(scope="module")
def pdf_a4(html, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "brief.pdf"
    html_to_pdf(html, path)
    return path


def head_and_body(html: str) -> tuple[str, str]:
    head, body = html.split("<body", 1)
    return head, body


# HTML


def test_html_shows_outputs_and_no_code(html):
    _, body = head_and_body(html)
    assert "SECRET_CODE" not in html
    assert "report." not in html and "Markdown(" not in html
    assert "<script" not in html.lower()
    assert "In&nbsp;[" not in html and "In [" not in html and "Out[" not in html
    assert "jp-InputArea" not in html and "highlight" not in html
    assert "STREAM_MARKER" not in html
    assert f"<h1>{TITLE}</h1>" in body
    assert '<section class="key-numbers">' in body and "14–27" in body
    assert "<strong>14</strong>" in body  # the markdown output, rendered
    assert "<h2>Notes on the data</h2>" in body
    assert '<table class="data-table">' in body and "<thead>" in body
    assert "Two rockets fell near Balad Air Base." in body


def test_tagged_cells_are_removed(html):
    for marker in ("NOTEBOOK_ONLY_MARKER", "How to use this notebook", "PARAMETERS_MARKER",
                   "INJECTED_MARKER"):
        assert marker not in html


def test_figure_is_embedded_with_alt_text(html):
    _, body = head_and_body(html)
    assert body.count('<figure class="chart">') == 1
    assert 'src="data:image/svg+xml;base64,' in body
    assert f'alt="{ALT}"' in body
    assert "<figcaption>Attacks per month." in body


def meta_tags(html: str) -> dict[str, str]:
    head = BeautifulSoup(html, features="html.parser").head
    tags = {m["name"]: m["content"] for m in head.find_all("meta", attrs={"name": True})}
    for m in head.find_all("meta", attrs={"http-equiv": True}):
        tags[m["http-equiv"]] = m["content"]
    return tags


def test_head_has_title_dates_description_csp_and_inline_css(html):
    head, _ = head_and_body(html)
    meta = meta_tags(html)
    assert html.startswith("<!DOCTYPE html>")
    assert f"<title>{TITLE}</title>" in head
    assert meta["dcterms.created"] == meta["dcterms.modified"] == "2021-04-20"
    assert meta["description"] == (
        f"{TITLE}. Covers 1 January 2019 to 20 April 2021. Sources: Rocket attacks on US "
        "bases in Iraq; Iraq security chronology.")
    assert meta["Content-Security-Policy"].startswith(
        "default-src 'none'; script-src 'none'; img-src data:; style-src 'sha256-")
    assert "<link" not in html and "http://" not in html and "https://" not in html
    assert "mathjax" not in html.lower() and "require" not in html.lower()
    # The stylesheet is inline, with the page size, running header and page numbers.
    assert "@page" in head and "size: A4;" in head
    assert "position: running(running-header)" in head
    assert 'counter(page) " of " counter(pages)' in head


def style_sources(policy: str) -> set[str]:
    """The sources of a policy's style-src directive."""
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    return set(directives["style-src"].split())


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_policy_allows_the_pages_stylesheet_by_its_hash_and_no_other(nb, paper):
    page = notebook_to_html(nb, paper=paper)
    allowed = style_sources(meta_tags(page)["Content-Security-Policy"])
    assert "'unsafe-inline'" not in allowed
    styles = BeautifulSoup(page, features="html.parser").find_all("style")
    assert len(styles) == 1 and "@page" in styles[0].string
    # Hashed as the browser will read the element: any change to its text between the
    # hash and the page would leave the brief without its stylesheet.
    assert style_hash(styles[0].string) in allowed
    assert allowed == {style_hash(styles[0].string), *map(style_hash, CHART_STYLES)}


def test_the_policy_allows_the_style_element_of_matplotlibs_svg():
    """A chart drawn inline keeps its one <style> element (its line joins)."""
    svg = base64.b64decode(svg_chart()).decode()
    styles = re.findall(r"<style[^>]*>(.*?)</style>", svg, flags=re.DOTALL)
    assert styles and set(styles) <= set(CHART_STYLES)


def test_html_is_byte_identical_across_exports(nb, html):
    assert notebook_to_html(nb) == html
    again, _ = BriefExporter().from_notebook_node(nb)
    assert again == html


def test_notebook_is_not_modified(nb):
    before = nbformat.writes(nb)
    notebook_to_html(nb)
    assert nbformat.writes(nb) == before


def test_paper_letter_and_bad_paper(nb):
    letter = notebook_to_html(nb, paper="Letter")
    assert "size: letter" in letter and "size: A4" not in letter
    with pytest.raises(ValueError, match="paper"):
        notebook_to_html(nb, paper="A3")


def test_without_brief_metadata_the_file_name_is_the_title(nb, tmp_path):
    bare = make_notebook()
    for cell in bare.cells:
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("brief", None)
    path = tmp_path / "my-analysis.ipynb"
    nbformat.write(bare, path)
    html, _ = BriefExporter().from_filename(str(path))
    head, _ = head_and_body(html)
    assert "<title>my-analysis</title>" in head
    assert "dcterms.created" not in head and "dcterms.modified" not in head
    assert "As of" not in html.split('class="running-header"')[1].split("</div>")[0]


def test_scripts_in_outputs_are_dropped(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell("x", execution_count=1, outputs=[
            html_output('<p>kept</p><script>alert("x")</script>'),
            new_output("display_data", data={"application/javascript": "alert(1)",
                                              "text/plain": "js object"}),
        ]),
        new_markdown_cell("text <script>alert(2)</script>"),
    ])
    html = notebook_to_html(nb)
    assert "<p>kept</p>" in html and "<script" not in html.lower()
    assert "alert(1)" not in html


def text_of(html: str) -> str:
    """What a reader sees of the page: its text, entities decoded."""
    return BeautifulSoup(html, features="html.parser").get_text()


def test_other_outputs(tmp_path):
    png = PNG_1PX
    nb = new_notebook(cells=[
        new_code_cell("x", execution_count=1, outputs=[
            new_output("execute_result", data={"text/plain": "42 <b>"}, execution_count=1),
            new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
            new_output("stream", name="stdout", text="PRINTED_MARKER\n"),
            new_output("error", ename="KeyError", evalue="'region'",
                       traceback=["TRACEBACK_MARKER"]),
        ]),
        new_code_cell("raw = 1", metadata={"tags": ["hidden-from-brief"]}),
    ])
    html = notebook_to_html(nb)
    assert '<pre class="plain-output">42 &lt;b&gt;</pre>' in html
    assert f'<figure class="chart"><img alt="{NO_ALT_TEXT}" ' \
        f'src="data:image/png;base64,{png}"></figure>' in html
    assert "PRINTED_MARKER" not in html and "TRACEBACK_MARKER" not in html
    assert "a cell of the notebook failed (KeyError: 'region')" in text_of(html)


def test_an_image_without_alt_text_in_an_html_output_gets_the_placeholder():
    html_output = (f'<p>map</p><img src="data:image/png;base64,{PNG_1PX}">'
                   f'<img alt="Basra" src="data:image/png;base64,{PNG_1PX}">')
    nb = new_notebook(cells=[new_code_cell("x", execution_count=1, outputs=[
        new_output("display_data", data={"text/html": html_output})])])
    images = BeautifulSoup(notebook_to_html(nb), features="html.parser").find_all("img")
    assert [image["alt"] for image in images] == [NO_ALT_TEXT, "Basra"]


def test_a_brief_is_the_template_output_not_reparsed(monkeypatch):
    # Every image of a brief has alt text and there is no script: nothing to fix, so the
    # page is not parsed again (that cost each worker 0.15 s for its first brief).
    def no_parsing(*args, **kwargs):
        raise AssertionError("the page was parsed again")

    monkeypatch.setattr("analysis.render.exporter.BeautifulSoup", no_parsing)
    nb = new_notebook(cells=[new_code_cell("x", execution_count=1, outputs=[
        new_output("display_data", data={"image/png": PNG_1PX}),
        new_output("display_data", data={"text/html": '<img alt="a" src="data:,">'})])])
    assert notebook_to_html(nb).count(f'alt="{NO_ALT_TEXT}"') == 1


@pytest.mark.slow
def test_jupyter_nbconvert_to_brief(nb, html, tmp_path):
    source = tmp_path / "brief-notebook.ipynb"
    nbformat.write(nb, source)
    out = tmp_path / "out"
    jupyter = Path(sys.executable).parent / "jupyter"
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    result = subprocess.run(
        [str(jupyter), "nbconvert", "--to", "brief", str(source), "--output-dir", str(out)],
        cwd=workdir, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    written = (out / "brief-notebook.html").read_text(encoding="utf-8")
    assert written == html


# PDF


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def page_sizes(path: Path) -> set[tuple[float, float]]:
    return {(round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2))
            for p in PdfReader(path).pages}


@pytest.mark.slow
def test_pdf_has_text_page_numbers_and_metadata(pdf_a4):
    reader = PdfReader(pdf_a4)
    text = pdf_text(pdf_a4)
    assert TITLE in text
    assert "Page 1 of" in text and f"Page {len(reader.pages)} of {len(reader.pages)}" in text
    assert "SECRET_CODE" not in text and "STREAM_MARKER" not in text
    assert reader.metadata.title == TITLE
    assert "Covers 1 January 2019" in reader.metadata.subject
    assert str(reader.metadata["/CreationDate"]).startswith("D:20210420")
    assert str(reader.metadata["/ModDate"]).startswith("D:20210420")
    assert page_sizes(pdf_a4) == {A4}


@pytest.mark.slow
def test_pdf_is_byte_identical_whatever_the_clock_env_and_hash_seed(
        html, pdf_a4, tmp_path, monkeypatch):
    expected = pdf_a4.read_bytes()
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    html_to_pdf(html, tmp_path / "unset.pdf")
    assert "SOURCE_DATE_EPOCH" not in os.environ  # restored
    assert (tmp_path / "unset.pdf").read_bytes() == expected
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    html_to_pdf(html, tmp_path / "set.pdf")
    assert os.environ["SOURCE_DATE_EPOCH"] == "1"
    assert (tmp_path / "set.pdf").read_bytes() == expected
    # Another process, another hash seed, no SOURCE_DATE_EPOCH.
    (tmp_path / "brief.html").write_text(html, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["PYTHONHASHSEED"] = "12345"
    code = ("import sys; from pathlib import Path; from analysis.render.pdf import html_to_pdf; "
            "html_to_pdf(Path(sys.argv[1]).read_text(encoding='utf-8'), Path(sys.argv[2]))")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "brief.html"),
                    str(tmp_path / "other.pdf")], env=env, check=True, timeout=120,
                   capture_output=True)
    assert (tmp_path / "other.pdf").read_bytes() == expected


@pytest.mark.slow
def test_letter_pdf(nb, tmp_path):
    path = tmp_path / "letter.pdf"
    html_to_pdf(notebook_to_html(nb, paper="Letter"), path)
    assert page_sizes(path) == {LETTER}
    assert "Page 1 of" in pdf_text(path)


@pytest.mark.slow
def test_pdf_fetches_nothing_but_data_uris(tmp_path):
    (tmp_path / "leak.css").write_text('main::after { content: "LEAKED_CSS"; }')
    png = base64.b64decode(PNG_1PX)
    (tmp_path / "leak.png").write_bytes(png)
    html = (f'<html><head><link rel="stylesheet" href="{(tmp_path / "leak.css").as_uri()}">'
            "<style>@import url('http://127.0.0.1:9/x.css');</style></head><body><main>"
            f'<p>visible</p><img src="{(tmp_path / "leak.png").as_uri()}" alt="file">'
            '<img src="http://127.0.0.1:9/x.png" alt="net">'
            f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" alt="data">'
            "</main></body></html>")
    path = tmp_path / "untrusted.pdf"
    html_to_pdf(html, path)
    reader = PdfReader(path)
    text = pdf_text(path)
    assert "visible" in text and "LEAKED_CSS" not in text
    assert len(reader.pages[0].images) == 1  # the data: URI only


@pytest.mark.slow
def test_failed_write_leaves_the_old_pdf_and_no_temporary_file(html, tmp_path, monkeypatch):
    target = tmp_path / "brief.pdf"
    target.write_bytes(b"old brief")

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr("analysis.files.os.fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        html_to_pdf(html, target)
    assert target.read_bytes() == b"old brief"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brief.pdf"]


def test_pdf_fonts_are_matplotlib_own_found_without_importing_it():
    from analysis.render.pdf import _font_dir

    assert _font_dir() == Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    assert (_font_dir() / "DejaVuSans.ttf").is_file()
