"""The papermill engine a build runs its notebooks with: papermill's own nbclient engine,
which also saves the notebook, as far as it ran, when its kernel is lost. Registered
through papermill's `papermill.engine` entry point (see pyproject.toml), and imported
only by papermill, as it loads its engines: imported before papermill, it would be
asked for its engine before it has one.

A build asks papermill not to save the notebook before and after every cell
(`request_save_on_cell_execute=False`): papermill then writes it once at the end, with
the error of a failed cell in it. A lost kernel (dead, or past its cell timeout) raises
instead, and nothing would be written: this engine writes what the run had reached.
"""

from __future__ import annotations

import nbformat
from papermill.engines import NBClientEngine


class SaveWhenLostEngine(NBClientEngine):
    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, save_when_lost="", **kwargs):
        try:
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
        except Exception:
            if save_when_lost:
                nbformat.write(nb_man.nb, save_when_lost)
            raise
