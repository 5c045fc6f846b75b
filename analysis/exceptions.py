"""The project's exceptions and warnings, in one place. Each keeps its facts as fields, so
callers report them without parsing messages, and each survives pickling with every field
intact (`__reduce__`), because build errors cross from worker processes to the parent.

The command line picks its exit code by class: `BadInputError` subclasses mean bad input
or arguments (exit 2), `BuildError` subclasses mean a brief failed to build (exit 1).
"""

from __future__ import annotations

from dataclasses import dataclass


class AnalysisError(Exception):
    """Base class for every error this package raises on purpose."""


class BadInputError(AnalysisError):
    """The user's input (a file, an option, a parameter) is wrong; nothing was built."""


class DataWarning(UserWarning):
    """Something in an input file is ignored, but the file is still usable."""


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in an input file, at `file:line: column: value: message`.

    `line` is the physical line in the file where the record starts (the header is
    line 1); 0 means the file as a whole. `column` is "-" when no column applies.
    """

    file: str
    line: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        value = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return f"{self.file}:{self.line}: {self.column}: {value!r}: {self.message}"


class DataError(BadInputError, ValueError):
    """Input tables break the data contract. `problems` lists every problem found, in
    file and line order, each once."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__(self._message())

    def __reduce__(self):
        return type(self), (self.problems,)

    def _message(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input data:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ParameterError(BadInputError, ValueError):
    """A parameter given to the build or the notebook is not acceptable."""

    def __init__(self, name: str, value: object, reason: str):
        self.name, self.value, self.reason = name, value, reason
        super().__init__(f"{name}: {value!r}: {reason}")

    def __reduce__(self):
        return type(self), (self.name, self.value, self.reason)


class BuildError(AnalysisError):
    """A brief could not be built."""

    def __init__(self, brief: str, message: str):
        self.brief, self.message = brief, message
        super().__init__(f"brief {brief!r}: {message}")

    def __reduce__(self):
        return type(self), (self.brief, self.message)


class NotebookCellError(BuildError):
    """A notebook cell raised while a brief was executed. The failed notebook is saved
    at `notebook_path` before this is raised."""

    def __init__(self, brief: str, cell_index: int, ename: str, evalue: str,
                 notebook_path: str, source_line: str = ""):
        self.cell_index, self.ename, self.evalue = cell_index, ename, evalue
        self.notebook_path, self.source_line = notebook_path, source_line
        where = f"cell {cell_index}" + (f" ({source_line.strip()[:60]})" if source_line
                                         else "")
        super().__init__(
            brief,
            f"{where} raised {ename}: {evalue}\n"
            f"  the failed notebook is saved at {notebook_path} "
            f"(cells counted from 0, as in that file)",
        )

    def __reduce__(self):
        return type(self), (self.brief, self.cell_index, self.ename, self.evalue,
                            self.notebook_path, self.source_line)


class KernelLostError(BuildError):
    """The kernel running a brief died, or did not finish a cell in time, so it was
    replaced. The failed notebook is saved at `notebook_path` before this is raised."""

    def __init__(self, brief: str, reason: str, cell_index: int, notebook_path: str):
        self.reason, self.cell_index, self.notebook_path = reason, cell_index, notebook_path
        where = f" in cell {cell_index}" if cell_index >= 0 else ""
        super().__init__(brief, f"the kernel {reason}{where}; it was replaced\n"
                                f"  the failed notebook is saved at {notebook_path} "
                                "(cells counted from 0, as in that file)")

    def __reduce__(self):
        return type(self), (self.brief, self.reason, self.cell_index, self.notebook_path)


class WorkerDiedError(BuildError):
    """The process building a brief ended without a result (killed, out of memory)."""

    def __init__(self, brief: str, stage: str, exitcode: int | None):
        self.stage, self.exitcode = stage, exitcode
        how = (f"was killed by signal {-exitcode}" if exitcode is not None and exitcode < 0
               else f"exited with status {exitcode}" if exitcode is not None
               else "was lost")
        super().__init__(brief, f"the worker {how} while {stage}; "
                                "the last good brief is unchanged")

    def __reduce__(self):
        return type(self), (self.brief, self.stage, self.exitcode)
