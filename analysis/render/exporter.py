"""The nbconvert "brief" exporter: an executed notebook becomes a self-contained HTML brief.

`jupyter nbconvert --to brief notebook.ipynb` (registered as an entry point) and
`notebook_to_html(nb)` give the same page. The brief shows what the notebook displays and
nothing of how: no code, no prompts, no JavaScript. What it keeps:

- markdown cells (narrative headings and notes);
- rich outputs, by priority: `text/html` (the package's pre-escaped fragments), then
  `text/markdown`, SVG, PNG or JPEG images (embedded as data: URIs) and plain text;
- errors, as a short notice, so a brief never silently lacks a part.

Printed streams (stdout and stderr: debugging, warnings) and raw cells are left out, and so
are cells tagged `hidden-from-brief`, `parameters` or `injected-parameters`.

The first output whose metadata has a "brief" key gives the title, the as-of date, the
window and the source titles, used for <title>, the description and date <meta> tags (which
WeasyPrint turns into PDF metadata) and the running header of the printed pages. Without
it, the notebook's file name is the title and the brief carries no date.

The same notebook always gives byte-identical HTML: the template uses no clock, no file
dates and no random ids.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import nbformat
from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor
from traitlets import CaselessStrEnum, default
from traitlets.config import Config

from .. import config
from ..dates import long_day, parse_iso_day
from .text import style_hash

TEMPLATE_NAME = "brief"

# Cells with these tags are instructions for Jupyter users or papermill's parameters.
HIDDEN_TAG = "hidden-from-brief"
REMOVED_CELL_TAGS = frozenset({HIDDEN_TAG, "parameters", "injected-parameters"})

# Page size and side margins. The side margins give both papers the same 170 mm measure
# (A4 is the narrower sheet: 210 mm; Letter is 215.9 mm), so lines, tables and figures
# break the same way on either paper.
PAPERS = {
    "A4": {"size": "A4", "margin_x": "20mm"},
    "Letter": {"size": "letter", "margin_x": "22.95mm"},
}

# What a brief can show, best first. No JavaScript, widgets, LaTeX or Mermaid (they need
# scripts); an output with nothing else shows its text/plain form.
DISPLAY_PRIORITY = ["text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg",
                    "text/plain"]

# A table with more rows than this cannot be kept on one page: it may break across pages
# (its header row repeats). Shorter tables move whole to the next page instead.
LONG_TABLE_ROWS = 30

# nbconvert's words for an image that came without alt text.
NO_ALT_TEXT = "No description has been provided for this image"

# The stylesheet every brief carries, before the @page rule of its paper size.
STYLESHEET = config.TEMPLATES_DIR / TEMPLATE_NAME / "brief.css"

# The one <style> element of matplotlib's SVG (every chart has it), allowed so that a
# chart drawn inline in the page keeps its line joins. It sets how strokes join, nothing
# a page's data could use.
CHART_STYLES = ("*{stroke-linejoin: round; stroke-linecap: butt}",)


def content_security_policy(css: str) -> str:
    """The page's policy: no script, no fetch of anything (images are data: URIs), no
    form, no <base>. Styles: only the <style> elements whose text is `css` (the page's
    own stylesheet) or one of CHART_STYLES, each named by its hash, so that a <style>
    element that reached the page from the data applies nowhere. Style attributes are
    allowed: matplotlib's inline SVG sets every colour through one; they need markup,
    which nothing from the data can make (SECURITY.md gives the reasoning)."""
    styles = " ".join(style_hash(text) for text in (css, *CHART_STYLES))
    return (f"default-src 'none'; script-src 'none'; img-src data:; style-src {styles}; "
            "style-src-attr 'unsafe-inline'; base-uri 'none'; form-action 'none'")


@functools.cache
def page_style(paper: str) -> dict:
    """The page's stylesheet for one paper size (`css`, the exact text of its one <style>
    element, line ends as an HTML parser reads them) and the policy that allows it."""
    size = PAPERS[paper]
    css = (STYLESHEET.read_text(encoding="utf-8")
           + f"\n@page {{ size: {size['size']}; margin-left: {size['margin_x']}; "
           f"margin-right: {size['margin_x']}; }}\n")
    # An HTML parser reads a carriage return as a line feed: hashed as written, a CR would
    # make the hash miss. (read_text already turns them into line feeds.)
    css = "\n" + css.replace("\r\n", "\n").replace("\r", "\n")
    return {"css": css, "csp": content_security_policy(css)}

def _iso_day(value: Any) -> str:
    """A YYYY-MM-DD date from the metadata, or "" when it is missing or malformed."""
    day = parse_iso_day(value)
    return day.isoformat() if day else ""


def find_brief_metadata(nb: nbformat.NotebookNode) -> dict:
    """The "brief" metadata of the first output that has it, or {}."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("brief")
            if isinstance(meta, dict):
                return meta
    return {}


def brief_info(meta: dict, fallback_title: str) -> dict:
    """What the template needs from the brief metadata, checked and with fallbacks."""
    title = " ".join(str(meta.get("title") or "").split()) or fallback_title
    as_of = _iso_day(meta.get("as_of"))
    window_start = _iso_day(meta.get("window_start"))
    sources = meta.get("sources") or []
    if isinstance(sources, str):
        sources = [sources]
    sources = [" ".join(str(s).split()) for s in sources if str(s).strip()]

    description = [title.rstrip(".") + "."]
    if window_start and as_of:
        description.append(f"Covers {long_day(window_start)} to {long_day(as_of)}.")
    elif as_of:
        description.append(f"As of {long_day(as_of)}.")
    if sources:
        description.append("Sources: " + "; ".join(sources) + ".")
    return {
        "title": title,
        "as_of": as_of,
        "as_of_text": long_day(as_of) if as_of else "",
        "window_start": window_start,
        "sources": sources,
        "description": " ".join(description),
    }


# A chart's inline SVG, as `marks.inline_svg` writes it (no <svg> inside it).
INLINE_SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


def _parsed_around_charts(html: str, change) -> str:
    """`change(soup)` applied to the HTML parsed with the charts' SVG set aside: the
    HTML parser lower-cases SVG's names (viewBox, clipPath), and a chart holds no
    table, script or image to change. An SVG that holds a script or an image is
    parsed with the rest."""
    charts: list[str] = []

    def set_aside(match):
        block = match.group(0)
        if "<script" in block.lower() or "<img" in block.lower():
            return block  # not a chart of ours: cleaned with the rest
        charts.append(block)
        return f"<!--chart-{len(charts) - 1}-->"

    marked = INLINE_SVG.sub(set_aside, html)
    soup = BeautifulSoup(marked, features="html.parser")
    change(soup)
    return re.sub(r"<!--chart-(\d+)-->", lambda m: charts[int(m.group(1))]
                  if int(m.group(1)) < len(charts) else m.group(0), str(soup))


def mark_long_tables(html: str) -> str:
    """Add the class `long-table` to tables of more than LONG_TABLE_ROWS rows, so the
    stylesheet lets them break across pages."""
    if html.count("<tr") <= LONG_TABLE_ROWS:
        return html

    def mark(soup):
        for table in soup.find_all("table"):
            if len(table.find_all("tr")) > LONG_TABLE_ROWS:
                table["class"] = [*table.get("class", []), "long-table"]

    return _parsed_around_charts(html, mark)


class BriefMetadataPreprocessor(Preprocessor):
    """Puts the brief's title, dates and sources into `resources["brief"]`. Runs after the
    tagged cells are removed, so it only sees what the brief shows."""

    def preprocess(self, nb, resources):
        name = str(resources.get("metadata", {}).get("name") or "Notebook")
        resources["brief"] = brief_info(find_brief_metadata(nb), name)
        return nb, resources


class BriefExporter(HTMLExporter):
    """A notebook as a brief for readers: no code, no prompts, no scripts, one file."""

    export_from_notebook = "Brief"

    paper = CaselessStrEnum(
        list(PAPERS), default_value="A4",
        help="Paper size of the printed brief (PDF): A4 or Letter.",
    ).tag(config=True)

    @default("template_name")
    def _template_name_default(self):
        return TEMPLATE_NAME

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self):
        # The package's templates first, so `--to brief` works from any directory.
        return [str(config.TEMPLATES_DIR), *super()._default_extra_template_basedirs()]

    @default("exclude_input")
    def _exclude_input_default(self):
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self):
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self):
        return True

    @default("exclude_anchor_links")
    def _exclude_anchor_links_default(self):
        return True

    @default("embed_images")
    def _embed_images_default(self):
        return True

    @property
    def default_config(self):
        c = Config({"NbConvertBase": {"display_data_priority": DISPLAY_PRIORITY}})
        base = super().default_config.copy()
        base.merge(c)
        return base

    def default_filters(self):
        yield from super().default_filters()
        yield ("mark_long_tables", mark_long_tables)

    def _init_preprocessors(self):
        super()._init_preprocessors()
        # Our own instances, enabled whatever the user's configuration says: a brief never
        # shows the notebook's instructions or its parameters.
        self.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags=set(REMOVED_CELL_TAGS), enabled=True))
        self.register_preprocessor(BriefMetadataPreprocessor(enabled=True))

    def _init_resources(self, resources):
        resources = super()._init_resources(resources)
        resources["paper"] = {"name": self.paper, **PAPERS[self.paper]}
        resources["page_style"] = page_style(self.paper)
        resources["no_alt_text"] = NO_ALT_TEXT
        return resources

    def from_notebook_node(self, nb, resources=None, **kw):
        # The template alone, without HTMLExporter's own pass over the page: that pass
        # parses the whole page with BeautifulSoup to give notebook cells a tabindex and
        # images without alt text a placeholder. A brief has no notebook cells, and its
        # template gives every image alt text, so for a brief the pass changed nothing but
        # the spelling of the markup; it cost each worker 0.15 s for its first brief
        # (compiling the pass's CSS selectors) and 0.01 s for every later one. An image
        # without alt text can still come in an HTML output, and gets the placeholder here.
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return without_scripts_and_with_alt_text(html), resources


IMAGE_WITHOUT_ALT = re.compile(r"<img(?![^>]*\salt\s*=)", re.IGNORECASE)


def without_scripts_and_with_alt_text(html: str) -> str:
    """The page without any script, and with a placeholder for the alt text of any image
    that has none (nbconvert's own). Parsed only when one of them is there."""
    has_script = "<script" in html.lower()
    if not has_script and not IMAGE_WITHOUT_ALT.search(html):
        return html

    def clean(soup):
        # Defence in depth: an HTML output or markdown cell may carry a script; the
        # page's Content-Security-Policy would block it, and here it goes.
        for element in soup.find_all("script"):
            element.decompose()
        for image in soup.find_all("img"):
            if "alt" not in image.attrs:
                image.attrs["alt"] = NO_ALT_TEXT

    return _parsed_around_charts(html, clean)


@functools.cache
def brief_exporter(paper: str = "A4") -> BriefExporter:
    """The exporter for one paper size, made once per process: setting one up loads its
    Jinja templates, which costs more than most briefs take to render."""
    if paper.lower() not in {p.lower() for p in PAPERS}:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    return BriefExporter(paper=paper)


def notebook_to_html(nb: nbformat.NotebookNode, paper: str = "A4") -> str:
    """Render an executed notebook as the HTML brief. `nb` is not modified."""
    html, _ = brief_exporter(paper).from_notebook_node(nb)
    return html
