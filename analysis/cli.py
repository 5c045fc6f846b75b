"""Command-line interface: `python -m analysis validate|import|match|build` (also
`iraq-briefs`).

With `terminal`, the only code that knows about the terminal: it turns arguments into
library calls, prints what the library reports, and picks the exit code from the class of
an error.
Exit codes: 0 success, 1 a brief failed to build, 2 bad input or bad arguments.
Heavy libraries are imported inside the commands, so `--help` and the no-change build
stay fast.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import replace
from pathlib import Path

from . import config
from .batch.plan import PAPERS
from .exceptions import BadInputError, BuildError, DataError

EXIT_OK, EXIT_BUILD_FAILED, EXIT_BAD_INPUT = 0, 1, 2

IMPORT_FORMATS = ("acled", "ucdp", "table")
KIND_CHOICES = {"attacks": "attacks", "claims": "claims", "context": "context_events",
                "sources": "sources", "matches": "matches"}


def exit_code(error: BaseException) -> int:
    """Bad input (files, options, parameters) is 2; a brief that failed to build is 1."""
    if isinstance(error, BadInputError | OSError):
        return EXIT_BAD_INPUT
    if isinstance(error, BuildError):
        return EXIT_BUILD_FAILED
    raise error


def _as_given(file: str) -> str:
    """A file under the working folder is named relative to it, as a user types it."""
    path = Path(file)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) if path.is_absolute() \
            else file
    except ValueError:
        return file


def print_error(error: BaseException) -> None:
    """Every problem of a DataError on its own line, as file:line: column: value: why."""
    if isinstance(error, DataError):
        for problem in error.problems:
            print(replace(problem, file=_as_given(problem.file)), file=sys.stderr)
    elif isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
    else:
        print(f"error: {error}", file=sys.stderr)


def _add_limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-bytes", type=int, default=config.MAX_FILE_BYTES,
                        metavar="N", help="refuse data files larger than N bytes "
                        "(default: %(default)s)")
    parser.add_argument("--max-rows", type=int, default=config.MAX_ROWS, metavar="N",
                        help="refuse data files with more than N rows "
                        "(default: %(default)s)")


def _add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", action="append", metavar="PATH",
                        help="attacks table for the briefs that name none of their own; "
                             "repeat to merge several (default: the article's "
                             "data/attacks.csv)")
    parser.add_argument("--sources", action="append", metavar="PATH",
                        help="sources table; repeat for several; '' for none (default: "
                             "data/sources.csv)")
    parser.add_argument("--matches", metavar="PATH",
                        help="decisions on duplicates between the --data tables, as "
                             "written by the match command (default: none; every "
                             "candidate pair counts as unresolved)")
    parser.add_argument("--claims", metavar="PATH",
                        help="aggregate claims table; '' for none (default: "
                             "data/claims.csv)")
    parser.add_argument("--context", metavar="PATH",
                        help="context events table; '' for none (default: "
                             "data/context_events.csv)")
    parser.add_argument("--out", default=str(config.REPORTS_DIR), metavar="DIR",
                        help="folder that receives one subfolder per brief "
                             "(default: reports/)")
    parser.add_argument("--briefs", default="", metavar="FILE",
                        help="the briefs file: which briefs and sweeps to build, with "
                             "their parameters (default: notebooks/briefs.toml, or with "
                             "--data notebooks/briefs-for-your-data.toml)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="build only this brief, this sweep, or one brief of a sweep "
                             "such as by-gov-anbar (repeatable)")
    parser.add_argument("--as-of", default="", metavar="DATE",
                        help="last day of every brief's window, YYYY-MM-DD (default: the "
                             "sources' as_of, else the latest date_end)")
    parser.add_argument("--jobs", type=int, default=2, metavar="N",
                        help="briefs built in parallel on this machine: worker processes, "
                             "each with a warm kernel (default: %(default)s)")
    parser.add_argument("--cell-timeout", type=float, default=config.CELL_TIMEOUT,
                        metavar="SECONDS",
                        help="a notebook cell running longer fails its brief and its kernel "
                             "is replaced; 0 for no limit (default: %(default)g)")
    parser.add_argument("--scheduler", default="", metavar="tcp://HOST:PORT",
                        help="build on this Dask cluster instead, one task per brief; the "
                             "output folder must be shared with its workers (see README)")
    parser.add_argument("--force", action="store_true",
                        help="rebuild even when the inputs are unchanged")
    parser.add_argument("--paper", choices=PAPERS, default="A4",
                        help="PDF page size (default: %(default)s)")
    parser.add_argument("--timings", action="store_true",
                        help="after the build, print the seconds each brief spent in each "
                             "stage")


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
                    "(claim_id, context_id, source_id and path, or event_id_a and "
                    "event_id_b) or --kind say otherwise. A matches file (decisions on "
                    "duplicates) is checked against the attacks tables given in the same "
                    "command, in their order, as a build would merge them. Exits 0 when "
                    "all files are valid, 2 otherwise.")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="CSV files to check")
    validate.add_argument("--kind", choices=sorted(KIND_CHOICES),
                          help="check every PATH as this kind of table")
    validate.add_argument("--sources", metavar="PATH",
                          help="sources table to check source_id and quotes against "
                               "(default: sources.csv beside each file, if present; "
                               "'' for none)")
    _add_limits(validate)
    validate.set_defaults(run=cmd_validate)

    importer = commands.add_parser(
        "import", help="turn an ACLED, UCDP GED or tracker file into an attacks table",
        description="Read a file in another format and write an attacks table that "
                    "passes validate, plus a row in the sources table beside it (the "
                    "file's name, SHA-256 and the import date). Rows keep the date "
                    "uncertainty their source admits and no more. Prints the events read, "
                    "selected, left to review and rejected by event type. Bad input "
                    "prints every "
                    "problem as file:line: column: value: what is wrong, exits 2 and "
                    "writes nothing. See data/importers.md for the mapping rules.")
    importer.add_argument("format", choices=IMPORT_FORMATS,
                          help="acled (an ACLED export), ucdp (a UCDP GED CSV) or table (a "
                               "CSV or .xlsx mapped by --map)")
    importer.add_argument("path", metavar="FILE", help="the file to import")
    importer.add_argument("--out", required=True, metavar="OUT.csv",
                          help="attacks table to write (replaced whole); sources.csv "
                               "beside it gains or updates the file's row")
    importer.add_argument("--map", metavar="MAP.toml",
                          help="for format 'table': which header is which column, the "
                               "date format and the value mappings")
    importer.add_argument("--sheet", metavar="NAME",
                          help="for an .xlsx file: the sheet to read (default: the first)")
    importer.add_argument("--imported-on", metavar="DATE",
                          help="the import date recorded in sources.csv, YYYY-MM-DD "
                               "(default: today)")
    importer.add_argument("--select", nargs="?", const="", metavar="RULES.toml",
                          help="keep only the events the selection rules take in (with no "
                               "file: the bundled rules of the format, attacks on US "
                               "interests); without --select every event becomes a row")
    importer.add_argument("--decisions", metavar="FILE.csv",
                          help="with --select: the analyst's keep/drop decisions on doubtful "
                               "events, beside --out; rewritten to list this run's events "
                               "to review, every decision kept")
    importer.add_argument("--covers", metavar="START:END",
                          help="declare that the file lists every event of its scope in "
                               "these days (coverage_start, coverage_end of the sources row)")
    _add_limits(importer)
    importer.set_defaults(run=cmd_import)

    matcher = commands.add_parser(
        "match", help="list candidate duplicates between attack tables, for a decision",
        description="Write one row per pair of rows from different tables that may be "
                    "the same attack: their date windows meet (within --tolerance-days) "
                    "and no place, target or weapon known in both contradicts the other. "
                    "Each row says why in `reason`; write `same` or `different` in "
                    "`decision`, or leave it blank. Rerunning keeps the decisions already "
                    "in --out. See data/matching.md.")
    matcher.add_argument("paths", nargs="+", metavar="PATH",
                         help="two or more attacks tables")
    matcher.add_argument("--out", required=True, metavar="MATCHES.csv",
                         help="matches table to write (replaced whole, its decisions kept)")
    matcher.add_argument("--tolerance-days", type=int, default=1, metavar="N",
                         help="how many days apart two date windows may be and still "
                              "match (default: %(default)s)")
    _add_limits(matcher)
    matcher.set_defaults(run=cmd_match)

    build = commands.add_parser(
        "build", help="build the HTML and PDF briefs",
        description="Check every input table, then execute the notebook once per brief "
                    "(see notebooks/briefs.toml) and render each brief to HTML and PDF "
                    "under --out/<name>/. Bad input stops the build before any notebook "
                    "runs, with every problem as file:line: column: value: what is wrong. "
                    "Briefs whose inputs are unchanged are skipped. A failed or killed "
                    "build leaves the last good brief in place.")
    _add_build_arguments(build)
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


def _recover(paths) -> None:
    """Finish or remove what an import or match cut short left beside these tables."""
    from .files import recover_pending

    for folder in sorted({Path(p).parent for p in paths if p}):
        for name in recover_pending(folder):
            print(f"{folder / name}: left by a command cut short; finished or removed",
                  file=sys.stderr)


def cmd_validate(args: argparse.Namespace) -> int:
    from .inputs import load, match

    limits = {"max_bytes": args.max_bytes, "max_rows": args.max_rows}
    _recover(args.paths)
    status = EXIT_OK
    attacks: dict[str, object] = {}  # the valid attacks tables, by the name given
    matches_files, failed_tables = [], False
    for raw in args.paths:
        path = Path(raw)
        kind = KIND_CHOICES[args.kind] if args.kind else None
        if kind == "matches" or (kind is None and match.is_matches_file(path)):
            matches_files.append(path)  # checked once every table is
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                sources_path = _sources_for(path, args.sources)
                sources = load.load_sources(sources_path, **limits) if sources_path else None
                table, kind = load.check_table(path, kind, sources=sources, **limits)
                print(f"{path}: valid {kind} table, {len(table)} rows")
                if kind == "attacks":
                    attacks[raw] = table
            except DataError as err:
                print_error(err)
                status = EXIT_BAD_INPUT
                failed_tables = True
        _print_warnings(caught)
    for path in matches_files:
        try:
            matches = match.read_matches(path, **limits)
            if len(attacks) >= 2 and not failed_tables:
                from .counting.merged import merge

                # As a build merges them: every id and decision, and what the decisions
                # make of the rows (contradictions, windows that share no day).
                merge(list(attacks.values()), matches, list(attacks))
                against = "against " + ", ".join(attacks)
            else:
                match.check_decisions(matches)
                against = ("its ids not checked: a table given has problems"
                           if failed_tables else "its ids not checked: give the attacks "
                           "tables it pairs in the same command")
            print(f"{path}: valid matches table, {len(matches)} rows, {against}")
        except DataError as err:
            print_error(err)
            status = EXIT_BAD_INPUT
    return status


def cmd_import(args: argparse.Namespace) -> int:
    from .inputs.importers import import_file

    try:
        result = import_file(args.format, Path(args.path), Path(args.out),
                             map_path=Path(args.map) if args.map else None,
                             sheet=args.sheet, imported_on=args.imported_on,
                             select=args.select, decisions=args.decisions,
                             covers=args.covers,
                             max_bytes=args.max_bytes, max_rows=args.max_rows)
    except (BadInputError, OSError) as err:
        print_error(err)
        return exit_code(err)
    for name in result.recovered:
        print(f"{Path(args.out).parent / name}: left by a command cut short; finished or "
              "removed", file=sys.stderr)
    tally = result.tally
    if not result.selected:
        print(f"warning: {args.path}: imported without --select: every event of the export "
              f"became an attack in {args.out} ({tally.total():,} rows), whatever its "
              "target; use --select to keep only attacks on US interests",
              file=sys.stderr)
    print(tally.table())
    if result.selected:
        kept = (f"{tally.total('selected'):,} selected, {tally.total('review'):,} to review"
                + (f", {tally.total('kept'):,} kept and {tally.total('dropped'):,} dropped "
                   "by decision" if result.decisions else "")
                + f"; {tally.total('rejected'):,} rejected")
    else:
        kept = "unselected"
    print(f"{args.out}: {result.rows} attacks imported from {args.path} ({kept}) "
          f"(source {result.source_id} in {result.sources_path})")
    if result.decisions is not None:
        review, decided = tally.total("review"), tally.total("kept") + tally.total("dropped")
        print(f"{result.decisions}: {review:,} event{'s' if review != 1 else ''} to review"
              + (f", {decided:,} decided" if decided else "")
              + "; write keep or drop in its decision column, then import again")
    return EXIT_OK


def cmd_match(args: argparse.Namespace) -> int:
    from .exceptions import ParameterError
    from .files import Transaction, folder_lock, recover
    from .inputs import load, match

    limits = {"max_bytes": args.max_bytes, "max_rows": args.max_rows}
    try:
        if len(args.paths) < 2:
            raise ParameterError("PATH", " ".join(args.paths), "give two or more tables")
        if args.tolerance_days < 0:
            raise ParameterError("--tolerance-days", args.tolerance_days, "must be 0 or more")
        if not Path(args.out).parent.is_dir():
            raise ParameterError("--out", args.out, "its folder does not exist")
        tables, problems = [], []
        for path in args.paths:
            try:
                tables.append(load.load_attacks(Path(path).resolve(), **limits))
            except DataError as err:
                problems += err.problems
        if problems:
            raise DataError(problems)
        pairs = match.candidate_pairs(tables, args.paths, args.tolerance_days)
        out = Path(args.out)
        carried, dropped = 0, []
        # Under the folder's lock, the decisions read are the ones the file still holds
        # when it is replaced: two runs at once cannot lose each other's.
        with folder_lock(out.parent, f"waiting for another command writing into "
                                     f"{out.parent}"):
            recover(out.parent)
            if out.exists():
                pairs, carried, dropped = match.carry_decisions(
                    pairs, match.read_matches(out), tables)
            with Transaction(out.parent) as txn:
                txn.write(out, match.matches_csv(pairs, tables))
                txn.commit()
    except (BadInputError, OSError) as err:
        print_error(err)
        return exit_code(err)
    for pair in dropped:
        print(f"warning: {args.out}: decision on {pair} dropped: a row is no longer in "
              "the tables", file=sys.stderr)
    undecided = int((pairs["decision"].fillna("") == "").sum())
    print(f"{args.out}: {len(pairs)} candidate pairs, {len(pairs) - undecided} decided"
          + (f" ({carried} kept from the earlier file)" if carried else "")
          + f", {undecided} to decide")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from .batch import build_briefs
    from .batch.plan import BuildRequest

    request = BuildRequest(
        data=args.data or [], sources=args.sources or [], matches=args.matches,
        claims=args.claims, context=args.context,
        out=args.out, briefs=args.briefs, only=args.only or [], as_of=args.as_of, jobs=args.jobs,
        force=args.force, paper=args.paper, max_bytes=args.max_bytes,
        max_rows=args.max_rows, cell_timeout=args.cell_timeout, scheduler=args.scheduler)
    from .terminal import BuildDisplay, timings_table

    _recover([*(args.data or []), *(args.sources or []), args.matches or ""])
    display = BuildDisplay()
    try:
        result = build_briefs(request, report=display)
    except (BadInputError, OSError) as err:
        print_error(err)
        return exit_code(err)
    finally:
        display.close()
    if args.timings and result.timings:
        print(timings_table(result.timings))
    return EXIT_BUILD_FAILED if result.errors else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
