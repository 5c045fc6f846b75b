"""Text that every rendered piece shares: values escaped for HTML and for Markdown, ranges
of counts, and the hash by which a page's Content-Security-Policy names its own
stylesheet. Kept apart from the charts and fragments so that the build's index page can
use it without importing matplotlib."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import string


def _missing(value) -> bool:
    # pandas only when a value could be one of its missing markers: a build's workers
    # import this module (the HTML exporter's style hash) and have no other use for it.
    if value is None:
        return True
    if isinstance(value, str | int):
        return False
    import pandas as pd

    return bool(pd.isna(value))


def esc(value) -> str:
    """Escape any value for HTML text or attributes; missing values become "–"."""
    if _missing(value):
        return "–"
    return html.escape(str(value), quote=True)


# Markdown's syntax is all ASCII punctuation, and so is HTML's. Each such character of a
# value is written as a numeric character reference, which Markdown shows as the
# character itself and never reads as syntax (CommonMark, "Entity and numeric character
# references"; nbconvert's renderer and Jupyter's agree), and which is no HTML either.
# (A backslash escape is literal only before the characters a given renderer escapes,
# and nbconvert adds formulas between $ signs to Markdown's syntax.)
# Line breaks become spaces: a value is part of one sentence, and after a break the next
# line could start a heading, a list, a table or an HTML block. Spaces and tabs at either
# end are references too: leading ones could indent a code block, trailing ones break
# the line.
_MARKDOWN = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # str.splitlines
_END_SPACE = re.compile(r"^[ \t]+|[ \t]+$")


def _references(match: re.Match) -> str:
    return "".join(f"&#{ord(c)};" for c in match.group())


def esc_markdown(value) -> str:
    """Any value as literal text inside Markdown (and the HTML it becomes): every
    character shows as itself, nothing starts emphasis, a link, code, a formula or a tag.
    Missing values become "–". Markdown code spans are no escape: a backtick or a line
    break in the value ends them."""
    if _missing(value):
        return "–"
    text = _LINE_BREAK.sub(" ", str(value)).translate(_MARKDOWN)
    return _END_SPACE.sub(_references, text)


def style_hash(css: str) -> str:
    """The Content-Security-Policy source that allows exactly one <style> element, the
    one whose text is `css`: 'sha256-' and the base64 SHA-256 of its UTF-8 bytes."""
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def count_range(lo, hi) -> str:
    """"3–7", "5" when both ends agree, "at least 24" when there is no upper end."""
    if _missing(hi):
        return f"at least {int(lo)}"
    return str(int(lo)) if int(lo) == int(hi) else f"{int(lo)}–{int(hi)}"
