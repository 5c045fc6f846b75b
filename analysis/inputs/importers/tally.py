"""What came in: an import's counts of events read, selected, left to review, kept or
dropped by an analyst's decision and rejected, by the export's own kind of event (ACLED
event_type, UCDP type_of_violence)."""

from __future__ import annotations

from collections import Counter

import pandas as pd

SELECTED = ("selected", "review", "kept", "dropped", "rejected")
UNSELECTED = ("unselected",)


class Tally:
    """Counts by group and by what the import did with each event."""

    def __init__(self, label: str | None, selected: bool):
        self.label, self.columns = label, SELECTED if selected else UNSELECTED
        self.counts: Counter = Counter()

    def add(self, groups: pd.Series, outcome: pd.Series) -> None:
        pairs = pd.DataFrame({"group": groups.to_numpy(), "outcome": outcome.to_numpy()})
        self.counts.update(pairs.value_counts(sort=False).to_dict())

    def total(self, outcome: str | None = None) -> int:
        return sum(n for (_, o), n in self.counts.items() if outcome in (None, o))

    def rows(self) -> list[tuple[str, list[int]]]:
        """One row per group (sorted), then `all`: [read, *one count per column]."""
        groups = sorted({g for g, _ in self.counts})

        def row(wanted):
            counts = [sum(n for (g, o), n in self.counts.items() if g in wanted and o == c)
                      for c in self.columns]
            return [sum(counts), *counts]

        lines = [(g, row({g})) for g in groups] if self.label else []
        return [*lines, ("all", row(set(groups)))]

    def table(self) -> str:
        """The counts as a small aligned text table."""
        head = [self.label or "events", "read", *self.columns]
        body = [[name, *(f"{n:,}" for n in counts)] for name, counts in self.rows()]
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        return "\n".join(
            "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                      for i, cell in enumerate(r)) for r in [head, *body])
