"""Text that every rendered piece shares: values escaped for HTML, ranges of counts, and
the hash by which a page's Content-Security-Policy names its own stylesheet. Kept apart
from the charts and fragments so that the build's index page can use it without
importing matplotlib."""

from __future__ import annotations

import base64
import hashlib
import html

import pandas as pd


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def esc(value) -> str:
    """Escape any value for HTML text or attributes; missing values become "–"."""
    if _missing(value):
        return "–"
    return html.escape(str(value), quote=True)


def style_hash(css: str) -> str:
    """The Content-Security-Policy source that allows exactly one <style> element, the
    one whose text is `css`: 'sha256-' and the base64 SHA-256 of its UTF-8 bytes."""
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def count_range(lo, hi) -> str:
    """"3–7", "5" when both ends agree, "at least 24" when there is no upper end."""
    if pd.isna(hi):
        return f"at least {int(lo)}"
    return str(int(lo)) if int(lo) == int(hi) else f"{int(lo)}–{int(hi)}"
