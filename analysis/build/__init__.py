"""Many briefs, safely: plan them, check their inputs, run each in its own worker,
publish each whole. `build_briefs` is the entry point; the command line sits on top."""

from .runner import BuildReport, build_briefs

__all__ = ["BuildReport", "build_briefs"]
