"""The index page of an output folder: every brief linked, no broken link, data escaped,
the numbers the summaries give, and the same bytes every time."""

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from bs4 import BeautifulSoup

from analysis.config import REPORTS_DIR
from analysis.render.index import INDEX_FILE, index_html, write_index
from analysis.render.text import count_range, style_hash

SUMMARY = {"window_start": "2019-01-01", "window_end": "2021-04-20", "freq": "month",
           "attacks_exact": 5, "attacks_min": 72, "attacks_max": 83,
           "attacks_expected": 83.0, "rate_per_week_expected": None, "covered_days": None,
           "coverage_declared": False}
FILES = ("{name}.html", "{name}.pdf", "counts.csv", "figures/frequency.png")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links += [v for k, v in attrs if k in ("href", "src")]


def links(page: bytes) -> list[str]:
    parser = Links()
    parser.feed(page.decode("utf-8"))
    return parser.links


def brief(out: Path, name: str, summary: dict | str | None = None, **extra) -> Path:
    folder = out / name
    (folder / "figures").mkdir(parents=True)
    for pattern in FILES:
        (folder / pattern.format(name=name)).write_bytes(b"")
    text = summary if isinstance(summary, str) else json.dumps({**SUMMARY, **extra})
    (folder / "summary.json").write_text(text, encoding="utf-8")
    return folder


def assert_no_broken_link(out: Path, page: bytes) -> list[Path]:
    found = links(page)
    assert found
    targets = []
    for link in found:
        assert "://" not in link and not link.startswith("/"), link
        target = (out / unquote(link)).resolve()
        assert target.is_file(), link
        assert out.resolve() in target.parents
        targets.append(target)
    return targets


def test_every_file_of_every_brief_is_linked_and_no_link_is_broken(tmp_path):
    brief(tmp_path, "b-second", title="Second")
    brief(tmp_path, "a-first", title="First")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "summary.json").write_text("{}", encoding="utf-8")
    (tmp_path / "not-a-brief").mkdir()
    page = index_html(tmp_path)
    targets = set(assert_no_broken_link(tmp_path, page))
    for name in ("a-first", "b-second"):
        for pattern in (*FILES, "summary.json"):
            assert (tmp_path / name / pattern.format(name=name)).resolve() in targets
    text = page.decode()
    assert text.index("First") < text.index("Second")
    assert ".hidden" not in text and "not-a-brief" not in text
    assert 'alt="Chart of attacks per month, 1 January 2019 – 20 April 2021' in text


def test_only_files_that_exist_are_linked(tmp_path):
    folder = brief(tmp_path, "partial")
    (folder / "partial.pdf").unlink()
    (folder / "figures" / "frequency.png").unlink()
    page = index_html(tmp_path)
    assert_no_broken_link(tmp_path, page)
    assert b"<img" not in page and b"partial.pdf" not in page


def test_the_page_is_byte_identical_and_written_whole(tmp_path):
    brief(tmp_path, "one", title="One")
    brief(tmp_path, "two", title="Two", filters={"region": ["Kurdistan Region"]})
    first = index_html(tmp_path)
    assert index_html(tmp_path) == first
    path = write_index(tmp_path)
    assert path == tmp_path / INDEX_FILE
    assert path.read_bytes() == first
    # the index itself is no brief, and writing it changes nothing the page shows
    assert index_html(tmp_path) == first
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_titles_and_names_from_data_are_escaped(tmp_path):
    brief(tmp_path, "R&D briefs", title="<script>alert(1)</script>")
    page = index_html(tmp_path)
    text = page.decode()
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "R%26D%20briefs/R%26D%20briefs.html" in text
    assert_no_broken_link(tmp_path, page)
    parser = Links()
    parser.feed(text)
    assert "script" not in parser.tags


def test_the_page_has_a_policy_and_no_script(tmp_path):
    brief(tmp_path, "x")
    text = index_html(tmp_path).decode()
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert "<script" not in text


def test_the_policy_allows_the_pages_own_style_by_its_hash_and_no_other(tmp_path):
    brief(tmp_path, "x", title="<style>body{display:none}</style>")
    page = BeautifulSoup(index_html(tmp_path).decode(), "html.parser")
    policy = page.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    styles = page.find_all("style")
    assert len(styles) == 1
    assert f"style-src {style_hash(styles[0].string)};" in policy
    assert "unsafe-inline" not in policy


def test_key_numbers_are_the_summarys(tmp_path):
    brief(tmp_path, "null-rate", title="Null rate")
    brief(tmp_path, "rated", title="Rated", attacks_min=20, attacks_max=20,
          attacks_expected=20.0, attacks_exact=1, rate_per_week_expected=1.538462,
          covered_days=91, filters={"region": ["Kurdistan Region"]})
    text = index_html(tmp_path).decode()
    null_card, rated_card = text.split('<li class="brief">')[1:]
    assert count_range(72, 83) == "72–83"
    assert "<dd>72–83</dd>" in null_card and "<dd>83.0</dd>" in null_card
    assert "<dd>5</dd>" in null_card and "<dd>no rate</dd>" in null_card
    assert "Window: 1 January 2019 – 20 April 2021<br>As of 20 April 2021" in null_card
    assert "Limited to" not in null_card
    assert "<dd>20</dd>" in rated_card and "<dd>20.0</dd>" in rated_card
    assert "<dd>1</dd>" in rated_card and "<dd>1.54</dd>" in rated_card
    assert "<dt>Days covered</dt><dd>91</dd>" in rated_card
    assert ("Limited to region: <bdi>Kurdistan Region</bdi> (brief <code>rated</code>)"
            in rated_card)


def test_a_missing_title_falls_back_to_the_name(tmp_path):
    brief(tmp_path, "untitled")
    assert '<a href="untitled/untitled.html">untitled</a>' in index_html(tmp_path).decode()


def test_an_unreadable_summary_keeps_the_brief_listed(tmp_path):
    brief(tmp_path, "broken", summary="{not json")
    brief(tmp_path, "not-an-object", summary="[1, 2]")
    brief(tmp_path, "lacking", summary=json.dumps({"title": "Lacking"}))
    brief(tmp_path, "fine", title="Fine")
    page = index_html(tmp_path)
    assert_no_broken_link(tmp_path, page)
    cards = dict(zip(("broken", "fine", "lacking", "not-an-object"),
                     page.decode().split('<li class="brief">')[1:], strict=True))
    for name in ("broken", "lacking", "not-an-object"):
        assert "summary unreadable" in cards[name]
        assert f"{name}/{name}.pdf" in cards[name] and f"{name}/summary.json" in cards[name]
    assert ">broken</a>" in cards["broken"] and ">Lacking</a>" in cards["lacking"]
    assert "summary unreadable" not in cards["fine"]


def test_an_empty_folder_says_no_briefs_yet(tmp_path):
    page = index_html(tmp_path)
    assert b"No briefs have been built yet" in page
    assert links(page) == []
    assert write_index(tmp_path).read_bytes() == page


def test_the_committed_briefs_have_no_broken_link():
    reports = Path(REPORTS_DIR)
    names = sorted(p.parent.name for p in reports.glob("*/summary.json")
                   if not p.parent.name.startswith("."))
    assert names
    page = index_html(reports)
    targets = assert_no_broken_link(reports, page)
    for name in names:
        assert (reports / name / f"{name}.html").resolve() in targets
    assert "summary unreadable" not in page.decode()
