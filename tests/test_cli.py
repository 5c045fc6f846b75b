"""Meta-tests: every command has help and is documented in the README."""

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def commands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


def test_there_are_commands():
    assert set(commands()) == {"validate", "build"}


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
def test_every_command_is_documented_in_the_readme(name):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"python -m analysis {name}" in readme


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
