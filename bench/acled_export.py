"""Synthetic ACLED exports in the current column layout, for the import benchmark.

A broad export as an analyst downloads it for one country: protests, riots, battles,
strikes on other actors and, among them, a few attacks on US forces, bases hosting them,
the embassy and supply convoys. About 480 bytes a row, every note unique, as in a real
export. The same seed and size give the same file, byte for byte; no row is coded from
any real event.

    python bench/acled_export.py 1000000 bench/data/acled-1000000.csv [--seed 2021]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HEADER = ("event_id_cnty,event_date,year,time_precision,disorder_type,event_type,"
          "sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,"
          "interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,location,"
          "latitude,longitude,geo_precision,source,source_scale,notes,fatalities,tags,"
          "timestamp").split(",")

FIRST, LAST = np.datetime64("2019-10-01"), np.datetime64("2021-04-30")
PLACES = [("Baghdad", "Baghdad - Green Zone"), ("Al Anbar", "Ain al-Asad Airbase"),
          ("Erbil", "Erbil"), ("Salah ad Din", "Balad"), ("Ninewa", "Mosul"),
          ("Basrah", "Basra"), ("Dohuk", "Zakho"), ("Kirkuk", "Kirkuk"),
          ("Al-Qadissiya", "Diwaniya"), ("Thi-Qar", "Nasiriyah"), ("Diyala", "Baquba"),
          ("Babylon", "Hilla")]
# (share, event_type, sub_event_type, actor2, notes): the mix of a broad export.
KINDS = [
    (0.30, "Protests", "Peaceful protest", "Protesters (Iraq)",
     "Hundreds of people demonstrated in {place} against unemployment and the lack of "
     "services, demanding the dismissal of local officials; no injuries were reported."),
    (0.05, "Protests", "Peaceful protest", "Protesters (Iraq)",
     "Supporters of armed factions protested near the US embassy in {place}, demanding the "
     "withdrawal of foreign forces from the country; the crowd dispersed by the evening."),
    (0.12, "Riots", "Violent demonstration", "Police Forces of Iraq (2018-)",
     "Protesters burned tyres and threw stones at security forces in {place}; police fired "
     "tear gas and live rounds, and several demonstrators were reported injured."),
    (0.18, "Battles", "Armed clash", "Islamic State (Iraq)",
     "Iraqi army forces clashed with IS militants near {place} during a search operation in "
     "the surrounding villages; casualties were reported on both sides of the fighting."),
    (0.10, "Explosions/Remote violence", "Remote explosive/landmine/IED",
     "Military Forces of Iraq (2018-)",
     "An IED planted by suspected IS militants struck an Iraqi army convoy near {place}, "
     "wounding two soldiers; the road was closed for several hours afterwards."),
    (0.08, "Explosions/Remote violence", "Air/drone strike", "PKK: Kurdistan Workers Party",
     "A Turkish drone struck a vehicle near {place} which Turkish authorities said carried "
     "PKK militants; the number of people in the vehicle was not reported."),
    (0.05, "Explosions/Remote violence", "Shelling/artillery/missile attack",
     "Military Forces of Turkey (2016-)",
     "Rockets were fired at a Turkish military base near {place} by unidentified "
     "militants; no casualties were reported and Turkish forces returned fire."),
    (0.05, "Strategic developments", "Arrests", "Civilians (Iraq)",
     "Security forces arrested a number of suspects in {place} accused of belonging to "
     "cells that planned attacks; weapons and documents were seized in the raid."),
    (0.03, "Explosions/Remote violence", "Shelling/artillery/missile attack",
     "Military Forces of Iraq (2018-)",
     "Three Katyusha rockets landed near {place} airport, which hosts US-led coalition "
     "troops; no casualties were reported and the launch site was found nearby."),
    (0.02, "Explosions/Remote violence", "Remote explosive/landmine/IED", "Civilians (Iraq)",
     "An IED struck a logistics convoy carrying supplies for the US-led coalition on the "
     "highway near {place}; the Iraqi drivers were unhurt and the trucks damaged."),
    (0.01, "Explosions/Remote violence", "Air/drone strike",
     "Military Forces of the United States (2021-)",
     "An explosive-laden drone targeted US forces stationed at a base near {place}; the "
     "coalition said the drone was intercepted and caused no casualties."),
    (0.01, "Explosions/Remote violence", "Shelling/artillery/missile attack",
     "Military Forces of the United States (2021-)",
     "Several rockets fell inside the Green Zone near the US embassy in {place}; the "
     "embassy's air defence system was activated and no casualties were reported."),
]


def generate(rows: int, seed: int = 2021) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    shares = np.array([k[0] for k in KINDS])
    kind = rng.choice(len(KINDS), rows, p=shares / shares.sum())
    place = rng.integers(0, len(PLACES), rows)
    span = int((LAST - FIRST).astype(int))
    day = FIRST + rng.integers(0, span + 1, rows).astype("timedelta64[D]")
    precision = rng.choice(["1", "2", "3"], rows, p=[0.85, 0.10, 0.05])

    def pick(values, at):
        return np.asarray(values, dtype=object)[at]

    admin1 = pick([p[0] for p in PLACES], place)
    location = pick([p[1] for p in PLACES], place)
    # Each (kind, place) pair's notes once, then chosen by index: formatting a million
    # strings one by one would make the generator slower than the import it feeds.
    notes_table = np.asarray([(k[4][0].lower() + k[4][1:]).format(place=p[1])
                              for k in KINDS for p in PLACES], dtype=object)
    # Every note unique, as in a real export: its day in ACLED's words, and a source count.
    dated = pd.Series(day)
    when = "On " + dated.dt.day.astype(str) + dated.dt.strftime(" %B %Y, ")
    sources = pd.Series(rng.integers(1, 9, rows).astype(str))
    notes = (when.to_numpy(dtype=object) + notes_table[kind * len(PLACES) + place]
             + " (Reported by " + sources.to_numpy(dtype=object) + " sources, ref "
             + np.arange(rows).astype(str).astype(object) + ".)")
    frame = pd.DataFrame({name: "" for name in HEADER}, index=range(rows))
    frame["event_id_cnty"] = [f"IRQ{i:07d}" for i in range(1, rows + 1)]
    frame["event_date"] = np.datetime_as_string(day, unit="D")
    frame["year"] = frame["event_date"].str[:4]
    frame["time_precision"] = precision
    frame["disorder_type"] = pick(["Demonstrations" if k[1] in ("Protests", "Riots") else
                                   "Political violence" for k in KINDS], kind)
    frame["event_type"] = pick([k[1] for k in KINDS], kind)
    frame["sub_event_type"] = pick([k[2] for k in KINDS], kind)
    frame["actor1"] = "Unidentified Armed Group (Iraq)"
    frame["actor2"] = pick([k[3] for k in KINDS], kind)
    frame["inter1"], frame["inter2"], frame["interaction"] = "3", "1", "13"
    frame["iso"], frame["region"], frame["country"] = "368", "Middle East", "Iraq"
    frame["admin1"], frame["admin2"], frame["admin3"] = admin1, location, location
    frame["location"] = location
    frame["latitude"] = np.round(rng.uniform(29.5, 37.0, rows), 4).astype(str)
    frame["longitude"] = np.round(rng.uniform(39.0, 48.0, rows), 4).astype(str)
    frame["geo_precision"] = "1"
    frame["source"], frame["source_scale"] = "Synthetic Wire Service", "National"
    frame["notes"] = notes
    frame["fatalities"] = rng.choice(["0", "0", "0", "1", "2", "5"], rows)
    frame["timestamp"] = "1618500000"
    return frame


def write(rows: int, path: Path, seed: int = 2021) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    generate(rows, seed).to_csv(path, index=False, lineterminator="\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    write(args.rows, args.path, args.seed)


if __name__ == "__main__":
    main()
