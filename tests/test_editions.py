"""Editions: what a brief keeps of its earlier builds, and what it says changed since."""

import json

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from nbconvert.filters.markdown import markdown2html

from analysis.counting.frequency import Window
from analysis.editions import (
    ATTACK_IDS,
    EDITIONS_DIR,
    KEPT,
    attack_ids,
    carry_editions,
    changes_section,
    compare,
)
from analysis.exceptions import DataError

START = "2021-03-01"


def attacks_of(*rows) -> pd.DataFrame:
    """Attacks from (id, first day, last day) rows."""
    frame = pd.DataFrame(rows, columns=["event_id", "date_start", "date_end"])
    return frame.assign(date_start=pd.to_datetime(frame["date_start"]),
                        date_end=pd.to_datetime(frame["date_end"]))


# Edition 1, as of 31 March: A-2 is later withdrawn from the data.
EDITION_1 = attacks_of(("A-1", "2021-03-05", "2021-03-05"), ("A-2", "2021-03-10", "2021-03-12"),
                       ("A-0", "2021-02-01", "2021-02-02"))
# Edition 2, as of 20 April: A-5 happened on 18 March but was reported only after 31 March.
EDITION_2 = attacks_of(("A-1", "2021-03-05", "2021-03-05"), ("A-6", "2021-04-01", "2021-04-20"),
                       ("A-5", "2021-03-18", "2021-03-18"), ("A_*7", "2021-04-19", "2021-04-19"),
                       ("A-0", "2021-02-01", "2021-02-02"))


def summary_of(as_of: str, exact: int, low: int, high: int, expected: float) -> dict:
    return {"window_start": START, "window_end": as_of, "attacks_exact": exact,
            "attacks_min": low, "attacks_max": high, "attacks_expected": expected,
            "rate_per_week_expected": None}


def build(folder, attacks, as_of, summary, previous_editions=None):
    """Write a built brief as the build leaves it, with a big PDF besides the kept files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "counts.csv").write_text("period_start,period_end\n")
    (folder / ATTACK_IDS).write_bytes(attack_ids(attacks, Window(START, as_of)))
    (folder / "brief.pdf").write_bytes(b"%PDF" + b"0" * 1_000_000)
    (folder / "figures").mkdir(exist_ok=True)
    (folder / "figures" / "chart.png").write_bytes(b"png")
    for name, files in (previous_editions or {}).items():
        (folder / EDITIONS_DIR / name).mkdir(parents=True)
        for file, data in files.items():
            (folder / EDITIONS_DIR / name / file).write_bytes(data)


def all_files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_attack_ids_lists_the_attacks_possibly_in_the_window_in_order():
    window = Window("2021-03-06", "2021-03-31")
    text = attack_ids(EDITION_2, window).decode()
    assert text == "event_id\nA-5\n"
    text = attack_ids(EDITION_1, Window(START, "2021-03-10")).decode()
    assert text.splitlines()[1:] == ["A-1", "A-2"]


@pytest.mark.parametrize("odd", ["A,9", 'A"9', "A\n9", "A\r9"])
def test_attack_ids_are_quoted_when_an_id_needs_it_and_read_back_whole(odd):
    """Ids are written as they are unless one holds a comma, a quote or a line break;
    then every id is quoted (minimal quoting left a carriage return bare)."""
    attacks = attacks_of(("A-1", "2021-03-05", "2021-03-05"), (odd, "2021-03-06", "2021-03-06"))
    text = attack_ids(attacks, Window(START, "2021-03-31"))
    assert text.startswith(b'"event_id"\n"A-1"\n')
    assert _read_ids_of(text) == ["A-1", odd]
    plain = attack_ids(EDITION_2, Window(START, "2021-04-20"))
    assert plain == b"event_id\nA-1\nA-6\nA-5\nA_*7\n"  # in the data's order


def _read_ids_of(data: bytes) -> list[str]:
    import io
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)["event_id"].tolist()


def test_the_first_build_has_nothing_to_compare_with(tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    assert carry_editions(tmp_path / "out" / "brief", staging, "2021-03-31") == ""
    assert all_files(staging) == []
    assert compare(staging, "", EDITION_1, Window(START, "2021-03-31"), {}) is None


@pytest.fixture
def second_edition(tmp_path):
    """The brief as of 31 March is built; the build of 20 April carries its editions."""
    final, staging = tmp_path / "out" / "brief", tmp_path / "staging"
    build(final, EDITION_1, "2021-03-31", summary_of("2021-03-31", 1, 2, 2, 2.0))
    staging.mkdir()
    return final, staging, carry_editions(final, staging, "2021-04-20")


def test_a_new_edition_snapshots_the_last_one_and_compares_with_it(second_edition):
    final, staging, previous = second_edition
    assert previous == "2021-03-31"
    snapshot = staging / EDITIONS_DIR / "2021-03-31"
    for name in KEPT:
        assert (snapshot / name).read_bytes() == (final / name).read_bytes()

    window = Window(START, "2021-04-20")
    result = compare(staging, previous, EDITION_2, window,
                     summary_of("2021-04-20", 3, 3, 4, 3.5))
    assert result == {
        "as_of": "2021-03-31",
        "new_event_ids": ["A-5", "A-6", "A_*7"],  # by first day: 18 March, 1 and 19 April
        "removed_event_ids": ["A-2"],
        "changes": {"attacks_exact": {"before": 1, "after": 3},
                    "attacks_min": {"before": 2, "after": 3},
                    "attacks_max": {"before": 2, "after": 4},
                    "attacks_expected": {"before": 2.0, "after": 3.5}},
    }
    json.dumps(result)  # goes into summary.json as it is


def test_only_the_kept_files_are_carried(second_edition):
    final, staging, _ = second_edition
    assert all_files(staging) == sorted(f"{EDITIONS_DIR}/2021-03-31/{name}" for name in KEPT)


def test_rebuilding_an_edition_compares_with_the_one_before_not_itself(tmp_path):
    final, staging = tmp_path / "out" / "brief", tmp_path / "staging"
    kept = {"summary.json": json.dumps(summary_of("2021-03-31", 1, 2, 2, 2.0)).encode(),
            "counts.csv": b"period_start\n", ATTACK_IDS: b"event_id,date_start,date_end\n",
            "brief.pdf": b"%PDF not kept"}
    build(final, EDITION_2, "2021-04-20", summary_of("2021-04-20", 3, 3, 4, 3.5),
          previous_editions={"2021-03-31": kept, "notes": {"x.txt": b"stray"}})
    staging.mkdir()

    assert carry_editions(final, staging, "2021-04-20") == "2021-03-31"
    assert all_files(staging) == sorted(f"{EDITIONS_DIR}/2021-03-31/{name}" for name in KEPT)
    assert (staging / EDITIONS_DIR / "2021-03-31" / ATTACK_IDS).read_bytes() == kept[ATTACK_IDS]


def test_an_older_snapshot_of_the_same_day_is_replaced_whole(tmp_path):
    final, staging = tmp_path / "out" / "brief", tmp_path / "staging"
    build(final, EDITION_1, "2021-03-31", summary_of("2021-03-31", 1, 2, 2, 2.0),
          previous_editions={"2021-03-31": {"summary.json": b"{}", "counts.csv": b"old"}})
    (final / "counts.csv").unlink()
    staging.mkdir()

    assert carry_editions(final, staging, "2021-04-20") == "2021-03-31"
    snapshot = staging / EDITIONS_DIR / "2021-03-31"
    assert sorted(p.name for p in snapshot.iterdir()) == [ATTACK_IDS, "summary.json"]
    assert (snapshot / "summary.json").read_bytes() == (final / "summary.json").read_bytes()


def test_an_edition_without_ids_is_not_compared_with(tmp_path):
    """A brief built before editions existed has no attack-ids.csv: nothing to compare."""
    final, staging = tmp_path / "out" / "brief", tmp_path / "staging"
    build(final, EDITION_1, "2021-03-31", summary_of("2021-03-31", 1, 2, 2, 2.0))
    (final / ATTACK_IDS).unlink()
    staging.mkdir()
    assert carry_editions(final, staging, "2021-04-20") == ""
    assert (staging / EDITIONS_DIR / "2021-03-31" / "summary.json").is_file()


def test_a_missing_previous_file_is_named(tmp_path):
    folder = tmp_path / EDITIONS_DIR / "2021-03-31"
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(summary_of("2021-03-31", 1, 2, 2, 2.0)))
    with pytest.raises(DataError) as err:
        compare(tmp_path, "2021-03-31", EDITION_2, Window(START, "2021-04-20"),
                summary_of("2021-04-20", 3, 3, 4, 3.5))
    assert str(folder / ATTACK_IDS) in str(err.value)
    assert err.value.problems[0].file == str(folder / ATTACK_IDS)


def test_the_first_edition_says_so():
    assert changes_section(None, EDITION_1) == (
        "*This is the first edition of this brief: there is no earlier one to compare.*")


def shown(markdown: str) -> BeautifulSoup:
    """The section as the brief shows it: Markdown through nbconvert's renderer."""
    return BeautifulSoup(markdown2html(markdown), "html.parser")


def test_the_section_lists_new_and_removed_attacks_and_the_moves(second_edition):
    _, staging, previous = second_edition
    result = compare(staging, previous, EDITION_2, Window(START, "2021-04-20"),
                     summary_of("2021-04-20", 3, 3, 4, 3.5))
    text = changes_section(result, EDITION_2)
    heading, rest = text.split("\n\n", 1)
    assert heading == "## What changed since the edition of 31 March 2021"
    assert rest.startswith("Since the edition of 31 March 2021, three attacks are new; "
                           "one of them is dated on or before 31 March 2021 and so was "
                           "reported only later:")
    page = shown(text)
    assert [li.get_text() for li in page.find_all("li")] == [
        "A-5, 18 March 2021 (reported only later)", "A-6, 1 – 20 April 2021",
        "A_*7, 19 April 2021"]
    assert [code.get_text() for code in page.find_all("code")] == ["A-5", "A-6", "A_*7", "A-2"]
    paragraphs = [p.get_text() for p in page.find_all("p")]
    assert "One attack of that edition is no longer in the data: A-2." in paragraphs
    assert ("expected 2.0 → 3.5; certainly 2 → 3, possibly 2 → 4; dated to the day 1 → 3"
            in text)


def test_the_section_says_when_nothing_changed():
    same = {"before": 2, "after": 2}
    previous = {"as_of": "2021-03-31", "new_event_ids": [], "removed_event_ids": [],
                "changes": {"attacks_exact": same, "attacks_min": same, "attacks_max": same,
                            "attacks_expected": {"before": 2.0, "after": 2.0}}}
    text = changes_section(previous, EDITION_1)
    assert "no attack is new" in text
    assert "None removed" in text
    assert "unchanged: expected 2.0; certainly 2, possibly 2; dated to the day 2." in text


@pytest.mark.parametrize("event_id", [
    "A*1", "a`b", "`x", "``y``", "a_b_", "a|b|c", "[x](javascript:alert(1))", "$x$ \\(y\\)",
    "x</code><img src=x onerror=alert(1)>", "&lt;b&gt; &amp;",
    # An edition's ids file from before the contract refused line breaks may hold one.
    "a\n<style>body{display:none}</style>", "b\r\n# heading\n\n- item", "c\u2028<b>x</b>"])
def test_ids_cannot_break_the_markdown(event_id):
    previous = {"as_of": "2021-03-31", "new_event_ids": [event_id],
                "removed_event_ids": [event_id],
                "changes": {key: {"before": 1, "after": 1} for key in
                            ("attacks_exact", "attacks_min", "attacks_max",
                             "attacks_expected")}}
    page = shown(changes_section(previous, EDITION_1))
    for anchor in page.select("h2 > a.anchor-link"):  # the renderer's, left out of a brief
        anchor.decompose()
    assert sorted({e.name for e in page.find_all(True)}) == ["code", "h2", "li", "p", "ul"]
    one_line = " ".join(event_id.splitlines())
    assert [c.get_text() for c in page.find_all("code")] == [one_line, one_line]
    assert page.find("li").get_text() == f"{one_line}, date not in the data"
