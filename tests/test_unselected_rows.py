"""A table imported without selection holds every event of its export, whatever its
target: a brief built on it says so under its title, in its key numbers, in its notes
and in summary.json, since its title is a claim that it cannot check."""

import pandas as pd
from test_review_events import WINDOW, inputs_of, table

from analysis import brief, narrative
from analysis.counting import frequency
from analysis.render import fragments


def summary_of(rows):
    inputs = inputs_of(table(rows))
    return brief.summarise(inputs, WINDOW, "week", brief.coverage_of(inputs, WINDOW),
                           title="Attacks on US interests in Iraq")


def test_a_brief_on_an_unselected_import_says_its_title_is_not_checked():
    summary = summary_of([(3, 1, "unselected", "rocket"), (4, 1, "unselected", "ied")])
    assert summary["unselected_rows"] == 2
    said = narrative.scope_sentence(summary)
    assert said == ("Every row in the data was imported without selection: every event of "
                    "the export was counted, whatever its target, so this brief does not "
                    "check that they are what its title says.")
    assert "whatever its target" in fragments.key_numbers(summary).html
    note = narrative.selection_note(summary)
    assert "whatever its target" in note and "`--select`" in note
    block = fragments.title_block(summary["title"], WINDOW, inputs_of(table([])).sources, said)
    assert "whatever its target" in block.html


def test_part_of_the_rows_unselected_is_counted_as_part():
    summary = summary_of([(3, 1, "unselected", "rocket"), (4, 1, None, "ied"),
                          (5, 1, "selected", "ied")])
    assert summary["unselected_rows"] == 1
    assert narrative.scope_sentence(summary).startswith(
        "1 of the 3 rows in the data was imported without selection")


def test_unselected_rows_are_counted_in_full():
    rows = table([(3, 1, "unselected", "rocket"), (4, 5, "unselected", "ied")])
    assert frequency.window_counts(rows, WINDOW.start, WINDOW.end) == frequency.window_counts(
        rows.assign(selection=pd.NA), WINDOW.start, WINDOW.end)


def test_hand_coded_and_selected_rows_say_nothing_of_selection():
    summary = summary_of([(3, 1, None, "rocket"), (4, 1, "selected", "ied")])
    assert summary["unselected_rows"] == 0
    assert narrative.scope_sentence(summary) == ""
    assert "whatever its target" not in fragments.key_numbers(summary).html
