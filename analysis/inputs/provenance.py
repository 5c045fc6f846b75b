"""Provenance: every row taken from a source names it (`source_id`); a row taken from a
stored source document also quotes it verbatim (`quote`). Quotes are matched after
whitespace is normalised, so line wrapping in the source file does not matter; nothing
else is forgiven."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import Problem
from .documents import document_path, not_regular, outside_reason

_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def attach_texts(sources_csv: Path, sources: pd.DataFrame, lines) -> list[Problem]:
    """Read each stored source document into the `text` column (whitespace-normalised;
    None for a source cited without a stored document). Returns a problem for each
    document that cannot be read, is not a regular file (never opened, so a FIFO cannot
    hang the read) or lies where documents may not be read from."""
    texts, problems = [], []
    for row, rel in enumerate(sources["path"]):
        if pd.isna(rel):  # cited, not stored: there is nothing to read
            texts.append(None)
            continue
        doc = document_path(sources_csv, str(rel))
        refused = outside_reason(sources_csv, doc) or not_regular(doc)
        if refused == "does not exist":
            refused = "source document does not exist"
        if refused:
            problems.append(Problem(str(sources_csv), lines(row), "path", str(rel), refused))
            texts.append(None)
            continue
        try:
            texts.append(normalise(doc.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as err:
            line = lines(row)
            reason = "source document does not exist" if isinstance(
                err, FileNotFoundError) else f"source document cannot be read: {err}"
            problems.append(Problem(str(sources_csv), line, "path", str(rel), reason))
            texts.append(None)
    sources["text"] = pd.Series(texts, index=sources.index, dtype=object)
    return problems


def check(path: Path, frame: pd.DataFrame, sources: pd.DataFrame, lines) -> list[Problem]:
    """Problems with `source_id` and `quote` in a raw (string) table, given the sources.
    Rows of a stored document quote it verbatim; rows of a source cited without one
    (blank `path`) carry no quote."""
    source_ids = frame["source_id"]
    quotes = frame["quote"] if "quote" in frame else pd.Series("", index=frame.index)
    known = source_ids.isin(sources["source_id"].dropna())
    stored = source_ids.isin(sources.loc[sources["path"].notna(), "source_id"].dropna())
    text_of = dict(zip(sources["source_id"], sources["text"], strict=True))
    problems = []

    def add(rows, column, values, message):
        problems.extend(Problem(str(path), lines(int(r)), column, str(v), message)
                        for r, v in zip(rows, values, strict=True))

    unknown = np.flatnonzero(((source_ids != "") & ~known).to_numpy())
    add(unknown, "source_id", source_ids.iloc[unknown], "source_id is not in sources.csv")
    no_quote = np.flatnonzero((stored & (quotes == "")).to_numpy())
    add(no_quote, "quote", quotes.iloc[no_quote],
        "a row from a stored source document must quote it verbatim")
    unstored = np.flatnonzero((known & ~stored & (quotes != "")).to_numpy())
    add(unstored, "quote", quotes.iloc[unstored],
        "the source is cited without a stored document (blank path), so its rows carry "
        "no quote: nothing could check it")
    no_source = np.flatnonzero(((source_ids == "") & (quotes != "")).to_numpy())
    add(no_source, "source_id", source_ids.iloc[no_source], "a quote needs its source_id")

    # Each distinct (source, quote) pair is searched once, however many rows share it.
    quoted = frame.loc[known & (quotes != ""), ["source_id"]].assign(quote=quotes)
    for (source_id, quote), group in quoted.groupby(["source_id", "quote"], sort=False):
        text = text_of.get(source_id)
        if text is not None and normalise(quote) not in text:
            rows = [frame.index.get_loc(i) for i in group.index]
            add(rows, "quote", [quote] * len(rows),
                f"quote is not found verbatim in source {source_id!r}")
    return problems


def source_titles(sources: pd.DataFrame) -> list[str]:
    """How each source is named to readers: its title, else its id."""
    return [str(t) if pd.notna(t) else str(i)
            for t, i in zip(sources["title"], sources["source_id"], strict=True)]
