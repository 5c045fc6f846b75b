"""Selection: which events of a broad export are the subject, decided by a documented
rule table (`rules`). `data/selection.md` is the codebook."""

from .rules import FORMATS, Rule, Rules, bundled_path, decide, load_rules

__all__ = ["FORMATS", "Rule", "Rules", "bundled_path", "decide", "load_rules"]
