"""Days read strictly and written the same on every machine, whatever its locale."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.dates import as_date, iso_day, long_day, parse_iso_day, short_day


@pytest.mark.parametrize("text", ["2021-02-30", "2021-1-5", "2021-02-15T00:00", "",
                                  "15 February 2021", None, " 2021-13-01"])
def test_only_real_iso_days_are_read(text):
    assert parse_iso_day(text) is None


def test_an_iso_day_is_read_and_surrounding_space_ignored():
    assert parse_iso_day(" 2021-04-20 ") == dt.date(2021, 4, 20)


@pytest.mark.parametrize("value", [dt.date(2021, 4, 4), dt.datetime(2021, 4, 4, 23, 59),
                                   pd.Timestamp("2021-04-04"), np.datetime64("2021-04-04"),
                                   "2021-04-04"])
def test_every_kind_of_day_is_written_the_same(value):
    assert as_date(value) == dt.date(2021, 4, 4)
    assert iso_day(value) == "2021-04-04"
    assert long_day(value) == "4 April 2021"
    assert short_day(value) == "4 Apr 2021"


def test_a_non_day_is_an_error():
    with pytest.raises(ValueError):
        as_date("soon")
