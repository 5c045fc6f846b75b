"""The article's dataset: provenance and the facts the article states."""

from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.inputs import contract as schema
from analysis.inputs import load, provenance

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ARTICLE = ROOT / "seeds" / "us-iraq-attacks-article.txt"
INAUGURATION = pd.Timestamp("2021-01-20")


@pytest.fixture(scope="module")
def attacks():
    return load.load_attacks(DATA / "attacks.csv", DATA / "sources.csv")


def test_the_shipped_tables_validate():
    paths = [str(DATA / n) for n in ("attacks.csv", "claims.csv", "context_events.csv",
                                     "sources.csv")]
    assert main(["validate", *paths]) == 0


@pytest.mark.parametrize("table", ["attacks.csv", "claims.csv", "context_events.csv"])
def test_every_quote_is_verbatim_in_its_source(table):
    # Checked independently of the loader: raw CSV, raw article text.
    article = provenance.normalise(ARTICLE.read_text(encoding="utf-8"))
    rows = pd.read_csv(DATA / table, dtype=str, keep_default_na=False)
    quoted = rows[rows["quote"] != ""]
    assert len(quoted) > 0 or table == "context_events.csv"
    for quote, source_id in zip(quoted["quote"], quoted["source_id"], strict=True):
        assert source_id == "us-iraq-attacks-2021-04"
        assert provenance.normalise(quote) in article, quote


def test_rows_from_the_article_name_their_source(attacks):
    assert attacks["source_id"].notna().all()
    assert attacks["quote"].notna().all()


def test_exactly_one_attack_is_exactly_dated_balad(attacks):
    exact = attacks[attacks["date_start"] == attacks["date_end"]]
    assert len(exact) == 1
    balad = exact.iloc[0]
    assert balad["date_start"] == pd.Timestamp("2021-04-04")
    assert balad["munitions"] == 2
    assert balad["weapon"] == "rocket"
    assert "Balad Air Base" in balad["target"]


def test_twenty_attacks_fall_on_or_after_the_inauguration(attacks):
    assert len(attacks) == 20
    assert (attacks["date_start"] >= INAUGURATION).sum() == 20


def test_uncertain_attacks_carry_the_window_the_article_allows(attacks):
    uncertain = attacks[attacks["date_start"] != attacks["date_end"]]
    assert len(uncertain) == 19
    assert set(uncertain["date_start"]) == {INAUGURATION}
    assert set(uncertain["date_end"]) == {pd.Timestamp("2021-04-20")}
    # No invented precision: nothing the article does not say per attack.
    assert set(uncertain["weapon"]) == {"unknown"}
    assert set(uncertain["region"]) == {"unknown"}
    assert uncertain["location"].isna().all()


def test_as_of_is_the_publication_day():
    sources = load.load_sources(DATA / "sources.csv")
    assert sources.loc[0, "as_of"] == pd.Timestamp("2021-04-20")
    assert "as_of" in sources.loc[0, "notes"]


def test_seed_is_the_only_source_and_is_plain_text():
    sources = load.load_sources(DATA / "sources.csv")
    assert list(sources["path"]) == ["../seeds/us-iraq-attacks-article.txt"]
    assert ARTICLE.read_bytes().decode("utf-8").startswith("The United States announced")


def test_typed_columns(attacks):
    assert str(attacks["date_start"].dtype).startswith("datetime64")
    assert isinstance(attacks["region"].dtype, pd.CategoricalDtype)
    assert list(attacks["region"].cat.categories) == list(
        dict((f.name, f.enum) for f in schema.fields("attacks"))["region"])
    assert str(attacks["munitions"].dtype) == "Int64"


def test_a_missing_optional_column_is_typed_as_if_every_cell_were_blank(tmp_path):
    fields = schema.fields("attacks")
    required = [f.name for f in fields if f.required]
    rows = [["EV-1", "2021-01-05", "2021-01-05"], ["EV-2", "2021-01-06", "2021-01-09"]]
    assert [f.name for f in fields][:len(required)] == required  # rows below: required first
    only_required = tmp_path / "required.csv"
    only_required.write_text(",".join(required) + "\n"
                             + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    every_column = tmp_path / "blank.csv"
    blanks = "," * (len(fields) - len(required))
    every_column.write_text(",".join(f.name for f in fields) + "\n"
                            + "".join(",".join(r) + blanks + "\n" for r in rows),
                            encoding="utf-8")
    absent, _ = load.check_table(only_required, "attacks")
    blank, _ = load.check_table(every_column, "attacks")
    absent.attrs, blank.attrs = {}, {}
    pd.testing.assert_frame_equal(absent, blank)


def test_each_column_is_parsed_and_matched_once_and_typed_as_before(
        tmp_path, monkeypatch):
    """The checks parse dates and counts, match categories against their allowed values
    and find blanks; the other rules of the column, then the typing, reuse what they
    found instead of passing over every cell again, and give the same table."""
    path = tmp_path / "attacks.csv"
    path.write_text("event_id,date_start,date_end,munitions,weapon,notes\n"
                    "EV-1,2021-01-05,2021-01-05,3,rocket,\n"
                    "EV-2,2021-01-06,2021-01-09,,,a note\n", encoding="utf-8")
    parsed, matched = [], []
    real_parse, real_isin = schema.parse_iso_days, pd.Series.isin
    monkeypatch.setattr(schema, "parse_iso_days",
                        lambda s: parsed.append(s.name) or real_parse(s))
    monkeypatch.setattr(pd.Series, "isin",
                        lambda s, values: matched.append(s.name) or real_isin(s, values))
    typed, _ = load.check_table(path, "attacks")
    assert sorted(parsed) == ["date_end", "date_start"]
    assert [name for name in matched if name] == ["weapon"]
    monkeypatch.undo()
    typed.attrs = {}
    pd.testing.assert_frame_equal(typed, load._typed(load.read_strings(path), "attacks"))


def test_claims_and_context_load():
    claims = load.load_claims(DATA / "claims.csv", DATA / "sources.csv")
    context = load.load_context(DATA / "context_events.csv", DATA / "sources.csv")
    assert (claims["period_end"] >= claims["period_start"]).all()
    assert pd.Timestamp("2021-04-07") in set(context["date"])
    assert INAUGURATION in set(context["date"])
