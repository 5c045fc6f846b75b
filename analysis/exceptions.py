"""The project's exceptions. Each carries the facts as fields, so callers can report
them without parsing messages."""

from __future__ import annotations

from dataclasses import dataclass


class AnalysisError(Exception):
    """Base class for every error this package raises on purpose."""


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


class DataError(AnalysisError, ValueError):
    """An input table breaks the data contract. `problems` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__(self._message())

    def _message(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input data:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ParameterError(AnalysisError, ValueError):
    """A parameter given to the build or the notebook is not acceptable."""

    def __init__(self, name: str, value: object, reason: str):
        self.name, self.value, self.reason = name, value, reason
        super().__init__(f"{name}: {value!r}: {reason}")


class BuildError(AnalysisError):
    """A brief could not be built."""

    def __init__(self, brief: str, message: str):
        self.brief = brief
        super().__init__(f"brief {brief!r}: {message}")


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


class BuildLockedError(BuildError):
    """Another build is writing into the same output folder."""
