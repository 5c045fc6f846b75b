"""The benchmark's generator is deterministic and meets its spec, and the benchmark runs
at its smallest size. No timings are asserted here."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from generate import generate, write  # noqa: E402

from analysis.inputs import load  # noqa: E402


def test_same_seed_same_file(tmp_path):
    first = write(2_000, tmp_path / "a.csv", seed=7).read_bytes()
    second = write(2_000, tmp_path / "b.csv", seed=7).read_bytes()
    assert first == second
    assert write(2_000, tmp_path / "c.csv", seed=8).read_bytes() != first


def test_generated_rows_meet_the_contract_and_the_spec(tmp_path):
    attacks = load.load_attacks(write(20_000, tmp_path / "a.csv"))
    length = (attacks["date_end"] - attacks["date_start"]).dt.days + 1
    uncertain = length > 1
    assert 0.17 < uncertain.mean() < 0.23
    assert length.max() <= 90
    assert attacks["date_start"].min() >= pd.Timestamp("2018-01-01")
    assert attacks["date_start"].dt.year.max() == 2022
    assert (attacks["date_start"] < pd.Timestamp("2019-01-01")).any()


def test_the_acled_export_is_deterministic_and_imports(tmp_path, capsys):
    from acled_export import HEADER
    from acled_export import write as write_export

    first = write_export(3_000, tmp_path / "a.csv").read_bytes()
    assert write_export(3_000, tmp_path / "b.csv").read_bytes() == first
    assert write_export(3_000, tmp_path / "c.csv", seed=8).read_bytes() != first
    assert first.split(b"\n", 1)[0].decode() == ",".join(HEADER)
    assert 400 < len(first) / 3_000 < 560  # bytes a row, as a real export's
    from analysis.cli import main

    assert main(["import", "acled", str(tmp_path / "a.csv"), "--out",
                 str(tmp_path / "out.csv"), "--select"]) == 0
    printed = capsys.readouterr().out
    assert "Protests" in printed and "Explosions/Remote violence" in printed
    kept = load.load_attacks(tmp_path / "out.csv")
    assert 0 < len(kept) < 3_000 * 0.2


def test_generate_sizes():
    assert len(generate(1_000)) == 1_000


@pytest.mark.slow
def test_benchmark_runs_at_its_smallest_size():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick"],
                            capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    for case in ("(a) naive chain", "(b) build --force", "(c) no-change rebuild",
                 "(d) rebuild after one row changed", "(e) build --force, 1,000 rows",
                 "(f) frequency alone", "(b) again, beside the 1,000-row builds",
                 "(h) pandas.read_csv, 1,000-row ACLED export",
                 "(h) import acled --select, 1,000 rows",
                 "(i) validate, a table with one bad date", "(i) build --data, the same table"):
        assert case in result.stdout
    assert "Targets (ratios of cases measured in this run" in result.stdout
    for target in ("full build <= 0.25 x naive chain", "no-change build <= 0.02 x naive chain",
                   "3-brief sweep <= 0.12 x naive chain for 3 briefs",
                   "bad-data build <= 1.5 x validate, same file"):
        assert target in result.stdout
    assert "import --select <= 3 x pandas.read_csv" in result.stdout
    assert "Each brief of the sweep after its first, as a share of" in result.stdout


def test_the_two_terms_of_a_ratio_take_turns():
    """Measured one after the other, a ratio's two terms met a machine whose speed had
    drifted in between."""
    from run import medians_interleaved

    order = []

    def case(name, seconds):
        def run():
            order.append(name)
            return seconds.pop(0), 100.0
        return run

    first, second = medians_interleaved(3, case("a", [1.0, 3.0, 2.0]),
                                        case("b", [5.0, 4.0, 6.0]))
    assert order == ["a", "b"] * 3
    assert first == (2.0, 100.0) and second == (5.0, 100.0)


def test_each_further_brief_of_a_sweep_is_its_share_of_one_single_brief_build():
    """A sweep of 12 that takes 3 s for its first brief and 0.5 s for each further one,
    against single-brief builds of 3 s each."""
    from run import further_brief_share

    assert further_brief_share(3.0 + 11 * 0.5, 12 * 3.0, 12) == pytest.approx(0.5 / 3.0)


def test_the_four_targets_are_ratios_met_or_missed():
    """The sweep's naive term is the naive chain's time per brief (its two briefs) times
    the sweep's count."""
    from run import target_table, targets

    checks = targets(naive_s=20.0, full_s=4.0, same_s=0.5, sweep_s=12.0, sweep_count=12,
                     validate_s=1.0, bad_build_s=2.0)
    assert [value for _, value, _ in checks] == pytest.approx([0.2, 0.025, 0.1, 2.0])
    assert [limit for *_, limit in checks] == [0.25, 0.02, 0.12, 1.5]
    assert "12-brief sweep <= 0.12 x naive chain for 12 briefs" in checks[2][0]
    rows = target_table(checks)[2:]
    assert [row.split("|")[-2].strip() for row in rows] == ["met", "missed", "met", "missed"]
    assert all(row.split("|")[2].strip() == f"{value:.3f}"
               for row, (_, value, _) in zip(rows, checks, strict=True))


def test_the_bad_copy_differs_by_one_impossible_date_and_fails_validation(tmp_path, capsys):
    from run import BAD_DATE, DATA, with_one_bad_date

    from analysis.cli import main

    source = DATA / "attacks.csv"
    bad = with_one_bad_date(source, tmp_path / "bad" / "attacks.csv")
    before = source.read_text(encoding="utf-8").splitlines()
    after = bad.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert changed == [1]
    assert before[1].split(",", 2)[2] == after[1].split(",", 2)[2]
    assert after[1].split(",")[1] == BAD_DATE
    assert main(["validate", str(bad)]) == 2
    assert f"attacks.csv:2: date_start: '{BAD_DATE}'" in capsys.readouterr().err
