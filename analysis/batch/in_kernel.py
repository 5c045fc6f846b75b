"""Runs inside a warm kernel, never in the build's own processes: the imports a brief
needs, done once per kernel; the release that lets go of a brief once it has run; and the
reset that gives each brief a kernel it cannot tell from a new one.

What a brief could otherwise see of the brief before it, and how the reset clears it:
- names, `In`/`Out` and the execution counter: IPython's `reset(new_session=True)`, so
  the first cell is numbered 1 again;
- figures left open in pyplot and changed matplotlib settings: closed, and the settings
  the kernel had after its imports put back;
- warnings already shown once (Python keeps a registry per module), changed warning
  filters, environment variables and the working directory: put back as they were after
  the imports.

Modules stay imported (that is the point), so state that a module keeps at its own
level survives; this package keeps none that changes what a brief shows.
"""

from __future__ import annotations

import gc
import os
import sys
import warnings

from .memory import give_back

_baseline: dict = {}


def warm_up() -> None:
    """Import what every brief imports, then remember the state a brief starts from."""
    import IPython.display  # noqa: F401
    import matplotlib
    import pandas  # noqa: F401

    from analysis import brief, editions, filters, listing, narrative  # noqa: F401
    from analysis.counting import figures, trend  # noqa: F401
    from analysis.render import attack_table, charts, fragments  # noqa: F401

    _baseline.update(rc=dict(matplotlib.rcParams), warnings=list(warnings.filters),
                     environ=dict(os.environ))
    # What the imports made lives as long as the kernel: keep it out of every later
    # garbage collection (a full one between briefs would otherwise scan it all again).
    gc.collect()
    gc.freeze()


def _forget_the_brief() -> None:
    from IPython import get_ipython

    get_ipython().reset(new_session=True)
    pyplot = sys.modules.get("matplotlib.pyplot")  # imported only by a notebook that uses it
    if pyplot is not None:
        pyplot.close("all")


def release() -> None:
    """Let go of the last brief's names and figures as soon as it has run, rather than at
    the next brief's reset: the kernel would otherwise hold a whole dataset while its
    worker renders the brief, and for as long as no next brief comes."""
    _forget_the_brief()
    give_back()


def reset(cwd: str) -> None:
    """Give the next brief a clean kernel, working in `cwd`."""
    import matplotlib

    _forget_the_brief()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # settings deprecated since matplotlib's import
        matplotlib.rcParams.update(_baseline["rc"])
    # Changing the filters through the module empties every module's "already shown"
    # registry (assigning the list does not): add a filter, then put the list back.
    warnings.simplefilter("default", _ResetMarker)
    warnings.filters[:] = _baseline["warnings"]
    os.environ.clear()
    os.environ.update(_baseline["environ"])
    os.chdir(cwd)
    give_back()


class _ResetMarker(Warning):
    """Never raised: a filter for it is added and removed to reset the registries."""
