"""A sweep over values in any script: a value with no ASCII letters (Arabic governorate
names, as many Iraqi trackers keep them) names its brief by the column and a short hash
of the value, stable from build to build; two values never share a name; and the index
shows each value beside its brief's name."""

import re

from test_index import brief as indexed_brief
from test_sweeps import planned, user_folder

from analysis.filters import name_part
from analysis.render.index import index_html

ARABIC = {"Baghdad": "بغداد", "Anbar": "الأنبار", "Erbil": "أربيل"}


def arabic_folder(root):
    briefs_toml = user_folder(root)
    attacks = briefs_toml.parent / "attacks.csv"
    text = attacks.read_text(encoding="utf-8")
    for latin, arabic in ARABIC.items():
        text = text.replace(f",{latin},", f",{arabic},")
    attacks.write_text(text, encoding="utf-8")
    return briefs_toml


def test_values_in_arabic_get_stable_readable_distinct_names(tmp_path):
    jobs = {job.parameters.get("governorate"): job.name for job in
            planned(arabic_folder(tmp_path / "one")) if job.name.startswith("by-gov-")}
    again = {job.parameters.get("governorate"): job.name for job in
             planned(arabic_folder(tmp_path / "two")) if job.name.startswith("by-gov-")}
    assert jobs == again
    for arabic in ARABIC.values():
        if arabic in jobs:
            assert re.fullmatch(r"by-gov-governorate-[0-9a-f]{6}", jobs[arabic]), jobs[arabic]
    assert sum(value in jobs for value in ARABIC.values()) >= 2
    assert len(set(jobs.values())) == len(jobs)
    assert "by-gov-salah-al-din" in jobs.values()  # Latin names keep their slug


def test_a_name_keeps_the_ascii_letters_and_tells_apart_what_it_drops():
    assert name_part("governorate", "Salah al-Din") == "salah-al-din"
    assert name_part("governorate", "Ḥalabja") == "halabja"  # accents are not letters lost
    mixed, arabic = name_part("governorate", "Ninawa نينوى"), name_part("governorate", "نينوى")
    assert re.fullmatch(r"ninawa-[0-9a-f]{6}", mixed)
    assert re.fullmatch(r"governorate-[0-9a-f]{6}", arabic)
    assert name_part("target_type", "؟؟").startswith("target-type-")
    assert mixed != name_part("governorate", "Ninawa نينوا")
    assert name_part("governorate", "نينوى") == arabic


def test_the_index_shows_the_value_beside_the_briefs_name(tmp_path):
    name = "by-gov-" + name_part("governorate", "بغداد")
    indexed_brief(tmp_path, name, title="Attacks in بغداد",
                  filters={"governorate": ["بغداد"]})
    page = index_html(tmp_path).decode("utf-8")
    assert f"Limited to governorate: <bdi>بغداد</bdi> (brief <code>{name}</code>)" in page
