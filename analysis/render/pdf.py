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

Safety. The HTML may carry text from untrusted data, so WeasyPrint may fetch nothing but
`data:` URIs: no network, no files (images in a brief are all embedded).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import threading
from pathlib import Path

from .config import temporary_environ
from .files import write_atomic

_ENV_LOCK = threading.Lock()


def _data_only_fetcher():
    """A WeasyPrint URL fetcher that refuses every URL but data: URIs."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before URLFetcher: fetchers are plain functions
        from weasyprint import default_url_fetcher

        def fetch(url, *args, **kwargs):
            if not url.lower().startswith("data:"):
                raise ValueError(f"the brief may only use data: URIs, not {url[:80]!r}")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch

    class DataOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                raise ValueError(f"the brief may only use data: URIs, not {url[:80]!r}")
            return super().fetch(url, headers)

    return DataOnlyFetcher(allowed_protocols={"data"}, allow_redirects=False)


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


def html_to_pdf(html: str, pdf_path: Path) -> None:
    """Render the HTML brief to `pdf_path`. The file appears whole or not at all: the PDF
    is written to a temporary file beside it and moved into place."""
    import weasyprint

    pdf_path = Path(pdf_path)
    document = weasyprint.HTML(string=html, url_fetcher=_data_only_fetcher()).render()
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    with _source_date_epoch(_epoch(document.metadata)):
        data = document.write_pdf(pdf_identifier=identifier)

    write_atomic(pdf_path, data)
