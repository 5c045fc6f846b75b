"""The attacks behind a brief's numbers: one line per distinct attack possibly in the
window, merged attacks once with all their ids, numbered sources, marks for what may
still change the count, and the full list in attacks.csv past the cut."""

import html
import json
import re

import pandas as pd
import pytest

from analysis import brief, config, listing
from analysis.counting import frequency
from analysis.counting.frequency import Window
from analysis.exceptions import ParameterError
from analysis.render.attack_table import attack_table


@pytest.mark.parametrize(("start", "end", "words"), [
    ("2021-04-04", "2021-04-04", "4 April 2021"),
    ("2019-10-27", "2019-10-30", "between 27 and 30 October 2019"),
    ("2021-01-20", "2021-04-20", "between 20 January and 20 April 2021"),
    ("2020-12-27", "2021-01-03", "between 27 December 2020 and 3 January 2021"),
])
def test_a_day_or_the_window_in_words(start, end, words):
    assert listing.when(pd.Timestamp(start), pd.Timestamp(end)) == words


def all_sources():
    from analysis.batch.plan import TABLE_OPTIONS, BuildRequest, plan

    params = {j.name: j for j in plan(BuildRequest())}["since-2019-all-sources"].parameters
    inputs = brief.load_inputs(**{k: params[k] for k in TABLE_OPTIONS})
    return inputs, brief.resolve_window(params["start"], params["as_of"], inputs.attacks,
                                        inputs.sources)


def test_a_merged_attack_is_one_line_with_every_id_and_source():
    inputs, window = all_sources()
    lines = listing.attack_lines(inputs, window)
    assert len(lines) == brief.summarise(inputs, window, "month",
                                         brief.coverage_of(inputs, window))["attacks_max"]
    balad = lines[lines["Attack ids"].str.contains("USIRQ-2021-001")]
    assert balad["Attack ids"].tolist() == ["USIRQ-2021-001 = PR-2021-04-04-1"]
    numbers = {s: i + 1 for i, s in enumerate(inputs.sources["source_id"])}
    rows = inputs.rows.set_index("event_id")
    expected = sorted(numbers[rows.loc[i, "source_id"]]
                      for i in ("USIRQ-2021-001", "PR-2021-04-04-1"))
    assert balad["Sources"].tolist() == [", ".join(map(str, expected))]
    assert balad["When"].tolist() == ["4 April 2021"]
    assert lines.columns.tolist() == listing.COLUMNS


def test_attacks_in_unresolved_pairs_are_marked():
    inputs, window = all_sources()
    lines = listing.attack_lines(inputs, window).set_index("Attack ids")
    assert lines.loc["USIRQ-2021-002", "Note"] == (
        "unresolved: perhaps one attack with PR-2021-02-04-1 or 10 others")
    pairs = {frozenset(p) for p in inputs.merged.duplicates.tolist()}
    marked = {i for i, note in lines["Note"].items() if pd.notna(note)}
    ids = inputs.merged.attacks["event_id"].tolist()
    assert marked == {ids[a] for pair in pairs for a in pair}
    assert pd.isna(lines.loc["PR-2019-10-30-1", "Note"])  # no candidate of its own


def small(tmp_path, rows: list[str], header="event_id,date_start,date_end,location,selection"):
    path = tmp_path / "attacks.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    inputs = brief.load_inputs(str(path))
    return inputs, Window("2021-01-01", "2021-12-31")


def test_events_left_to_review_are_marked(tmp_path):
    inputs, window = small(tmp_path, ["a,2021-02-01,2021-02-01,Erbil,review",
                                      "b,2021-02-02,2021-02-02,Erbil,selected",
                                      "c,2020-02-02,2020-02-02,Erbil,review"])
    lines = listing.attack_lines(inputs, window)
    assert lines["Attack ids"].tolist() == ["a", "b"]  # c is outside the window
    assert lines["Note"].tolist()[0].startswith("left to review")
    assert pd.isna(lines["Note"].tolist()[1])


def test_text_from_the_data_is_escaped(tmp_path):
    inputs, window = small(tmp_path, ['"<script>x</script>",2021-02-01,2021-02-01,'
                                      '"<img src=x onerror=alert(1)>",'])
    html = attack_table(listing.attack_lines(inputs, window)).html
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "&lt;img src=x" in html


def test_past_the_cut_the_brief_lists_the_most_recent_and_the_file_holds_all(tmp_path):
    days = pd.date_range("2021-01-01", periods=config.ATTACK_LIST_SHOWN + 5, freq="D")
    inputs, _ = small(tmp_path, [f"e{i:04d},{d:%Y-%m-%d},{d:%Y-%m-%d},," for i, d in
                                 enumerate(days)])
    window = Window(days[0], days[-1])
    lines = listing.attack_lines(inputs, window)
    html = attack_table(lines).html
    assert html.count("<tr>") == config.ATTACK_LIST_SHOWN + 1  # the header row too
    assert "e0004" not in html and "e0005" in html and "e0304" in html
    assert "The 5 earlier attacks are not listed here: attacks.csv" in html
    counts = brief.per_period(inputs, window, "month", brief.coverage_of(inputs, window))
    out = brief.write_outputs(tmp_path / "out", counts, {}, {}, inputs.attacks, window, lines)
    written = pd.read_csv(out / config.ATTACK_LIST_FILE, keep_default_na=False)
    assert written.columns.tolist() == listing.COLUMNS
    assert written["Attack ids"].tolist() == [f"e{i:04d}" for i in range(len(days))]


@pytest.mark.parametrize("name", ["since-2019", "since-inauguration",
                                  "since-2019-all-sources"])
def test_every_attack_a_committed_brief_counts_is_in_its_attack_table(name):
    """The ids of the attacks possibly in the window, from the data as the brief counts
    them, each in the committed brief's table or, past the cut, in its attacks.csv."""
    from analysis.batch.plan import TABLE_OPTIONS, BuildRequest, plan

    params = {j.name: j for j in plan(BuildRequest())}[name].parameters
    inputs = brief.load_inputs(**{k: params[k] for k in TABLE_OPTIONS})
    window = brief.resolve_window(params["start"], params.get("as_of", ""), inputs.attacks,
                                  inputs.sources)
    inside = frequency.possibly_in(inputs.attacks, window)
    counted = {i for ids in inputs.attacks.loc[inside, "event_id"].astype(str)
               for i in ids.split(listing.ID_SEPARATOR)}
    folder = config.REPORTS_DIR / name
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert int(inside.sum()) == summary["attacks_max"]
    page = (folder / f"{name}.html").read_text(encoding="utf-8")
    table = re.search(r'<section class="attack-list">.*?</section>', page, re.S)
    assert table, "the committed brief has no table of attacks"
    cells = [html.unescape(c) for c in re.findall(r"<td>([^<]*)</td>", table.group(0))]
    in_file = folder / config.ATTACK_LIST_FILE
    if in_file.exists():
        cells += pd.read_csv(in_file, dtype=str, keep_default_na=False)["Attack ids"].tolist()
    listed = {i for cell in cells for i in cell.split(listing.ID_SEPARATOR)}
    assert counted <= listed


def test_breakdowns_are_the_standard_list_or_a_chosen_one():
    assert "governorate" in brief.BREAKDOWN_COLUMNS
    assert brief.check_breakdowns(list(brief.BREAKDOWN_COLUMNS)) == brief.BREAKDOWN_COLUMNS
    assert brief.check_breakdowns(["weapon", "governorate"]) == ("weapon", "governorate")
    assert brief.check_breakdowns("weapon") == ("weapon",)
    assert brief.check_breakdowns([]) == ()
    with pytest.raises(ParameterError) as info:
        brief.check_breakdowns(["region", "province"])
    assert (info.value.name, info.value.value) == ("breakdowns", "province")
    inputs = brief.load_inputs(config.ATTACKS_CSV)
    with pytest.raises(ParameterError) as info:
        brief.check_parameters({"start": "2021-01-20", "breakdowns": ["target"]}, inputs)
    assert info.value.value == "target"


def test_a_governorate_too_few_to_chart_is_named_as_inert_text(tmp_path):
    """Governorates are free text: the sentence that names them instead of a chart is
    Markdown, so a value in it must neither become HTML nor formatting."""
    from analysis import narrative
    from analysis.counting import figures

    inputs, window = small(tmp_path, ['a,2021-02-01,2021-02-01,x,'],
                           header="event_id,date_start,date_end,governorate,selection")
    inputs.attacks.loc[0, "governorate"] = '<img src=x onerror="alert(1)"> *Anbar*'
    sentence = narrative.breakdown_sentence(figures.breakdown(inputs.merged, "governorate",
                                                              window))
    # Every character Markdown or HTML gives a meaning to is a character reference.
    assert "<img" not in sentence and "*Anbar*" not in sentence
    assert "&#60;img src&#61;x" in sentence and "&#42;Anbar&#42;" in sentence
