"""Reading an import's input a chunk of rows at a time, and locating its problems.

A CSV is streamed with pandas (every cell a string, blank ""), so memory follows the
chunk, not the file. Problems are pooled by record number while the chunks go by; only
when the import fails are the physical lines of those records worked out, in one more
pass over the file's bytes (`record_starts`).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ...exceptions import DataError, Problem
from .. import load

CHUNK_ROWS = 50_000
# Beyond this many problems the rest are counted, not listed: a file with a million bad
# rows usually has one mistake a million times, and the first lines show it.
MAX_PROBLEMS = 1_000


def per_unique(fn: Callable, *columns) -> np.ndarray:
    """`fn` applied once per distinct combination of the columns' values, spread back over
    the rows: exports repeat their dates, codes and places thousands of times."""
    if len(columns) == 1:
        codes, uniques = pd.factorize(np.asarray(columns[0], dtype=object))
        values = [fn(u) for u in uniques]
    else:
        keys = pd.MultiIndex.from_arrays([np.asarray(c, dtype=object) for c in columns])
        codes, uniques = pd.factorize(keys)
        values = [fn(*u) for u in uniques]
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out[codes] if len(codes) else np.empty(0, dtype=object)


class Problems:
    """Problems of one input, gathered chunk by chunk by record number (0 = the first row
    after the header). The first MAX_PROBLEMS by line are kept; the rest are counted."""

    def __init__(self, path: Path, limit: int | None = None):
        self.path, self.limit = Path(path), limit or MAX_PROBLEMS
        self.total = 0
        self._pool: list[tuple] = []  # (record, column, value, message, first record)
        self.located: list[Problem] = []  # problems already at their line (elsewhere)

    def __bool__(self) -> bool:
        return bool(self.total or self.located)

    def add(self, records, column: str, values, message: str, first=None) -> None:
        """One problem per record. `message` may name the line of another record as
        {first}: `first` then gives that record for each."""
        records = np.asarray(records, dtype=np.int64)
        if not len(records):
            return
        self.total += len(records)
        keep = slice(0, self.limit)
        values = np.broadcast_to(np.asarray(values, dtype=object), records.shape)
        firsts = (np.full(records.shape, -1) if first is None else np.asarray(first))
        self._pool += zip(records[keep].tolist(), [column] * min(len(records), self.limit),
                          [str(v) for v in values[keep]],
                          [message] * min(len(records), self.limit),
                          firsts[keep].tolist(), strict=True)
        if len(self._pool) > 4 * self.limit:
            self._pool = sorted(self._pool)[: self.limit]

    def error(self, lines_of: Callable[[np.ndarray], np.ndarray]) -> DataError:
        pool = sorted(self._pool)[: self.limit]
        records = np.asarray([p[0] for p in pool] + [p[4] for p in pool if p[4] >= 0],
                             dtype=np.int64)
        line = dict(zip(records.tolist(), lines_of(records).tolist(), strict=True))
        problems = [Problem(str(self.path), line[r], column, value,
                            message.replace("{first}", str(line[first])) if first >= 0
                            else message)
                    for r, column, value, message, first in pool]
        if self.total > self.limit:
            problems.append(Problem(
                str(self.path), 0, "-", f"{self.total - self.limit} more",
                f"{self.total:,} problems in all: the first {self.limit:,} by line are "
                f"listed, {self.total - self.limit:,} more are not; fix these and import "
                "again to see the rest"))
        return DataError(problems + self.located)


# ---------------------------------------------------------------------------------------
# Where each record starts


def _regular_quotes(arr: np.ndarray, quotes: np.ndarray, parity: int) -> bool:
    """True when every quote opens a field, closes one or is doubled inside one (RFC
    4180), so that counting quotes tells which line breaks are inside a field. `arr` is
    a block that starts at a line's start and ends with a line break or the file."""
    if not len(quotes):
        return True
    inside = (parity + np.arange(len(quotes))) % 2 == 1  # the quote opens or is doubled
    opening = quotes[~inside]
    before = np.where(opening > 0, arr[np.maximum(opening - 1, 0)], 10)
    closing = quotes[inside]
    after = np.where(closing + 1 < len(arr), arr[np.minimum(closing + 1, len(arr) - 1)], 10)
    return bool(np.isin(before, (44, 10, 34)).all() and np.isin(after, (44, 10, 13, 34)).all())


def record_starts(path: Path, block_bytes: int = 1 << 24) -> np.ndarray:
    """The physical line on which each record starts (the header is record 0, on line 1),
    skipping lines that hold only spaces and tabs, as pandas does; a quoted line break
    does not end a record. Vectorised over blocks of bytes; a file whose quotes are not
    RFC 4180's is read record by record instead."""
    starts, parity, line, carry = [], 0, 1, b""
    start_line = 1  # where the record being read began
    with path.open("rb") as fh:
        while True:
            block = fh.read(block_bytes)
            data = carry + block
            if not data:
                break
            cut = data.rfind(b"\n") + 1 if block else len(data)
            if cut == 0:
                carry = data
                continue
            data, carry = data[:cut], data[cut:]
            if not data.endswith(b"\n"):
                data += b"\n"  # the last line of a file without a final line break
            arr = np.frombuffer(data, dtype=np.uint8)
            quotes = np.flatnonzero(arr == 34)
            if not _regular_quotes(arr, quotes, parity):
                return load.record_lines(path)
            breaks = np.flatnonzero(arr == 10)
            ends = breaks[(parity + np.searchsorted(quotes, breaks)) % 2 == 0]
            end_lines = line + np.searchsorted(breaks, ends)  # the line each record ends on
            record_first = np.concatenate(([start_line], end_lines[:-1] + 1))[:len(ends)]
            begins = np.concatenate(([0], ends[:-1] + 1))[:len(ends)]
            commas = np.flatnonzero(arr == 44)
            no_comma = np.searchsorted(commas, ends) == np.searchsorted(commas, begins)
            blank = np.zeros(len(ends), dtype=bool)
            for i in np.flatnonzero(no_comma):  # rare: a one-column file, or a blank line
                if i == 0 and start_line < line:
                    continue  # carried over from the block before: it holds a quote
                blank[i] = not data[begins[i]:ends[i]].strip(b" \t\r")
            starts.append(record_first[~blank])
            parity = (parity + len(quotes)) % 2
            line += len(breaks)
            start_line = int(end_lines[-1]) + 1 if len(ends) else start_line
            if not block:
                break
    if parity:  # the file ends inside a quoted field: its last record is still one
        starts.append(np.asarray([start_line]))
    return np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)


# ---------------------------------------------------------------------------------------
# CSV input

class CsvInput:
    """A CSV file read in chunks: its checked header, then DataFrames of strings whose
    index is the record number."""

    def __init__(self, path: Path, *, max_bytes: int, max_rows: int):
        self.path, self.max_rows = Path(path), max_rows
        load._check_file(self.path, max_bytes)
        header = load._header(self.path)
        load.refuse_header(self.path, header)
        self.headers = [h.strip() for h in header]
        self._lines: np.ndarray | None = None

    @property
    def rule_columns(self) -> list[str]:
        """The columns selection rules may read: the file's own."""
        return self.headers

    def rules_frame(self, chunk: pd.DataFrame, columns) -> pd.DataFrame:
        """The columns the selection rules read, named in lower case, as they are: the
        rules compare values ignoring surrounding spaces, and find patterns anywhere."""
        by_lower = {h.lower(): h for h in self.headers}
        return pd.DataFrame({c: (chunk[by_lower[c]] if c in by_lower else
                                 pd.Series("", index=chunk.index, dtype=object))
                             for c in columns}, index=chunk.index)

    def chunks(self, rows: int | None = None) -> Iterator[pd.DataFrame]:
        path, read, rows = self.path, 0, rows or CHUNK_ROWS
        try:
            with warnings.catch_warnings():
                # The header and the delimiter are checked above; a warning here would
                # only repeat an error that is reported below, located.
                warnings.simplefilter("ignore", pd.errors.ParserWarning)
                reader = pd.read_csv(
                    path, dtype=str, keep_default_na=False, na_filter=False, index_col=False,
                    encoding="utf-8-sig", engine="c", skipinitialspace=False,
                    chunksize=rows)
                with reader:
                    for chunk in reader:
                        read += len(chunk)
                        if read > self.max_rows:
                            raise DataError([Problem(
                                str(path), 0, "-", f"more than {self.max_rows} rows",
                                f"file has more rows than the limit of {self.max_rows} "
                                "(see --max-rows)")])
                        chunk.columns = self.headers
                        yield chunk
        except UnicodeDecodeError:
            raise load.not_utf8(path) from None
        except pd.errors.ParserError as err:
            raise load.parser_error(path, err) from None

    def lines(self, records: np.ndarray) -> np.ndarray:
        """The physical line of each record (0 = the first row after the header)."""
        if self._lines is None:
            self._lines = record_starts(self.path)[1:]
        records = np.asarray(records, dtype=np.int64)
        inside = records < len(self._lines)
        return np.where(inside, self._lines[np.minimum(records, max(len(self._lines) - 1, 0))]
                        if len(self._lines) else 0, records + 2)


def stripped(column: pd.Series) -> pd.Series:
    """The cells without surrounding spaces, each distinct value stripped once."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object))
    clean = np.asarray([u.strip() for u in uniques], dtype=object)
    return pd.Series(clean[codes] if len(codes) else clean, index=column.index, dtype=object)


def strip(chunk: pd.DataFrame, columns) -> dict[str, pd.Series]:
    """The named columns, their cells stripped of surrounding spaces (absent: blank)."""
    return {name: (stripped(chunk[header]) if header is not None else
                   pd.Series("", index=chunk.index, dtype=object))
            for name, header in columns.items()}


_WORD_EDGE = re.compile(r"[\w-]")


def mentions(texts: pd.Series, words: tuple[str, ...]) -> np.ndarray:
    """For each text, whether it mentions one of `words` as `words_pattern` reads them
    (whole words, any case, not joined by a hyphen). The texts are joined and each word
    looked for with str.find, which scans at C speed: a regular expression run on each
    text costs ten times as much, at a million notes."""
    cells = texts.to_numpy(dtype=object)
    found = np.zeros(len(cells), dtype=bool)
    if not len(cells) or not words:
        return found
    joined = "\n".join(cells)
    lower = joined.lower()
    if len(lower) != len(joined):  # a letter whose lower case is longer: offsets move
        return texts.str.contains(words_pattern(words)).to_numpy(dtype=bool)
    ends = np.cumsum(np.fromiter(map(len, cells), dtype=np.int64, count=len(cells)) + 1)
    starts = []
    for word in {w.lower() for w in words}:
        size, at = len(word), lower.find(word.lower())
        while at >= 0:
            end = at + size
            if ((at == 0 or not _WORD_EDGE.match(lower, at - 1))
                    and not _WORD_EDGE.match(lower, end)):
                starts.append(at)
            at = lower.find(word, end)
    found[np.searchsorted(ends, np.asarray(starts, dtype=np.int64), side="right")] = True
    return found


def words_pattern(words: tuple[str, ...]) -> re.Pattern | None:
    """Whole words, any case; a word joined to another by a hyphen does not count, so
    "rocket-propelled grenade" is not a rocket."""
    if not words:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, words)) + r")(?![\w-])",
                      re.IGNORECASE)
