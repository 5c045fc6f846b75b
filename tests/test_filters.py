"""Briefs limited to part of the data: filters checked like parameters, counts that follow
the frequency contract on the chosen rows, and the attacks that cannot be placed."""

import pandas as pd
import pytest

from analysis import brief, config, narrative
from analysis.counting import frequency
from analysis.exceptions import ParameterError
from analysis.filters import Filters, apply, slug, values_in_window

RECORD = config.DATA_DIR / "public-record"
WINDOW = frequency.Window(pd.Timestamp("2019-10-01"), pd.Timestamp("2021-04-30"))


@pytest.fixture(scope="module")
def record():
    return brief.load_inputs(str(RECORD / "attacks.csv"), "", "", str(RECORD / "sources.csv"))


def test_a_filter_is_blank_one_value_or_a_list():
    assert not Filters.from_parameters(region="", weapon=[])
    filters = Filters.from_parameters(region="Kurdistan Region", weapon=["rocket", "drone"])
    assert filters.as_dict() == {"region": ["Kurdistan Region"], "weapon": ["rocket", "drone"]}
    assert filters.describe() == "region Kurdistan Region; weapon rocket or drone"


@pytest.mark.parametrize("column, value", [("weapon", "katyusha"), ("region", "Kurdistan"),
                                           ("target_type", "unknown")])
def test_a_value_outside_the_contract_is_a_parameter_error(column, value):
    with pytest.raises(ParameterError) as info:
        Filters.from_parameters(**{column: value})
    assert (info.value.name, info.value.value) == (column, value)
    assert "not one of" in info.value.reason


@pytest.mark.parametrize("parameters", [{"region": "Kurdistan Region"},
                                        {"governorate": ["anbar ", "Baghdad"]},
                                        {"weapon": "ied", "target_type": "logistics_convoy"}])
def test_counts_follow_the_contract_on_the_chosen_rows(record, parameters):
    limited, _ = apply(record, Filters.from_parameters(**parameters), WINDOW)
    rows = record.attacks
    chosen = pd.Series(True, index=rows.index)
    for column, value in parameters.items():
        values = {v.strip().casefold() for v in ([value] if isinstance(value, str) else value)}
        chosen &= rows[column].astype(object).fillna("").astype(str).str.casefold().isin(values)
    covered = brief.coverage_of(limited, WINDOW)
    got = brief.per_period(limited, WINDOW, "month", covered)
    want = frequency.attacks_per_period(rows[chosen], WINDOW, "month")
    assert got[["exact", "min", "max"]].equals(want[["exact", "min", "max"]])
    assert got["expected"].round(9).equals(want["expected"].round(9))


def test_attacks_with_an_unknown_value_are_counted_apart_not_dropped_silently():
    inputs = brief.load_inputs(str(config.ATTACKS_CSV), "", "", str(config.SOURCES_CSV))
    window = frequency.Window(pd.Timestamp("2021-01-20"), pd.Timestamp("2021-04-20"))
    limited, unplaced = apply(inputs, Filters.from_parameters(region="Federal Iraq",
                                                              weapon="rocket"), window)
    # Only the Balad row is known to be a rocket attack in Federal Iraq; the 19 others
    # are unknown in both columns, so they can be placed in neither.
    assert len(limited.attacks) == 1 and unplaced == {"region": 19, "weapon": 19}
    summary = brief.summarise(limited, window, "week", brief.coverage_of(limited, window),
                              filters={"region": ["Federal Iraq"]}, unplaced=unplaced)
    text = narrative.scope_sentence(summary)
    assert text.startswith("Limited to region Federal Iraq. 19 attacks possibly in the "
                           "window have no known region and cannot be placed")
    assert limited.claims.empty and "claim" in text


def test_sweep_values_and_slugs(record):
    values = values_in_window(record.attacks, "governorate", WINDOW)
    assert values == sorted(values, key=str.casefold) and "Salah al-Din" in values
    assert slug("Salah al-Din") == "salah-al-din"
    assert slug("  Dhi  Qar! ") == "dhi-qar"
    assert slug("Nīnawā") == "ninawa"
    assert slug("???") == ""
