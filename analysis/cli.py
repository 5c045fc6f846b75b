"""Command-line interface: `python -m analysis validate|build` (also `iraq-briefs`).

Exit codes: 0 success, 1 a brief failed to build, 2 bad input or bad arguments.
Heavy libraries are imported inside the commands, so `--help` and the no-change
build stay fast.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from . import config

EXIT_OK, EXIT_BUILD_FAILED, EXIT_BAD_INPUT = 0, 1, 2

KIND_CHOICES = {"attacks": "attacks", "claims": "claims", "context": "context_events",
                "sources": "sources"}


def _add_limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-bytes", type=int, default=config.MAX_FILE_BYTES,
                        metavar="N", help="refuse data files larger than N bytes "
                        "(default: %(default)s)")
    parser.add_argument("--max-rows", type=int, default=config.MAX_ROWS, metavar="N",
                        help="refuse data files with more than N rows "
                        "(default: %(default)s)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Check attack tables and build the attack-frequency briefs.",
        epilog="Exit codes: 0 success, 1 a brief failed to build, 2 bad input or "
               "arguments.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate", help="check data files against the data contract",
        description="Check each file against the data contract and print every problem "
                    "as file:line: column: value: what is wrong (line 0 means the whole "
                    "file). A file is checked as an attacks table unless its columns "
                    "(claim_id, context_id, or source_id and path) or --kind say "
                    "otherwise. Exits 0 when all files are valid, 2 otherwise.")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="CSV files to check")
    validate.add_argument("--kind", choices=sorted(KIND_CHOICES),
                          help="check every PATH as this kind of table")
    validate.add_argument("--sources", metavar="PATH",
                          help="sources table to check source_id and quotes against "
                               "(default: sources.csv beside each file, if present; "
                               "'' for none)")
    _add_limits(validate)
    validate.set_defaults(run=cmd_validate)

    from .build import add_build_arguments  # light: no heavy imports at module level
    build = commands.add_parser(
        "build", help="build the HTML and PDF briefs",
        description="Execute the notebook once per brief (see notebooks/briefs.toml) and "
                    "render each brief to HTML and PDF under --out/<name>/. Briefs whose "
                    "inputs are unchanged are skipped. A failed build leaves the last "
                    "good brief in place.")
    add_build_arguments(build)
    _add_limits(build)
    build.set_defaults(run=cmd_build)
    return parser


def _print_warnings(caught) -> None:
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)


def _sources_for(path: Path, option: str | None) -> Path | None:
    if option is not None:
        return Path(option) if option.strip() else None
    sibling = path.parent / "sources.csv"
    return sibling if sibling.is_file() and sibling.resolve() != path.resolve() else None


def cmd_validate(args: argparse.Namespace) -> int:
    from . import load
    from .exceptions import DataError

    limits = {"max_bytes": args.max_bytes, "max_rows": args.max_rows}
    status = EXIT_OK
    for raw in args.paths:
        path = Path(raw)
        kind = KIND_CHOICES[args.kind] if args.kind else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                sources_path = _sources_for(path, args.sources)
                sources = load.load_sources(sources_path, **limits) if sources_path else None
                table, kind = load.check_table(path, kind, sources=sources, **limits)
                print(f"{path}: valid {kind} table, {len(table)} rows")
            except DataError as err:
                for problem in err.problems:
                    print(problem, file=sys.stderr)
                status = EXIT_BAD_INPUT
        _print_warnings(caught)
    return status


def cmd_build(args: argparse.Namespace) -> int:
    from .build import run_build_command

    return run_build_command(args)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
