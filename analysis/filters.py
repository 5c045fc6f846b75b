"""Briefs limited to part of the data: a region, governorates, target types or weapons.

Each filter is blank (everything), one value, or a list of values. A filtered brief counts
the distinct attacks whose value is known and chosen. An attack whose value is unknown in
a filtered column cannot be placed: it is left out of the counts and counted apart, so a
reader sees how much the limit may hide, never a silent drop.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .brief import Inputs
from .counting import frequency
from .counting.frequency import Window
from .exceptions import ParameterError
from .inputs import contract

FILTER_COLUMNS = contract.FILTER_COLUMNS


def _values(value) -> tuple[str, ...]:
    """A parameter as its values: "" is none, a string one, a list several."""
    items = value if isinstance(value, list | tuple) else [value]
    return tuple(dict.fromkeys(str(v).strip() for v in items if str(v or "").strip()))


def _folded(text) -> str:
    return str(text).strip().casefold()


@dataclass(frozen=True)
class Filters:
    """The chosen values of each filtered column (columns left blank are absent)."""

    chosen: dict[str, tuple[str, ...]]

    @classmethod
    def from_parameters(cls, **parameters) -> Filters:
        """Check each filter against the contract: a category column takes only its
        allowed values (not `unknown`, which places nothing); governorate is free text,
        compared without regard to case or surrounding spaces. Raises the first problem
        (`problems` gives them all)."""
        found = cls.problems(**parameters)
        if found:
            raise found[0]
        return cls({column: values for column in FILTER_COLUMNS
                    if (values := _values(parameters.get(column, "")))})

    @staticmethod
    def problems(**parameters) -> list[ParameterError]:
        """Every value of every filter that is not allowed."""
        enums = {f.name: f.enum for f in contract.fields(contract.ATTACKS)}
        found = []
        for column in FILTER_COLUMNS:
            allowed = tuple(v for v in enums.get(column) or () if v != contract.UNKNOWN)
            found += [ParameterError(column, value, "not one of: " + ", ".join(allowed))
                      for value in _values(parameters.get(column, ""))
                      if allowed and value not in allowed]
        return found

    def __bool__(self) -> bool:
        return bool(self.chosen)

    def describe(self) -> str:
        """In words, e.g. "region Kurdistan Region; weapon rocket or drone"."""
        return contract.describe_filters(self.chosen)

    def suffix(self) -> str:
        """For chart titles and captions: "" for everything, else " — <describe()>"."""
        return f" — {self.describe()}" if self else ""

    def as_dict(self) -> dict[str, list[str]]:
        return {column: list(values) for column, values in self.chosen.items()}


def _known_and_chosen(attacks: pd.DataFrame, column: str,
                      values: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    if column not in attacks:
        return np.zeros(len(attacks), bool), np.zeros(len(attacks), bool)
    cells = attacks[column].astype(object)
    is_known = frequency.known(cells)
    folded = cells.where(is_known, "").astype(str).str.strip().str.casefold()
    return is_known, is_known & folded.isin({_folded(v) for v in values}).to_numpy()


def apply(inputs: Inputs, filters: Filters, window: Window) -> tuple[Inputs, dict[str, int]]:
    """The inputs limited to the chosen attacks, and for each filtered column how many
    attacks possibly in the window it cannot place: their value there is unknown, and no
    known value elsewhere rules them out. The sources' claims go: a claimed total is about
    every attack, and set against part of them it would read as a gap."""
    if not filters:
        return inputs, {}
    attacks = inputs.attacks
    states = {c: _known_and_chosen(attacks, c, v) for c, v in filters.chosen.items()}
    keep = np.logical_and.reduce([chosen for _, chosen in states.values()])
    possible = frequency.possibly_in(attacks, window)
    unplaced = {}
    for column, (known, _) in states.items():
        not_ruled_out = np.logical_and.reduce(
            [chosen | ~known_other for other, (known_other, chosen) in states.items()
             if other != column] or [np.ones(len(attacks), bool)])
        unplaced[column] = int((possible & ~known & not_ruled_out).sum())
    return replace(inputs, merged=inputs.merged.subset(keep),
                   claims=inputs.claims.iloc[0:0]), unplaced


def slug(value: str) -> str:
    """A value as part of a brief's name: lowercase ASCII, each run of anything else one
    "-" ("Salah al-Din" gives "salah-al-din")."""
    ascii_text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _loses_letters(value: str) -> bool:
    """Whether the ASCII slug drops a letter or digit of the value (Arabic script, say),
    not just accents and punctuation."""
    decomposed = unicodedata.normalize("NFKD", str(value))
    return any(ch.isalnum() and not ch.isascii() and not unicodedata.combining(ch)
               for ch in decomposed)


def name_part(column: str, value: str) -> str:
    """A value as part of a brief's name, stable and readable in any script: its slug;
    with a short hash of the value after it when the slug drops letters ("Ninawa
    نينوى" gives "ninawa-" and six hex digits); the column's name and the hash when
    no letter or digit of the value is ASCII ("نينوى" gives "governorate-" and six hex
    digits).
    Values that differ beyond their ASCII letters get different names."""
    if slug(value) and not _loses_letters(value):
        return slug(value)
    digest = hashlib.sha256(_folded(value).encode("utf-8")).hexdigest()[:6]
    return "-".join(filter(None, [slug(value) or slug(column), digest]))


def values_in_window(attacks: pd.DataFrame, column: str, window: Window) -> list[str]:
    """The known values of a column among the attacks that can fall in the window, each
    once (governorates compared without regard to case), in alphabetical order."""
    if column not in attacks:
        return []
    cells = attacks.loc[frequency.possibly_in(attacks, window), column].astype(object)
    known = cells[frequency.known(cells)].astype(str).str.strip()
    first = dict.fromkeys(known)  # first spelling seen of each value
    by_fold = {}
    for value in first:
        by_fold.setdefault(_folded(value), value)
    return sorted(by_fold.values(), key=_folded)
