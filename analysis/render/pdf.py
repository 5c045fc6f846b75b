"""HTML brief to PDF with WeasyPrint: searchable text, title and date metadata, and the
same bytes for the same HTML.

Determinism. WeasyPrint writes no clock time into the PDF by itself: the creation and
modification dates come from the brief's `dcterms.created` / `dcterms.modified` meta
tags (its as-of date), the file identifier is a hash of the HTML (`pdf_identifier`), and
the XMP packet (with its random document id) is written only for PDF/X-4 variants, which
are not used. The one clock left is inside the fonts: subsetting an embedded font with
fontTools rewrites the font's "modified" timestamp with the current time unless
SOURCE_DATE_EPOCH is set. While it writes, `html_to_pdf` sets SOURCE_DATE_EPOCH to the
brief's own date (midnight UTC of its modified/created date, else 0) and restores the
previous value afterwards, so the PDF depends on the HTML alone, with or without the
variable set by the caller.

Fonts. The machine's fonts play no part: a stylesheet of `@font-face` rules loads the
DejaVu faces that matplotlib installs with pip (the charts' own fonts), and WeasyPrint's
font configuration is made from an empty fontconfig file (`no-system-fonts.conf`), so
those are the only fonts the PDF can use, in the text and in the charts' SVG alike. A
PDF built in a slim container without any system font is the same file as one built on
a desktop full of them. (A character that DejaVu lacks shows as a box everywhere,
rather than in whatever font one machine happens to have.)

Safety. The HTML may carry text from untrusted data, so WeasyPrint may fetch nothing but
`data:` URIs and those font files: no network, no other file (images in a brief are all
embedded).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from ..config import temporary_environ
from ..files import write_atomic

_ENV_LOCK = threading.Lock()
NO_SYSTEM_FONTS = Path(__file__).with_name("no-system-fonts.conf")


# family -> (file, weight, style) of each face, from matplotlib's bundled fonts.
FONT_FACES = {
    "DejaVu Sans": [("DejaVuSans.ttf", "normal", "normal"),
                    ("DejaVuSans-Bold.ttf", "bold", "normal"),
                    ("DejaVuSans-Oblique.ttf", "normal", "italic"),
                    ("DejaVuSans-BoldOblique.ttf", "bold", "italic")],
    "DejaVu Sans Mono": [("DejaVuSansMono.ttf", "normal", "normal"),
                         ("DejaVuSansMono-Bold.ttf", "bold", "normal")],
}


def _font_dir() -> Path:
    # matplotlib.get_data_path(), found without importing matplotlib (0.2 s): the
    # processes that print PDFs draw nothing.
    from importlib.util import find_spec

    return Path(find_spec("matplotlib").origin).with_name("mpl-data") / "fonts" / "ttf"


def font_face_css() -> tuple[str, frozenset[str]]:
    """The @font-face rules, and the file URLs they may load."""
    rules, urls = [], set()
    for family, faces in FONT_FACES.items():
        for file, weight, style in faces:
            url = (_font_dir() / file).resolve().as_uri()
            urls.add(url)
            rules.append(f'@font-face {{ font-family: "{family}"; src: url("{url}"); '
                         f"font-weight: {weight}; font-style: {style}; }}")
    return "\n".join(rules), frozenset(urls)


def _font_configuration():
    """WeasyPrint's font configuration, built from fontconfig's empty configuration."""
    import warnings

    from weasyprint.text.fonts import FontConfiguration

    with _ENV_LOCK, temporary_environ(FONTCONFIG_FILE=str(NO_SYSTEM_FONTS)), \
            warnings.catch_warnings():
        # "No fonts configured": true, and wanted; the @font-face rules bring them.
        warnings.filterwarnings("ignore", "No fonts configured", UserWarning)
        return FontConfiguration()


def _fetcher(font_urls: frozenset[str]):
    """A WeasyPrint URL fetcher that refuses every URL but data: URIs and the fonts."""
    from weasyprint.urls import URLFetcher

    class BriefFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not (url.lower().startswith("data:") or url in font_urls):
                raise ValueError(f"the brief may only use data: URIs, not {url[:80]!r}")
            return super().fetch(url, headers)

    return BriefFetcher(allowed_protocols={"data", "file"}, allow_redirects=False)


def _epoch(metadata) -> int:
    """Seconds since 1970 of the document's date (modified, else created), else 0."""
    for value in (metadata.modified, metadata.created):
        if not value:
            continue
        try:
            when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(0, int(when.timestamp()))
    return 0


@contextlib.contextmanager
def _source_date_epoch(seconds: int):
    """SOURCE_DATE_EPOCH=seconds for the duration of the block (threads take turns)."""
    with _ENV_LOCK, temporary_environ(SOURCE_DATE_EPOCH=str(seconds)):
        yield


@dataclass(frozen=True)
class PdfRenderer:
    """What every PDF of a process shares: the URL fetcher, the font configuration and
    the parsed @font-face stylesheet."""

    fetcher: object
    font_config: object
    fonts: object


@functools.cache
def pdf_renderer() -> PdfRenderer:
    """Made once per process: WeasyPrint's import, its font configuration and the font
    stylesheet cost about as much as rendering a brief."""
    import warnings

    with warnings.catch_warnings():
        # Said once, at import, of the machine's fonts, which a brief does not use.
        warnings.filterwarnings("ignore", "No fonts configured", UserWarning)
        import weasyprint

    css, font_urls = font_face_css()
    fetcher = _fetcher(font_urls)
    font_config = _font_configuration()
    fonts = weasyprint.CSS(string=css, url_fetcher=fetcher, font_config=font_config)
    return PdfRenderer(fetcher, font_config, fonts)


# Let go of the fonts before the interpreter tears its modules down: WeasyPrint's font
# configuration cleans up after itself in __del__, which fails once they are gone.
atexit.register(pdf_renderer.cache_clear)


def html_to_pdf(html: str, pdf_path: Path) -> None:
    """Render the HTML brief to `pdf_path`. The file appears whole or not at all: the PDF
    is written to a temporary file beside it and moved into place."""
    renderer = pdf_renderer()  # first: it imports WeasyPrint
    import weasyprint

    pdf_path = Path(pdf_path)
    document = weasyprint.HTML(string=html, url_fetcher=renderer.fetcher).render(
        stylesheets=[renderer.fonts], font_config=renderer.font_config)
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    with _source_date_epoch(_epoch(document.metadata)):
        data = document.write_pdf(pdf_identifier=identifier)

    write_atomic(pdf_path, data)
