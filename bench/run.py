"""Benchmark: this package's build against the chain a user would script by hand.

    python bench/run.py                 # all cases, 3 repetitions, sizes 1k/100k/1M
    python bench/run.py --quick         # 1 repetition, 1 000 rows only (a smoke run)

Every case runs in this one invocation, so the ratios compare like with like on the same
machine at the same time. Times are medians over the repetitions; peak RSS is the largest
summed resident memory of every process the command started (kernels included, and those
that outlive the process that started them), sampled every 20 ms.

Cases:
  (a) naive chain, per brief: `papermill` CLI, then `jupyter nbconvert --to html
      --no-input`, then the same WeasyPrint PDF engine on that HTML
  (b) `python -m analysis build --force`, both briefs, the article's data
  (c) the same build again with nothing changed
  (d) a rebuild after one data row changed
  (e) full builds of both briefs on synthetic data of each size
  (f) the frequency computation alone (monthly and weekly counts) on the largest size
  (g) a sweep of 12 briefs (one per governorate) in one build, against 12 builds of one
      brief each (3 with --quick): the cost paid again for every brief. Printed beside
      it, from the same two measurements: what each brief after the first adds to the
      sweep, as a share of one single-brief build. Its target compares it with the naive
      chain for as many briefs, not run but derived from (a): (a)'s time per brief times
      the sweep's count (12 briefs through the naive chain would take minutes a repetition)
  (h) `python -m analysis import acled EXPORT --select` on a synthetic ACLED export of
      the largest size (bench/acled_export.py), against `pandas.read_csv` of the same
      file in a process of its own, taking turns; the import without --select; and with
      a rules file of one rule on event_type, which reads no notes (the import's cost
      apart from the bundled rules')
  (i) `python -m analysis validate FILE` against `python -m analysis build --data FILE`,
      taking turns, FILE the article's attacks table with one impossible date: both must
      exit 2, and the build should stop about as soon as the check does

    python bench/run.py --import-only   # case (h) alone
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from acled_export import write as write_export  # noqa: E402
from generate import GOVERNORATES  # noqa: E402
from generate import write as write_dataset  # noqa: E402

PYTHON = sys.executable
BRIEFS_TOML = ROOT / "notebooks" / "briefs.toml"  # the article's briefs, run on generated data
BIN = Path(PYTHON).parent
DATA = ROOT / "data"
BRIEFS = {"since-2019": {"start": "2019-01-01", "freq": "month"},
          "since-inauguration": {"start": "2021-01-20", "freq": "week"}}

PDF_SNIPPET = ("import sys, weasyprint; "
               "weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])")


# The memory of the command's process tree is sampled every 20 ms; the tree itself is
# found again every 10 samples. Finding it reads the status of every process on the
# machine: done at every sample, that took 11% of a core, which on 2 cores slowed the
# parallel build and hardly the naive chain, one process at a time.
SAMPLE_SECONDS, RESCAN_EVERY = 0.02, 10


def run_measured(commands: list[list[str]], cwd: Path | None = None,
                 expect: int = 0) -> tuple[float, float]:
    """Run commands one after another; return (seconds, peak RSS in MiB of any moment).
    Each must exit with `expect`: a case that failed another way would time the wrong
    path (a bad-data build that succeeded, or one that crashed)."""
    peak = 0
    started = time.perf_counter()
    for command in commands:
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        sampler_peak = [0]
        done = threading.Event()

        def sample(sampler_peak=sampler_peak, done=done):
            # Every descendant of this process: the command, and what it left behind.
            this, tree, samples = psutil.Process(), [], 0
            while not done.is_set():
                if samples % RESCAN_EVERY == 0:
                    with contextlib.suppress(psutil.Error):
                        tree = this.children(recursive=True)
                samples += 1
                total = 0
                for p in tree:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                sampler_peak[0] = max(sampler_peak[0], total)
                time.sleep(SAMPLE_SECONDS)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        _, err = proc.communicate()
        done.set()
        thread.join()
        if proc.returncode != expect:
            raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}, not {expect}:"
                               f"\n{err.decode()[-2000:]}")
        peak = max(peak, sampler_peak[0])
    return time.perf_counter() - started, peak / 2**20


def naive_chain(out: Path) -> list[list[str]]:
    """What a user would script per brief without this package."""
    notebook = ROOT / "notebooks" / "attack-frequency.ipynb"
    commands = []
    for name, params in BRIEFS.items():
        executed = out / f"{name}.ipynb"
        html = out / f"{name}.html"
        commands.append([str(BIN / "papermill"), str(notebook), str(executed),
                         "--no-progress-bar", "-p", "start", params["start"], "-p", "freq",
                         params["freq"], "-p", "output_dir", str(out / name)])
        commands.append([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                         str(executed), "--output", str(html)])
        commands.append([PYTHON, "-c", PDF_SNIPPET, str(html), str(out / f"{name}.pdf")])
    return commands


def build_command(out: Path, data: Path | None = None, force: bool = True) -> list[str]:
    # The same briefs as the naive chain, so the ratios compare like with like.
    command = [PYTHON, "-m", "analysis", "build", "--out", str(out)]
    for name in BRIEFS:
        command += ["--only", name]
    if data is not None:
        command += ["--briefs", str(BRIEFS_TOML), "--data", str(data), "--claims", "",
                    "--context", "", "--sources", ""]
    return command + (["--force"] if force else [])


SWEEP = """notebook = "{notebook}"

[sweeps.by-gov]
over = "governorate"
title = "Attacks in {{value}} since the inauguration"
data_path = "{data}"
start = "2021-01-20"
as_of = "2021-04-20"
freq = "week"
compare_at = ""
"""


def sweep_against_singles(tmp: Path, data: Path, repeat: int,
                          count: int = 12) -> tuple[float, float]:
    """Seconds for one build of a sweep of `count` briefs, and for `count` builds of one
    brief each: what a fixed cost per brief adds up to."""
    briefs = tmp / "sweep.toml"
    briefs.write_text(SWEEP.format(notebook=ROOT / "notebooks" / "attack-frequency.ipynb",
                                   data=data), encoding="utf-8")
    base = [PYTHON, "-m", "analysis", "build", "--briefs", str(briefs), "--force"]
    names = ["by-gov-" + g.lower().replace(" ", "-") for g in GOVERNORATES][:count]
    chosen = [arg for name in names for arg in ("--only", name)]
    (sweep_s, _), (singles_s, _) = medians_interleaved(
        repeat,
        lambda: run_measured([base + ["--out", str(tmp / "sweep"), *chosen]]),
        lambda: run_measured([base + ["--out", str(tmp / "singles"), "--only", name]
                              for name in names]))
    return sweep_s, singles_s


def further_brief_share(sweep_s: float, singles_s: float, count: int) -> float:
    """What each brief of a sweep after its first adds to the sweep's time, as a share of
    one single-brief build. The sweep's own start is paid once however many briefs it
    has, so this is the ratio the sweep tends to as the briefs grow in number; at
    `count` briefs, that start is still spread over few."""
    single_s = singles_s / count
    return (sweep_s - single_s) / (count - 1) / single_s


BAD_DATE = "2021-02-30"


def with_one_bad_date(source: Path, dest: Path) -> Path:
    """A copy of an attacks table, byte for byte but for the first row's date_start,
    which is made a day that does not exist."""
    text = source.read_text(encoding="utf-8")
    header, first, rest = text.split("\n", 2)
    columns = next(csv.reader([header]))
    at = columns.index("date_start")
    # Only the fields before date_start are split off, so that the rest of the line,
    # quoted notes included, is written back untouched; those fields are ids, never
    # quoted.
    fields = first.split(",", at + 1)
    if any('"' in field for field in fields[:at]):
        raise ValueError(f"{source}: a quoted field before date_start")
    fields[at] = BAD_DATE
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text("\n".join([header, ",".join(fields), rest]), encoding="utf-8")
    return dest


def validate_against_bad_build(tmp: Path, repeat: int) -> tuple[tuple[float, float],
                                                                tuple[float, float]]:
    """Case (i): `validate` and `build --data` on the same bad table, taking turns."""
    # Alone in its folder, the table has no sources.csv beside it for `validate` to check
    # quotes against, and `build --data` without --sources reads none: both check the
    # same one table.
    bad = with_one_bad_date(DATA / "attacks.csv", tmp / "bad-data" / "attacks.csv")
    out = tmp / "bad-data-reports"
    return medians_interleaved(
        repeat,
        lambda: run_measured([[PYTHON, "-m", "analysis", "validate", str(bad)]], expect=2),
        lambda: run_measured([[PYTHON, "-m", "analysis", "build", "--data", str(bad),
                               "--out", str(out)]], expect=2))


def targets(naive_s: float, full_s: float, same_s: float, sweep_s: float, sweep_count: int,
            validate_s: float, bad_build_s: float,
            naive_briefs: int = len(BRIEFS)) -> list[tuple[str, float, float]]:
    """The build's four targets: (label, ratio, the most the ratio may be)."""
    naive_for_sweep = naive_s / naive_briefs * sweep_count
    return [
        ("full build <= 0.25 x naive chain", full_s / naive_s, 0.25),
        ("no-change build <= 0.02 x naive chain", same_s / naive_s, 0.02),
        (f"{sweep_count}-brief sweep <= 0.12 x naive chain for {sweep_count} briefs "
         f"(estimated, not run: (a) / {naive_briefs} briefs x {sweep_count})",
         sweep_s / naive_for_sweep, 0.12),
        ("bad-data build <= 1.5 x validate, same file", bad_build_s / validate_s, 1.5),
    ]


def target_table(checks: list[tuple[str, float, float]]) -> list[str]:
    """The targets as the rows of a Markdown table, each met or missed."""
    width = max(len(label) for label, *_ in checks)
    lines = [f"| {'target':<{width}} | {'ratio':>6} | {'':<6} |",
             f"|{'-' * (width + 2)}|{'-' * 8}|{'-' * 8}|"]
    for label, value, limit in checks:
        lines.append(f"| {label:<{width}} | {value:>6.3f} | "
                     f"{'met' if value <= limit else 'missed':<6} |")
    return lines


def median_of(repeat: int, fn) -> tuple[float, float]:
    """Median seconds and largest peak of one case run `repeat` times."""
    return medians_interleaved(repeat, fn)[0]


def medians_interleaved(repeat: int, *fns) -> list[tuple[float, float]]:
    """Median seconds and largest peak of each case, the cases taking turns round after
    round: this machine's speed drifts by a tenth within minutes, and measured one after
    the other, the two terms of a ratio would meet different machines."""
    results: list[list[tuple[float, float]]] = [[] for _ in fns]
    for _ in range(repeat):
        for runs, fn in zip(results, fns, strict=True):
            runs.append(fn())
    return [(statistics.median(r[0] for r in runs), max(r[1] for r in runs))
            for runs in results]


def frequency_alone(path: Path, repeat: int) -> float:
    """Seconds for monthly plus weekly counts, the data already loaded."""
    sys.path.insert(0, str(ROOT))
    from analysis.counting import frequency
    from analysis.inputs import load

    attacks = load.load_attacks(path)
    window = frequency.Window("2019-01-01", "2022-12-31")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        frequency.attacks_per_period(attacks, window, "month")
        frequency.attacks_per_period(attacks, window, "week")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


# What a user's script reading the export would do: every cell as text, blanks kept.
READ_SNIPPET = ("import sys, pandas; "
                "pandas.read_csv(sys.argv[1], dtype=str, keep_default_na=False)")


# A rules file that reads one column and no notes: what the import costs apart from the
# rules, beside the bundled rules' cost.
ONE_RULE = """description = "Explosions only: the import's own cost"

[[rule]]
id = "explosions"
description = "Every explosion or remote violence event."
decision = "select"
is.event_type = ["Explosions/Remote violence"]
"""


def import_against_read(tmp: Path, rows: int, repeat: int) -> list[tuple[str, float, float]]:
    """Case (h): the import with --select against pandas.read_csv of the same file, in
    turns, then the import without --select (every row kept)."""
    export = write_export(rows, tmp / f"acled-{rows}.csv")
    out = tmp / "imported"
    out.mkdir(exist_ok=True)

    def read_plain():
        return run_measured([[PYTHON, "-c", READ_SNIPPET, str(export)]])

    def imported(*options):
        def run():
            return run_measured([[PYTHON, "-m", "analysis", "import", "acled", str(export),
                                  "--out", str(out / "attacks.csv"), *options]])
        return run

    one_rule = tmp / "one-rule.toml"
    one_rule.write_text(ONE_RULE, encoding="utf-8")
    (read_s, read_mb), (select_s, select_mb) = medians_interleaved(
        repeat, read_plain, imported("--select"))
    every_s, every_mb = median_of(repeat, imported())
    one_s, one_mb = median_of(repeat, imported("--select", str(one_rule)))
    return [(f"(h) pandas.read_csv, {rows:,}-row ACLED export", read_s, read_mb),
            (f"(h) import acled --select, {rows:,} rows", select_s, select_mb),
            (f"(h) import acled without --select, {rows:,} rows", every_s, every_mb),
            (f"(h) import acled --select ONE-RULE.toml, {rows:,} rows", one_s, one_mb)]


def import_checks(cases: list[tuple[str, float, float]], rows: int) -> list[tuple]:
    (_, read_s, _), (_, select_s, select_mb), *_ = cases
    checks = [("import --select <= 3 x pandas.read_csv", select_s / read_s, 3.0)]
    if rows >= 1_000_000:
        checks.append(("import --select peak RSS at 1M rows <= 1 GiB (in GiB)",
                       select_mb / 1024, 1.0))
    return checks


def print_import(cases, rows) -> None:
    width = max(len(label) for label, *_ in cases)
    print(f"| {'case':<{width}} | {'seconds':>8} | {'x read_csv':>10} | {'peak RSS MiB':>12} |")
    print(f"|{'-' * (width + 2)}|{'-' * 10}|{'-' * 12}|{'-' * 14}|")
    for label, seconds, mb in cases:
        print(f"| {label:<{width}} | {seconds:>8.2f} | {seconds / cases[0][1]:>10.2f} "
              f"| {mb:>12,.0f} |")
    for label, value, limit in import_checks(cases, rows):
        print(f"  {'met ' if value <= limit else 'MISSED'}  {label}: {value:.3f}")


def compile_package() -> None:
    """Write the bytecode of `analysis`, which every process of both the build and the
    naive chain imports. Python writes it at the first import, unless
    PYTHONDONTWRITEBYTECODE is set, as in some containers and CI; then every process
    compiled the modules it imports again, some 0.15 s of CPU per build, which a user's
    machine pays once."""
    import compileall

    compileall.compile_dir(str(ROOT / "analysis"), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the build against the naive chain.")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per case")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000],
                        help="synthetic data sizes (rows)")
    parser.add_argument("--quick", action="store_true",
                        help="one repetition at 1 000 rows: checks that the benchmark runs")
    parser.add_argument("--import-only", action="store_true",
                        help="only case (h), the import against pandas.read_csv")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.sizes = 1, [1_000]

    compile_package()
    if args.import_only:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            rows = max(args.sizes)
            cases = import_against_read(Path(tmp), rows, args.repeat)
        print(f"\nMachine: {os.cpu_count()} cores; medians of {args.repeat} run(s)\n")
        print_import(cases, rows)
        return
    rows: list[tuple[str, float, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        tmp = Path(tmp)
        datasets = {n: write_dataset(n, tmp / f"attacks-{n}.csv") for n in args.sizes}

        def naive():
            out = tmp / f"naive-{time.monotonic_ns()}"
            out.mkdir()
            return run_measured(naive_chain(out))

        out = tmp / "reports"

        def article_build():
            return run_measured([build_command(out)])

        def no_change():
            # Right after a forced build of the same folder, which it then finds unchanged.
            return run_measured([build_command(out, force=False)])

        (naive_s, naive_mb), (full_s, full_mb), (same_s, same_mb) = medians_interleaved(
            args.repeat, naive, article_build, no_change)
        rows.append(("(a) naive chain, both briefs", naive_s, naive_mb, "1.00"))
        rows.append(("(b) build --force, both briefs", full_s, full_mb, ""))
        rows.append(("(c) no-change rebuild", same_s, same_mb, ""))

        copy = tmp / "changed"
        shutil.copytree(DATA, copy / "data", ignore=shutil.ignore_patterns("public-record"))
        # Outside the project, source documents must live in the sources table's folder.
        shutil.copytree(ROOT / "seeds", copy / "data" / "seeds")
        sources = copy / "data" / "sources.csv"
        sources.write_text(sources.read_text(encoding="utf-8").replace(",../seeds/", ",seeds/"),
                           encoding="utf-8")
        attacks = copy / "data" / "attacks.csv"
        original = attacks.read_text(encoding="utf-8")
        edits = iter(range(1, 10_000))

        def one_row_changed():
            # A different note each time, so every repetition really changes one row.
            attacks.write_text(original.replace("Exactly dated.",
                                                f"Exactly dated ({next(edits)}).", 1),
                               encoding="utf-8")
            command = [PYTHON, "-m", "analysis", "build", "--out", str(out),
                       "--briefs", str(BRIEFS_TOML), "--data",
                       str(attacks), "--claims", str(copy / "data" / "claims.csv"),
                       "--context", str(copy / "data" / "context_events.csv"),
                       "--sources", str(copy / "data" / "sources.csv")]
            return run_measured([command])

        changed_s, changed_mb = median_of(args.repeat, one_row_changed)
        rows.append(("(d) rebuild after one row changed", changed_s, changed_mb, ""))
        (validate_s, validate_mb), (bad_s, bad_mb) = validate_against_bad_build(tmp,
                                                                                args.repeat)
        rows.append(("(i) validate, a table with one bad date", validate_s, validate_mb, ""))
        rows.append(("(i) build --data, the same table", bad_s, bad_mb, ""))

        sizes_out = {}
        largest = max(datasets)
        beside_largest = full_s
        for n, path in datasets.items():
            big_out = tmp / f"reports-{n}"

            def big(path=path, big_out=big_out):
                return run_measured([build_command(big_out, data=path)])

            if n == largest:
                # The article build again, taking turns with this one: the ratio's terms.
                (s, mb), (beside_largest, _) = medians_interleaved(args.repeat, big,
                                                                   article_build)
            else:
                s, mb = median_of(args.repeat, big)
            rows.append((f"(e) build --force, {n:,} rows", s, mb, ""))
            brief = big_out / "since-2019"
            sizes_out[n] = ((brief / "since-2019.ipynb").stat().st_size,
                            (brief / "since-2019.html").stat().st_size)
        count = 3 if args.quick else 12
        sweep_s, singles_s = sweep_against_singles(tmp, datasets[min(datasets)], args.repeat,
                                                   count)
        rows.append((f"(g) a {count}-brief sweep", sweep_s, float("nan"), ""))
        rows.append((f"(g) {count} single-brief builds", singles_s, float("nan"), ""))
        rows.append((f"(b) again, beside the {largest:,}-row builds", beside_largest,
                     float("nan"), ""))
        freq_s = frequency_alone(datasets[largest], max(args.repeat, 5))
        rows.append((f"(f) frequency alone, {largest:,} rows", freq_s, float("nan"), ""))
        import_cases = import_against_read(tmp, largest, args.repeat)
        rows += [(label, s, mb, "") for label, s, mb in import_cases]

    print(f"\nMachine: {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python "
          f"{sys.version.split()[0]}; medians of {args.repeat} run(s)\n")
    width = max(len(label) for label, *_ in rows)
    print(f"| {'case':<{width}} | {'seconds':>8} | {'x naive':>8} | {'peak RSS MiB':>12} |")
    print(f"|{'-' * (width + 2)}|{'-' * 10}|{'-' * 10}|{'-' * 14}|")
    for label, seconds, mb, _ in rows:
        mem = "" if mb != mb else f"{mb:,.0f}"
        print(f"| {label:<{width}} | {seconds:>8.2f} | {seconds / naive_s:>8.2f} | {mem:>12} |")
    print("\nTargets (ratios of cases measured in this run, the two terms of each taking "
          "turns;\nthe sweep's naive chain is not run but derived from (a)):")
    for line in target_table(targets(naive_s, full_s, same_s, sweep_s, count, validate_s,
                                     bad_s)):
        print(line)
    print("\nOther targets:")
    checks = [(f"{count}-brief sweep <= 0.25 x {count} single-brief builds",
               sweep_s / singles_s, 0.25)]
    if 1_000_000 in datasets:
        big_s = next(s for label, s, _, _ in rows if label.endswith("1,000,000 rows"))
        big_mb = next(m for label, _, m, _ in rows if label.endswith("1,000,000 rows"))
        checks.append(("1M-row build <= 1.5 x article build", big_s / beside_largest, 1.5))
        checks.append(("1M-row build peak RSS <= 1 GiB (in GiB)", big_mb / 1024, 1.0))
        checks.append(("frequency on 1M rows <= 1 s (in s)", freq_s, 1.0))
    checks += import_checks(import_cases, largest)
    for label, value, limit in checks:
        print(f"  {'met ' if value <= limit else 'MISSED'}  {label}: {value:.3f}")
    print(f"\nEach brief of the sweep after its first, as a share of one single-brief build: "
          f"{further_brief_share(sweep_s, singles_s, count):.3f}")
    print("\nOutput sizes of since-2019 by row count (executed notebook, HTML bytes):")
    for n, (nb_size, html_size) in sizes_out.items():
        print(f"  {n:>9,} rows: {nb_size:>9,} {html_size:>9,}")


if __name__ == "__main__":
    main()
