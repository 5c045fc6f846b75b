"""Selection: which events of a broad export are the subject, decided by a documented
rule table (`rules`) and by an analyst's decisions on the doubtful ones (`decisions`).
`data/selection.md` is the codebook."""

from .decisions import Decisions, decisions_csv, read_decisions
from .rules import FORMATS, Rule, Rules, bundled_path, decide, load_rules

__all__ = ["FORMATS", "Decisions", "Rule", "Rules", "bundled_path", "decide",
           "decisions_csv", "load_rules", "read_decisions"]
