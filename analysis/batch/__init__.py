"""Many briefs, safely: plan them, check their inputs, run them on warm workers, publish
each whole. `build_briefs` is the entry point; the command line sits on top."""

import sys

# jsonschema, which nbformat imports, compiles some forty grammars on import when the
# optional rfc3987-syntax package is installed (JupyterLab's jupyter-events brings it),
# for "iri" format checks that nbformat never makes: about 1.2 s in every process that
# reads or writes a notebook. The build's processes go without it.
sys.modules.setdefault("rfc3987_syntax", None)

from .pipeline import BuildReport, build_briefs  # noqa: E402

__all__ = ["BuildReport", "build_briefs"]
