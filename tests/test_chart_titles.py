"""Details on every mark: each bar, whisker, band segment and marker of a chart carries a
<title> with its figures; the HTML brief holds the charts as inline SVG fit for a strict
Content-Security-Policy, each followed by its numbers as a table."""

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from committed_charts import BRIEFS, frequency_and_cumulative

from analysis.counting import frequency
from analysis.render import charts, fragments, marks
from analysis.render.exporter import mark_long_tables

NS = {"svg": marks.SVG_NS}
HOSTILE = "<script>alert(1)</script> & \"quotes\" ]]> </svg>"


def titles(svg: bytes) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(marks.TITLE)]


@pytest.fixture
def counts():
    data = pd.DataFrame({
        "date_start": pd.to_datetime(["2021-01-05", "2021-01-10", "2021-03-01"]),
        "date_end": pd.to_datetime(["2021-01-05", "2021-02-20", "2021-03-31"])})
    window = frequency.Window(pd.Timestamp("2021-01-01"), pd.Timestamp("2021-03-31"))
    return frequency.attacks_per_period(data, window, "month"), data, window


def claims(description=HOSTILE):
    return pd.DataFrame({
        "claim_id": ["C1"], "period_start": pd.to_datetime(["2021-01-01"]),
        "period_end": pd.to_datetime(["2021-03-31"]),
        "count_min": pd.array([4], dtype="Int64"), "count_max": pd.array([pd.NA], dtype="Int64"),
        "description": [description], "source_id": ["article"], "quote": ["Four at least."]})


def test_every_bar_and_whisker_of_a_period_gives_its_four_figures(counts):
    table, _, _ = counts
    svg = charts.to_svg(charts.frequency_chart(table, freq="month"))
    found = titles(svg)
    january = ("Month 1 Jan 2021 – 31 Jan 2021: exactly dated 1; certainly 1; possibly 2; "
               "expected 1.5")
    # The solid bar, the hatched bar and the whisker.
    assert found.count(january) == 3
    assert len(found) == 3 * len(table)


def test_claims_titles_give_the_claim_and_its_source_as_text(counts):
    table, _, _ = counts
    svg = charts.to_svg(charts.frequency_chart(table, freq="month", claims=claims()))
    claim = [t for t in titles(svg) if t.startswith("C1")]
    assert claim == [f"C1: at least 4 claimed, 1 Jan 2021 – 31 Mar 2021. {HOSTILE}. "
                     "Source: article, which says: \u201cFour at least.\u201d"]
    assert b"<script>" not in svg  # escaped, as XML text


def test_band_segments_and_claim_markers_of_the_cumulative_chart_are_titled(counts):
    _, data, window = counts
    cumulative = frequency.cumulative_counts(data, window)
    fig = charts.cumulative_chart(cumulative, claims=claims("Four since January"))
    found = titles(charts.to_svg(fig))
    segments = [t for t in found if "counted since 1 Jan 2021" in t]
    assert segments[0].startswith("1 Jan 2021 – 7 Jan 2021: by 7 Jan 2021")
    assert len(segments) == 13  # a window of 90 days: weekly segments
    assert segments[-1].endswith("exactly dated 1; certainly 3; possibly 3; expected 3.0")
    assert sum(t.startswith("C1: at least 4 claimed") for t in found) == 2  # line, diamond


@pytest.mark.parametrize("name", BRIEFS)
def test_the_richest_chart_of_each_brief_has_a_title_for_every_period_with_attacks(name):
    counts, fig, _ = frequency_and_cumulative(name)
    found = set(titles(charts.to_svg(fig)))
    for row in counts[counts["max"] > 0].itertuples(index=False):
        period = f"{charts.short_day(row.period_start)} – {charts.short_day(row.period_end)}"
        assert any(period in t and f"possibly {row.max}" in t for t in found), period


def test_inline_svg_has_no_style_and_ids_of_its_own():
    table = frequency.attacks_per_period(pd.DataFrame({
        "date_start": pd.to_datetime(["2021-01-05"]), "date_end": pd.to_datetime(["2021-02-05"])}),
        frequency.Window(pd.Timestamp("2021-01-01"), pd.Timestamp("2021-03-31")), "month")
    first = marks.inline_svg(charts.to_svg(charts.frequency_chart(table)), "alt & text")
    second = marks.inline_svg(charts.to_svg(charts.frequency_chart(table, title="Other")))
    root = ET.fromstring(first)
    assert root.get("aria-label") == "alt & text" and root.get("role") == "img"
    assert not any("style" in e.attrib for e in root.iter())
    assert not root.findall(".//svg:style", NS) and not root.findall(".//svg:metadata", NS)
    assert "<?xml" not in first and "DOCTYPE" not in first
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert ids and len(ids) == len(set(ids))
    # Every reference names an id of the same chart; no id is shared with another chart.
    references = set(re.findall(r'url\(#([^)]+)\)', first)) | set(
        re.findall(r'xlink:href="#([^"]+)"', first))
    assert references and references <= set(ids)
    other = {e.get("id") for e in ET.fromstring(second).iter() if e.get("id")}
    assert not set(ids) & other
    # Hatching and fills survive as presentation attributes.
    assert root.find(".//svg:pattern", NS) is not None
    assert any(e.get("fill") == charts.EXACT_COLOR for e in root.iter())


def test_an_unknown_style_is_refused_rather_than_dropped():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg"><path style="mix-blend-mode: multiply"'
           b' d="M0 0"/></svg>')
    with pytest.raises(ValueError, match="mix-blend-mode"):
        marks.inline_svg(svg)


def test_figure_fragment_is_inline_svg_then_its_numbers_in_details(counts):
    table, _, _ = counts
    html = fragments.figure(charts.frequency_chart(table), "Caption <b>").html
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("figure").find("svg") is not None and not soup.find("img")
    details = soup.find("details", class_="chart-data")
    assert details.find("summary").get_text() == "The numbers behind this chart"
    rows = details.find("table").find("tbody").find_all("tr")
    assert len(rows) == int((table["max"] > 0).sum())
    assert [td.get_text() for td in rows[0].find_all("td")] == [
        "1 Jan 2021 – 31 Jan 2021", "1", "1", "2", "1.5"]
    assert "Caption &lt;b&gt;" in html


def test_a_long_table_beside_a_chart_leaves_the_svg_as_written(counts):
    table, _, _ = counts
    html = fragments.figure(charts.frequency_chart(table), "c").html
    long_table = "<table>" + "<tr><td>1</td></tr>" * 40 + "</table>"
    marked = mark_long_tables(html + long_table)
    svg = re.search(r"<svg\b.*?</svg>", html, re.S).group(0)
    assert svg in marked and "viewBox" in marked and 'class="long-table"' in marked


def test_titles_are_reproducible(counts):
    table, _, _ = counts
    first = charts.to_svg(charts.frequency_chart(table, claims=claims()))
    assert first == charts.to_svg(charts.frequency_chart(table, claims=claims()))
    assert marks.inline_svg(first) == marks.inline_svg(first)


@pytest.mark.slow
def test_weasyprint_prints_the_inline_chart(counts, tmp_path):
    from pypdf import PdfReader

    from analysis.render.pdf import html_to_pdf

    table, _, _ = counts
    fig = charts.frequency_chart(table, title="Inline chart title")
    html = ("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
            f"{fragments.figure(fig, 'c').html}</body></html>")
    html_to_pdf(html, tmp_path / "chart.pdf")
    text = PdfReader(tmp_path / "chart.pdf").pages[0].extract_text()
    assert "Inline chart title" in text and "Exactly dated" in text


def test_the_cumulative_table_gives_the_count_by_the_end_of_each_period_it_changed(counts):
    _, data, window = counts
    fig = charts.cumulative_chart(frequency.cumulative_counts(data, window), freq="month")
    frame, numeric = fig.data_table
    assert list(frame["By"]) == ["31 Jan 2021", "28 Feb 2021", "31 Mar 2021"]
    assert list(frame["Possibly"]) == [2, 2, 3] and "Expected" in numeric
