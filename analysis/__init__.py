"""Attack-frequency briefs: load and validate attack tables, count attacks per period,
draw the charts and build HTML/PDF briefs from a parameterized notebook.

Kept tiny on purpose: submodules are imported where they are used, so the CLI's
no-change path stays fast.
"""

__version__ = "0.1.0"
