"""The command line over the library: arguments, printed errors and exit codes, with
the build patched out (no kernel starts here), and every command and option documented."""

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import exceptions
from analysis.batch.pipeline import BuildReport
from analysis.cli import build_parser, exit_code, main
from analysis.exceptions import (
    BuildError,
    DataError,
    NotebookCellError,
    ParameterError,
    Problem,
    WorkerDiedError,
)

ROOT = Path(__file__).resolve().parents[1]


def commands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


def test_there_are_commands():
    assert set(commands()) == {"validate", "import", "match", "build"}


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_has_help(name, capsys):
    parser = commands()[name]
    assert parser.description
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:")
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"{name} {action.option_strings} has no help"


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_and_option_is_documented_in_the_readme(name):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"python -m analysis {name}" in readme
    for action in commands()[name]._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert f"`{option}" in readme, f"{name} {option} is not in the README"


def test_python_dash_m_and_console_script_work():
    result = subprocess.run([sys.executable, "-m", "analysis", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "validate" in result.stdout
    script = Path(sys.executable).parent / "iraq-briefs"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "build" in result.stdout


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


# ---------------------------------------------------------------------------------------
# The build command, with the library's build patched out


@pytest.fixture
def fake_build(monkeypatch):
    """Replace the build with a stand-in that records its request and does `effect`."""
    calls = []

    def install(effect=None):
        def build_briefs(request, *, report, **kwargs):
            calls.append(request)
            if isinstance(effect, BaseException):
                raise effect
            return effect(report) if effect else BuildReport()
        monkeypatch.setattr("analysis.batch.build_briefs", build_briefs)
        return calls
    return install


def test_build_defaults_are_what_the_readme_promises(fake_build):
    calls = fake_build()
    assert main(["build"]) == 0
    request = calls[0]
    assert request.jobs == 2 and request.paper == "A4" and not request.force
    # No table given: each brief uses its own tables, else the article's data.
    assert request.tables == {}
    assert request.out.endswith("reports")


def test_several_data_files_and_a_matches_file_reach_the_request(fake_build):
    calls = fake_build()
    assert main(["build", "--data", "a.csv", "--data", "b.csv", "--sources", "s1.csv",
                 "--sources", "s2.csv", "--matches", "m.csv"]) == 0
    assert calls[0].tables == {"data_path": ["a.csv", "b.csv"],
                               "sources_path": ["s1.csv", "s2.csv"], "matches_path": "m.csv"}


def test_build_options_reach_the_request(fake_build):
    calls = fake_build()
    assert main(["build", "--only", "a", "--only", "b", "--jobs", "3", "--force",
                 "--paper", "Letter", "--as-of", "2021-03-31", "--claims", ""]) == 0
    request = calls[0]
    assert (request.only, request.jobs, request.force, request.paper, request.as_of,
            request.claims) == (["a", "b"], 3, True, "Letter", "2021-03-31", "")


def test_bad_data_is_exit_2_with_every_problem_on_its_line(fake_build, capsys):
    fake_build(DataError([Problem("data/attacks.csv", 3, "date_start", "2021-02-30", "bad"),
                          Problem("data/claims.csv", 2, "count_min", "x", "bad")]))
    assert main(["build"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["data/attacks.csv:3: date_start: '2021-02-30': bad",
                   "data/claims.csv:2: count_min: 'x': bad"]


def test_bad_option_is_exit_2(fake_build, capsys):
    fake_build(ParameterError("--jobs", 0, "must be 1 or more"))
    assert main(["build"]) == 2
    assert capsys.readouterr().err == "error: --jobs: 0: must be 1 or more\n"


def test_a_failed_brief_is_exit_1_and_each_error_is_printed_once(fake_build, capsys):
    def two_failures(report):
        errors = [WorkerDiedError("a", "rendering PDF", -9),
                  BuildError("b", "something else")]
        for error in errors:
            report("error", str(error))
        report("built", "built c in 1.0 s")
        return BuildReport(built={"c": 1.0}, errors=errors)

    fake_build(two_failures)
    assert main(["build"]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "error: brief 'a': the worker was killed by signal 9 while rendering PDF; the last "
        "good brief is unchanged",
        "error: brief 'b': something else"]
    assert "same problem" not in captured.err
    assert captured.out == "built c in 1.0 s\n"


def test_stages_are_shown_only_on_a_terminal(fake_build, capsys):
    fake_build(lambda report: report("stage", "a: rendering PDF") or BuildReport())
    assert main(["build"]) == 0
    assert capsys.readouterr().err == ""  # pytest's stderr is not a terminal


def test_timings_are_printed_only_when_asked(fake_build, capsys):
    timings = {"b": {"starting": 0.5, "executing the notebook": 3.25, "rendering HTML": 0.25,
                     "rendering PDF": 1.0},
               "a": {"starting": 0.25, "executing the notebook": 2.0}}
    fake_build(lambda report: BuildReport(timings=timings))
    assert main(["build"]) == 0
    assert "seconds per stage" not in capsys.readouterr().out
    assert main(["build", "--timings"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["brief", "starting", "notebook", "HTML", "PDF", "total"]
    assert lines[2].split() == ["a", "0.25", "2.00", "0.00", "0.00", "2.25"]
    assert lines[3].split() == ["b", "0.50", "3.25", "0.25", "1.00", "5.00"]
    assert lines[4].split() == ["all", "briefs", "0.75", "5.25", "0.25", "1.00", "7.25"]


def test_timings_add_up_as_printed(fake_build, capsys):
    """Four stages of 0.014 s each print as 0.01: the total says 0.04, not 0.06."""
    stages = ("starting", "executing the notebook", "rendering HTML", "rendering PDF")
    fake_build(lambda report: BuildReport(timings={"a": dict.fromkeys(stages, 0.014)}))
    assert main(["build", "--timings"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split() == ["a", "0.01", "0.01", "0.01", "0.01", "0.04"]
    assert lines[3].split() == ["all", "briefs", "0.01", "0.01", "0.01", "0.01", "0.04"]


def events(display, names, fail=""):
    display("planned", str(len(names)))
    for name in names:
        display("stage", f"{name}: executing the notebook")
        if name == fail:
            display("error", f"brief '{name}': it broke")
        else:
            display("built", f"built {name} in 1.0 s: out/{name}")
    display.close()


def test_a_terminal_gets_one_bar_with_failures_above_it(capsys):
    from analysis.terminal import BuildDisplay

    events(BuildDisplay(on_terminal=True), [f"b{i}" for i in range(5)], fail="b2")
    captured = capsys.readouterr()
    assert "5/5" in captured.err and "error: brief 'b2': it broke" in captured.err
    assert captured.err.index("error: brief 'b2'") < captured.err.rindex("5/5")
    assert captured.out.count("built b") == 4


def test_off_a_terminal_or_for_few_briefs_one_line_per_brief_and_no_bar(capsys):
    from analysis.terminal import BuildDisplay

    events(BuildDisplay(on_terminal=False), [f"b{i}" for i in range(5)], fail="b2")
    captured = capsys.readouterr()
    assert captured.err == "error: brief 'b2': it broke\n"
    assert captured.out.splitlines() == [f"built b{i} in 1.0 s: out/b{i}" for i in (0, 1, 3, 4)]
    events(BuildDisplay(on_terminal=True), ["a", "b"])
    assert "2/2" not in capsys.readouterr().err


# ---------------------------------------------------------------------------------------
# Exit codes by class, and errors that cross process boundaries


def test_exit_code_is_chosen_by_class():
    assert exit_code(DataError([])) == 2
    assert exit_code(ParameterError("x", 1, "no")) == 2
    assert exit_code(BuildError("a", "no")) == 1
    assert exit_code(NotebookCellError("a", 3, "ValueError", "v", "p")) == 1
    with pytest.raises(ZeroDivisionError):
        exit_code(ZeroDivisionError())


EXAMPLES = {
    exceptions.AnalysisError: exceptions.AnalysisError("plain"),
    exceptions.BadInputError: exceptions.BadInputError("plain"),
    exceptions.DataError: DataError([Problem("f.csv", 3, "date_start", "2021-02-30", "bad"),
                                     Problem("f.csv", 0, "-", "", "whole file")]),
    exceptions.ParameterError: ParameterError("--as-of", "2021-13-01", "not a date"),
    exceptions.BuildError: BuildError("since-2019", "could not write"),
    exceptions.NotebookCellError: NotebookCellError("since-2019", 4, "KeyError", "'x'",
                                                    "reports/since-2019.failed.ipynb",
                                                    "counts = f(x)"),
    exceptions.WorkerDiedError: WorkerDiedError("since-2019", "rendering PDF", -9),
    exceptions.KernelLostError: exceptions.KernelLostError(
        "since-2019", "did not finish a cell within 600 s", 5,
        "reports/since-2019.failed.ipynb"),
    exceptions.DataWarning: exceptions.DataWarning("f.csv:1: x: unknown column, ignored"),
}


def test_every_exception_class_has_an_example():
    classes = {obj for obj in vars(exceptions).values()
               if isinstance(obj, type) and issubclass(obj, Exception)
               and obj.__module__ == exceptions.__name__}
    assert classes == set(EXAMPLES)


@pytest.mark.parametrize("error", EXAMPLES.values(), ids=lambda e: type(e).__name__)
def test_every_exception_round_trips_through_pickle_with_its_fields(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)
