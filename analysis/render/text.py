"""Text that every rendered piece shares: escaped values and ranges of counts. Kept apart
from the charts and fragments so that the build's index page can use it without
importing matplotlib."""

from __future__ import annotations

import html

import pandas as pd


def esc(value) -> str:
    """Escape any value for HTML text or attributes; missing values become "–"."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    return html.escape(str(value), quote=True)


def count_range(lo, hi) -> str:
    """"3–7", "5" when both ends agree, "at least 24" when there is no upper end."""
    if pd.isna(hi):
        return f"at least {int(lo)}"
    return str(int(lo)) if int(lo) == int(hi) else f"{int(lo)}–{int(hi)}"
